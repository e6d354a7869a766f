"""Risk register views: the register with its heat map, log, edit, close and escalate."""

from decimal import Decimal

import pytest
from django.urls import reverse

from risks.models import Risk
from tests.factories import ProjectFactory, RiskFactory, UserFactory
from tests.permissions import check_write_access, each_role, rows

pytestmark = pytest.mark.django_db

# Per request: session, user, and the user's and groups' permissions (access.is_pmo_admin);
# then the project (with portfolio, program, manager, sponsor), the user's role in the
# portfolio (edit buttons), project risks, threatening risks and the heat map counts.
RISK_REGISTER_QUERIES = 9


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


def risk_data(**changes):
    return {
        "title": "Key architect leaves",
        "description": "",
        "category": "People",
        "probability": "3",
        "impact": "4",
        "cost_impact": "50000",
        "owner": "",
        "response": "mitigate",
        "response_plan": "Pair a second architect.",
        "status": "open",
        "due_date": "",
        "version": 1,
        **changes,
    }


def register_url(project):
    return reverse("risks:project-register", args=[project.pk])


def risk_url(name, risk):
    return reverse(f"risks:{name}", args=[risk.pk])


# --- Who may write: the shared role matrix ------------------------------------------------


@each_role
def test_risk_create_permissions(client, role, project):
    check_write_access(
        client,
        role,
        project=project,
        url=reverse("risks:create", args=[project.pk]),
        data=risk_data(),
        snapshot=rows(Risk),
        success_url=register_url(project),
    )


@each_role
def test_risk_edit_permissions(client, role, project, risk):
    check_write_access(
        client,
        role,
        project=project,
        url=risk_url("edit", risk),
        data=risk_data(title="Vendor certification slips a quarter"),
        snapshot=rows(Risk),
        success_url=register_url(project),
    )


@each_role
def test_risk_close_permissions(client, role, project, risk):
    check_write_access(
        client,
        role,
        project=project,
        url=risk_url("close", risk),
        data={"version": 1},
        snapshot=rows(Risk),
        success_url=register_url(project),
    )


@each_role
def test_risk_escalate_permissions(client, role, project, risk):
    check_write_access(
        client,
        role,
        project=project,
        url=risk_url("escalate", risk),
        data={"version": 1, "portfolio_risk": "", "reason": "Hits three projects."},
        snapshot=rows(Risk, Risk.threatened_projects.through),
        success_url=register_url(project),
    )


@pytest.mark.parametrize("name", ["edit", "escalate"])
def test_readers_do_not_get_risk_forms(client, project, risk, member_of, name):
    client.force_login(member_of(project.portfolio, "executive"))
    assert client.get(risk_url(name, risk)).status_code == 403


def test_close_refuses_get(client, project, risk):
    client.force_login(project.manager)
    assert client.get(risk_url("close", risk)).status_code == 405


def test_a_portfolio_risk_is_not_edited_here(client, project):
    portfolio_risk = RiskFactory(portfolio=project.portfolio, project=None)
    client.force_login(project.manager)
    assert client.get(risk_url("edit", portfolio_risk)).status_code == 404


# --- The register ---------------------------------------------------------------------------


def test_register_lists_open_risks_with_score_band_and_exposure(client, project, risk):
    RiskFactory(portfolio=project.portfolio, project=project, title="Old risk", status="closed")
    client.force_login(project.manager)
    response = client.get(register_url(project))
    page = response.content.decode()
    assert [r.title for r in response.context["register"].risks] == ["Vendor certification late"]
    assert "4 × 5" in page and ">20<" in page
    assert 'class="badge band band-critical"' in page
    assert "70,000" in page  # 70 % × 100,000
    assert risk_url("edit", risk) in page and risk_url("escalate", risk) in page


@pytest.mark.parametrize(
    ("status", "titles"),
    [
        ("closed", ["Old risk"]),
        ("all", ["Vendor certification late", "Old risk"]),
        ("nonsense", ["Vendor certification late"]),
    ],
)
def test_register_status_filter(client, project, risk, status, titles):
    RiskFactory(portfolio=project.portfolio, project=project, title="Old risk", status="closed")
    client.force_login(project.manager)
    response = client.get(register_url(project), {"status": status})
    assert [r.title for r in response.context["register"].risks] == titles


