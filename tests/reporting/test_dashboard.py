"""Dashboards (reporting.dashboard): the demo portfolio's figures, the project table's
filters and sorting, the exceptions panel and the change since the previous period. (That
the figures agree across pages, reviews and the API: test_kpi_consistency.py.)"""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.months import add_months, month_end
from demo.seed import build_demo
from portfolio.models import (
    EacBasis,
    ObjectiveContribution,
    Portfolio,
    Program,
    StrategicObjective,
)
from projects.models import Project
from reporting import dashboard
from tests.factories import ProjectFactory, StatusReportFactory
from tests.figures import same

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return get_user_model().objects.get(username="executive")


def _board(user, code="finance", **params):
    return dashboard.portfolio_dashboard(
        portfolio=Portfolio.objects.get(code=code),
        user=user,
        as_of=timezone.localdate(),
        params=params,
    )


def _codes(board):
    return [row.project.code for row in board.page.object_list]


# --- Demo figures ----------------------------------------------------------------------------


def test_demo_portfolio_figures(demo):
    board = _board(demo)
    assert board.kpis.watermelons == 1
    assert board.kpis.late_dependencies == 1
    # Project risks (FIN-CORE 70 % × 300,000, …) plus the two portfolio risks once each:
    # 70 % × 600,000 + 50 % × 900,000. FIN-CORE's "Data model v2 not ready for wave 1" is
    # escalated into the first, so it counts there, not on FIN-CORE as well.
    assert board.kpis.risk_exposure == sum(r.risk_exposure for r in board.rows) + Decimal("870000")
    [fin_core] = [r for r in board.rows if r.project.code == "FIN-CORE"]
    assert fin_core.risk_exposure == Decimal("210000")
    assert board.kpis.cost_performance_index == board.kpis.earned_value / board.kpis.actual_cost
    # FIN-SEC contributes 1, 1, 0, 3 to objectives weighted 35, 30, 20, 15: 110 / 300.
    fin_sec = Project.objects.get(code="FIN-SEC")
    assert board.alignment[fin_sec.pk] == Decimal("36.7")


# --- The project table: filters and sorting ---------------------------------------------------


def test_filters(demo):
    finance = Portfolio.objects.get(code="finance")
    data_and_security = Program.objects.get(portfolio=finance, name="Data and security")
    liam = get_user_model().objects.get(username="liam.murphy")
    security = StrategicObjective.objects.get(portfolio=finance, name="Security and resilience")
    contributing = set(
        ObjectiveContribution.objects.filter(objective=security, contribution__gt=0).values_list(
            "project__code", flat=True
        )
    )
    assert "FIN-ROBO" not in contributing  # contributes 0

    def codes(**params):
        return set(_codes(_board(demo, **params)))

    assert codes(program=data_and_security.pk) == {"FIN-DATA", "FIN-SEC"}
    assert codes(stage="idea") == {"FIN-ROBO"}
    assert codes(health="red") == {"FIN-CORE"}
    assert codes(health="watermelon") == {"FIN-CORE"}
    assert codes(health="none") == {"FIN-OPEN", "FIN-ROBO"}
    assert codes(manager=liam.pk) == {"FIN-DATA", "FIN-SEC"}
    assert codes(objective=security.pk) == contributing
    assert codes(flag="over-budget") == {"FIN-CORE", "FIN-DATA", "FIN-SEC"}
    assert codes(flag="optimistic-forecast") == {"FIN-CORE"}
    assert codes(flag="report-missing") == set()
    assert codes(flag="late-dependency") == {"FIN-CORE"}
    assert codes(flag="slipping", slip=40) == {"FIN-DATA"}
    assert codes(program=data_and_security.pk, health="amber") == {"FIN-DATA"}
    # Junk is ignored rather than an error; the tiles always cover the whole portfolio.
    board = _board(demo, program="x", health="purple", sort="?", slip="-3")
    assert len(_codes(board)) == 6
    assert _board(demo, health="red").kpis.project_count == 6


def test_sorting(demo):
    board = _board(demo, sort="-budget")
    budgets = [row.project.budget for row in board.page.object_list]
    assert budgets == sorted(budgets, reverse=True)
    assert _codes(board)[0] == "FIN-CORE"

    # Projects without a CPI go last in either direction.
    for sort in ("cpi", "-cpi"):
        rows = list(_board(demo, sort=sort).page.object_list)
        indices = [row.earned_value.cost_performance_index for row in rows]
        known = [i for i in indices if i is not None]
        assert indices == known + [None] * (len(indices) - len(known))
        assert known == sorted(known, reverse=sort.startswith("-"))

    assert _codes(_board(demo, sort="-health"))[0] == "FIN-CORE"  # red first
    assert _codes(_board(demo, sort="name"))[0] == "FIN-CORE"  # "Core banking …"
    assert _codes(_board(demo)) == sorted(_codes(_board(demo)))  # code by default


