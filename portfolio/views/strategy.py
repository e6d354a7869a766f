"""Strategy pages: objectives, contribution matrix, scoring criteria, project scores,
the ranked list, candidate intake, stage-gate decisions and the pending gates.

Thin: look the portfolio or project up through `visible_to` (404 when invisible), let a form
parse the input, call one selector of portfolio.strategy or one service of
portfolio.services (which checks the caller's right again: PermissionDenied is the 403),
then Post/Redirect/Get. Pages that edit show the same data read-only to readers."""

from __future__ import annotations

import copy

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from core import access
from core.views import posted, run_service
from portfolio import selectors, services, strategy
from portfolio.forms import (
    CandidateForm,
    ContributionMatrixForm,
    CriterionFormSet,
    GateCriterionFormSet,
    GateDecisionForm,
    ObjectiveFormSet,
    ProjectScoresForm,
    RoleRequestFormSet,
    SynergyForm,
    apply_row_errors,
    apply_set_error,
    criterion_initial,
    gate_criterion_initial,
    objective_initial,
    synergy_initial,
)
from portfolio.models import GATE_STAGES, Portfolio
from portfolio.priority import priority_scores
from portfolio.shortcuts import visible_portfolio
from projects.models import Project
from projects.querysets import Stage
from projects.shortcuts import visible_project

MATRIX_PAGE_SIZE = 50


def _manager_portfolio(request, code) -> tuple[Portfolio, bool]:
    """The portfolio and whether the user may change its strategy; a POST from a reader is
    refused here already (the service would refuse it too). What the user may open is kept
    on the request for the tab bar (`_render`)."""
    portfolio = visible_portfolio(request, code)
    can_edit = _access(request, portfolio).can_manage
    if request.method == "POST":
        access.require(can_edit, "Only the portfolio's PMO and portfolio managers may change this.")
    return portfolio, can_edit


def _access(request, portfolio) -> access.PortfolioAccess:
    """The user's access to the portfolio, looked up once per request (the page's own checks
    and its tab bar share it)."""
    known = getattr(request, "_portfolio_access", None)
    if known is None or known[0] != portfolio.pk:
        known = (portfolio.pk, access.portfolio_access(request.user, portfolio))
        request._portfolio_access = known
    return known[1]


def _render(request, template, portfolio, section, **context):
    return render(
        request,
        template,
        {
            "portfolio": portfolio,
            "section": section,
            "portfolio_access": _access(request, portfolio),
            **context,
        },
    )


def _save_set(formset, call, *, marked_rows=None) -> bool:
    """Run a set service; its refusal goes onto the formset. True when saved."""
    formset.set_errors = []
    try:
        call()
    except services.SetValidationError as error:
        apply_set_error(formset, error, marked_rows=marked_rows)
        return False
    except ValidationError as error:
        formset.set_errors = error.messages
        return False
    return True


# --- Objectives and the contribution matrix ----------------------------------------------


@login_required
def objectives(request, code):
    portfolio, can_edit = _manager_portfolio(request, code)
    today = timezone.localdate()
    current = selectors.portfolio_objectives(portfolio=portfolio, user=request.user, as_of=today)
    formset = ObjectiveFormSet(
        posted(request), initial=[objective_initial(o) for o in current], prefix="objectives"
    )
    formset.set_errors = []
    if request.method == "POST" and formset.is_valid():
        saved = _save_set(
            formset,
            lambda: services.objectives_save(
                portfolio=portfolio, rows=formset.rows(), by=request.user, as_of=today
            ),
            marked_rows=formset.counted_forms(today),
        )
        if saved:
            messages.success(request, "Strategic objectives saved.")
            return redirect("portfolio:objectives", code=portfolio.code)
    active_total = sum((o.weight for o in current if o.is_active), 0)
    return _render(
        request,
        "portfolio/strategy_objectives.html",
        portfolio,
        "objectives",
        objectives=current,
        formset=formset,
        can_edit=can_edit,
        active_total=active_total,
        today=today,
    )


@login_required
def contributions(request, code):
    portfolio, can_edit = _manager_portfolio(request, code)
    today = timezone.localdate()
    objectives_now = strategy.active_objectives(portfolio=portfolio, as_of=today)
    page_obj = Paginator(
        strategy.contribution_matrix_projects(portfolio=portfolio, user=request.user),
        MATRIX_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    rows = strategy.contribution_matrix_rows(
        projects=list(page_obj), objectives=objectives_now, as_of=today
    )
    form = ContributionMatrixForm(posted(request), rows=rows)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.contributions_save(
                portfolio=portfolio, levels=form.levels(), by=request.user
            ),
        )
        if saved is not None:
            messages.success(request, f"Contributions of {len(rows)} projects saved.")
            url = reverse("portfolio:contributions", kwargs={"code": portfolio.code})
            return redirect(f"{url}?page={page_obj.number}" if page_obj.number > 1 else url)
    return _render(
        request,
        "portfolio/strategy_contributions.html",
        portfolio,
        "contributions",
        objectives=objectives_now,
        rows=[(row, [form[cell.field_name] for cell in row.cells]) for row in rows],
        form=form,
        page_obj=page_obj,
        can_edit=can_edit,
    )