def test_register_shows_portfolio_risks_threatening_the_project(client, project, risk):
    threat = RiskFactory(portfolio=project.portfolio, project=None, title="Cloud price rise")
    threat.threatened_projects.add(project)
    RiskFactory(portfolio=project.portfolio, project=None, title="Elsewhere")
    client.force_login(project.manager)
    register = client.get(register_url(project)).context["register"]
    assert [r.title for r in register.threatening_risks] == ["Cloud price rise"]


def test_readers_see_the_register_without_edit_buttons(client, project, risk, member_of):
    client.force_login(member_of(project.portfolio, "viewer"))
    response = client.get(register_url(project))
    page = response.content.decode()
    assert response.status_code == 200 and "Vendor certification late" in page
    assert reverse("risks:create", args=[project.pk]) not in page
    assert risk_url("edit", risk) not in page and risk_url("close", risk) not in page


def test_outsiders_do_not_find_the_register(client, project, other_portfolio, member_of):
    client.force_login(member_of(other_portfolio, "pmo"))
    assert client.get(register_url(project)).status_code == 404


def test_heat_map_counts_open_risks_per_cell_and_links_to_them(client, project, risk):
    RiskFactory(portfolio=project.portfolio, project=project, probability=4, impact=5)
    RiskFactory(portfolio=project.portfolio, project=project, probability=1, impact=2)
    RiskFactory(
        portfolio=project.portfolio, project=project, probability=1, impact=2, status="closed"
    )
    client.force_login(project.manager)
    response = client.get(register_url(project))
    assert response.context["register"].heat_map_cells == {(4, 5): 2, (1, 2): 1}
    page = response.content.decode()
    assert page.index("plotly/plotly.min.js") < page.index('id="chart-risk-heatmap"')
    assert '"?probability=4&impact=5"' in page


def test_an_escalated_risk_is_listed_but_counts_as_its_portfolio_risk(client, project, risk):
    client.force_login(project.manager)
    client.post(
        risk_url("escalate", risk),
        {"version": 1, "portfolio_risk": "", "reason": "Hits three projects."},
    )
    response = client.get(register_url(project))
    register = response.context["register"]
    assert [r.title for r in register.risks] == ["Vendor certification late"]
    assert [r.title for r in register.threatening_risks] == ["Vendor certification late"]
    assert (register.heat_map_cells, register.open_risk_count) == ({}, 0)
    assert "counted in the portfolio risk" in response.content.decode()


def test_heat_map_cell_filter_lists_the_risks_of_that_cell(client, project, risk):
    RiskFactory(portfolio=project.portfolio, project=project, title="Small", probability=1)
    client.force_login(project.manager)
    response = client.get(register_url(project), {"probability": 4, "impact": 5})
    assert [r.title for r in response.context["register"].risks] == ["Vendor certification late"]
    assert "probability 4 and impact 5" in response.content.decode()
    ignored = client.get(register_url(project), {"probability": 9, "impact": "x"})
    assert len(ignored.context["register"].risks) == 2


# --- Log, edit, close, escalate -------------------------------------------------------------


def test_logging_a_risk_says_so(client, project):
    client.force_login(project.manager)
    response = client.post(reverse("risks:create", args=[project.pk]), risk_data(), follow=True)
    assert "Risk “Key architect leaves” logged (score 12)." in response.content.decode()
    created = Risk.objects.get()
    assert (created.project, created.portfolio) == (project, project.portfolio)


def test_probability_6_keeps_the_input_and_names_the_field(client, project):
    client.force_login(project.manager)
    response = client.post(
        reverse("risks:create", args=[project.pk]), risk_data(probability="6", title="Typed")
    )
    assert response.status_code == 200
    assert "probability" in response.context["form"].errors
    assert 'value="Typed"' in response.content.decode()
    assert not Risk.objects.exists()


def test_edit_with_a_stale_version_shows_the_conflict(client, project, risk):
    client.force_login(project.manager)
    client.post(risk_url("edit", risk), risk_data(title="First edit"))
    response = client.post(risk_url("edit", risk), risk_data(title="Second edit", version=1))
    assert response.status_code == 200
    assert response.context["form"].conflict is not None
    page = response.content.decode()
    assert "Not saved: pm changed this" in page and "Title" in page
    assert Risk.objects.get(pk=risk.pk).title == "First edit"


def test_close_marks_it_closed(client, project, risk):
    client.force_login(project.manager)
    response = client.post(risk_url("close", risk), {"version": 1}, follow=True)
    assert "Risk “Vendor certification late” closed." in response.content.decode()
    risk.refresh_from_db()
    assert risk.status == "closed" and risk.closed_at is not None


