"""portfolio.selection: the optimiser against brute force, infeasible forced sets, the
explanations, greedy against optimal, the frontier, and the loader from the database."""

from __future__ import annotations

import itertools
import random
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portfolio import selection
from portfolio.models import CriterionDirection, GateDecision, ProjectScore, ScoringCriterion
from portfolio.selection import Candidate, PlanningYear, SelectionInput
from tests.factories import (
    AllocationFactory,
    PortfolioFactory,
    ProjectFactory,
    ResourceFactory,
    RoleFactory,
    UserFactory,
)

YEARS = (PlanningYear("2027"), PlanningYear("2028"))


def _instance(seed: int) -> SelectionInput:
    """A random instance of at most 15 projects: two budget years, two roles over four
    months, a few "requires" and "excludes" links and sometimes a mandatory project."""
    rng = random.Random(seed)
    n = rng.randint(6, 15)
    roles, months = ("Analyst", "Engineer"), ("2027-01", "2027-02", "2027-03", "2027-04")
    ids = list(range(1, n + 1))
    requires = {pid: set() for pid in ids}
    excludes = {pid: set() for pid in ids}
    for _ in range(rng.randint(0, 3)):
        a, b = rng.sample(ids, 2)
        requires[a].add(b)
    for _ in range(rng.randint(0, 3)):
        a, b = rng.sample(ids, 2)
        excludes[a].add(b)
        excludes[b].add(a)
    mandatory = set(rng.sample(ids, rng.choice([0, 0, 1, 2])))
    candidates = []
    for pid in ids:
        demand = {}
        for role in rng.sample(roles, rng.randint(0, 2)):
            first = rng.randrange(len(months))
            for month in months[first : first + rng.randint(1, 3)]:
                demand[(role, month)] = float(rng.choice([20, 40, 60, 80]))
        candidates.append(
            Candidate(
                id=pid,
                code=f"P{pid:02d}",
                value=float(rng.randint(0, 100)),
                score=float(rng.randint(0, 100)),
                costs={"2027": float(rng.randint(0, 50)), "2028": float(rng.randint(0, 50))},
                demand=demand,
                mandatory=pid in mandatory,
                requires=frozenset(requires[pid]),
                excludes=frozenset(excludes[pid]),
            )
        )
    return SelectionInput(
        candidates=tuple(candidates),
        budget=float(rng.randint(40, 200)),
        years=YEARS,
        capacity={(r, m): float(rng.choice([40, 80, 120, 160])) for r in roles for m in months},
    )


def _feasible(data: SelectionInput, chosen: set[int]) -> bool:
    by_id = data.by_id()
    if any(c.mandatory and c.id not in chosen for c in data.candidates):
        return False
    if chosen & data.forced_out or not data.forced_in <= chosen:
        return False
    for pid in chosen:
        if not by_id[pid].requires <= chosen or by_id[pid].excludes & chosen:
            return False
    limits = data.limits()
    used: dict = {}
    for pid in chosen:
        for key, amount in by_id[pid].uses.items():
            used[key] = used.get(key, 0.0) + amount
    return all(amount <= limits.get(key, 0.0) + 1e-9 for key, amount in used.items())


def _brute_force(data: SelectionInput) -> float | None:
    """The best total value over every subset; None when no subset is feasible."""
    best = None
    ids = [c.id for c in data.candidates]
    value = {c.id: c.value for c in data.candidates}
    for size in range(len(ids) + 1):
        for subset in itertools.combinations(ids, size):
            chosen = set(subset)
            if _feasible(data, chosen):
                total = sum(value[pid] for pid in chosen)
                best = total if best is None else max(best, total)
    return best


@pytest.mark.parametrize("seed", range(30))
def test_optimiser_matches_brute_force(seed):
    data = _instance(seed)
    expected = _brute_force(data)
    result = selection.optimise(data)
    if expected is None:
        assert result.status == selection.INFEASIBLE
        assert result.infeasibility.constraint
    else:
        assert result.proven_optimal
        assert result.value == pytest.approx(expected)
        assert _feasible(data, set(result.chosen))
        greedy = selection.greedy(data)
        assert _feasible(data, set(greedy.chosen))
        assert greedy.value <= result.value + 1e-9


