"""Scenarios store start months, and committing one moves the chosen projects' plans through
the projects' and resources' services: dates, milestones and allocations, and a change
request for a baselined plan; refused with nothing written when a start no longer fits."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.months import add_months, month_end
from portfolio import scenarios
from portfolio.models import GateDecision, Scenario
from portfolio.selection.loader import selection_input
from projects.models import ChangeRequest, Project
from resources import services as resource_services
from resources.models import Allocation
from tests.factories import (
    AllocationFactory,
    MilestoneFactory,
    ProjectFactory,
    ResourceFactory,
    RoleFactory,
    score_equally,
)

pytestmark = pytest.mark.django_db


def _ahead(n: int) -> date:
    return add_months(timezone.localdate(), n)


def _key(n: int) -> str:
    return f"{_ahead(n):%Y-%m}"


@pytest.fixture
def plan(portfolio):
    """A scored candidate over months 1–3 that may start up to month 6, with a milestone and
    a requested role (and a developer to do it); a baselined on-hold project over months 2–4
    that may start up to month 5; a running project; a big enough budget for all."""
    portfolio.budget_envelope = Decimal("10000000")
    portfolio.save()
    role = RoleFactory(name="Developer")
    ResourceFactory(role=role, start_date=date(2020, 1, 1))
    fresh = ProjectFactory(
        portfolio=portfolio,
        code="FRESH",
        stage="candidate",
        expected_benefit=Decimal("900000"),
        start_date=_ahead(1),
        end_date=month_end(_ahead(3)),
        baseline_start=None,
        baseline_end=None,
        earliest_start=_ahead(1),
        latest_start=_ahead(6),
    )
    MilestoneFactory(
        project=fresh,
        name="Design",
        baseline_date=_ahead(2) + timedelta(days=14),
        forecast_date=_ahead(2) + timedelta(days=14),
    )
    AllocationFactory(
        project=fresh,
        role=role,
        start_month=_ahead(1),
        end_month=_ahead(3),
        status="requested",
    )
    based = ProjectFactory(
        portfolio=portfolio,
        code="BASED",
        stage="on_hold",
        expected_benefit=Decimal("800000"),
        start_date=_ahead(2),
        end_date=month_end(_ahead(4)),
        baseline_start=_ahead(2),
        baseline_end=month_end(_ahead(4)),
        latest_start=_ahead(5),
    )
    kept = MilestoneFactory(
        project=based,
        name="Build",
        baseline_date=_ahead(3) + timedelta(days=9),
        forecast_date=_ahead(3) + timedelta(days=9),
    )
    live = ProjectFactory(
        portfolio=portfolio,
        code="LIVE",
        stage="in_progress",
        start_date=_ahead(-2),
        end_date=month_end(_ahead(4)),
    )
    score_equally(portfolio, [fresh, based, live])
    return {"fresh": fresh, "based": based, "live": live, "kept": kept, "role": role}


def _save(portfolio, by, **data):
    data.setdefault("name", "Later starts")
    data.setdefault("budget_limit", Decimal("10000000"))
    return scenarios.scenario_save(portfolio=portfolio, data=data, by=by)


def test_a_scenario_stores_start_months(portfolio, plan, member_of):
    pmo = member_of(portfolio, "pmo")
    fresh, based = plan["fresh"], plan["based"]
    scenario = _save(
        portfolio,
        pmo,
        start_months={fresh.pk: _key(3), str(based.pk): _ahead(2)},  # BASED: as planned
    )
    assert scenario.start_months == {str(fresh.pk): _key(3)}
    moves = scenarios.scenario_start_moves(scenario=scenario)
    assert [(m.project.code, m.planned, m.month) for m in moves] == [
        ("FRESH", _ahead(1), _ahead(3))
    ]
    # Saving without start months keeps them; saving empty ones clears them.
    scenario = scenarios.scenario_save(
        portfolio=portfolio,
        data={"name": "Later starts", "budget_limit": Decimal("1")},
        by=pmo,
        scenario=scenario,
    )
    assert scenario.start_months == {str(fresh.pk): _key(3)}


def test_start_months_are_validated_naming_the_project(portfolio, other_portfolio, plan, member_of):
    pmo = member_of(portfolio, "pmo")
    stranger = ProjectFactory(portfolio=other_portfolio, stage="candidate")
    with pytest.raises(ValidationError) as refused:
        _save(
            portfolio,
            pmo,
            start_months={
                plan["live"].pk: _key(0),
                plan["fresh"].pk: _key(8),
                plan["based"].pk: "2027-13",
                stranger.pk: _key(2),
            },
        )
    messages = " ".join(refused.value.message_dict["start_months"])
    assert "LIVE is in progress: its start is fixed at its plan" in messages
    assert f"FRESH may start only in {_ahead(1):%b %Y} – {_ahead(6):%b %Y}" in messages
    assert "is not a month (YYYY-MM)" in messages
    assert f"Project {stranger.pk} is not one of this portfolio's" in messages
    assert not Scenario.objects.exists()


def test_the_selection_of_a_scenario_counts_its_start_months(portfolio, plan, member_of):
    scenario = _save(
        portfolio, member_of(portfolio, "pmo"), start_months={plan["fresh"].pk: _key(4)}
    )
    data = selection_input(portfolio=portfolio, as_of=timezone.localdate(), scenario=scenario)
    fresh = data.by_id()[plan["fresh"].pk]
    assert {month for _role, month in fresh.demand} == {_key(4), _key(5), _key(6)}


def test_commit_moves_the_chosen_plans(portfolio, plan, member_of):
    manager = member_of(portfolio, "portfolio_manager")
    fresh, based, kept = plan["fresh"], plan["based"], plan["kept"]
    scenario = _save(portfolio, manager, start_months={fresh.pk: _key(3), based.pk: _key(5)})
    outcome = scenarios.scenario_commit(scenario=scenario, by=manager)

    assert outcome.moved == (("BASED", _key(2), _key(5)), ("FRESH", _key(1), _key(3)))
    assert outcome.change_requests == ("BASED",)
    assert outcome.approved == ("FRESH",)  # BASED is paused: it stays on hold, moved

    # Not baselined: the plan moves, milestones with it, the role request too.
    fresh.refresh_from_db()
    assert (fresh.start_date, fresh.end_date) == (_ahead(3), month_end(_ahead(5)))
    assert fresh.stage == "approved" and fresh.latest_start is None  # start now decided
    design = fresh.milestones.get()
    assert design.forecast_date == design.baseline_date == _ahead(4) + timedelta(days=14)
    request = Allocation.objects.get(project=fresh)
    assert (request.start_month, request.end_month) == (_ahead(3), _ahead(5))
    assert not ChangeRequest.objects.filter(project=fresh).exists()

    # Baselined: the plan and forecasts move; the baseline moves by a proposed change request.
    based.refresh_from_db()
    kept.refresh_from_db()
    assert (based.start_date, based.end_date) == (_ahead(5), month_end(_ahead(7)))
    assert (based.baseline_start, based.baseline_end) == (_ahead(2), month_end(_ahead(4)))
    assert kept.forecast_date == _ahead(6) + timedelta(days=9)
    assert kept.baseline_date == _ahead(3) + timedelta(days=9)
    change = ChangeRequest.objects.get(project=based)
    assert change.status == "proposed" and change.proposed_by == manager
    assert (change.baseline_start, change.baseline_end) == (_ahead(5), month_end(_ahead(7)))
    assert change.milestone_dates == {str(kept.pk): (_ahead(6) + timedelta(days=9)).isoformat()}
    assert "Committed scenario Later starts" in change.reason
    # Who moved it is in the plan's history.
    assert based.history.order_by("-history_date").first().history_user == manager


def test_a_confirmed_allocation_that_moves_is_asked_again(portfolio, plan, member_of):
    fresh = plan["fresh"]
    confirmed = Allocation.objects.get(project=fresh)
    confirmed.status = "confirmed"
    confirmed.save()
    resource_services.allocations_move(
        project=fresh, months=2, by=member_of(portfolio, "portfolio_manager")
    )
    confirmed.refresh_from_db()
    assert confirmed.status == "requested" and confirmed.decided_by is None
    assert confirmed.start_month == _ahead(3)


def test_commit_refuses_a_start_outside_a_changed_window_and_writes_nothing(
    portfolio, plan, member_of
):
    manager = member_of(portfolio, "portfolio_manager")
    fresh = plan["fresh"]
    scenario = _save(portfolio, manager, start_months={fresh.pk: _key(5)})
    Project.objects.filter(pk=fresh.pk).update(latest_start=_ahead(3))
    before = list(Project.objects.order_by("pk").values())
    with pytest.raises(ValidationError) as refused:
        scenarios.scenario_commit(scenario=scenario, by=manager)
    assert "FRESH may start only in" in " ".join(refused.value.messages)
    assert list(Project.objects.order_by("pk").values()) == before
    assert not GateDecision.objects.exists()
    scenario.refresh_from_db()
    assert scenario.committed_at is None


def test_a_failure_half_way_through_the_commit_leaves_nothing_written(
    portfolio, plan, member_of, monkeypatch
):
    manager = member_of(portfolio, "portfolio_manager")
    fresh, based = plan["fresh"], plan["based"]
    scenario = _save(portfolio, manager, start_months={fresh.pk: _key(3), based.pk: _key(4)})
    moved = []

    def fail_second(*, project, months, by):
        moved.append(project.code)
        if len(moved) == 2:
            raise ValidationError(f"{project.code}: the resource calendar is locked.")
        return original(project=project, months=months, by=by)

    original = resource_services.allocations_move
    monkeypatch.setattr(resource_services, "allocations_move", fail_second)
    before = [
        list(model.objects.order_by("pk").values())
        for model in (Project, Allocation, ChangeRequest, GateDecision)
    ]
    with pytest.raises(ValidationError):
        scenarios.scenario_commit(scenario=scenario, by=manager)
    assert moved == ["BASED", "FRESH"]  # the first was moved, then undone
    after = [
        list(model.objects.order_by("pk").values())
        for model in (Project, Allocation, ChangeRequest, GateDecision)
    ]
    assert after == before
    scenario.refresh_from_db()
    assert scenario.committed_at is None
