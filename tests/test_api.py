"""The REST API (portfolio/api; reporting/api for the KPI endpoints): visibility, figures
equal to the pages', writes through the services (403 / 400 / 409 as in the browser), the
OpenAPI schema and constant query counts."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from portfolio.models import PortfolioMembership
from projects.models import CostEntry, Milestone, Project, StatusReport
from projects.selectors import project_performance
from risks.models import Risk
from tests.factories import (
    CostEntryFactory,
    MembershipFactory,
    MilestoneFactory,
    PortfolioFactory,
    ProjectFactory,
    RiskFactory,
    StatusReportFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Per request: the session and the user (DRF's session authentication), the user's and their
# groups' permissions (access.is_pmo_admin); the page's count; the page of projects (with
# their portfolio); reporting.kpis.project_kpis for the page's ids (4: projects with actual
# cost and latest report id, those reports, milestones, project-risk exposure).
PROJECT_LIST_QUERIES = 10


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def manager(db):
    return UserFactory(username="manager")


@pytest.fixture
def project(portfolio, manager):
    return ProjectFactory(portfolio=portfolio, manager=manager)


@pytest.fixture
def hidden_project(other_portfolio):
    return ProjectFactory(portfolio=other_portfolio)


def _codes(response):
    return {row["code"] for row in response.json()["results"]}


# Authentication and visibility ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/portfolios/",
        "/api/projects/",
        "/api/risks/",
        "/api/schema/",
        "/api/projects/1/cost-entries/",
        "/api/projects/1/status-reports/",
    ],
)
def test_anonymous_is_refused(api, url):
    assert api.get(url).status_code in (401, 403)


def test_basic_auth_is_refused_and_the_session_accepted(api, project, manager):
    # Session only: Basic auth would put a password on every request, past the login throttle.
    api.credentials(HTTP_AUTHORIZATION="Basic bWFuYWdlcjpwYXNzLXdvcmQtMTIz")  # manager:pass-…
    assert api.get("/api/projects/").status_code in (401, 403)
    api.credentials()
    api.force_login(manager)
    assert api.get("/api/projects/").status_code == 200


def test_member_sees_only_their_portfolios_and_projects(
    api, portfolio, other_portfolio, project, hidden_project, member_of
):
    api.force_login(member_of(portfolio, "viewer"))

    portfolios = api.get("/api/portfolios/")
    assert _codes(portfolios) == {portfolio.code}
    assert api.get(f"/api/portfolios/{portfolio.code}/").status_code == 200
    assert api.get(f"/api/portfolios/{other_portfolio.code}/").status_code == 404

    assert _codes(api.get("/api/projects/")) == {project.code}
    assert api.get(f"/api/projects/{project.pk}/").status_code == 200
    for url in (
        f"/api/projects/{hidden_project.pk}/",
        f"/api/projects/{hidden_project.pk}/cost-entries/",
        f"/api/projects/{hidden_project.pk}/status-reports/",
    ):
        assert api.get(url).status_code == 404, url


def test_project_list_filters(api, portfolio, manager, member_of):
    other = MembershipFactory(user=UserFactory(username="pm2"), role="viewer").portfolio
    PortfolioMembership.objects.create(user=manager, portfolio=portfolio, role="viewer")
    idea = ProjectFactory(portfolio=portfolio, stage="idea")
    running = ProjectFactory(portfolio=portfolio)
    elsewhere = ProjectFactory(portfolio=other, manager=manager)
    api.force_login(manager)

    assert _codes(api.get("/api/projects/")) == {idea.code, running.code, elsewhere.code}
    assert _codes(api.get("/api/projects/", {"portfolio": portfolio.code})) == {
        idea.code,
        running.code,
    }
    assert _codes(api.get("/api/projects/", {"stage": "idea"})) == {idea.code}


def test_risks_are_visible_ones_with_score_band_and_exposure(
    api, portfolio, other_portfolio, project, member_of
):
    project_risk = RiskFactory(portfolio=portfolio, project=project, probability=4, impact=5)
    portfolio_risk = RiskFactory(portfolio=portfolio, project=None, cost_impact=Decimal("20000"))
    RiskFactory(portfolio=other_portfolio)
    api.force_login(member_of(portfolio, "viewer"))

    rows = {row["id"]: row for row in api.get("/api/risks/").json()["results"]}
    assert set(rows) == {project_risk.pk, portfolio_risk.pk}
    assert rows[project_risk.pk]["score"] == 20
    assert rows[project_risk.pk]["band"] == "critical"
    assert rows[project_risk.pk]["exposure"] == "7000.00"  # 70 % of 10,000

    level = api.get("/api/risks/", {"portfolio": portfolio.code, "level": "portfolio"}).json()
    assert [row["id"] for row in level["results"]] == [portfolio_risk.pk]
    assert api.get("/api/risks/", {"portfolio": other_portfolio.code}).json()["count"] == 0


# Figures --------------------------------------------------------------------------------------


CENT, INDEX = Decimal("0.01"), Decimal("0.001")


def _decimal(value):
    """A response's decimal string as a Decimal (compared by value, not by its digits)."""
    return None if value is None else Decimal(value)


