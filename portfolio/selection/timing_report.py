"""What the timing view shows (issue 17): the timing optimum of a portfolio beside the
fixed-start optimum and the greedy "select then shift" plan, each chosen project's start
against its planned one, the capacity per role before (fixed starts) and after (timing), the
synergies realised or forgone, the sequences the plan respects, and the frontier in timing
mode. Reads only: the input comes from `timing_loader`, the plans from `timing.solve_timing`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from portfolio.selection.frontier import FRONTIER_LEVELS, FrontierPoint
from portfolio.selection.model import CAPACITY, COMMITTED_STAGES
from portfolio.selection.solvers import solver_label
from portfolio.selection.timing import (
    TimedCandidate,
    TimedSelection,
    TimingInput,
    TimingModel,
    finish_month,
    month_index,
    solve_timing,
    value_at,
)
from portfolio.selection.timing_loader import timing_input

# The frontier in timing mode: each level's solve is bounded, and so is the whole frontier
# (the levels after the budget is spent are left unsolved and say so).
TIMING_FRONTIER_POINT_SECONDS = 5
TIMING_FRONTIER_TOTAL_SECONDS = 40
# The capacity chart shows the roles whose load the timing changes most, at most this many.
CAPACITY_CHART_ROLES = 4


def month_date(key: str) -> date:
    return date(int(key[:4]), int(key[5:7]), 1)


@dataclass(frozen=True)
class TimedRow:
    """One project of the timing plan: where it was planned, where it starts, and what it is
    worth there."""

    id: int
    code: str
    name: str
    stage: str
    committed: bool
    planned: str  # "YYYY-MM"
    start: str
    finish: str
    value: float  # at the chosen start (market window applied)
    planned_value: float  # at the planned start
    in_fixed: bool  # the fixed-start optimum funds it too
    in_greedy: bool

    @property
    def moved_months(self) -> int:
        return month_index(self.start) - month_index(self.planned)

    @property
    def moved(self) -> bool:
        return self.moved_months != 0

    @property
    def moved_label(self) -> str:
        months = self.moved_months
        return f"{'+' if months > 0 else '−'}{abs(months)} mo" if months else ""

    @property
    def start_date(self) -> date:
        return month_date(self.start)

    @property
    def finish_date(self) -> date:
        return month_date(self.finish)

    @property
    def planned_date(self) -> date:
        return month_date(self.planned)


@dataclass(frozen=True)
class MethodRow:
    """One of the three plans compared."""

    key: str  # optimised, fixed-start, select-then-shift
    label: str
    selection: TimedSelection | None
    optimum: float | None = None  # the timing optimum's value, to say how far behind it is

    @property
    def value(self) -> float | None:
        return self.selection.value if self.selection is not None and self.selection.ok else None

    @property
    def behind(self) -> float | None:
        if self.value is None or self.optimum is None:
            return None
        return self.optimum - self.value

    @property
    def projects(self) -> int:
        return len(self.selection.starts) if self.selection is not None else 0

    @property
    def moved(self) -> int:
        return len(self.selection.moved) if self.selection is not None else 0


@dataclass(frozen=True)
class RoleCapacity:
    """A role's load per month with fixed starts (`before`) and with timing (`after`)."""

    role: str
    months: tuple[str, ...]
    available: tuple[float, ...]
    before: tuple[float, ...]
    after: tuple[float, ...]

    @property
    def changed(self) -> float:
        """Hours moved between months (half the absolute difference, month by month)."""
        return sum(abs(a - b) for a, b in zip(self.after, self.before, strict=True)) / 2

    @staticmethod
    def _peak(used, available) -> float | None:
        shares = [u * 100 / a for u, a in zip(used, available, strict=True) if a > 0]
        return max(shares) if shares else None

    @property
    def peak_before(self) -> float | None:
        return self._peak(self.before, self.available)

    @property
    def peak_after(self) -> float | None:
        return self._peak(self.after, self.available)

    @property
    def overflows(self) -> bool:
        """Over 100 % in some month: committed work alone is (the timing plan never is)."""
        return max(self.peak_before or 0, self.peak_after or 0) > 100 + 1e-6

    @property
    def hours_before(self) -> float:
        return sum(self.before)

    @property
    def hours_after(self) -> float:
        return sum(self.after)


@dataclass(frozen=True)
class SynergyRow:
    name: str
    reason: str
    members: tuple[str, ...]  # codes
    value_bonus: float
    cost_saving: float
    realised: bool
    realised_fixed: bool
    missing: tuple[str, ...]  # codes not chosen by the timing plan
    saving_year: str


