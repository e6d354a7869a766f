"""One roll-up, many readers (reporting.kpis.portfolio_kpis and its siblings for the overview
and program pages): on the demo data the portfolio dashboard equals the sum of its project
pages, the overview row, its program pages, the stored monthly review of the same as-of date
and the API's portfolio KPIs, to the cent; and a project exactly on plan shows no change since
the previous period, on the dashboard's tiles as in the monthly review's changes."""

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

import charts
from core.months import add_months, month_end, month_start
from portfolio.models import Portfolio, Program
from projects import evm
from projects.models import CostEntry, Project
from projects.selectors import project_performance
from reporting import digests, review_display, reviews, services
from reporting.models import DigestSubscription
from risks import services as risk_services
from risks.models import Risk
from tests.factories import (
    CostEntryFactory,
    ProgramFactory,
    ProjectFactory,
    StatusReportFactory,
)
from tests.figures import same

pytestmark = pytest.mark.django_db
CENT, INDEX = Decimal("0.01"), Decimal("0.001")


@pytest.fixture
def executive():
    """The demo data, seen by its executive: a member of every portfolio, so they see every
    project and risk, as the (unrestricted) stored review does."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return get_user_model().objects.get(username="executive")


def _assert_is_the_sum_of_the_project_pages(rollup, performances) -> None:
    """`rollup` sums the projects' EVM figures (indices are ratios of the sums) and counts
    their health as the project pages compute them."""
    figures = [performance.earned_value for performance in performances]
    assert rollup.project_count == len(figures) > 0
    assert rollup.budget == sum(ev.budget_at_completion for ev in figures)
    # A project without a status date has no AC, EV or PV: it adds nothing to them.
    assert rollup.actual_cost == sum(ev.actual_cost or 0 for ev in figures)
    assert rollup.earned_value == sum(ev.earned_value or 0 for ev in figures)
    # PV and the computed EACs are quotients: SQL (PostgreSQL) and the Python pages agree to
    # the cent (tests/figures.py); the roll-up's own ratios are exact.
    assert same(rollup.planned_value, sum(ev.planned_value or 0 for ev in figures))
    assert rollup.cost_to_date == sum(ev.cost_to_date for ev in figures)
    assert rollup.first_status_date == min(ev.status_date for ev in figures if ev.status_date)
    assert rollup.last_status_date == max(ev.status_date for ev in figures if ev.status_date)
    # A project without an EAC yet (no progress reported) counts at its budget.
    assert same(
        rollup.estimate_at_completion,
        sum(ev.estimate_at_completion or ev.budget_at_completion for ev in figures),
    )
    assert rollup.variance_at_completion == rollup.budget - rollup.estimate_at_completion
    assert rollup.cost_performance_index == evm.ratio(rollup.earned_value, rollup.actual_cost)
    assert rollup.schedule_performance_index == evm.ratio(rollup.earned_value, rollup.planned_value)
    assert rollup.computed_health_counts == Counter(p.computed_health for p in performances)
    assert rollup.reported_health_counts == Counter(
        p.latest_report.overall_rag if p.latest_report else "" for p in performances
    )
    assert rollup.watermelons == sum(p.is_watermelon for p in performances)
    assert rollup.optimistic_forecasts == sum(p.forecast_optimistic for p in performances)
    assert rollup.reports_missing == sum(p.report_missing for p in performances)


@pytest.mark.parametrize("username", ["executive", "project_manager"])
def test_dashboard_totals_equal_the_sum_of_the_project_pages(client, executive, username):
    user = get_user_model().objects.get(username=username)
    client.force_login(user)
    today = timezone.localdate()
    checked = 0
    for portfolio in Portfolio.objects.visible_to(user):
        response = client.get(reverse("portfolio:detail", args=[portfolio.code]))
        _assert_is_the_sum_of_the_project_pages(
            response.context["rollup"],
            [
                project_performance(project=project, as_of=today)
                for project in Project.objects.visible_to(user)
                .filter(portfolio=portfolio)
                .select_related("portfolio")
            ],
        )
        checked += 1
    assert checked == (4 if username == "executive" else 3)


@pytest.mark.parametrize("username", ["executive", "project_manager", "viewer"])
def test_overview_row_equals_the_portfolio_dashboard(client, executive, username):
    user = get_user_model().objects.get(username=username)
    client.force_login(user)
    overview = client.get(reverse("portfolio:list")).context["overview"]
    assert overview.rows
    for row in overview.rows:
        response = client.get(reverse("portfolio:detail", args=[row.portfolio.code]))
        assert row.kpis == response.context["rollup"], row.portfolio.code


def test_program_pages_add_up_to_the_portfolio(client, executive):
    client.force_login(executive)
    portfolio = Portfolio.objects.get(code="finance")
    board = client.get(reverse("portfolio:detail", args=[portfolio.code])).context["board"]
    program_totals = []
    for program in Program.objects.filter(portfolio=portfolio):
        response = client.get(reverse("portfolio:program", args=[portfolio.code, program.pk]))
        program_totals.append(response.context["rollup"])
        [group] = [g for g in board.program_groups if g.program_id == program.pk]
        assert group.kpis.budget == response.context["rollup"].budget
        assert group.kpis.earned_value == response.context["rollup"].earned_value
    assert sum(k.budget for k in program_totals) == board.kpis.budget  # all in a program
    assert sum(k.actual_cost for k in program_totals) == board.kpis.actual_cost
    assert sum(k.project_count for k in program_totals) == board.kpis.project_count


def _project_pages(client, portfolio):
    """The project page of each of the portfolio's projects, as the executive sees it."""
    return [
        client.get(reverse("projects:detail", args=[pk])).context
        for pk in Project.objects.filter(portfolio=portfolio).values_list("pk", flat=True)
    ]


