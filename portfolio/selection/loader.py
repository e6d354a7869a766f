"""The selection input of a portfolio, read from the database in a fixed number of queries:
the candidates with their values, costs, hours and links, the budget per planning (fiscal)
year, and the hours left per role and month.

- The horizon is the HORIZON_MONTHS months from the current one; projects starting after it
  are not in the model, and only the spend and hours inside it count.
- A project's value is its benefit × its priority score ÷ 100 (portfolio.priority). The
  benefit is its expected benefit (over its life), or BENEFIT_YEARS_WITHOUT_TOTAL years of
  its annual benefit when no total is recorded; an unscored project gets the median score of
  the scored ones (UNSCORED_DEFAULT when none is scored), so being unscored neither wins nor
  loses.
- A project's cost in a planning year is its budget spread evenly over its months, counting
  the months of that year inside the horizon. Committed work (approved, in progress and
  closing projects) costs what is left of it instead: the budget less the actual cost to
  date, spread evenly over its months from the current one (all of it this month when its
  end has passed). A year's budget is the envelope × (months of the year inside the
  horizon ÷ 12) less the spend of closing projects (committed, outside the model).
- The hours a project asks are its requested and confirmed allocations. The hours left per
  role and month are the role's capacity (resources.selectors.role_capacity_grid) less the
  confirmed hours of committed projects (approved, in progress, closing) outside the model,
  plus or minus the scenario's capacity changes.
- A project that requires one outside the model (cancelled, or not yet a choice here) cannot
  be chosen; one that excludes a funded project outside it cannot either.
- The scenario forces in or out only projects that are not committed; it stops committed
  ones (`stopped`). Its start months (`Scenario.start_months`) move pipeline projects: their
  dates, spend and role demand shift by the months moved, as committing the scenario would
  shift their plans (portfolio.scenarios).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum

from core.months import (
    add_months,
    month_count,
    month_end,
    month_key_offset,
    month_start,
    shift_months,
)
from portfolio.models import GateDecision
from portfolio.priority import priority_scores
from portfolio.selection.model import (
    COMMITTED_STAGES,
    MODEL_STAGES,
    UNSCORED_DEFAULT,
    Candidate,
    PlanningYear,
    SelectionInput,
)
from projects.models import CostEntry, Project
from projects.querysets import ACTIVE_STAGES, PIPELINE_STAGES, Stage
from resources.capacity import allocation_hours
from resources.models import Allocation, AllocationStatus
from resources.selectors import calendar_rules, role_capacity_grid

# A requirement on a project outside the model is met when that project is funded or done.
REQUIREMENT_MET_STAGES = (*ACTIVE_STAGES, Stage.CLOSED)
HORIZON_MONTHS = 24
BENEFIT_YEARS_WITHOUT_TOTAL = 3


def _month_key(day: date) -> str:
    return f"{day:%Y-%m}"


def fiscal_year_label(month: date, start_month: int) -> str:
    """The planning year a month belongs to: "2027" for calendar years, else "FY 2027/28"
    (named by the calendar year it starts in)."""
    if start_month == 1:
        return str(month.year)
    first = month.year if month.month >= start_month else month.year - 1
    return f"FY {first}/{(first + 1) % 100:02d}"


def _calendar_standard_hours(months: list[date]) -> dict[int | None, list[Decimal]]:
    """Standard hours of each month per calendar (None: the default calendar), the hours an
    FTE allocation converts with (resources.capacity)."""
    rules = calendar_rules()
    return {pk: [rule.standard_hours(month) for month in months] for pk, rule in rules.items()}


def _shift_allocations(rows, shift: Mapping[int, int]):
    """Allocation rows (project id first, start and end month fifth and sixth) with the moved
    projects' months moved with them."""
    for row in rows:
        months_moved = shift.get(row[0])
        if months_moved:
            start, end = add_months(row[4], months_moved), add_months(row[5], months_moved)
            row = (*row[:4], start, end, *row[6:])
        yield row