@dataclass(frozen=True)
class SequenceRow:
    before: str
    after: str
    lag: int
    reason: str
    before_finish: str  # "" when the predecessor is not chosen
    after_start: str  # "" when the successor is not chosen

    @property
    def applies(self) -> bool:
        return bool(self.after_start)

    @property
    def slack(self) -> int | None:
        """Months between the earliest start the sequence allows and the chosen one."""
        if not (self.before_finish and self.after_start):
            return None
        return month_index(self.after_start) - month_index(self.before_finish) - 1 - self.lag


@dataclass(frozen=True)
class TimingReport:
    data: TimingInput
    result: TimedSelection
    rows: tuple[TimedRow, ...]  # the timing plan's projects, by start
    methods: tuple[MethodRow, ...]
    capacity: tuple[RoleCapacity, ...]  # roles whose load the timing changes, most first
    synergies: tuple[SynergyRow, ...]
    sequences: tuple[SequenceRow, ...]
    unplaceable: tuple[tuple[str, str], ...]  # (code, why)
    left_out: tuple[str, ...]  # codes of pipeline projects the timing plan does not fund

    @property
    def moved(self) -> tuple[TimedRow, ...]:
        return tuple(row for row in self.rows if row.moved)

    @property
    def fixed(self) -> TimedSelection | None:
        return self.result.fixed

    @property
    def greedy(self) -> TimedSelection | None:
        return self.result.greedy

    @property
    def gain(self) -> float | None:
        return self.result.gain

    @property
    def gain_percent(self) -> float | None:
        return self.result.gain_percent

    @property
    def greedy_gap(self) -> float | None:
        """How far select-then-shift falls short of the timing optimum."""
        if self.greedy is None or not self.greedy.ok or not self.result.ok:
            return None
        return self.result.value - self.greedy.value

    @property
    def solver_label(self) -> str:
        return solver_label(self.result.solver)

    @property
    def realised_value(self) -> float:
        return sum(s.value_bonus for s in self.synergies if s.realised)

    @property
    def realised_saving(self) -> float:
        return sum(s.cost_saving for s in self.synergies if s.realised)

    @property
    def forgone_value(self) -> float:
        return sum(s.value_bonus for s in self.synergies if not s.realised)

    @property
    def start_months(self) -> dict[str, str]:
        """What a scenario stores to keep this plan: {project id: month} of every chosen
        project whose start is not fixed."""
        return {str(row.id): row.start for row in self.rows if not row.committed}

    @property
    def chosen_pipeline(self) -> list[int]:
        return [row.id for row in self.rows if not row.committed]


def _rows(data: TimingInput, result: TimedSelection) -> tuple[TimedRow, ...]:
    by_id = data.base.by_id()
    timed: dict[int, TimedCandidate] = {t.candidate.id: t for t in data.timed}
    fixed = result.fixed.chosen if result.fixed is not None else frozenset()
    greedy = result.greedy.chosen if result.greedy is not None else frozenset()
    rows = []
    for pid, start in result.starts.items():
        candidate, entry = by_id[pid], timed.get(pid)
        if entry is None or not start:
            continue
        rows.append(
            TimedRow(
                id=pid,
                code=candidate.code,
                name=candidate.name,
                stage=candidate.stage,
                committed=pid in data.base.committed or candidate.stage in COMMITTED_STAGES,
                planned=entry.planned_start,
                start=start,
                finish=finish_month(entry, start),
                value=value_at(entry, start),
                planned_value=value_at(entry, entry.planned_start),
                in_fixed=pid in fixed,
                in_greedy=pid in greedy,
            )
        )
    return tuple(sorted(rows, key=lambda row: (row.start, row.code)))


def _capacity(data: TimingInput, result: TimedSelection) -> tuple[RoleCapacity, ...]:
    if result.fixed is None or not result.fixed.ok or not result.ok:
        return ()
    limits = data.base.limits()
    months = tuple(data.base.months)
    roles = sorted({key[1] for key in (*result.usage, *result.fixed.usage) if key[0] == CAPACITY})
    out = []
    for role in roles:
        row = RoleCapacity(
            role=role,
            months=months,
            available=tuple(limits.get((CAPACITY, role, m), 0.0) for m in months),
            before=tuple(result.fixed.usage.get((CAPACITY, role, m), 0.0) for m in months),
            after=tuple(result.usage.get((CAPACITY, role, m), 0.0) for m in months),
        )
        if row.changed > 0.5:
            out.append(row)
    return tuple(sorted(out, key=lambda row: (-row.changed, row.role)))