def test_the_brute_force_cases_cover_every_constraint_kind():
    instances = [_instance(seed) for seed in range(30)]
    assert any(c.mandatory for data in instances for c in data.candidates)
    assert any(c.requires for data in instances for c in data.candidates)
    assert any(c.excludes for data in instances for c in data.candidates)
    assert any(_brute_force(data) is None for data in instances)  # some are infeasible
    assert all(len(data.candidates) <= 15 for data in instances)


# --- Infeasible forced sets -----------------------------------------------------------------


def _project(pid, **kwargs):
    kwargs.setdefault("value", 10.0)
    return Candidate(id=pid, code=f"P{pid}", **kwargs)


def test_mandatory_projects_over_budget_name_the_budget_year():
    data = SelectionInput(
        candidates=(
            _project(1, mandatory=True, costs={"2027": 60.0}),
            _project(2, mandatory=True, costs={"2027": 50.0}),
        ),
        budget=100.0,
        years=YEARS,
    )
    result = selection.optimise(data)
    assert result.status == selection.INFEASIBLE
    assert result.infeasibility.constraint == "budget 2027"
    assert "P1, P2" in result.message
    assert "110" in result.message and "100" in result.message
    assert "Traceback" not in result.message


def test_forced_projects_over_capacity_name_the_role_and_month():
    data = SelectionInput(
        candidates=(
            _project(1, demand={("Data engineer", "2027-03"): 120.0}),
            _project(2, mandatory=True, demand={("Data engineer", "2027-03"): 80.0}),
        ),
        budget=100.0,
        years=YEARS,
        capacity={("Data engineer", "2027-03"): 160.0},
        forced_in=frozenset({1}),
    )
    result = selection.optimise(data)
    assert result.infeasibility.constraint == "capacity Data engineer 2027-03"
    assert "200 h" in result.message and "160 h" in result.message


@pytest.mark.parametrize(
    ("data", "constraint"),
    [
        (
            SelectionInput(
                candidates=(_project(1, mandatory=True),),
                budget=1.0,
                forced_out=frozenset({1}),
            ),
            "mandatory P1",
        ),
        (
            SelectionInput(
                candidates=(_project(1, requires=frozenset({2})), _project(2)),
                budget=1.0,
                forced_in=frozenset({1}),
                forced_out=frozenset({2}),
            ),
            "required by P1 P2",
        ),
        (
            SelectionInput(
                candidates=(
                    _project(1, mandatory=True, excludes=frozenset({2})),
                    _project(2, mandatory=True, excludes=frozenset({1})),
                ),
                budget=1.0,
            ),
            "P1 excludes P2",
        ),
    ],
)
def test_conflicting_forced_projects_are_named(data, constraint):
    result = selection.optimise(data)
    assert result.status == selection.INFEASIBLE
    assert result.infeasibility.constraint == constraint


def test_committed_work_already_over_capacity_blocks_the_cell_not_the_model():
    """Committed work outside the model can leave a cell below zero: nothing new fits there,
    but projects that need none of it are still chosen."""
    data = SelectionInput(
        candidates=(_project(1, demand={("QA", "2027-01"): 10.0}), _project(2)),
        budget=100.0,
        years=YEARS,
        capacity={("QA", "2027-01"): -40.0},
    )
    result = selection.optimise(data)
    assert result.chosen == {2}
    assert [r.constraint for r in result.reasons[1]] == ["capacity QA 2027-01"]


# --- Explanations ---------------------------------------------------------------------------


