"""Change control: a project's editor proposes a new BAC or baseline; the portfolio's PMO or
portfolio managers approve or reject it on the portfolio's list (docs/formulas.md, "Change
control"). Thin, as the plan views: the services check who may and what is allowed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core import access
from core.views import posted, run_service
from portfolio.models import Portfolio
from projects import selectors, services
from projects.forms import ChangeDecisionForm, ChangeRequestForm
from projects.models import ChangeRequest
from projects.shortcuts import editable_project


@login_required
def change_request_create(request, pk):
    project = editable_project(request, pk)
    form = ChangeRequestForm(
        posted(request), project=project, milestones=project.milestones.order_by("sequence", "pk")
    )
    if request.method == "POST" and form.is_valid():
        change = run_service(
            form,
            lambda: services.change_request_propose(
                project=project, data=form.service_data(), by=request.user
            ),
        )
        if change:
            messages.success(
                request,
                f"Change request for {project.code} proposed; the portfolio's PMO or portfolio "
                "managers decide it.",
            )
            return redirect("projects:edit", pk=project.pk)
    return render(
        request,
        "projects/change_request_form.html",
        {
            "portfolio": project.portfolio,
            "project": project,
            "can_edit": True,
            "tab": "plan",
            "form": form,
        },
    )


def _managed_portfolio(request, code) -> Portfolio:
    portfolio = get_object_or_404(Portfolio.objects.visible_to(request.user), code=code)
    access.require(
        access.can_manage_portfolio(request.user, portfolio),
        "Only the portfolio's PMO or portfolio managers decide change requests.",
    )
    return portfolio


def _list_page(request, portfolio, *, bound: dict | None = None):
    bound = bound or {}
    pending = selectors.pending_change_requests(portfolio=portfolio)
    rows = [(row, bound.get(row.change_request.pk) or ChangeDecisionForm()) for row in pending]
    return render(
        request,
        "projects/change_request_list.html",
        {
            "portfolio": portfolio,
            "rows": rows,
            "decided": selectors.decided_change_requests(portfolio=portfolio),
            "is_pmo_admin": access.is_pmo_admin(request.user),
        },
        status=400 if bound else 200,
    )


@login_required
def change_request_list(request, code):
    return _list_page(request, _managed_portfolio(request, code))


@require_POST
@login_required
def change_request_decide(request, code, change_pk):
    """`decision` is approve or reject (the two buttons of each request's form)."""
    portfolio = _managed_portfolio(request, code)
    change = get_object_or_404(
        ChangeRequest.objects.select_related("project__portfolio"),
        pk=change_pk,
        project__portfolio=portfolio,
    )
    form = ChangeDecisionForm(request.POST)
    decision = request.POST.get("decision")
    if form.is_valid() and decision in ("approve", "reject"):
        note = form.cleaned_data["note"]
        if decision == "approve":
            call = lambda: services.change_request_approve(  # noqa: E731
                change_request=change,
                by=request.user,
                note=note,
                override_reason=form.cleaned_data["override_reason"],
            )
        else:
            call = lambda: services.change_request_reject(  # noqa: E731
                change_request=change, by=request.user, note=note
            )
        if run_service(form, call):
            verb = "approved" if decision == "approve" else "rejected"
            messages.success(request, f"Change request for {change.project.code} {verb}.")
            return redirect("projects:change-requests", code=portfolio.code)
    elif decision not in ("approve", "reject"):
        form.add_error(None, "Choose approve or reject.")
    return _list_page(request, portfolio, bound={change.pk: form})