def _api_kpis(api, portfolio) -> dict:
    data = api.get(f"/api/portfolios/{portfolio.code}/").json()["kpis"]
    return {
        name: value if isinstance(value, int | dict) else Decimal(value)
        for name, value in data.items()
    }


def test_dashboard_project_pages_stored_review_and_api_agree(client, executive):
    client.force_login(executive)
    api = APIClient()
    api.force_login(executive)
    today = timezone.localdate()
    portfolios = list(Portfolio.objects.order_by("code"))
    assert len(portfolios) == 4
    late_milestones = 0
    for portfolio in portfolios:
        rollup = client.get(reverse("portfolio:detail", args=[portfolio.code])).context["rollup"]
        pages = _project_pages(client, portfolio)
        review = services.run_review(portfolio=portfolio, kind="monthly", period=today)
        register_url = reverse("risks:portfolio-register", args=[portfolio.code])
        register = client.get(register_url).context["register"]

        # The dashboard is the sum of the project pages (ratios of the sums)...
        assert rollup.as_of == today
        _assert_is_the_sum_of_the_project_pages(rollup, [page["performance"] for page in pages])
        assert rollup.late_dependencies == sum(
            dependency.is_late for page in pages for dependency in page["detail"].dependencies_in
        )
        # ...its late milestones are those the project pages show with a positive slip...
        assert rollup.late_milestones == sum(
            (row.slip_days or 0) > 0 for page in pages for row in page["detail"].milestones
        ), portfolio.code
        late_milestones += rollup.late_milestones
        # ...its risk exposure is the risk register's (each portfolio risk once)...
        assert rollup.risk_exposure == register.totals.exposure, portfolio.code
        # ...the stored review of this month (as of today) holds the same figures...
        assert review.period_start <= today <= review.period_end
        assert review.kpis == reviews.rollup_as_json(rollup), portfolio.code
        # ...and so does the API, which shows the exact figures to the cent and indices to 0.001.
        assert _api_kpis(api, portfolio) == {
            "project_count": rollup.project_count,
            "budget": rollup.budget,
            "actual_cost": rollup.actual_cost,
            "earned_value": rollup.earned_value.quantize(CENT),
            "planned_value": rollup.planned_value.quantize(CENT),
            "estimate_at_completion": rollup.estimate_at_completion.quantize(CENT),
            "cost_performance_index": rollup.cost_performance_index.quantize(INDEX),
            "schedule_performance_index": rollup.schedule_performance_index.quantize(INDEX),
            "risk_exposure": rollup.risk_exposure,
            "watermelons": rollup.watermelons,
            "late_milestones": rollup.late_milestones,
            "computed_health_counts": rollup.computed_health_counts,
        }, portfolio.code
    assert late_milestones > 0  # the demo has late milestones, so the comparison means something