def test_each_rejected_project_names_what_keeps_it_out():
    data = SelectionInput(
        candidates=(
            _project(1, value=200.0, costs={"2027": 60.0}, demand={("Dev", "2027-01"): 100.0}),
            _project(2, value=30.0, costs={"2027": 50.0}),  # budget
            _project(3, value=30.0, demand={("Dev", "2027-01"): 80.0}),  # capacity
            _project(4, value=30.0, excludes=frozenset({1})),  # excludes the chosen 1
            _project(5, value=30.0, requires=frozenset({2})),  # requires the rejected 2
            _project(6, value=0.0),  # worth nothing
            _project(7, value=30.0),  # forced out
        ),
        budget=100.0,
        years=YEARS,
        capacity={("Dev", "2027-01"): 160.0},
        forced_out=frozenset({7}),
    )
    result = selection.optimise(data)
    assert result.chosen == {1}
    reasons = {pid: [str(r) for r in found] for pid, found in result.reasons.items()}
    assert reasons[2] == ["budget 2027 (needs 50, 40 left)"]
    assert reasons[3] == ["capacity Dev 2027-01 (needs 80 h, 60 h left)"]
    assert reasons[4] == ["excludes P1 (chosen)"]
    assert reasons[5] == ["requires P2 (not chosen)"]
    assert reasons[6] == ["adds no value (no benefit or priority recorded)"]
    assert reasons[7] == ["forced out by the scenario"]
    assert selection.binding_constraints(data, result) == [
        selection.Binding("budget 2027", 1),
        selection.Binding("capacity Dev", 1, ("2027-01",)),
    ]


# --- Greedy ---------------------------------------------------------------------------------


def test_greedy_by_score_can_be_worse_than_optimal():
    """The top scorer eats the budget: greedy gets 60, two smaller projects give 100."""
    data = SelectionInput(
        candidates=(
            _project(1, value=60.0, score=90.0, costs={"2027": 6.0}),
            _project(2, value=50.0, score=80.0, costs={"2027": 5.0}),
            _project(3, value=50.0, score=70.0, costs={"2027": 5.0}),
        ),
        budget=10.0,
        years=(PlanningYear("2027"),),
    )
    optimal, greedy = selection.optimise(data), selection.greedy(data)
    assert optimal.chosen == {2, 3} and optimal.value == 100
    assert greedy.chosen == {1} and greedy.value == 60
    report = selection.build_report(data, optimal)
    assert report.value_gap == 40
    assert report.greedy_behind_percent == pytest.approx(40)
    assert [row.candidate.id for row in report.only_optimised] == [2, 3]
    assert [row.candidate.id for row in report.only_greedy] == [1]


def test_greedy_takes_what_a_project_requires_with_it():
    data = SelectionInput(
        candidates=(
            _project(1, value=50.0, score=90.0, requires=frozenset({2}), costs={"2027": 4.0}),
            _project(2, value=5.0, score=10.0, costs={"2027": 4.0}),
            _project(3, value=40.0, score=50.0, costs={"2027": 4.0}),
        ),
        budget=8.0,
        years=(PlanningYear("2027"),),
    )
    assert selection.greedy(data).chosen == {1, 2}


# --- Frontier -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [3, 7, 11])
def test_frontier_is_monotone_and_reuses_one_model(seed, monkeypatch):
    data = _instance(seed)
    built = []
    original = selection.SelectionModel.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(selection.SelectionModel, "__init__", counting)
    points = selection.efficient_frontier(data)
    assert len(built) == 1
    assert [round(p.level, 2) for p in points] == [0.5 + n / 10 for n in range(11)]
    values = [p.value for p in points if p.value is not None]
    assert values == sorted(values)
    for point in points:
        if point.value is not None:
            assert point.value == pytest.approx(_brute_force(data.with_budget(point.budget)))


def test_frontier_marks_budget_levels_the_mandatory_projects_do_not_fit():
    data = SelectionInput(
        candidates=(_project(1, mandatory=True, costs={"2027": 70.0}), _project(2)),
        budget=100.0,
        years=(PlanningYear("2027"),),
    )
    points = selection.efficient_frontier(data)
    assert [p.value is None for p in points[:3]] == [True, True, False]
    assert points[0].selection.infeasibility.constraint == "budget 2027"