# --- Scoring ----------------------------------------------------------------------------------


@login_required
def scoring_criteria(request, code):
    portfolio, can_edit = _manager_portfolio(request, code)
    criteria = selectors.scoring_criteria(portfolio=portfolio, user=request.user)
    formset = CriterionFormSet(
        posted(request), initial=[criterion_initial(c) for c in criteria], prefix="criteria"
    )
    formset.set_errors = []
    if request.method == "POST" and formset.is_valid():
        saved = _save_set(
            formset,
            lambda: services.criteria_save(
                portfolio=portfolio,
                rows=formset.rows(),
                delete_ids=formset.delete_ids(),
                by=request.user,
            ),
        )
        if saved:
            messages.success(request, "Scoring criteria saved.")
            return redirect("portfolio:scoring-criteria", code=portfolio.code)
    return _render(
        request,
        "portfolio/scoring_criteria.html",
        portfolio,
        "criteria",
        criteria=criteria,
        formset=formset,
        can_edit=can_edit,
        total_weight=sum((c.weight for c in criteria), 0),
    )


@login_required
def project_scores(request, code, pk):
    portfolio, can_edit = _manager_portfolio(request, code)
    project = get_object_or_404(
        Project.objects.visible_to(request.user).select_related("portfolio"),
        portfolio=portfolio,
        pk=pk,
    )
    criteria = selectors.scoring_criteria(portfolio=portfolio, user=request.user)
    scores = selectors.project_scores(project=project)
    form = ProjectScoresForm(posted(request), criteria=criteria, scores=scores)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.project_scores_save(
                project=project, scores=form.scores(), by=request.user
            ),
        )
        if saved:
            messages.success(request, f"Scores of {project.code} saved.")
            return redirect("portfolio:ranking", code=portfolio.code)
    return _render(
        request,
        "portfolio/scoring_project.html",
        portfolio,
        "ranking",
        project=project,
        form=form,
        criteria_rows=[
            (c, form[services.score_field_name(c.pk)], scores.get(c.pk)) for c in criteria
        ],
        priority=priority_scores(project_ids=[project.pk])[project.pk],
        can_edit=can_edit,
    )


