"""The access module: each role sees what it should and nothing else."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group, Permission

from core import access
from portfolio.models import Portfolio
from projects.models import CostEntry, Project
from resources.models import Resource
from risks.models import Risk
from tests.factories import (
    CostEntryFactory,
    PortfolioFactory,
    ProjectFactory,
    ResourceFactory,
    RiskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
ROLES = ["pmo", "portfolio_manager", "executive", "resource_manager", "viewer"]


@pytest.fixture
def world():
    retail, health = PortfolioFactory(code="retail"), PortfolioFactory(code="health")
    manager = UserFactory(username="pm")
    world = {
        "retail": retail,
        "health": health,
        "retail_project": ProjectFactory(portfolio=retail),
        "health_managed": ProjectFactory(portfolio=health, manager=manager),
        "health_other": ProjectFactory(portfolio=health),
        "manager": manager,
    }
    world["portfolio_risk"] = RiskFactory(portfolio=health, project=None)
    world["portfolio_risk"].threatened_projects.add(world["health_managed"])
    world["other_risk"] = RiskFactory(portfolio=health, project=world["health_other"])
    return world


def visible(model, user):
    return set(model.objects.visible_to(user))


@pytest.mark.parametrize("role", ROLES)
def test_a_member_sees_their_portfolio_only(world, member_of, role):
    user = member_of(world["retail"], role)
    assert visible(Portfolio, user) == {world["retail"]}
    assert visible(Project, user) == {world["retail_project"]}
    assert visible(Risk, user) == set()


@pytest.mark.parametrize(
    ("role", "may_edit"),
    [
        ("pmo", True),
        ("portfolio_manager", True),
        ("executive", False),
        ("resource_manager", False),
        ("viewer", False),
    ],
)
def test_only_pmo_and_portfolio_managers_edit_the_portfolios_projects(
    world, member_of, role, may_edit
):
    user = member_of(world["retail"], role)
    expected = {world["retail_project"]} if may_edit else set()
    assert set(Project.objects.editable_by(user)) == expected
    assert access.can_edit_project(user, world["retail_project"]) is may_edit
    assert access.can_edit_project(user, world["health_managed"]) is False


def test_a_project_manager_sees_and_edits_own_projects_and_reads_their_portfolio(world):
    manager = world["manager"]
    assert visible(Portfolio, manager) == {world["health"]}
    assert visible(Project, manager) == {world["health_managed"]}
    assert set(Project.objects.editable_by(manager)) == {world["health_managed"]}
    assert access.can_edit_project(manager, world["health_managed"])
    assert not access.can_edit_project(manager, world["health_other"])
    # The portfolio risk threatening their project, not the other project's risk.
    assert visible(Risk, manager) == {world["portfolio_risk"]}


def test_project_scoped_rows_follow_their_project(world, member_of):
    CostEntryFactory(project=world["retail_project"])
    CostEntryFactory(project=world["health_managed"])
    assert {c.project for c in CostEntry.objects.visible_to(world["manager"])} == {
        world["health_managed"]
    }
    viewer = member_of(world["retail"], "viewer")
    assert {c.project for c in CostEntry.objects.visible_to(viewer)} == {world["retail_project"]}


def test_superuser_and_pmo_admin_permission_see_everything(world):
    superuser = UserFactory(is_superuser=True)
    holder = UserFactory()
    group = Group.objects.create(name="PMO admins")
    group.permissions.add(Permission.objects.get(codename="pmo_admin"))
    holder.groups.add(group)
    for user in (superuser, holder):
        assert visible(Portfolio, user) == {world["retail"], world["health"]}
        assert Project.objects.visible_to(user).count() == 3
        assert Project.objects.editable_by(user).count() == 3
        assert Risk.objects.visible_to(user).count() == Risk.objects.count()


def test_outsiders_anonymous_and_inactive_users_see_nothing(world, member_of):
    inactive = member_of(world["retail"], "pmo")
    inactive.is_active = False
    inactive.save()
    for user in (UserFactory(), AnonymousUser(), inactive):
        assert visible(Portfolio, user) == set()
        assert visible(Project, user) == set()
        assert visible(Risk, user) == set()
        assert not Project.objects.editable_by(user).exists()


def test_people_are_visible_to_anyone_with_a_role(world, member_of):
    person = ResourceFactory()
    assert visible(Resource, member_of(world["retail"], "viewer")) == {person}
    assert visible(Resource, world["manager"]) == {person}
    assert visible(Resource, UserFactory()) == set()


@pytest.mark.parametrize(
    ("role", "may"),
    [
        ("pmo", True),
        ("resource_manager", True),
        ("executive", False),
        ("portfolio_manager", False),
        ("viewer", False),
    ],
)
def test_resource_management_roles(world, member_of, role, may):
    user = member_of(world["health"], role)
    assert access.can_manage_resources(user, world["health"]) is may
    assert access.can_manage_resources(user, world["retail"]) is False
