"""The portfolio risk register: who sees it, its filters and heat-map drill-down,
exposure totals that count a shared risk once, and a query count that does not grow."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from risks import selectors, services
from tests.factories import ProgramFactory, ProjectFactory, RiskFactory, UserFactory

pytestmark = pytest.mark.django_db

# Per request: session, user, the user's and groups' permissions (access.is_pmo_admin), the
# portfolio; the heat-map cells, the portfolio totals, the programs with their totals; the
# page's count and rows, and the projects the page's portfolio risks threaten; the user's
# membership for the portfolio's tab bar (which tabs they may open).
PORTFOLIO_REGISTER_QUERIES = 12


def register_url(portfolio, **params):
    url = reverse("risks:portfolio-register", args=[portfolio.code])
    if params:
        url += "?" + "&".join(f"{key}={value}" for key, value in params.items())
    return url


@pytest.fixture
def world(portfolio):
    """Two programs; a shared portfolio risk threatening two projects of `digital` and one
    of `data`; one open and one closed project risk."""
    digital = ProgramFactory(portfolio=portfolio, name="Digital")
    data = ProgramFactory(portfolio=portfolio, name="Data")
    manager = UserFactory(username="pm")
    web = ProjectFactory(portfolio=portfolio, program=digital, code="WEB", manager=manager)
    app = ProjectFactory(portfolio=portfolio, program=digital, code="APP")
    lake = ProjectFactory(portfolio=portfolio, program=data, code="LAKE")
    shared = RiskFactory(
        portfolio=portfolio,
        project=None,
        title="Cyber attack on shared platform",
        probability=5,
        impact=5,
        cost_impact=Decimal("100000"),  # exposure 90 % × 100,000 = 90,000
    )
    shared.threatened_projects.add(web, app, lake)
    web_risk = RiskFactory(
        portfolio=portfolio,
        project=web,
        title="Payment provider certification",
        probability=3,
        impact=4,
        cost_impact=Decimal("10000"),  # 50 % × 10,000 = 5,000
    )
    lake_risk = RiskFactory(
        portfolio=portfolio,
        project=lake,
        title="Data quality too low",
        probability=4,
        impact=5,
        cost_impact=Decimal("20000"),  # 70 % × 20,000 = 14,000
    )
    closed = RiskFactory(
        portfolio=portfolio,
        project=app,
        title="Old closed risk",
        probability=5,
        impact=5,
        cost_impact=Decimal("999999"),
        status="closed",
    )
    return {
        "digital": digital,
        "data": data,
        "manager": manager,
        "web": web,
        "app": app,
        "lake": lake,
        "shared": shared,
        "web_risk": web_risk,
        "lake_risk": lake_risk,
        "closed": closed,
    }


def titles(response):
    return [risk.title for risk in response.context["page_obj"]]


# --- Who sees it ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["pmo", "portfolio_manager", "executive", "viewer", "resource_manager"]
)
def test_every_member_sees_the_register(client, portfolio, world, member_of, role):
    client.force_login(member_of(portfolio, role))
    response = client.get(register_url(portfolio))
    assert response.status_code == 200
    assert len(titles(response)) == 3


def test_an_outsider_gets_a_404(client, portfolio, world, other_portfolio, member_of):
    client.force_login(member_of(other_portfolio, "pmo"))
    assert client.get(register_url(portfolio)).status_code == 404


def test_anonymous_users_are_sent_to_log_in(client, portfolio):
    response = client.get(register_url(portfolio))
    assert response.status_code == 302
    assert response.url.startswith(resolve_url(settings.LOGIN_URL))


def test_a_project_manager_without_membership_sees_only_their_risks(client, portfolio, world):
    """Their project's risks and the portfolio risks threatening it, and of the threatened
    projects only those they see; the totals cover those risks only."""
    client.force_login(world["manager"])
    response = client.get(register_url(portfolio))
    assert response.status_code == 200
    assert titles(response) == ["Cyber attack on shared platform", "Payment provider certification"]
    page = response.content.decode()
    assert reverse("projects:detail", args=[world["web"].pk]) in page
    assert reverse("projects:detail", args=[world["app"].pk]) not in page
    assert "Data quality too low" not in page
    totals = response.context["register"].totals
    assert (totals.open_risk_count, totals.exposure) == (2, Decimal("95000.00"))
    assert response.context["register"].heat_map_cells == {(5, 5): 1, (3, 4): 1}


# --- What it lists ----------------------------------------------------------------------------


def test_lists_portfolio_risks_with_the_projects_they_threaten(client, portfolio, world, member_of):
    client.force_login(member_of(portfolio, "viewer"))
    response = client.get(register_url(portfolio))
    # Score first (25, 20, 12), then exposure.
    assert titles(response) == [
        "Cyber attack on shared platform",
        "Data quality too low",
        "Payment provider certification",
    ]
    page = response.content.decode()
    for code in ("web", "app", "lake"):
        assert f'href="{reverse("projects:detail", args=[world[code].pk])}"' in page
    web_risk_link = reverse("risks:project-register", args=[world["web"].pk])
    assert f'href="{web_risk_link}#risk-{world["web_risk"].pk}"' in page
    assert "Old closed risk" not in page


def test_equal_scores_sort_by_exposure(client, portfolio, member_of):
    for title, cost in (("Small", "1000"), ("Large", "50000"), ("Middle", "9000")):
        RiskFactory(portfolio=portfolio, project=None, title=title, cost_impact=Decimal(cost))
    client.force_login(member_of(portfolio, "viewer"))
    assert titles(client.get(register_url(portfolio))) == ["Large", "Middle", "Small"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"shared", "web_risk", "lake_risk"}),
        ({"status": "closed"}, {"closed"}),
        ({"status": "all"}, {"shared", "web_risk", "lake_risk", "closed"}),
        ({"level": "portfolio"}, {"shared"}),
        ({"level": "project"}, {"web_risk", "lake_risk"}),
        ({"level": "project", "status": "all"}, {"web_risk", "lake_risk", "closed"}),
        ({"status": "nonsense", "level": "nonsense"}, {"shared", "web_risk", "lake_risk"}),
    ],
)
def test_status_and_level_filters(client, portfolio, world, member_of, params, expected):
    client.force_login(member_of(portfolio, "viewer"))
    response = client.get(register_url(portfolio, **params))
    assert set(titles(response)) == {world[name].title for name in expected}


def test_program_filter_lists_its_risks_and_the_shared_ones(client, portfolio, world, member_of):
    client.force_login(member_of(portfolio, "viewer"))
    response = client.get(register_url(portfolio, program=world["digital"].pk))
    assert set(titles(response)) == {world["shared"].title, world["web_risk"].title}
    assert "touching Digital" in response.content.decode()


def test_pages_of_risks(client, portfolio, world, member_of, settings):
    settings.SLATE_PAGE_SIZE = 2
    client.force_login(member_of(portfolio, "viewer"))
    assert len(titles(client.get(register_url(portfolio)))) == 2
    second = client.get(register_url(portfolio, page=2))
    assert titles(second) == ["Payment provider certification"]
    assert "3–3 of 3" in second.content.decode()


# --- The heat map -----------------------------------------------------------------------------


def test_heat_map_counts_each_open_risk_once(client, portfolio, world, member_of):
    """The shared risk threatens three projects and is one risk in its cell."""
    client.force_login(member_of(portfolio, "viewer"))
    response = client.get(register_url(portfolio))
    assert response.context["register"].heat_map_cells == {(5, 5): 1, (4, 5): 1, (3, 4): 1}
    page = response.content.decode()
    assert page.index("plotly/plotly.min.js") < page.index('id="chart-risk-heatmap"')
    assert '"?probability=5&impact=5"' in page  # the (5, 5) cell's link


def test_heat_map_cell_lists_the_risks_in_it(client, portfolio, world, member_of):
    client.force_login(member_of(portfolio, "viewer"))
    response = client.get(register_url(portfolio, probability=4, impact=5))
    assert titles(response) == ["Data quality too low"]
    assert "probability 4 and impact 5" in response.content.decode()
    # The heat map still shows every cell, and bad values are ignored.
    assert len(response.context["register"].heat_map_cells) == 3
    assert len(titles(client.get(register_url(portfolio, probability=9, impact="x")))) == 3


def test_heat_map_follows_the_level_and_program_filters(client, portfolio, world, member_of):
    client.force_login(member_of(portfolio, "viewer"))
    program = world["data"].pk
    response = client.get(register_url(portfolio, level="project", program=program))
    assert response.context["register"].heat_map_cells == {(4, 5): 1}
    assert f'"?level=project&program={program}&probability=4&impact=5"' in (
        response.content.decode()
    )


# --- Exposure counted once --------------------------------------------------------------------


def test_a_shared_risk_counts_once_in_the_portfolio_and_program_totals(
    client, portfolio, world, member_of
):
    """Shared 90,000 (threatens WEB and APP of Digital, LAKE of Data), WEB 5,000, LAKE
    14,000; the closed risk counts nowhere."""
    client.force_login(member_of(portfolio, "viewer"))
    register = client.get(register_url(portfolio)).context["register"]
    totals = register.totals
    assert totals.open_risk_count == 3
    assert totals.exposure == Decimal("109000.00")
    assert (totals.portfolio_level_count, totals.portfolio_level_exposure) == (
        1,
        Decimal("90000.00"),
    )
    assert (totals.project_level_count, totals.project_level_exposure) == (
        2,
        Decimal("19000.00"),
    )
    by_program = {p.name: (p.open_risk_count, p.risk_exposure) for p in register.programs}
    assert by_program == {
        "Data": (2, Decimal("104000.00")),
        "Digital": (2, Decimal("95000.00")),
    }


def _figures(register):
    return (
        register.totals,
        register.heat_map_cells,
        {p.name: (p.open_risk_count, p.risk_exposure) for p in register.programs},
    )


def test_a_project_risk_escalated_into_a_new_portfolio_risk_counts_once(
    client, portfolio, world, pmo_admin
):
    """WEB's risk becomes a portfolio risk threatening WEB: the portfolio and Digital keep
    their totals and heat map; the portfolio risk now holds the exposure."""
    client.force_login(pmo_admin)
    before = client.get(register_url(portfolio)).context["register"]
    services.risk_escalate(
        risk=world["web_risk"], by=pmo_admin, reason="Shared provider", expected_version=1
    )
    response = client.get(register_url(portfolio))
    after = response.context["register"]
    totals, cells, programs = _figures(after)
    assert (totals.open_risk_count, totals.exposure) == (3, Decimal("109000.00"))
    assert (totals.portfolio_level_count, totals.portfolio_level_exposure) == (
        2,
        Decimal("95000.00"),
    )
    assert (totals.project_level_count, totals.project_level_exposure) == (
        1,
        Decimal("14000.00"),
    )
    assert (cells, programs) == _figures(before)[1:]
    # Still listed among the open risks, marked.
    assert titles(response).count("Payment provider certification") == 2
    assert "Escalated to “Payment provider certification”, which counts its exposure" in (
        response.content.decode()
    )


def test_a_project_risk_escalated_into_an_existing_portfolio_risk_adds_nothing(
    client, portfolio, world, pmo_admin
):
    """LAKE's 14,000 risk joins the shared 90,000 one, which already counted."""
    services.risk_escalate(
        risk=world["lake_risk"],
        by=pmo_admin,
        reason="Same cause",
        portfolio_risk=world["shared"],
        expected_version=1,
    )
    client.force_login(pmo_admin)
    totals, cells, programs = _figures(client.get(register_url(portfolio)).context["register"])
    assert (totals.open_risk_count, totals.exposure) == (2, Decimal("95000.00"))
    assert cells == {(5, 5): 1, (3, 4): 1}
    assert programs == {
        "Data": (1, Decimal("90000.00")),
        "Digital": (2, Decimal("95000.00")),
    }


