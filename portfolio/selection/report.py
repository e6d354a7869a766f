"""What the selection pages show: the optimal slate beside the greedy one, each rejected
project with what keeps it out, the spend per planning year, the load per role, the
constraints that bind, what committed work alone overflows, what committing a scenario
would do to each project, and the efficient frontier of a portfolio."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from portfolio.selection.frontier import (
    FRONTIER_POINT_TIME_LIMIT_SECONDS,
    FrontierPoint,
    efficient_frontier,
)
from portfolio.selection.loader import scenario_start_months, selection_input
from portfolio.selection.model import (
    BUDGET,
    CAPACITY,
    Candidate,
    OverCommitment,
    Reason,
    Selection,
    SelectionInput,
    fits,
    optimise,
)
from portfolio.selection.rank_by_score import greedy, greedy_order
from portfolio.selection.timing import SlateValue, slate_value
from portfolio.selection.timing_loader import load_timing_input
from projects.querysets import Stage

# --- What committing does to a project ------------------------------------------------------

APPROVE, TO_CANDIDATE, DEFER, STOP = "approve", "to_candidate", "defer", "stop"
KEEP, SKIP = "keep", "skip"


@dataclass(frozen=True)
class CommitMove:
    """What committing a scenario does to one project: `kind` (approve, to_candidate,
    defer, stop; keep and skip change nothing), the stage it leaves the project in, and why
    it goes no further when the slate chose it."""

    kind: str
    to_stage: str = ""
    note: str = ""

    @property
    def changes(self) -> bool:
        return self.kind in (APPROVE, TO_CANDIDATE, DEFER, STOP)


def commit_move(candidate: Candidate, *, chosen: bool, stopped: bool) -> CommitMove:
    """The one rule of what a commit may do (docs/formulas.md, "Optimised selection"): a
    slate never takes a project past a gate it has not passed. A chosen candidate with a
    priority score is approved; a chosen idea only becomes a candidate (idea → candidate
    needs no gate, approval does); a chosen candidate without a score stays where it is.
    Ideas and candidates left out are deferred (on hold). A committed project is stopped only
    when the scenario says so; the rest is left as it is."""
    if stopped:
        return CommitMove(STOP, Stage.CANCELLED)
    stage = candidate.pipeline_stage
    if not stage:
        return CommitMove(KEEP)
    if not chosen:
        if candidate.deferred:
            return CommitMove(KEEP)
        return CommitMove(DEFER, Stage.ON_HOLD)
    if stage == Stage.IDEA:
        return CommitMove(
            TO_CANDIDATE,
            Stage.CANDIDATE,
            "an idea is moved to candidate, not approved: approval is the candidate's own "
            "gate, with its business case and priority score",
        )
    if not candidate.scored:
        return CommitMove(
            SKIP,
            note="not approved: it has no priority score (the slate used the median score); "
            "score it, then decide its gate",
        )
    return CommitMove(APPROVE, Stage.APPROVED)


@dataclass(frozen=True)
class YearBudget:
    label: str
    limit: float
    committed: float  # closing projects' spend, outside the selection
    reserved: float  # what is left of the committed projects' budgets, reserved first
    optimised: float  # the slate's spend, the reserved part included
    greedy: float

    @property
    def slack(self) -> float:
        return self.limit - self.optimised


@dataclass(frozen=True)
class RoleLoad:
    role: str
    demand: float  # hours the slate asks of the role over the horizon
    available: float  # hours left for the model's projects over the horizon
    peak_month: str
    peak_utilisation: float | None  # demand ÷ available in the busiest month, %
    full_months: int  # months with no hours left after the slate

    @property
    def utilisation(self) -> float | None:
        return self.demand * 100 / self.available if self.available > 0 else None


def year_budgets(data: SelectionInput, optimised: Selection, greedy_choice: Selection):
    return [
        YearBudget(
            label=year.label,
            limit=data.budget_limit(year, optimised.budget),
            committed=year.committed,
            reserved=data.reserved.get((BUDGET, year.label), 0.0),
            optimised=optimised.usage.get((BUDGET, year.label), 0.0),
            greedy=greedy_choice.usage.get((BUDGET, year.label), 0.0),
        )
        for year in data.years
    ]


def role_loads(data: SelectionInput, selection: Selection) -> list[RoleLoad]:
    """Per role: the slate's hours against the hours left, and its busiest month. Roles the
    slate does not use are left out."""
    by_role: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    for (role, month), available in data.capacity.items():
        demand = selection.usage.get((CAPACITY, role, month), 0.0)
        by_role[role].append((month, demand, max(0.0, available)))
    loads = []
    for role, cells in sorted(by_role.items()):
        demand = sum(cell[1] for cell in cells)
        if not demand:
            continue
        peak = max(cells, key=_pressure)
        loads.append(
            RoleLoad(
                role=role,
                demand=demand,
                available=sum(cell[2] for cell in cells),
                peak_month=peak[0],
                peak_utilisation=peak[1] * 100 / peak[2] if peak[2] else None,
                full_months=sum(
                    1 for _m, hours, available in cells if hours and not fits(hours, 1, available)
                ),
            )
        )
    return loads


def _pressure(cell: tuple[str, float, float]) -> float:
    _month, hours, available = cell
    if available:
        return hours / available
    return float("inf") if hours else 0.0


@dataclass(frozen=True)
class Binding:
    """A budget year, or a role over the months it binds in, and how many projects it keeps
    out."""

    label: str
    projects: int
    months: tuple[str, ...] = ()

    @property
    def months_label(self) -> str:
        if len(self.months) <= 3:
            return ", ".join(self.months)
        return f"{self.months[0]} … {self.months[-1]} ({len(self.months)} months)"


def binding_constraints(data: SelectionInput, selection: Selection) -> list[Binding]:
    """The constraints named in the rejections, capacity grouped by role, with how many
    projects each keeps out, most first: what each constraint costs the portfolio."""
    kept_out: dict[str, set[int]] = defaultdict(set)
    months: dict[str, set[str]] = defaultdict(set)
    for pid, reasons in selection.reasons.items():
        for reason in reasons:
            if reason.kind == BUDGET:
                kept_out[reason.constraint].add(pid)
            elif reason.kind == CAPACITY:
                label, month = reason.constraint.rsplit(" ", 1)
                kept_out[label].add(pid)
                months[label].add(month)
    rows = [
        Binding(label=label, projects=len(pids), months=tuple(sorted(months.get(label, ()))))
        for label, pids in kept_out.items()
    ]
    return sorted(
        rows, key=lambda row: (-row.projects, not row.label.startswith(BUDGET), row.label)
    )


@dataclass(frozen=True)
class OverCommitmentRow:
    """A budget year, or a role over the months its committed work overflows."""

    label: str
    months: tuple[str, ...]
    needed: float
    available: float
    worst: float  # the largest excess in one year or month
    unit: str  # "" (money) or "h"

    @property
    def months_label(self) -> str:
        return Binding(self.label, 0, self.months).months_label


def over_commitment_rows(over: tuple[OverCommitment, ...]) -> list[OverCommitmentRow]:
    """Committed work beyond a limit, the budget years first, capacity grouped by role."""
    groups: dict[str, list[OverCommitment]] = defaultdict(list)
    for item in over:
        groups[item.label if item.kind == BUDGET else f"{CAPACITY} {item.key[1]}"].append(item)
    return [
        OverCommitmentRow(
            label=label,
            months=tuple(item.key[2] for item in items if item.kind == CAPACITY),
            needed=sum(item.needed for item in items),
            available=sum(item.available for item in items),
            worst=max(item.excess for item in items),
            unit="h" if items[0].kind == CAPACITY else "",
        )
        for label, items in groups.items()
    ]


@dataclass(frozen=True)
class SelectionRow:
    candidate: Candidate
    optimised: bool
    greedy: bool
    greedy_rank: int
    reasons: tuple[Reason, ...] = ()  # why the optimiser left it out
    greedy_reasons: tuple[Reason, ...] = ()  # why the greedy ranking left it out
    committed: bool = False  # approved or in progress, not stopped: reserved first
    stopped: bool = False  # a running project the scenario stops
    move: CommitMove = CommitMove(KEEP)  # what committing the slate would do to it

    @property
    def first_reasons(self) -> tuple[Reason, ...]:
        return self.reasons[:3]

    @property
    def more_reasons(self) -> int:
        return max(0, len(self.reasons) - 3)


@dataclass(frozen=True)
class SelectionReport:
    data: SelectionInput
    optimised: Selection
    greedy: Selection
    chosen: list[SelectionRow]
    rejected: list[SelectionRow]
    only_optimised: list[SelectionRow]
    only_greedy: list[SelectionRow]
    years: list[YearBudget]
    loads: list[RoleLoad]
    binding: list[Binding]
    over_commitments: list[OverCommitmentRow]
    # The optimised slate valued as the timing view values it (market windows, synergies).
    timing_value: SlateValue | None = None

    @property
    def broken_sequences(self) -> list[str]:
        """The sequences the slate breaks at its requested starts, for people."""
        if self.timing_value is None:
            return []
        by_id = self.data.by_id()
        return [
            f"{by_id[s.after].code} starts before {by_id[s.before].code} finishes"
            + (f" + {s.lag} month{'s' if s.lag != 1 else ''}" if s.lag > 0 else "")
            for s in self.timing_value.broken_sequences
        ]

    @property
    def committed_value(self) -> float:
        return sum(row.candidate.value for row in self.chosen if row.committed)

    @property
    def committed_count(self) -> int:
        return sum(1 for row in self.chosen if row.committed)

    @property
    def value_gap(self) -> float:
        return self.optimised.value - self.greedy.value

    @property
    def greedy_behind_percent(self) -> float | None:
        if not self.optimised.value:
            return None
        return self.value_gap * 100 / self.optimised.value

    @property
    def unscored(self) -> int:
        return sum(1 for c in self.data.candidates if not c.scored)

    @property
    def fallback_score(self) -> float | None:
        unscored = [c.score for c in self.data.candidates if not c.scored]
        return unscored[0] if unscored else None

    @property
    def spend(self) -> float:
        return sum(year.optimised for year in self.years)

    @property
    def greedy_spend(self) -> float:
        return sum(year.greedy for year in self.years)


def build_report(data: SelectionInput, optimised: Selection | None = None) -> SelectionReport:
    """The optimal slate, the greedy one beside it, and what each constraint cost."""
    optimised = optimised or optimise(data)
    greedy_choice = greedy(data)
    rank = {c.id: n for n, c in enumerate(greedy_order(data), start=1)}
    rows = [
        SelectionRow(
            candidate=c,
            optimised=c.id in optimised.chosen,
            greedy=c.id in greedy_choice.chosen,
            greedy_rank=rank[c.id],
            reasons=optimised.reasons.get(c.id, ()),
            greedy_reasons=greedy_choice.reasons.get(c.id, ()),
            committed=c.id in data.committed,
            stopped=c.id in data.stopped,
            move=commit_move(c, chosen=c.id in optimised.chosen, stopped=c.id in data.stopped),
        )
        for c in data.candidates
    ]
    by_rank = sorted(rows, key=lambda row: row.greedy_rank)
    return SelectionReport(
        data=data,
        optimised=optimised,
        greedy=greedy_choice,
        chosen=[row for row in by_rank if row.optimised],
        rejected=[row for row in by_rank if not row.optimised],
        only_optimised=[row for row in by_rank if row.optimised and not row.greedy],
        only_greedy=[row for row in by_rank if row.greedy and not row.optimised],
        years=year_budgets(data, optimised, greedy_choice) if optimised.ok else [],
        loads=role_loads(data, optimised) if optimised.ok else [],
        binding=binding_constraints(data, optimised) if optimised.ok else [],
        over_commitments=over_commitment_rows(optimised.over_commitments),
    )


def selection_report(
    *, portfolio, as_of: date, budget: Decimal | None = None, scenario=None
) -> SelectionReport:
    """The report, with the optimised slate also valued as the timing view values it."""
    data = selection_input(portfolio=portfolio, as_of=as_of, budget=budget, scenario=scenario)
    report = build_report(data)
    return replace(
        report,
        timing_value=slate_timing_value(
            data, report.optimised, portfolio=portfolio, as_of=as_of, scenario=scenario
        ),
    )


def slate_timing_value(
    data: SelectionInput, selection: Selection, *, portfolio, as_of: date, scenario=None
) -> SlateValue | None:
    """`selection`'s slate valued as the timing view values it, at its requested starts (the
    scenario's start months), so the fixed-start pages reconcile with it; None without one."""
    if not selection.ok:
        return None
    timing = load_timing_input(
        base=data,
        as_of=as_of,
        fiscal_year_start_month=portfolio.fiscal_year_start_month,
        start_months=scenario_start_months(scenario),
    )
    return slate_value(timing, selection.chosen)


def frontier_report(*, portfolio, as_of: date, scenario=None) -> list[FrontierPoint]:
    data = selection_input(portfolio=portfolio, as_of=as_of, scenario=scenario)
    return efficient_frontier(data, time_limit=FRONTIER_POINT_TIME_LIMIT_SECONDS)
