"""Risk register views: a project's register with its heat map, logging, editing, closing
and escalating project risks. Thin: look up through `visible_to` (404 when invisible), call
one selector or service, Post/Redirect/Get. The portfolio risk register is a portfolio page
(portfolio/views/oversight.py)."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from charts.risks import risk_heat_map
from core import access, exports
from core.people import person_name
from core.views import form_data, posted, run_service
from projects.forms import VersionForm
from projects.shortcuts import editable_project, visible_project
from risks import selectors, services
from risks.exports import risk_register_table
from risks.forms import EscalateForm, RiskForm
from risks.models import Risk, RiskStatus

HEAT_MAP_LINK = "?probability={probability}&impact={impact}"


def _page(request, template, project, *, can_edit=True, **context):
    """Render a risk page; `can_edit` says whether to show edit buttons (true on the pages
    reached through an editor check)."""
    return render(
        request,
        template,
        {
            "portfolio": project.portfolio,
            "project": project,
            "currency": project.portfolio.currency,
            "can_edit": can_edit,
            "tab": "risks",
            **context,
        },
    )


def _project_risk(request, pk) -> Risk:
    """A project risk the user sees (a portfolio risk, or an invisible one, is a 404)."""
    return get_object_or_404(
        Risk.objects.visible_to(request.user)
        .project_level()
        .select_related("project__portfolio", "project__manager", "escalated_to"),
        pk=pk,
    )


def _editable_risk(request, pk) -> Risk:
    risk = _project_risk(request, pk)
    access.require(access.can_edit_project(request.user, risk.project))
    return risk


@login_required
def project_register(request, pk):
    project = visible_project(request, pk)
    register = selectors.project_risk_register(
        project=project, user=request.user, filters=request.GET
    )
    fmt = exports.requested_format(request)
    if fmt:
        for risk in register.risks:
            risk.project = project
        table = risk_register_table(
            register.risks, filename=f"risks-{project.code}", title=f"Risks {project.code}"
        )
        return exports.table_response(table, fmt)
    return _page(
        request,
        "risks/register.html",
        project,
        can_edit=access.can_edit_project(request.user, project),
        register=register,
        filters=register.filters,
        status_choices=selectors.STATUS_CHOICES,
        heat_map=risk_heat_map(
            register.heat_map_cells,
            bands=selectors.heat_map_bands(),
            link_template=HEAT_MAP_LINK,
        ),
    )


@login_required
def risk_create(request, pk):
    project = editable_project(request, pk)
    form = RiskForm(posted(request), instance=Risk(project=project, portfolio=project.portfolio))
    if request.method == "POST" and form.is_valid():
        risk = run_service(
            form,
            lambda: services.risk_create(project=project, data=form_data(form), by=request.user),
        )
        if risk:
            messages.success(request, f"Risk “{risk.title}” logged (score {risk.score}).")
            return redirect("risks:project-register", pk=project.pk)
    return _page(request, "risks/risk_form.html", project, form=form)


@login_required
def risk_edit(request, pk):
    risk = _editable_risk(request, pk)
    # The form edits a copy, so the page header keeps showing what is saved.
    form = RiskForm(posted(request), instance=copy.copy(risk))
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.risk_update(
                risk=form.instance,
                data=form_data(form),
                expected_version=form.cleaned_data["version"],
                by=request.user,
            ),
        )
        if saved:
            messages.success(request, f"Risk “{saved.title}” saved.")
            return redirect("risks:project-register", pk=risk.project_id)
    return _page(request, "risks/risk_form.html", risk.project, form=form, risk=risk)


@require_POST
@login_required
def risk_close(request, pk):
    risk = _project_risk(request, pk)
    form = VersionForm(request.POST)
    if form.is_valid():
        run_service(
            form,
            lambda: services.risk_close(
                risk=risk, expected_version=form.cleaned_data["version"], by=request.user
            ),
        )
    if form.errors:
        for error in form.non_field_errors() or ["The close form was incomplete; try again."]:
            messages.error(request, error)
    else:
        messages.success(request, f"Risk “{risk.title}” closed.")
    return redirect("risks:project-register", pk=risk.project_id)


@login_required
def risk_escalate(request, pk):
    risk = _editable_risk(request, pk)
    form = EscalateForm(posted(request), risk=risk, by=request.user)
    if request.method == "POST" and form.is_valid():
        portfolio_risk = run_service(
            form,
            lambda: services.risk_escalate(
                risk=risk,
                by=request.user,
                reason=form.cleaned_data["reason"],
                portfolio_risk=form.cleaned_data["portfolio_risk"],
                owner=form.cleaned_data["owner"],
                expected_version=form.cleaned_data["version"],
            ),
        )
        if portfolio_risk:
            owner = portfolio_risk.owner
            owned_by = f" ({person_name(owner)})" if owner else ""
            messages.success(
                request,
                f"Risk “{risk.title}” escalated to the portfolio risk “{portfolio_risk.title}”; "
                f"the portfolio now owns it{owned_by}.",
            )
            return redirect("risks:project-register", pk=risk.project_id)
    return _page(
        request,
        "risks/escalate.html",
        risk.project,
        form=form,
        risk=risk,
        already_escalated=risk.status == RiskStatus.ESCALATED,
    )