def test_project_kpis_equal_the_project_page(api, project, manager):
    CostEntryFactory(project=project, amount=Decimal("30000"))
    MilestoneFactory(project=project)
    StatusReportFactory(
        project=project, percent_complete=Decimal("35"), forecast_cost=Decimal("110000")
    )
    api.force_login(manager)
    performance = project_performance(project=project, as_of=timezone.localdate())
    figures = performance.earned_value

    for data in (
        api.get(f"/api/projects/{project.pk}/").json(),
        api.get("/api/projects/").json()["results"][0],
    ):
        # The figures are exact; the API shows money to the cent and indices to 0.001.
        assert data["code"] == project.code
        assert data["status_date"] == "2026-03-31" == performance.status_date.isoformat()
        assert _decimal(data["bac"]) == figures.budget_at_completion
        assert _decimal(data["ac"]) == figures.actual_cost == Decimal("30000")
        assert _decimal(data["spent_since_status_date"]) == figures.spent_since_status_date
        assert _decimal(data["ev"]) == figures.earned_value.quantize(CENT)
        assert _decimal(data["pv"]) == figures.planned_value.quantize(CENT)
        assert _decimal(data["cpi"]) == figures.cost_performance_index.quantize(INDEX)
        assert _decimal(data["spi"]) == figures.schedule_performance_index.quantize(INDEX)
        assert _decimal(data["eac"]) == figures.estimate_at_completion.quantize(CENT)
        assert _decimal(data["computed_eac"]) == (
            figures.computed_estimate_at_completion.quantize(CENT)
        )
        assert _decimal(data["pessimistic_eac"]) == (
            figures.pessimistic_estimate_at_completion.quantize(CENT)
        )
        assert _decimal(data["forecast_cost"]) == figures.forecast_cost == Decimal("110000")
        assert _decimal(data["vac"]) == figures.variance_at_completion.quantize(CENT)
        assert data["percent_complete"] == "35.00"
        assert data["computed_health"] == performance.computed_health
        assert data["reported_health"] == performance.latest_report.overall_rag
        assert data["is_watermelon"] is performance.is_watermelon
        assert data["forecast_optimistic"] is performance.forecast_optimistic
        assert data["report_missing"] is performance.report_missing


def test_portfolio_kpis_roll_up_visible_projects(api, portfolio, project, member_of):
    ProjectFactory(portfolio=portfolio, budget=Decimal("50000"))
    StatusReportFactory(project=project)  # sets the status date AC counts up to
    CostEntryFactory(project=project, amount=Decimal("1000"))
    RiskFactory(portfolio=portfolio, project=None, probability=5, cost_impact=Decimal("10000"))
    api.force_login(member_of(portfolio, "executive"))

    data = api.get(f"/api/portfolios/{portfolio.code}/").json()
    assert data["code"] == portfolio.code
    assert data["kpis"]["project_count"] == 2
    assert data["kpis"]["budget"] == "150000.00"
    assert data["kpis"]["actual_cost"] == "1000.00"
    assert data["kpis"]["risk_exposure"] == "9000.00"  # the portfolio risk: 90 % of 10,000
    assert sum(data["kpis"]["computed_health_counts"].values()) == 2


