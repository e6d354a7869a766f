"""KPIs: one source of truth. The set-based per-project figures equal the project page's, and
rollups are ratios of sums with shared portfolio risks counted once."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from projects.models import Project
from projects.selectors import project_page_queryset, project_performance
from reporting import kpis
from reporting.selectors import project_detail
from risks.models import Risk
from tests.factories import (
    CostEntryFactory,
    MilestoneFactory,
    ProgramFactory,
    ProjectFactory,
    RiskFactory,
    StatusReportFactory,
)

pytestmark = pytest.mark.django_db


def test_project_kpis_equal_the_project_page_on_demo_data():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    today = timezone.localdate()
    rows = kpis.project_kpis(projects=Project.objects.all(), as_of=today)
    assert len(rows) == Project.objects.count() > 20
    for row in rows:
        page = project_performance(project=Project.objects.get(pk=row.project.pk), as_of=today)
        assert row.earned_value == page.earned_value, row.project.code
        assert row.computed_health == page.computed_health, row.project.code
        assert row.is_watermelon == page.is_watermelon, row.project.code
    assert sum(row.is_watermelon for row in rows) == 1


def test_rollup_is_ratio_of_sums_and_counts_a_shared_risk_once(portfolio):
    big = ProjectFactory(
        portfolio=portfolio,
        budget=Decimal("900000"),
        baseline_start=date(2026, 1, 1),
        baseline_end=date(2026, 12, 31),
    )
    small = ProjectFactory(
        portfolio=portfolio,
        budget=Decimal("100000"),
        baseline_start=date(2026, 1, 1),
        baseline_end=date(2026, 12, 31),
    )
    # big: 50 % done for 450,000 (CPI 1.0); small: 50 % done for 100,000 (CPI 0.5)
    for project, cost in ((big, "450000"), (small, "100000")):
        StatusReportFactory(
            project=project,
            period_start=date(2026, 6, 1),
            period_end=date(2026, 6, 30),
            percent_complete=Decimal("50"),
        )
        CostEntryFactory(project=project, date=date(2026, 6, 15), amount=Decimal(cost))
    shared = RiskFactory(
        portfolio=portfolio, project=None, probability=5, cost_impact=Decimal("100000")
    )
    shared.threatened_projects.add(big, small)
    RiskFactory(portfolio=portfolio, project=small, probability=1, cost_impact=Decimal("50000"))

    rows = kpis.project_kpis(projects=Project.objects.all(), as_of=date(2026, 7, 2))
    total = kpis.rollup(
        rows,
        portfolio_risk_exposure=kpis.portfolio_risk_exposure(risks=Risk.objects.all()),
    )

    assert total.earned_value == Decimal("500000.00")
    assert total.actual_cost == Decimal("550000.00")
    assert total.cost_performance_index == Decimal("0.909")  # 500/550, not mean(1.0, 0.5)
    assert total.risk_exposure == Decimal("95000.00")  # 90,000 once + 5,000
    assert total.budget == Decimal("1000000")
    assert total.computed_health_counts == {"green": 1, "red": 1}


def test_an_escalated_project_risk_counts_once_as_its_portfolio_risk(portfolio):
    """Two project risks escalated into one portfolio risk (90 % × 100,000): the projects'
    rows drop them, and every roll-up adds the portfolio risk once, beside the open 5,000."""
    program = ProgramFactory(portfolio=portfolio)
    first, second = (ProjectFactory(portfolio=portfolio, program=program) for _ in "ab")
    shared = RiskFactory(
        portfolio=portfolio, project=None, probability=5, cost_impact=Decimal("100000")
    )
    shared.threatened_projects.add(first, second)
    for project in (first, second):
        RiskFactory(
            portfolio=portfolio,
            project=project,
            probability=4,
            cost_impact=Decimal("80000"),
            status="escalated",
            escalated_to=shared,
        )
    RiskFactory(portfolio=portfolio, project=second, probability=1, cost_impact=Decimal("50000"))
    today = date(2026, 7, 2)

    rows = kpis.project_kpis(projects=Project.objects.all(), as_of=today)
    assert {row.project.pk: row.risk_exposure for row in rows} == {
        first.pk: Decimal("0"),
        second.pk: Decimal("5000.00"),
    }
    whole = kpis.portfolio_kpis(portfolio=portfolio, user=None, as_of=today)
    [overview] = kpis.portfolios_kpis(portfolios=[portfolio], user=None, as_of=today).values()
    of_program = kpis.program_kpis(program=program, user=None, as_of=today)
    for rollup in (whole, overview, of_program):
        assert rollup.portfolio_risk_exposure == Decimal("90000.00")
        assert rollup.risk_exposure == Decimal("95000.00")


@pytest.mark.parametrize("count", [5, 50])
def test_project_kpis_query_count_is_constant(portfolio, count, django_assert_num_queries):
    for _ in range(count):
        project = ProjectFactory(portfolio=portfolio)
        StatusReportFactory(project=project)
        CostEntryFactory(project=project)
        MilestoneFactory(project=project)
        RiskFactory(portfolio=portfolio, project=project)
    with django_assert_num_queries(4):
        rows = kpis.project_kpis(projects=Project.objects.all(), as_of=date(2026, 6, 1))
    assert len(rows) == count


@pytest.mark.parametrize(
    ("baseline", "forecast", "actual", "status", "slip"),
    [
        (date(2026, 7, 1), date(2026, 7, 11), None, "planned", 10),
        (date(2026, 7, 1), date(2026, 6, 20), None, "planned", 0),
        (date(2026, 3, 1), date(2026, 3, 1), None, "planned", 92),  # overdue: today − baseline
        (date(2026, 3, 1), None, date(2026, 3, 4), "done", 3),
        (None, date(2026, 3, 1), None, "planned", 0),
    ],
)
def test_milestone_slip(baseline, forecast, actual, status, slip):
    milestone = MilestoneFactory.build(
        baseline_date=baseline, forecast_date=forecast, actual_date=actual, status=status
    )
    assert kpis.milestone_slip(milestone, as_of=date(2026, 6, 1)) == slip


def test_project_page_slips_agree_with_the_dashboard_late_milestones(portfolio, pmo_admin):
    project = ProjectFactory(portfolio=portfolio)
    as_of = date(2026, 6, 1)
    for baseline, forecast, actual, status in [
        (date(2026, 5, 1), date(2026, 5, 1), None, "planned"),  # forecast passed: 31 days late
        (date(2026, 5, 1), date(2026, 5, 20), None, "missed"),  # same: 31 days late
        (date(2026, 5, 1), None, date(2026, 5, 3), "done"),  # reached 2 days late
        (date(2026, 5, 1), None, date(2026, 4, 28), "done"),  # reached 3 days early
        (date(2026, 7, 1), date(2026, 7, 11), None, "planned"),  # forecast 10 days late
        (date(2026, 7, 1), date(2026, 6, 21), None, "in_progress"),  # forecast 10 days early
        (date(2026, 7, 1), date(2026, 7, 1), None, "planned"),  # on time
        (None, date(2026, 3, 1), None, "planned"),  # no baseline: no slip
    ]:
        MilestoneFactory(
            project=project,
            baseline_date=baseline,
            forecast_date=forecast,
            actual_date=actual,
            status=status,
        )
    page = project_detail(
        project=project_page_queryset(user=pmo_admin).get(pk=project.pk),
        user=pmo_admin,
        as_of=as_of,
    )
    [row] = kpis.project_kpis(projects=Project.objects.filter(pk=project.pk), as_of=as_of)

    slips = [milestone.slip_days for milestone in page.milestones]
    assert sorted(slip for slip in slips if slip is not None) == [-10, -3, 0, 2, 10, 31, 31]
    late = [slip for slip in slips if slip is not None and slip > 0]
    assert row.late_milestones == len(late) == 4
    assert row.worst_milestone_slip_days == max(late) == 31
