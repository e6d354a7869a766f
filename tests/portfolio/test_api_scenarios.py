# ruff: noqa: F811  (the tests take the `slate` fixture imported from the selection tests)
"""The API of scenarios (portfolio/api/scenarios.py): the role × endpoint matrix, bad input
as a 400 naming the field, a committed scenario that no longer changes, a commit through the
API that does exactly what the page's commit does, token scopes and constant query counts."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from access_tokens import services as token_services
from access_tokens.models import AccessToken, Scope
from core.months import add_months
from portfolio.models import GateDecision, Scenario
from projects.models import Project
from tests.api_permissions import (
    MANAGERS,
    PORTFOLIO_MEMBERS,
    check_api_read,
    check_api_write,
)
from tests.permissions import each_role, rows
from tests.portfolio.test_selection_views import slate  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario(portfolio, slate):
    return Scenario.objects.create(portfolio=portfolio, name="Go", budget_limit=300000)


def _as(user):
    api = APIClient()
    api.force_login(user)
    return api


# The project lead of LIVE sees only LIVE in the portfolio: scenarios weigh every project,
# so they are refused to them (403), as on the pages.
@each_role
def test_scenarios_are_read_by_the_portfolio_s_members(role, slate, scenario):
    response = check_api_read(
        role,
        project=slate["LIVE"],
        url=f"/api/scenarios/{scenario.pk}/",
        readers=PORTFOLIO_MEMBERS,
    )
    if role in PORTFOLIO_MEMBERS:
        body = response.json()
        assert (body["name"], body["is_committed"], body["portfolio"]) == (
            "Go",
            False,
            scenario.portfolio.code,
        )


def test_the_list_leaves_out_portfolios_seen_in_part(slate, scenario):
    lead = _as(slate["LIVE"].manager)
    assert lead.get("/api/scenarios/").json()["count"] == 0


@each_role
def test_scenario_create_matrix(role, portfolio, slate):
    response = check_api_write(
        role,
        project=slate["LIVE"],
        method="post",
        url="/api/scenarios/",
        data={
            "portfolio": portfolio.code,
            "name": "Lean",
            "budget_limit": "150000",
            "forced_in": [slate["GAMMA"].pk],
            "capacity_changes": {"Data engineer": {"2027-03": 80}},
        },
        allowed=MANAGERS,
        snapshot=rows(Scenario),
        refused_status={"outsider": 400},
    )
    if role in MANAGERS:
        body = response.json()
        assert body["forced_in"] == [slate["GAMMA"].pk]
        assert body["capacity_changes"] == {"Data engineer": {"2027-03": 80.0}}


@each_role
def test_scenario_edit_matrix(role, slate, scenario):
    check_api_write(
        role,
        project=slate["LIVE"],
        method="patch",
        url=f"/api/scenarios/{scenario.pk}/",
        data={"budget_limit": "250000"},
        allowed=MANAGERS,
        snapshot=rows(Scenario),
    )


def test_scenario_refusals_name_the_field(portfolio, slate, scenario, member_of):
    api = _as(member_of(portfolio, "pmo"))
    url = f"/api/scenarios/{scenario.pk}/"
    response = api.patch(url, {"stopped": [slate["ALPHA"].pk]}, format="json")
    assert response.status_code == 400 and "stopped" in response.json()
    response = api.patch(
        url, {"forced_in": [slate["BETA"].pk], "forced_out": [slate["BETA"].pk]}, format="json"
    )
    assert response.status_code == 400 and "forced_out" in response.json()
    response = api.patch(url, {"capacity_changes": {"Nobody": {"2027-01": 8}}}, format="json")
    assert response.status_code == 400 and "capacity_changes" in response.json()
    response = api.post(
        "/api/scenarios/",
        {"portfolio": portfolio.code, "name": "Go", "budget_limit": "1"},
        format="json",
    )
    assert response.status_code == 400 and "already has a scenario" in response.json()["name"][0]
    assert api.put(url, {}, format="json").status_code == 405


@each_role
def test_scenario_commit_matrix(role, slate, scenario):
    response = check_api_write(
        role,
        project=slate["LIVE"],
        method="post",
        url=f"/api/scenarios/{scenario.pk}/commit/",
        data={},
        allowed=MANAGERS,
        snapshot=rows(Scenario, Project, GateDecision),
    )
    if role in MANAGERS:
        body = response.json()
        assert body["approved"] == ["ALPHA"]
        assert body["to_candidate"] == ["BETA"]
        assert body["deferred"] == ["GAMMA", "HEAVY"]
        assert body["scenario"]["is_committed"] is True


def _outcome(portfolio):
    """Everything a commit changes, as plain values (no ids, no timestamps)."""
    stages = dict(Project.objects.filter(portfolio=portfolio).values_list("code", "stage"))
    decisions = sorted(
        GateDecision.objects.filter(project__portfolio=portfolio).values_list(
            "project__code",
            "from_stage",
            "to_stage",
            "outcome",
            "rationale",
            "override_reason",
            "decided_by",
            "decided_on",
        )
    )
    committed = [
        (name, by, at is not None)
        for name, by, at in Scenario.objects.filter(portfolio=portfolio).values_list(
            "name", "committed_by", "committed_at"
        )
    ]
    return stages, decisions, sorted(committed)


def test_commit_through_the_api_equals_the_page_s(client, portfolio, slate, member_of):
    scenario = Scenario.objects.create(
        portfolio=portfolio, name="Go", budget_limit=300000, description="Focus"
    )
    scenario.stopped.add(slate["LIVE"])
    manager = member_of(portfolio, "portfolio_manager")
    client.force_login(manager)
    before = _outcome(portfolio)
    with transaction.atomic():
        page = client.post(reverse("portfolio:scenario-commit", args=[portfolio.code, scenario.pk]))
        assert page.status_code == 302
        by_page = _outcome(portfolio)
        transaction.set_rollback(True)
    assert _outcome(portfolio) == before
    response = _as(manager).post(f"/api/scenarios/{scenario.pk}/commit/", format="json")
    assert response.status_code == 200, response.json()
    assert _outcome(portfolio) == by_page
    assert by_page != before
    assert response.json()["stopped"] == ["LIVE"]
    # Committed: it records a decision and changes no more.
    again = _as(manager).post(f"/api/scenarios/{scenario.pk}/commit/", format="json")
    assert again.status_code == 400 and "already committed" in again.json()["non_field_errors"][0]
    edit = _as(manager).patch(f"/api/scenarios/{scenario.pk}/", {"name": "X"}, format="json")
    assert edit.status_code == 400
    assert _outcome(portfolio) == by_page


def test_filters_ordering_and_tokens(portfolio, slate, scenario, member_of):
    Scenario.objects.create(
        portfolio=portfolio, name="Done", budget_limit=1, committed_at=timezone.now()
    )
    viewer = member_of(portfolio, "viewer")
    api = _as(viewer)
    assert [s["name"] for s in api.get("/api/scenarios/", {"committed": "true"}).json()[
        "results"
    ]] == ["Done"]  # fmt: skip
    names = [s["name"] for s in api.get("/api/scenarios/", {"ordering": "name"}).json()["results"]]
    assert names == ["Done", "Go"]
    pm = member_of(portfolio, "pmo")
    plaintext = token_services.access_token_create(
        user=pm, name="CI", scope=Scope.READ, expires_on=timezone.localdate() + timedelta(days=2)
    ).plaintext
    token_api = APIClient()
    token_api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert token_api.get("/api/scenarios/").status_code == 200
    refused = token_api.post(f"/api/scenarios/{scenario.pk}/commit/", format="json")
    assert refused.status_code == 403
    assert Scenario.objects.get(pk=scenario.pk).committed_at is None
    AccessToken.objects.update(revoked_at=timezone.now())
    assert token_api.get("/api/scenarios/").status_code == 401
    AccessToken.objects.update(
        revoked_at=None,
        created_at=timezone.now() - timedelta(days=2),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert token_api.get("/api/scenarios/").status_code == 401


def test_list_query_count_does_not_grow(
    portfolio,
    slate,
    member_of,
    django_assert_max_num_queries,
):
    api = _as(member_of(portfolio, "viewer"))

    def grow(n):
        for _ in range(n):
            extra = Scenario.objects.create(
                portfolio=portfolio, name=f"S{Scenario.objects.count()}", budget_limit=1
            )
            extra.forced_in.add(slate["GAMMA"])
            extra.forced_out.add(slate["BETA"])
            extra.stopped.add(slate["LIVE"])

    grow(2)
    with CaptureQueriesContext(connection) as few:
        assert api.get("/api/scenarios/").status_code == 200
    grow(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api.get("/api/scenarios/").json()["count"] == 12


def test_start_months_are_read_written_checked_and_committed(portfolio, slate, member_of):
    """A scenario's start months through the API, as the timing view saves them: read back,
    refused with the field named (and nothing written) outside a window, for a running
    project or for a non-month, kept by a PATCH that does not send them, and moved by the
    commit, which says what it moved."""
    alpha = slate["ALPHA"]
    first = alpha.start_date.replace(day=1)
    Project.objects.filter(pk=alpha.pk).update(
        earliest_start=first, latest_start=add_months(first, 2)
    )
    later = f"{add_months(first, 1):%Y-%m}"
    api = _as(member_of(portfolio, "portfolio_manager"))
    body = {"portfolio": portfolio.code, "name": "Later alpha", "budget_limit": "300000"}
    before = rows(Scenario)()
    for months, says in (
        ({str(alpha.pk): f"{add_months(first, 3):%Y-%m}"}, "may start only"),
        ({str(slate["LIVE"].pk): later}, "its start is fixed"),
        ({str(alpha.pk): "2027-13"}, "is not a month"),
        ({"ALPHA": later}, "is not a project"),
    ):
        refused = api.post("/api/scenarios/", {**body, "start_months": months}, format="json")
        assert refused.status_code == 400, refused.json()
        assert says in " ".join(refused.json()["start_months"])
    assert rows(Scenario)() == before

    created = api.post(
        "/api/scenarios/", {**body, "start_months": {alpha.pk: later}}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["start_months"] == {str(alpha.pk): later}
    pk = created.json()["id"]
    renamed = api.patch(f"/api/scenarios/{pk}/", {"name": "Alpha in month two"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["start_months"] == {str(alpha.pk): later}

    committed = api.post(f"/api/scenarios/{pk}/commit/", format="json")
    assert committed.status_code == 200, committed.json()
    assert committed.json()["moved"] == [
        {"code": "ALPHA", "planned": f"{first:%Y-%m}", "start": later}
    ]
    # The factory baselines ALPHA: its baseline moves by a change request for the portfolio.
    assert committed.json()["change_requests"] == ["ALPHA"]
    alpha.refresh_from_db()
    assert f"{alpha.start_date:%Y-%m}" == later
    assert alpha.change_requests.filter(status="proposed").count() == 1