# Cost entries ---------------------------------------------------------------------------------


def test_cost_entry_create_by_the_manager(api, project, manager):
    api.force_login(manager)
    response = api.post(
        f"/api/projects/{project.pk}/cost-entries/",
        {"date": "2026-03-01", "amount": "1250.50", "category": "labour"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    entry = CostEntry.objects.get(project=project)
    assert entry.amount == Decimal("1250.50")
    assert entry.created_by == manager
    assert response.json()["id"] == entry.pk
    listed = api.get(f"/api/projects/{project.pk}/cost-entries/").json()
    assert [row["id"] for row in listed["results"]] == [entry.pk]


def test_cost_entry_create_by_an_executive_is_forbidden(api, portfolio, project, member_of):
    api.force_login(member_of(portfolio, "executive"))
    response = api.post(
        f"/api/projects/{project.pk}/cost-entries/",
        {"date": "2026-03-01", "amount": "100", "category": "labour"},
        format="json",
    )
    assert response.status_code == 403
    assert not CostEntry.objects.exists()


@pytest.mark.parametrize("amount", ["-5", "lots"])
def test_cost_entry_bad_amount_is_400(api, project, manager, amount):
    api.force_login(manager)
    response = api.post(
        f"/api/projects/{project.pk}/cost-entries/",
        {"date": "2026-03-01", "amount": amount, "category": "labour"},
        format="json",
    )
    assert response.status_code == 400
    assert "amount" in response.json()
    assert not CostEntry.objects.exists()


def test_cost_entry_service_refusal_is_400_with_its_field(api, project, manager):
    api.force_login(manager)
    response = api.post(
        f"/api/projects/{project.pk}/cost-entries/",
        {"date": "2099-01-01", "amount": "10", "category": "labour"},  # the service refuses
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"date": ["An actual cost cannot be in the future."]}


# Status reports -------------------------------------------------------------------------------


def _report_url(project):
    return f"/api/projects/{project.pk}/status-reports/"


def test_status_report_draft_then_submit(api, project, manager):
    api.force_login(manager)
    today = timezone.localdate()
    draft = api.post(
        _report_url(project),
        {"period": today.isoformat(), "percent_complete": "40", "overall_rag": "amber"},
        format="json",
    )
    assert draft.status_code == 201, draft.json()
    assert draft.json()["state"] == "draft"
    assert draft.json()["version"] == 1

    missing_summary = api.post(
        _report_url(project),
        {"period": today.isoformat(), "version": 1, "submit": True},
        format="json",
    )
    assert missing_summary.status_code == 400
    assert {"summary", "forecast_cost"} <= set(missing_summary.json())

    submitted = api.post(
        _report_url(project),
        {
            "period": today.isoformat(),
            "version": 1,
            "summary": "On track.",
            "forecast_cost": "95000",
            "submit": True,
        },
        format="json",
    )
    assert submitted.status_code == 200, submitted.json()
    report = StatusReport.objects.get(project=project)
    assert report.state == "submitted"
    assert report.summary == "On track."
    assert report.percent_complete == Decimal("40")
    assert report.submitted_by == manager

    again = api.post(
        _report_url(project),
        {"period": today.isoformat(), "version": 2, "submit": True},
        format="json",
    )
    assert again.status_code == 400
    assert "non_field_errors" in again.json()

    listed = api.get(_report_url(project)).json()["results"]
    assert [row["id"] for row in listed] == [report.pk]


def test_status_reports_are_listed_newest_first(api, project, manager):
    older = StatusReportFactory(project=project)
    newer = StatusReportFactory(
        project=project, period_start=date(2026, 4, 1), period_end=date(2026, 4, 30)
    )
    api.force_login(manager)
    listed = api.get(_report_url(project)).json()["results"]
    assert [row["id"] for row in listed] == [newer.pk, older.pk]


def test_status_report_stale_version_is_409(api, project, manager):
    api.force_login(manager)
    period = timezone.localdate().isoformat()
    api.post(_report_url(project), {"period": period, "summary": "First."}, format="json")
    second = api.post(
        _report_url(project), {"period": period, "version": 1, "summary": "Second."}, format="json"
    )
    assert second.status_code == 200

    stale = api.post(
        _report_url(project), {"period": period, "version": 1, "summary": "Late."}, format="json"
    )
    assert stale.status_code == 409
    body = stale.json()
    assert body["current_version"] == 2
    assert [change["field"] for change in body["changes"]] == ["summary"]
    assert StatusReport.objects.get(project=project).summary == "Second."


def test_status_report_by_a_viewer_is_forbidden(api, portfolio, project, member_of):
    api.force_login(member_of(portfolio, "viewer"))
    response = api.post(
        _report_url(project), {"period": timezone.localdate().isoformat()}, format="json"
    )
    assert response.status_code == 403
    assert not StatusReport.objects.exists()


# Schema ---------------------------------------------------------------------------------------


def test_schema_lists_the_paths(api, manager):
    api.force_login(manager)
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Slate API"
    assert {
        "/api/portfolios/",
        "/api/projects/",
        "/api/projects/{id}/",
        "/api/projects/{project_pk}/cost-entries/",
        "/api/projects/{project_pk}/status-reports/",
        "/api/risks/",
    } <= set(schema["paths"])


def test_api_root_lists_the_collections_of_every_app(api, manager):
    api.force_login(manager)
    assert list(api.get("/api/").json()) == [
        # reporting.api
        "portfolios",
        "projects",
        "reviews",
        "digest-subscriptions",
        # webhooks.api
        "webhook-subscriptions",
        # portfolio.api
        "programs",
        "risks",
        "objectives",
        "contributions",
        "scoring-criteria",
        "scores",
        "gate-criteria",
        "candidates",
        "gate-decisions",
        "scenarios",
        # projects.api
        "dependencies",
        # resources.api
        "people",
        "roles",
        "leave",
        "allocations",
        "conflict-resolutions",
    ]


# Query counts ---------------------------------------------------------------------------------


@pytest.fixture(params=[5, 50], ids=["5-projects", "50-projects"])
def many_projects(request, db):
    portfolio = PortfolioFactory()
    member = UserFactory()
    PortfolioMembership.objects.create(user=member, portfolio=portfolio, role="executive")
    projects = Project.objects.bulk_create(
        ProjectFactory.build_batch(request.param, portfolio=portfolio, manager=UserFactory())
    )
    StatusReport.objects.bulk_create(StatusReportFactory.build(project=p) for p in projects)
    CostEntry.objects.bulk_create(CostEntryFactory.build(project=p) for p in projects)
    Milestone.objects.bulk_create(MilestoneFactory.build(project=p) for p in projects)
    Risk.objects.bulk_create(RiskFactory.build(portfolio=portfolio, project=p) for p in projects)
    return member, request.param


def test_project_list_queries_do_not_grow(api, many_projects, django_assert_max_num_queries):
    member, size = many_projects
    api.force_login(member)
    with django_assert_max_num_queries(PROJECT_LIST_QUERIES):
        response = api.get("/api/projects/")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == size
    assert len(data["results"]) == size
    assert all(row["ac"] == "1000.00" for row in data["results"])


@pytest.mark.parametrize("period", ["9999-12-31", "0001-01-01"])
def test_status_report_outside_the_date_window_is_400_naming_the_period(
    api, project, manager, period
):
    api.force_login(manager)
    response = api.post(_report_url(project), {"period": period}, format="json")
    assert response.status_code == 400
    assert "period" in response.json()
    assert not StatusReport.objects.exists()


def test_status_report_beyond_the_next_period_is_refused(api, project, manager):
    api.force_login(manager)
    today = timezone.localdate()
    next_period = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    after_next = (next_period + timedelta(days=32)).replace(day=1)
    allowed = api.post(_report_url(project), {"period": next_period.isoformat()}, format="json")
    assert allowed.status_code == 201, allowed.json()
    refused = api.post(
        _report_url(project),
        {"period": after_next.isoformat(), "summary": "Done", "forecast_cost": "1", "submit": True},
        format="json",
    )
    assert refused.status_code == 400
    assert "period" in refused.json()
    assert StatusReport.objects.count() == 1
