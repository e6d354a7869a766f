"""GET /api/portfolios/<code>/timing/: the timing view's figures, read-only, for the same
readers as the page (members who see every project of the portfolio)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from portfolio.models import Scenario
from tests.factories import ProjectFactory
from tests.permissions import user_in_role
from tests.portfolio.test_timing_views import timed  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def _url(portfolio):
    return f"/api/portfolios/{portfolio.code}/timing/"


def test_the_timing_selection_on_the_api(portfolio, timed, member_of):  # noqa: F811
    api = APIClient()
    api.force_login(member_of(portfolio, "executive"))
    response = api.get(_url(portfolio))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "optimal" and body["gap"] <= 1e-4
    assert body["gain"] > 0 and body["gain_percent"] > 0
    plans = {plan["method"]: plan for plan in body["plans"]}
    assert set(plans) == {"optimised", "fixed-start", "select-then-shift"}
    assert body["value"] == pytest.approx(plans["fixed-start"]["value"] + body["gain"])
    mover = next(p for p in body["projects"] if p["code"] == "MOVER")
    assert mover["moved_months"] >= 3 and mover["start"] > mover["planned_start"]
    assert mover["in_fixed_start_optimum"] is False
    (synergy,) = body["synergies"]
    assert synergy["realised"] and not synergy["realised_with_fixed_starts"]
    assert synergy["members"] == ["EARLY", "MOVER"]
    (sequence,) = body["sequences"]
    assert (sequence["before"], sequence["after"], sequence["lag_months"]) == ("EARLY", "AFTER", 1)


def test_the_timing_selection_of_a_scenario(portfolio, timed, member_of):  # noqa: F811
    api = APIClient()
    api.force_login(member_of(portfolio, "viewer"))
    scenario = Scenario.objects.create(portfolio=portfolio, name="Tight", budget_limit=90000)
    body = api.get(_url(portfolio), {"scenario": scenario.pk}).json()
    assert body["budget"] == 90000
    assert api.get(_url(portfolio), {"scenario": 999999}).status_code == 404


def test_who_may_not_read_it(portfolio, timed):  # noqa: F811
    api = APIClient()
    assert api.get(_url(portfolio)).status_code in (401, 403)
    api.force_login(user_in_role("outsider", timed["LIVE"]))
    assert api.get(_url(portfolio)).status_code == 404
    api.force_login(timed["LIVE"].manager)  # a project lead: sees only their project
    response = api.get(_url(portfolio))
    assert response.status_code == 403
    assert "MOVER" not in response.content.decode()
    for method in ("post", "put", "patch", "delete"):
        api.force_login(user_in_role("pmo", timed["LIVE"]))
        assert getattr(api, method)(_url(portfolio), {}).status_code == 405


def test_its_queries_do_not_grow_with_candidates(
    portfolio,
    timed,  # noqa: F811
    member_of,
    django_assert_max_num_queries,
):
    api = APIClient()
    api.force_login(member_of(portfolio, "viewer"))
    with CaptureQueriesContext(connection) as small:
        api.get(_url(portfolio))
    for _ in range(20):
        ProjectFactory(portfolio=portfolio, stage="candidate")
    with django_assert_max_num_queries(len(small)):
        assert api.get(_url(portfolio)).status_code == 200
