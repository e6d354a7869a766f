"""The timing view of the selection pages (issue 17): what it shows (roadmap, comparison,
synergies, sequences, capacity before/after, infeasibility named), who may see it and who
may keep its plan in a scenario, the frontier in timing mode, and query counts that do not
grow with the candidates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.months import add_months, month_end, month_start
from portfolio.models import Scenario, Synergy
from projects.models import DependencyKind, Project, ProjectDependency
from tests.charts.plotly_html import figure
from tests.factories import (
    AllocationFactory,
    ProjectFactory,
    ResourceFactory,
    RoleFactory,
    UserFactory,
    score_equally,
)
from tests.permissions import ROLES, check_write_access, rows, user_in_role

pytestmark = pytest.mark.django_db


def _ahead(n: int) -> date:
    return add_months(month_start(timezone.localdate()), n)


def _key(n: int) -> str:
    return f"{_ahead(n):%Y-%m}"


@pytest.fixture
def timed(portfolio):
    """One engineer (about 160 h a month). EARLY and MOVER both ask 120 h a month of months
    1–3, so at their requested starts only one fits; MOVER may start up to month 6, so with
    timing both do. Together they are a synergy ("Shared platform", bonus 50k). AFTER must
    follow EARLY (finish-to-start, lag 1). LIVE runs, with a manager (the permission matrix
    needs one)."""
    portfolio.budget_envelope = Decimal("5000000")
    portfolio.save()
    role = RoleFactory(name="Engineer")
    ResourceFactory(role=role, start_date=date(2020, 1, 1))
    common = {
        "portfolio": portfolio,
        "stage": "candidate",
        "start_date": _ahead(1),
        "end_date": month_end(_ahead(3)),
        "budget": Decimal("90000"),
    }
    projects = {
        "EARLY": ProjectFactory(code="EARLY", expected_benefit=Decimal("900000"), **common),
        "MOVER": ProjectFactory(
            code="MOVER",
            expected_benefit=Decimal("600000"),
            latest_start=_ahead(6),
            **common,
        ),
        "AFTER": ProjectFactory(
            code="AFTER",
            expected_benefit=Decimal("300000"),
            **{**common, "start_date": _ahead(5), "end_date": month_end(_ahead(6))},
            latest_start=_ahead(8),
        ),
    }
    for code in ("EARLY", "MOVER"):
        AllocationFactory(
            project=projects[code],
            role=role,
            start_month=_ahead(1),
            end_month=_ahead(3),
            unit="hours",
            amount=Decimal("120"),
        )
    synergy = Synergy.objects.create(
        portfolio=portfolio,
        name="Shared platform",
        reason="One platform build",
        value_bonus=Decimal("50000"),
    )
    synergy.members.set([projects["EARLY"], projects["MOVER"]])
    ProjectDependency.objects.create(
        predecessor=projects["EARLY"],
        successor=projects["AFTER"],
        kind=DependencyKind.FINISH_TO_START,
        deliverable="Platform",
        needed_by=_ahead(5),
        lag_months=1,
    )
    projects["LIVE"] = ProjectFactory(
        code="LIVE",
        portfolio=portfolio,
        stage="in_progress",
        manager=UserFactory(),
        expected_benefit=Decimal("10"),
        start_date=_ahead(-2),
        end_date=month_end(_ahead(2)),
        budget=Decimal("12000"),
    )
    score_equally(portfolio, projects.values())
    return projects


def _url(portfolio, name="selection-timing"):
    return reverse(f"portfolio:{name}", args=[portfolio.code])


def test_timing_beats_fixed_starts_and_the_page_says_by_how_much(
    client, portfolio, timed, member_of
):
    client.force_login(member_of(portfolio, "viewer"))
    response = client.get(_url(portfolio))
    assert response.status_code == 200
    report = response.context["report"]
    assert report.result.proven_optimal
    assert report.result.gap <= 1e-4
    assert set(report.fixed.starts) >= {timed["EARLY"].pk}
    assert timed["MOVER"].pk not in report.fixed.starts  # it does not fit where requested
    assert report.result.starts[timed["MOVER"].pk] >= _key(4)  # after EARLY's engineer months
    assert [row.code for row in report.moved] == ["MOVER"]
    assert report.gain > 0 and report.gain_percent > 0
    assert report.result.value == pytest.approx(report.fixed.value + report.gain)
    # The synergy is realised only with timing; the sequence is respected.
    (group,) = report.synergies
    assert (group.name, group.realised, group.realised_fixed) == ("Shared platform", True, False)
    (sequence,) = report.sequences
    assert (sequence.before, sequence.after, sequence.lag) == ("EARLY", "AFTER", 1)
    assert sequence.applies and sequence.slack >= 0
    # Capacity: the engineer's load moves from months 1–3 to later months.
    (engineer,) = report.capacity
    assert engineer.role == "Engineer" and engineer.changed > 0
    html = response.content.decode()
    assert "Value gained by timing" in html
    assert "Proven optimal" in html and "Shared platform" in html
    assert "Select then shift (greedy)" in html and "Fixed-start optimum" in html
    gain = f"{round(report.gain):,}"
    assert gain in html  # in the KPI and in the roadmap's title alike
    roadmap = figure(response.context["roadmap"])
    assert gain in roadmap["layout"]["title"]["text"]
    moved = next(t for t in roadmap["data"] if t.get("name") == "Moved by the optimiser")
    assert moved["text"] == [report.moved[0].moved_label]
    assert reverse("projects:detail", args=[timed["MOVER"].pk]) in moved["customdata"][0][0]
    figure(response.context["capacity_chart"])  # valid against plotly's schema
    assert 'data-chart-data="chart-timing-roadmap"' in html  # the data-table toggle


def test_an_infeasible_timing_names_the_constraint_and_the_projects(
    client, portfolio, timed, member_of
):
    """Both engineers' projects mandatory and MOVER's window closed: no start fits them."""
    Project.objects.filter(code__in=["EARLY", "MOVER"]).update(is_mandatory=True)
    Project.objects.filter(code="MOVER").update(latest_start=None)
    client.force_login(member_of(portfolio, "executive"))
    response = client.get(_url(portfolio))
    html = response.content.decode()
    assert response.status_code == 200
    assert "No timing plan satisfies every constraint" in html
    assert 'Failing constraint: <span class="constraint">capacity Engineer' in html
    assert "EARLY" in response.context["report"].result.message
    assert "MOVER" in response.context["report"].result.message
    assert "Traceback" not in html and "pulp" not in html.lower()


@pytest.mark.parametrize("role", ["pmo", "portfolio_manager", "executive", "viewer"])
def test_members_see_the_timing_view_only_managers_may_save(
    client, portfolio, timed, member_of, role
):
    client.force_login(member_of(portfolio, role))
    response = client.get(_url(portfolio))
    assert response.status_code == 200
    can_save = role in ("pmo", "portfolio_manager")
    assert response.context["can_save"] is can_save
    assert ("Save as a scenario" in response.content.decode()) is can_save


def test_outsiders_and_project_leads_get_no_timing_view(client, portfolio, timed):
    client.force_login(user_in_role("outsider", timed["LIVE"]))
    assert client.get(_url(portfolio)).status_code == 404
    client.force_login(timed["LIVE"].manager)  # sees only their own project: a 403
    response = client.get(_url(portfolio))
    assert response.status_code == 403
    assert "MOVER" not in response.content.decode()
    client.logout()
    assert client.get(_url(portfolio)).status_code == 302


@pytest.mark.parametrize("role", ROLES)
def test_saving_the_timing_plan_as_a_scenario_permissions(client, role, portfolio, timed):
    url = _url(portfolio, "selection-timing-save")
    data = {"name": "Later platform", "budget": "5000000"}
    snapshot = rows(Scenario)
    if role == "manager":  # a project lead reads their project, does not plan the portfolio
        client.force_login(user_in_role(role, timed["LIVE"]))
        before = snapshot()
        assert client.post(url, data).status_code == 403
        assert snapshot() == before
        return
    check_write_access(
        client,
        role,
        project=timed["LIVE"],
        url=url,
        data=data,
        snapshot=snapshot,
        allowed=("pmo", "portfolio_manager"),
    )
    if role in ("pmo", "portfolio_manager"):
        scenario = Scenario.objects.get()
        assert scenario.name == "Later platform"
        start = scenario.start_months[str(timed["MOVER"].pk)]
        assert start >= _key(4)
        assert set(scenario.start_months) == {str(timed["MOVER"].pk)}  # the others stay
        assert {p.code for p in scenario.forced_in.all()} >= {"EARLY", "MOVER"}


def test_the_saved_scenario_shows_and_keeps_the_timing_plan(client, portfolio, timed, member_of):
    client.force_login(member_of(portfolio, "pmo"))
    response = client.post(
        _url(portfolio, "selection-timing-save"), {"name": "Later platform"}, follow=True
    )
    scenario = Scenario.objects.get()
    assert response.redirect_chain[-1][0] == reverse(
        "portfolio:scenario", args=[portfolio.code, scenario.pk]
    )
    html = response.content.decode()
    assert "Start months:" in html and "MOVER" in html
    # Its fixed-start slate, at the stored starts, funds the timing plan.
    chosen = {row.candidate.code for row in response.context["report"].chosen}
    assert {"EARLY", "MOVER"} <= chosen
    # Open in the timing view, the scenario keeps its starts: nothing moves again.
    view = client.get(_url(portfolio), {"scenario": scenario.pk})
    assert view.context["scenario"] == scenario
    assert view.context["report"].moved == ()
    # The scenario page values its slate as the timing view does (the synergy counted): the
    # same figure on both pages, printed on both.
    worth = response.context["report"].timing_value
    assert worth.synergy_value == 50_000
    assert view.context["report"].result.value == pytest.approx(worth.value, abs=0.5)
    printed = f"{worth.value:,.0f}"
    assert printed in html and printed in view.content.decode()
    again = client.post(_url(portfolio, "selection-timing-save"), {"scenario": scenario.pk})
    assert again.status_code == 302
    assert Scenario.objects.count() == 1
    # And the comparison of scenarios prints it beside the plain one (which has no synergy).
    plain = Scenario.objects.create(portfolio=portfolio, name="Plain", budget_limit=5_000_000)
    compare = client.get(
        reverse("portfolio:scenario-compare", args=[portfolio.code]),
        {"s": [scenario.pk, plain.pk]},
    )
    saved, _ = compare.context["comparison"].outcomes
    assert saved.timing_value.value == pytest.approx(worth.value, abs=0.5)
    assert "Value with market windows and synergies" in compare.content.decode()
    assert printed in compare.content.decode()


def test_saving_needs_a_name_and_writes_nothing_without(client, portfolio, timed, member_of):
    client.force_login(member_of(portfolio, "pmo"))
    response = client.post(_url(portfolio, "selection-timing-save"), {"name": "  "})
    assert response.status_code == 200
    assert "Name the scenario." in response.content.decode()
    assert not Scenario.objects.exists()


def test_a_committed_scenario_cannot_take_a_timing_plan(client, portfolio, timed, member_of):
    pmo = member_of(portfolio, "pmo")
    scenario = Scenario.objects.create(
        portfolio=portfolio,
        name="Done",
        budget_limit=5000000,
        created_by=pmo,
        committed_at=timezone.now(),
        committed_by=pmo,
    )
    client.force_login(pmo)
    view = client.get(_url(portfolio), {"scenario": scenario.pk})
    assert view.context["can_save"] is False
    response = client.post(
        _url(portfolio, "selection-timing-save"), {"scenario": scenario.pk}, follow=True
    )
    assert "A committed scenario records a decision" in response.content.decode()
    scenario.refresh_from_db()
    assert scenario.start_months == {}


def test_a_scenario_of_another_portfolio_is_a_404(
    client, portfolio, other_portfolio, timed, member_of
):
    user = member_of(portfolio, "pmo")
    elsewhere = Scenario.objects.create(portfolio=other_portfolio, name="X", budget_limit=1)
    client.force_login(user)
    assert client.get(_url(portfolio), {"scenario": elsewhere.pk}).status_code == 404


def test_the_frontier_works_in_timing_mode(client, portfolio, timed, member_of):
    client.force_login(member_of(portfolio, "executive"))
    url = reverse("portfolio:frontier", args=[portfolio.code])
    response = client.get(url, {"mode": "timing"})
    assert response.status_code == 200
    assert response.context["timing"] is True
    points = [row["point"] for row in response.context["rows"]]
    assert len(points) == 11
    fixed = client.get(url).context["rows"]
    envelope = next(p for p in points if p.level == 1.0)
    fixed_envelope = next(r["point"] for r in fixed if r["point"].level == 1.0)
    assert envelope.value > fixed_envelope.value  # timing funds MOVER too
    html = response.content.decode()
    assert "timing mode" in html
    assert "HiGHS: optimal" in html


def test_timing_view_queries_do_not_grow_with_candidates(
    client, portfolio, timed, member_of, django_assert_max_num_queries
):
    client.force_login(member_of(portfolio, "viewer"))
    url = _url(portfolio)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    role = RoleFactory(name="Engineer")
    for n in range(25):
        project = ProjectFactory(
            portfolio=portfolio,
            stage="candidate",
            start_date=_ahead(1),
            end_date=month_end(_ahead(2)),
            latest_start=_ahead(1 + n % 4),
        )
        AllocationFactory(project=project, role=role, start_month=_ahead(1), end_month=_ahead(1))
        project.requires.add(timed["EARLY"])
    with django_assert_max_num_queries(len(small)):
        response = client.get(url)
    assert len(response.context["report"].data.timed) == 29


def test_committing_the_saved_timing_plan_moves_the_planned_start(
    client, portfolio, timed, member_of
):
    """Save the timing plan as a scenario, read the commit page (the start it moves), commit:
    MOVER is approved and now planned to start in the month the optimiser chose."""
    client.force_login(member_of(portfolio, "pmo"))
    client.post(_url(portfolio, "selection-timing-save"), {"name": "Later platform"})
    scenario = Scenario.objects.get()
    chosen = scenario.start_months[str(timed["MOVER"].pk)]
    url = reverse("portfolio:scenario-commit", args=[portfolio.code, scenario.pk])
    page = client.get(url)
    assert [m.project.code for m in page.context["start_moves"]] == ["MOVER"]
    assert "Move the planned start" in page.content.decode()
    response = client.post(url, {}, follow=True)
    html = response.content.decode()
    assert "1 moved to the scenario" in html and "MOVER" in html
    # The factory's projects are baselined: the baseline moves by a change request.
    assert "Baselined, so their baseline moves by a change request" in html
    mover = Project.objects.get(code="MOVER")
    assert f"{mover.start_date:%Y-%m}" == chosen
    assert mover.stage == "approved"
    assert Project.objects.get(code="EARLY").stage == "approved"