# --- Loading from the database --------------------------------------------------------------

AS_OF = date(2027, 1, 15)


def _month(year, month):
    return date(year, month, 1)


@pytest.fixture
def planning(db):
    """A portfolio planning 2027–2028 (calendar years) with two developers (2 × 1 FTE) and a
    committed project in another portfolio holding one of them for January–June 2027."""
    portfolio = PortfolioFactory(budget_envelope=Decimal("1200000"))
    developer = RoleFactory(name="Developer")
    ResourceFactory(role=developer, start_date=date(2020, 1, 1))
    other_dev = ResourceFactory(role=developer, start_date=date(2020, 1, 1))
    elsewhere = ProjectFactory(stage="in_progress", start_date=date(2026, 1, 1))
    AllocationFactory(
        project=elsewhere,
        role=developer,
        resource=other_dev,
        start_month=_month(2027, 1),
        end_month=_month(2027, 6),
        unit="fte",
        amount=Decimal("1"),
        status="confirmed",
    )
    return portfolio, developer


def _load(portfolio, **kwargs):
    return selection.selection_input(portfolio=portfolio, as_of=AS_OF, **kwargs)


def test_loader_builds_costs_capacity_links_and_values(planning):
    portfolio, developer = planning
    candidate = ProjectFactory(
        portfolio=portfolio,
        code="CAND",
        stage="candidate",
        start_date=date(2027, 7, 1),
        end_date=date(2028, 6, 30),
        budget=Decimal("240000"),
        expected_benefit=Decimal("0"),
        annual_benefit=Decimal("100000"),
    )
    base = ProjectFactory(
        portfolio=portfolio,
        code="BASE",
        stage="approved",
        start_date=date(2027, 1, 1),
        end_date=date(2027, 12, 31),
        budget=Decimal("120000"),
        expected_benefit=Decimal("500000"),
        is_mandatory=True,
    )
    cancelled = ProjectFactory(portfolio=portfolio, code="GONE", stage="cancelled")
    blocked = ProjectFactory(portfolio=portfolio, code="BLOCK", stage="idea")
    blocked.requires.add(cancelled)
    candidate.requires.add(base)
    ProjectFactory(portfolio=portfolio, code="OLD", stage="closed")
    AllocationFactory(
        project=candidate,
        role=developer,
        start_month=_month(2027, 7),
        end_month=_month(2027, 8),
        unit="hours",
        amount=Decimal("100"),
    )
    AllocationFactory(
        project=candidate,
        role=developer,
        start_month=_month(2027, 8),
        end_month=_month(2027, 8),
        unit="hours",
        amount=Decimal("50"),
        status="rejected",
    )
    data = _load(portfolio)
    by_code = {c.code: c for c in data.candidates}
    assert set(by_code) == {"CAND", "BASE", "BLOCK"}
    assert [y.label for y in data.years] == ["2027", "2028"]
    assert data.budget == 1_200_000
    cand, base_c = by_code["CAND"], by_code["BASE"]
    # Budget spread evenly over the project's 12 months: 6 in 2027, 6 in 2028.
    assert cand.costs == pytest.approx({"2027": 120000, "2028": 120000})
    assert base_c.costs == pytest.approx({"2027": 120000})
    assert cand.demand == {("Developer", "2027-07"): 100.0, ("Developer", "2027-08"): 100.0}
    assert cand.requires == {base_c.id}
    assert base_c.mandatory
    assert by_code["BLOCK"].blocked == "requires GONE (cancelled)"
    # Nobody scored: the fallback score (50) weighs the benefit; three years of annual benefit
    # stand in for a missing total.
    assert cand.score == 50 and not cand.scored
    assert cand.value == pytest.approx(300000 * 0.5)
    assert base_c.value == pytest.approx(250000)
    # Two developers; one is held by the committed project outside until June.
    january, july = data.capacity[("Developer", "2027-01")], data.capacity[("Developer", "2027-07")]
    assert january == pytest.approx(july / 2, rel=0.1)
    result = selection.optimise(data)
    assert result.chosen == {cand.id, base_c.id}
    assert [r.constraint for r in result.reasons[by_code["BLOCK"].id]] == [
        "requires GONE (cancelled)"
    ]


