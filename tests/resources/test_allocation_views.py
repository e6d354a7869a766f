"""Allocation pages: a project's allocations with the request form, withdrawing, and the
resource managers' queue where requests are confirmed, changed or rejected."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse

from resources.models import Allocation
from tests.factories import (
    AllocationFactory,
    MembershipFactory,
    PortfolioFactory,
    ProjectFactory,
    ResourceFactory,
    RoleFactory,
    UserFactory,
)
from tests.permissions import check_write_access, each_role, rows
from tests.resources.test_people_views import check_resource_write_access

pytestmark = pytest.mark.django_db

# Per request: session, user, and the user's and groups' permissions (access.is_pmo_admin).
# Project allocations page: the project (with portfolio, program, manager, sponsor), may the
# user edit it and decide its allocations (their role in the portfolio, resource-manager
# membership), the request form's people (with roles) and roles, the project's allocations
# (with role, person and calendar, requester, decider), the calendars' holidays.
PROJECT_ALLOCATIONS_QUERIES = 11
# Queue: may the user manage resources, the count and the page of requests (with project,
# portfolio, role, person, requester), the people of those roles for the change forms.
QUEUE_QUERIES = 8


@pytest.fixture
def project(portfolio):
    return ProjectFactory(portfolio=portfolio, code="EPR", manager=UserFactory())


@pytest.fixture
def engineer():
    return RoleFactory(name="Integration engineer")


@pytest.fixture
def priya(engineer):
    return ResourceFactory(name="Priya Nair", role=engineer, start_date=date(2025, 1, 1))


@pytest.fixture
def tomas(engineer):
    return ResourceFactory(name="Tomás Silva", role=engineer, start_date=date(2025, 1, 1))


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


@pytest.fixture
def resource_manager(portfolio, member_of):
    return member_of(portfolio, "resource_manager")


def url(name, *args):
    return reverse(f"resources:{name}", args=args)


def request_post(role, **changes):
    return {
        "role": role.pk,
        "resource": "",
        "start_month": "2027-02",
        "end_month": "2027-04",
        "unit": "fte",
        "amount": "0.5",
        **changes,
    }


def change_post(person, **changes):
    return {
        "resource": person.pk,
        "start_month": "2027-03",
        "end_month": "2027-04",
        "amount": "0.4",
        "reason": "Priya is booked in February; Tomás has the same skills.",
        **changes,
    }


# --- Who may write: the shared role matrix ------------------------------------------------


@each_role
def test_allocation_request_permissions(client, role, project, engineer):
    """Project editors request; resource managers, executives and viewers read."""
    check_write_access(
        client,
        role,
        project=project,
        url=url("project-allocations", project.pk),
        data=request_post(engineer),
        snapshot=rows(Allocation),
        success_url=url("project-allocations", project.pk),
    )


@each_role
def test_allocation_withdraw_permissions(client, role, project, pending):
    check_write_access(
        client,
        role,
        project=project,
        url=url("allocation-withdraw", pending.pk),
        data={},
        snapshot=rows(Allocation),
        success_url=url("project-allocations", project.pk),
    )


@each_role
def test_allocation_confirm_permissions(client, role, project, pending):
    """Resource managers (and the PMO) confirm; the project's manager and portfolio managers
    are refused; a member of another portfolio does not see the request."""
    check_resource_write_access(
        client,
        role,
        outsider_status=404,
        project=project,
        url=url("allocation-confirm", pending.pk),
        data={},
        snapshot=rows(Allocation),
        success_url=url("allocation-queue"),
    )


@each_role
def test_allocation_change_permissions(client, role, project, pending, tomas):
    check_resource_write_access(
        client,
        role,
        outsider_status=404,
        project=project,
        url=url("allocation-change", pending.pk),
        data=change_post(tomas),
        snapshot=rows(Allocation),
        success_url=url("allocation-queue"),
    )


@each_role
def test_allocation_reject_permissions(client, role, project, pending):
    check_resource_write_access(
        client,
        role,
        outsider_status=404,
        project=project,
        url=url("allocation-reject", pending.pk),
        data={"reason": "No integration engineers free until the summer."},
        snapshot=rows(Allocation),
        success_url=url("allocation-queue"),
    )


def test_project_manager_gets_403_requesting_for_a_project_they_only_see(client, project, engineer):
    """The manager of EPR sponsors TEL: they see it, but may not request for it."""
    other = ProjectFactory(portfolio=project.portfolio, code="TEL", sponsor=project.manager)
    client.force_login(project.manager)
    response = client.post(url("project-allocations", other.pk), request_post(engineer))
    assert response.status_code == 403
    assert not Allocation.objects.exists()


def test_project_manager_gets_404_for_a_project_they_cannot_see(client, project, engineer):
    other = ProjectFactory(portfolio=project.portfolio, code="TEL")
    client.force_login(project.manager)
    assert client.get(url("project-allocations", other.pk)).status_code == 404
    response = client.post(url("project-allocations", other.pk), request_post(engineer))
    assert response.status_code == 404
    assert not Allocation.objects.exists()


@pytest.mark.parametrize("name", ["allocation-change", "allocation-reject"])
@pytest.mark.parametrize("role", ["manager", "portfolio_manager", "executive"])
def test_decision_forms_are_403_on_get_for_non_deciders(client, project, pending, name, role):
    user = (
        project.manager
        if role == "manager"
        else MembershipFactory(portfolio=project.portfolio, role=role).user
    )
    client.force_login(user)
    assert client.get(url(name, pending.pk)).status_code == 403


# --- Project allocations page ---------------------------------------------------------------


def test_requested_and_confirmed_are_shown_apart_with_monthly_hours(client, project, priya):
    """February 2027 has 20 working days (160 h), March 23 (184 h), April 22 (176 h)."""
    AllocationFactory(
        project=project,
        role=priya.role,
        resource=priya,
        start_month=date(2027, 2, 1),
        end_month=date(2027, 3, 1),
        amount=D("0.5"),
        status="confirmed",
    )
    AllocationFactory(
        project=project,
        role=priya.role,
        start_month=date(2027, 3, 1),
        end_month=date(2027, 4, 1),
        unit="hours",
        amount=D("40"),
    )
    AllocationFactory(project=project, role=priya.role, status="rejected", decision_reason="No")
    client.force_login(MembershipFactory(portfolio=project.portfolio, role="executive").user)
    response = client.get(url("project-allocations", project.pk), {"from": "2027-02"})
    allocations = response.context["allocations"]
    assert (len(allocations.confirmed), len(allocations.requested), len(allocations.rejected)) == (
        1,
        1,
        1,
    )
    assert allocations.confirmed_hours[:4] == [D("80.0"), D("92.0"), D("0"), D("0")]
    assert allocations.requested_hours[:4] == [D("0"), D("40"), D("40"), D("0")]
    assert (allocations.confirmed_total, allocations.requested_total) == (D("172.0"), D("80"))
    page = response.content.decode()
    assert "Requested, awaiting a resource manager" in page
    assert "Send request" not in page  # executives read
    assert "Withdraw" not in page


def test_default_window_covers_the_whole_span_when_it_fits(client, project, pending):
    client.force_login(project.manager)
    response = client.get(url("project-allocations", project.pk))
    assert response.context["allocations"].months[0] == date(2027, 2, 1)


def test_request_through_the_page(client, project, priya):
    client.force_login(project.manager)
    response = client.post(
        url("project-allocations", project.pk),
        request_post(priya.role, resource=priya.pk, unit="hours", amount="60"),
        follow=True,
    )
    allocation = Allocation.objects.get()
    assert (allocation.resource, allocation.unit, allocation.amount, allocation.status) == (
        priya,
        "hours",
        D("60.00"),
        "requested",
    )
    assert (allocation.start_month, allocation.end_month) == (date(2027, 2, 1), date(2027, 4, 1))
    assert "Requested Priya Nair at 60 h/month, Feb 2027–Apr 2027, on EPR." in [
        str(m) for m in response.context["messages"]
    ]


def test_request_warns_when_the_person_leaves_early(client, project, priya):
    priya.end_date = date(2027, 3, 15)
    priya.save()
    client.force_login(project.manager)
    response = client.post(
        url("project-allocations", project.pk),
        request_post(priya.role, resource=priya.pk),
        follow=True,
    )
    messages = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert ("warning", "Priya Nair leaves on 15 Mar 2027, before the end of Apr 2027.") in messages


def test_request_errors_re_render_with_field_messages(client, project, priya):
    analyst = RoleFactory(name="Business analyst")
    client.force_login(project.manager)
    response = client.post(
        url("project-allocations", project.pk),
        request_post(analyst, resource=priya.pk, start_month="2027-05", amount="1.5"),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["end_month"] == ["The last month must not be before the first month."]
    assert errors["amount"][0].startswith("An FTE allocation is at most 1")
    assert errors["resource"] == [
        "Priya Nair holds the role Integration engineer, not Business analyst."
    ]
    assert 'value="2027-05"' in response.content.decode()  # the input is kept
    assert not Allocation.objects.exists()


def test_month_must_be_a_month(client, project, engineer):
    client.force_login(project.manager)
    response = client.post(
        url("project-allocations", project.pk), request_post(engineer, start_month="May")
    )
    assert response.context["form"].errors["start_month"] == ["Enter a month as YYYY-MM."]


def test_closed_project_shows_no_request_form(client, project):
    project.stage = "closed"
    project.save()
    client.force_login(project.manager)
    page = client.get(url("project-allocations", project.pk)).content.decode()
    assert "takes no new allocation requests" in page
    assert "Send request" not in page


def test_withdraw_of_a_decided_allocation_is_refused_with_a_message(
    client, project, pending, resource_manager
):
    pending.status = "confirmed"
    pending.decided_by = resource_manager
    pending.save()
    client.force_login(project.manager)
    response = client.post(url("allocation-withdraw", pending.pk), follow=True)
    assert any("already confirmed" in str(m) for m in response.context["messages"])
    assert Allocation.objects.filter(pk=pending.pk).exists()


# --- The queue ------------------------------------------------------------------------------


def test_queue_lists_pending_requests_of_managed_portfolios_oldest_first(
    client, project, pending, resource_manager, engineer
):
    newer = AllocationFactory(project=project, role=engineer)
    AllocationFactory(project=project, role=engineer, status="confirmed")
    AllocationFactory(project=ProjectFactory(portfolio=PortfolioFactory()), role=engineer)
    client.force_login(resource_manager)
    response = client.get(url("allocation-queue"))
    assert [item.allocation for item in response.context["items"]] == [pending, newer]
    page = response.content.decode()
    assert url("allocation-change", pending.pk) in page
    assert url("allocation-reject", pending.pk) in page


def test_pmo_admin_sees_every_pending_request(client, pmo_admin, pending, engineer):
    elsewhere = AllocationFactory(
        project=ProjectFactory(portfolio=PortfolioFactory()), role=engineer
    )
    client.force_login(pmo_admin)
    items = client.get(url("allocation-queue")).context["items"]
    assert [item.allocation for item in items] == [pending, elsewhere]


@pytest.mark.parametrize("role", ["portfolio_manager", "executive", "viewer"])
def test_queue_is_for_resource_managers(client, project, member_of, role):
    client.force_login(member_of(project.portfolio, role))
    assert client.get(url("allocation-queue")).status_code == 403


def test_queue_is_403_for_project_managers_and_login_for_anonymous(client, project):
    response = client.get(url("allocation-queue"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    client.force_login(project.manager)
    assert client.get(url("allocation-queue")).status_code == 403


def test_queue_is_paginated(client, project, engineer, resource_manager, settings):
    settings.SLATE_PAGE_SIZE = 2
    AllocationFactory.create_batch(5, project=project, role=engineer)
    client.force_login(resource_manager)
    response = client.get(url("allocation-queue"), {"page": 3})
    assert len(response.context["items"]) == 1


def test_confirm_from_the_queue(client, pending, resource_manager):
    client.force_login(resource_manager)
    response = client.post(url("allocation-confirm", pending.pk), follow=True)
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by) == ("confirmed", resource_manager)
    assert "Confirmed Priya Nair at 0.5 FTE, Feb 2027–Apr 2027, on EPR." in [
        str(m) for m in response.context["messages"]
    ]


def test_confirming_twice_says_who_decided(client, pending, resource_manager, pmo_admin):
    client.force_login(resource_manager)
    client.post(url("allocation-confirm", pending.pk))
    client.force_login(pmo_admin)
    response = client.post(url("allocation-confirm", pending.pk), follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert any("already confirmed by" in m for m in messages)


def test_change_applies_the_changes_and_records_the_reason(
    client, pending, resource_manager, tomas
):
    client.force_login(resource_manager)
    response = client.post(url("allocation-change", pending.pk), change_post(tomas))
    assert response.url == url("allocation-queue")
    pending.refresh_from_db()
    assert (pending.status, pending.resource, pending.start_month, pending.amount) == (
        "confirmed",
        tomas,
        date(2027, 3, 1),
        D("0.40"),
    )
    assert pending.decision_reason.startswith("Priya is booked in February")
    assert pending.decided_by == resource_manager


def test_change_needs_a_reason_and_keeps_the_input(client, pending, resource_manager, tomas):
    client.force_login(resource_manager)
    response = client.post(url("allocation-change", pending.pk), change_post(tomas, reason=""))
    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == [
        "Say why you changed the request: the requester sees it."
    ]
    assert 'value="2027-03"' in response.content.decode()
    assert Allocation.objects.get(pk=pending.pk).status == "requested"


def test_change_reports_a_missing_reason_with_the_other_problems(
    client, pending, resource_manager, tomas
):
    client.force_login(resource_manager)
    response = client.post(
        url("allocation-change", pending.pk), change_post(tomas, reason="", end_month="2027-01")
    )
    assert set(response.context["form"].errors) == {"reason", "end_month"}


def test_change_form_sent_unchanged_confirms_as_asked(client, pending, resource_manager, priya):
    client.force_login(resource_manager)
    unchanged = change_post(priya, start_month="2027-02", amount="0.5", reason="")
    assert client.post(url("allocation-change", pending.pk), unchanged).status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.decision_reason) == ("confirmed", "")


def test_change_errors_re_render_the_decision_page(client, pending, resource_manager, tomas):
    client.force_login(resource_manager)
    response = client.post(
        url("allocation-change", pending.pk), change_post(tomas, end_month="2027-01")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["end_month"] == [
        "The last month must not be before the first month."
    ]
    # The page's summary shows the request as it stands, not as half-changed.
    assert response.context["allocation"].resource == pending.resource
    assert Allocation.objects.get(pk=pending.pk).status == "requested"


def test_reject_needs_a_reason(client, pending, resource_manager):
    client.force_login(resource_manager)
    response = client.post(url("allocation-reject", pending.pk), {"reason": ""})
    assert response.context["form"].errors["reason"] == [
        "Say why you reject the request: the requester sees it."
    ]
    response = client.post(url("allocation-reject", pending.pk), {"reason": "Budget frozen"})
    pending.refresh_from_db()
    assert (pending.status, pending.decision_reason) == ("rejected", "Budget frozen")


def test_the_requester_sees_the_rejection_reason(client, project, pending, resource_manager):
    client.force_login(resource_manager)
    client.post(url("allocation-reject", pending.pk), {"reason": "Budget frozen"})
    client.force_login(project.manager)
    page = client.get(url("project-allocations", project.pk)).content.decode()
    assert "Budget frozen" in page


def test_confirm_warns_of_over_allocation(client, project, pending, resource_manager, priya):
    AllocationFactory(
        project=ProjectFactory(portfolio=project.portfolio),
        role=priya.role,
        resource=priya,
        start_month=date(2027, 3, 1),
        end_month=date(2027, 3, 1),
        amount=D("0.6"),
        status="confirmed",
    )
    client.force_login(resource_manager)
    response = client.post(url("allocation-confirm", pending.pk), follow=True)
    assert ("warning", "Priya Nair is now over-allocated in Mar 2027 (110 %).") in [
        (m.level_tag, str(m)) for m in response.context["messages"]
    ]


# --- Query counts ---------------------------------------------------------------------------


def _people(count, role):
    from resources.models import Calendar, PublicHoliday

    calendar = Calendar.objects.create(name="Standard")
    PublicHoliday.objects.create(calendar=calendar, date=date(2027, 1, 1), name="New Year")
    return ResourceFactory.create_batch(count, role=role, calendar=calendar)


@pytest.mark.parametrize("count", [3, 30])
def test_project_allocations_query_count_is_constant(
    client, project, engineer, member_of, count, django_assert_max_num_queries
):
    """A portfolio manager (an editor, so the request form and its people are loaded)."""
    for n, person in enumerate(_people(count, engineer)):
        AllocationFactory(
            project=project,
            role=engineer,
            resource=person,
            requested_by=project.manager,
            status=("requested", "confirmed", "rejected")[n % 3],
            decided_by=project.manager,
        )
    client.force_login(member_of(project.portfolio, "portfolio_manager"))
    with django_assert_max_num_queries(PROJECT_ALLOCATIONS_QUERIES):
        response = client.get(url("project-allocations", project.pk))
    assert len(response.context["allocations"].requested) == count // 3


@pytest.mark.parametrize("count", [3, 30])
def test_queue_query_count_is_constant(
    client, project, engineer, resource_manager, count, django_assert_max_num_queries, settings
):
    settings.SLATE_PAGE_SIZE = 100
    analyst = RoleFactory(name="Business analyst")
    people = _people(count, engineer) + ResourceFactory.create_batch(count, role=analyst)
    for person in people:
        AllocationFactory(
            project=project, role=person.role, resource=person, requested_by=project.manager
        )
    client.force_login(resource_manager)
    with django_assert_max_num_queries(QUEUE_QUERIES):
        response = client.get(url("allocation-queue"))
    assert len(response.context["items"]) == 2 * count