def test_sort_rows_puts_unknown_values_last_and_keeps_code_order_on_ties(portfolio):
    for code, budget in (("B", "200"), ("A", "200"), ("C", "100")):
        ProjectFactory(portfolio=portfolio, code=code, budget=Decimal(budget))
    rows = dashboard.kpis.project_kpis(projects=Project.objects.all(), as_of=date(2026, 1, 1))
    by_budget = dashboard.sort_rows(rows, dashboard.TableQuery(sort="-budget"))
    assert [r.project.code for r in by_budget] == ["A", "B", "C"]


# --- Exceptions -------------------------------------------------------------------------------


def test_exceptions_list_the_watermelon_and_the_late_dependency(demo):
    exceptions = _board(demo).exceptions
    assert [row.project.code for row in exceptions.watermelons] == ["FIN-CORE"]
    assert "FIN-CORE" in [row.project.code for row in exceptions.red]
    [late] = exceptions.late_dependencies
    assert (late.predecessor_code, late.successor_code) == ("FIN-DATA", "FIN-CORE")
    assert late.days_late > 0
    assert [risk.title for risk in exceptions.escalated_risks] == [
        "Data model v2 not ready for wave 1"
    ]
    # FIN-CORE forecasts its budget, but BAC ÷ CPI (0.78) is over it: the worse of the two counts.
    assert {row.project.code for row in exceptions.over_budget} == {
        "FIN-CORE",
        "FIN-DATA",
        "FIN-SEC",
    }
    assert [row.project.code for row in exceptions.optimistic_forecasts] == ["FIN-CORE"]
    assert exceptions.reports_missing == []
    assert all(row.worst_milestone_slip_days > 30 for row in exceptions.slipping)

    health = _board(demo, code="health").exceptions
    assert [(d.predecessor_code, d.successor_code) for d in health.late_dependencies] == [
        ("HC-EPR", "HC-APP")
    ]


def test_exceptions_panel_links_to_projects_and_the_filtered_table(client, demo):
    client.force_login(demo)
    html = client.get(reverse("portfolio:detail", args=["finance"])).content.decode()
    fin_core = Project.objects.get(code="FIN-CORE")
    assert reverse("projects:detail", args=[fin_core.pk]) in html
    assert reverse("risks:project-register", args=[fin_core.pk]) in html
    assert 'href="?health=watermelon#projects"' in html  # the watermelons tile


def test_slip_threshold_comes_from_the_url(demo):
    assert _board(demo, slip=0).exceptions.slip_days == 0
    assert len(_board(demo, slip=0).exceptions.slipping) > len(
        _board(demo, slip=45).exceptions.slipping
    )


# --- Change since the previous period -----------------------------------------------------------


@pytest.fixture
def reported_today(portfolio):
    """A three-year plan through today with a report, 40 % done, for a period ending today."""
    today = timezone.localdate()
    project = ProjectFactory(
        portfolio=portfolio,
        budget=Decimal("100000"),
        baseline_start=date(today.year - 1, 1, 1),
        baseline_end=date(today.year + 1, 12, 31),
    )
    StatusReportFactory(
        project=project,
        period_start=today.replace(day=1),
        period_end=today,
        percent_complete=Decimal("40"),
    )
    return project


def test_tiles_compare_with_the_end_of_the_previous_period(portfolio, pmo_admin, reported_today):
    today = timezone.localdate()
    this_period = today.replace(day=1)
    StatusReportFactory(  # two months back: the period the tiles compare with
        project=reported_today,
        period_start=add_months(this_period, -2),
        period_end=month_end(add_months(this_period, -2)),
        percent_complete=Decimal("10"),
    )
    board = dashboard.portfolio_dashboard(portfolio=portfolio, user=pmo_admin, as_of=today)
    # The end of the period before the latest closed one (last month's, on a month's last day).
    assert month_end(add_months(this_period, -2)) <= board.previous_as_of < this_period
    assert board.kpis.earned_value == Decimal("40000.00")
    assert board.previous_kpis.earned_value == Decimal("10000.00")  # the previous report's
    tiles = {tile.key: tile for tile in board.tiles}
    assert tiles["spi"].previous == board.previous_kpis.schedule_performance_index
    assert tiles["spi"].trend == "good"


