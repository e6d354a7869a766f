"""portfolio.selection.loader: costs, capacity, links, values, scores, scenarios and deferred
projects from the database, in a fixed number of queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portfolio.models import CriterionDirection, GateDecision, ProjectScore, ScoringCriterion
from portfolio.selection.loader import selection_input
from portfolio.selection.model import optimise
from tests.factories import (
    AllocationFactory,
    CostEntryFactory,
    PortfolioFactory,
    ProjectFactory,
    ResourceFactory,
    RoleFactory,
    UserFactory,
)

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
    return selection_input(portfolio=portfolio, as_of=AS_OF, **kwargs)


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
    result = optimise(data)
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


def test_committed_projects_reserve_their_remaining_cost(planning):
    """Budget less the actual cost to date, spread over the months left: 120k over July 2026
    to June 2027 with 80k spent by mid-January leaves 40k over January to June."""
    portfolio, _ = planning
    running = ProjectFactory(
        portfolio=portfolio,
        stage="in_progress",
        start_date=date(2026, 7, 1),
        end_date=date(2027, 6, 30),
        budget=Decimal("120000"),
    )
    late = ProjectFactory(
        portfolio=portfolio,
        stage="in_progress",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 10, 31),
        budget=Decimal("50000"),
    )
    CostEntryFactory(project=running, date=date(2026, 12, 20), amount=Decimal("70000"))
    CostEntryFactory(project=running, date=AS_OF, amount=Decimal("10000"))
    CostEntryFactory(project=running, date=date(2027, 2, 1), amount=Decimal("5000"))  # later
    CostEntryFactory(project=late, date=date(2026, 9, 1), amount=Decimal("45000"))
    by_id = _load(portfolio).by_id()
    assert by_id[running.pk].costs == pytest.approx({"2027": 40000})
    # Past its end and not closed: what is left of its budget falls due this month.
    assert by_id[late.pk].costs == pytest.approx({"2027": 5000})


def _short_of_qa(portfolio):
    """An in-progress project worth nothing (RET-UAT in the demo) that needs 2 h more QA in
    January than the QA analyst has, a candidate that needs an hour of QA then, and one that
    needs none."""
    qa = RoleFactory(name="QA / test analyst")
    ResourceFactory(role=qa, start_date=date(2020, 1, 1))
    hours = _load(portfolio).capacity[("QA / test analyst", "2027-01")]
    projects = {}
    for code, stage, benefit, qa_hours, status in (
        ("UAT", "in_progress", 0, hours + 2, "confirmed"),
        ("NEEDS-QA", "candidate", 90000, 1, "requested"),
        ("NO-QA", "candidate", 10000, 0, ""),
    ):
        projects[code] = ProjectFactory(
            portfolio=portfolio,
            code=code,
            stage=stage,
            start_date=date(2026, 10, 1) if stage == "in_progress" else date(2027, 1, 1),
            end_date=date(2027, 3, 31),
            expected_benefit=Decimal(benefit),
            budget=Decimal("40000"),
        )
        if qa_hours:
            AllocationFactory(
                project=projects[code],
                role=qa,
                start_month=_month(2027, 1),
                end_month=_month(2027, 1),
                unit="hours",
                amount=Decimal(str(qa_hours)),
                status=status,
            )
    return projects["UAT"]


def test_a_running_project_short_of_two_hours_of_qa_stays_chosen(planning):
    portfolio, _ = planning
    running = _short_of_qa(portfolio)
    data = _load(portfolio)
    result = optimise(data)
    codes = {c.id: c.code for c in data.candidates}
    assert {codes[pid] for pid in result.chosen} == {"UAT", "NO-QA"}
    assert running.pk in data.committed
    (over,) = result.over_commitments
    assert over.label == "capacity QA / test analyst 2027-01"
    assert over.needed - over.available == pytest.approx(2)
    (reason,) = result.reasons[next(pid for pid, code in codes.items() if code == "NEEDS-QA")]
    assert reason.constraint == "capacity QA / test analyst 2027-01"


def test_forcing_running_projects_in_is_no_longer_infeasible(planning):
    """A scenario saved before running projects were committed may force them in: that is
    what happens anyway, whatever their shortfall."""
    portfolio, _ = planning
    running = _short_of_qa(portfolio)
    scenario = portfolio.scenarios.create(name="Everything running", budget_limit=Decimal("1"))
    scenario.forced_in.add(running)
    result = optimise(_load(portfolio, scenario=scenario))
    assert result.ok
    assert running.pk in result.chosen
    assert {o.label for o in result.over_commitments} >= {"capacity QA / test analyst 2027-01"}


def test_a_scenario_stops_running_projects_only(planning):
    portfolio, _ = planning
    running = ProjectFactory(portfolio=portfolio, stage="in_progress")
    idea = ProjectFactory(portfolio=portfolio, stage="idea")
    scenario = portfolio.scenarios.create(name="Stop it", budget_limit=Decimal("500000"))
    scenario.stopped.add(running, idea)
    data = _load(portfolio, scenario=scenario)
    assert data.stopped == {running.pk}
    assert running.pk not in data.committed
    assert running.pk not in optimise(data).chosen


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