BUDGET = Decimal("120000.00")
PLAN_DAYS = 400  # planned % = days ÷ 4: a whole hundredth, so a manager can report it exactly
DAILY_COST = BUDGET / PLAN_DAYS  # 300.00: each day's planned value


@pytest.fixture
def on_plan(portfolio):
    """A project that progresses and spends exactly on plan: it started six months ago, books
    each day's planned value that day up to today, and reports the planned % complete at the
    end of every month closed so far (this month's report is not due yet)."""
    today = timezone.localdate()
    start = add_months(month_start(today), -6)
    project = ProjectFactory(
        portfolio=portfolio,
        program=ProgramFactory(portfolio=portfolio),
        budget=BUDGET,
        start_date=start,
        end_date=start + timedelta(days=PLAN_DAYS),
        baseline_start=start,
        baseline_end=start + timedelta(days=PLAN_DAYS),
    )
    month = start
    while month < month_start(today):
        StatusReportFactory(
            project=project,
            period_start=month,
            period_end=month_end(month),
            percent_complete=(month_end(month) - start).days * Decimal(100) / PLAN_DAYS,
            forecast_cost=BUDGET,
            overall_rag="green",
        )
        month = add_months(month, 1)
    CostEntry.objects.bulk_create(
        CostEntryFactory.build(project=project, date=start + timedelta(days=day), amount=DAILY_COST)
        for day in range(1, (today - start).days + 1)
    )
    return project


def _as_of_dates(today: date) -> list[date]:
    """Month ends, the day after, mid-month days (what "today" usually is) and today."""
    dates = {today}
    for back in (1, 2, 3):
        month = add_months(month_start(today), -back)
        dates |= {month_end(month), month_end(month) + timedelta(days=1), month.replace(day=15)}
    return sorted(day for day in dates if day <= today)


def _assert_on_plan_with_no_change(board, as_of: date) -> None:
    now, before = board.kpis, board.previous_kpis
    assert now.cost_performance_index == now.schedule_performance_index == 1, as_of
    assert before.cost_performance_index == before.schedule_performance_index == 1, as_of
    assert now.estimate_at_completion == now.budget and now.variance_at_completion == 0
    assert now.computed_health_counts == {"green": 1} == before.computed_health_counts
    # The status date moves only once a month's report is in: then only the money spent
    # moves (AC, and EV and PV with it); between two status dates nothing does.
    moved = {"ac"} if now.last_status_date != before.last_status_date else set()
    assert {tile.key for tile in board.tiles if tile.change} == moved, as_of
    assert all(tile.trend == "" for tile in board.tiles), as_of
    assert now.spent_since_status_date == DAILY_COST * (as_of - now.last_status_date).days


