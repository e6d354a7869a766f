"""Where each event happens: the domain services publish it on the event bus (core/events.py)
with its data. Health events on hand-worked numbers: BAC 100,000 over 2026 (no milestones),
so the planned % at 30 June 2026 is 180/364 = 49.45 % (PV 49,450.55)."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from core import events
from core.months import add_months, month_start
from portfolio import scenarios
from projects import services as project_services
from projects.models import StatusReport
from reporting import services as review_services
from resources import services as resource_services
from tests.factories import (
    AllocationFactory,
    CostEntryFactory,
    MembershipFactory,
    ProjectFactory,
    ResourceFactory,
    StatusReportFactory,
    UserFactory,
)
from tests.portfolio.test_gates import decide
from tests.portfolio.test_scenarios import _save, pipeline  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

JUNE = {"period_start": date(2026, 6, 1), "period_end": date(2026, 6, 30)}


def names(published):
    return [event.name for event in published]


@pytest.fixture
def manager():
    return UserFactory(username="pm", first_name="Ana", last_name="Lima")


@pytest.fixture
def project(portfolio, manager):
    return ProjectFactory(portfolio=portfolio, manager=manager, code="FIN-CORE")


def submit_june(project, manager, **data):
    report = StatusReport(project=project, **JUNE)
    return project_services.status_report_submit(
        report=report,
        data={"summary": "All fine", "forecast_cost": Decimal("100000"), **data},
        expected_version=None,
        by=manager,
    )


def test_a_submitted_report_is_announced_with_the_health_it_makes(project, manager, published):
    """10 % done (EV 10,000) for 5,000 spent: CPI 2, SPI 10,000 / 49,450.55 = 0.20, red; the
    report says green: a watermelon."""
    CostEntryFactory(project=project, date=date(2026, 6, 10), amount=Decimal("5000"))
    report = submit_june(project, manager, overall_rag="green", percent_complete=Decimal("10"))

    assert names(published) == [
        events.STATUS_REPORT_SUBMITTED,
        events.HEALTH_CHANGED,
        events.WATERMELON_FLAGGED,
    ]
    submitted, health, watermelon = published
    assert {event.portfolio_id for event in published} == {project.portfolio_id}
    assert submitted.data["project"]["code"] == "FIN-CORE"
    assert submitted.data["project"]["url"].endswith(f"/projects/{project.pk}/")
    assert submitted.data["report"]["id"] == report.pk
    assert submitted.data["report"]["overall_rag"] == "green"
    assert submitted.data["report"]["percent_complete"] == Decimal("10")
    assert submitted.data["report"]["submitted_by"] == {"username": "pm", "name": "Ana Lima"}
    assert (health.data["previous"], health.data["current"]) == (None, "red")
    assert health.data["cause"] == "status_report.submitted"
    assert health.data["status_date"] == date(2026, 6, 30)
    assert str(health.data["cost_performance_index"]) == "2.000"
    assert str(health.data["schedule_performance_index"]) == "0.202"  # 10,000 / 49,450.55
    assert (watermelon.data["reported_health"], watermelon.data["computed_health"]) == (
        "green",
        "red",
    )


def test_a_report_that_keeps_the_health_announces_only_itself(project, manager, published):
    """May: 50 % for 40,000 (CPI 1.25, SPI ≥ 1, green); June at 55 %: still green."""
    StatusReportFactory(
        project=project,
        period_start=date(2026, 5, 1),
        period_end=date(2026, 5, 31),
        percent_complete=Decimal("50"),
        overall_rag="green",
    )
    CostEntryFactory(project=project, date=date(2026, 5, 20), amount=Decimal("40000"))
    submit_june(project, manager, overall_rag="green", percent_complete=Decimal("55"))
    assert names(published) == [events.STATUS_REPORT_SUBMITTED]


@pytest.fixture
def green_project(project):
    """June's report at 50 % (EV 50,000, SPI 1.011) with 40,000 spent (CPI 1.25): green."""
    StatusReportFactory(
        project=project, percent_complete=Decimal("50"), overall_rag="green", **JUNE
    )
    CostEntryFactory(project=project, date=date(2026, 6, 10), amount=Decimal("40000"))
    return project


def test_a_cost_that_turns_the_health_red_is_announced(green_project, manager, published):
    """30,000 more by the status date: AC 70,000, CPI 0.71: red, while the report says
    green: a watermelon too. Deleting it turns the project green again (no new watermelon)."""
    entry = project_services.cost_entry_create(
        project=green_project,
        data={"date": date(2026, 6, 20), "amount": Decimal("30000"), "category": "labour"},
        by=manager,
    )
    health, watermelon = published
    assert (health.name, watermelon.name) == (events.HEALTH_CHANGED, events.WATERMELON_FLAGGED)
    assert watermelon.data["cause"] == "cost_entry.created"
    assert (health.data["previous"], health.data["current"]) == ("green", "red")
    assert health.data["cause"] == "cost_entry.created"
    assert health.data["as_of"] == timezone.localdate()

    project_services.cost_entry_delete(entry=entry, by=manager)
    assert [(e.data["previous"], e.data["current"], e.data["cause"]) for e in published[2:]] == [
        ("red", "green", "cost_entry.deleted")
    ]


