"""Selection pages: the optimised slate, the frontier and the scenario pages; who may see and
who may change what (tests/permissions.py), and query counts that do not grow."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.months import add_months, month_end, month_start
from portfolio.models import GateDecision, ProjectScore, Scenario
from projects.models import Project
from tests.factories import (
    AllocationFactory,
    ProjectFactory,
    ResourceFactory,
    RoleFactory,
    UserFactory,
    score_equally,
)
from tests.permissions import REFUSED_STATUS, ROLES, check_write_access, rows, user_in_role

pytestmark = pytest.mark.django_db


def _next_year():
    first = add_months(month_start(timezone.localdate()), 1)
    return first, month_end(add_months(first, 11))


@pytest.fixture
def slate(portfolio):
    """Envelope 300k a year; three candidates of 120k over twelve months (10k a month) so two
    fit; one needs more Data engineer hours than there are; an active project with a
    manager (the permission matrix needs one)."""
    first, last = _next_year()
    portfolio.budget_envelope = Decimal("300000")
    portfolio.save()
    role = RoleFactory(name="Data engineer")
    ResourceFactory(role=role, start_date=date(2020, 1, 1))
    common = {"portfolio": portfolio, "start_date": first, "end_date": last, "budget": 120000}
    projects = {
        code: ProjectFactory(code=code, stage=stage, expected_benefit=benefit, **common)
        for code, stage, benefit in (
            ("ALPHA", "candidate", 900),
            ("BETA", "idea", 600),
            ("GAMMA", "candidate", 300),
            ("HEAVY", "candidate", 2000),
        )
    }
    AllocationFactory(
        project=projects["HEAVY"],
        role=role,
        start_month=first,
        end_month=add_months(first, 2),
        unit="hours",
        amount=Decimal("400"),
    )
    projects["LIVE"] = ProjectFactory(
        code="LIVE",
        stage="in_progress",
        manager=UserFactory(),
        expected_benefit=10,
        **{**common, "budget": 12000},
    )
    score_equally(portfolio, projects.values())
    return projects


def _login(client, portfolio, member_of, role="viewer"):
    user = member_of(portfolio, role)
    client.force_login(user)
    return user


def test_selection_page_shows_slate_reasons_and_greedy(client, portfolio, slate, member_of):
    _login(client, portfolio, member_of)
    response = client.get(reverse("portfolio:selection", args=[portfolio.code]))
    assert response.status_code == 200
    report = response.context["report"]
    chosen = {row.candidate.code for row in report.chosen}
    assert chosen == {"ALPHA", "BETA", "LIVE"}
    reasons = {row.candidate.code: [r.constraint for r in row.reasons] for row in report.rejected}
    assert any(r.startswith("capacity Data engineer") for r in reasons["HEAVY"])
    assert reasons["GAMMA"][0].startswith("budget")
    html = response.content.decode()
    assert "Proven optimal" in html
    assert "capacity Data engineer" in html
    assert "Greedy rank-by-score value" in html


def test_selection_and_frontier_pages_name_the_solver_and_its_gap(
    client, portfolio, slate, member_of, settings
):
    """Every solve reports its relative gap (at most 1e-4, shown in %) and the solver, HiGHS
    by default, CBC when SLATE_MIP_SOLVER says so."""
    _login(client, portfolio, member_of)
    selection_url = reverse("portfolio:selection", args=[portfolio.code])
    response = client.get(selection_url)
    assert response.context["report"].optimised.gap <= 1e-4
    html = response.content.decode()
    assert re.search(r"HiGHS, \d+\.\d\d s; <span[^>]*>gap 0\.0\d{3} %</span>", html)
    settings.SLATE_MIP_SOLVER = "cbc"
    html = client.get(selection_url).content.decode()
    assert re.search(r"CBC, \d+\.\d\d s; <span[^>]*>gap 0\.0\d{3} %</span>", html)
    html = client.get(reverse("portfolio:frontier", args=[portfolio.code])).content.decode()
    assert len(re.findall(r"CBC: optimal, gap 0\.0\d{3} %", html)) >= 8


def test_selection_page_takes_the_budget_from_the_query(client, portfolio, slate, member_of):
    _login(client, portfolio, member_of)
    url = reverse("portfolio:selection", args=[portfolio.code])
    response = client.get(url, {"budget": "600000"})
    assert response.context["report"].data.budget == 600000
    assert {row.candidate.code for row in response.context["report"].chosen} >= {"GAMMA"}
    response = client.get(url, {"budget": "-5"})
    assert response.context["report"].data.budget == 300000
    assert "The envelope is used instead" in response.content.decode()


def test_an_infeasible_slate_names_the_constraint(client, portfolio, slate, member_of):
    for code in ("ALPHA", "BETA", "GAMMA"):
        Project.objects.filter(code=code).update(is_mandatory=True)
    _login(client, portfolio, member_of)
    response = client.get(reverse("portfolio:selection", args=[portfolio.code]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "No slate satisfies every constraint" in html
    assert 'Failing constraint: <span class="constraint">budget' in html
    assert "Traceback" not in html and "pulp" not in html.lower()


def test_frontier_page_has_eleven_linked_points(client, portfolio, slate, member_of):
    _login(client, portfolio, member_of, "executive")
    response = client.get(reverse("portfolio:frontier", args=[portfolio.code]))
    assert response.status_code == 200
    assert len(response.context["rows"]) == 11
    values = [row["point"].value for row in response.context["rows"]]
    assert values == sorted(values)
    html = response.content.decode()
    selection_url = reverse("portfolio:selection", args=[portfolio.code])
    assert f"{selection_url}?budget=150000" in html
    assert " data-navigate" in html  # the chart opens the slate of a clicked point


@pytest.mark.parametrize(
    "name", ["selection", "frontier", "scenarios", "scenario-create", "scenario-compare"]
)
def test_outsiders_get_404(client, portfolio, slate, name):
    client.force_login(user_in_role("outsider", slate["LIVE"]))
    response = client.get(reverse(f"portfolio:{name}", args=[portfolio.code]))
    assert response.status_code == 404


def test_query_count_does_not_grow_with_projects(client, portfolio, slate, member_of):
    _login(client, portfolio, member_of)
    url = reverse("portfolio:selection", args=[portfolio.code])
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    first, last = _next_year()
    role = RoleFactory(name="Data engineer")
    for _ in range(25):
        project = ProjectFactory(
            portfolio=portfolio, stage="candidate", start_date=first, end_date=last
        )
        AllocationFactory(project=project, role=role, start_month=first, end_month=first)
        project.requires.add(slate["ALPHA"])
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert len(response.context["report"].data.candidates) == 30
    assert len(small) == len(large)


# --- Scenarios ------------------------------------------------------------------------------


def _scenario_data(slate, **extra):
    data = {
        "name": "Plan B",
        "description": "Contract a data engineer",
        "budget_limit": "300000",
        "forced_in": [slate["GAMMA"].pk],
        "capacity-TOTAL_FORMS": "3",
        "capacity-INITIAL_FORMS": "0",
        "capacity-MIN_NUM_FORMS": "0",
        "capacity-MAX_NUM_FORMS": "60",
        "capacity-0-role": "Data engineer",
        "capacity-0-first_month": f"{_next_year()[0]:%Y-%m}",
        "capacity-0-last_month": f"{add_months(_next_year()[0], 2):%Y-%m}",
        "capacity-0-hours": "300",
    }
    data.update(extra)
    return data


@pytest.mark.parametrize("role", ROLES)
def test_scenario_create_permissions(client, role, portfolio, slate):
    url = reverse("portfolio:scenario-create", args=[portfolio.code])
    data = _scenario_data(slate)
    if role == "manager":
        # A project manager reads the portfolio but does not plan it.
        client.force_login(user_in_role(role, slate["LIVE"]))
        response = client.post(url, data)
        assert response.status_code == 403
        assert not Scenario.objects.exists()
        return
    response = check_write_access(
        client, role, project=slate["LIVE"], url=url, data=data, snapshot=rows(Scenario)
    )
    if response.status_code == 302 and role != "anonymous":
        scenario = Scenario.objects.get()
        assert response.url == reverse("portfolio:scenario", args=[portfolio.code, scenario.pk])
        first = _next_year()[0]
        assert scenario.capacity_changes == {
            "Data engineer": {f"{add_months(first, n):%Y-%m}": 300.0 for n in range(3)}
        }
        assert list(scenario.forced_in.all()) == [slate["GAMMA"]]


def test_scenario_form_shows_errors_and_keeps_input(client, portfolio, slate, member_of):
    _login(client, portfolio, member_of, "pmo")
    url = reverse("portfolio:scenario-create", args=[portfolio.code])
    data = _scenario_data(
        slate, forced_out=[slate["GAMMA"].pk], **{"capacity-1-role": "Data engineer"}
    )
    response = client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Forced in and out at once: GAMMA" in html or "Fill in role" in html
    assert not Scenario.objects.exists()
    del data["capacity-1-role"]
    response = client.post(url, data)
    assert "Forced in and out at once: GAMMA" in response.content.decode()
    assert not Scenario.objects.exists()


def test_scenario_edit_prefills_capacity_ranges(client, portfolio, slate, member_of):
    pmo = _login(client, portfolio, member_of, "pmo")
    scenario = Scenario.objects.create(
        portfolio=portfolio,
        name="Plan C",
        budget_limit=1000,
        created_by=pmo,
        capacity_changes={"Data engineer": {"2027-01": 80.0, "2027-02": 80.0}},
    )
    url = reverse("portfolio:scenario-edit", args=[portfolio.code, scenario.pk])
    response = client.get(url)
    assert response.status_code == 200
    first = response.context["capacity"].forms[0].initial
    assert (first["role"], first["hours"]) == ("Data engineer", 80.0)
    assert (first["first_month"], first["last_month"]) == (date(2027, 1, 1), date(2027, 2, 1))
    data = _scenario_data(slate, name="Plan C2", budget_limit="2000")
    assert client.post(url, data).status_code == 302
    scenario.refresh_from_db()
    assert (scenario.name, scenario.budget_limit) == ("Plan C2", 2000)


@pytest.mark.parametrize("role", ROLES)
def test_scenario_commit_permissions(client, role, portfolio, slate):
    scenario = Scenario.objects.create(portfolio=portfolio, name="Go", budget_limit=300000)
    url = reverse("portfolio:scenario-commit", args=[portfolio.code, scenario.pk])
    snapshot = rows(Scenario, Project, GateDecision)
    if role == "manager":
        client.force_login(user_in_role(role, slate["LIVE"]))
        before = snapshot()
        assert client.post(url, {}).status_code == 403
        assert snapshot() == before
        return
    check_write_access(
        client,
        role,
        project=slate["LIVE"],
        url=url,
        data={},
        snapshot=snapshot,
        success_url=reverse("portfolio:scenario", args=[portfolio.code, scenario.pk]),
    )
    if role in ("pmo", "portfolio_manager"):
        stages = dict(Project.objects.values_list("code", "stage"))
        assert stages["ALPHA"] == "approved"
        assert stages["BETA"] == "candidate"  # an idea is not approved by a scenario
        assert stages["GAMMA"] == stages["HEAVY"] == "on_hold"
        assert (
            GateDecision.objects.filter(rationale__startswith="Committed scenario Go").count() == 4
        )


def test_commit_page_lists_the_moves_before_committing(client, portfolio, slate, member_of):
    _login(client, portfolio, member_of, "portfolio_manager")
    scenario = Scenario.objects.create(portfolio=portfolio, name="Go", budget_limit=300000)
    response = client.get(reverse("portfolio:scenario-commit", args=[portfolio.code, scenario.pk]))
    assert response.status_code == 200
    plan = response.context["plan"]
    assert [c.code for c in plan.approve] == ["ALPHA"]
    assert [c.code for c in plan.to_candidate] == ["BETA"]
    assert sorted(c.code for c in plan.defer) == ["GAMMA", "HEAVY"]
    assert "Commit: approve 1, move 1 to candidate, defer 2" in response.content.decode()
    assert not GateDecision.objects.exists()


def test_commit_says_what_it_skipped_and_stops(client, portfolio, slate, member_of):
    _login(client, portfolio, member_of, "portfolio_manager")
    ProjectScore.objects.filter(project=slate["ALPHA"]).delete()
    scenario = Scenario.objects.create(portfolio=portfolio, name="Go", budget_limit=300000)
    scenario.stopped.add(slate["LIVE"])
    url = reverse("portfolio:scenario-commit", args=[portfolio.code, scenario.pk])
    page = client.get(url).content.decode()
    assert "LIVE" in page and "Stop" in page and "no priority score" in page
    response = client.post(url, {}, follow=True)
    html = response.content.decode()
    assert "ALPHA" in html and "no priority score" in html
    assert "stopped 1" in html or "1 stopped" in html
    assert Project.objects.get(code="LIVE").stage == "cancelled"
    assert Project.objects.get(code="ALPHA").stage == "candidate"


@pytest.mark.parametrize("role", ["executive", "viewer", "resource_manager"])
def test_readers_see_scenarios_but_not_the_forms(client, portfolio, slate, member_of, role):
    _login(client, portfolio, member_of, role)
    scenario = Scenario.objects.create(portfolio=portfolio, name="Look", budget_limit=300000)
    args = [portfolio.code, scenario.pk]
    assert client.get(reverse("portfolio:scenarios", args=[portfolio.code])).status_code == 200
    detail = client.get(reverse("portfolio:scenario", args=args))
    assert detail.status_code == 200
    assert "Commit this scenario" not in detail.content.decode()
    for name in ("scenario-edit", "scenario-commit"):
        assert (
            client.get(reverse(f"portfolio:{name}", args=args)).status_code == REFUSED_STATUS[role]
        )
    create = reverse("portfolio:scenario-create", args=[portfolio.code])
    assert client.get(create).status_code == 403


def test_compare_shows_two_scenarios_side_by_side(client, portfolio, slate, member_of):
    _login(client, portfolio, member_of, "executive")
    tight = Scenario.objects.create(portfolio=portfolio, name="Tight", budget_limit=150000)
    wide = Scenario.objects.create(portfolio=portfolio, name="Wide", budget_limit=600000)
    url = reverse("portfolio:scenario-compare", args=[portfolio.code])
    response = client.get(url, {"s": [tight.pk, wide.pk]})
    assert response.status_code == 200
    comparison = response.context["comparison"]
    assert [o.scenario.name for o in comparison.outcomes] == ["Tight", "Wide"]
    assert comparison.outcomes[0].selection.value < comparison.outcomes[1].selection.value
    html = response.content.decode()
    assert "Resource load" in html and "Projects funded" in html
    stop = Scenario.objects.create(portfolio=portfolio, name="Stop", budget_limit=600000)
    stop.stopped.add(slate["LIVE"])
    html = client.get(url, {"s": [wide.pk, stop.pk]}).content.decode()
    assert html.count('class="pill pill-stop"') == 1
    one = client.get(url, {"s": [tight.pk]})
    assert one.status_code == 302 and one.url == reverse(
        "portfolio:scenarios", args=[portfolio.code]
    )


def test_a_project_lead_without_membership_gets_no_planning_pages(client, portfolio, slate):
    """The slate weighs every project of the portfolio, so the selection and scenario pages are
    for its members; a manager who sees only their own project there gets a 403, and the
    portfolio's tabs do not offer those pages."""
    lead = UserFactory()
    project = ProjectFactory(portfolio=portfolio, manager=lead, code="MINE")
    scenario = Scenario.objects.create(portfolio=portfolio, name="Look", budget_limit=300000)
    client.force_login(lead)
    code = portfolio.code
    for url in (
        reverse("portfolio:selection", args=[code]),
        reverse("portfolio:frontier", args=[code]),
        reverse("portfolio:scenarios", args=[code]),
        reverse("portfolio:scenario", args=[code, scenario.pk]),
        reverse("portfolio:scenario-compare", args=[code]),
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "GAMMA" not in response.content.decode()
    dashboard = client.get(reverse("portfolio:detail", args=[code])).content.decode()
    assert project.code in dashboard
    assert reverse("portfolio:selection", args=[code]) not in dashboard
