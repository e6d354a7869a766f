"""The API of people, roles, leave and allocations (resources/api): the role × endpoint matrix
(tests/api_permissions.py), bad input as a 400 naming the field, token scopes, and query counts
that do not grow with the rows."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from access_tokens import services as token_services
from access_tokens.models import AccessToken, Scope
from resources.models import Allocation, CapacityAdjustment, ConflictResolution, Resource, Role
from tests.api_permissions import (
    EDITORS,
    MEMBERS,
    RESOURCE_KEEPERS,
    check_api_read,
    check_api_write,
)
from tests.factories import (
    AllocationFactory,
    MembershipFactory,
    ProjectFactory,
    ResourceFactory,
    RoleFactory,
    UserFactory,
)
from tests.permissions import each_role, rows
from tests.resources.test_conflicts import FEB, build_case

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_today")]

# People, roles and leave are organisation-wide: a member of another portfolio reads them.
PEOPLE_READERS = (*MEMBERS, "outsider")
# A member elsewhere is refused a write like a reader (403), not a 404.
KEEPER_REFUSALS = {"outsider": 403}


@pytest.fixture
def project(portfolio):
    return ProjectFactory(portfolio=portfolio, code="EPR", manager=UserFactory())


@pytest.fixture
def engineer():
    return RoleFactory(name="Integration engineer", default_cost_rate=D("90"))


@pytest.fixture
def priya(engineer):
    return ResourceFactory(
        name="Priya Nair", role=engineer, start_date=date(2025, 1, 1), cost_rate=D("95")
    )


@pytest.fixture
def pending(project, priya):
    return AllocationFactory(
        project=project,
        role=priya.role,
        resource=priya,
        start_month=date(2027, 2, 1),
        end_month=date(2027, 4, 1),
        amount=D("0.5"),
        requested_by=project.manager,
    )


def _as(user):
    api = APIClient()
    api.force_login(user)
    return api


# People ---------------------------------------------------------------------------------------


@each_role
def test_people_are_read_by_anyone_with_a_role_and_cost_rates_by_their_keepers(
    role, project, priya
):
    response = check_api_read(role, project=project, url="/api/people/", readers=PEOPLE_READERS)
    if role in PEOPLE_READERS:
        (row,) = response.json()["results"]
        assert (row["name"], row["role"], row["fte"]) == ("Priya Nair", priya.role_id, "1.00")
        assert row["cost_rate"] == ("95.00" if role in RESOURCE_KEEPERS else None)


@each_role
def test_person_create_matrix(role, project, engineer):
    check_api_write(
        role,
        project=project,
        method="post",
        url="/api/people/",
        data={"name": "Ana", "role": engineer.pk, "start_date": "2026-01-01", "fte": "0.8"},
        allowed=RESOURCE_KEEPERS,
        snapshot=rows(Resource),
        refused_status=KEEPER_REFUSALS,
    )


@each_role
def test_person_update_matrix(role, project, priya):
    response = check_api_write(
        role,
        project=project,
        method="patch",
        url=f"/api/people/{priya.pk}/",
        data={"fte": "0.6"},
        allowed=RESOURCE_KEEPERS,
        snapshot=rows(Resource),
        refused_status=KEEPER_REFUSALS,
    )
    if role in RESOURCE_KEEPERS:
        assert response.json()["fte"] == "0.60"


def test_person_bad_input_names_the_field(portfolio, priya, member_of):
    api = _as(member_of(portfolio, "resource_manager"))
    response = api.post(
        "/api/people/",
        {"name": "Ana", "role": priya.role_id, "start_date": "2026-05-01", "fte": "1.5"},
        format="json",
    )
    assert response.status_code == 400 and "fte" in response.json()
    response = api.patch(f"/api/people/{priya.pk}/", {"end_date": "2024-01-01"}, format="json")
    assert response.status_code == 400
    assert "end_date" in response.json()
    # A person with open allocations keeps their role (the service's rule, as on the page).
    AllocationFactory(project=ProjectFactory(portfolio=portfolio), role=priya.role, resource=priya)
    other = RoleFactory(name="Analyst")
    response = api.patch(f"/api/people/{priya.pk}/", {"role": other.pk}, format="json")
    assert response.status_code == 400 and "role" in response.json()
    assert not Resource.objects.filter(role=other).exists()


def test_people_filters_and_ordering(portfolio, engineer, member_of):
    analyst = RoleFactory(name="Analyst")
    ResourceFactory(name="Zoe", role=engineer)
    ResourceFactory(name="Adam", role=analyst)
    api = _as(member_of(portfolio, "viewer"))
    names = [r["name"] for r in api.get("/api/people/", {"ordering": "-name"}).json()["results"]]
    assert names == ["Zoe", "Adam"]
    filtered = api.get("/api/people/", {"role": analyst.pk}).json()["results"]
    assert [r["name"] for r in filtered] == ["Adam"]
    assert api.get("/api/people/", {"q": "zo"}).json()["count"] == 1


# Roles ----------------------------------------------------------------------------------------


@each_role
def test_role_create_matrix(role, project):
    check_api_write(
        role,
        project=project,
        method="post",
        url="/api/roles/",
        data={"name": "Tester", "default_cost_rate": "70"},
        allowed=RESOURCE_KEEPERS,
        snapshot=rows(Role),
        refused_status=KEEPER_REFUSALS,
    )


@each_role
def test_role_update_matrix(role, project, engineer):
    check_api_write(
        role,
        project=project,
        method="patch",
        url=f"/api/roles/{engineer.pk}/",
        data={"description": "Builds the interfaces"},
        allowed=RESOURCE_KEEPERS,
        snapshot=rows(Role),
        refused_status=KEEPER_REFUSALS,
    )


def test_roles_show_headcount_and_refuse_a_negative_rate(portfolio, priya, member_of):
    api = _as(member_of(portfolio, "pmo"))
    (row,) = api.get("/api/roles/").json()["results"]
    assert (row["name"], row["people"], row["active_people"]) == ("Integration engineer", 1, 1)
    response = api.post("/api/roles/", {"name": "X", "default_cost_rate": "-1"}, format="json")
    assert response.status_code == 400 and "default_cost_rate" in response.json()
    response = api.post("/api/roles/", {"name": "Integration engineer"}, format="json")
    assert response.status_code == 400 and "name" in response.json()


# Leave ----------------------------------------------------------------------------------------

LEAVE = {"kind": "leave", "start_date": "2027-03-01", "end_date": "2027-03-05"}


@each_role
def test_leave_create_matrix(role, project, priya):
    check_api_write(
        role,
        project=project,
        method="post",
        url="/api/leave/",
        data={"person": priya.pk, **LEAVE},
        allowed=RESOURCE_KEEPERS,
        snapshot=rows(CapacityAdjustment),
        refused_status=KEEPER_REFUSALS,
    )


@each_role
def test_leave_delete_matrix(role, project, priya):
    leave = CapacityAdjustment.objects.create(
        resource=priya, start_date=date(2027, 3, 1), end_date=date(2027, 3, 5)
    )
    check_api_write(
        role,
        project=project,
        method="delete",
        url=f"/api/leave/{leave.pk}/",
        allowed=RESOURCE_KEEPERS,
        snapshot=rows(CapacityAdjustment),
        refused_status=KEEPER_REFUSALS,
    )


def test_leave_bad_input_and_filters(portfolio, priya, member_of):
    api = _as(member_of(portfolio, "resource_manager"))
    bad = {**LEAVE, "person": priya.pk, "end_date": "2027-02-01"}
    response = api.post("/api/leave/", bad, format="json")
    assert response.status_code == 400 and "end_date" in response.json()
    too_long = {**LEAVE, "person": priya.pk, "hours_per_day": "12"}
    response = api.post("/api/leave/", too_long, format="json")
    assert response.status_code == 400 and "hours_per_day" in response.json()
    assert api.post("/api/leave/", {**LEAVE, "person": priya.pk}, format="json").status_code == 201
    assert api.get("/api/leave/", {"person": priya.pk}).json()["count"] == 1
    assert api.get("/api/leave/", {"ends_from": "2027-04-01"}).json()["count"] == 0


# Allocations ----------------------------------------------------------------------------------


@each_role
def test_allocations_are_read_by_whoever_sees_the_project(role, project, pending):
    response = check_api_read(
        role,
        project=project,
        url=f"/api/allocations/{pending.pk}/",
        readers=MEMBERS,
    )
    if role in MEMBERS:
        body = response.json()
        assert (body["project_code"], body["status"], body["amount"]) == (
            "EPR",
            "requested",
            "0.50",
        )


@each_role
def test_allocation_request_matrix(role, project, priya):
    check_api_write(
        role,
        project=project,
        method="post",
        url="/api/allocations/",
        data={
            "project": project.pk,
            "role": priya.role_id,
            "resource": priya.pk,
            "start_month": "2027-01-01",
            "end_month": "2027-03-01",
            "unit": "fte",
            "amount": "0.5",
        },
        allowed=EDITORS,
        snapshot=rows(Allocation),
        refused_status={"outsider": 400},
    )


@each_role
def test_allocation_withdraw_matrix(role, project, pending):
    check_api_write(
        role,
        project=project,
        method="delete",
        url=f"/api/allocations/{pending.pk}/",
        allowed=EDITORS,
        snapshot=rows(Allocation),
    )


@each_role
def test_allocation_confirm_matrix(role, project, pending):
    response = check_api_write(
        role,
        project=project,
        method="post",
        url=f"/api/allocations/{pending.pk}/confirm/",
        data={},
        allowed=RESOURCE_KEEPERS,
        snapshot=rows(Allocation),
    )
    if role in RESOURCE_KEEPERS:
        assert response.json()["status"] == "confirmed"


@each_role
def test_allocation_reject_matrix(role, project, pending):
    check_api_write(
        role,
        project=project,
        method="post",
        url=f"/api/allocations/{pending.pk}/reject/",
        data={"reason": "No budget for her"},
        allowed=RESOURCE_KEEPERS,
        snapshot=rows(Allocation),
    )


@each_role
def test_allocation_undo_matrix(role, project, pending):
    Allocation.objects.filter(pk=pending.pk).update(status="confirmed")
    response = check_api_write(
        role,
        project=project,
        method="post",
        url=f"/api/allocations/{pending.pk}/undo/",
        data={"reason": "The project slipped"},
        allowed=RESOURCE_KEEPERS,
        snapshot=rows(Allocation),
    )
    if role in RESOURCE_KEEPERS:
        assert response.json()["status"] == "requested"


def test_decisions_refuse_bad_input_naming_the_field(portfolio, project, pending, member_of):
    api = _as(member_of(portfolio, "resource_manager"))
    url = f"/api/allocations/{pending.pk}/"
    response = api.post(url + "reject/", {"reason": " "}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    # Changing the request needs a reason the requester sees.
    response = api.post(url + "confirm/", {"amount": "0.4"}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    # Over capacity only on purpose.
    AllocationFactory(
        project=ProjectFactory(portfolio=portfolio),
        role=pending.role,
        resource=pending.resource,
        start_month=date(2027, 2, 1),
        end_month=date(2027, 2, 1),
        amount=D("0.8"),
        status="confirmed",
    )
    response = api.post(url + "confirm/", {}, format="json")
    assert response.status_code == 400 and "override" in response.json()
    assert Allocation.objects.get(pk=pending.pk).status == "requested"
    response = api.post(
        url + "confirm/", {"override": True, "override_reason": "Go-live"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["override_reason"] == "Go-live"
    # Decided already: the second decision is told, not obeyed.
    response = api.post(url + "reject/", {"reason": "Too late"}, format="json")
    assert response.status_code == 400
    assert "already confirmed" in response.json()["non_field_errors"][0]


def test_confirm_with_changes_applies_them_with_the_reason(portfolio, pending, member_of):
    api = _as(member_of(portfolio, "pmo"))
    response = api.post(
        f"/api/allocations/{pending.pk}/confirm/",
        {"amount": "0.4", "end_month": "2027-03-01", "reason": "Half of March is enough"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["amount"], body["end_month"]) == (
        "confirmed",
        "0.40",
        "2027-03-01",
    )
    assert body["decision_reason"] == "Half of March is enough"


def test_allocation_filters_and_the_queue(portfolio, project, pending, member_of, other_portfolio):
    confirmed = AllocationFactory(
        project=project,
        role=pending.role,
        status="confirmed",
        start_month=date(2027, 6, 1),
        end_month=date(2027, 7, 1),
    )
    elsewhere = AllocationFactory(project=ProjectFactory(portfolio=other_portfolio))
    pmo = member_of(portfolio, "pmo")
    api = _as(pmo)
    ids = {r["id"] for r in api.get("/api/allocations/").json()["results"]}
    assert ids == {pending.pk, confirmed.pk}
    assert elsewhere.pk not in ids
    statuses = api.get("/api/allocations/", {"status": "confirmed"}).json()["results"]
    assert [r["id"] for r in statuses] == [confirmed.pk]
    later = api.get("/api/allocations/", {"months_from": "2027-05-01"}).json()["results"]
    assert [r["id"] for r in later] == [confirmed.pk]
    queue = api.get("/api/allocations/", {"decidable": "true"}).json()["results"]
    assert [r["id"] for r in queue] == [pending.pk]
    ordered = api.get("/api/allocations/", {"ordering": "-start_month"}).json()["results"]
    assert [r["id"] for r in ordered] == [confirmed.pk, pending.pk]
    # A portfolio manager sees the allocations, but has no queue to decide.
    pm_queue = _as(member_of(portfolio, "portfolio_manager")).get(
        "/api/allocations/", {"decidable": "true"}
    )
    assert pm_queue.json()["count"] == 0


# Conflict resolutions -------------------------------------------------------------------------


@each_role
def test_resolve_matrix(role, portfolio):
    case = build_case(portfolio)
    response = check_api_write(
        role,
        project=case.pilot,
        method="post",
        url=f"/api/allocations/{case.pilot_allocation.pk}/resolve/",
        data={"month": FEB.isoformat(), "action": "shift", "months": 2, "reason": "CORE first"},
        allowed=RESOURCE_KEEPERS,
        snapshot=rows(Allocation, ConflictResolution),
    )
    if role in RESOURCE_KEEPERS:
        assert response.json()["action"] == "shift"
        assert response.json()["months_shifted"] == 2
        listed = check_api_read(
            role,
            project=case.pilot,
            url="/api/conflict-resolutions/",
            readers=(role,),
        )
        assert listed.json()["count"] == 1


def test_resolve_needs_the_action_s_argument_and_a_reason(portfolio):
    case = build_case(portfolio)
    api = _as(case.decider)
    url = f"/api/allocations/{case.pilot_allocation.pk}/resolve/"
    response = api.post(url, {"month": "2027-02-01", "action": "shift", "reason": "x"})
    assert response.status_code == 400 and "months" in response.json()
    response = api.post(
        url, {"month": "2027-02-01", "action": "reduce", "hours": "32", "reason": " "}
    )
    assert response.status_code == 400 and "reason" in response.json()
    outsider = ResourceFactory(role=RoleFactory(name="Analyst"))
    response = api.post(
        url,
        {"month": "2027-02-01", "action": "reassign", "person": outsider.pk, "reason": "x"},
    )
    assert response.status_code == 400 and "person" in response.json()
    assert not ConflictResolution.objects.exists()


# Tokens ---------------------------------------------------------------------------------------


def _token(user, scope):
    return token_services.access_token_create(
        user=user,
        name="Script",
        scope=scope,
        expires_on=timezone.localdate() + timedelta(days=30),
    ).plaintext


@pytest.mark.parametrize(
    "method,url,data",
    [
        ("post", "/api/roles/", {"name": "Tester"}),
        ("post", "/api/leave/", None),
        ("post", "/api/allocations/{pk}/confirm/", {}),
        ("delete", "/api/allocations/{pk}/", None),
    ],
)
def test_a_read_token_may_not_write(portfolio, pending, member_of, method, url, data):
    keeper = member_of(portfolio, "pmo")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {_token(keeper, Scope.READ)}")
    before = rows(Role, CapacityAdjustment, Allocation)()
    response = getattr(api, method)(url.format(pk=pending.pk), data, format="json")
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert rows(Role, CapacityAdjustment, Allocation)() == before
    assert api.get("/api/allocations/").status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {_token(keeper, Scope.READ_WRITE)}")
    assert api.post("/api/roles/", {"name": "Tester"}, format="json").status_code == 201


@pytest.mark.parametrize("url", ["/api/people/", "/api/roles/", "/api/leave/", "/api/allocations/"])
def test_expired_and_revoked_tokens_are_refused(portfolio, member_of, url):
    user = member_of(portfolio, "pmo")
    plaintext = _token(user, Scope.READ_WRITE)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert api.get(url).status_code == 200
    token = AccessToken.objects.get(user=user)
    AccessToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert api.get(url).status_code == 401
    AccessToken.objects.filter(pk=token.pk).update(
        revoked_at=None,
        created_at=timezone.now() - timedelta(days=2),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert api.get(url).status_code == 401


# Query counts ---------------------------------------------------------------------------------


def _grow(portfolio, engineer, n):
    for index in range(n):
        person = ResourceFactory(role=engineer)
        person.skills.create(name=f"Skill {engineer.pk}-{person.pk}")
        CapacityAdjustment.objects.create(
            resource=person, start_date=date(2027, 1, 4), end_date=date(2027, 1, 8)
        )
        AllocationFactory(
            project=ProjectFactory(portfolio=portfolio),
            role=engineer,
            resource=person,
            start_month=date(2027, 1 + index % 6, 1),
            end_month=date(2027, 7, 1),
        )
        RoleFactory()


@pytest.mark.parametrize("url", ["/api/people/", "/api/roles/", "/api/leave/", "/api/allocations/"])
def test_list_query_counts_do_not_grow(
    portfolio, engineer, member_of, url, django_assert_max_num_queries
):
    api = _as(member_of(portfolio, "pmo"))
    _grow(portfolio, engineer, 2)
    with CaptureQueriesContext(connection) as few:
        assert api.get(url).status_code == 200
    _grow(portfolio, engineer, 10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api.get(url)
    assert response.json()["count"] >= 12


def test_the_queue_member_of_another_portfolio_decides_nothing(project, pending):
    elsewhere = MembershipFactory(role="resource_manager").user
    response = _as(elsewhere).post(f"/api/allocations/{pending.pk}/confirm/", {}, format="json")
    assert response.status_code == 404