def _spread_allocations(rows, months, month_index, standard_hours, add) -> None:
    """Call add(owner, role, month index, hours) for every month of every allocation row
    (owner, role, unit, amount, start month, end month, calendar id) inside the horizon."""
    last = len(months) - 1
    for owner, role, unit, amount, start, end, calendar_id in rows:
        first_index = month_index.get(start, 0 if start < months[0] else None)
        if first_index is None:
            continue
        last_index = month_index.get(end, last if end > months[-1] else None)
        if last_index is None:
            continue
        hours_of = standard_hours.get(calendar_id, standard_hours[None])
        for index in range(first_index, last_index + 1):
            add(owner, role, index, allocation_hours(unit, amount, hours_of[index]))


def scenario_start_months(scenario) -> dict[int, str]:
    """The scenario's start month ("YYYY-MM") per project id ({} without a scenario)."""
    if scenario is None:
        return {}
    return {int(pid): month for pid, month in (scenario.start_months or {}).items()}


def selection_input(
    *,
    portfolio,
    as_of: date,
    budget: Decimal | float | None = None,
    scenario=None,
    horizon_months: int = HORIZON_MONTHS,
) -> SelectionInput:
    """The selection input of one portfolio: its envelope (or `budget`, or the scenario's
    budget limit), and the scenario's forced and stopped projects and capacity changes."""
    forced_in, forced_out, stopped, capacity_changes = frozenset(), frozenset(), frozenset(), {}
    start_months = scenario_start_months(scenario)
    if scenario is not None:
        budget = scenario.budget_limit if budget is None else budget
        forced_in = frozenset(scenario.forced_in.values_list("pk", flat=True))
        forced_out = frozenset(scenario.forced_out.values_list("pk", flat=True))
        stopped = frozenset(scenario.stopped.values_list("pk", flat=True))
        capacity_changes = scenario.capacity_changes or {}
    return load_selection_input(
        projects=Project.objects.filter(portfolio=portfolio),
        fiscal_year_start_month=portfolio.fiscal_year_start_month,
        budget=portfolio.budget_envelope if budget is None else budget,
        as_of=as_of,
        forced_in=forced_in,
        forced_out=forced_out,
        stopped=stopped,
        capacity_changes=capacity_changes,
        horizon_months=horizon_months,
        start_months=start_months,
    )


