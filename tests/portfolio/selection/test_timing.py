"""portfolio.selection.timing: the time-indexed model against brute force over every choice of
starts, the fixed-start optimum against today's model, the select-then-shift heuristic, and
hand-worked cases with their answers written out."""

from __future__ import annotations

from dataclasses import replace

import pytest

from portfolio.selection.model import INFEASIBLE, optimise
from portfolio.selection.solvers import SOLVERS
from portfolio.selection.timing import (
    Sequence,
    Synergy,
    TimedCandidate,
    TimingInput,
    TimingModel,
    fixed_starts,
    relaxation_plan,
    slate_value,
    solve_timing,
)
from projects.querysets import Stage
from tests.portfolio.selection.instances import random_instance
from tests.portfolio.selection.timing_instances import (
    MONTHS,
    brute_force,
    plan_feasible,
    plan_value,
    random_timing_instance,
    timed,
    timing_input,
)

ENGINEER = "Engineer"


def engineer(hours, months):
    return {(ENGINEER, offset): float(hours) for offset in range(months)}


def capacity(hours):
    return {(role, m): float(hours) for role in ("Analyst", ENGINEER) for m in MONTHS}


# --- Brute force ----------------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", range(40))
def test_timing_matches_brute_force(seed, solver):
    data = random_timing_instance(seed)
    expected = brute_force(data)
    result = solve_timing(data, solver=solver, gap=0)  # exact: no gap allowed
    if expected is None:
        assert result.status == INFEASIBLE
        assert result.infeasibility.constraint
        assert "Traceback" not in result.message
        return
    best, _plan = expected
    assert result.proven_optimal, result.message
    assert result.value == pytest.approx(best)
    assert plan_feasible(data, dict(result.starts))
    assert plan_value(data, dict(result.starts)) == pytest.approx(result.value)
    for other in (result.fixed, result.greedy):
        if other is not None and other.ok:
            assert plan_feasible(data, dict(other.starts))
            assert plan_value(data, dict(other.starts)) == pytest.approx(other.value)
            assert other.value <= result.value + 1e-6
    if result.greedy is not None:
        assert result.greedy.value >= result.fixed.value - 1e-6
    guided = relaxation_plan(TimingModel(data), solver=solver)
    if guided is not None:  # the solver's other starting plan keeps every rule too
        assert plan_feasible(data, guided)


def test_the_brute_force_cases_cover_every_rule():
    instances = [random_timing_instance(seed) for seed in range(40)]
    projects = [p for data in instances for p in data.timed]
    assert all(len(data.timed) <= 8 for data in instances)
    assert all(len(p.starts) <= 4 for p in projects)
    assert any(len(p.starts) == 4 for p in projects)
    assert any(p.candidate.mandatory for p in projects)
    assert any(p.candidate.stage == Stage.IN_PROGRESS for p in projects)
    assert any(p.candidate.requires for p in projects)
    assert any(p.candidate.excludes for p in projects)
    assert any(p.deadline for p in projects) and any(p.decay for p in projects)
    assert any(g.value_bonus for data in instances for g in data.synergies)
    assert any(g.cost_saving for data in instances for g in data.synergies)
    assert any(s.lag for data in instances for s in data.sequences)
    solved = [brute_force(data) for data in instances]
    assert any(answer is None for answer in solved)  # some are infeasible
    assert sum(answer is not None for answer in solved) >= 30
    # Timing pays somewhere: the best plan moves a project off its planned start.
    assert any(
        answer is not None
        and any(
            start != p.planned_start
            for p in data.timed
            for pid, start in answer[1].items()
            if pid == p.candidate.id
        )
        for data, answer in zip(instances, solved, strict=True)
    )


# --- Fixed starts reduce to today's model -----------------------------------------------------


def as_fixed_timing(data) -> TimingInput:
    """Today's instance as a timing input with every window its planned start (2027-01)."""
    projects = []
    for c in data.candidates:
        demand = {(role, int(month[5:]) - 1): h for (role, month), h in c.demand.items()}
        projects.append(
            TimedCandidate(
                candidate=c,
                planned_start="2027-01",
                starts=("2027-01",),
                duration=4,
                demand_profile=demand,
                cost_profile={0: c.costs.get("2027", 0.0), 12: c.costs.get("2028", 0.0)},
            )
        )
    return TimingInput(base=data, timed=tuple(projects))


