"""Dependency services and selectors (projects.dependencies): who may add, change and remove a
project's dependencies, the rules (visible predecessor, same portfolio unless PMO admin, the
predecessor's milestone, a named shared deliverable, no self, no cycle) and the portfolio
page's reads."""

import threading
import time
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from projects import dependencies
from projects.models import ProjectDependency
from tests.factories import (
    MembershipFactory,
    MilestoneFactory,
    PortfolioFactory,
    ProjectFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NEEDED = date(2026, 6, 1)


@pytest.fixture
def manager(portfolio):
    """FIN-CORE's manager, also a viewer of the portfolio (so they see the other projects)."""
    return MembershipFactory(portfolio=portfolio, role="viewer").user


@pytest.fixture
def core(portfolio, manager):
    return ProjectFactory(portfolio=portfolio, code="FIN-CORE", manager=manager)


@pytest.fixture
def data_platform(portfolio):
    return ProjectFactory(portfolio=portfolio, code="FIN-DATA", end_date=date(2026, 12, 31))


@pytest.fixture
def pmo(portfolio, member_of):
    return member_of(portfolio, "pmo")


def link(predecessor, successor, **fields):
    """A saved dependency, written directly (the services are what is under test)."""
    return ProjectDependency.objects.create(
        predecessor=predecessor,
        successor=successor,
        needed_by=fields.pop("needed_by", NEEDED),
        **fields,
    )


def needs(predecessor, **fields):
    return {"predecessor": predecessor, "needed_by": NEEDED, **fields}


def refusal(call) -> dict:
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.message_dict


# --- Create -------------------------------------------------------------------------------


def test_manager_adds_a_shared_deliverable_from_a_milestone(core, data_platform, manager):
    milestone = MilestoneFactory(project=data_platform, name="Data architecture v2")
    dependency = dependencies.dependency_create(
        successor=core,
        data=needs(
            data_platform,
            kind="shared_deliverable",
            deliverable="  Data architecture v2 ",
            predecessor_milestone=milestone,
            description="Wave 1 maps accounts to the v2 model.",
        ),
        by=manager,
    )
    dependency.refresh_from_db()
    assert (dependency.predecessor, dependency.successor) == (data_platform, core)
    assert dependency.deliverable == "Data architecture v2"
    assert dependency.predecessor_milestone == milestone
    assert dependency.kind == "shared_deliverable"


@pytest.mark.parametrize("role", ["pmo", "portfolio_manager"])
def test_portfolio_editors_add_dependencies(core, data_platform, member_of, role):
    dependencies.dependency_create(
        successor=core, data=needs(data_platform), by=member_of(core.portfolio, role)
    )
    assert ProjectDependency.objects.filter(successor=core).count() == 1


@pytest.mark.parametrize("role", ["executive", "viewer", "resource_manager"])
def test_readers_may_not_add_dependencies(core, data_platform, member_of, role):
    with pytest.raises(PermissionDenied):
        dependencies.dependency_create(
            successor=core, data=needs(data_platform), by=member_of(core.portfolio, role)
        )
    assert not ProjectDependency.objects.exists()


def test_the_predecessors_manager_may_not_add_to_the_successor(core, data_platform):
    data_platform.manager = UserFactory()
    data_platform.save()
    with pytest.raises(PermissionDenied):
        dependencies.dependency_create(
            successor=core, data=needs(data_platform), by=data_platform.manager
        )


def test_an_invisible_predecessor_is_no_such_project(core, manager, other_portfolio):
    hidden = ProjectFactory(portfolio=other_portfolio)
    errors = refusal(
        lambda: dependencies.dependency_create(successor=core, data=needs(hidden), by=manager)
    )
    assert errors == {"predecessor": ["No such project."]}


def test_across_portfolios_only_a_pmo_admin(core, manager, other_portfolio, pmo_admin):
    elsewhere = ProjectFactory(portfolio=other_portfolio, code="HC-EPR")
    MembershipFactory(user=manager, portfolio=other_portfolio, role="portfolio_manager")
    errors = refusal(
        lambda: dependencies.dependency_create(successor=core, data=needs(elsewhere), by=manager)
    )
    assert "HC-EPR is in another portfolio; only a PMO admin" in errors["predecessor"][0]
    assert not ProjectDependency.objects.exists()

    dependencies.dependency_create(successor=core, data=needs(elsewhere), by=pmo_admin)
    assert ProjectDependency.objects.get().predecessor == elsewhere


def test_self_dependency_is_refused(core, manager):
    errors = refusal(
        lambda: dependencies.dependency_create(successor=core, data=needs(core), by=manager)
    )
    assert errors == {"predecessor": ["A project cannot depend on itself."]}


def test_the_milestone_must_belong_to_the_predecessor(core, data_platform, manager, portfolio):
    someone_elses = MilestoneFactory(project=ProjectFactory(portfolio=portfolio))
    errors = refusal(
        lambda: dependencies.dependency_create(
            successor=core,
            data=needs(data_platform, predecessor_milestone=someone_elses),
            by=manager,
        )
    )
    assert errors == {"predecessor_milestone": ["Choose a milestone of the predecessor project."]}


def test_a_shared_deliverable_needs_a_name(core, data_platform, manager):
    errors = refusal(
        lambda: dependencies.dependency_create(
            successor=core, data=needs(data_platform, kind="shared_deliverable"), by=manager
        )
    )
    assert "Name the shared deliverable" in errors["deliverable"][0]


def test_the_same_deliverable_twice_is_refused(core, data_platform, manager):
    link(data_platform, core, deliverable="API v2")
    errors = refusal(
        lambda: dependencies.dependency_create(
            successor=core, data=needs(data_platform, deliverable="API v2"), by=manager
        )
    )
    assert errors["predecessor"] == [
        "FIN-CORE already depends on FIN-DATA for “API v2”; change that dependency instead."
    ]
    # Another deliverable between the same projects is fine.
    dependencies.dependency_create(
        successor=core, data=needs(data_platform, deliverable="Customer 360"), by=manager
    )


def test_a_two_project_cycle_is_refused_and_named(core, data_platform, pmo):
    link(data_platform, core)  # FIN-CORE needs FIN-DATA
    errors = refusal(
        lambda: dependencies.dependency_create(successor=data_platform, data=needs(core), by=pmo)
    )
    assert errors["predecessor"] == [
        "FIN-CORE already depends, directly or through other projects, on FIN-DATA; this "
        "would make a cycle: FIN-CORE → FIN-DATA → FIN-CORE."
    ]
    assert ProjectDependency.objects.count() == 1


def test_a_three_project_cycle_is_refused_and_named(portfolio, pmo):
    a, b, c = (ProjectFactory(portfolio=portfolio, code=code) for code in ("A", "B", "C"))
    link(a, b)  # B needs A
    link(b, c)  # C needs B
    errors = refusal(lambda: dependencies.dependency_create(successor=a, data=needs(c), by=pmo))
    assert errors["predecessor"][0].endswith("this would make a cycle: C → A → B → C.")
    assert ProjectDependency.objects.count() == 2


def test_the_cycle_check_follows_dependencies_through_other_portfolios(
    portfolio, other_portfolio, pmo_admin
):
    a = ProjectFactory(portfolio=portfolio, code="A")
    b = ProjectFactory(portfolio=portfolio, code="B")
    x = ProjectFactory(portfolio=other_portfolio, code="X")
    link(b, x)  # X (elsewhere) needs B
    link(x, a)  # A needs X
    errors = refusal(
        lambda: dependencies.dependency_create(successor=b, data=needs(a), by=pmo_admin)
    )
    assert errors["predecessor"][0].endswith("cycle: A → B → X → A.")


def test_a_diamond_is_not_a_cycle(portfolio, pmo):
    a, b, c, d = (ProjectFactory(portfolio=portfolio, code=code) for code in "ABCD")
    link(a, b)
    link(a, c)
    link(b, d)
    dependencies.dependency_create(successor=d, data=needs(c), by=pmo)
    assert ProjectDependency.objects.count() == 4


# --- Update and delete --------------------------------------------------------------------


def test_manager_moves_the_needed_by_date(core, data_platform, manager):
    dependency = link(data_platform, core)
    dependencies.dependency_update(
        dependency=dependency, data={"needed_by": date(2026, 9, 1)}, by=manager
    )
    dependency.refresh_from_db()
    assert dependency.needed_by == date(2026, 9, 1)


def test_changing_the_predecessor_into_a_cycle_is_refused(portfolio, pmo):
    a, b, c, d = (ProjectFactory(portfolio=portfolio, code=code) for code in "ABCD")
    link(a, b)  # B needs A
    link(b, c)  # C needs B
    dependency = link(d, a)  # A needs D; make it "A needs C"
    errors = refusal(
        lambda: dependencies.dependency_update(
            dependency=dependency, data={"predecessor": c}, by=pmo
        )
    )
    assert errors["predecessor"][0].endswith("cycle: C → A → B → C.")
    dependency.refresh_from_db()
    assert dependency.predecessor == d


def test_repointing_a_dependency_is_checked_like_a_new_one(core, data_platform, pmo, portfolio):
    dependency = link(data_platform, core)
    replacement = ProjectFactory(portfolio=portfolio, code="FIN-SEC")
    dependencies.dependency_update(dependency=dependency, data={"predecessor": replacement}, by=pmo)
    dependency.refresh_from_db()
    assert dependency.predecessor == replacement
    errors = refusal(
        lambda: dependencies.dependency_update(
            dependency=dependency, data={"predecessor": core}, by=pmo
        )
    )
    assert errors == {"predecessor": ["A project cannot depend on itself."]}


def test_an_unchanged_cross_portfolio_predecessor_stays_editable(
    core, manager, other_portfolio, pmo_admin
):
    elsewhere = ProjectFactory(portfolio=other_portfolio, code="HC-EPR")
    dependency = dependencies.dependency_create(successor=core, data=needs(elsewhere), by=pmo_admin)
    dependencies.dependency_update(
        dependency=dependency,
        data={"predecessor": elsewhere, "needed_by": date(2026, 8, 1)},
        by=manager,
    )
    dependency.refresh_from_db()
    assert dependency.needed_by == date(2026, 8, 1)


@pytest.mark.parametrize("role", ["executive", "viewer", "resource_manager"])
def test_readers_may_not_change_or_delete(core, data_platform, member_of, role):
    dependency = link(data_platform, core)
    reader = member_of(core.portfolio, role)
    with pytest.raises(PermissionDenied):
        dependencies.dependency_update(
            dependency=dependency, data={"needed_by": date(2027, 1, 1)}, by=reader
        )
    with pytest.raises(PermissionDenied):
        dependencies.dependency_delete(dependency=dependency, by=reader)
    dependency.refresh_from_db()
    assert dependency.needed_by == NEEDED


def test_manager_deletes_a_dependency(core, data_platform, manager):
    dependency = link(data_platform, core)
    dependencies.dependency_delete(dependency=dependency, by=manager)
    assert not ProjectDependency.objects.exists()


# --- Concurrency --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite lets one writer in at a time anyway"
)
def test_two_concurrent_additions_cannot_close_a_cycle():
    """The first writer adds B needs A and holds its transaction open; the second, adding
    A needs B at the same time, waits for the graph lock, then sees A → B and is refused.
    Without the lock both would pass their check and commit a cycle."""
    portfolio = PortfolioFactory()
    a = ProjectFactory(portfolio=portfolio, code="A")
    b = ProjectFactory(portfolio=portfolio, code="B")
    pmo = UserFactory(is_superuser=True)
    first_added = threading.Event()
    outcome = {}

    def first():
        try:
            with transaction.atomic():
                dependencies.dependency_create(successor=b, data=needs(a), by=pmo)
                first_added.set()
                time.sleep(0.5)  # the second writer runs into the lock meanwhile
        finally:
            connection.close()

    def second():
        try:
            first_added.wait(5)
            dependencies.dependency_create(successor=a, data=needs(b), by=pmo)
            outcome["second"] = "saved"
        except ValidationError as error:
            outcome["second"] = error.message_dict["predecessor"][0]
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert outcome["second"].endswith("cycle: B → A → B.")
    assert list(ProjectDependency.objects.values_list("predecessor__code", "successor__code")) == [
        ("A", "B")
    ]