def test_costs_that_leave_the_health_as_it_was_announce_nothing(green_project, manager, published):
    project_services.cost_entry_create(
        project=green_project,
        data={"date": date(2026, 6, 20), "amount": Decimal("1000"), "category": "labour"},
        by=manager,
    )
    # after the status date: not in CPI (it is "spent since the status date")
    project_services.cost_entry_create(
        project=green_project,
        data={"date": date(2026, 8, 3), "amount": Decimal("90000"), "category": "labour"},
        by=manager,
    )
    assert published == []


def test_a_cost_import_is_one_health_check(green_project, manager, published):
    csv = "date,amount,category\n2026-06-11,20000,labour\n2026-06-12,10000,labour\n"
    project_services.cost_entries_import_csv(project=green_project, file=csv, by=manager)
    assert [(e.name, e.data["cause"]) for e in published] == [
        (events.HEALTH_CHANGED, "cost_entry.imported"),
        (events.WATERMELON_FLAGGED, "cost_entry.imported"),
    ]


def test_a_gate_decision_is_announced(portfolio, published):
    decider = MembershipFactory(portfolio=portfolio, role="executive").user
    project = ProjectFactory(portfolio=portfolio, stage="candidate", code="NEW-1")
    decision = decide(project, decider, to_stage="approved", outcome="go")
    [event] = published
    assert event.name == events.GATE_DECIDED
    assert event.data["project"]["code"] == "NEW-1"
    assert event.data["decision"]["id"] == decision.pk
    assert (event.data["decision"]["from_stage"], event.data["decision"]["to_stage"]) == (
        "candidate",
        "approved",
    )
    assert event.data["decision"]["outcome"] == "go"
    assert event.data["stage"] == "approved"


def test_a_scenario_commit_is_announced_after_its_gate_decisions(
    portfolio,
    pipeline,  # noqa: F811
    member_of,
    published,
):
    manager = member_of(portfolio, "portfolio_manager")
    outcome = scenarios.scenario_commit(scenario=_save(portfolio, manager), by=manager)
    assert names(published)[-1] == events.SCENARIO_COMMITTED
    assert set(names(published)[:-1]) == {events.GATE_DECIDED}
    committed = published[-1].data
    assert committed["scenario"]["name"] == "Plan A"
    assert committed["approved"] == list(outcome.approved)
    assert committed["deferred"] == list(outcome.deferred)
    assert committed["committed_by"]["username"] == manager.username


def test_a_completed_review_is_announced_once(portfolio, published):
    ProjectFactory(portfolio=portfolio)
    review = review_services.run_review(portfolio=portfolio, kind="monthly", period="2026-10")
    review_services.run_review(portfolio=portfolio, kind="monthly", period="2026-10")  # stored
    [event] = published
    assert event.name == events.REVIEW_COMPLETED
    assert event.data["review"]["id"] == review.pk
    assert event.data["review"]["period"] == "October 2026"
    assert event.data["review"]["url"].endswith(f"/reviews/{review.pk}/")
    assert event.data["kpis"]["project_count"] == 1


def test_an_over_allocation_confirmed_on_purpose_is_announced(portfolio, member_of, published):
    """Priya at 1 FTE: 0.6 confirmed in a month ahead and 0.5 more confirmed over capacity."""
    resource_manager = member_of(portfolio, "resource_manager")
    priya = ResourceFactory(name="Priya Nair")
    march = month_start(add_months(timezone.localdate(), 3))
    common = {"role": priya.role, "resource": priya, "start_month": march, "end_month": march}
    AllocationFactory(
        project=ProjectFactory(portfolio=portfolio),
        amount=Decimal("0.6"),
        status="confirmed",
        **common,
    )
    pending = AllocationFactory(
        project=ProjectFactory(portfolio=portfolio, code="EPR"), amount=Decimal("0.5"), **common
    )
    resource_services.allocation_confirm(
        allocation=pending, by=resource_manager, override=True, override_reason="Go-live week"
    )
    [event] = published
    assert event.name == events.ALLOCATION_CONFLICT
    assert event.data["project"]["code"] == "EPR"
    assert event.data["over_capacity"] == "Priya Nair"
    assert event.data["for_person"] is True
    assert [month["month"] for month in event.data["months"]] == [march]
    assert event.data["months"][0]["utilisation"] > 1
    assert event.data["override_reason"] == "Go-live week"


def test_a_confirmation_within_capacity_announces_nothing(portfolio, member_of, published):
    resource_manager = member_of(portfolio, "resource_manager")
    priya = ResourceFactory()
    pending = AllocationFactory(
        project=ProjectFactory(portfolio=portfolio),
        role=priya.role,
        resource=priya,
        start_month=month_start(add_months(timezone.localdate(), 3)),
        end_month=month_start(add_months(timezone.localdate(), 3)),
        amount=Decimal("0.5"),
    )
    resource_services.allocation_confirm(allocation=pending, by=resource_manager)
    assert published == []
