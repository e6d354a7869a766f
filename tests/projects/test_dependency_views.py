"""Dependency pages: add, edit and delete from the project page (who may, the form, the cycle
message), the late-dependency warning on the successor's page, and the portfolio dependency
graph page (who sees it, what it lists, its query count)."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from portfolio.models import PortfolioMembership
from projects import services
from projects.models import ProjectDependency
from tests.factories import (
    MembershipFactory,
    MilestoneFactory,
    PortfolioFactory,
    ProjectFactory,
    UserFactory,
)
from tests.permissions import check_write_access, each_role, rows

pytestmark = pytest.mark.django_db

# Per request: session, user, and the user's and groups' permissions (access.is_pmo_admin);
# then the portfolio (visible_to) and the dependencies with lateness and both ends; the user's
# membership for the portfolio's tab bar (which tabs they may open).
GRAPH_PAGE_QUERIES = 7


@pytest.fixture
def project(portfolio):
    """FIN-CORE; its manager is also a viewer of the portfolio, so they see FIN-DATA."""
    manager = UserFactory(first_name="Pat", last_name="Manager")
    MembershipFactory(user=manager, portfolio=portfolio, role="viewer")
    return ProjectFactory(portfolio=portfolio, code="FIN-CORE", manager=manager)


@pytest.fixture
def predecessor(portfolio):
    return ProjectFactory(
        portfolio=portfolio,
        code="FIN-DATA",
        name="Data analytics platform",
        end_date=date(2027, 6, 30),
    )


@pytest.fixture
def dependency(predecessor, project):
    return ProjectDependency.objects.create(
        predecessor=predecessor, successor=project, needed_by=date(2027, 3, 1)
    )


def add_url(project):
    return reverse("projects:dependency-create", args=[project.pk])


def detail_url(project):
    return reverse("projects:detail", args=[project.pk])


def graph_url(portfolio):
    return reverse("portfolio:dependencies", args=[portfolio.code])


def form_data(predecessor, **changes):
    data = {
        "predecessor": f"p{predecessor.pk}",
        "kind": "finish_to_start",
        "deliverable": "",
        "needed_by": "2027-03-01",
        "description": "",
    }
    return {**data, **changes}


# --- Who may write: the shared role matrix ------------------------------------------------


@each_role
def test_dependency_create_permissions(client, role, project, predecessor):
    check_write_access(
        client,
        role,
        project=project,
        url=add_url(project),
        data=form_data(predecessor),
        snapshot=rows(ProjectDependency),
        success_url=detail_url(project) + "#depends-on",
    )


@each_role
def test_dependency_edit_permissions(client, role, project, predecessor, dependency):
    check_write_access(
        client,
        role,
        project=project,
        url=reverse("projects:dependency-edit", args=[dependency.pk]),
        data=form_data(predecessor, needed_by="2027-04-15"),
        snapshot=rows(ProjectDependency),
        success_url=detail_url(project) + "#depends-on",
    )


@each_role
def test_dependency_delete_permissions(client, role, project, dependency):
    check_write_access(
        client,
        role,
        project=project,
        url=reverse("projects:dependency-delete", args=[dependency.pk]),
        data={},
        snapshot=rows(ProjectDependency),
        success_url=detail_url(project) + "#depends-on",
    )


@pytest.mark.parametrize(
    ("role", "status"), [("viewer", 403), ("executive", 403), ("outsider", 404)]
)
def test_readers_do_not_get_the_forms(client, project, dependency, member_of, role, status):
    portfolio = project.portfolio if role != "outsider" else PortfolioFactory()
    client.force_login(member_of(portfolio, role if role != "outsider" else "pmo"))
    for url in (
        add_url(project),
        reverse("projects:dependency-edit", args=[dependency.pk]),
        reverse("projects:dependency-delete", args=[dependency.pk]),
    ):
        assert client.get(url).status_code == status, url


def test_the_predecessors_manager_cannot_edit_the_successors_dependency(
    client, project, predecessor, dependency
):
    predecessor.manager = UserFactory()
    predecessor.save()
    client.force_login(predecessor.manager)  # sees FIN-DATA, not FIN-CORE
    url = reverse("projects:dependency-edit", args=[dependency.pk])
    assert client.get(url).status_code == 404


# --- The form -----------------------------------------------------------------------------


def test_add_form_offers_each_project_with_its_milestones(client, project, predecessor):
    MilestoneFactory(
        project=predecessor, name="Data architecture v2", forecast_date=date(2027, 5, 20)
    )
    ProjectFactory(portfolio=PortfolioFactory(), code="ELSEWHERE")
    client.force_login(project.manager)
    html = client.get(add_url(project)).content.decode()
    assert '<optgroup label="FIN-DATA · Data analytics platform">' in html
    assert "FIN-DATA finishes (30 Jun 2027)" in html
    assert "Data architecture v2 (forecast 20 May 2027)" in html
    assert "ELSEWHERE" not in html
    assert f'<option value="p{project.pk}"' not in html  # not itself


def test_choosing_a_milestone_sets_predecessor_and_milestone(client, project, predecessor):
    milestone = MilestoneFactory(project=predecessor, name="Data architecture v2")
    client.force_login(project.manager)
    response = client.post(
        add_url(project),
        {
            **form_data(predecessor, kind="shared_deliverable"),
            "predecessor": f"m{milestone.pk}",
            "deliverable": "Data architecture v2",
        },
    )
    assert response.status_code == 302
    saved = ProjectDependency.objects.get()
    assert (saved.predecessor, saved.predecessor_milestone) == (predecessor, milestone)
    assert saved.deliverable == "Data architecture v2"


def test_a_cycle_is_shown_on_the_form_and_nothing_is_saved(
    client, project, predecessor, dependency, member_of
):
    client.force_login(member_of(project.portfolio, "pmo"))
    response = client.post(add_url(predecessor), form_data(project))
    assert response.status_code == 200
    assert response.context["form"].errors["predecessor"] == [
        "FIN-CORE already depends, directly or through other projects, on FIN-DATA; this "
        "would make a cycle: FIN-CORE → FIN-DATA → FIN-CORE."
    ]
    assert "FIN-CORE → FIN-DATA → FIN-CORE" in response.content.decode()
    assert ProjectDependency.objects.count() == 1


def test_a_missing_deliverable_name_is_shown_on_its_field(client, project, predecessor):
    client.force_login(project.manager)
    response = client.post(add_url(project), form_data(predecessor, kind="shared_deliverable"))
    assert "Name the shared deliverable" in response.context["form"].errors["deliverable"][0]
    assert not ProjectDependency.objects.exists()


def test_edit_form_starts_from_the_saved_dependency(client, project, predecessor, dependency):
    client.force_login(project.manager)
    response = client.get(reverse("projects:dependency-edit", args=[dependency.pk]))
    html = response.content.decode()
    assert f'<option value="p{predecessor.pk}" selected>' in html
    assert 'value="2027-03-01"' in html
    assert reverse("projects:dependency-delete", args=[dependency.pk]) in html


def test_edit_keeps_a_predecessor_the_manager_cannot_see(client, project, pmo_admin):
    hidden = ProjectFactory(portfolio=PortfolioFactory(), code="HC-EPR")
    dependency = ProjectDependency.objects.create(
        predecessor=hidden, successor=project, needed_by=date(2027, 3, 1)
    )
    client.force_login(project.manager)
    html = client.get(reverse("projects:dependency-edit", args=[dependency.pk])).content
    # Kept selectable, but not named: the manager may not open HC-EPR.
    assert '<optgroup label="A project you cannot open (current)">' in html.decode()
    assert "HC-EPR" not in html.decode()
    response = client.post(
        reverse("projects:dependency-edit", args=[dependency.pk]),
        form_data(hidden, needed_by="2027-05-01"),
    )
    assert response.status_code == 302
    dependency.refresh_from_db()
    assert dependency.needed_by == date(2027, 5, 1)


def test_delete_asks_first(client, project, dependency):
    client.force_login(project.manager)
    response = client.get(reverse("projects:dependency-delete", args=[dependency.pk]))
    assert "Delete this dependency?" in response.content.decode()
    assert ProjectDependency.objects.exists()


# --- The project page ---------------------------------------------------------------------


def test_project_page_offers_editors_add_edit_and_delete(client, project, dependency, member_of):
    client.force_login(project.manager)
    html = client.get(detail_url(project)).content.decode()
    assert add_url(project) in html
    assert reverse("projects:dependency-edit", args=[dependency.pk]) in html
    assert reverse("projects:dependency-delete", args=[dependency.pk]) in html
    assert graph_url(project.portfolio) in html

    client.force_login(member_of(project.portfolio, "executive"))
    html = client.get(detail_url(project)).content.decode()
    assert add_url(project) not in html
    assert reverse("projects:dependency-edit", args=[dependency.pk]) not in html
    assert graph_url(project.portfolio) in html


def test_a_late_incoming_dependency_is_a_warning_on_the_successors_page(
    client, project, predecessor
):
    milestone = MilestoneFactory(
        project=predecessor, name="Data architecture v2", forecast_date=date(2027, 5, 20)
    )
    ProjectDependency.objects.create(
        predecessor=predecessor,
        successor=project,
        kind="shared_deliverable",
        deliverable="Data architecture v2",
        predecessor_milestone=milestone,
        needed_by=date(2027, 4, 25),
    )
    client.force_login(project.manager)
    html = client.get(detail_url(project)).content.decode()
    assert (
        "FIN-DATA is expected to deliver Data architecture v2 on 20 May 2027, "
        "25 days after you need it</strong>\n    (needed by 25 Apr 2027)"
    ) in html
    # Not on the predecessor's page: it is the successor that waits.
    assert "after you need it" not in client.get(detail_url(predecessor)).content.decode()


def test_the_warning_goes_once_the_dependency_is_on_time(client, project, dependency):
    client.force_login(project.manager)
    html = client.get(detail_url(project)).content.decode()
    # FIN-DATA finishes 30 Jun 2027; FIN-CORE needs it by 1 Mar 2027.
    assert "FIN-DATA is expected to finish on 30 Jun 2027, 121 days after" in html
    dependency.needed_by = date(2027, 7, 1)
    dependency.save()
    html = client.get(detail_url(project)).content.decode()
    assert "after you need it" not in html
    assert "On time" in html


# --- When the predecessor slips: the successor's page and the PMO's graph page ----------------


def test_a_slipping_milestone_makes_the_dependency_late_where_it_is_watched(
    client, project, predecessor, member_of
):
    milestone = MilestoneFactory(
        project=predecessor,
        name="Data architecture v2",
        baseline_date=date(2027, 4, 1),
        forecast_date=date(2027, 4, 10),
    )
    ProjectDependency.objects.create(
        predecessor=predecessor,
        successor=project,
        kind="shared_deliverable",
        deliverable="Data architecture v2",
        predecessor_milestone=milestone,
        needed_by=date(2027, 4, 25),
    )
    pmo = member_of(project.portfolio, "pmo")
    client.force_login(project.manager)
    assert "after you need it" not in client.get(detail_url(project)).content.decode()
    client.force_login(pmo)
    assert client.get(graph_url(project.portfolio)).context["late_count"] == 0

    # FIN-DATA's forecast moves past the date FIN-CORE needs it.
    services.milestone_update(
        milestone=milestone,
        data={"forecast_date": date(2027, 5, 20)},
        expected_version=milestone.version,
        by=pmo,
    )

    client.force_login(project.manager)
    html = client.get(detail_url(project)).content.decode()
    assert "FIN-DATA is expected to deliver Data architecture v2 on 20 May 2027" in html
    client.force_login(pmo)
    response = client.get(graph_url(project.portfolio))
    assert response.context["late_count"] == 1
    (row,) = response.context["rows"]
    assert (row.dependency.is_late, row.days_late) == (True, 25)
    assert '<span class="badge rag rag-red">Late</span>' in response.content.decode()


def test_a_later_finish_makes_a_finish_to_start_dependency_late(
    client, project, predecessor, dependency, member_of
):
    dependency.needed_by = date(2027, 7, 15)
    dependency.save()
    pmo = member_of(project.portfolio, "pmo")
    client.force_login(pmo)
    assert client.get(graph_url(project.portfolio)).context["late_count"] == 0

    predecessor.end_date = date(2027, 8, 31)
    predecessor.save()

    assert client.get(graph_url(project.portfolio)).context["late_count"] == 1
    client.force_login(project.manager)
    html = client.get(detail_url(project)).content.decode()
    assert "FIN-DATA is expected to finish on 31 Aug 2027" in html


# --- The portfolio dependency graph page --------------------------------------------------


@pytest.mark.parametrize("role", ["pmo", "executive", "viewer", "resource_manager"])
def test_graph_page_is_open_to_every_member(client, project, dependency, member_of, role):
    client.force_login(member_of(project.portfolio, role))
    response = client.get(graph_url(project.portfolio))
    assert response.status_code == 200
    assert 'id="chart-dependencies"' in response.content.decode()


def test_graph_page_is_404_outside_and_login_for_anonymous(client, project, member_of):
    url = graph_url(project.portfolio)
    assert client.get(url).url.startswith(reverse("login"))
    client.force_login(member_of(PortfolioFactory(), "pmo"))
    assert client.get(url).status_code == 404


def test_graph_page_lists_late_first_with_links_to_both_projects(
    client, project, predecessor, dependency, member_of, portfolio
):
    on_time = ProjectDependency.objects.create(
        predecessor=ProjectFactory(portfolio=portfolio, code="FIN-SEC", end_date=date(2027, 1, 1)),
        successor=project,
        deliverable="Zero-trust gateway",
        needed_by=date(2027, 2, 1),
    )
    client.force_login(member_of(portfolio, "executive"))
    response = client.get(graph_url(portfolio))
    html = response.content.decode()
    assert [row.dependency for row in response.context["rows"]] == [dependency, on_time]
    table = html[html.index("<table") :]
    assert table.index("FIN-DATA") < table.index("Zero-trust gateway")
    assert f'href="{detail_url(project)}"' in html
    assert f'href="{detail_url(predecessor)}"' in html
    assert "+121&nbsp;d" in html  # 30 Jun − 1 Mar 2027
    assert "−31&nbsp;d" in html
    assert "Late dependency" in html  # the chart's red arrows


def test_graph_page_empty_state(client, portfolio, member_of):
    client.force_login(member_of(portfolio, "viewer"))
    html = client.get(graph_url(portfolio)).content.decode()
    assert "No dependencies yet." in html
    assert "No cross-project dependencies" in html


def _dependencies(portfolio, count):
    projects = ProjectFactory.create_batch(count + 1, portfolio=portfolio)
    for n, (before, after) in enumerate(zip(projects, projects[1:], strict=False)):
        MilestoneFactory(project=before)
        ProjectDependency.objects.create(
            predecessor=before,
            successor=after,
            predecessor_milestone=before.milestones.first() if n % 2 else None,
            needed_by=before.end_date + timedelta(days=-30 if n % 3 else 30),
        )


@pytest.mark.parametrize("count", [3, 30])
def test_graph_page_queries_do_not_grow(
    client, portfolio, member_of, count, django_assert_num_queries
):
    _dependencies(portfolio, count)
    cross = ProjectFactory(portfolio=PortfolioFactory())
    ProjectDependency.objects.create(
        predecessor=cross, successor=portfolio.projects.first(), needed_by=date(2026, 6, 1)
    )
    client.force_login(member_of(portfolio, "executive"))
    with django_assert_num_queries(GRAPH_PAGE_QUERIES):
        response = client.get(graph_url(portfolio))
    assert len(response.context["rows"]) == count + 1


# --- A project lead without a membership ----------------------------------------------------


@pytest.fixture
def lead_without_membership(project):
    PortfolioMembership.objects.filter(user=project.manager).delete()
    return project.manager


def test_an_empty_needs_from_list_says_why(client, project, predecessor, lead_without_membership):
    client.force_login(lead_without_membership)
    page = client.get(add_url(project)).content.decode()
    assert "No other project of this portfolio is open to you" in page
    assert "FIN-DATA" not in page


def test_a_dependency_on_a_hidden_project_is_edited_without_naming_it(
    client, dependency, lead_without_membership
):
    client.force_login(lead_without_membership)
    for name in ("projects:dependency-edit", "projects:dependency-delete"):
        response = client.get(reverse(name, args=[dependency.pk]))
        assert response.status_code == 200
        page = response.content.decode()
        assert "FIN-DATA" not in page and "project you cannot open" in page
