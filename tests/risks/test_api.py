"""/api/risks/: log, change and escalate project risks through `risks.services`, with the
role × endpoint matrix, If-Match on changes and an escalation that counts its exposure once."""

from decimal import Decimal

import pytest

from core.http_concurrency import etag_for
from risks.models import Risk, RiskStatus
from tests.api_permissions import (
    MEMBERS,
    ROLES,
    check_api_read,
    check_api_write,
    client_as,
)
from tests.factories import ProjectFactory, RiskFactory, UserFactory
from tests.permissions import rows

pytestmark = pytest.mark.django_db

each_role = pytest.mark.parametrize("role", ROLES)


@pytest.fixture
def project(portfolio):
    return ProjectFactory(portfolio=portfolio, manager=UserFactory(username="pm"))


@pytest.fixture
def risk(project):
    return RiskFactory(
        portfolio=project.portfolio,
        project=project,
        title="Vendor certification late",
        probability=4,
        impact=5,
        cost_impact=Decimal("100000"),
    )


def _url(risk, suffix=""):
    return f"/api/risks/{risk.pk}/{suffix}"


@each_role
def test_risk_read_permissions(role, project, risk):
    check_api_read(role, project=project, url=_url(risk))


@each_role
def test_risk_list_shows_only_visible_risks(role, project, risk):
    response = client_as(role, project).get("/api/risks/")
    if role == "anonymous":
        assert response.status_code == 401
        return
    ids = [row["id"] for row in response.json()["results"]]
    assert ids == ([risk.pk] if role in MEMBERS else [])


@each_role
def test_risk_create_permissions(role, project):
    data = {"project": project.pk, "title": "Key architect leaves", "probability": 3, "impact": 4}
    check_api_write(
        role,
        project=project,
        method="post",
        url="/api/risks/",
        data=data,
        snapshot=rows(Risk),
        refused_status={"outsider": 400},  # an invisible project is not a choice
    )


@each_role
def test_risk_update_permissions(role, project, risk):
    check_api_write(
        role,
        project=project,
        method="patch",
        url=_url(risk),
        data={"probability": 2},
        headers={"HTTP_IF_MATCH": etag_for(risk)},
        snapshot=rows(Risk),
    )


@each_role
def test_risk_escalate_permissions(role, project, risk):
    check_api_write(
        role,
        project=project,
        method="post",
        url=_url(risk, "escalate/"),
        data={"reason": "The portfolio's vendor"},
        headers={"HTTP_IF_MATCH": etag_for(risk)},
        snapshot=rows(Risk),
    )


def test_create_answers_the_risk_with_score_and_etag(project):
    api = client_as("manager", project)
    response = api.post(
        "/api/risks/",
        {"project": project.pk, "title": "Late", "probability": 4, "impact": 5},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["score"], body["band"], body["status"]) == (20, "critical", "open")
    assert response["ETag"] == f'"risk-{body["id"]}-v1"'


def test_create_refuses_an_out_of_range_probability(project):
    api = client_as("manager", project)
    response = api.post(
        "/api/risks/",
        {"project": project.pk, "title": "Late", "probability": 9, "impact": 5},
        format="json",
    )
    assert response.status_code == 400
    assert "probability" in response.json()
    assert not Risk.objects.exists()


def test_closing_through_patch_records_when(project, risk):
    api = client_as("manager", project)
    response = api.patch(
        _url(risk), {"status": "closed"}, format="json", HTTP_IF_MATCH=etag_for(risk)
    )
    assert response.status_code == 200
    risk.refresh_from_db()
    assert risk.status == RiskStatus.CLOSED and risk.closed_at is not None


def test_a_portfolio_risk_is_read_only_here(project, portfolio):
    shared = RiskFactory(portfolio=portfolio, project=None)
    api = client_as("pmo", project)
    assert api.get(_url(shared)).status_code == 200
    response = api.patch(
        _url(shared), {"probability": 1}, format="json", HTTP_IF_MATCH=etag_for(shared)
    )
    assert response.status_code == 403
    assert Risk.objects.get(pk=shared.pk).probability == shared.probability


def test_escalate_without_if_match_is_428_and_escalates_nothing(project, risk):
    api = client_as("manager", project)
    response = api.post(_url(risk, "escalate/"), {"reason": "Shared"}, format="json")
    assert response.status_code == 428
    assert Risk.objects.count() == 1


def test_escalate_needs_a_reason(project, risk):
    api = client_as("manager", project)
    response = api.post(
        _url(risk, "escalate/"), {"reason": " "}, format="json", HTTP_IF_MATCH=etag_for(risk)
    )
    assert response.status_code == 400
    assert Risk.objects.count() == 1


def test_escalate_creates_a_portfolio_risk_counted_once(project, risk, portfolio):
    """The escalation moves the exposure to the portfolio risk: the portfolio's total does
    not change (mirrors tests/risks/test_portfolio_register.py)."""
    api = client_as("pmo", project)
    exposure = api.get(f"/api/portfolios/{portfolio.code}/").json()["kpis"]["risk_exposure"]
    assert exposure == "70000.00"  # 70 % of 100,000

    response = api.post(
        _url(risk, "escalate/"),
        {"reason": "The vendor serves every project"},
        format="json",
        HTTP_IF_MATCH=etag_for(risk),
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == risk.pk
    assert body["status"] == "escalated"
    assert body["escalation_reason"] == "The vendor serves every project"
    assert response["ETag"] == f'"risk-{risk.pk}-v2"'
    portfolio_risk = Risk.objects.get(pk=body["escalated_to"])
    assert portfolio_risk.is_portfolio_level
    assert list(portfolio_risk.threatened_projects.all()) == [project]

    after = api.get(f"/api/portfolios/{portfolio.code}/").json()["kpis"]["risk_exposure"]
    assert after == exposure

    # Escalating again (as the page allows) re-links it: still one exposure.
    again = api.post(
        _url(risk, "escalate/"),
        {"reason": "Twice", "portfolio_risk": portfolio_risk.pk},
        format="json",
        HTTP_IF_MATCH=response["ETag"],
    )
    assert again.status_code == 200, again.json()
    assert Risk.objects.filter(project__isnull=True).count() == 1
    assert api.get(f"/api/portfolios/{portfolio.code}/").json()["kpis"]["risk_exposure"] == (
        exposure
    )


def test_escalate_links_an_existing_portfolio_risk(project, risk, portfolio):
    shared = RiskFactory(portfolio=portfolio, project=None, title="Vendor market")
    api = client_as("manager", project)
    response = api.post(
        _url(risk, "escalate/"),
        {"reason": "Same cause", "portfolio_risk": shared.pk},
        format="json",
        HTTP_IF_MATCH=etag_for(risk),
    )
    assert response.status_code == 200, response.json()
    assert response.json()["escalated_to"] == shared.pk
    assert Risk.objects.count() == 2


def test_risk_list_filters_and_orders(project, portfolio):
    low = RiskFactory(portfolio=portfolio, project=project, probability=1, impact=1)
    high = RiskFactory(portfolio=portfolio, project=project, probability=5, impact=5)
    api = client_as("viewer", project)
    ordered = api.get("/api/risks/", {"ordering": "-probability"}).json()["results"]
    assert [row["id"] for row in ordered] == [high.pk, low.pk]
    likely = api.get("/api/risks/", {"probability": 5}).json()["results"]
    assert [row["id"] for row in likely] == [high.pk]