@pytest.mark.parametrize("committed", [False, True])
@pytest.mark.parametrize("seed", range(30))
def test_fixed_windows_give_todays_answer(seed, committed):
    data = random_instance(seed, committed=committed)
    today = optimise(data, gap=0)
    timing = solve_timing(as_fixed_timing(data), gap=0)
    assert timing.status == today.status
    if today.ok:
        assert timing.value == pytest.approx(today.value)
        assert timing.chosen == today.chosen
        assert timing.gain == pytest.approx(0)
        assert not timing.moved
    else:
        assert timing.infeasibility.constraint


# --- Hand-worked cases ----------------------------------------------------------------------


def test_a_project_that_only_fits_if_it_moves():
    """Engineers have 100 h a month. P1 (worth 50) takes 80 h in January and February; P2
    (worth 30) takes 60 h for two months and may start January to March. At their planned
    starts only P1 fits (50); P2 moved to March fits beside it: 80, a gain of 30 (60 %)."""
    data = timing_input(
        [
            timed(1, planned="2027-01", duration=2, demand=engineer(80, 2), value=50.0),
            timed(
                2,
                planned="2027-01",
                starts=("2027-01", "2027-02", "2027-03"),
                duration=2,
                demand=engineer(60, 2),
                value=30.0,
            ),
        ],
        capacity=capacity(100),
    )
    result = solve_timing(data, gap=0)
    assert result.starts == {1: "2027-01", 2: "2027-03"}
    assert result.value == 80.0
    assert result.fixed.starts == {1: "2027-01"} and result.fixed.value == 50.0
    assert result.gain == 30.0 and result.gain_percent == pytest.approx(60.0)
    assert result.moved == {2: ("2027-01", "2027-03")}
    assert result.greedy.starts == {1: "2027-01", 2: "2027-03"}  # February still clashes
    assert result.capacity_before.get((ENGINEER, "2027-03"), 0.0) == 0.0
    assert result.capacity_used[(ENGINEER, "2027-03")] == 60.0
    assert result.capacity_used[(ENGINEER, "2027-02")] == 80.0
    # x for P1's one start and P2's three; P2's one-start row, engineers in January and
    # February (from March P2 alone cannot overflow the 100 h).
    assert (result.variables, result.constraints) == (4, 3)


def test_a_synergy_makes_a_weaker_pair_beat_a_stronger_single_project():
    """The first half-year's budget is 80 (160 × 0.5). P1 (worth 100) costs 80; P2 and P3
    (worth 45 each) cost 40 each. Alone, P1 wins (100 against 90); with a 20 bonus for P2
    and P3 together, the pair wins: 110."""
    projects = [
        timed(1, planned="2027-01", costs={0: 80.0}, value=100.0),
        timed(2, planned="2027-01", costs={0: 40.0}, value=45.0),
        timed(3, planned="2027-01", costs={0: 40.0}, value=45.0),
    ]
    assert solve_timing(timing_input(projects, budget=160.0), gap=0).starts.keys() == {1}
    launch = Synergy(id=7, name="Launch", members=frozenset({2, 3}), value_bonus=20.0)
    result = solve_timing(timing_input(projects, budget=160.0, synergies=(launch,)), gap=0)
    assert result.chosen == {2, 3}
    assert result.value == 110.0 and result.synergy_value == 20.0
    (outcome,) = result.realised
    assert outcome.synergy == launch and outcome.value == 20.0
    assert not result.forgone


def test_a_cost_saving_lets_a_pair_fit_and_is_booked_in_its_first_year():
    """P2 (costs 50) and P3 (40) share a deliverable worth a saving of 10: together they
    need 80, exactly the first half-year's budget, so they (120) beat P1 (100)."""
    shared = Synergy(id=1, name="Shared platform", members=frozenset({2, 3}), cost_saving=10.0)
    data = timing_input(
        [
            timed(1, planned="2027-01", costs={0: 80.0}, value=100.0),
            timed(2, planned="2027-01", costs={0: 50.0}, value=60.0),
            timed(3, planned="2027-02", costs={0: 40.0}, value=60.0),
        ],
        budget=160.0,
        synergies=(shared,),
    )
    result = solve_timing(data, gap=0)
    assert result.chosen == {2, 3} and result.value == 120.0
    assert result.usage[("budget", "FY 2026/27")] == pytest.approx(80.0)
    assert result.realised[0].saving_year == "FY 2026/27"
    without = solve_timing(timing_input(data.timed, budget=160.0), gap=0)
    assert without.chosen == {1} and without.value == 100.0