def test_close_with_a_stale_version_changes_nothing(client, project, risk):
    client.force_login(project.manager)
    response = client.post(risk_url("close", risk), {"version": 5}, follow=True)
    assert "saved a newer version while you were editing" in response.content.decode()
    assert Risk.objects.get(pk=risk.pk).status == "open"


def test_escalate_creates_a_portfolio_risk(client, project, risk):
    client.force_login(project.manager)
    response = client.post(
        risk_url("escalate", risk),
        {"version": 1, "portfolio_risk": "", "reason": "Hits three projects."},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == register_url(project)
    risk.refresh_from_db()
    portfolio_risk = risk.escalated_to
    assert portfolio_risk.is_portfolio_level and portfolio_risk.title == risk.title
    assert (risk.status, risk.escalation_reason) == ("escalated", "Hits three projects.")
    assert list(portfolio_risk.threatened_projects.all()) == [project]
    page = response.content.decode()
    assert "escalated to the portfolio risk “Vendor certification late”" in page
    assert f'href="#risk-{portfolio_risk.pk}"' in page  # the escalated-to link


def test_escalate_offers_an_owner_pre_filled_with_the_portfolio_manager(
    client, project, risk, member_of, other_portfolio
):
    portfolio_manager = member_of(project.portfolio, "portfolio_manager")
    viewer = member_of(project.portfolio, "viewer")
    member_of(other_portfolio, "pmo")
    client.force_login(project.manager)
    form = client.get(risk_url("escalate", risk)).context["form"]
    assert form["owner"].value() == portfolio_manager.pk
    assert set(form.fields["owner"].queryset) == {portfolio_manager, viewer, project.manager}

    response = client.post(
        risk_url("escalate", risk),
        {"version": 1, "portfolio_risk": "", "owner": viewer.pk, "reason": "Shared supplier."},
        follow=True,
    )
    risk.refresh_from_db()
    assert risk.escalated_to.owner == viewer
    assert f"the portfolio now owns it ({viewer.get_username()})" in response.content.decode()


def test_escalate_refuses_an_owner_outside_the_choices(client, project, risk):
    outsider = UserFactory()
    client.force_login(project.manager)
    response = client.post(
        risk_url("escalate", risk),
        {"version": 1, "portfolio_risk": "", "owner": outsider.pk, "reason": "Shared."},
    )
    assert response.status_code == 200 and "owner" in response.context["form"].errors
    risk.refresh_from_db()
    assert risk.escalated_to is None


def test_escalate_links_an_existing_portfolio_risk(client, project, risk):
    existing = RiskFactory(portfolio=project.portfolio, project=None, title="Supplier market")
    client.force_login(project.manager)
    page = client.get(risk_url("escalate", risk)).content.decode()
    assert "Supplier market" in page
    client.post(
        risk_url("escalate", risk),
        {"version": 1, "portfolio_risk": existing.pk, "reason": "Same supplier."},
    )
    risk.refresh_from_db()
    assert risk.escalated_to == existing
    assert Risk.objects.portfolio_level().count() == 1


def test_escalate_needs_a_reason(client, project, risk):
    client.force_login(project.manager)
    response = client.post(
        risk_url("escalate", risk), {"version": 1, "portfolio_risk": "", "reason": "  "}
    )
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    risk.refresh_from_db()
    assert risk.status == "open" and risk.escalated_to is None


@pytest.mark.parametrize("count", [3, 30])
def test_risk_register_queries_do_not_grow(
    client, project, member_of, count, django_assert_max_num_queries
):
    owner = UserFactory()
    for n in range(count):
        escalated_to = RiskFactory(portfolio=project.portfolio, project=None, owner=owner)
        escalated_to.threatened_projects.add(project)
        RiskFactory(
            portfolio=project.portfolio,
            project=project,
            owner=owner,
            probability=n % 5 + 1,
            impact=(n // 5) % 5 + 1,
            escalated_to=escalated_to,
        )
    client.force_login(member_of(project.portfolio, "viewer"))
    with django_assert_max_num_queries(RISK_REGISTER_QUERIES):
        response = client.get(register_url(project), {"status": "all"})
    register = response.context["register"]
    assert (len(register.risks), len(register.threatening_risks)) == (count, count)