def test_totals_ignore_the_table_filters(client, portfolio, world, member_of):
    client.force_login(member_of(portfolio, "viewer"))
    register = client.get(
        register_url(portfolio, level="portfolio", probability=1, impact=1)
    ).context["register"]
    assert register.totals.exposure == Decimal("109000.00")


def test_program_totals_of_a_program_without_risks_are_zero(portfolio, world, pmo_admin):
    ProgramFactory(portfolio=portfolio, name="Empty")
    register = selectors.portfolio_risk_register(portfolio=portfolio, user=pmo_admin)
    empty = next(p for p in register.programs if p.name == "Empty")
    assert (empty.open_risk_count, empty.risk_exposure) == (0, Decimal("0"))


# --- Queries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [5, 50])
def test_portfolio_register_queries_do_not_grow(
    client, portfolio, member_of, count, django_assert_max_num_queries
):
    programs = [ProgramFactory(portfolio=portfolio) for _ in range(3)]
    projects = [ProjectFactory(portfolio=portfolio, program=programs[n % 3]) for n in range(6)]
    owner = UserFactory()
    for n in range(count):
        if n % 2:
            RiskFactory(portfolio=portfolio, project=projects[n % 6], owner=owner)
        else:
            shared = RiskFactory(
                portfolio=portfolio,
                project=None,
                owner=owner,
                probability=n % 5 + 1,
                impact=(n // 5) % 5 + 1,
            )
            shared.threatened_projects.add(*projects[: n % 4 + 1])
    client.force_login(member_of(portfolio, "viewer"))
    with django_assert_max_num_queries(PORTFOLIO_REGISTER_QUERIES):
        response = client.get(register_url(portfolio), {"status": "all"})
    assert response.context["register"].totals.open_risk_count == count
    assert len(titles(response)) == min(count, settings.SLATE_PAGE_SIZE)