def test_a_sequence_forces_a_later_start():
    """P2 may start February to June, after P1 (January to March) finishes, with a month's
    lag: April is P1's finish + 1 month, so P2 starts in May at the earliest. At its planned
    February start it cannot be chosen at all."""
    data = timing_input(
        [
            timed(1, planned="2027-01", duration=3, value=40.0),
            timed(
                2,
                planned="2027-02",
                starts=("2027-02", "2027-03", "2027-05", "2027-06"),
                value=25.0,
            ),
        ],
        sequences=(Sequence(before=1, after=2, lag=1, reason="API first"),),
    )
    result = solve_timing(data, gap=0)
    assert result.starts == {1: "2027-01", 2: "2027-05"}
    assert result.value == 65.0
    assert result.fixed.starts == {1: "2027-01"} and result.fixed.value == 40.0
    assert result.moved == {2: ("2027-02", "2027-05")}


def test_a_market_window_makes_a_late_start_worthless():
    """P2 (mandatory, worth 10) holds 80 of the 100 engineer hours from March to May. P1
    (worth 50, 40 h for two months) only fits from June, finishing in July. With a May
    deadline that start is worth nothing, so P1 is left out; with a target month of April
    and 25 % lost per month late instead, June still pays 50 × (1 − 3 × 0.25) = 12.5."""
    blocker = timed(
        2, planned="2027-03", duration=3, demand=engineer(80, 3), value=10.0, mandatory=True
    )
    window = ("2027-03", "2027-04", "2027-05", "2027-06")

    def late_project(**market):
        return timed(
            1,
            planned="2027-03",
            starts=window,
            duration=2,
            demand=engineer(40, 2),
            value=50.0,
            **market,
        )

    deadline = timing_input([late_project(deadline="2027-05"), blocker], capacity=capacity(100))
    result = solve_timing(deadline, gap=0)
    assert result.starts == {2: "2027-03"} and result.value == 10.0
    decaying = timing_input(
        [late_project(target="2027-04", decay=0.25), blocker], capacity=capacity(100)
    )
    result = solve_timing(decaying, gap=0)
    assert result.starts == {1: "2027-06", 2: "2027-03"}
    assert result.value == pytest.approx(22.5)


def test_an_infeasible_mandatory_sequence_is_diagnosed():
    """P2 is mandatory and must start by February, but it must follow P1, which runs January
    to March: April is the earliest P2 could start."""
    data = timing_input(
        [
            timed(1, planned="2027-01", duration=3),
            timed(2, planned="2027-01", starts=("2027-01", "2027-02"), mandatory=True),
        ],
        sequences=(Sequence(before=1, after=2),),
    )
    result = solve_timing(data)
    assert result.status == INFEASIBLE
    assert result.infeasibility.constraint == "sequence P1 → P2"
    assert "P2 must be selected (mandatory)" in result.message
    assert "2027-04 at the earliest" in result.message
    assert "its window ends 2027-02" in result.message


def test_mandatory_projects_that_clash_at_every_start_name_the_month():
    """P1 and P2 are mandatory, each 80 engineer hours for two months, starting January or
    February; engineers have 100 h a month. Every pair of starts overlaps in February."""
    data = timing_input(
        [
            timed(
                pid,
                planned="2027-01",
                starts=("2027-01", "2027-02"),
                duration=2,
                demand=engineer(80, 2),
                mandatory=True,
            )
            for pid in (1, 2)
        ],
        capacity=capacity(100),
    )
    result = solve_timing(data)
    assert result.status == INFEASIBLE
    assert result.infeasibility.constraint == "capacity Engineer 2027-02"
    assert "P1, P2" in result.message and "160 h" in result.message