def _synergies(data: TimingInput, result: TimedSelection) -> tuple[SynergyRow, ...]:
    by_id = data.base.by_id()
    fixed = {o.synergy.id: o.realised for o in (result.fixed.synergies if result.fixed else ())}

    def codes(ids) -> tuple[str, ...]:
        return tuple(sorted(by_id[pid].code for pid in ids if pid in by_id))

    return tuple(
        SynergyRow(
            name=o.synergy.name,
            reason=o.synergy.reason,
            members=codes(o.synergy.members),
            value_bonus=o.synergy.value_bonus,
            cost_saving=o.synergy.cost_saving,
            realised=o.realised,
            realised_fixed=fixed.get(o.synergy.id, False),
            missing=codes(o.missing),
            saving_year=o.saving_year,
        )
        for o in result.synergies
    )


def _sequences(data: TimingInput, result: TimedSelection) -> tuple[SequenceRow, ...]:
    by_id = data.base.by_id()
    timed = {t.candidate.id: t for t in data.timed}
    rows = []
    for sequence in data.sequences:
        if sequence.before not in by_id or sequence.after not in by_id:
            continue
        before_start = result.starts.get(sequence.before, "")
        rows.append(
            SequenceRow(
                before=by_id[sequence.before].code,
                after=by_id[sequence.after].code,
                lag=sequence.lag,
                reason=sequence.reason,
                before_finish=(
                    finish_month(timed[sequence.before], before_start) if before_start else ""
                ),
                after_start=result.starts.get(sequence.after, ""),
            )
        )
    return tuple(rows)


def build_timing_report(data: TimingInput, result: TimedSelection) -> TimingReport:
    by_id = data.base.by_id()
    optimum = result.value if result.ok else None
    methods = (
        MethodRow("optimised", "Timing optimum", result, optimum),
        MethodRow("fixed-start", "Fixed-start optimum", result.fixed, optimum),
        MethodRow("select-then-shift", "Select then shift (greedy)", result.greedy, optimum),
    )
    left_out = tuple(
        sorted(
            c.code
            for c in data.base.candidates
            if c.id not in result.starts and c.is_pipeline and result.ok
        )
    )
    return TimingReport(
        data=data,
        result=result,
        rows=_rows(data, result),
        methods=methods,
        capacity=_capacity(data, result),
        synergies=_synergies(data, result),
        sequences=_sequences(data, result),
        unplaceable=tuple(
            sorted((by_id[pid].code, why) for pid, why in result.unplaceable.items())
        ),
        left_out=left_out,
    )


def timing_report(
    *, portfolio, as_of: date, budget: Decimal | None = None, scenario=None
) -> TimingReport:
    """The timing view of a portfolio (with the open scenario's budget, forcing, capacity
    changes and start months)."""
    data = timing_input(portfolio=portfolio, as_of=as_of, budget=budget, scenario=scenario)
    return build_timing_report(data, solve_timing(data, compare=True))


# --- The frontier in timing mode -------------------------------------------------------------


def timing_frontier(
    data: TimingInput,
    levels=FRONTIER_LEVELS,
    *,
    point_seconds: float = TIMING_FRONTIER_POINT_SECONDS,
    total_seconds: float = TIMING_FRONTIER_TOTAL_SECONDS,
) -> list[FrontierPoint]:
    """The timing optimum's value at each budget level (a share of the budget per year),
    cheapest first, each solve bounded by `point_seconds`; once `total_seconds` are spent the
    remaining levels get no solve (their point has no value and says why)."""
    points, spent = [], 0.0
    for level in sorted(levels):
        budget = data.base.budget * level
        scaled = replace(data, base=data.base.with_budget(budget))
        if spent >= total_seconds:
            selection = TimedSelection(
                status="error",
                budget=budget,
                message=f"not solved: the timing frontier stops after {total_seconds:g} s",
            )
        else:
            started = time.perf_counter()
            selection = TimingModel(scaled).solve(time_limit=point_seconds)
            spent += time.perf_counter() - started
        points.append(FrontierPoint(level=level, budget=budget, selection=selection))
    return points


def timing_frontier_report(*, portfolio, as_of: date, scenario=None) -> list[FrontierPoint]:
    data = timing_input(portfolio=portfolio, as_of=as_of, scenario=scenario)
    return timing_frontier(data)
