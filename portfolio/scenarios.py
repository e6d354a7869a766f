"""Selection scenarios: saving a named what-if (budget, capacity changes, forced and
stopped projects), comparing two or three side by side, and committing one.

Services (writes) come first, then the selectors the pages read. Every service checks the
caller's right itself (PMO and portfolio managers: `access.can_manage_portfolio`) and runs in
one transaction.

Approved and in-progress projects are committed: every slate holds them, and a scenario
takes one out only by stopping it. Committing a scenario applies
`selection.report.commit_move` to each project, each move a gate decision recorded by
`services.record_gate_decision` ("Committed scenario <name>", so the project page shows why
and django-simple-history who): chosen candidates with a priority score are approved, chosen
ideas become candidates, ideas and candidates left out are put on hold (the pages call them
"deferred"; Stage has no such value), and stopped projects get a no-go. Nothing else
changes: a chosen candidate without a score stays a candidate, and the outcome says so.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from core import access, events
from core.months import month_key_offset
from portfolio import services
from portfolio.models import GateOutcome, ObjectiveContribution, Scenario
from portfolio.selection.loader import scenario_start_months, selection_input
from portfolio.selection.model import (
    BUDGET,
    COMMITTED_STAGES,
    MODEL_STAGES,
    Candidate,
    Reason,
    Selection,
    SelectionInput,
    optimise,
)
from portfolio.selection.report import (
    APPROVE,
    DEFER,
    SKIP,
    STOP,
    TO_CANDIDATE,
    CommitMove,
    RoleLoad,
    commit_move,
    role_loads,
    slate_timing_value,
)
from portfolio.selection.timing import SlateValue
from portfolio.strategy import active_objectives, gate_targets, strategic_alignment
from projects import services as project_services
from projects.models import Project
from projects.querysets import Stage
from resources import services as resource_services
from resources.models import Role

MONTH_KEY = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MAX_COMPARED = 3


# --- Services ------------------------------------------------------------------------------


def _require_manager(user, portfolio):
    access.require(
        access.can_manage_portfolio(user, portfolio),
        "Only the portfolio's PMO and portfolio managers may change its scenarios.",
    )


def clean_capacity_changes(changes) -> dict[str, dict[str, float]]:
    """{role name: {"YYYY-MM": hours}} with known roles, valid months and non-zero hours (an
    hour figure may be negative: fewer hours); zero entries are dropped."""
    if not changes:
        return {}
    if not isinstance(changes, Mapping):
        raise ValidationError({"capacity_changes": "Give hours per role per month."})
    known = set(Role.objects.filter(name__in=list(changes)).values_list("name", flat=True))
    errors, cleaned = [], {}
    for role, months in changes.items():
        if role not in known:
            errors.append(f"There is no role named “{role}”.")
            continue
        if not isinstance(months, Mapping):
            errors.append(f"{role}: give hours per month.")
            continue
        for month, hours in months.items():
            if not MONTH_KEY.match(str(month)):
                errors.append(f"{role}: “{month}” is not a month (YYYY-MM).")
                continue
            try:
                amount = Decimal(str(hours))
            except (InvalidOperation, ValueError):
                errors.append(f"{role} {month}: “{hours}” is not a number of hours.")
                continue
            if not amount.is_finite() or abs(amount) > 100_000:
                errors.append(f"{role} {month}: {hours} hours is out of range.")
                continue
            if amount:
                cleaned.setdefault(role, {})[str(month)] = float(amount)
    if errors:
        raise ValidationError({"capacity_changes": errors})
    return {role: dict(sorted(months.items())) for role, months in sorted(cleaned.items())}


def _check_forced(portfolio, forced_in, forced_out, stopped):
    """Ideas, candidates and on-hold projects are forced in or out; approved and in-progress
    ones are committed, so a scenario can only stop them."""
    forced_in, forced_out = set(forced_in), set(forced_out)
    errors = {}
    both = forced_in & forced_out
    if both:
        codes = ", ".join(sorted(p.code for p in both))
        errors["forced_out"] = f"Forced in and out at once: {codes}."
    rows = Project.objects.filter(portfolio=portfolio, stage__in=MODEL_STAGES).values_list(
        "pk", "stage", "is_mandatory"
    )
    stages = {pk: stage for pk, stage, _mandatory in rows}
    mandatory = {pk for pk, _stage, is_mandatory in rows if is_mandatory}
    for name, projects in (("forced_in", forced_in), ("forced_out", forced_out)):
        strays = sorted(p.code for p in projects if p.pk not in stages)
        if strays:
            errors.setdefault(name, []).append(
                "Only this portfolio's ideas, candidates and on-hold projects can be forced: "
                f"{', '.join(strays)}."
            )
        running = sorted(p.code for p in projects if stages.get(p.pk) in COMMITTED_STAGES)
        if running:
            errors.setdefault(name, []).append(
                f"{', '.join(running)} already run or are approved: every slate keeps them, "
                "and a scenario can only stop them."
            )
    strays = sorted(p.code for p in stopped if stages.get(p.pk) not in COMMITTED_STAGES)
    if strays:
        errors.setdefault("stopped", []).append(
            "Only this portfolio's approved and in-progress projects can be stopped: "
            f"{', '.join(strays)}."
        )
    required = sorted(p.code for p in stopped if p.pk in mandatory)
    if required:
        errors.setdefault("stopped", []).append(
            f"A scenario cannot stop a mandatory project: {', '.join(required)}."
        )
    if errors:
        raise ValidationError(errors)


def clean_start_months(portfolio, start_months) -> dict[str, str]:
    """{project id: "YYYY-MM"} (keys and months as strings, dates accepted) naming projects of
    the portfolio the selection may move (ideas, candidates, on hold: an approved or running
    project's start is fixed) and months inside each one's start window. A month equal to
    the planned start is dropped: the project does not move."""
    if not start_months:
        return {}
    if not isinstance(start_months, Mapping):
        raise ValidationError({"start_months": "Give a start month per project."})
    months: dict[int, str] = {}
    errors = []
    for key, month in start_months.items():
        try:
            pid = int(key)
        except (TypeError, ValueError):
            errors.append(f"“{key}” is not a project.")
            continue
        text = f"{month:%Y-%m}" if isinstance(month, date) else str(month or "")
        if not MONTH_KEY.match(text):
            errors.append(f"Project {pid}: “{month}” is not a month (YYYY-MM).")
            continue
        months[pid] = text
    projects = Project.objects.filter(portfolio=portfolio, pk__in=list(months)).only(
        "pk", "code", "stage", "start_date", "earliest_start", "latest_start", "portfolio_id"
    )
    found = {project.pk: project for project in projects}
    cleaned = {}
    for pid, text in sorted(months.items()):
        project = found.get(pid)
        if project is None or project.stage not in MODEL_STAGES:
            errors.append(
                f"Project {pid} is not one of this portfolio's ideas, candidates or on-hold "
                "projects: only they move."
            )
            continue
        if project.stage in COMMITTED_STAGES:
            errors.append(
                f"{project.code} is {project.get_stage_display().lower()}: its start is fixed "
                f"at its plan ({project.start_date:%b %Y})."
            )
            continue
        first, last = project.start_window
        if not (f"{first:%Y-%m}" <= text <= f"{last:%Y-%m}"):
            window = f"{first:%b %Y}" if first == last else f"{first:%b %Y} – {last:%b %Y}"
            errors.append(
                f"{project.code} may start only in {window}, not {_month_label(text)}: "
                "widen its start window on its business case first."
            )
            continue
        if text != f"{project.start_date:%Y-%m}":
            cleaned[str(pid)] = text
    if errors:
        raise ValidationError({"start_months": errors})
    return cleaned


def _month_label(key: str) -> str:
    return f"{date(int(key[:4]), int(key[5:7]), 1):%b %Y}"


@transaction.atomic
def scenario_save(*, portfolio, data: dict, by, scenario: Scenario | None = None) -> Scenario:
    """Create (`scenario` None) or update a scenario from `data`: name, description,
    budget_limit, forced_in, forced_out, stopped (projects), capacity_changes and
    start_months (`clean_start_months`; left as they are when `data` has none)."""
    _require_manager(by, portfolio)
    if scenario is not None and (
        scenario.committed_at
        or Scenario.objects.filter(pk=scenario.pk, committed_at__isnull=False).exists()
    ):
        raise ValidationError(
            "This scenario is committed: it records a decision and no longer changes. "
            "Save a new scenario instead."
        )
    forced_in = list(data.get("forced_in") or [])
    forced_out = list(data.get("forced_out") or [])
    stopped = list(data.get("stopped") or [])
    _check_forced(portfolio, forced_in, forced_out, stopped)
    if scenario is None:
        scenario = Scenario(portfolio=portfolio, created_by=by)
    scenario.name = data["name"]
    scenario.description = data.get("description", "")
    scenario.budget_limit = data["budget_limit"]
    scenario.capacity_changes = clean_capacity_changes(data.get("capacity_changes"))
    if "start_months" in data:
        scenario.start_months = clean_start_months(portfolio, data["start_months"])
    named_alike = Scenario.objects.filter(portfolio=portfolio, name=scenario.name)
    if named_alike.exclude(pk=scenario.pk).exists():
        raise ValidationError(
            {"name": f"This portfolio already has a scenario named “{scenario.name}”."}
        )
    scenario.full_clean()
    scenario.save()
    scenario.forced_in.set(forced_in)
    scenario.forced_out.set(forced_out)
    scenario.stopped.set(stopped)
    return scenario


@transaction.atomic
def scenario_keep_starts(
    *,
    portfolio,
    by,
    start_months: Mapping[str, str],
    chosen: Iterable[int],
    scenario: Scenario | None = None,
    name: str = "",
    budget_limit: Decimal | None = None,
) -> Scenario:
    """Keep a timing plan in a scenario (the timing view's "save"): its start months
    (`clean_start_months`) and its chosen pipeline projects forced in, so that the scenario's
    slate and its commit fund the plan at those starts. A new scenario (`scenario` None) is
    named `name` with `budget_limit`; an open one keeps its settings, its forced projects
    gaining the plan's."""
    _require_manager(by, portfolio)
    chosen = set(chosen)
    if scenario is None:
        data = {"name": name, "description": "", "budget_limit": budget_limit}
        forced_in, forced_out, stopped = chosen, set(), set()
    else:
        data = {
            "name": scenario.name,
            "description": scenario.description,
            "budget_limit": scenario.budget_limit,
            "capacity_changes": scenario.capacity_changes,
        }
        forced_out = set(scenario.forced_out.all())
        stopped = set(scenario.stopped.all())
        forced_in = set(scenario.forced_in.values_list("pk", flat=True)) | chosen
        forced_in -= {p.pk for p in forced_out}
    projects = {p.pk: p for p in Project.objects.filter(portfolio=portfolio, pk__in=forced_in)}
    data.update(
        forced_in=[projects[pk] for pk in sorted(forced_in) if pk in projects],
        forced_out=sorted(forced_out, key=lambda p: p.pk),
        stopped=sorted(stopped, key=lambda p: p.pk),
        start_months=dict(start_months),
    )
    return scenario_save(portfolio=portfolio, data=data, by=by, scenario=scenario)


@dataclass(frozen=True)
class CommitPlan:
    """What committing would do: the slate, and each project's move (`commit_move`)."""

    data: SelectionInput
    selection: Selection
    moves: Mapping[int, CommitMove]

    def _kind(self, kind: str) -> tuple[Candidate, ...]:
        return tuple(c for c in self.data.candidates if self.moves[c.id].kind == kind)

    @property
    def approve(self) -> tuple[Candidate, ...]:
        return self._kind(APPROVE)

    @property
    def to_candidate(self) -> tuple[Candidate, ...]:
        return self._kind(TO_CANDIDATE)

    @property
    def defer(self) -> tuple[Candidate, ...]:
        return self._kind(DEFER)

    @property
    def stop(self) -> tuple[Candidate, ...]:
        return self._kind(STOP)

    @property
    def skipped(self) -> list[tuple[Candidate, str]]:
        """Projects in the slate that committing does not approve, with why."""
        return [
            (c, self.moves[c.id].note)
            for c in self.data.candidates
            if self.moves[c.id].kind in (SKIP, TO_CANDIDATE)
        ]

    @property
    def untouched_rejected(self) -> tuple[Candidate, ...]:
        """On-hold projects (paused, not deferred) the slate leaves out: left as they are."""
        return tuple(
            c
            for c in self.data.candidates
            if c.id not in self.selection.chosen
            and not c.is_pipeline
            and c.id not in self.data.stopped
        )

    @property
    def deferrals(self) -> list[tuple[Candidate, Reason | None]]:
        """Each deferred project with the first constraint that keeps it out."""
        return [(c, next(iter(self.selection.reasons.get(c.id, ())), None)) for c in self.defer]

    @property
    def moving(self) -> list[Candidate]:
        return sorted(
            (c for c in self.data.candidates if self.moves[c.id].changes), key=lambda c: c.code
        )


def scenario_commit_plan(*, scenario: Scenario, as_of: date) -> CommitPlan:
    data = selection_input(portfolio=scenario.portfolio, as_of=as_of, scenario=scenario)
    result = optimise(data)
    return CommitPlan(
        data=data,
        selection=result,
        moves={
            c.id: commit_move(c, chosen=c.id in result.chosen, stopped=c.id in data.stopped)
            for c in data.candidates
        },
    )


@dataclass(frozen=True)
class CommitOutcome:
    scenario: Scenario
    approved: tuple[str, ...]
    deferred: tuple[str, ...]
    to_candidate: tuple[str, ...] = ()
    stopped: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()  # (code, why it was not approved)
    # (code, planned start, new start "YYYY-MM") of each chosen project the scenario moved
    moved: tuple[tuple[str, str, str], ...] = ()
    # codes of the moved projects whose baseline moves by a (proposed) change request
    change_requests: tuple[str, ...] = ()


def _codes(candidates: Iterable[Candidate]) -> tuple[str, ...]:
    return tuple(sorted(c.code for c in candidates))


def _gate(plan: CommitPlan, candidate: Candidate, scenario: Scenario) -> tuple[str, str, str]:
    """The gate decision that makes a move: (to stage, outcome, rationale)."""
    move = plan.moves[candidate.id]
    rationale = f"Committed scenario {scenario.name}."
    if move.kind == APPROVE:
        return Stage.APPROVED, GateOutcome.GO, rationale
    if move.kind == TO_CANDIDATE:
        return Stage.CANDIDATE, GateOutcome.GO, f"{rationale} Chosen in its slate; {move.note}."
    # Deferring holds the project at its next gate; stopping is a no-go there.
    to_stage = gate_targets(candidate.stage)[0]
    if move.kind == DEFER:
        first = plan.selection.reasons.get(candidate.id, ())
        why = f" Deferred: {first[0]}." if first else " Deferred."
        return to_stage, GateOutcome.HOLD, rationale + why
    reason = (scenario.description or "").strip()
    stop = f" Stopped by the scenario: {reason}" if reason else " Stopped by the scenario."
    return to_stage, GateOutcome.NO_GO, rationale + stop


def _move_starts(plan: CommitPlan, scenario: Scenario, by):
    """Move the plan of every chosen project the scenario starts in another month, through
    the projects' and resources' services (dates, milestones, allocations; a change request
    for a baselined one). The start months are checked again first: a plan or window that
    changed since the scenario was saved refuses the commit, naming the project."""
    starts = clean_start_months(scenario.portfolio, scenario.start_months)
    chosen = [int(pid) for pid in starts if int(pid) in plan.selection.chosen]
    projects = Project.objects.select_related("portfolio").in_bulk(chosen)
    moved, change_requests = [], []
    for pid in sorted(chosen, key=lambda p: projects[p].code):
        project = projects[pid]
        months = month_key_offset(project.start_date, starts[str(pid)])
        before = f"{project.start_date:%Y-%m}"
        change = project_services.project_move_start(
            project=project,
            months=months,
            by=by,
            reason=f"Committed scenario {scenario.name} starts it in "
            f"{_month_label(starts[str(pid)])} instead of {_month_label(before)}.",
        )
        resource_services.allocations_move(project=project, months=months, by=by)
        moved.append((project.code, before, starts[str(pid)]))
        if change is not None:
            change_requests.append(project.code)
    return tuple(moved), tuple(change_requests)


def scenario_commit(*, scenario: Scenario, by, as_of: date | None = None) -> CommitOutcome:
    """Commit the scenario's optimal slate (see the module docstring). Refused, with nothing
    changed, when the scenario is already committed or has no feasible slate."""
    portfolio = scenario.portfolio
    _require_manager(by, portfolio)
    as_of = as_of or timezone.localdate()
    with transaction.atomic():
        locked = Scenario.objects.select_for_update().get(pk=scenario.pk)
        if locked.committed_at:
            raise ValidationError(
                f"Scenario “{locked.name}” was already committed on "
                f"{timezone.localtime(locked.committed_at):%d %b %Y}."
            )
        plan = scenario_commit_plan(scenario=locked, as_of=as_of)
        if not plan.selection.ok:
            raise ValidationError(
                f"Scenario “{locked.name}” has no slate to commit: {plan.selection.message}"
            )
        moved, change_requests = _move_starts(plan, locked, by)
        moving = plan.moving
        projects = Project.objects.in_bulk([c.id for c in moving])
        for candidate in moving:
            to_stage, outcome, rationale = _gate(plan, candidate, locked)
            services.record_gate_decision(
                project=projects[candidate.id],
                to_stage=to_stage,
                outcome=outcome,
                decided_on=as_of,
                rationale=rationale,
                by=by,
                # Committing is the PMO's explicit decision on the whole slate: a go past the
                # gate's checklist (not assessed here) is recorded as an override naming it.
                override_reason=(
                    f"Chosen in committed scenario “{locked.name}”; the gate criteria were not "
                    "assessed one by one."
                ),
            )
        locked.committed_by = by
        locked.committed_at = timezone.now()
        locked.save(update_fields=["committed_by", "committed_at"])
        scenario.committed_by, scenario.committed_at = locked.committed_by, locked.committed_at
        outcome = CommitOutcome(
            scenario=locked,
            approved=_codes(plan.approve),
            deferred=_codes(plan.defer),
            to_candidate=_codes(plan.to_candidate),
            stopped=_codes(plan.stop),
            skipped=tuple(sorted((c.code, note) for c, note in plan.skipped)),
            moved=moved,
            change_requests=change_requests,
        )
        events.publish(
            events.SCENARIO_COMMITTED,
            {
                "scenario": {"id": locked.pk, "name": locked.name},
                "committed_by": events.person_ref(by),
                "committed_at": locked.committed_at,
                "as_of": as_of,
                "approved": list(outcome.approved),
                "to_candidate": list(outcome.to_candidate),
                "deferred": list(outcome.deferred),
                "stopped": list(outcome.stopped),
                "skipped": [{"code": code, "why": why} for code, why in outcome.skipped],
            },
            portfolio_id=portfolio.pk,
        )
    return outcome


# --- Selectors -----------------------------------------------------------------------------


def portfolio_scenarios(*, portfolio):
    """The portfolio's scenarios, newest first, with their authors, forced and stopped
    counts."""
    return (
        Scenario.objects.filter(portfolio=portfolio)
        .select_related("created_by", "committed_by")
        .annotate(
            forced_in_count=Count("forced_in", distinct=True),
            forced_out_count=Count("forced_out", distinct=True),
            stopped_count=Count("stopped", distinct=True),
        )
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class StartMove:
    project: Project
    planned: date  # its plan's start month
    month: date  # the scenario's


def scenario_start_moves(*, scenario: Scenario) -> list[StartMove]:
    """The projects the scenario starts in another month than planned, by code (one query)."""
    months = scenario_start_months(scenario)
    projects = Project.objects.filter(portfolio_id=scenario.portfolio_id, pk__in=list(months))
    return [
        StartMove(
            project=project,
            planned=project.start_date.replace(day=1),
            month=date(int(months[project.pk][:4]), int(months[project.pk][5:7]), 1),
        )
        for project in projects.order_by("code")
    ]


def capacity_change_ranges(changes: Mapping[str, Mapping[str, float]]) -> list[dict]:
    """The stored {role: {month: hours}} as rows of consecutive months with the same hours,
    as people enter them: [{"role", "first_month", "last_month", "hours"}]."""
    rows = []
    for role, months in sorted((changes or {}).items()):
        run = None
        for month, hours in sorted(months.items()):
            if run and run["hours"] == hours and _next_month(run["last_month"]) == month:
                run["last_month"] = month
                continue
            run = {"role": role, "first_month": month, "last_month": month, "hours": hours}
            rows.append(run)
    return rows


def _next_month(key: str) -> str:
    year, month = int(key[:4]), int(key[5:])
    return f"{year + month // 12}-{month % 12 + 1:02d}"


def expand_capacity_ranges(rows: Iterable[Mapping]) -> dict[str, dict[str, float]]:
    """Rows of (role name, first month, last month, hours per month) as stored JSON; rows on
    the same role and month add up."""
    changes: dict[str, dict[str, float]] = defaultdict(dict)
    for row in rows:
        month, last = f"{row['first_month']:%Y-%m}", f"{row['last_month']:%Y-%m}"
        while month <= last:
            hours = changes[row["role"]].get(month, 0.0) + float(row["hours"])
            changes[row["role"]][month] = hours
            month = _next_month(month)
    return {role: months for role, months in changes.items() if months}


@dataclass(frozen=True)
class ScenarioOutcome:
    scenario: Scenario
    data: SelectionInput
    selection: Selection
    loads: dict[str, RoleLoad]
    timing_value: SlateValue | None = None  # with market windows and synergies

    @property
    def spend(self) -> float:
        return sum(v for k, v in self.selection.usage.items() if k[0] == BUDGET)

    def year_spend(self, label: str) -> float:
        return self.selection.usage.get((BUDGET, label), 0.0)


@dataclass(frozen=True)
class ComparisonRow:
    label: str
    cells: list
    differs: bool = False
    project_id: int | None = None


# A project in a compared slate: chosen (a candidate), committed (running, reserved first),
# stop (the scenario stops it), out; None when the scenario has no slate.
CHOSEN, COMMITTED, STOPPED, OUT = "chosen", "committed", "stop", "out"


def _project_cell(outcome: ScenarioOutcome, pid: int) -> str | None:
    if not outcome.selection.ok:
        return None
    if pid in outcome.data.stopped:
        return STOPPED
    if pid in outcome.selection.chosen:
        return COMMITTED if pid in outcome.data.committed else CHOSEN
    return OUT


@dataclass(frozen=True)
class Comparison:
    outcomes: list[ScenarioOutcome]
    years: list[ComparisonRow]
    projects: list[ComparisonRow]  # cells: _project_cell per scenario
    roles: list[ComparisonRow]  # cells: RoleLoad | None per scenario
    objectives: list[ComparisonRow] | None  # cells: alignment per scenario; None: unavailable
    alignment_note: str = ""

    @property
    def timing_differs(self) -> bool:
        """Whether market windows, synergies or sequences change any slate's value."""
        return any(
            o.timing_value and (o.timing_value.differs or o.timing_value.broken_sequences)
            for o in self.outcomes
        )


def _alignment(portfolio, slates: list[frozenset[int]], as_of: date):
    """Per active objective, how strongly each slate serves it: its projects' contributions
    (none 0 … high 3) summed, as % of every project contributing "high"; and the slate's
    mean strategic alignment (portfolio.strategy). Three queries."""
    objectives = active_objectives(portfolio=portfolio, as_of=as_of)
    if not objectives:
        return None, "The portfolio has no active strategic objectives to align with."
    everyone = sorted(set().union(*slates))
    levels: dict[tuple[int, int], int] = {
        (project_id, objective_id): level
        for project_id, objective_id, level in ObjectiveContribution.objects.filter(
            project_id__in=everyone, objective__in=objectives
        ).values_list("project_id", "objective_id", "contribution")
    }
    alignment = strategic_alignment(project_ids=everyone, as_of=as_of)
    rows = []
    for objective in objectives:
        cells = []
        for slate in slates:
            points = sum(levels.get((pid, objective.pk), 0) for pid in slate)
            cells.append(points * 100 / (3 * len(slate)) if slate else None)
        rows.append(
            ComparisonRow(
                label=f"{objective.name} ({objective.weight.normalize():f} %)", cells=cells
            )
        )
    means = []
    for slate in slates:
        known = [alignment[pid] for pid in slate if alignment.get(pid) is not None]
        means.append(sum(known) / len(known) if known else None)
    rows.append(ComparisonRow(label="Mean strategic alignment", cells=means, differs=True))
    return rows, ""


def scenario_comparison(*, portfolio, scenarios: list[Scenario], as_of: date) -> Comparison:
    """Two or three scenarios side by side: value, spend per planning year, the projects each
    funds or stops, resource load per role and, when available, alignment per objective."""
    outcomes = []
    for scenario in scenarios:
        data = selection_input(portfolio=portfolio, as_of=as_of, scenario=scenario)
        result = optimise(data)
        outcomes.append(
            ScenarioOutcome(
                scenario=scenario,
                data=data,
                selection=result,
                loads={load.role: load for load in role_loads(data, result)},
                timing_value=slate_timing_value(
                    data, result, portfolio=portfolio, as_of=as_of, scenario=scenario
                ),
            )
        )
    labels = []
    for outcome in outcomes:
        labels.extend(y.label for y in outcome.data.years if y.label not in labels)
    years = [
        ComparisonRow(label=label, cells=[o.year_spend(label) for o in outcomes])
        for label in labels
    ]
    candidates: dict[int, Candidate] = {}
    for outcome in outcomes:
        candidates.update(outcome.data.by_id())
    shown = set().union(*(o.selection.chosen | o.data.stopped for o in outcomes))
    projects = []
    for pid in sorted(shown, key=lambda p: candidates[p].code):
        cells = [_project_cell(o, pid) for o in outcomes]
        candidate = candidates[pid]
        projects.append(
            ComparisonRow(
                label=f"{candidate.code} {candidate.name}".strip(),
                cells=cells,
                differs=len(set(cells)) > 1,
                project_id=pid,
            )
        )
    projects.sort(key=lambda row: (not row.differs, row.label))
    roles_used = sorted(set().union(*(o.loads.keys() for o in outcomes)) if outcomes else set())
    roles = [
        ComparisonRow(label=role, cells=[o.loads.get(role) for o in outcomes])
        for role in roles_used
    ]
    objectives, note = _alignment(portfolio, [o.selection.chosen for o in outcomes], as_of)
    return Comparison(
        outcomes=outcomes,
        years=years,
        projects=projects,
        roles=roles,
        objectives=objectives,
        alignment_note=note,
    )
