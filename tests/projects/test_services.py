from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.concurrency import ConcurrentEditError
from projects import selectors, services
from projects.models import CostEntry, Milestone, StatusReport
from tests.factories import MilestoneFactory, ProjectFactory, StatusReportFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(username="manager")


@pytest.fixture
def managed(portfolio, manager):
    return ProjectFactory(portfolio=portfolio, manager=manager, code="ECOM-1")


@pytest.fixture
def planning(portfolio, manager):
    """A project still being planned: no baseline yet, so BAC and baseline are set directly."""
    return ProjectFactory(
        portfolio=portfolio, manager=manager, code="ECOM-2", baseline_start=None, baseline_end=None
    )


# Projects


def test_manager_updates_plan_and_version_moves_on(planning, manager):
    services.project_update(
        project=planning, data={"budget": Decimal("150000")}, expected_version=1, by=manager
    )
    planning.refresh_from_db()
    assert planning.budget == Decimal("150000")
    assert planning.version == 2
    assert planning.history.first().history_user == manager


def test_stage_change_past_a_gate_is_refused_with_a_message(managed, manager):
    with pytest.raises(ValidationError) as error:
        services.project_update(
            project=managed, data={"stage": "closing"}, expected_version=1, by=manager
        )
    assert "needs a gate decision" in error.value.message_dict["stage"][0]
    managed.refresh_from_db()
    assert (managed.stage, managed.version) == ("in_progress", 1)


def test_idea_becomes_candidate_without_a_gate(portfolio, manager):
    idea = ProjectFactory(portfolio=portfolio, manager=manager, stage="idea")
    services.project_update(
        project=idea, data={"stage": "candidate"}, expected_version=1, by=manager
    )
    idea.refresh_from_db()
    assert idea.stage == "candidate"


def test_someone_else_may_not_update(managed, member_of):
    for role in ("executive", "viewer", "resource_manager"):
        with pytest.raises(PermissionDenied):
            services.project_update(
                project=managed,
                data={"budget": Decimal("1")},
                expected_version=1,
                by=member_of(managed.portfolio, role),
            )
    managed.refresh_from_db()
    assert managed.budget == Decimal("100000")


def test_stale_version_is_refused_and_names_what_changed(planning, manager, member_of):
    pmo = member_of(planning.portfolio, "pmo")
    services.project_update(
        project=planning, data={"budget": Decimal("120000")}, expected_version=1, by=pmo
    )
    stale = type(planning).objects.get(pk=planning.pk)
    stale.version = 1
    with pytest.raises(ConcurrentEditError) as error:
        services.project_update(
            project=stale, data={"name": "Renamed"}, expected_version=1, by=manager
        )
    assert [change.field for change in error.value.changes] == ["budget"]
    assert error.value.changes[0].after == Decimal("120000.00")
    assert error.value.changed_by == pmo
    assert "budget" in str(error.value).lower()
    planning.refresh_from_db()
    assert (planning.name, planning.budget, planning.version) == (
        stale.name if stale.name != "Renamed" else planning.name,
        Decimal("120000"),
        2,
    )
    assert planning.name != "Renamed"


def test_set_baseline_copies_plan_dates(planning, manager):
    planning.start_date, planning.end_date = date(2026, 2, 1), date(2027, 1, 31)
    planning.save()
    milestone = MilestoneFactory(
        project=planning, baseline_date=date(2026, 5, 1), forecast_date=date(2026, 6, 15)
    )
    services.project_set_baseline(project=planning, expected_version=1, by=manager)
    planning.refresh_from_db()
    milestone.refresh_from_db()
    assert (planning.baseline_start, planning.baseline_end) == (date(2026, 2, 1), date(2027, 1, 31))
    assert planning.baseline_set_by == manager and planning.baseline_set_at is not None
    assert milestone.baseline_date == date(2026, 6, 15)


# Milestones


def test_milestone_weights_may_not_exceed_100(managed, manager):
    services.milestone_create(
        project=managed, data={"name": "Design", "weight": Decimal("60")}, by=manager
    )
    with pytest.raises(ValidationError) as error:
        services.milestone_create(
            project=managed, data={"name": "Build", "weight": Decimal("50")}, by=manager
        )
    assert "110" in error.value.message_dict["weight"][0]
    assert managed.milestones.count() == 1