def test_a_project_exactly_on_plan_shows_no_change_since_the_previous_period(
    client, portfolio, pmo_admin, on_plan
):
    """Every page, at any as-of date, month end or mid-month: CPI = SPI = 1, EAC = BAC, no
    change on any tile; each project is measured at its status date, then and now."""
    today = timezone.localdate()
    client.force_login(pmo_admin)
    program_url = reverse("portfolio:program", args=[portfolio.code, on_plan.program_id])
    for as_of in _as_of_dates(today):
        params = {"as_of": as_of.isoformat()}
        board = client.get(reverse("portfolio:detail", args=[portfolio.code]), params).context[
            "board"
        ]
        assert board.kpis.last_status_date == month_end(add_months(month_start(as_of), -1)) or (
            board.kpis.last_status_date == as_of
        ), as_of
        _assert_on_plan_with_no_change(board, as_of)
        _assert_on_plan_with_no_change(client.get(program_url, params).context["board"], as_of)

    [row] = client.get(reverse("portfolio:list")).context["overview"].rows
    assert row.kpis.cost_performance_index == row.kpis.schedule_performance_index == 1
    page = client.get(reverse("projects:detail", args=[on_plan.pk])).context["performance"]
    assert page.status_date == month_end(add_months(month_start(today), -1))
    ev = page.earned_value
    assert ev.cost_performance_index == ev.schedule_performance_index == 1
    assert ev.estimate_at_completion == ev.computed_estimate_at_completion == BUDGET
    assert ev.pessimistic_estimate_at_completion == BUDGET
    assert (page.computed_health, page.is_watermelon, page.forecast_optimistic) == (
        "green",
        False,
        False,
    )

    # The stored reviews: the last two closed months and this month so far (as of today).
    reviews_run = [
        services.run_review(portfolio=portfolio, kind="monthly", period=month)
        for month in (add_months(today, -2), add_months(today, -1), today)
    ]
    for review in reviews_run:
        assert review.kpis["cost_performance_index"] == "1.000", review.period_start
        assert review.kpis["schedule_performance_index"] == "1.000", review.period_start
    for review in reviews_run[1:]:
        changes = {name: Decimal(value) for name, value in review.findings["changes"].items()}
        assert changes["cost_performance_index"] == changes["schedule_performance_index"] == 0
        assert changes["estimate_at_completion"] == changes["watermelons"] == 0
    last_month, this_month = reviews_run[1:]
    board = client.get(
        reverse("portfolio:detail", args=[portfolio.code]),
        {"as_of": last_month.period_end.isoformat()},
    ).context["board"]
    assert last_month.kpis == reviews.rollup_as_json(board.kpis)
    assert reviews_run[0].kpis == reviews.rollup_as_json(board.previous_kpis)
    # This month's report is not in yet: the same status date as last month's review.
    assert {name for name, value in this_month.findings["changes"].items() if Decimal(value)} == (
        set()
    )


@pytest.fixture
def drawn_heat_maps(monkeypatch):
    """The cells of every risk heat map a page draws, in order (the dashboard's heat map is
    its count of open risks)."""
    drawn = []
    draw = charts.risk_heat_map

    def recording(cells, **kwargs):
        drawn.append(dict(cells))
        return draw(cells, **kwargs)

    monkeypatch.setattr(charts, "risk_heat_map", recording)
    return drawn


def _exposure_everywhere(client, api, portfolio, drawn_heat_maps) -> dict:
    """(open risk exposure, open risks) of the portfolio on each page that shows them."""
    drawn_heat_maps.clear()
    rollup = client.get(reverse("portfolio:detail", args=[portfolio.code])).context["rollup"]
    [dashboard_cells] = drawn_heat_maps
    drawn_heat_maps.clear()
    register = client.get(reverse("risks:portfolio-register", args=[portfolio.code])).context[
        "register"
    ]
    [register_cells] = drawn_heat_maps
    [overview] = [
        row.kpis
        for row in client.get(reverse("portfolio:list")).context["overview"].rows
        if row.portfolio == portfolio
    ]
    return {
        "dashboard": (rollup.risk_exposure, sum(dashboard_cells.values())),
        "register": (register.totals.exposure, register.totals.open_risk_count),
        "register heat map": (register.totals.exposure, sum(register_cells.values())),
        "overview": (overview.risk_exposure, None),
        "api": (_api_kpis(api, portfolio)["risk_exposure"], None),
    }


