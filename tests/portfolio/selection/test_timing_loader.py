"""portfolio.selection.timing_loader: a small hand-made portfolio read into the TimingInput the
timing model gets (windows, profiles, market windows, synergies, sequences), with the
scenario's start months, in a fixed number of queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portfolio.models import Scenario, Synergy
from portfolio.selection.timing import Sequence
from portfolio.selection.timing import Synergy as SynergyGroup
from portfolio.selection.timing_loader import timing_input
from projects.models import ProjectDependency
from tests.factories import (
    AllocationFactory,
    CostEntryFactory,
    MilestoneFactory,
    PortfolioFactory,
    ProjectFactory,
    ResourceFactory,
    RoleFactory,
)

pytestmark = pytest.mark.django_db

AS_OF = date(2027, 1, 15)  # horizon: 2027-01 … 2028-12


@pytest.fixture
def world():
    portfolio = PortfolioFactory(budget_envelope=Decimal("1000000"))
    developer = RoleFactory(name="Developer")
    ResourceFactory(role=developer, start_date=date(2020, 1, 1))
    common = {"portfolio": portfolio, "baseline_start": None, "baseline_end": None}
    a = ProjectFactory(
        code="A",
        stage="candidate",
        start_date=date(2027, 3, 1),
        end_date=date(2027, 5, 31),
        budget=Decimal("300000"),
        earliest_start=date(2027, 2, 1),
        latest_start=date(2027, 6, 1),
        target_launch=date(2027, 8, 1),
        value_decay_percent=Decimal("10"),
        value_deadline=date(2027, 12, 1),
        **common,
    )
    b = ProjectFactory(
        code="B",
        stage="idea",
        start_date=date(2027, 6, 1),
        end_date=date(2027, 7, 31),
        budget=Decimal("100000"),
        **common,
    )
    running = ProjectFactory(
        code="R",
        portfolio=portfolio,
        stage="in_progress",
        start_date=date(2026, 7, 1),
        end_date=date(2027, 6, 30),
        budget=Decimal("120000"),
    )
    AllocationFactory(
        project=a,
        role=developer,
        unit="hours",
        amount=Decimal("100"),
        start_month=date(2027, 3, 1),
        end_month=date(2027, 4, 1),
        status="requested",
    )
    AllocationFactory(
        project=running,
        role=developer,
        unit="hours",
        amount=Decimal("50"),
        start_month=date(2026, 7, 1),
        end_month=date(2027, 6, 1),
        status="confirmed",
    )
    AllocationFactory(  # rejected: asks for nothing
        project=b,
        role=developer,
        unit="hours",
        amount=Decimal("80"),
        status="rejected",
        start_month=date(2027, 6, 1),
        end_month=date(2027, 6, 1),
    )
    CostEntryFactory(project=running, date=date(2027, 1, 10), amount=Decimal("60000"))
    cancelled = ProjectFactory(code="X", portfolio=portfolio, stage="cancelled")
    closed = ProjectFactory(code="Y", portfolio=portfolio, stage="closed")
    for name, members, bonus, saving in (
        ("Together", [a, b], 50000, 0),
        ("Shared build", [a, running], 0, 10000),
        ("Never", [a, cancelled], 9000, 0),
        ("Done half", [b, closed], 7000, 0),
    ):
        synergy = Synergy.objects.create(
            portfolio=portfolio,
            name=name,
            reason=f"{name} reason",
            value_bonus=Decimal(bonus),
            cost_saving=Decimal(saving),
        )
        synergy.members.set(members)
    delivery = MilestoneFactory(
        project=running, forecast_date=date(2027, 4, 15), baseline_date=date(2027, 4, 15)
    )
    dependency = {"needed_by": date(2027, 6, 1)}
    ProjectDependency.objects.create(
        predecessor=a, successor=b, lag_months=1, deliverable="Spec", **dependency
    )
    ProjectDependency.objects.create(  # from R's milestone: two months before R finishes
        predecessor=running, successor=a, predecessor_milestone=delivery, **dependency
    )
    ProjectDependency.objects.create(  # a running successor: its start is fixed
        predecessor=b, successor=running, **dependency
    )
    ProjectDependency.objects.create(  # not finish to start
        predecessor=b, successor=a, kind="shared_deliverable", deliverable="Kit", **dependency
    )
    return portfolio, {"A": a, "B": b, "R": running}


def test_timing_input_of_a_small_portfolio(world):
    portfolio, projects = world
    data = timing_input(portfolio=portfolio, as_of=AS_OF)
    a, b, r = (projects[code].pk for code in ("A", "B", "R"))
    timed = {t.candidate.id: t for t in data.timed}
    assert set(timed) == {a, b, r}
    assert data.fiscal_year_start_month == 1
    assert data.base.months[0] == "2027-01" and len(data.base.months) == 24

    first = timed[a]
    assert first.planned_start == "2027-03"
    assert first.starts == ("2027-02", "2027-03", "2027-04", "2027-05", "2027-06")
    assert first.duration == 3
    assert first.demand_profile == {("Developer", 0): 100.0, ("Developer", 1): 100.0}
    assert first.cost_profile == {0: 100000.0, 1: 100000.0, 2: 100000.0}
    assert (first.target_month, first.decay, first.deadline) == ("2027-08", 0.1, "2027-12")

    second = timed[b]
    assert second.starts == ("2027-06",)  # no window: its planned start only
    assert second.demand_profile == {}  # the rejected request asks for nothing
    assert second.cost_profile == {0: 50000.0, 1: 50000.0}
    assert (second.target_month, second.decay, second.deadline) == ("", 0.0, "")

    # Running: fixed at its plan; only what is left counts (60k of 120k, Jan–Jun 2027).
    live = timed[r]
    assert live.planned_start == "2026-07" and live.starts == ("2026-07",)
    assert live.duration == 12
    assert live.cost_profile == dict.fromkeys(range(6, 12), 10000.0)
    assert live.demand_profile == {("Developer", offset): 50.0 for offset in range(6, 12)}

    groups = {group.name: group for group in data.synergies}
    assert set(groups) == {"Together", "Shared build", "Done half"}  # "Never" cannot be met
    assert groups["Together"] == SynergyGroup(
        id=groups["Together"].id,
        name="Together",
        members=frozenset({a, b}),
        value_bonus=50000.0,
        reason="Together reason",
    )
    assert groups["Shared build"].members == frozenset({a, r})
    assert groups["Shared build"].cost_saving == 10000.0
    assert groups["Done half"].members == frozenset({b})  # Y is closed: it counts as chosen

    assert sorted(data.sequences, key=lambda s: (s.before, s.after)) == sorted(
        [
            Sequence(before=a, after=b, lag=1, reason="Spec"),
            # R's milestone delivers in April, two months before R's last month (June).
            Sequence(before=r, after=a, lag=-2, reason=""),
        ],
        key=lambda s: (s.before, s.after),
    )


def test_fixed_windows_give_the_fixed_start_input_back(world):
    portfolio, projects = world
    data = timing_input(portfolio=portfolio, as_of=AS_OF)
    for timed in data.timed:
        assert timed.planned_start in timed.starts
        start = timed.planned_start
        if start < data.base.months[0]:
            continue
        # The profiles at the planned start are the fixed-start demand and spend.
        year, month = int(start[:4]), int(start[5:])
        demand = {}
        for (role, offset), hours in timed.demand_profile.items():
            index = year * 12 + month - 1 + offset
            demand[(role, f"{index // 12}-{index % 12 + 1:02d}")] = hours
        assert demand == dict(timed.candidate.demand)
        assert sum(timed.cost_profile.values()) == pytest.approx(timed.candidate.horizon_cost)


def test_scenario_start_months_move_the_planned_start(world, pmo_admin):
    portfolio, projects = world
    a = projects["A"]
    scenario = Scenario.objects.create(
        portfolio=portfolio,
        name="Later",
        budget_limit=Decimal("1000000"),
        start_months={str(a.pk): "2027-05"},
    )
    data = timing_input(portfolio=portfolio, as_of=AS_OF, scenario=scenario)
    moved = next(t for t in data.timed if t.candidate.id == a.pk)
    assert moved.planned_start == "2027-05"
    assert moved.starts == ("2027-02", "2027-03", "2027-04", "2027-05", "2027-06")
    # The fixed-start input moved with it: its hours now fall in May and June.
    assert dict(moved.candidate.demand) == {
        ("Developer", "2027-05"): 100.0,
        ("Developer", "2027-06"): 100.0,
    }
    assert moved.demand_profile == {("Developer", 0): 100.0, ("Developer", 1): 100.0}


def _add_candidates(portfolio, count, role, prefix):
    for n in range(count):
        project = ProjectFactory(
            portfolio=portfolio,
            stage="candidate",
            start_date=date(2027, 4, 1),
            end_date=date(2027, 9, 30),
            baseline_start=None,
            baseline_end=None,
            earliest_start=date(2027, 2, 1),
            latest_start=date(2027, 8, 1),
        )
        AllocationFactory(
            project=project,
            role=role,
            start_month=date(2027, 4, 1),
            end_month=date(2027, 6, 1),
            status="requested",
        )
        synergy = Synergy.objects.create(
            portfolio=portfolio, name=f"{prefix}{n}", reason="r", value_bonus=Decimal("1")
        )
        synergy.members.set([project, ProjectFactory(portfolio=portfolio, stage="idea")])


def test_query_count_does_not_grow_with_candidates(world):
    portfolio, _ = world
    role = RoleFactory(name="Tester")

    def count():
        with CaptureQueriesContext(connection) as queries:
            timing_input(portfolio=portfolio, as_of=AS_OF)
        return len(queries)

    _add_candidates(portfolio, 2, role, "few")
    few = count()
    _add_candidates(portfolio, 12, role, "many")
    assert count() == few