@login_required
def ranking(request, code):
    portfolio = visible_portfolio(request, code)
    stage = request.GET.get("stage", "")
    if stage not in strategy.RANKED_STAGES:
        stage = ""
    result = strategy.ranked_projects(
        portfolio=portfolio,
        user=request.user,
        as_of=timezone.localdate(),
        stage=stage,
        sort=request.GET.get("sort", ""),
    )
    page_obj = Paginator(result.rows, settings.SLATE_PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(
        request,
        "portfolio/ranking.html",
        portfolio,
        "ranking",
        ranking=result,
        page_obj=page_obj,
        stage_choices=[(s.value, s.label) for s in strategy.RANKED_STAGES],
        can_edit=_access(request, portfolio).can_manage,
    )


# --- Candidates -------------------------------------------------------------------------------


@login_required
def candidates(request, code):
    portfolio = visible_portfolio(request, code)
    page_obj = Paginator(
        strategy.candidate_projects(portfolio=portfolio, user=request.user),
        settings.SLATE_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    relations = strategy.candidate_relations(
        project_ids=[project.pk for project in page_obj], user=request.user
    )
    for project in page_obj:
        project.relations = relations[project.pk]
    return _render(
        request,
        "portfolio/candidate_list.html",
        portfolio,
        "candidates",
        page_obj=page_obj,
        can_propose=access.can_propose(request.user, portfolio),
        can_manage=_access(request, portfolio).can_manage,
    )


def _service_errors_too(form, roles, check) -> None:
    """The form (or its role rows) already has errors of its own: also show what the service
    would refuse in the rest of the input, so one submit shows every problem. A field that
    already has an error keeps only its own."""
    try:
        check()
    except services.SetValidationError as error:
        if roles is not None:
            apply_row_errors(roles, error, skip_errored=True)
        _add_new_errors(form, error)
    except ValidationError as error:
        _add_new_errors(form, error)


def _add_new_errors(form, error: ValidationError) -> None:
    by_field = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for name, texts in by_field.items():
        target = name if name in form.fields else None
        if target is not None and form.has_error(target):
            continue
        for message in texts:
            if target is None and message in form.non_field_errors():
                continue
            form.add_error(target, message)


def _candidate_input(form) -> dict:
    data = form.cleaned_data
    return {
        "data": form.business_case(),
        "requires": data.get("requires") or [],
        "excludes": data.get("excludes") or [],
    }


@login_required
def candidate_create(request, code):
    portfolio = visible_portfolio(request, code)
    access.require(
        access.can_propose(request.user, portfolio),
        "Only the portfolio's PMO, portfolio managers and project managers may propose.",
    )
    form = CandidateForm(
        posted(request),
        instance=Project(portfolio=portfolio, stage=Stage.CANDIDATE),
        portfolio=portfolio,
        user=request.user,
    )
    roles = RoleRequestFormSet(posted(request), prefix="roles")
    roles.set_errors = []
    if request.method == "POST":
        # Both validated (no short circuit), so the role rows' errors show with the form's.
        form_valid, roles_valid = form.is_valid(), roles.is_valid()

        def propose():
            try:
                return services.candidate_propose(
                    portfolio=portfolio,
                    code=form.cleaned_data["code"],
                    role_requests=roles.rows(),
                    by=request.user,
                    **_candidate_input(form),
                )
            except services.SetValidationError as error:
                # Role rows' errors go to their rows; the rest to the business case form.
                apply_row_errors(roles, error)
                raise ValidationError(error) from error

        if form_valid and roles_valid:
            project = run_service(form, propose)
            if project:
                messages.success(
                    request, f"{project.code} proposed as {project.get_stage_display()}."
                )
                return redirect("portfolio:candidates", code=portfolio.code)
        else:
            _service_errors_too(
                form,
                roles,
                lambda: services.candidate_check(
                    portfolio=portfolio,
                    code=form.cleaned_data.get("code", ""),
                    role_requests=roles.rows(),
                    by=request.user,
                    **_candidate_input(form),
                ),
            )
    return _render(
        request,
        "portfolio/candidate_form.html",
        portfolio,
        "candidates",
        form=form,
        roles=roles,
    )


@login_required
def candidate_edit(request, code, pk):
    portfolio = visible_portfolio(request, code)
    project = get_object_or_404(
        Project.objects.visible_to(request.user).select_related("portfolio"),
        portfolio=portfolio,
        pk=pk,
    )
    access.require(access.can_edit_project(request.user, project))
    form = CandidateForm(
        posted(request), instance=copy.copy(project), portfolio=portfolio, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.candidate_update(
                project=form.instance,
                expected_version=form.cleaned_data["version"] or 0,
                by=request.user,
                **_candidate_input(form),
            ),
        )
        if saved:
            messages.success(request, f"Business case of {project.code} saved.")
            return redirect("portfolio:candidates", code=portfolio.code)
    elif request.method == "POST":
        _service_errors_too(
            form,
            None,
            lambda: services.candidate_check(
                portfolio=portfolio,
                project=form.instance,
                by=request.user,
                **_candidate_input(form),
            ),
        )
    return _render(
        request,
        "portfolio/candidate_form.html",
        portfolio,
        "candidates",
        form=form,
        project=project,
        allocations=selectors.requested_allocations(project=project),
        relations=strategy.candidate_relations(project_ids=[project.pk], user=request.user)[
            project.pk
        ],
        can_manage=_access(request, portfolio).can_manage,
    )


# --- Synergies ----------------------------------------------------------------------------------


@login_required
def synergies(request, code):
    """The portfolio's synergy groups; its PMO and portfolio managers edit them, every member
    reads them."""
    portfolio = visible_portfolio(request, code)
    return _render(
        request,
        "portfolio/synergy_list.html",
        portfolio,
        "candidates",
        synergies=strategy.synergies_seen_by(portfolio=portfolio, user=request.user),
        can_edit=_access(request, portfolio).can_manage,
    )


def _synergy_page(request, portfolio, synergy=None):
    form = SynergyForm(
        posted(request),
        portfolio=portfolio,
        initial=synergy_initial(synergy) if synergy and request.method != "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.synergy_save(
                portfolio=portfolio,
                data=form.data_fields(),
                members=form.cleaned_data["members"],
                by=request.user,
                synergy=synergy,
            ),
        )
        if saved:
            messages.success(request, f"Synergy “{saved.name}” saved.")
            return redirect("portfolio:synergies", code=portfolio.code)
    return _render(
        request,
        "portfolio/synergy_form.html",
        portfolio,
        "candidates",
        form=form,
        synergy=synergy,
    )


@login_required
def synergy_create(request, code):
    portfolio, can_edit = _manager_portfolio(request, code)
    access.require(can_edit, "Only the portfolio's PMO and portfolio managers may change this.")
    return _synergy_page(request, portfolio)


@login_required
def synergy_edit(request, code, pk):
    portfolio, can_edit = _manager_portfolio(request, code)
    access.require(can_edit, "Only the portfolio's PMO and portfolio managers may change this.")
    synergy = get_object_or_404(strategy.portfolio_synergies(portfolio=portfolio), pk=pk)
    return _synergy_page(request, portfolio, synergy)


@login_required
def synergy_delete(request, code, pk):
    portfolio, can_edit = _manager_portfolio(request, code)
    access.require(can_edit, "Only the portfolio's PMO and portfolio managers may change this.")
    synergy = get_object_or_404(strategy.portfolio_synergies(portfolio=portfolio), pk=pk)
    if request.method == "POST":
        services.synergy_delete(synergy=synergy, by=request.user)
        messages.success(request, f"Synergy “{synergy.name}” deleted.")
        return redirect("portfolio:synergies", code=portfolio.code)
    return _render(
        request, "portfolio/synergy_delete.html", portfolio, "candidates", synergy=synergy
    )


# --- Stage gates ------------------------------------------------------------------------------


@login_required
def gate_decision(request, pk):
    project = visible_project(request, pk)
    access.require(
        access.can_decide_gate(request.user, project.portfolio_id),
        "Only the portfolio's PMO, portfolio managers and executives take gate decisions.",
    )
    targets = strategy.gate_targets(project.stage)
    form = GateDecisionForm(
        posted(request),
        project=project,
        targets=targets,
        checklists=strategy.gate_checklists(portfolio_id=project.portfolio_id, gates=targets),
        previous=strategy.latest_assessments(project=project, gates=targets),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        decision = run_service(
            form,
            lambda: services.record_gate_decision(
                project=project,
                to_stage=data["to_stage"],
                outcome=data["outcome"],
                decided_on=data["decided_on"],
                rationale=data["rationale"],
                conditions=data["conditions"],
                by=request.user,
                expected_version=data["version"],
                assessments=form.assessments(data["to_stage"]),
                override_reason=data["override_reason"],
            ),
        )
        if decision:
            messages.success(
                request,
                f"{decision.get_outcome_display()} recorded at the gate to "
                f"{Stage(decision.to_stage).label.lower()}; {project.code} is now "
                f"{project.get_stage_display().lower()}.",
            )
            return redirect("projects:detail", pk=project.pk)
    return render(
        request,
        "portfolio/gate_decision.html",
        {
            "portfolio": project.portfolio,
            "project": project,
            "form": form,
            "targets": targets,
            "decisions": strategy.project_gate_decisions(project=project),
            "can_edit_criteria": access.can_manage_portfolio(request.user, project.portfolio_id),
            "recycle_to": strategy.RECYCLE_TO.get(project.stage, project.stage),
            "recycle_label": Stage(strategy.RECYCLE_TO.get(project.stage, project.stage)).label,
        },
    )


@login_required
def pending_gates(request, code):
    portfolio = visible_portfolio(request, code)
    today = timezone.localdate()
    page_obj = Paginator(
        strategy.pending_gate_decisions(portfolio=portfolio, user=request.user, as_of=today),
        settings.SLATE_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    rows = [
        (project, Stage(project.due_gate).label, (today - project.overdue_since).days)
        for project in page_obj
    ]
    return _render(
        request,
        "portfolio/gate_pending.html",
        portfolio,
        "gates",
        page_obj=page_obj,
        rows=rows,
        rule=strategy.PENDING_GATE_RULE,
        can_decide=_access(request, portfolio).can_decide_gate,
        today=today,
    )


@login_required
def gate_criteria(request, code):
    """The portfolio's checklist for one gate (`?gate=approved`); its PMO and portfolio
    managers edit it, every member reads it."""
    portfolio, can_edit = _manager_portfolio(request, code)
    gates = dict(GATE_STAGES)
    gate = request.GET.get("gate", "")
    if gate not in gates:
        gate = "approved"
    criteria = strategy.gate_checklist(portfolio_id=portfolio.pk, gate=gate)
    formset = GateCriterionFormSet(
        posted(request), initial=[gate_criterion_initial(c) for c in criteria], prefix="criteria"
    )
    formset.set_errors = []
    if request.method == "POST" and formset.is_valid():
        saved = _save_set(
            formset,
            lambda: services.gate_criteria_save(
                portfolio=portfolio,
                gate=gate,
                rows=formset.rows(),
                delete_ids=formset.delete_ids(),
                by=request.user,
            ),
        )
        if saved:
            messages.success(request, f"Criteria of the gate to {gates[gate].lower()} saved.")
            url = reverse("portfolio:gate-criteria", kwargs={"code": portfolio.code})
            return redirect(f"{url}?gate={gate}")
    return _render(
        request,
        "portfolio/gate_criteria.html",
        portfolio,
        "gate-criteria",
        gate=gate,
        gate_label=gates[gate],
        gates=list(gates.items()),
        criteria=criteria,
        formset=formset,
        can_edit=can_edit,
    )