def test_the_total_budget_caps_spend_across_the_years():
    """Each half-year's budget (100) fits either project; the total of 60 fits one: the more
    valuable one, whichever year it spends in."""
    projects = [
        timed(1, planned="2027-02", costs={0: 50.0}, value=30.0),
        timed(2, planned="2027-08", costs={0: 50.0}, value=40.0),
    ]
    assert solve_timing(timing_input(projects, budget=200.0), gap=0).chosen == {1, 2}
    result = solve_timing(timing_input(projects, budget=200.0, total_budget=60.0), gap=0)
    assert result.chosen == {2} and result.value == 40.0


def test_a_project_without_timing_data_stays_where_its_candidate_says():
    """P2 has no TimedCandidate: it uses its Candidate's hours (80 in January), so P1 moves
    to February."""
    data = timing_input(
        [
            timed(
                1,
                planned="2027-01",
                starts=("2027-01", "2027-02"),
                demand=engineer(60, 1),
                value=20.0,
            )
        ],
        capacity=capacity(100),
    )
    untimed = timed(2, planned="2027-01", demand=engineer(80, 1), value=50.0).candidate
    data = TimingInput(
        base=replace(data.base, candidates=(*data.base.candidates, untimed)),
        timed=data.timed,
        fiscal_year_start_month=data.fiscal_year_start_month,
    )
    result = solve_timing(data, gap=0)
    assert result.starts == {1: "2027-02", 2: ""}
    assert result.value == 70.0
    assert result.moved == {1: ("2027-01", "2027-02")}
    assert untimed.id not in result.planned


def test_a_negative_synergy_is_a_penalty_when_every_member_is_chosen():
    """Two projects worth 30 each that cost 40 more in value together (they compete for one
    market): one of them, 30, beats both, 20."""
    clash = Synergy(id=1, name="Same market", members=frozenset({1, 2}), value_bonus=-40.0)
    projects = [timed(1, planned="2027-01", value=30.0), timed(2, planned="2027-01", value=30.0)]
    result = solve_timing(timing_input(projects, synergies=(clash,)), gap=0)
    assert len(result.chosen) == 1 and result.value == 30.0
    assert result.forgone[0].synergy == clash


def test_slate_value_counts_market_windows_synergies_and_broken_sequences():
    """P1 (100) finishes in March, a month after its target, at 10 % a month: 90. P2 (50)
    finishes in February, after its January deadline: 0. P3 (40) is requested for March,
    but must wait for P1's finish + 1 month (May). P1 and P3 complete a 20 bonus; the
    group with P4 (not chosen) adds nothing: 190 − 60 + 20 = 150."""
    projects = [
        timed(1, planned="2027-01", duration=3, value=100.0, target="2027-02", decay=0.1),
        timed(2, planned="2027-02", value=50.0, deadline="2027-01"),
        timed(3, planned="2027-03", value=40.0),
        timed(4, planned="2027-01", value=30.0),
    ]
    pair = Synergy(id=1, name="Pair", members=frozenset({1, 3}), value_bonus=20.0)
    trio = Synergy(id=2, name="Trio", members=frozenset({1, 2, 4}), value_bonus=99.0)
    after_p1 = Sequence(before=1, after=3, lag=1)
    data = timing_input(projects, synergies=(pair, trio), sequences=(after_p1,))

    worth = slate_value(data, {1, 2, 3})
    assert (worth.full, worth.market_loss, worth.synergy_value) == (190.0, 60.0, 20.0)
    assert worth.value == 150.0 and worth.differs
    assert worth.broken_sequences == (after_p1,)
    assert not slate_value(data, {1, 4}).broken_sequences  # P3 not chosen
    assert not slate_value(data, {4}).differs


def test_slate_value_of_the_fixed_start_optimum_is_its_value():
    """The selection pages value their slate with `slate_value`; on the fixed-start optimum
    it must give what the timing model and the independent checker say that plan is worth,
    and break no sequence (19 of these 20 instances have a fixed-start plan)."""
    checked = 0
    for seed in range(20):
        data = random_timing_instance(seed)
        fixed = solve_timing(data, gap=0).fixed
        if not fixed.ok:
            continue
        worth = slate_value(fixed_starts(data), fixed.starts)
        assert worth.value == pytest.approx(fixed.value, abs=1e-6), seed
        assert worth.value == pytest.approx(plan_value(data, fixed.starts), abs=1e-6), seed
        assert not worth.broken_sequences, seed
        checked += 1
    assert checked >= 15