# --- Selectors ----------------------------------------------------------------------------


def test_portfolio_dependencies_late_first_with_either_end_in_the_portfolio(
    portfolio, other_portfolio, member_of
):
    late_pred = ProjectFactory(portfolio=portfolio, code="LATE", end_date=date(2026, 9, 30))
    early_pred = ProjectFactory(portfolio=portfolio, code="EARLY", end_date=date(2026, 3, 31))
    succ = ProjectFactory(portfolio=portfolio, code="SUCC")
    outside = ProjectFactory(portfolio=other_portfolio, code="OUT")
    unrelated = ProjectFactory(portfolio=other_portfolio, code="UNREL")
    on_time = link(early_pred, succ, needed_by=date(2026, 5, 1))
    late = link(late_pred, succ, needed_by=date(2026, 9, 1))
    inbound = link(outside, succ, needed_by=date(2026, 4, 1), deliverable="Feed")
    link(outside, unrelated)
    viewer = member_of(portfolio, "viewer")

    rows = dependencies.dependency_rows(
        dependencies.portfolio_dependencies(portfolio=portfolio, user=viewer)
    )

    # OUT ends 31 Dec 2026: late too. Late ones by the date needed, then the others.
    assert [row.dependency for row in rows] == [inbound, late, on_time]
    assert [row.days_late for row in rows] == [274, 29, -31]
    assert [row.dependency.is_late for row in rows] == [True, True, False]
    # The viewer cannot open OUT (another portfolio): no link to it.
    assert rows[0].predecessor_url == ""
    assert rows[0].successor_url == f"/projects/{succ.pk}/"
    edges = dependencies.dependency_edges(rows)
    assert (edges[1].predecessor_code, edges[1].successor_code, edges[1].is_late) == (
        "LATE",
        "SUCC",
        True,
    )
    assert edges[0].predecessor_url == ""
    assert edges[1].predecessor_url == f"/projects/{late_pred.pk}/"