def test_loader_uses_priority_scores_and_the_median_for_unscored(planning):
    portfolio, _ = planning
    criterion = ScoringCriterion.objects.create(
        portfolio=portfolio,
        name="Fit",
        weight=Decimal("100"),
        direction=CriterionDirection.HIGHER_IS_BETTER,
    )
    projects = [
        ProjectFactory(
            portfolio=portfolio,
            stage="candidate",
            expected_benefit=Decimal("1000"),
            start_date=date(2027, 3, 1),
            end_date=date(2027, 5, 31),
        )
        for _ in range(4)
    ]
    for project, score in zip(projects[:3], (5, 3, 1), strict=True):
        ProjectScore.objects.create(project=project, criterion=criterion, score=score)
    by_id = _load(portfolio).by_id()
    assert [by_id[p.pk].score for p in projects] == [100, 50, 0, 50]
    assert [by_id[p.pk].scored for p in projects] == [True, True, True, False]
    assert by_id[projects[0].pk].value == pytest.approx(1000)


def test_loader_applies_scenario_capacity_changes_and_forced_projects(planning):
    portfolio, _ = planning
    project = ProjectFactory(portfolio=portfolio, stage="candidate")
    other = ProjectFactory(portfolio=ProjectFactory().portfolio, stage="candidate")
    plain = _load(portfolio)
    scenario = portfolio.scenarios.create(
        name="More devs",
        budget_limit=Decimal("500000"),
        capacity_changes={"Developer": {"2027-02": 160}, "Nobody": {"2027-02": 5}},
    )
    scenario.forced_in.add(project, other)
    data = _load(portfolio, scenario=scenario)
    assert data.budget == 500000
    assert data.forced_in == {project.pk}  # a project outside the model is ignored
    cell = ("Developer", "2027-02")
    assert data.capacity[cell] == pytest.approx(plain.capacity[cell] + 160)


def test_deferred_projects_are_on_hold_after_a_gate_from_the_pipeline(planning):
    portfolio, _ = planning
    pmo = UserFactory()
    deferred = ProjectFactory(portfolio=portfolio, stage="on_hold")
    paused = ProjectFactory(portfolio=portfolio, stage="on_hold")
    for project, from_stage in ((deferred, "candidate"), (paused, "in_progress")):
        GateDecision.objects.create(
            project=project,
            from_stage=from_stage,
            to_stage="approved" if from_stage == "candidate" else "closing",
            outcome="hold",
            decided_by=pmo,
            decided_on=date(2026, 12, 1),
            rationale="Wait",
        )
    by_id = _load(portfolio).by_id()
    assert by_id[deferred.pk].deferred and by_id[deferred.pk].is_pipeline
    assert by_id[deferred.pk].stage_label == "Deferred"
    assert not by_id[paused.pk].deferred and not by_id[paused.pk].is_pipeline


def _populate(portfolio, developer, count):
    previous = None
    for n in range(count):
        project = ProjectFactory(
            portfolio=portfolio,
            stage=["idea", "candidate", "in_progress"][n % 3],
            start_date=date(2027, 2, 1),
            end_date=date(2027, 9, 30),
        )
        AllocationFactory(
            project=project,
            role=developer,
            start_month=_month(2027, 2),
            end_month=_month(2027, 4),
        )
        if previous is not None:
            project.requires.add(previous)
            project.excludes.add(previous)
        previous = project


def test_loader_runs_a_fixed_number_of_queries(planning):
    portfolio, developer = planning
    _populate(portfolio, developer, 4)
    with CaptureQueriesContext(connection) as small:
        _load(portfolio)
    _populate(portfolio, developer, 30)
    with CaptureQueriesContext(connection) as large:
        data = _load(portfolio)
    assert len(data.candidates) == 34
    assert len(small) == len(large) <= 16
