"""Timing and synergies: the selection model that also chooses when each project starts, and
counts what projects are worth together. Pure, like `model`: frozen dataclasses in
(`TimingInput`), a `TimedSelection` out, no database (issue 17).

docs/formulas.md, "Optimised selection with timing", writes the model out.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import pulp

from portfolio.selection import solvers
from portfolio.selection.model import (
    BUDGET,
    CAPACITY,
    ERROR,
    FEASIBLE,
    INFEASIBLE,
    OPTIMAL,
    TOLERANCE,
    Candidate,
    Infeasibility,
    Key,
    OverCommitment,
    SelectionInput,
    _amount,
    _names,
    configured_solver,
    constraint_label,
    fits,
)
from projects.querysets import Stage

# A safety net, as model.SOLVER_TIME_LIMIT_SECONDS: past it, the best plan found so far.
TIMING_TIME_LIMIT_SECONDS = 60
# HiGHS on the timing model: six times its default heuristic effort (0.05). Its gap closes
# slowly from below as much as from above; more primal heuristics found the optimum
# sooner on the bench's 500 × 12 starts (bench/selection.py; docs/performance.md).
TIMING_HIGHS_OPTIONS = {"mip_heuristic_effort": 0.3}

# --- Input ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimedCandidate:
    """A candidate with a window of start months. Its `candidate` holds its value, links and
    costs and demand as at its planned start (what today's fixed-start model uses); the
    profiles say what it asks for relative to whichever start is chosen."""

    candidate: Candidate  # today's Candidate, costs/demand as at its planned start
    planned_start: str  # "YYYY-MM"
    starts: tuple[str, ...]  # allowed start months, ascending; running/committed: (planned_start,)
    duration: int  # months
    demand_profile: Mapping[tuple[str, int], float]  # (role, month offset from start) -> hours
    cost_profile: Mapping[int, float]  # month offset -> spend
    target_month: str = ""  # market window: finishing by this month keeps full value
    decay: float = 0.0  # fraction of value lost per month finished after target_month
    deadline: str = ""  # finishing after this month: worth nothing


@dataclass(frozen=True)
class Synergy:
    """Projects worth more together: `value_bonus` when every member is chosen, and/or
    `cost_saving` off their spend (a shared deliverable)."""

    id: int
    name: str
    members: frozenset[int]
    value_bonus: float = 0.0
    cost_saving: float = 0.0
    reason: str = ""


@dataclass(frozen=True)
class Sequence:
    """Finish-to-start: `after` starts no earlier than `before`'s finish + lag months."""

    before: int
    after: int
    lag: int = 0
    reason: str = ""


@dataclass(frozen=True)
class TimingInput:
    base: SelectionInput  # budget years/limits, capacity, reserved, scenario forcing as today
    timed: tuple[TimedCandidate, ...]
    synergies: tuple[Synergy, ...] = ()
    sequences: tuple[Sequence, ...] = ()
    # The month the planning (fiscal) year starts in: which budget year a month's spend is
    # in (labels as loader.fiscal_year_label: "2027", or "FY 2027/28").
    fiscal_year_start_month: int = 1
    # A cap on the spend over the whole horizon, on top of the per-year budgets (None: none).
    total_budget: float | None = None


# --- Months --------------------------------------------------------------------------------


def month_index(month: str) -> int:
    """ "2027-03" → a running month number (year × 12 + month − 1)."""
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


def month_key(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def shift_month(month: str, months: int) -> str:
    return month_key(month_index(month) + months)


def year_label(month: str, start_month: int = 1) -> str:
    """The planning year a "YYYY-MM" month is in, labelled as `loader.fiscal_year_label`."""
    year, number = (int(part) for part in month.split("-"))
    if start_month == 1:
        return str(year)
    first = year if number >= start_month else year - 1
    return f"FY {first}/{(first + 1) % 100:02d}"


def finish_month(timed: TimedCandidate, start: str) -> str:
    """The last month of work when it starts in `start`."""
    return shift_month(start, max(1, timed.duration) - 1)


def value_at(timed: TimedCandidate, start: str) -> float:
    """Its value when it starts in `start`: full when it finishes by the target month (or has
    none), less `decay` × its value per month finished after it, never below 0; nothing when
    it finishes after the deadline."""
    value = timed.candidate.value
    finish = month_index(finish_month(timed, start))
    if timed.deadline and finish > month_index(timed.deadline):
        return 0.0
    if timed.target_month and timed.decay:
        late = finish - month_index(timed.target_month)
        if late > 0:
            return value * max(0.0, 1.0 - timed.decay * late)
    return value


@dataclass(frozen=True)
class SlateValue:
    """A slate at its requested starts valued as the timing model values it: the projects in
    full, less what finishing after a target month or deadline loses, plus the bonuses of
    the synergy groups it completes."""

    full: float
    market_loss: float
    synergy_value: float
    # Sequences it breaks: a chosen successor requested before its predecessor's finish + lag.
    broken_sequences: tuple[Sequence, ...] = ()

    @property
    def value(self) -> float:
        return self.full - self.market_loss + self.synergy_value

    @property
    def differs(self) -> bool:
        """Whether market windows or synergies change the slate's value."""
        return self.market_loss > 0.5 or self.synergy_value > 0.5


def slate_value(data: TimingInput, chosen: Iterable[int]) -> SlateValue:
    """`chosen` at its planned starts (the scenario's start months where it has them). The
    fixed-start selection knows no sequences, so its slate may break one: the timing model
    would not start that successor there (and its fixed-start optimum leaves it out)."""
    chosen = frozenset(chosen)
    timed = [t for t in data.timed if t.candidate.id in chosen]
    full = sum(t.candidate.value for t in timed)
    kept = sum(value_at(t, t.planned_start) for t in timed)
    bonus = sum(group.value_bonus for group in data.synergies if group.members <= chosen)
    by_id = {t.candidate.id: t for t in timed}
    broken = tuple(
        sequence
        for sequence in data.sequences
        if sequence.before in by_id
        and sequence.after in by_id
        and month_index(by_id[sequence.after].planned_start)
        < month_index(by_id[sequence.before].planned_start)
        + by_id[sequence.before].duration
        + sequence.lag
    )
    return SlateValue(
        full=full, market_loss=full - kept, synergy_value=bonus, broken_sequences=broken
    )


# --- Options: what each project uses and is worth at each start -------------------------------


OUTSIDE = ""  # the "planning year" of spend after the horizon: no budget row


@dataclass(frozen=True)
class Option:
    """One allowed start of one project: its value and what it uses there."""

    project: int
    start: str  # "" for a project with no timing data (fixed where its Candidate says)
    value: float
    uses: Mapping[Key, float]


class Horizon:
    """Which months count: those of `base.months` (every month when it is empty, as in the
    fixed-start model, where a cell or year without a limit has none), and the planning
    year of each."""

    def __init__(self, data: TimingInput):
        base = data.base
        self.start_month = data.fiscal_year_start_month
        self.months = tuple(base.months)
        self.first = month_index(self.months[0]) if self.months else None
        self.last = month_index(self.months[-1]) if self.months else None
        self.years = [year.label for year in base.years]

    def inside(self, index: int) -> bool:
        return self.first is None or self.first <= index <= self.last

    def year(self, index: int) -> str:
        return year_label(month_key(index), self.start_month)

    def saving_year(self, start: str) -> str:
        """Where a synergy's saving is booked when the group's earliest start is `start`:
        its planning year; the first one for a start before the horizon (a running
        project); OUTSIDE (no budget row) for one after it."""
        index = month_index(start)
        if self.first is not None:
            if index > self.last:
                return OUTSIDE
            index = max(index, self.first)
        return self.year(index)

    def saving_rank(self, start: str) -> int:
        """Orders `saving_year`s in time (OUTSIDE last)."""
        index = month_index(start)
        if self.first is not None:
            if index > self.last:
                return 10**9
            index = max(index, self.first)
        # The year's first month: within a planning year every month ranks the same.
        while index > 0 and self.year(index - 1) == self.year(index):
            index -= 1
        return index


def shifted_uses(data: TimingInput, timed: TimedCandidate, start: str, horizon: Horizon):
    """What `timed` uses of each budget year and capacity cell when it starts in `start`: its
    Candidate's costs and demand at its planned start (the loader's figures, e.g. what is
    left of a running project's budget), its profiles moved to `start` otherwise, counting
    only the months inside the horizon."""
    if start == timed.planned_start:
        return dict(timed.candidate.uses)
    uses: dict[Key, float] = defaultdict(float)
    first = month_index(start)
    for offset, amount in timed.cost_profile.items():
        if amount and horizon.inside(first + offset):
            uses[(BUDGET, horizon.year(first + offset))] += amount
    for (role, offset), hours in timed.demand_profile.items():
        if hours and horizon.inside(first + offset):
            uses[(CAPACITY, role, month_key(first + offset))] += hours
    return dict(uses)


def timed_by_id(data: TimingInput) -> dict[int, TimedCandidate]:
    return {timed.candidate.id: timed for timed in data.timed}


def fixed_starts(data: TimingInput) -> TimingInput:
    """The same input with every window reduced to its planned start: today's fixed-start
    model, plus the synergies and sequences (which then only apply at the planned starts)."""
    return replace(
        data,
        timed=tuple(replace(t, starts=(t.planned_start,)) for t in data.timed),
    )


# --- Results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SynergyOutcome:
    """A synergy group in a plan: realised (every member chosen) or forgone, and why."""

    synergy: Synergy
    realised: bool
    missing: frozenset[int] = frozenset()  # members not chosen
    saving_year: str = ""  # the planning year its saving is booked in ("" when none)

    @property
    def value(self) -> float:
        """The bonus it adds (realised) or would have added (forgone)."""
        return self.synergy.value_bonus

    @property
    def saving(self) -> float:
        return self.synergy.cost_saving


@dataclass(frozen=True)
class TimedSelection:
    status: str  # optimal, feasible (time limit), infeasible, error
    budget: float
    starts: Mapping[int, str] = field(default_factory=dict)  # chosen project → start month
    planned: Mapping[int, str] = field(default_factory=dict)  # every timed project's plan
    value: float = 0.0  # project values at their starts + realised synergy bonuses
    project_value: float = 0.0
    synergy_value: float = 0.0
    synergies: tuple[SynergyOutcome, ...] = ()
    # What the plan uses of each budget year and capacity cell (committed projects included,
    # realised savings deducted from their year).
    usage: Mapping[Key, float] = field(default_factory=dict)
    # Projects that cannot be chosen at any start, with why (sequence, window, deadline).
    unplaceable: Mapping[int, str] = field(default_factory=dict)
    infeasibility: Infeasibility | None = None
    message: str = ""
    solve_seconds: float = 0.0
    build_seconds: float = 0.0
    gap: float | None = None
    bound: float | None = None
    solver: str = ""
    variables: int = 0
    constraints: int = 0
    over_commitments: tuple[OverCommitment, ...] = ()
    method: str = "optimised"  # optimised, fixed-start, select-then-shift
    # With `solve_timing(compare=True)`: the fixed-start optimum and the greedy heuristic.
    fixed: TimedSelection | None = None
    greedy: TimedSelection | None = None

    @property
    def ok(self) -> bool:
        return self.status in (OPTIMAL, FEASIBLE)

    @property
    def proven_optimal(self) -> bool:
        return self.status == OPTIMAL

    @property
    def chosen(self) -> frozenset[int]:
        return frozenset(self.starts)

    @property
    def moved(self) -> dict[int, tuple[str, str]]:
        """Chosen projects starting away from their plan: id → (planned, chosen)."""
        return {
            pid: (self.planned[pid], start)
            for pid, start in self.starts.items()
            if start and self.planned.get(pid) and start != self.planned[pid]
        }

    @property
    def capacity_used(self) -> dict[tuple[str, str], float]:
        """Hours used per (role, month)."""
        return {key[1:]: hours for key, hours in self.usage.items() if key[0] == CAPACITY}

    @property
    def capacity_before(self) -> dict[tuple[str, str], float]:
        """Hours per (role, month) of the fixed-start optimum ({} when not compared)."""
        return self.fixed.capacity_used if self.fixed is not None and self.fixed.ok else {}

    @property
    def realised(self) -> tuple[SynergyOutcome, ...]:
        return tuple(outcome for outcome in self.synergies if outcome.realised)

    @property
    def forgone(self) -> tuple[SynergyOutcome, ...]:
        return tuple(outcome for outcome in self.synergies if not outcome.realised)

    @property
    def gain(self) -> float | None:
        """The value gained by optimising timing, over the fixed-start optimum."""
        if self.fixed is None or not self.fixed.ok or not self.ok:
            return None
        return self.value - self.fixed.value

    @property
    def gain_percent(self) -> float | None:
        gain = self.gain
        if gain is None or not self.fixed.value:
            return None
        return gain * 100 / abs(self.fixed.value)

    @property
    def gap_percent(self) -> float | None:
        return None if self.gap is None else self.gap * 100

    @property
    def solver_label(self) -> str:
        return solvers.solver_label(self.solver)


# --- The model -----------------------------------------------------------------------------


def _code(by_id: Mapping[int, Candidate], pid: int) -> str:
    return by_id[pid].code if pid in by_id else f"#{pid}"


class TimingModel:
    """The time-indexed model of one input, built once. `options` holds what each project may
    do (its starts, each with its value and use); `unplaceable` why a project has none."""

    def __init__(self, data: TimingInput):
        started = time.perf_counter()
        self.data = data
        base = self.base = data.base
        self.horizon = Horizon(data)
        self.by_id = base.by_id()
        self.timed = {pid: t for pid, t in timed_by_id(data).items() if pid in self.by_id}
        self.committed = base.committed
        self.room = base.room()
        self.sequences = self._sequences()
        self.synergies = tuple(
            g for g in data.synergies if g.members and g.members <= self.by_id.keys()
        )
        self.unplaceable: dict[int, str] = {}
        self.blocking_row: dict[int, str] = {}  # project → the row it overflows alone
        self.forced, self.infeasibility = self._forced()
        self.options: dict[int, list[Option]] = {}
        if self.infeasibility is None:
            self._build_options()
        self.problem: pulp.LpProblem | None = None
        if self.infeasibility is None:
            self._build_problem()
        self.build_seconds = time.perf_counter() - started

    # Input checks ---------------------------------------------------------------------------

    def _sequences(self) -> tuple[Sequence, ...]:
        """The sequences the model applies: both ends timed projects of the input, and the
        successor not committed (a running project's start is a fact, as its links are)."""
        return tuple(
            s
            for s in self.data.sequences
            if s.before in self.timed
            and s.after in self.timed
            and s.before != s.after
            and s.after not in self.committed
        )

    def _forced(self) -> tuple[frozenset[int], Infeasibility | None]:
        """The projects every plan must contain: committed, mandatory, forced in, what they
        require and what they must follow (transitively); or why no plan can (a forced
        project that is out, or two that exclude each other), as `model.forced_projects`."""
        base, by_id = self.base, self.by_id
        out = base.excluded_up_front()
        before_of: dict[int, list[Sequence]] = defaultdict(list)
        for s in self.sequences:
            before_of[s.after].append(s)
        pending = [c.id for c in base.candidates if c.mandatory] + sorted(
            pid for pid in base.forced_in if pid in by_id
        )
        reason_of = {pid: "mandatory" if by_id[pid].mandatory else "forced in" for pid in pending}
        for pid in sorted(self.committed):
            reason_of[pid] = f"committed, {Stage(by_id[pid].stage).label.lower()}"
            pending.append(pid)
        self.reason_of = reason_of
        forced: set[int] = set()
        while pending:
            pid = pending.pop()
            if pid in forced:
                continue
            candidate = by_id[pid]
            if pid in out:
                why = reason_of[pid]
                return frozenset(), Infeasibility(
                    constraint=f"{why} {candidate.code}",
                    message=f"{candidate.code} must be selected ({why}) but is {out[pid]}.",
                )
            forced.add(pid)
            for required in sorted(candidate.requires):
                if required in by_id and required not in forced:
                    reason_of.setdefault(required, f"required by {candidate.code}")
                    pending.append(required)
            for s in before_of[pid]:
                if s.before not in forced:
                    reason_of.setdefault(s.before, f"to come before {candidate.code}")
                    pending.append(s.before)
        for pid in sorted(forced):
            for other in sorted(by_id[pid].excludes & forced):
                if pid < other and not {pid, other} <= self.committed:
                    a, b = by_id[pid], by_id[other]
                    return frozenset(), Infeasibility(
                        constraint=f"{a.code} excludes {b.code}",
                        message=f"{a.code} and {b.code} must both be selected, but they "
                        "exclude each other.",
                    )
        return frozenset(forced), None

    def _build_options(self) -> None:
        """Each project's options, then the starts no plan can use taken out: a start at
        which the project alone overflows a capacity cell (or a budget year, when no saving
        can help it), one worth nothing for a project nothing else needs, and the starts
        sequences rule out. A forced project left with no start makes the input
        infeasible."""
        base, by_id = self.base, self.by_id
        out = base.excluded_up_front()
        needed = {r for c in base.candidates for r in c.requires}
        needed |= {s.before for s in self.sequences}
        in_group = {pid for g in self.synergies for pid in g.members}
        saving_group = {pid for g in self.synergies if self.saving(g) > 0 for pid in g.members}
        for candidate in base.candidates:
            pid = candidate.id
            if pid in out:
                self.options[pid] = []
                continue
            timed = self.timed.get(pid)
            if timed is None:
                self.options[pid] = [Option(pid, "", candidate.value, dict(candidate.uses))]
                continue
            if pid in self.committed or not timed.starts:
                starts = [timed.planned_start]
            else:
                starts = sorted(set(timed.starts), key=month_index)
            options, blocked = [], ""
            for start in starts:
                option = Option(
                    pid,
                    start,
                    value_at(timed, start),
                    shifted_uses(self.data, timed, start, self.horizon),
                )
                if pid not in self.committed:
                    key = self._overflow(option, pid in saving_group)
                    if key is not None:
                        if not blocked:
                            limit = self.room.get(key, 0.0)
                            blocked = (
                                f"{constraint_label(key)} (needs "
                                f"{_amount(key, option.uses[key])}, {_amount(key, limit)} "
                                "available)"
                            )
                            self.blocking_row[pid] = constraint_label(key)
                        continue
                    keep = pid in self.forced or pid in needed or pid in in_group
                    if option.value <= 0 and not keep:
                        blocked = blocked or "worth nothing at this start (market window)"
                        continue
                options.append(option)
            self.options[pid] = options
            if not options:
                self.unplaceable[pid] = blocked or "no allowed start"
        self._prune_sequences()
        for pid in sorted(self.forced, key=lambda p: by_id[p].code):
            if not self.options[pid]:
                self.infeasibility = self._unplaceable_forced(pid)
                return

    def _overflow(self, option: Option, may_save: bool) -> Key | None:
        """The first row `option` alone overflows (budget years skipped when a saving may
        make room), or None."""
        for key, amount in sorted(option.uses.items()):
            if amount <= 0 or (key[0] == BUDGET and may_save):
                continue
            if not fits(0.0, amount, self.room.get(key, 0.0)):
                return key
        return None

    def _prune_sequences(self) -> None:
        """Take out the starts sequences rule out, to a fixed point: a successor cannot start
        before its predecessor's earliest finish + lag (nor be chosen when the predecessor
        cannot), and a forced successor's predecessor must start early enough for it."""
        by_id, options = self.by_id, self.options
        self.sequence_blocks: dict[int, Sequence] = {}
        changed = True
        while changed:
            changed = False
            for s in self.sequences:
                before, after = options[s.before], options[s.after]
                duration = max(1, self.timed[s.before].duration)
                if not before:
                    if after:
                        options[s.after] = []
                        self.unplaceable[s.after] = (
                            f"must follow {_code(by_id, s.before)}, which cannot be chosen"
                        )
                        self.sequence_blocks[s.after] = s
                        changed = True
                    continue
                earliest = month_index(before[0].start) + duration + s.lag
                kept = [o for o in after if month_index(o.start) >= earliest]
                if len(kept) < len(after):
                    if not kept:
                        self.unplaceable[s.after] = (
                            f"must start after {_code(by_id, s.before)} finishes "
                            f"(+{s.lag} months): {month_key(earliest)} at the earliest, "
                            f"its window ends {after[-1].start}"
                        )
                        self.sequence_blocks[s.after] = s
                    options[s.after] = kept
                    changed = True
                if s.after in self.forced and options[s.after]:
                    latest = month_index(options[s.after][-1].start) - duration - s.lag
                    kept = [o for o in options[s.before] if month_index(o.start) <= latest]
                    if len(kept) < len(options[s.before]):
                        if not kept:
                            self.unplaceable[s.before] = (
                                f"must finish before {_code(by_id, s.after)} starts "
                                f"(+{s.lag} months), by {month_key(latest)} at the latest, "
                                f"its window starts {options[s.before][0].start}"
                            )
                            self.sequence_blocks[s.before] = s
                        options[s.before] = kept
                        changed = True

    def _unplaceable_forced(self, pid: int) -> Infeasibility:
        code = _code(self.by_id, pid)
        why = self.reason_of.get(pid, "forced")
        detail = self.unplaceable.get(pid, "no allowed start")
        sequence = self.sequence_blocks.get(pid)
        if sequence is not None:
            constraint = (
                f"sequence {_code(self.by_id, sequence.before)} → "
                f"{_code(self.by_id, sequence.after)}"
            )
        elif pid in self.blocking_row:
            constraint = self.blocking_row[pid]
        else:
            constraint = f"{why} {code}"
        return Infeasibility(
            constraint=constraint,
            message=f"{code} must be selected ({why}) but cannot be placed: {detail}.",
        )

    # The MIP --------------------------------------------------------------------------------

    def saving(self, group: Synergy) -> float:
        """The group's cost saving as the model books it: none when a member has no timing
        data (its start, and so the year to book it in, is unknown)."""
        return group.cost_saving if group.members <= self.timed.keys() else 0.0

    def _bucket(self, option: Option) -> tuple[str, int]:
        """The planning year a synergy saving is booked in when the group's earliest start
        is `option`'s, and its rank in time."""
        return self.horizon.saving_year(option.start), self.horizon.saving_rank(option.start)

    def _row(self, name, terms, sense, rhs) -> None:
        self.problem.addConstraint(
            pulp.LpConstraint(pulp.LpAffineExpression(terms), sense=sense, rhs=rhs, name=name)
        )

    def _build_problem(self) -> None:
        LE, EQ, GE = pulp.LpConstraintLE, pulp.LpConstraintEQ, pulp.LpConstraintGE
        problem = self.problem = pulp.LpProblem("timed_selection", pulp.LpMaximize)
        add_variable = getattr(problem, "add_variable", pulp.LpVariable)  # PuLP < 3.3
        self.x: dict[tuple[int, str], pulp.LpVariable] = {}
        self.option_of: dict[tuple[int, str], Option] = {}
        chosen: dict[int, list] = {}  # project → [(x, 1)]: Σ_t x[p,t], "p is chosen"
        objective: list = []
        for pid, options in self.options.items():
            if not options:
                continue
            single = len(options) == 1
            terms = []
            for number, option in enumerate(options):
                var = add_variable(
                    f"x{pid}_{number}",
                    lowBound=1 if single and pid in self.forced else 0,
                    upBound=1,
                    cat=pulp.LpInteger,
                )
                self.x[(pid, option.start)] = var
                self.option_of[(pid, option.start)] = option
                terms.append((var, 1))
                if option.value:
                    objective.append((var, option.value))
            chosen[pid] = terms
            if not single:
                self._row(f"one{pid}", terms, EQ if pid in self.forced else LE, 1)
        self.chosen_terms = chosen

        # Synergies: y_g = 1 only when every member is chosen; a saving is booked through
        # z_g,b in the planning year b of the group's earliest start.
        saving_terms: dict[str, list] = defaultdict(list)
        self.y: dict[int, pulp.LpVariable] = {}
        self.z: dict[tuple[int, str], pulp.LpVariable] = {}
        for group in self.synergies:
            members = sorted(group.members)
            if any(pid not in chosen for pid in members):
                continue  # a member cannot be chosen: forgone in every plan
            if not group.value_bonus and not self.saving(group):
                continue
            y = self.y[group.id] = add_variable(f"y{group.id}", lowBound=0, upBound=1)
            for pid in members:
                self._row(f"g{group.id}_{pid}", [(y, 1), *[(v, -1) for v, _ in chosen[pid]]], LE, 0)
            if group.value_bonus < 0 or self.saving(group) < 0:
                # A penalty or an extra cost: the solver would leave y_g at 0, so force it up
                # when every member is chosen (a bonus or saving pushes it up by itself).
                everyone = [(v, -1) for pid in members for v, _ in chosen[pid]]
                self._row(f"gall{group.id}", [(y, 1), *everyone], GE, 1 - len(members))
            if group.value_bonus:
                objective.append((y, group.value_bonus))
            if not self.saving(group):
                continue
            buckets: dict[str, list] = defaultdict(list)
            rank: dict[str, int] = {}
            for pid in members:
                for option in self.options[pid]:
                    label, order = self._bucket(option)
                    buckets[label].append((pid, option, order))
                    rank[label] = order
            z_terms = []
            for label in sorted(buckets, key=rank.get):
                z = self.z[(group.id, label)] = add_variable(
                    f"z{group.id}_{len(z_terms)}", lowBound=0, upBound=1
                )
                z_terms.append((z, 1))
                starting = [(self.x[(pid, o.start)], -1) for pid, o, _ in buckets[label]]
                self._row(f"zs{group.id}_{len(z_terms)}", [(z, 1), *starting], LE, 0)
                for pid in members:
                    earlier = [
                        (self.x[(pid, o.start)], 1)
                        for o in self.options[pid]
                        if self._bucket(o)[1] < rank[label]
                    ]
                    if earlier:
                        self._row(f"ze{group.id}_{len(z_terms)}_{pid}", [(z, 1), *earlier], LE, 1)
                if label in self.horizon.years:
                    saving_terms[label].append((z, -self.saving(group)))
            self._row(f"zy{group.id}", [*z_terms, (y, -1)], EQ, 0)

        # Budget per planning year and capacity per role-month: committed projects reserved.
        terms: dict[Key, list] = defaultdict(list)
        worst: dict[Key, float] = defaultdict(float)
        total_terms: list = []
        for pid, options in self.options.items():
            if pid in self.committed or not options:
                continue
            most: dict[Key, float] = defaultdict(float)
            for option in options:
                var = self.x[(pid, option.start)]
                for key, amount in option.uses.items():
                    if amount > 0:
                        terms[key].append((var, amount))
                        most[key] = max(most[key], amount)
                        if key[0] == BUDGET and self.horizon_year(key[1]):
                            total_terms.append((var, amount))
            for key, amount in most.items():
                worst[key] += amount
        keys = set(terms) | {(BUDGET, label) for label in saving_terms}
        for number, key in enumerate(sorted(keys)):
            limit = self.room.get(key, 0.0)
            if key[0] == CAPACITY and fits(worst[key], 0.0, limit):
                continue  # every project at its largest use together cannot overflow it
            row = terms.get(key, []) + (saving_terms.get(key[1], []) if key[0] == BUDGET else [])
            self._row(f"{key[0][0]}{number}", row, LE, limit)
        if self.data.total_budget is not None:
            savings = [term for label in saving_terms for term in saving_terms[label]]
            self._row("total", total_terms + savings, LE, self.total_room())

        # Links: "a requires b", "a excludes b" (not between two committed projects).
        for candidate in self.base.candidates:
            if candidate.id not in chosen:
                continue
            for required in sorted(candidate.requires):
                if required not in self.by_id:
                    continue
                self._row(
                    f"r{candidate.id}_{required}",
                    chosen[candidate.id] + [(v, -1) for v, _ in chosen.get(required, [])],
                    LE,
                    0,
                )
            for other in sorted(candidate.excludes):
                if other in chosen and candidate.id < other:
                    if {candidate.id, other} <= self.committed:
                        continue
                    self._row(
                        f"e{candidate.id}_{other}", chosen[candidate.id] + chosen[other], LE, 1
                    )

        # Sequences, time-indexed: the successor may have started by t only if the
        # predecessor started by t − duration − lag (so not at all if it is not chosen).
        for number, s in enumerate(self.sequences):
            after, before = self.options[s.after], self.options[s.before]
            if not after:
                continue
            duration = max(1, self.timed[s.before].duration)
            cut = [
                sum(
                    1
                    for o in before
                    if month_index(o.start) <= month_index(a.start) - duration - s.lag
                )
                for a in after
            ]
            for index in range(len(after)):
                if index + 1 < len(after) and cut[index + 1] == cut[index]:
                    continue  # the next start's row has the same right side and more terms
                if cut[index] == len(before) and s.before in self.forced:
                    continue  # the predecessor is in every plan, early enough
                row = [(self.x[(s.after, o.start)], 1) for o in after[: index + 1]]
                row += [(self.x[(s.before, o.start)], -1) for o in before[: cut[index]]]
                self._row(f"s{number}_{index}", row, LE, 0)

        problem.setObjective(pulp.LpAffineExpression(objective))

    def horizon_year(self, label: str) -> bool:
        """Whether a budget year counts towards the total (a planning year of the input)."""
        return label in self.horizon.years

    def total_room(self) -> float:
        """What the total budget leaves once committed and closing projects' spend is in."""
        reserved = sum(
            amount
            for key, amount in self.base.reserved.items()
            if key[0] == BUDGET and self.horizon_year(key[1])
        )
        closing = sum(year.committed for year in self.base.years)
        return max(0.0, (self.data.total_budget or 0.0) - reserved - closing)

    @property
    def variable_count(self) -> int:
        return self.problem.numVariables() if self.problem is not None else 0

    @property
    def constraint_count(self) -> int:
        return self.problem.numConstraints() if self.problem is not None else 0

    # Solving --------------------------------------------------------------------------------

    def initial_values(self, starts: Mapping[int, str]) -> dict[str, float]:
        """A plan (project → start) as the solver's starting values, synergy variables
        included, so the solver can take it as its first incumbent."""
        values = {var.name: 0.0 for var in self.x.values()}
        for pid, start in starts.items():
            if (pid, start) in self.x:
                values[self.x[(pid, start)].name] = 1.0
        for group in self.synergies:
            if group.id not in self.y:
                continue
            realised = group.members <= starts.keys()
            values[self.y[group.id].name] = float(realised)
            if realised and self.saving(group):
                label = self._saving_label(group, starts)
                for (gid, bucket), z in self.z.items():
                    if gid == group.id:
                        values[z.name] = float(bucket == label)
        return values

    def _saving_label(self, group: Synergy, starts: Mapping[int, str]) -> str:
        buckets = [self._bucket(self.option_of_start(pid, starts[pid])) for pid in group.members]
        return min(buckets, key=lambda bucket: bucket[1])[0]

    def option_of_start(self, pid: int, start: str) -> Option:
        for option in self.options.get(pid, ()):
            if option.start == start:
                return option
        timed = self.timed.get(pid)
        if timed is None:
            candidate = self.by_id[pid]
            return Option(pid, "", candidate.value, dict(candidate.uses))
        return Option(
            pid, start, value_at(timed, start), shifted_uses(self.data, timed, start, self.horizon)
        )

    def solve(
        self,
        *,
        solver: str | None = None,
        gap: float = solvers.MIP_REL_GAP,
        time_limit: float = TIMING_TIME_LIMIT_SECONDS,
        start: Mapping[int, str] | None = None,
        method: str = "optimised",
    ) -> TimedSelection:
        """The best plan, solved by `solver` (the SLATE_MIP_SOLVER setting by default) to the
        relative `gap`, from the `start` plan when given (it must be feasible)."""
        solver = solvers.check_solver(solver or configured_solver())
        common = {
            "budget": self.base.budget,
            "planned": {pid: t.planned_start for pid, t in self.timed.items()},
            "unplaceable": dict(self.unplaceable),
            "solver": solver,
            "build_seconds": self.build_seconds,
            "over_commitments": self.base.over_commitments(),
            "method": method,
        }
        if self.infeasibility is not None:
            return TimedSelection(
                status=INFEASIBLE,
                infeasibility=self.infeasibility,
                message=self.infeasibility.message,
                **common,
            )
        common.update(variables=self.variable_count, constraints=self.constraint_count)
        if not self.x:
            return self.plan({}, OPTIMAL, gap=0.0, **common)
        initial = self.initial_values(start) if start is not None else None
        try:
            outcome = solvers.solve(
                self.problem,
                solver=solver,
                gap=gap,
                time_limit=time_limit,
                start=initial,
                highs_options=TIMING_HIGHS_OPTIONS,
            )
        except pulp.PulpSolverError as error:
            return TimedSelection(
                status=ERROR,
                message=f"The solver could not run ({type(error).__name__}).",
                **common,
            )
        if not outcome.found:
            infeasibility = self.diagnose(solver)
            if infeasibility is not None:
                return TimedSelection(
                    status=INFEASIBLE,
                    infeasibility=infeasibility,
                    message=infeasibility.message,
                    solve_seconds=outcome.seconds,
                    **common,
                )
            return TimedSelection(
                status=ERROR,
                message=f"The solver found no plan within {time_limit:g} s ({outcome.status}).",
                solve_seconds=outcome.seconds,
                **common,
            )
        starts = {}
        for (pid, begin), var in self.x.items():
            value = var.varValue
            if value is None:  # in no row and worth nothing: PuLP left it out of the LP
                value = var.lowBound or 0
            if value > 0.5:
                starts[pid] = begin
        return replace(
            self.plan(starts, OPTIMAL if outcome.optimal else FEASIBLE, **common),
            solve_seconds=outcome.seconds,
            gap=outcome.gap,
            bound=outcome.bound,
        )

    def plan(self, starts: Mapping[int, str], status: str, **fields) -> TimedSelection:
        """The result of a plan however it was found: projects worth nothing that nothing
        needs dropped, its value, the synergies realised and forgone, and its usage."""
        starts = self.without_worthless(starts)
        options = {pid: self.option_of_start(pid, start) for pid, start in starts.items()}
        project_value = sum(option.value for option in options.values())
        usage: dict[Key, float] = defaultdict(float)
        for option in options.values():
            for key, amount in option.uses.items():
                usage[key] += amount
        outcomes = []
        for group in self.data.synergies:
            missing = group.members - starts.keys()
            label = ""
            if not missing and self.saving(group):
                label = self._saving_label(group, starts)
                if label in self.horizon.years:
                    usage[(BUDGET, label)] -= self.saving(group)
            outcomes.append(
                SynergyOutcome(group, realised=not missing, missing=missing, saving_year=label)
            )
        synergy_value = sum(o.value for o in outcomes if o.realised)
        return TimedSelection(
            status=status,
            starts=dict(starts),
            value=project_value + synergy_value,
            project_value=project_value,
            synergy_value=synergy_value,
            synergies=tuple(outcomes),
            usage=dict(usage),
            **fields,
        )

    def without_worthless(self, starts: Mapping[int, str]) -> dict[int, str]:
        """Drop chosen projects worth nothing at their start unless they must be in, a
        chosen project requires or follows them, or they complete a realised synergy."""
        starts = dict(starts)
        while True:
            chosen = starts.keys()
            needed = {r for pid in chosen for r in self.by_id[pid].requires}
            needed |= {s.before for s in self.sequences if s.after in chosen}
            needed |= {
                pid
                for g in self.data.synergies
                if g.members <= chosen and (g.value_bonus or g.cost_saving)
                for pid in g.members
            }
            worthless = [
                pid
                for pid, start in starts.items()
                if pid not in self.forced
                and pid not in needed
                and self.option_of_start(pid, start).value <= 0
            ]
            if not worthless:
                return starts
            for pid in worthless:
                del starts[pid]

    def diagnose(self, solver: str) -> Infeasibility | None:
        """Why the forced projects cannot all be placed: the budget year or capacity cell
        they overflow most at the starts that overflow least (each row may take slack; the
        total slack, relative to each row's room, is minimised)."""
        forced = [pid for pid in sorted(self.forced) if pid not in self.committed]
        problem = pulp.LpProblem("timed_selection_diagnosis", pulp.LpMinimize)
        add_variable = getattr(problem, "add_variable", pulp.LpVariable)  # PuLP < 3.3
        x = {
            (pid, o.start): add_variable(f"d{pid}_{n}", 0, 1, pulp.LpInteger)
            for pid in forced
            for n, o in enumerate(self.options[pid])
        }
        for pid in forced:
            problem += pulp.lpSum(x[(pid, o.start)] for o in self.options[pid]) == 1
        rows: dict[Key, list] = defaultdict(list)
        for (pid, begin), var in x.items():
            for key, amount in self.option_of[(pid, begin)].uses.items():
                if amount > 0:
                    rows[key].append((var, amount))
        slack = {}
        for number, (key, terms) in enumerate(sorted(rows.items())):
            slack[key] = add_variable(f"slack{number}", 0)
            problem += pulp.LpAffineExpression(terms) - slack[key] <= self.room.get(key, 0.0)
        for s in self.sequences:
            if s.after in self.forced and s.after not in self.committed:
                duration = max(1, self.timed[s.before].duration)
                for a in self.options[s.after]:
                    early = [
                        o
                        for o in self.options[s.before]
                        if month_index(o.start) <= month_index(a.start) - duration - s.lag
                    ]
                    problem += x[(s.after, a.start)] <= pulp.lpSum(
                        x.get((s.before, o.start), 1) for o in early
                    )
        problem += pulp.lpSum(v / max(1.0, self.room.get(k, 0.0)) for k, v in slack.items())
        try:
            outcome = solvers.solve(problem, solver=solver, gap=0, time_limit=30)
        except pulp.PulpSolverError:
            return None
        if not outcome.found:
            return None
        over = [
            (var.varValue / max(1.0, self.room.get(key, 0.0)), key)
            for key, var in slack.items()
            if (var.varValue or 0) > TOLERANCE * max(1.0, self.room.get(key, 0.0))
        ]
        if not over:
            return None
        _, key = max(sorted(over, key=lambda item: item[1]), key=lambda item: item[0])
        needing = [
            self.by_id[pid]
            for (pid, begin), var in x.items()
            if (var.varValue or 0) > 0.5 and self.option_of[(pid, begin)].uses.get(key, 0) > 0
        ]
        used = sum(
            self.option_of[(pid, begin)].uses.get(key, 0.0)
            for (pid, begin), var in x.items()
            if (var.varValue or 0) > 0.5
        )
        label = constraint_label(key)
        limit = self.room.get(key, 0.0)
        after = " after committed work" if self.base.reserved.get(key) else ""
        return Infeasibility(
            constraint=label,
            message=(
                f"The projects that must be selected ({_names(needing)}) cannot all be placed: "
                f"at the start months that fit best they need {_amount(key, used)} of {label}, "
                f"but only {_amount(key, limit)} is available{after}."
            ),
        )


# --- The comparison: fixed starts, select then shift, optimised ------------------------------


def _fits_links(model: TimingModel, starts: Mapping[int, str], option: Option) -> bool:
    """Whether `option` can join the plan `starts` as far as links and sequences go."""
    pid, candidate = option.project, model.by_id[option.project]
    if any(r in model.by_id and r not in starts for r in candidate.requires):
        return False
    if candidate.excludes & starts.keys():
        return False
    for s in model.sequences:
        duration = max(1, model.timed[s.before].duration)
        if s.after == pid:
            if s.before not in starts:
                return False
            if month_index(option.start) < month_index(starts[s.before]) + duration + s.lag:
                return False
        elif (
            s.before == pid
            and s.after in starts
            and month_index(starts[s.after]) < month_index(option.start) + duration + s.lag
        ):
            return False
    return True


class _Filler:
    """A plan being filled in by a heuristic: what its projects (committed ones aside) use,
    and whether one more start fits on top: links, sequences, every budget year and capacity
    cell, and the total. Synergy savings are not counted on, so every plan it makes keeps
    every rule."""

    def __init__(self, model: TimingModel, starts: Mapping[int, str] | None = None):
        self.model = model
        self.starts: dict[int, str] = {}
        self.used: dict[Key, float] = defaultdict(float)
        self.total = 0.0
        for pid, start in (starts or {}).items():
            self._add(model.option_of_start(pid, start))

    def _spend(self, option: Option) -> float:
        return sum(
            amount
            for key, amount in option.uses.items()
            if amount > 0 and key[0] == BUDGET and self.model.horizon_year(key[1])
        )

    def _add(self, option: Option) -> None:
        self.starts[option.project] = option.start
        if option.project in self.model.committed:
            return  # reserved before anything is chosen
        for key, amount in option.uses.items():
            self.used[key] += amount
        self.total += self._spend(option)

    def fits(self, option: Option) -> bool:
        model = self.model
        if not _fits_links(model, self.starts, option):
            return False
        room = model.room
        if not all(
            fits(self.used[key], amount, room.get(key, 0.0))
            for key, amount in option.uses.items()
            if amount > 0
        ):
            return False
        return model.data.total_budget is None or fits(
            self.total, self._spend(option), model.total_room()
        )

    def place(self, options) -> bool:
        """Add the first of `options` that fits; whether one did."""
        for option in options:
            if self.fits(option):
                self._add(option)
                return True
        return False


def select_then_shift(model: TimingModel, fixed: TimedSelection) -> TimedSelection | None:
    """The greedy heuristic: keep the fixed-start plan, then take each project it leaves out,
    by value, at the first start of its window (best value first, then nearest its plan)
    where it fits on top of what is already in."""
    if not fixed.ok or model.infeasibility is not None:
        return None
    if any((pid, start) not in model.x for pid, start in fixed.starts.items()):
        return None  # a planned start outside its window: not a plan of this model
    plan = _Filler(model, fixed.starts)
    by_id = model.by_id
    left_out = sorted(
        (pid for pid, options in model.options.items() if options and pid not in plan.starts),
        key=lambda pid: (-by_id[pid].value, by_id[pid].code),
    )
    for pid in left_out:
        planned = model.timed[pid].planned_start if pid in model.timed else ""

        def preference(option, planned=planned):
            distance = abs(month_index(option.start) - month_index(planned)) if planned else 0
            return (-option.value, distance, option.start)

        plan.place(o for o in sorted(model.options[pid], key=preference) if o.value > 0)
    return model.plan(
        plan.starts,
        FEASIBLE,
        budget=model.base.budget,
        planned=fixed.planned,
        unplaceable=dict(model.unplaceable),
        over_commitments=fixed.over_commitments,
        method="select-then-shift",
    )


def relaxation_plan(model: TimingModel, *, solver: str | None = None) -> dict[int, str] | None:
    """A starting plan for the solver, guided by the LP relaxation: projects by how much of
    them the relaxation chooses (fixed ones first), each at the start the relaxation weighs
    most that still fits. None when the relaxation cannot be solved or a fixed project does
    not fit."""
    if model.problem is None or not model.x:
        return None
    variables = list(model.x.values())  # the only integer ones
    try:
        for var in variables:
            var.cat = pulp.LpContinuous
        outcome = solvers.solve(
            model.problem,
            solver=solvers.check_solver(solver or configured_solver()),
            gap=solvers.MIP_REL_GAP,
            time_limit=TIMING_TIME_LIMIT_SECONDS,
        )
        if not outcome.found:
            return None
        weight = {key: var.varValue or 0.0 for key, var in model.x.items()}
    except pulp.PulpSolverError:
        return None
    finally:
        for var in variables:
            var.cat = pulp.LpInteger
    plan = _Filler(
        model,
        {pid: model.options[pid][0].start for pid in model.committed if model.options.get(pid)},
    )
    by_id = model.by_id
    share = {
        pid: sum(weight[(pid, o.start)] for o in options)
        for pid, options in model.options.items()
        if options and pid not in plan.starts
    }
    for pid in sorted(share, key=lambda p: (p not in model.forced, -share[p], -by_id[p].value, p)):
        options = sorted(
            model.options[pid], key=lambda o: (-weight[(pid, o.start)], -o.value, o.start)
        )
        if pid not in model.forced:
            options = [o for o in options if o.value > 0 or weight[(pid, o.start)] > 0.5]
        if not plan.place(options) and pid in model.forced:
            return None
    return plan.starts


def solve_timing(
    data: TimingInput,
    *,
    solver: str | None = None,
    gap: float = solvers.MIP_REL_GAP,
    time_limit: float = TIMING_TIME_LIMIT_SECONDS,
    compare: bool = True,
) -> TimedSelection:
    """The optimal plan: which projects, starting when. With `compare`, also the fixed-start
    optimum (`fixed`, every window reduced to its planned start) and the select-then-shift
    heuristic (`greedy`, built on it). The optimiser starts from the better of that plan
    and `relaxation_plan`'s."""
    options = {"solver": solver, "gap": gap, "time_limit": time_limit}
    model = TimingModel(data)
    fixed = greedy = None
    if compare:
        fixed = TimingModel(fixed_starts(data)).solve(**options, method="fixed-start")
        greedy = select_then_shift(model, fixed)
    starts = [greedy.starts] if greedy is not None else []
    if model.infeasibility is None:
        guided = relaxation_plan(model, solver=solver)
        if guided is not None:
            starts.append(guided)
    best = max(starts, key=lambda plan: model.plan(plan, FEASIBLE, budget=0.0).value, default=None)
    result = model.solve(**options, start=best)
    return replace(result, fixed=fixed, greedy=greedy)