def test_portfolio_dependencies_hide_what_the_user_cannot_see(portfolio, other_portfolio):
    # A project manager without membership sees only their own project of the portfolio.
    manager = UserFactory()
    mine = ProjectFactory(portfolio=portfolio, manager=manager)
    theirs = ProjectFactory(portfolio=portfolio)
    other = ProjectFactory(portfolio=portfolio)
    shown = link(theirs, mine)
    link(theirs, other)
    assert list(dependencies.portfolio_dependencies(portfolio=portfolio, user=manager)) == [shown]


def test_predecessor_choices_are_visible_projects_of_the_portfolio(
    core, data_platform, member_of, other_portfolio
):
    MilestoneFactory(project=data_platform, name="Second", sequence=2)
    MilestoneFactory(project=data_platform, name="First", sequence=1)
    ProjectFactory(portfolio=other_portfolio)
    pmo = member_of(core.portfolio, "pmo")
    choices = dependencies.predecessor_choices(successor=core, user=pmo)
    assert choices == [data_platform]
    assert [m.name for m in choices[0].milestones_in_order] == ["First", "Second"]
    # A manager without membership sees only their own project: nothing to choose.
    core.manager = UserFactory()
    core.save()
    assert dependencies.predecessor_choices(successor=core, user=core.manager) == []


# --- The chart's columns --------------------------------------------------------------------


def edge(predecessor: int, successor: int) -> dependencies.DependencyEdge:
    """An edge between two project ids; the layering reads nothing else."""
    return dependencies.DependencyEdge(
        predecessor, f"P-{predecessor}", successor, f"P-{successor}", "", NEEDED, None, False,
        "", "",
    )  # fmt: skip


def test_layers_follow_the_longest_path_from_the_sources():
    # 1 → 2 → 3 and 1 → 3: 3 sits right of 2, not beside it.
    assert dependencies.dependency_layers([edge(1, 2), edge(2, 3), edge(1, 3), edge(4, 3)]) == {
        1: 0,
        2: 1,
        3: 2,
        4: 0,
    }


def test_layers_do_not_loop_on_a_cycle():
    layers = dependencies.dependency_layers([edge(1, 2), edge(2, 3), edge(3, 2)])
    assert set(layers) == {1, 2, 3} and layers[1] == 0