def test_milestone_actual_date_cannot_be_in_the_future(managed, manager):
    with pytest.raises(ValidationError) as error:
        services.milestone_create(
            project=managed,
            data={"name": "Go-live", "actual_date": timezone.localdate() + timedelta(days=3)},
            by=manager,
        )
    assert "actual_date" in error.value.message_dict


def test_milestones_reorder(managed, manager):
    first = services.milestone_create(project=managed, data={"name": "A"}, by=manager)
    second = services.milestone_create(project=managed, data={"name": "B"}, by=manager)
    services.milestones_reorder(project=managed, ordered_ids=[second.pk, first.pk], by=manager)
    assert list(managed.milestones.order_by("sequence").values_list("name", flat=True)) == [
        "B",
        "A",
    ]
    with pytest.raises(ValidationError):
        services.milestones_reorder(project=managed, ordered_ids=[second.pk], by=manager)


def test_milestone_concurrent_edit_is_refused(managed, manager):
    milestone = services.milestone_create(project=managed, data={"name": "A"}, by=manager)
    services.milestone_update(
        milestone=milestone, data={"name": "A1"}, expected_version=1, by=manager
    )
    stale = Milestone.objects.get(pk=milestone.pk)
    with pytest.raises(ConcurrentEditError):
        services.milestone_update(
            milestone=stale, data={"name": "A2"}, expected_version=1, by=manager
        )
    assert Milestone.objects.get(pk=milestone.pk).name == "A1"


# Costs

GOOD_CSV = (
    "project_code,date,amount,category,description\n"
    "ECOM-1,2026-01-31,1200.50,labour,January developers\n"
    "ECOM-1,2026-01-31,300,software,Licences\n"
)


def test_csv_import_imports_every_row(managed, manager):
    entries = services.cost_entries_import_csv(project=managed, file=GOOD_CSV, by=manager)
    assert len(entries) == 2
    assert sorted(CostEntry.objects.filter(project=managed).values_list("amount", flat=True)) == [
        Decimal("300.00"),
        Decimal("1200.50"),
    ]


def test_csv_import_names_every_bad_row_and_imports_nothing(managed, manager):
    future = (timezone.localdate() + timedelta(days=10)).isoformat()
    bad = (
        "project_code,date,amount,category,description\n"
        "ECOM-1,2026-01-31,100,labour,fine\n"
        "ECOM-1,31/01/2026,100,labour,bad date\n"
        "ECOM-1,2026-01-31,-5,labour,negative\n"
        "ECOM-1,2026-01-31,5,catering,unknown category\n"
        "OTHER-9,2026-01-31,5,labour,wrong project\n"
        f"ECOM-1,{future},5,labour,future\n"
        "ECOM-1,2026-01-31,abc,labour,not a number\n"
    )
    with pytest.raises(services.CostImportError) as error:
        services.cost_entries_import_csv(project=managed, file=bad, by=manager)
    assert [(e.row, e.field) for e in error.value.errors] == [
        (3, "date"),
        (4, "amount"),
        (5, "category"),
        (6, "project_code"),
        (7, "date"),
        (8, "amount"),
    ]
    assert str(error.value.errors[2]).startswith("Row 5, category: “catering” is not a category")
    assert not CostEntry.objects.filter(project=managed).exists()


def test_csv_import_missing_columns_and_empty_file(managed, manager):
    with pytest.raises(services.CostImportError) as error:
        services.cost_entries_import_csv(project=managed, file="date,amount\n", by=manager)
    assert [e.field for e in error.value.errors] == ["category"]
    with pytest.raises(services.CostImportError):
        services.cost_entries_import_csv(project=managed, file="date,amount,category\n", by=manager)


def test_csv_template_parses_back(managed, manager):
    template = services.cost_csv_template().replace("PRJ-001", managed.code)
    template = template.replace("2026-10-31", "2026-01-31")
    assert len(services.cost_entries_import_csv(project=managed, file=template, by=manager)) == 1


