"""KPIs: one source of truth. The set-based per-project figures equal the project page's, and
rollups are ratios of sums with shared portfolio risks counted once."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.months import month_end
from portfolio.models import EacBasis
from projects.models import Project
from projects.selectors import project_page_queryset, project_performance
from reporting import dashboard, kpis
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
from tests.figures import assert_same_figures, same

pytestmark = pytest.mark.django_db


def test_project_kpis_equal_the_project_page_on_demo_data():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    today = timezone.localdate()
    rows = kpis.project_kpis(projects=Project.objects.all(), as_of=today)
    assert len(rows) == Project.objects.count() > 20
    for row in rows:
        page = project_performance(project=Project.objects.get(pk=row.project.pk), as_of=today)
        assert_same_figures(row.earned_value, page.earned_value, row.project.code)
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
    # 500/550, not mean(1.0, 0.5); exact, rounded only to show
    assert total.cost_performance_index == Decimal("500000") / Decimal("550000")
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
    # one statement on PostgreSQL (reporting.kpi_sql), four for the Python reference
    with django_assert_num_queries(1 if kpis.in_sql() else 4):
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


# --- Status date ------------------------------------------------------------------------------

PLAN_START = date(2026, 1, 1)  # a 400-day baseline: planned % = days ÷ 4


@pytest.fixture
def reported(portfolio):
    """BAC 100,000 over 400 days from 1 Jan 2026. Submitted reports for September (60 %
    done), October (70 %, forecast 120,000) and November; costs of 60,000 on 15 Sep, 20,000
    on 15 Oct and 5,000 on 10 Nov."""
    project = ProjectFactory(
        portfolio=portfolio,
        budget=Decimal("100000"),
        baseline_start=PLAN_START,
        baseline_end=PLAN_START + timedelta(days=400),
    )
    for month, done, forecast in ((9, "60", None), (10, "70", "120000"), (11, "80", None)):
        StatusReportFactory(
            project=project,
            period_start=date(2026, month, 1),
            period_end=month_end(date(2026, month, 1)),
            percent_complete=Decimal(done),
            forecast_cost=forecast and Decimal(forecast),
            overall_rag="green",
        )
    for day, amount in ((date(2026, 9, 15), "60000"), (date(2026, 10, 15), "20000")):
        CostEntryFactory(project=project, date=day, amount=Decimal(amount))
    CostEntryFactory(project=project, date=date(2026, 11, 10), amount=Decimal("5000"))
    return project


def _measured(project, as_of):
    [row] = kpis.project_kpis(projects=Project.objects.filter(pk=project.pk), as_of=as_of)
    page = project_performance(project=Project.objects.get(pk=project.pk), as_of=as_of)
    # one rule, set-based (in SQL on PostgreSQL) and for one project
    assert_same_figures(row.earned_value, page.earned_value)
    assert same(row.planned_percent_complete, page.planned_percent_complete)
    assert row.report_missing == page.report_missing
    return row


def test_evm_is_measured_at_the_status_date(reported):
    # 29 Nov: November's report is submitted but its period has not ended; October's sets the
    # status date, 31 Oct (303 days: planned 75.75 %).
    row = _measured(reported, date(2026, 11, 29))
    ev = row.earned_value
    assert row.status_date == ev.status_date == date(2026, 10, 31)
    assert row.planned_percent_complete == Decimal("75.75")
    assert (ev.planned_value, ev.earned_value) == (Decimal("75750"), Decimal("70000"))
    assert ev.actual_cost == Decimal("80000")  # 15 Sep and 15 Oct, not 10 Nov
    assert ev.cost_to_date == Decimal("85000")
    assert ev.spent_since_status_date == Decimal("5000")
    assert ev.cost_performance_index == Decimal("0.875")  # 70,000 / 80,000
    # quotients: exact in each implementation, to its precision (tests/figures.py)
    assert same(ev.schedule_performance_index, Decimal("70000") / Decimal("75750"))
    assert ev.forecast_cost == Decimal("120000")  # October's report's
    assert same(ev.computed_estimate_at_completion, Decimal("100000") / Decimal("0.875"))
    assert same(
        ev.pessimistic_estimate_at_completion,
        Decimal("80000")
        + Decimal("30000") / (Decimal("0.875") * Decimal("70000") / Decimal("75750")),
    )
    assert ev.estimate_at_completion == Decimal("120000")  # worse of 114,285.71 and 120,000
    assert row.percent_complete == Decimal("70")
    assert row.computed_health == "amber"  # CPI 0.875
    assert row.report_missing is False

    # 30 Oct: October has not ended; September's report: 30 Sep, 272 days, 68 %.
    ev = _measured(reported, date(2026, 10, 30)).earned_value
    assert ev.status_date == date(2026, 9, 30)
    assert (ev.planned_value, ev.earned_value) == (Decimal("68000"), Decimal("60000"))
    assert (ev.actual_cost, ev.spent_since_status_date) == (Decimal("60000"), Decimal("20000"))
    assert ev.cost_performance_index == 1
    assert ev.forecast_cost is None
    assert ev.estimate_at_completion == Decimal("100000")  # BAC ÷ CPI 1.0

    # 30 Nov: November's period has ended: its report sets the status date.
    assert _measured(reported, date(2026, 11, 30)).status_date == date(2026, 11, 30)


def test_no_submitted_report_no_status_date(reported):
    # 29 Sep: no report's period has ended yet.
    row = _measured(reported, date(2026, 9, 29))
    ev = row.earned_value
    assert row.status_date is None
    assert (ev.planned_value, ev.earned_value, ev.actual_cost) == (None, None, None)
    assert (ev.cost_performance_index, ev.schedule_performance_index) == (None, None)
    assert ev.spent_since_status_date == ev.cost_to_date == Decimal("60000")
    assert (row.percent_complete, row.computed_health, row.reported_health) == (None, "", "")
    assert row.is_watermelon is False


def test_drafts_do_not_set_the_status_date(reported):
    reported.status_reports.filter(period_start=date(2026, 10, 1)).update(state="draft")
    assert _measured(reported, date(2026, 11, 29)).status_date == date(2026, 9, 30)


def test_a_status_date_more_than_a_period_and_the_grace_days_old_is_a_missing_report(reported):
    reported.status_reports.filter(period_start=date(2026, 11, 1)).delete()
    # 5 Dec: November's report is within its grace days; 6 Dec: it is missing.
    assert _measured(reported, date(2026, 12, 5)).report_missing is False
    row = _measured(reported, date(2026, 12, 6))
    assert (row.status_date, row.report_missing) == (date(2026, 10, 31), True)
    board = dashboard.portfolio_dashboard(
        portfolio=reported.portfolio, user=None, as_of=date(2026, 12, 6)
    )
    assert [r.project.pk for r in board.exceptions.reports_missing] == [reported.pk]
    assert board.kpis.reports_missing == 1


def test_rollup_sums_each_project_at_its_own_status_date(reported, portfolio):
    """Ratios of sums over the projects with a status date; a project without one adds its
    budget (BAC and EAC) and its costs to "spent since status date" only."""
    unreported = ProjectFactory(portfolio=portfolio, budget=Decimal("50000"))
    CostEntryFactory(project=unreported, date=date(2026, 10, 1), amount=Decimal("7000"))
    behind = ProjectFactory(
        portfolio=portfolio, budget=Decimal("10000"), baseline_start=None, baseline_end=None
    )
    StatusReportFactory(
        project=behind,
        period_start=date(2026, 8, 1),
        period_end=date(2026, 8, 31),
        percent_complete=Decimal("50"),
    )
    CostEntryFactory(project=behind, date=date(2026, 8, 20), amount=Decimal("4000"))
    CostEntryFactory(project=behind, date=date(2026, 9, 20), amount=Decimal("1000"))

    total = kpis.rollup(kpis.project_kpis(projects=Project.objects.all(), as_of=date(2026, 11, 29)))

    assert (total.first_status_date, total.last_status_date) == (
        date(2026, 8, 31),
        date(2026, 10, 31),
    )
    assert total.without_status_date == 1
    assert total.earned_value == Decimal("70000") + Decimal("5000")
    assert total.actual_cost == Decimal("80000") + Decimal("4000")
    assert total.cost_to_date == Decimal("85000") + Decimal("5000") + Decimal("7000")
    assert total.spent_since_status_date == Decimal("5000") + Decimal("1000") + Decimal("7000")
    assert total.cost_performance_index == Decimal("75000") / Decimal("84000")
    # The 400-day plan at 31 Oct (75,750) and the behind project without a baseline (0)
    assert total.schedule_performance_index == Decimal("75000") / Decimal("75750")
    # EAC: 120,000 (worse of), 50,000 (no EAC: BAC), 10,000 × 4,000 / 5,000 = 8,000
    assert total.estimate_at_completion == Decimal("178000")


@pytest.mark.parametrize(
    ("basis", "eac", "over_budget"),
    [
        (EacBasis.WORSE_OF, Decimal("125000"), True),
        (EacBasis.COMPUTED, Decimal("125000"), True),
        (EacBasis.FORECAST, Decimal("100000"), False),
    ],
)
def test_portfolio_eac_basis_picks_the_eac_that_rolls_up(portfolio, basis, eac, over_budget):
    """CPI 0.8 computes an EAC of 125,000; the manager forecasts the budget."""
    portfolio.eac_basis = basis
    portfolio.save()
    project = ProjectFactory(portfolio=portfolio, budget=Decimal("100000"))
    StatusReportFactory(
        project=project,
        percent_complete=Decimal("40"),
        forecast_cost=Decimal("100000"),
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
    )
    CostEntryFactory(project=project, date=date(2026, 3, 20), amount=Decimal("50000"))

    rows = kpis.project_kpis(projects=Project.objects.all(), as_of=date(2026, 4, 10))

    [row] = rows
    assert row.earned_value.computed_estimate_at_completion == Decimal("125000")
    assert row.earned_value.forecast_cost == Decimal("100000")
    assert row.earned_value.estimate_at_completion == eac
    assert row.forecast_over_budget is over_budget
    # 100,000 is more than 15 % (the amber band) below 125,000, whichever EAC rolls up
    assert row.forecast_optimistic is True
    assert kpis.rollup(rows).estimate_at_completion == eac