def load_selection_input(
    *,
    projects,
    fiscal_year_start_month: int,
    budget: Decimal | float,
    as_of: date,
    forced_in: frozenset[int] = frozenset(),
    forced_out: frozenset[int] = frozenset(),
    stopped: frozenset[int] = frozenset(),
    capacity_changes: Mapping[str, Mapping[str, float]] | None = None,
    horizon_months: int = HORIZON_MONTHS,
    start_months: Mapping[int, str] | None = None,
) -> SelectionInput:
    """Build the input from `projects` (a Project queryset: one portfolio, or several for the
    benchmark) in a fixed number of queries, however many projects, roles and allocations.
    `start_months` ({project id: "YYYY-MM"}) moves pipeline projects to start there."""
    first_month = month_start(as_of)
    months = [add_months(first_month, n) for n in range(horizon_months)]
    month_index = {month: n for n, month in enumerate(months)}
    month_keys = [_month_key(month) for month in months]
    year_of = [fiscal_year_label(month, fiscal_year_start_month) for month in months]
    horizon_end = month_end(months[-1])

    # 1. The projects: the model's and those closing (committed spend outside the model).
    moved_ids = list(start_months or {})
    in_horizon = Q(start_date__lte=horizon_end) | Q(pk__in=moved_ids)
    rows = list(
        projects.filter(in_horizon, stage__in=(*MODEL_STAGES, Stage.CLOSING)).values_list(
            "pk",
            "code",
            "name",
            "stage",
            "budget",
            "expected_benefit",
            "annual_benefit",
            "is_mandatory",
            "start_date",
            "end_date",
        )
    )
    # A moved project starts (and ends) that many months later; committed ones never move.
    shift: dict[int, int] = {}
    for index, row in enumerate(rows):
        pid, stage, start, end = row[0], row[3], row[8], row[9]
        if pid in (start_months or {}) and stage not in (*COMMITTED_STAGES, Stage.CLOSING):
            months_moved = month_key_offset(start, start_months[pid])
            if months_moved:
                shift[pid] = months_moved
                rows[index] = (
                    *row[:8],
                    shift_months(start, months_moved),
                    shift_months(end, months_moved),
                )
    rows = [row for row in rows if row[8] <= horizon_end]
    model_rows = [row for row in rows if row[3] in MODEL_STAGES]
    model_ids = [row[0] for row in model_rows]
    committed_ids = frozenset(row[0] for row in model_rows if row[3] in COMMITTED_STAGES)
    model_projects = projects.filter(in_horizon, stage__in=MODEL_STAGES)

    def spend(amount, start, end) -> dict[str, float]:
        """`amount` spread evenly over the months from `start` to `end`, per planning year."""
        first, last = month_start(start), month_start(end)
        monthly = float(amount) / month_count(first, last)
        costs: dict[str, float] = defaultdict(float)
        for index, month in enumerate(months):
            if first <= month <= last:
                costs[year_of[index]] += monthly
        return dict(costs)

    # Actual cost to date of the committed projects (docs/formulas.md: AC, cost entries dated
    # on or before the day).
    actual = dict(
        CostEntry.objects.filter(
            project__in=projects.filter(
                stage__in=(*COMMITTED_STAGES, Stage.CLOSING), start_date__lte=horizon_end
            ),
            date__lte=as_of,
        )
        .values("project_id")
        .annotate(total=Sum("amount"))
        .values_list("project_id", "total")
    )

    def costs_of(pid, stage, amount, start, end) -> dict[str, float]:
        if stage not in (*COMMITTED_STAGES, Stage.CLOSING):
            return spend(amount, start, end)
        remaining = max(Decimal("0"), amount - (actual.get(pid) or Decimal("0")))
        return spend(remaining, max(start, first_month), max(end, first_month))

    committed: dict[str, float] = defaultdict(float)
    for pid, _code, _name, stage, amount, _eb, _ab, _m, start, end in rows:
        if stage == Stage.CLOSING:
            for year, cost in costs_of(pid, stage, amount, start, end).items():
                committed[year] += cost

    # 2–3. Links. A link to a project outside the model is settled here, once.
    requires, excludes = defaultdict(set), defaultdict(set)
    blocked: dict[int, str] = {}
    model_set = set(model_ids)
    for source, target, target_stage, target_code in Project.requires.through.objects.filter(
        from_project__in=model_projects
    ).values_list("from_project_id", "to_project_id", "to_project__stage", "to_project__code"):
        if target in model_set:
            requires[source].add(target)
        elif target_stage not in REQUIREMENT_MET_STAGES:
            label = Stage(target_stage).label.lower()
            blocked.setdefault(source, f"requires {target_code} ({label})")
    for source, target, target_stage, target_code in Project.excludes.through.objects.filter(
        from_project__in=model_projects
    ).values_list("from_project_id", "to_project_id", "to_project__stage", "to_project__code"):
        if target in model_set:
            excludes[source].add(target)
        elif target_stage in REQUIREMENT_MET_STAGES:
            label = Stage(target_stage).label.lower()
            blocked.setdefault(source, f"excludes {target_code} ({label})")

    # 4–6. Hours: the model's allocations, and the confirmed ones of committed projects
    # outside it, with the calendars their FTE converts with.
    standard_hours = _calendar_standard_hours(months)
    window = {"start_month__lte": months[-1], "end_month__gte": months[0]}
    fields = ("project_id", "role__name", "unit", "amount", "start_month", "end_month")
    demand: dict[int, dict[tuple[str, str], float]] = defaultdict(lambda: defaultdict(float))

    def add_demand(pid, role, index, hours):
        demand[pid][(role, month_keys[index])] += float(hours)

    _spread_allocations(
        _shift_allocations(
            Allocation.objects.filter(
                Q(**window) | Q(project_id__in=list(shift)), project__in=model_projects
            )
            .exclude(status=AllocationStatus.REJECTED)
            .values_list(*fields, "resource__calendar_id"),
            shift,
        ),
        months,
        month_index,
        standard_hours,
        add_demand,
    )
    outside: dict[tuple[str, str], float] = defaultdict(float)

    def add_outside(_pid, role, index, hours):
        outside[(role, month_keys[index])] += float(hours)

    _spread_allocations(
        Allocation.objects.filter(
            status=AllocationStatus.CONFIRMED, project__stage__in=ACTIVE_STAGES, **window
        )
        .exclude(project__in=model_projects)
        .values_list(*fields, "resource__calendar_id"),
        months,
        month_index,
        standard_hours,
        add_outside,
    )

    # 7. Capacity of every role and month (resources.selectors: the formulas live there).
    grid = role_capacity_grid(first_month=first_month, month_count=horizon_months)
    capacity: dict[tuple[str, str], float] = {}
    for row in grid.rows:
        for month_key, cell in zip(month_keys, row.cells, strict=True):
            cell_key = (row.label, month_key)
            capacity[cell_key] = float(cell.capacity) - outside.get(cell_key, 0.0)
    for role, changes in (capacity_changes or {}).items():
        for month_key, hours in changes.items():
            if (role, month_key) in capacity:
                capacity[(role, month_key)] += float(hours)

    # 8. Deferred: on hold since a gate decision took them from idea or candidate.
    latest_from: dict[int, str] = {}
    for pid, from_stage in (
        GateDecision.objects.filter(project__in=model_projects, project__stage=Stage.ON_HOLD)
        .order_by("project_id", "-decided_on", "-recorded_at", "-pk")
        .values_list("project_id", "from_stage")
    ):
        latest_from.setdefault(pid, from_stage)

    # 9. Priority scores (portfolio.priority: the one formula).
    scores = priority_scores(project_ids=model_ids)
    known = [float(score) for score in scores.values() if score is not None]
    fallback = statistics.median(known) if known else UNSCORED_DEFAULT

    candidates = []
    for pid, code, name, stage, amount, expected, annual, mandatory, start, end in model_rows:
        benefit = float(expected) or float(annual) * BENEFIT_YEARS_WITHOUT_TOTAL
        score = scores.get(pid)
        used_score = fallback if score is None else float(score)
        candidates.append(
            Candidate(
                id=pid,
                code=code,
                name=name,
                stage=stage,
                value=benefit * used_score / 100,
                score=used_score,
                scored=score is not None,
                benefit=benefit,
                budget=float(amount),
                costs=costs_of(pid, stage, amount, start, end),
                demand=dict(demand.get(pid, {})),
                mandatory=mandatory,
                requires=frozenset(requires.get(pid, ())),
                excludes=frozenset(excludes.get(pid, ())),
                blocked=blocked.get(pid, ""),
                deferred_from=latest_from.get(pid, "")
                if stage == Stage.ON_HOLD and latest_from.get(pid) in PIPELINE_STAGES
                else "",
            )
        )
    share: dict[str, int] = defaultdict(int)
    for label in year_of:
        share[label] += 1
    return SelectionInput(
        candidates=tuple(candidates),
        budget=float(budget),
        years=tuple(
            PlanningYear(label=label, share=count / 12, committed=committed.get(label, 0.0))
            for label, count in share.items()
        ),
        capacity=capacity,
        forced_in=frozenset(forced_in) & (model_set - committed_ids),
        forced_out=frozenset(forced_out) & (model_set - committed_ids),
        stopped=frozenset(stopped) & committed_ids,
        months=tuple(month_keys),
    )