def test_cost_entry_rules(managed, manager):
    with pytest.raises(ValidationError) as error:
        services.cost_entry_create(
            project=managed,
            data={
                "date": timezone.localdate() + timedelta(days=1),
                "amount": Decimal("5"),
                "category": "labour",
            },
            by=manager,
        )
    assert "date" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.cost_entry_create(
            project=managed,
            data={"date": date(2026, 1, 5), "amount": Decimal("-5"), "category": "labour"},
            by=manager,
        )
    assert "amount" in error.value.message_dict
    entry = services.cost_entry_create(
        project=managed,
        data={"date": date(2026, 1, 5), "amount": Decimal("5"), "category": "labour"},
        by=manager,
    )
    services.cost_entry_update(entry=entry, data={"amount": Decimal("7")}, by=manager)
    assert CostEntry.objects.get(pk=entry.pk).amount == Decimal("7")
    services.cost_entry_delete(entry=entry, by=manager)
    assert not CostEntry.objects.exists()


# Status reports


def test_new_report_is_prefilled_from_the_previous_one(managed, manager):
    StatusReportFactory(
        project=managed,
        period_start=date(2026, 9, 1),
        period_end=date(2026, 9, 30),
        schedule_rag="amber",
        percent_complete=Decimal("40"),
        summary="Integration slipping",
        accomplishments="Done things",
    )
    report = selectors.status_report_for_period(project=managed, day=date(2026, 10, 14))
    assert report.pk is None
    assert (report.period_start, report.period_end) == (date(2026, 10, 1), date(2026, 10, 31))
    assert report.state == "draft"
    assert report.schedule_rag == "amber"
    assert report.percent_complete == Decimal("40")
    assert report.summary == "Integration slipping"
    assert report.accomplishments == ""  # each period's accomplishments are its own
    services.status_report_save(report=report, data={}, expected_version=None, by=manager)
    again = selectors.status_report_for_period(project=managed, day=date(2026, 10, 1))
    assert again.pk == report.pk and again.created_by == manager


def test_weekly_portfolio_reports_by_week(managed, manager):
    managed.portfolio.reporting_period = "weekly"
    managed.portfolio.save()
    report = selectors.status_report_for_period(project=managed, day=date(2026, 11, 26))
    assert (report.period_start, report.period_end) == (date(2026, 11, 23), date(2026, 11, 29))


def test_submit_makes_the_report_read_only_until_pmo_reopens(managed, manager, member_of):
    report = selectors.status_report_for_period(project=managed, day=date(2026, 10, 1))
    services.status_report_save(report=report, data={}, expected_version=None, by=manager)
    with pytest.raises(ValidationError) as error:
        services.status_report_submit(report=report, data={}, expected_version=1, by=manager)
    assert {"summary", "forecast_cost"} <= set(error.value.message_dict)
    report = StatusReport.objects.get(pk=report.pk)
    services.status_report_submit(
        report=report,
        data={
            "summary": "On track",
            "percent_complete": Decimal("55"),
            "forecast_cost": Decimal("100000"),
        },
        expected_version=1,
        by=manager,
    )
    report.refresh_from_db()
    assert (report.state, report.submitted_by, report.percent_complete) == (
        "submitted",
        manager,
        Decimal("55"),
    )
    with pytest.raises(ValidationError):
        services.status_report_save(
            report=report, data={"summary": "x"}, expected_version=report.version, by=manager
        )
    with pytest.raises(PermissionDenied):
        services.status_report_reopen(report=report, expected_version=report.version, by=manager)
    services.status_report_reopen(
        report=report, expected_version=report.version, by=member_of(managed.portfolio, "pmo")
    )
    report.refresh_from_db()
    assert report.state == "draft"


def test_percent_complete_outside_0_100_is_refused(managed, manager):
    report = selectors.status_report_for_period(project=managed, day=date(2026, 10, 1))
    services.status_report_save(report=report, data={}, expected_version=None, by=manager)
    with pytest.raises(ValidationError) as error:
        services.status_report_save(
            report=report,
            data={"percent_complete": Decimal("120")},
            expected_version=1,
            by=manager,
        )
    assert "percent_complete" in error.value.message_dict
    assert StatusReport.objects.get(pk=report.pk).version == 1


def test_second_report_for_the_same_period_is_refused(managed, manager):
    first = selectors.status_report_for_period(project=managed, day=date(2026, 10, 1))
    services.status_report_save(report=first, data={}, expected_version=None, by=manager)
    duplicate = StatusReport(
        project=managed, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31)
    )
    with pytest.raises(ValidationError) as error:
        services.status_report_save(report=duplicate, data={}, expected_version=None, by=manager)
    assert "already has a status report for this period" in str(error.value)
    assert StatusReport.objects.filter(project=managed).count() == 1