def test_a_project_without_a_status_date_then_has_no_index_to_compare(
    portfolio, pmo_admin, reported_today
):
    """No submitted report before: no status date, so no SPI then (it used to count as 0)."""
    today = timezone.localdate()
    board = dashboard.portfolio_dashboard(portfolio=portfolio, user=pmo_admin, as_of=today)
    assert board.previous_kpis.earned_value == Decimal("0")
    assert board.previous_kpis.without_status_date == 1
    tiles = {tile.key: tile for tile in board.tiles}
    assert tiles["spi"].previous is None
    assert (tiles["spi"].change, tiles["spi"].trend) == (None, "")


# --- EAC: the computed one beside the manager's forecast ------------------------------------


def test_fin_core_computed_eac_is_over_budget_and_the_portfolio_rolls_up_the_worse(client, db):
    """FIN-CORE (the watermelon) forecasts exactly its budget while CPI 0.78 computes an EAC
    far above it: it is over budget, its forecast is flagged, and the portfolio EAC counts the
    computed one (the forecast alone understated it by about 1.8 M)."""
    build_demo()
    executive = get_user_model().objects.get(username="executive")
    board = _board(executive)
    [fin_core] = [row for row in board.rows if row.project.code == "FIN-CORE"]
    ev, budget = fin_core.earned_value, fin_core.project.budget

    assert ev.forecast_cost == budget
    assert same(ev.computed_estimate_at_completion, budget / ev.cost_performance_index)
    assert ev.computed_estimate_at_completion > budget
    assert ev.estimate_at_completion == ev.computed_estimate_at_completion  # worse of the two
    assert ev.variance_at_completion < 0
    assert fin_core in board.exceptions.over_budget
    assert fin_core in board.exceptions.optimistic_forecasts
    assert board.exceptions.count >= len(board.exceptions.optimistic_forecasts) == 1

    def worse_of(row):
        known = [
            value
            for value in (
                row.earned_value.computed_estimate_at_completion,
                row.earned_value.forecast_cost,
            )
            if value is not None
        ]
        return max(known) if known else row.project.budget

    assert same(board.kpis.estimate_at_completion, sum(worse_of(row) for row in board.rows))

    finance = Portfolio.objects.get(code="finance")
    finance.eac_basis = EacBasis.FORECAST
    finance.save()
    understated = board.kpis.estimate_at_completion - _board(executive).kpis.estimate_at_completion
    cent = Decimal("0.01")  # sums of exact figures: equal to the cent
    assert understated.quantize(cent) == (
        ev.computed_estimate_at_completion - ev.forecast_cost
    ).quantize(cent)
    assert understated > Decimal("1800000")

    client.force_login(executive)
    html = client.get(reverse("portfolio:detail", args=["finance"])).content.decode()
    assert "Optimistic forecasts" in html and "Forecast over budget" in html
    page = client.get(reverse("projects:detail", args=[fin_core.project.pk])).content.decode()
    assert "Forecast more optimistic than the numbers." in page


def test_an_admins_overview_needs_no_scope_and_agrees_with_each_portfolios_members(
    demo, pmo_admin, member_of
):
    """A PMO admin's overview covers every project, so its statement restricts no table to
    a list of ids (`IS NOT NULL`, not `IN (SELECT … scope)`); its figures are each
    portfolio's as the portfolio's own members see them."""
    today = timezone.localdate()
    with CaptureQueriesContext(connection) as captured:
        overview = dashboard.portfolio_overview(user=pmo_admin, as_of=today)
    statement = next(q["sql"] for q in captured.captured_queries if "scoped AS" in q["sql"])
    assert "IN (SELECT id FROM scope)" not in statement and "IS NOT NULL" in statement
    assert len(overview.rows) == Portfolio.objects.count() > 1
    for row in overview.rows:
        member = member_of(row.portfolio, "viewer")
        [own] = dashboard.portfolio_overview(user=member, as_of=today).rows
        assert own.portfolio == row.portfolio
        for name in ("project_count", "budget", "actual_cost", "earned_value", "planned_value"):
            assert same(getattr(own.kpis, name), getattr(row.kpis, name)), name
        assert own.kpis.computed_health_counts == row.kpis.computed_health_counts
        assert same(own.kpis.risk_exposure, row.kpis.risk_exposure)
