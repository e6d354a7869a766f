"""The read-only pages: who may open them, what they list, empty states, paging, filters."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.months import add_months, month_end
from portfolio.models import Role
from projects.models import ProjectDependency
from tests.factories import (
    AllocationFactory,
    CostEntryFactory,
    MilestoneFactory,
    ObjectiveFactory,
    ProgramFactory,
    ProjectFactory,
    ResourceFactory,
    RiskFactory,
    StatusReportFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(portfolio):
    return ProgramFactory(portfolio=portfolio, name="Digital")


@pytest.fixture
def managed_project(portfolio, program):
    manager = UserFactory(username="pm", first_name="Pat", last_name="Manager")
    return ProjectFactory(
        portfolio=portfolio, program=program, manager=manager, name="Billing rewrite"
    )


@pytest.fixture
def outsider(other_portfolio, member_of):
    """Logged in, a member of another portfolio only."""
    return member_of(other_portfolio, "portfolio_manager")


def page_urls(portfolio, program, project):
    return {
        "list": reverse("portfolio:list"),
        "portfolio": reverse("portfolio:detail", args=[portfolio.code]),
        "program": reverse("portfolio:program", args=[portfolio.code, program.pk]),
        "project": reverse("projects:detail", args=[project.pk]),
    }


# --- Who may open what ---------------------------------------------------------------------


@pytest.mark.parametrize("page", ["list", "portfolio", "program", "project"])
def test_anonymous_users_are_sent_to_login(client, portfolio, program, managed_project, page):
    url = page_urls(portfolio, program, managed_project)[page]
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.parametrize("page", ["list", "portfolio", "program", "project"])
def test_members_with_any_role_see_every_page(
    client, portfolio, program, managed_project, member_of, role, page
):
    client.force_login(member_of(portfolio, role))
    response = client.get(page_urls(portfolio, program, managed_project)[page])
    assert response.status_code == 200


@pytest.mark.parametrize("page", ["list", "portfolio", "program", "project"])
def test_pmo_admin_sees_every_page(client, portfolio, program, managed_project, pmo_admin, page):
    client.force_login(pmo_admin)
    response = client.get(page_urls(portfolio, program, managed_project)[page])
    assert response.status_code == 200


def test_project_manager_without_membership_sees_own_project(
    client, portfolio, program, managed_project
):
    client.force_login(managed_project.manager)
    urls = page_urls(portfolio, program, managed_project)
    assert client.get(urls["project"]).status_code == 200
    # ...and, read-only, the portfolio it belongs to (core.access rules).
    assert client.get(urls["portfolio"]).status_code == 200


@pytest.mark.parametrize("page", ["portfolio", "program", "project"])
def test_members_of_another_portfolio_get_404(
    client, portfolio, program, managed_project, outsider, page
):
    client.force_login(outsider)
    response = client.get(page_urls(portfolio, program, managed_project)[page])
    assert response.status_code == 404


def test_program_must_belong_to_the_portfolio_in_the_url(
    client, portfolio, other_portfolio, member_of
):
    foreign_program = ProgramFactory(portfolio=other_portfolio)
    client.force_login(member_of(portfolio, "viewer"))
    url = reverse("portfolio:program", args=[portfolio.code, foreign_program.pk])
    assert client.get(url).status_code == 404


def test_unknown_objects_are_404(client, pmo_admin):
    client.force_login(pmo_admin)
    assert client.get(reverse("portfolio:detail", args=["nope"])).status_code == 404
    assert client.get(reverse("projects:detail", args=[999999])).status_code == 404


# --- Portfolio overview -------------------------------------------------------------------


def test_portfolio_list_shows_only_visible_portfolios(
    client, portfolio, other_portfolio, member_of
):
    client.force_login(member_of(portfolio, "executive"))
    response = client.get(reverse("portfolio:list"))
    assert [row.portfolio for row in response.context["overview"].rows] == [portfolio]
    assert portfolio.name in response.content.decode()
    assert other_portfolio.name not in response.content.decode()


def test_portfolio_list_rolls_up_projects_costs_and_risks(client, portfolio, member_of):
    active = ProjectFactory(portfolio=portfolio, stage="in_progress", budget=Decimal("1000000"))
    ProjectFactory(portfolio=portfolio, stage="idea", budget=Decimal("250000"))
    # AC counts up to the status date: the January 2020 report's period end.
    StatusReportFactory(project=active, period_start=date(2020, 1, 1), period_end=date(2020, 1, 31))
    CostEntryFactory(project=active, amount=Decimal("1234.50"), date=date(2020, 1, 1))
    CostEntryFactory(project=active, amount=Decimal("1000"), date=date(2999, 1, 1))  # future
    RiskFactory(portfolio=portfolio, project=active)
    RiskFactory(portfolio=portfolio, project=active, status="closed")
    RiskFactory(portfolio=portfolio, project=None)
    client.force_login(member_of(portfolio, "viewer"))

    response = client.get(reverse("portfolio:list"))

    [row] = response.context["overview"].rows
    assert row.kpis.project_count == 2
    assert row.active_count == 1
    assert row.kpis.budget == Decimal("1250000")
    assert row.kpis.actual_cost == Decimal("1234.50")
    assert row.kpis.cost_to_date == Decimal("1234.50")
    # 50 % × 10,000 for the open project risk and for the portfolio risk; not the closed one
    assert row.kpis.risk_exposure == Decimal("10000")
    html = response.content.decode()
    assert '<span title="1,250,000">1.25M</span>' in html
    assert reverse("portfolio:detail", args=[portfolio.code]) in html


def test_portfolio_list_counts_only_what_a_project_manager_sees(client, portfolio):
    manager = UserFactory()
    ProjectFactory(portfolio=portfolio, manager=manager, budget=Decimal("100"))
    ProjectFactory(portfolio=portfolio, budget=Decimal("999"))  # someone else's
    client.force_login(manager)

    [row] = client.get(reverse("portfolio:list")).context["overview"].rows

    assert row.kpis.project_count == 1
    assert row.kpis.budget == Decimal("100")


def test_portfolio_list_empty_state(client):
    client.force_login(UserFactory())
    response = client.get(reverse("portfolio:list"))
    assert response.status_code == 200
    assert "You are not a member of any portfolio yet" in response.content.decode()


def test_navigation_has_logout_form_and_admin_link_only_for_staff(
    client, portfolio, member_of, pmo_admin
):
    client.force_login(member_of(portfolio, "viewer"))
    html = client.get(reverse("portfolio:list")).content.decode()
    assert f'action="{reverse("logout")}"' in html
    assert 'method="post"' in html
    assert "csrfmiddlewaretoken" in html
    assert reverse("admin:index") not in html

    client.force_login(pmo_admin)
    assert reverse("admin:index") in client.get(reverse("portfolio:list")).content.decode()


def test_login_page_renders(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


def test_logout_is_a_post(client, portfolio, member_of):
    client.force_login(member_of(portfolio, "viewer"))
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("portfolio:list")).status_code == 302


# --- Portfolio dashboard -----------------------------------------------------------------


def _codes(response):
    return [row.project.code for row in response.context["page_obj"].object_list]


def test_portfolio_page_shows_kpis_programs_objectives_risks_and_projects(
    client, portfolio, program, managed_project, member_of
):
    ObjectiveFactory(portfolio=portfolio, name="Grow revenue", weight=Decimal("60"))
    RiskFactory(portfolio=portfolio, project=None, title="Vendor lock-in", probability=5, impact=4)
    RiskFactory(portfolio=portfolio, project=managed_project, cost_impact=Decimal("10000"))
    StatusReportFactory(project=managed_project, overall_rag="amber", percent_complete=40)
    CostEntryFactory(project=managed_project, amount=Decimal("2500"), date=date(2020, 5, 1))
    client.force_login(member_of(portfolio, "viewer"))

    response = client.get(reverse("portfolio:detail", args=[portfolio.code]))

    html = response.content.decode()
    rollup = response.context["rollup"]
    assert rollup.project_count == 1
    assert rollup.budget == Decimal("100000")
    assert rollup.actual_cost == Decimal("2500")
    # 90 % × 10,000 for the portfolio risk, 50 % × 10,000 for the project risk
    assert rollup.risk_exposure == Decimal("14000")
    assert [p.name for p in response.context["board"].programs] == ["Digital"]
    for text in (
        "Grow revenue",
        "Vendor lock-in",
        "Billing rewrite",
        "reported amber",
        "40%",
        "Pat Manager",
        "Exceptions",
        "plotly.min.js",
        'id="chart-health-by-program"',
        'id="chart-dashboard-risk-heatmap"',
    ):
        assert text in html, text
    assert reverse("projects:detail", args=[managed_project.pk]) in html
    assert reverse("portfolio:program", args=[portfolio.code, program.pk]) in html


def test_portfolio_page_tiles_show_the_change_since_the_previous_period(
    client, portfolio, member_of
):
    today = timezone.localdate()
    project = ProjectFactory(portfolio=portfolio, budget=Decimal("100000"))
    this_month = today.replace(day=1)
    # Reports for the last two closed months set the status dates then and now; AC counts
    # up to them, and this month's cost is spent since the status date.
    for months_back, amount in ((2, "300"), (1, "700")):
        month = add_months(this_month, -months_back)
        StatusReportFactory(project=project, period_start=month, period_end=month_end(month))
        CostEntryFactory(project=project, amount=Decimal(amount), date=month.replace(day=10))
    CostEntryFactory(project=project, amount=Decimal("50"), date=this_month)
    client.force_login(member_of(portfolio, "viewer"))

    response = client.get(reverse("portfolio:detail", args=[portfolio.code]))

    board = response.context["board"]
    tiles = {tile.key: tile for tile in board.tiles}
    if today == month_end(today):  # this month is closed but not reported: nothing moved
        assert tiles["ac"].previous == Decimal("1000")
    else:
        assert board.previous_label == f"{add_months(this_month, -2):%B %Y}"
        assert tiles["ac"].value == Decimal("1000")
        assert tiles["ac"].previous == Decimal("300")
        assert tiles["ac"].change == Decimal("700")
    assert tiles["ac"].detail_amount == board.kpis.spent_since_status_date == Decimal("50")
    assert tiles["risk"].change is None  # no history of the register: no change shown
    html = response.content.decode()
    assert f"since {board.previous_label}" in html
    assert f"status date ({month_end(add_months(this_month, -1)):%-d %b %Y})" in html


def test_portfolio_page_empty_states(client, portfolio, member_of):
    client.force_login(member_of(portfolio, "viewer"))
    html = client.get(reverse("portfolio:detail", args=[portfolio.code])).content.decode()
    assert "No projects yet." in html
    assert "No programs." in html
    assert "No strategic objectives." in html
    assert "No open portfolio risks." in html
    assert "No exceptions." in html


def test_project_manager_sees_only_own_projects_on_portfolio_page(client, portfolio, program):
    manager = UserFactory()
    mine = ProjectFactory(portfolio=portfolio, manager=manager, name="Mine")
    ProjectFactory(portfolio=portfolio, name="Somebody else's")
    client.force_login(manager)

    response = client.get(reverse("portfolio:detail", args=[portfolio.code]))

    assert _codes(response) == [mine.code]
    assert response.context["rollup"].project_count == 1
    assert "Somebody else&#x27;s" not in response.content.decode()


def test_portfolio_page_paginates(client, portfolio, member_of, settings):
    settings.SLATE_PAGE_SIZE = 5
    ProjectFactory.create_batch(6, portfolio=portfolio)
    ProjectFactory(portfolio=portfolio, code="ZZZ-LAST", name="The last one")
    client.force_login(member_of(portfolio, "viewer"))
    url = reverse("portfolio:detail", args=[portfolio.code])

    first_page = client.get(url)
    second_page = client.get(url, {"page": 2})

    assert first_page.context["page_obj"].paginator.num_pages == 2
    assert "ZZZ-LAST" not in _codes(first_page)
    assert second_page.status_code == 200
    assert second_page.context["page_obj"].number == 2
    assert "ZZZ-LAST" in _codes(second_page)
    assert "?page=2" in first_page.content.decode()
    # Out of range or junk falls back to a real page rather than an error.
    assert client.get(url, {"page": 99}).context["page_obj"].number == 2
    assert client.get(url, {"page": "x"}).context["page_obj"].number == 1


def test_portfolio_page_filters_by_stage_and_program(client, portfolio, program, member_of):
    in_program = ProjectFactory(portfolio=portfolio, program=program, stage="in_progress")
    idea = ProjectFactory(portfolio=portfolio, stage="idea")
    ProjectFactory(portfolio=portfolio, stage="in_progress")
    client.force_login(member_of(portfolio, "viewer"))
    url = reverse("portfolio:detail", args=[portfolio.code])

    def rows(**params):
        return _codes(client.get(url, params))

    assert rows(stage="idea") == [idea.code]
    assert rows(program=program.pk) == [in_program.code]
    assert rows(program=program.pk, stage="idea") == []
    # Values that do not parse are ignored, not an error.
    assert len(rows(program="junk", health="purple", sort="nope", slip="x")) == 3
    html = client.get(url, {"program": program.pk, "stage": "idea"}).content.decode()
    assert "No projects match these filters." in html


def test_filters_and_sort_survive_pagination(client, portfolio, member_of, settings):
    settings.SLATE_PAGE_SIZE = 2
    ProjectFactory.create_batch(3, portfolio=portfolio, stage="idea")
    client.force_login(member_of(portfolio, "viewer"))
    html = client.get(
        reverse("portfolio:detail", args=[portfolio.code]), {"stage": "idea", "sort": "-budget"}
    ).content.decode()
    assert "?stage=idea&amp;sort=-budget&amp;page=2" in html


def test_sort_headers_keep_the_filters_and_go_back_to_page_one(client, portfolio, member_of):
    ProjectFactory.create_batch(2, portfolio=portfolio, stage="idea")
    client.force_login(member_of(portfolio, "viewer"))
    html = client.get(
        reverse("portfolio:detail", args=[portfolio.code]),
        {"stage": "idea", "sort": "cpi", "page": 1},
    ).content.decode()
    assert 'aria-sort="ascending"><a href="?stage=idea&amp;sort=-cpi#projects">' in html
    assert '<a href="?stage=idea&amp;sort=budget#projects">' in html


def test_dashboard_does_not_link_projects_the_user_cannot_see(
    client, portfolio, other_portfolio, member_of
):
    ours = ProjectFactory(portfolio=portfolio, code="OURS-1")
    hidden = ProjectFactory(portfolio=other_portfolio, code="HIDDEN-1")
    ProjectDependency.objects.create(predecessor=ours, successor=hidden, needed_by=date(2026, 1, 1))
    ProjectDependency.objects.create(predecessor=hidden, successor=ours, needed_by=date(2026, 1, 1))
    client.force_login(member_of(portfolio, "viewer"))

    response = client.get(reverse("portfolio:detail", args=[portfolio.code]))

    html = response.content.decode()
    # The dependency is shown, but its other end is neither named nor linked.
    assert "HIDDEN-1" not in html and "a project you cannot open" in html
    assert reverse("projects:detail", args=[hidden.pk]) not in html
    assert reverse("projects:detail", args=[ours.pk]) in html
    assert response.context["rollup"].late_dependencies == 1  # ours waits on HIDDEN-1


# --- Program page --------------------------------------------------------------------------


def test_program_page_lists_its_projects_only(client, portfolio, program, member_of):
    ours = ProjectFactory(portfolio=portfolio, program=program, name="Ours")
    ProjectFactory(portfolio=portfolio, name="Not in the program")
    client.force_login(member_of(portfolio, "viewer"))

    response = client.get(reverse("portfolio:program", args=[portfolio.code, program.pk]))

    assert _codes(response) == [ours.code]
    assert response.context["rollup"].project_count == 1
    html = response.content.decode()
    assert "Not in the program" not in html
    assert reverse("portfolio:detail", args=[portfolio.code]) in html  # breadcrumb
    assert 'id="chart-roadmap"' in html


def test_program_page_counts_portfolio_risks_threatening_its_projects_once(
    client, portfolio, program, member_of
):
    first, second = ProjectFactory.create_batch(2, portfolio=portfolio, program=program)
    threat = RiskFactory(portfolio=portfolio, project=None, cost_impact=Decimal("1000"))
    threat.threatened_projects.set([first, second])
    RiskFactory(portfolio=portfolio, project=None, cost_impact=Decimal("7777"))  # not ours
    client.force_login(member_of(portfolio, "viewer"))

    response = client.get(reverse("portfolio:program", args=[portfolio.code, program.pk]))

    assert response.context["rollup"].risk_exposure == Decimal("500")


def test_program_page_empty_state_and_pagination(client, portfolio, program, member_of, settings):
    client.force_login(member_of(portfolio, "viewer"))
    url = reverse("portfolio:program", args=[portfolio.code, program.pk])
    assert "No projects yet." in client.get(url).content.decode()

    settings.SLATE_PAGE_SIZE = 3
    ProjectFactory.create_batch(4, portfolio=portfolio, program=program)
    assert client.get(url, {"page": 2}).context["page_obj"].number == 2
    assert len(client.get(url, {"page": 2}).context["page_obj"].object_list) == 1


# --- Project page --------------------------------------------------------------------------


def test_project_page_shows_every_section(
    client, portfolio, program, managed_project, member_of, monkeypatch
):
    # Before the milestone's forecast: it slips by its forecast, not yet by the calendar.
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: date(2026, 3, 5))
    project = managed_project
    MilestoneFactory(
        project=project,
        name="Design signed off",
        baseline_date=date(2026, 3, 1),
        forecast_date=date(2026, 3, 11),
    )
    StatusReportFactory(  # February's: March's counts from its period end, after today
        project=project,
        period_start=date(2026, 2, 1),
        period_end=date(2026, 2, 28),
        overall_rag="green",
        budget_rag="red",
        percent_complete=Decimal("30"),
        summary="Going fine, honest",
    )
    CostEntryFactory(project=project, amount=Decimal("12345"), description="Consultants")
    RiskFactory(portfolio=portfolio, project=project, title="Key person leaves")
    threat = RiskFactory(portfolio=portfolio, project=None, title="Budget freeze")
    threat.threatened_projects.add(project)
    predecessor = ProjectFactory(portfolio=portfolio, end_date=date(2026, 9, 30), code="PRE-1")
    ProjectDependency.objects.create(
        predecessor=predecessor, successor=project, needed_by=date(2026, 6, 1)
    )
    resource = ResourceFactory(name="Ada Lovelace")
    AllocationFactory(project=project, role=resource.role, resource=resource)
    client.force_login(member_of(portfolio, "viewer"))

    response = client.get(reverse("projects:detail", args=[project.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Billing rewrite",
        "Design signed off",
        "+10&nbsp;d",
        "Going fine, honest",
        "Consultants",
        '<span class="cur">USD</span>\xa012,345',
        "Key person leaves",
        "Budget freeze",
        "PRE-1",
        "Late",
        "Ada Lovelace",
        "Watermelon warning",  # reported green with a red dimension
        "Status date <strong>28 Feb 2026</strong>",
        "Spent since status date",
        "Computed EAC",
        "Pessimistic EAC",
        "Amber</span> ≥&nbsp;0.85",  # the health legend
        "Jan 2026 – Mar 2026 (3 mo)",
    ):
        assert text in html, text
    # Breadcrumbs: portfolio → program → project
    assert reverse("portfolio:detail", args=[portfolio.code]) in html
    assert reverse("portfolio:program", args=[portfolio.code, program.pk]) in html
    assert response.context["ev"].earned_value == Decimal("30000.00")


def test_project_page_empty_states(client, portfolio, member_of):
    project = ProjectFactory(portfolio=portfolio)
    client.force_login(member_of(portfolio, "viewer"))
    html = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    for text in (
        "No milestones.",
        "No status reports yet.",
        "No costs recorded.",
        "No allocations.",
        "No project risks recorded.",
        "No portfolio risks threaten this project.",
        "This project depends on no other project.",
        "No other project waits on this one.",
    ):
        assert text in html, text
    assert "Watermelon warning" not in html


def test_project_page_shows_latest_twelve_reports_and_counts_the_rest(client, portfolio, member_of):
    project = ProjectFactory(portfolio=portfolio)
    for month in range(1, 13):
        StatusReportFactory(
            project=project,
            period_start=date(2025, month, 1),
            period_end=date(2025, month, 28),
        )
    StatusReportFactory(
        project=project, period_start=date(2026, 1, 1), period_end=date(2026, 1, 31)
    )
    client.force_login(member_of(portfolio, "viewer"))

    response = client.get(reverse("projects:detail", args=[project.pk]))

    detail = response.context["detail"]
    assert len(detail.status_reports) == 12
    assert detail.status_reports[0].period_start == date(2026, 1, 1)
    assert "1 older report not shown" in response.content.decode()


def test_dependency_on_an_invisible_project_is_not_linked(
    client, portfolio, other_portfolio, member_of
):
    project = ProjectFactory(portfolio=portfolio)
    hidden = ProjectFactory(portfolio=other_portfolio, code="HIDDEN-1")
    ProjectDependency.objects.create(
        predecessor=hidden, successor=project, needed_by=date(2027, 6, 1)
    )
    client.force_login(member_of(portfolio, "viewer"))

    html = client.get(reverse("projects:detail", args=[project.pk])).content.decode()

    assert "HIDDEN-1" not in html and "A project you cannot open" in html
    assert reverse("projects:detail", args=[hidden.pk]) not in html
    assert "On time" in html


def test_every_page_that_colours_health_shows_the_portfolios_thresholds(
    client, portfolio, program, managed_project, member_of
):
    portfolio.green_threshold, portfolio.amber_threshold = Decimal("0.90"), Decimal("0.75")
    portfolio.save()
    client.force_login(member_of(portfolio, "viewer"))
    for url in (
        reverse("portfolio:list"),
        reverse("portfolio:detail", args=[portfolio.code]),
        reverse("portfolio:program", args=[portfolio.code, program.pk]),
        reverse("projects:detail", args=[managed_project.pk]),
    ):
        html = client.get(url).content.decode()
        assert 'class="table-note health-legend"' in html, url
        assert "Green</span> ≥&nbsp;0.90" in html, url
        assert "Amber</span> ≥&nbsp;0.75" in html, url


def test_project_header_shows_computed_health_beside_the_reported_one(
    client, portfolio, managed_project, member_of
):
    """Reported green, computed red (CPI 0.5): the header says both, with the watermelon."""
    StatusReportFactory(
        project=managed_project,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
        overall_rag="green",
        percent_complete=Decimal("20"),
    )
    CostEntryFactory(project=managed_project, date=date(2026, 3, 20), amount=Decimal("40000"))
    client.force_login(member_of(portfolio, "viewer"))
    html = client.get(reverse("projects:detail", args=[managed_project.pk])).content.decode()
    header = html[html.index('<div class="header-badges">') :].split("</div>")[0]
    assert 'Reported</span> <span class="badge rag rag-green">Green</span>' in header
    assert 'Computed</span> <span class="badge rag rag-red">Red</span>' in header
    assert ">Watermelon</span>" in header


def test_the_eac_basis_is_edited_with_the_portfolios_other_settings(client, portfolio, pmo_admin):
    client.force_login(pmo_admin)
    url = reverse("admin:portfolio_portfolio_change", args=[portfolio.pk])
    form = client.get(url).context["adminform"].form
    assert form.initial["eac_basis"] == "worse_of"  # the default
    assert {"green_threshold", "amber_threshold", "eac_basis"} <= set(form.fields)
    assert [value for value, _ in form.fields["eac_basis"].choices] == [
        "worse_of",
        "computed",
        "forecast",
    ]