def _assert_the_review_and_digest_show(portfolio, exposure) -> None:
    """A review run now stores `exposure`, and its digest says so."""
    review = services.run_review(portfolio=portfolio, kind="monthly", period=timezone.localdate())
    assert Decimal(review.kpis["risk_exposure"]) == exposure
    subscription = DigestSubscription.objects.filter(portfolio=portfolio, kind="monthly").first()
    body = digests.digest_message(review, subscription).body
    shown = review_display.money_text(review.kpis["risk_exposure"], portfolio.currency)
    assert f"Open risk exposure: {shown}" in body


def _clients(executive):
    client, api = Client(), APIClient()
    client.force_login(executive)
    api.force_login(executive)
    return client, api


@pytest.mark.parametrize(
    ("code", "project", "title", "default_owner"),
    [
        # Finance has no portfolio manager: its PMO takes the risk.
        ("finance", "FIN-CORE", "Mainframe skills retiring", "pmo"),
        ("retail", "RET-WEB", "Search relevance below target", "portfolio_manager"),
    ],
)
def test_escalating_a_project_risk_leaves_the_exposure_and_open_risks_unchanged(
    executive, drawn_heat_maps, code, project, title, default_owner
):
    portfolio = Portfolio.objects.get(code=code)
    risk = Risk.objects.get(project__code=project, title=title)
    assert risk.status == "open" and risk.escalated_to is None
    client, api = _clients(executive)
    before = _exposure_everywhere(client, api, portfolio, drawn_heat_maps)
    [exposure] = {figure for figure, _ in before.values()}  # every page agrees
    assert exposure > 0

    # The project's manager escalates it through the page, keeping the owner it offers.
    manager = Client()
    manager.force_login(risk.project.manager)
    url = reverse("risks:escalate", args=[risk.pk])
    form = manager.get(url).context["form"]
    response = manager.post(
        url,
        {"version": risk.version, "portfolio_risk": "", "owner": form["owner"].value(),
         "reason": "Threatens the whole portfolio."},
    )  # fmt: skip
    assert response.status_code == 302

    risk.refresh_from_db()
    portfolio_risk = risk.escalated_to
    assert portfolio_risk.is_portfolio_level and portfolio_risk.exposure == risk.exposure
    assert portfolio_risk.owner.username == default_owner
    assert _exposure_everywhere(client, api, portfolio, drawn_heat_maps) == before
    _assert_the_review_and_digest_show(portfolio, exposure)


def test_two_project_risks_escalated_into_one_portfolio_risk_count_once(executive, drawn_heat_maps):
    finance = Portfolio.objects.get(code="finance")
    shared = Risk.objects.get(portfolio=finance, project=None, title="Data architecture v2 delay")
    owner = shared.owner
    escalated = [
        Risk.objects.get(project__code="FIN-DATA", title="Source system extracts late"),
        Risk.objects.get(project__code="FIN-MOB", title="App-store release timing"),
    ]
    client, api = _clients(executive)
    before = _exposure_everywhere(client, api, finance, drawn_heat_maps)
    [(exposure, open_risks)] = {(e, n) for e, n in before.values() if n is not None}
    pmo = get_user_model().objects.get(username="pmo")
    for risk in escalated:
        risk_services.risk_escalate(
            risk=risk,
            by=pmo,
            reason="Same root cause: the v2 model.",
            portfolio_risk=shared,
            expected_version=risk.version,
        )

    # The shared risk already counted; the two project risks now count in it, not again.
    after = _exposure_everywhere(client, api, finance, drawn_heat_maps)
    removed = sum(risk.exposure for risk in escalated)
    assert removed > 0
    assert after == {
        page: (exposure - removed, None if count is None else open_risks - 2)
        for page, (_, count) in before.items()
    }
    shared.refresh_from_db()
    assert shared.owner == owner  # a linked portfolio risk keeps its owner
    _assert_the_review_and_digest_show(finance, exposure - removed)
