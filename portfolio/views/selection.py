"""Selection pages: the optimised slate beside the greedy one, the
efficient frontier, and scenarios (list, create, edit, detail, compare, commit).

Thin: look the portfolio up through `visible_to` (an invisible one is a 404), parse the input
with a form, call one selector or service, render. Reading needs to see every project of the
portfolio (a member: the slate weighs them all, so a project lead gets a 403); writing needs
`access.can_manage_portfolio` (PMO and portfolio managers), which the services check again."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from charts.selection import frontier_chart, timing_capacity_chart, timing_roadmap_chart
from core import access, exports
from core.bounds import parse_id_param
from core.templatetags import slate as slate_tags
from core.views import posted, run_service
from portfolio import scenarios, selection, selectors
from portfolio.exports import comparison_table, selection_table
from portfolio.forms import (
    BudgetForm,
    CapacityFormSet,
    ScenarioForm,
    TimingSaveForm,
    scenario_initial,
)
from portfolio.models import Scenario
from portfolio.selection import timing_report
from portfolio.shortcuts import visible_portfolio


def _require_planner(request, portfolio) -> None:
    """403 for a project lead who sees only their own projects in the portfolio: these pages
    weigh every one of them."""
    access.require(
        access.sees_every_project(request.user, portfolio),
        "Selection and scenarios weigh every project of the portfolio: they are open to its "
        "members.",
    )


def _planning_portfolio(request, code):
    """The portfolio (404 when invisible), for a page that weighs every one of its projects."""
    portfolio = visible_portfolio(request, code)
    _require_planner(request, portfolio)
    return portfolio


def _scenario(request, code, pk) -> Scenario:
    scenario = get_object_or_404(
        Scenario.objects.visible_to(request.user).select_related(
            "portfolio", "created_by", "committed_by"
        ),
        portfolio__code=code,
        pk=pk,
    )
    _require_planner(request, scenario.portfolio)
    return scenario


def _managed(request, portfolio):
    """403 for a page that only shows a form the user may not submit."""
    access.require(access.can_manage_portfolio(request.user, portfolio))


# --- Selection and frontier ----------------------------------------------------------------


@login_required
def selection_page(request, code):
    portfolio = _planning_portfolio(request, code)
    form = BudgetForm(request.GET or None)
    budget = None
    if form.is_bound and form.is_valid():
        budget = form.cleaned_data["budget"]
    report = selection.selection_report(
        portfolio=portfolio, as_of=timezone.localdate(), budget=budget
    )
    fmt = exports.requested_format(request)
    if fmt:
        table = selection_table(report, filename=f"selection-{portfolio.code}", title="Selection")
        return exports.table_response(table, fmt)
    return render(
        request,
        "portfolio/selection.html",
        {
            "section": "selection",
            "portfolio": portfolio,
            "report": report,
            "form": form,
            "budget": report.data.budget,
            "is_envelope": Decimal(str(report.data.budget)) == portfolio.budget_envelope,
            "can_manage": access.can_manage_portfolio(request.user, portfolio),
        },
    )


def _open_scenario(request, portfolio) -> Scenario | None:
    """The scenario named by `?scenario=` (one of this portfolio's the user sees), or None."""
    pk = parse_id_param(request.GET.get("scenario") or request.POST.get("scenario"))
    if pk is None:
        return None
    return get_object_or_404(Scenario.objects.visible_to(request.user), portfolio=portfolio, pk=pk)


def _timing_title(report, currency: str) -> str:
    if report.gain is None:
        return "Roadmap: chosen starts against requested ones"
    percent = f" (+{slate_tags.percent(report.gain_percent)})" if report.gain_percent else ""
    return (
        f"Roadmap: {len(report.moved)} project{'' if len(report.moved) == 1 else 's'} moved; "
        "timing adds "
        f"{currency} {report.gain:,.0f}{percent} over fixed starts"
    )


@login_required
def timing_page(request, code):
    """The timing view: the optimum that also chooses each project's start month, beside the
    fixed-start optimum and select-then-shift (issue 17)."""
    portfolio = _planning_portfolio(request, code)
    scenario = _open_scenario(request, portfolio)
    form = BudgetForm(request.GET or None)
    budget = None
    if scenario is None and form.is_bound and form.is_valid():
        budget = form.cleaned_data["budget"]
    report = timing_report.timing_report(
        portfolio=portfolio, as_of=timezone.localdate(), budget=budget, scenario=scenario
    )
    return render(
        request,
        "portfolio/selection_timing.html",
        _timing_context(request, portfolio, scenario, report, form),
    )


def _timing_context(request, portfolio, scenario, report, form, save_form=None):
    can_manage = access.can_manage_portfolio(request.user, portfolio)
    urls = {row.id: reverse("projects:detail", args=[row.id]) for row in report.rows}
    return {
        "section": "timing",
        "portfolio": portfolio,
        "scenario": scenario,
        "report": report,
        "form": form,
        "budget": report.data.base.budget,
        "save_form": save_form or TimingSaveForm(initial={"name": _default_name(report)}),
        "can_manage": can_manage,
        "can_save": can_manage
        and report.result.ok
        and (scenario is None or not scenario.committed_at),
        "roadmap": timing_roadmap_chart(
            report.rows, urls=urls, title=_timing_title(report, portfolio.currency)
        ),
        "capacity_chart": timing_capacity_chart(report.capacity),
    }


def _default_name(report) -> str:
    return f"Timing plan {timezone.localdate():%d %b %Y}"


@require_POST
@login_required
def timing_save(request, code):
    """Keep the timing plan in a scenario: a new one, or the open one (`scenario`)."""
    portfolio = _planning_portfolio(request, code)
    _managed(request, portfolio)
    scenario = _open_scenario(request, portfolio)
    if scenario is not None and scenario.committed_at:
        messages.warning(request, "A committed scenario records a decision and cannot change.")
        return redirect("portfolio:scenario", code=portfolio.code, pk=scenario.pk)
    save_form = TimingSaveForm(request.POST, need_name=scenario is None)
    budget = None
    if scenario is None and save_form.is_valid():
        budget = save_form.cleaned_data["budget"]
    report = timing_report.timing_report(
        portfolio=portfolio, as_of=timezone.localdate(), budget=budget, scenario=scenario
    )
    if save_form.is_valid() and report.result.ok:
        saved = run_service(
            save_form,
            lambda: scenarios.scenario_keep_starts(
                portfolio=portfolio,
                by=request.user,
                start_months=report.start_months,
                chosen=report.chosen_pipeline,
                scenario=scenario,
                name=save_form.cleaned_data["name"],
                budget_limit=Decimal(str(report.data.base.budget)),
            ),
        )
        if saved:
            messages.success(
                request,
                f"Scenario “{saved.name}” keeps the timing plan: "
                f"{len(saved.start_months)} start month(s) moved.",
            )
            return redirect("portfolio:scenario", code=portfolio.code, pk=saved.pk)
    form = BudgetForm({"budget": budget} if budget is not None else None)
    return render(
        request,
        "portfolio/selection_timing.html",
        _timing_context(request, portfolio, scenario, report, form, save_form),
        status=200,
    )


@login_required
def frontier_page(request, code):
    portfolio = _planning_portfolio(request, code)
    timing = request.GET.get("mode") == "timing"
    frontier = timing_report.timing_frontier_report if timing else selection.frontier_report
    points = frontier(portfolio=portfolio, as_of=timezone.localdate())
    selection_url = reverse("portfolio:selection", args=[portfolio.code])
    rows, previous = [], None
    for point in points:
        step = None
        if previous is not None and point.value is not None and previous.value is not None:
            extra_budget = point.budget - previous.budget
            step = {
                "value": point.value - previous.value,
                "per_unit": (point.value - previous.value) / extra_budget if extra_budget else None,
            }
        rows.append(
            {"point": point, "step": step, "url": f"{selection_url}?budget={round(point.budget)}"}
        )
        previous = point
    values = {round(p.value) for p in points if p.value is not None}
    return render(
        request,
        "portfolio/selection_frontier.html",
        {
            "section": "frontier",
            "portfolio": portfolio,
            "rows": rows,
            "flat": len(values) == 1 and len(points) > 1,
            "chart": frontier_chart(points, url=selection_url, currency=portfolio.currency),
            "timing": timing,
            "point_seconds": timing_report.TIMING_FRONTIER_POINT_SECONDS,
            "total_seconds": timing_report.TIMING_FRONTIER_TOTAL_SECONDS,
        },
    )


# --- Scenarios -----------------------------------------------------------------------------


@login_required
def scenario_list(request, code):
    portfolio = _planning_portfolio(request, code)
    return render(
        request,
        "portfolio/scenario_list.html",
        {
            "section": "scenarios",
            "portfolio": portfolio,
            "scenarios": scenarios.portfolio_scenarios(portfolio=portfolio),
            "can_manage": access.can_manage_portfolio(request.user, portfolio),
            "max_compared": scenarios.MAX_COMPARED,
        },
    )


def _scenario_form_page(request, portfolio, scenario=None):
    _managed(request, portfolio)
    if scenario is not None and scenario.committed_at:
        messages.warning(request, "A committed scenario records a decision and cannot change.")
        return redirect("portfolio:scenario", code=portfolio.code, pk=scenario.pk)
    initial, capacity_rows = {"budget_limit": portfolio.budget_envelope}, []
    if scenario is not None:
        initial = scenario_initial(scenario)
        capacity_rows = [
            {
                **row,
                "first_month": _month(row["first_month"]),
                "last_month": _month(row["last_month"]),
            }
            for row in scenarios.capacity_change_ranges(scenario.capacity_changes)
        ]
    else:
        budget_form = BudgetForm(request.GET or None)
        if budget_form.is_bound and budget_form.is_valid() and budget_form.cleaned_data["budget"]:
            initial["budget_limit"] = budget_form.cleaned_data["budget"]
    form = ScenarioForm(posted(request), portfolio=portfolio, initial=initial)
    capacity = CapacityFormSet(posted(request), initial=capacity_rows, prefix="capacity")
    if request.method == "POST" and form.is_valid() and capacity.is_valid():
        rows = [
            {**row, "role": row["role"].name}
            for row in capacity.cleaned_data
            if row.get("role") and row.get("hours") is not None
        ]
        data = {**form.cleaned_data, "capacity_changes": scenarios.expand_capacity_ranges(rows)}
        saved = run_service(
            form,
            lambda: scenarios.scenario_save(
                portfolio=portfolio, data=data, by=request.user, scenario=scenario
            ),
        )
        if saved:
            messages.success(request, f"Scenario “{saved.name}” saved.")
            return redirect("portfolio:scenario", code=portfolio.code, pk=saved.pk)
    return render(
        request,
        "portfolio/scenario_form.html",
        {
            "section": "scenarios",
            "portfolio": portfolio,
            "scenario": scenario,
            "form": form,
            "capacity": capacity,
        },
    )


def _month(key: str) -> date:
    return date(int(key[:4]), int(key[5:7]), 1)


@login_required
def scenario_create(request, code):
    return _scenario_form_page(request, _planning_portfolio(request, code))


@login_required
def scenario_edit(request, code, pk):
    scenario = _scenario(request, code, pk)
    return _scenario_form_page(request, scenario.portfolio, scenario)


@login_required
def scenario_detail(request, code, pk):
    scenario = _scenario(request, code, pk)
    portfolio = scenario.portfolio
    report = selection.selection_report(
        portfolio=portfolio, as_of=timezone.localdate(), scenario=scenario
    )
    fmt = exports.requested_format(request)
    if fmt:
        table = selection_table(
            report, filename=f"scenario-{portfolio.code}-{scenario.pk}", title="Scenario"
        )
        return exports.table_response(table, fmt)
    forced_in, forced_out = selectors.forced_projects(scenario=scenario)
    stopped = selectors.stopped_projects(scenario=scenario)
    return render(
        request,
        "portfolio/scenario_detail.html",
        {
            "section": "scenarios",
            "portfolio": portfolio,
            "scenario": scenario,
            "report": report,
            "capacity_changes": scenarios.capacity_change_ranges(scenario.capacity_changes),
            "forced_in": forced_in,
            "forced_out": forced_out,
            "stopped": stopped,
            "start_moves": scenarios.scenario_start_moves(scenario=scenario),
            "can_manage": access.can_manage_portfolio(request.user, portfolio),
        },
    )


@login_required
def scenario_commit(request, code, pk):
    scenario = _scenario(request, code, pk)
    portfolio = scenario.portfolio
    _managed(request, portfolio)
    form = forms.Form(posted(request))
    if request.method == "POST" and form.is_valid():
        outcome = run_service(
            form, lambda: scenarios.scenario_commit(scenario=scenario, by=request.user)
        )
        if outcome:
            _report_commit(request, outcome)
            return redirect("portfolio:scenario", code=portfolio.code, pk=scenario.pk)
    plan = scenarios.scenario_commit_plan(scenario=scenario, as_of=timezone.localdate())
    start_moves = [
        move
        for move in scenarios.scenario_start_moves(scenario=scenario)
        if move.project.pk in plan.selection.chosen
    ]
    return render(
        request,
        "portfolio/scenario_commit.html",
        {
            "section": "scenarios",
            "portfolio": portfolio,
            "scenario": scenario,
            "plan": plan,
            "form": form,
            "start_moves": start_moves,
        },
    )


def _report_commit(request, outcome: scenarios.CommitOutcome) -> None:
    """What the commit did, and what in the slate it did not approve and why."""
    done = [
        f"{len(outcome.approved)} project(s) approved",
        f"{len(outcome.to_candidate)} idea(s) moved to candidate" if outcome.to_candidate else "",
        f"{len(outcome.deferred)} deferred (on hold)",
        f"{len(outcome.stopped)} stopped (no-go: {', '.join(outcome.stopped)})"
        if outcome.stopped
        else "",
        f"{len(outcome.moved)} moved to the scenario's start months "
        f"({', '.join(f'{code} {old} → {new}' for code, old, new in outcome.moved)})"
        if outcome.moved
        else "",
    ]
    messages.success(
        request,
        f"Scenario “{outcome.scenario.name}” committed: {', '.join(d for d in done if d)}.",
    )
    if outcome.skipped:
        skipped = "; ".join(f"{code}: {why}" for code, why in outcome.skipped)
        messages.warning(request, f"In the slate but not approved: {skipped}.")
    if outcome.change_requests:
        messages.info(
            request,
            "Baselined, so their baseline moves by a change request for the portfolio to "
            f"decide: {', '.join(outcome.change_requests)}.",
        )


@login_required
def scenario_compare(request, code):
    portfolio = _planning_portfolio(request, code)
    wanted = []
    for value in map(parse_id_param, request.GET.getlist("s")):
        if value is not None and value not in wanted:
            wanted.append(value)
    chosen = selectors.compared_scenarios(portfolio=portfolio, user=request.user, pks=wanted)
    if not 2 <= len(chosen) <= scenarios.MAX_COMPARED:
        messages.warning(
            request, f"Tick two or {scenarios.MAX_COMPARED} scenarios to compare them."
        )
        return redirect("portfolio:scenarios", code=portfolio.code)
    comparison = scenarios.scenario_comparison(
        portfolio=portfolio, scenarios=chosen, as_of=timezone.localdate()
    )
    fmt = exports.requested_format(request)
    if fmt:
        table = comparison_table(comparison, filename=f"scenarios-{portfolio.code}-compared")
        return exports.table_response(table, fmt)
    return render(
        request,
        "portfolio/scenario_compare.html",
        {"section": "scenarios", "portfolio": portfolio, "comparison": comparison},
    )
