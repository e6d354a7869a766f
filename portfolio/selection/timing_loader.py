"""The timing input of a portfolio, read from the database in a fixed number of queries: the
selection input of `loader` (values, budgets, capacity, links) and, per candidate, the months
it may start in, its duration, its role demand and spend as profiles relative to its start,
its market window, and the portfolio's synergy groups and sequences.

- Start months: an approved or running project (committed), and one the scenario stops,
  starts where its plan has it. Any other project may start in any month of its window
  (`Project.start_window`: earliest to latest start, each defaulting to the planned start)
  that lies inside the horizon, and always in its planned start (even one already past, as
  the fixed-start model has it), so fixed windows give today's model back.
- The planned start is the plan's start month, or the scenario's start month for it.
- Duration: the calendar months from the planned start month to the planned end month.
- Role demand: each requested or confirmed allocation, month by month (FTE converted with
  the standard hours of the month it is planned in), keyed by its offset from the planned
  start, so it moves with the start. A committed project's profile starts at the current
  month (what is left of it), like its spend.
- Spend: the budget spread evenly over the duration (a pipeline project), or what is left of
  it (budget less the actual cost to date) spread from the current month (a committed one),
  as `loader` counts it; by offset from the planned start.
- Market window: the target launch month and the value lost per month of delay (a
  fraction: 10 % is 0.1), and the deadline month.
- Synergies: the portfolio's groups whose members are all in the model, or done or funded
  outside it (approved, in progress, closing, closed: they count as chosen, so the group is
  the members left in the model). A group with a member that can no longer be chosen
  (cancelled, or starting after the horizon) is left out: it cannot be realised.
- Sequences: the finish-to-start dependencies between two projects of the model whose
  successor's start is still to be chosen (a committed successor's dependencies are tracked
  on the dependency pages), with their lag in months (the largest, when two dependencies
  join the same pair). A dependency on a milestone of the predecessor counts from that
  milestone's month, not the predecessor's finish: its lag is shortened (possibly below 0)
  by the predecessor's months after the milestone.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from core.months import add_months, month_count, month_start
from portfolio.models import Synergy
from portfolio.selection.loader import (
    HORIZON_MONTHS,
    REQUIREMENT_MET_STAGES,
    scenario_start_months,
    selection_input,
)
from portfolio.selection.model import COMMITTED_STAGES, SelectionInput
from portfolio.selection.timing import Sequence, TimedCandidate, TimingInput
from portfolio.selection.timing import Synergy as SynergyGroup
from projects.models import CostEntry, DependencyKind, Project, ProjectDependency
from resources.capacity import allocation_hours
from resources.models import Allocation, AllocationStatus
from resources.selectors import calendar_rules


def _key(day: date) -> str:
    return f"{day:%Y-%m}"


def _offset(start: date, month: date) -> int:
    """Months from `start`'s month to `month`'s (negative: before it)."""
    return (month.year - start.year) * 12 + month.month - start.month


def timing_input(
    *,
    portfolio,
    as_of: date,
    budget: Decimal | float | None = None,
    scenario=None,
    horizon_months: int = HORIZON_MONTHS,
) -> TimingInput:
    """The timing input of one portfolio (with the scenario's budget, forced and stopped
    projects, capacity changes and start months)."""
    base = selection_input(
        portfolio=portfolio,
        as_of=as_of,
        budget=budget,
        scenario=scenario,
        horizon_months=horizon_months,
    )
    return load_timing_input(
        base=base,
        as_of=as_of,
        fiscal_year_start_month=portfolio.fiscal_year_start_month,
        start_months=scenario_start_months(scenario),
    )


def load_timing_input(
    *,
    base: SelectionInput,
    as_of: date,
    fiscal_year_start_month: int = 1,
    start_months: dict[int, str] | None = None,
) -> TimingInput:
    """Add the timing of `base`'s candidates (read by id, whatever portfolios they are in)
    and their synergies and sequences: a fixed number of queries, however many candidates."""
    start_months = start_months or {}
    first_month = month_start(as_of)
    horizon = [add_months(first_month, n) for n in range(len(base.months))]
    last_month = horizon[-1] if horizon else first_month
    by_id = base.by_id()
    ids = list(by_id)

    # 1. The plan and the window of each candidate.
    projects = {
        project.pk: project
        for project in Project.objects.filter(pk__in=ids).only(
            "pk",
            "stage",
            "start_date",
            "end_date",
            "budget",
            "earliest_start",
            "latest_start",
            "target_launch",
            "value_decay_percent",
            "value_deadline",
        )
    }
    committed = {pid for pid in ids if by_id[pid].stage in COMMITTED_STAGES}

    # 2. Actual cost to date of committed projects (what is left is what they still spend).
    actual = dict(
        CostEntry.objects.filter(project_id__in=list(committed), date__lte=as_of)
        .values("project_id")
        .annotate(total=Sum("amount"))
        .values_list("project_id", "total")
    )

    # 3–4. Role demand by month offset from the plan's start (calendars: resources).
    rules = calendar_rules()
    demand: dict[int, dict[tuple[str, int], float]] = defaultdict(lambda: defaultdict(float))
    for pid, role, unit, amount, start, end, calendar_id in (
        Allocation.objects.filter(project_id__in=ids)
        .exclude(status=AllocationStatus.REJECTED)
        .values_list(
            "project_id",
            "role__name",
            "unit",
            "amount",
            "start_month",
            "end_month",
            "resource__calendar_id",
        )
    ):
        rule = rules.get(calendar_id, rules[None])
        plan_start = month_start(projects[pid].start_date)
        for index in range(month_count(start, end)):
            month = add_months(start, index)
            if pid in committed and month < first_month:
                continue  # done already: only what is left counts
            hours = float(allocation_hours(unit, amount, rule.standard_hours(month)))
            demand[pid][(role, _offset(plan_start, month))] += hours

    timed = []
    for pid in ids:
        candidate, project = by_id[pid], projects[pid]
        plan_start = month_start(project.start_date)
        plan_end = month_start(project.end_date)
        duration = month_count(plan_start, plan_end)
        moved = start_months.get(pid) if pid not in committed else None
        planned = moved or _key(plan_start)
        if pid in committed:
            remaining = max(Decimal("0"), project.budget - (actual.get(pid) or Decimal("0")))
            first, last = max(plan_start, first_month), max(plan_end, first_month)
            monthly = float(remaining) / month_count(first, last)
            costs = {
                _offset(plan_start, add_months(first, n)): monthly
                for n in range(month_count(first, last))
            }
        else:
            monthly = float(project.budget) / duration
            costs = dict.fromkeys(range(duration), monthly)
        if pid in committed or pid in base.stopped:
            starts = (planned,)
        else:
            low, high = project.start_window
            options = [
                _key(month)
                for month in (add_months(low, n) for n in range(max(month_count(low, high), 0)))
                if first_month <= month <= last_month
            ]
            # The planned start is always one: fixed windows give today's model back.
            starts = tuple(sorted({*options, planned}))
        timed.append(
            TimedCandidate(
                candidate=candidate,
                planned_start=planned,
                starts=starts,
                duration=duration,
                demand_profile=dict(demand.get(pid, {})),
                cost_profile=costs,
                target_month=_key(project.target_launch) if project.target_launch else "",
                decay=float(project.value_decay_percent or 0) / 100,
                deadline=_key(project.value_deadline) if project.value_deadline else "",
            )
        )

    return TimingInput(
        base=base,
        timed=tuple(timed),
        synergies=_synergies(ids),
        sequences=_sequences(ids, projects, committed),
        fiscal_year_start_month=fiscal_year_start_month,
    )


def _synergies(ids: list[int]) -> tuple[SynergyGroup, ...]:
    """Three queries: the groups of the candidates, all their members with their stages, and
    the groups themselves."""
    model = set(ids)
    group_ids = set(
        Synergy.members.through.objects.filter(project_id__in=ids).values_list(
            "synergy_id", flat=True
        )
    )
    members: dict[int, set[int]] = defaultdict(set)
    unreachable: set[int] = set()
    for group_id, pid, stage in Synergy.members.through.objects.filter(
        synergy_id__in=group_ids
    ).values_list("synergy_id", "project_id", "project__stage"):
        if pid in model:
            members[group_id].add(pid)
        elif stage not in REQUIREMENT_MET_STAGES:
            unreachable.add(group_id)
    groups = []
    for synergy in Synergy.objects.filter(pk__in=group_ids - unreachable).order_by("pk"):
        groups.append(
            SynergyGroup(
                id=synergy.pk,
                name=synergy.name,
                members=frozenset(members[synergy.pk]),
                value_bonus=float(synergy.value_bonus),
                cost_saving=float(synergy.cost_saving),
                reason=synergy.reason,
            )
        )
    return tuple(groups)


def _sequences(ids: list[int], projects: dict, fixed: set[int]) -> tuple[Sequence, ...]:
    """One query. A dependency on a milestone of the predecessor counts from that milestone
    (its forecast, else baseline, month): the lag is shortened by the predecessor's months
    after it. A successor whose start is fixed (committed) has nothing to choose: its
    dependencies are tracked on the dependency pages, not imposed here."""
    lags: dict[tuple[int, int], int] = {}
    reasons: dict[tuple[int, int], str] = {}
    movable = [pid for pid in ids if pid not in fixed]
    for before, after, lag, deliverable, description, forecast, baseline in (
        ProjectDependency.objects.filter(
            kind=DependencyKind.FINISH_TO_START, predecessor_id__in=ids, successor_id__in=movable
        )
        .order_by("pk")
        .values_list(
            "predecessor_id",
            "successor_id",
            "lag_months",
            "deliverable",
            "description",
            "predecessor_milestone__forecast_date",
            "predecessor_milestone__baseline_date",
        )
    ):
        delivered = forecast or baseline
        if delivered:
            predecessor = projects[before]
            end = month_start(predecessor.end_date)
            months_after = max(0, _offset(month_start(delivered), end))
            lag -= months_after
        pair = (before, after)
        if pair not in lags or lag > lags[pair]:
            lags[pair] = lag
            reasons[pair] = " — ".join(p.strip() for p in (deliverable, description) if p.strip())
    return tuple(
        Sequence(before=before, after=after, lag=lag, reason=reasons[(before, after)])
        for (before, after), lag in sorted(lags.items())
    )
