"""Time travel everywhere: the project page takes `?as_of=` like the dashboards (the same
status-date rule), the as-of selector sits with the page title, trend and status-history
charts drill down, and the dashboard links the latest review of every kind for every role
that may see the portfolio."""

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from projects.models import Project
from reporting import kpis, services
from tests.factories import (
    CostEntryFactory,
    MembershipFactory,
    ProgramFactory,
    ProjectFactory,
    StatusReportFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(portfolio):
    project = ProjectFactory(portfolio=portfolio, budget=Decimal("100000"))
    CostEntryFactory(project=project, date=date(2026, 9, 10), amount=Decimal("20000"))
    CostEntryFactory(project=project, date=date(2026, 10, 10), amount=Decimal("15000"))
    StatusReportFactory(
        project=project, period_start=date(2026, 9, 1), period_end=date(2026, 9, 30),
        percent_complete=Decimal("30"),
    )  # fmt: skip
    StatusReportFactory(
        project=project, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31),
        percent_complete=Decimal("50"),
    )  # fmt: skip
    return project


def chart_json(html: str, element_id: str) -> dict:
    block = re.search(
        rf'<script type="application/json" data-chart="{element_id}">(.*?)</script>', html, re.S
    )
    return json.loads(block.group(1))


def test_the_project_page_shows_its_figures_as_of_a_date(client, portfolio, project):
    client.force_login(MembershipFactory(portfolio=portfolio, role="executive").user)
    url = reverse("projects:detail", args=[project.pk])
    now = client.get(url).context["performance"]
    then = client.get(url, {"as_of": "2026-10-15"}).context["performance"]
    assert now.status_date == date(2026, 10, 31)
    assert now.earned_value.earned_value == Decimal("50000")
    # As of 15 Oct the October report's period has not ended: the status date is 30 Sep,
    # and AC counts the costs up to it only.
    assert then.as_of == date(2026, 10, 15)
    assert then.status_date == date(2026, 9, 30)
    assert then.earned_value.earned_value == Decimal("30000")
    assert then.earned_value.actual_cost == Decimal("20000")
    # The same rule as the dashboards' per-project KPIs.
    row = kpis.project_kpis(
        projects=Project.objects.filter(pk=project.pk), as_of=date(2026, 10, 15)
    )[0]
    assert row.status_date == then.status_date
    assert row.earned_value.earned_value == then.earned_value.earned_value
    assert row.earned_value.actual_cost == then.earned_value.actual_cost


def test_the_project_page_as_of_hides_later_reports_from_its_charts(client, portfolio, project):
    client.force_login(MembershipFactory(portfolio=portfolio, role="pmo").user)
    url = reverse("projects:detail", args=[project.pk])
    html = client.get(url, {"as_of": "2026-09-30"}).content.decode()
    reported = chart_json(html, "chart-percent-complete")["data"][1]
    assert reported["y"] == [30.0]
    assert "Shown as of 30 Sep 2026" in html


@pytest.mark.parametrize("raw", ["garbage", "1850-01-01", "2999-01-01", ""])
def test_a_bad_as_of_falls_back_to_today(client, portfolio, project, raw):
    client.force_login(MembershipFactory(portfolio=portfolio, role="pmo").user)
    response = client.get(reverse("projects:detail", args=[project.pk]), {"as_of": raw})
    assert response.status_code == 200
    assert response.context["as_of_is_today"]


def test_status_history_charts_open_the_project_as_of_each_report(client, portfolio, project):
    client.force_login(MembershipFactory(portfolio=portfolio, role="executive").user)
    url = reverse("projects:detail", args=[project.pk])
    html = client.get(url).content.decode()
    links = [f"{url}?as_of=2026-09-30", f"{url}?as_of=2026-10-31"]
    for element_id in ("chart-percent-complete", "chart-rag-timeline"):
        assert f'id="{element_id}" class="plotly-graph-div" data-navigate' in html
    percent = chart_json(html, "chart-percent-complete")["data"]
    assert percent[1]["customdata"] == links
    heatmap = chart_json(html, "chart-rag-timeline")["data"][0]
    assert all(row == links for row in heatmap["customdata"])
    opened = client.get(links[0])
    assert opened.status_code == 200
    assert opened.context["performance"].status_date == date(2026, 9, 30)
    # The selector offers each status date and selects the one shown.
    assert re.search(r'<option value="2026-09-30" selected>', opened.content.decode())


def test_trend_points_open_their_review(client, portfolio, project):
    for period in ("2026-09", "2026-10"):
        services.run_review(portfolio=portfolio, kind="monthly", period=period)
    client.force_login(MembershipFactory(portfolio=portfolio, role="executive").user)
    html = client.get(reverse("portfolio:detail", args=[portfolio.code])).content.decode()
    reviews = portfolio.reviews.filter(kind="monthly").order_by("period_start")
    links = [reverse("reporting:review", args=[review.pk]) for review in reviews]
    for element_id in ("chart-trend-indices", "chart-trend-cost"):
        assert f'id="{element_id}" class="plotly-graph-div" data-navigate' in html
        assert all(trace["customdata"] == links for trace in chart_json(html, element_id)["data"])
    assert client.get(links[0]).status_code == 200


def _header(html: str) -> str:
    start = html.index('<div class="page-header">')
    return html[start : html.index("</dl>", start) if "</dl>" in html[start:] else None]


@pytest.mark.parametrize("page", ["dashboard", "program", "project"])
def test_the_as_of_selector_sits_with_the_page_title(client, portfolio, project, page):
    services.run_review(portfolio=portfolio, kind="monthly", period="2026-10")
    program = ProgramFactory(portfolio=portfolio)
    project.program = program
    project.save()
    url = {
        "dashboard": reverse("portfolio:detail", args=[portfolio.code]),
        "program": reverse("portfolio:program", args=[portfolio.code, program.pk]),
        "project": reverse("projects:detail", args=[project.pk]),
    }[page]
    client.force_login(MembershipFactory(portfolio=portfolio, role="executive").user)
    html = client.get(url).content.decode()
    assert html.count('id="as-of"') == 1
    title = html.index("<h1>")
    selector = html.index('id="as-of"')
    assert title < selector < html.index('<div class="page-header">') + len(_header(html))
    tiles = html.find('class="kpi')
    assert tiles == -1 or selector < tiles


@pytest.mark.parametrize(
    "role", ["pmo", "portfolio_manager", "executive", "viewer", "resource_manager", "manager",
             "sponsor"],
)  # fmt: skip
def test_the_dashboard_links_every_kind_of_review_for_everyone_who_sees_it(
    client, portfolio, project, role
):
    for kind, period in (("monthly", "2026-10"), ("quarterly", "2026-Q3"), ("annual", "2026")):
        services.run_review(portfolio=portfolio, kind=kind, period=period)
    if role in ("manager", "sponsor"):
        user = UserFactory()
        setattr(project, role, user)
        project.save()
    else:
        user = MembershipFactory(portfolio=portfolio, role=role).user
    client.force_login(user)
    html = client.get(reverse("portfolio:detail", args=[portfolio.code])).content.decode()
    for review in portfolio.reviews.all():
        link = reverse("reporting:review", args=[review.pk])
        assert f'href="{link}" data-review-kind="{review.kind}"' in html, (role, review.kind)
        assert client.get(link).status_code == 200
