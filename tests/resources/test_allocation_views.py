"""Allocation pages: a project's allocations with the request form, withdrawing, and the
resource managers' queue where requests are confirmed, changed or rejected."""

import io
from datetime import date
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.urls import reverse

from core.months import add_months
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

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_today")]

# Per request: session, user, and the user's and groups' permissions (access.is_pmo_admin).
# Project allocations page: the project (with portfolio, program, manager, sponsor), may the
# user edit it and decide its allocations (their role in the portfolio, resource-manager
# membership), the request form's people (with roles) and roles, the project's allocations
# (with role, person and calendar, requester, decider), the calendars' holidays.
PROJECT_ALLOCATIONS_QUERIES = 11
# Queue: may the user manage resources, the count and the page of requests (with project,
# portfolio, role, person, requester), the people of those roles for the change forms.
QUEUE_QUERIES = 8
# Confirm page: the request (with project, portfolio, role, person, requester, decider), may
# the user decide; the preview's person grid: calendars with holidays, leave, the people of
# the role, their allocations.
CONFIRM_QUERIES = 10
# Change page: the confirm page's, and the people of the role for the form.
CHANGE_QUERIES = 11
# Undo page: the allocation, may the user decide.
UNDO_QUERIES = 6


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
def confirmed(pending, resource_manager):
    pending.status = "confirmed"
    pending.decided_by = resource_manager
    pending.save()
    return pending


@pytest.fixture
def busy(project, priya):
    """Priya at 0.6 FTE elsewhere in March: the 0.5 FTE request makes her 110 % (184 h)."""
    return AllocationFactory(
        project=ProjectFactory(portfolio=project.portfolio),
        role=priya.role,
        resource=priya,
        start_month=date(2027, 3, 1),
        end_month=date(2027, 3, 1),
        amount=D("0.6"),
        status="confirmed",
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


@each_role
def test_allocation_undo_permissions(client, role, project, confirmed):
    """Only the portfolio's resource managers (and the PMO) undo a confirmation."""
    check_resource_write_access(
        client,
        role,
        outsider_status=404,
        project=project,
        url=url("allocation-undo", confirmed.pk),
        data={"reason": "Confirmed by mistake"},
        snapshot=rows(Allocation),
        success_url=url("project-allocations", project.pk),
    )


@each_role
def test_allocation_confirm_with_override_permissions(client, role, project, pending, busy):
    check_resource_write_access(
        client,
        role,
        outsider_status=404,
        project=project,
        url=url("allocation-confirm", pending.pk),
        data={"override": "on", "override_reason": "Go-live"},
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


@pytest.mark.parametrize(
    "name", ["allocation-change", "allocation-reject", "allocation-confirm", "allocation-undo"]
)
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
    response = client.post(
        url("allocation-confirm", pending.pk),
        {"override": "on", "override_reason": "Go-live week"},
        follow=True,
    )
    assert ("warning", "Priya Nair is now over-allocated in Mar 2027 (110 %).") in [
        (m.level_tag, str(m)) for m in response.context["messages"]
    ]


# --- Confirming: the preview, the override, months that have passed ----------------------------


def test_confirm_page_shows_the_resulting_utilisation_month_by_month(
    client, pending, resource_manager, busy
):
    """February 160 h (20 days), March 184 h, April 176 h; 0.5 FTE asks 80, 92 and 88 h."""
    client.force_login(resource_manager)
    response = client.get(url("allocation-confirm", pending.pk))
    assert response.status_code == 200
    preview = response.context["preview"]
    assert [
        (m.month, m.confirmed, m.request, m.resulting, m.capacity, m.is_over)
        for m in preview.months
    ] == [
        (date(2027, 2, 1), D("0"), D("80.0"), D("80.0"), D("160"), False),
        (date(2027, 3, 1), D("110.4"), D("92.0"), D("202.4"), D("184"), True),
        (date(2027, 4, 1), D("0"), D("88.0"), D("88.0"), D("176"), False),
    ]
    assert [round(m.utilisation) for m in preview.months] == [50, 110, 50]
    html = response.content.decode()
    assert "If you confirm: Priya Nair, month by month" in html
    assert html.count('class="preview-over"') == 1
    assert "110 %" in html and "1 month over 100 %" in html
    assert 'name="override"' in html and 'name="override_reason"' in html


def test_confirm_page_within_capacity_offers_no_override(client, pending, resource_manager):
    client.force_login(resource_manager)
    response = client.get(url("allocation-confirm", pending.pk))
    assert not response.context["preview"].over
    html = response.content.decode()
    assert "Within capacity every month" in html
    assert 'name="override"' not in html


def test_over_allocating_without_the_override_is_refused_on_the_page(
    client, pending, resource_manager, busy
):
    client.force_login(resource_manager)
    response = client.post(url("allocation-confirm", pending.pk), {"reason": "ok"})
    assert response.status_code == 200
    assert response.context["form"].errors["override"] == [
        "Confirming puts Priya Nair over capacity in Mar 2027 (110 %). Tick “Over-allocate "
        "anyway” and say why, or change the request."
    ]
    assert 'class="preview-over"' in response.content.decode()  # still shown beside it
    response = client.post(url("allocation-confirm", pending.pk), {"override": "on"})
    assert response.context["form"].errors["override_reason"] == [
        "Say why you over-allocate Priya Nair: it is recorded."
    ]
    assert Allocation.objects.get(pk=pending.pk).status == "requested"


def test_the_override_is_recorded_and_shown_to_the_requester(
    client, project, pending, resource_manager, busy
):
    client.force_login(resource_manager)
    response = client.post(
        url("allocation-confirm", pending.pk),
        {"override": "on", "override_reason": "Integration go-live: overtime agreed."},
    )
    assert response.url == url("allocation-queue")
    pending.refresh_from_db()
    assert (pending.status, pending.override_reason) == (
        "confirmed",
        "Integration go-live: overtime agreed.",
    )
    client.force_login(project.manager)
    html = client.get(url("project-allocations", project.pk)).content.decode()
    assert "Over-allocated on purpose" in html
    assert "Integration go-live: overtime agreed." in html


def test_a_change_that_over_allocates_shows_its_own_preview(
    client, project, pending, resource_manager, priya
):
    """Priya is at 0.6 FTE elsewhere in May: the request as asked (Feb–Apr) fits, moved to
    Mar–May it puts her at 110 % in May (84 + 100.8 h of 168 h)."""
    AllocationFactory(
        project=ProjectFactory(portfolio=project.portfolio),
        role=priya.role,
        resource=priya,
        start_month=date(2027, 5, 1),
        end_month=date(2027, 5, 1),
        amount=D("0.6"),
        status="confirmed",
    )
    client.force_login(resource_manager)
    assert not client.get(url("allocation-change", pending.pk)).context["preview"].over
    moved = change_post(priya, start_month="2027-03", end_month="2027-05", amount="0.5")
    response = client.post(url("allocation-change", pending.pk), moved)
    assert response.status_code == 200
    assert "May 2027 (110 %)" in response.context["form"].errors["override"][0]
    preview = response.context["preview"]
    assert [m.month for m in preview.months] == [date(2027, m, 1) for m in (3, 4, 5)]
    assert [m.month for m in preview.over] == [date(2027, 5, 1)]
    assert response.context["allocation"].start_month == date(2027, 2, 1)  # as it stands
    response = client.post(
        url("allocation-change", pending.pk),
        {**moved, "override": "on", "override_reason": "Cut-over"},
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.start_month, pending.override_reason) == (date(2027, 3, 1), "Cut-over")


def test_the_queue_links_to_the_confirm_page(client, pending, resource_manager):
    client.force_login(resource_manager)
    html = client.get(url("allocation-queue")).content.decode()
    assert f'href="{url("allocation-confirm", pending.pk)}"' in html
    assert 'name="override"' not in html  # the override belongs beside the preview


def test_confirm_page_leaves_out_months_that_have_passed(
    client, project, priya, resource_manager, fixed_today
):
    now = fixed_today.replace(day=1)
    request = AllocationFactory(
        project=project,
        role=priya.role,
        resource=priya,
        start_month=add_months(now, -2),
        end_month=add_months(now, 1),
    )
    client.force_login(resource_manager)
    response = client.get(url("allocation-confirm", request.pk))
    preview = response.context["preview"]
    assert [m.month for m in preview.months] == [now, add_months(now, 1)]
    assert (preview.passed_from, preview.passed_to) == (add_months(now, -2), add_months(now, -1))
    assert "the allocation will start then" in response.content.decode()


def test_the_demo_data_engineer_request_is_previewed_and_needs_the_override(client, fixed_today):
    """Elena Kowalski, 0.8 FTE on FIN-DATA, is requested at 0.4 more on FIN-CORE from a month
    long past: confirming shows only the months from now on, over 100 %, and is refused
    without an override."""
    call_command("seed_demo", stdout=io.StringIO())
    request = Allocation.objects.get(
        project__code="FIN-CORE", resource__name="Elena Kowalski", status="requested"
    )
    assert request.start_month < fixed_today.replace(day=1)
    client.force_login(UserFactory(username="pmo-check", is_superuser=True))
    preview = client.get(url("allocation-confirm", request.pk)).context["preview"]
    assert preview.months[0].month == fixed_today.replace(day=1)
    assert preview.passed_from == request.start_month
    assert preview.over and all(m.confirmed > 0 for m in preview.over)
    response = client.post(url("allocation-confirm", request.pk))
    assert (
        "Confirming puts Elena Kowalski over capacity"
        in (response.context["form"].errors["override"][0])
    )
    assert Allocation.objects.get(pk=request.pk).status == "requested"


# --- Undoing a confirmation --------------------------------------------------------------------


def test_undo_from_the_project_page(client, project, confirmed, resource_manager):
    client.force_login(resource_manager)
    html = client.get(url("project-allocations", project.pk)).content.decode()
    assert url("allocation-undo", confirmed.pk) in html
    response = client.post(url("allocation-undo", confirmed.pk), {"reason": ""})
    assert response.context["form"].errors["reason"] == [
        "Say why you undo the confirmation: it is recorded."
    ]
    response = client.post(
        url("allocation-undo", confirmed.pk),
        {"reason": "Confirmed the wrong request."},
        follow=True,
    )
    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.decided_by) == ("requested", resource_manager)
    assert (
        "Undid the confirmation: Priya Nair at 0.5 FTE, Feb 2027–Apr 2027, on EPR is a "
        "request again."
    ) in [str(m) for m in response.context["messages"]]
    queue = client.get(url("allocation-queue"))
    assert [item.allocation for item in queue.context["items"]] == [confirmed]
    assert "Confirmed the wrong request." in queue.content.decode()


def test_project_page_offers_undo_to_deciders_only(client, project, confirmed):
    client.force_login(project.manager)
    html = client.get(url("project-allocations", project.pk)).content.decode()
    assert url("allocation-undo", confirmed.pk) not in html


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


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize(
    ("name", "limit"),
    [
        ("allocation-confirm", CONFIRM_QUERIES),
        ("allocation-change", CHANGE_QUERIES),
        ("allocation-undo", UNDO_QUERIES),
    ],
)
def test_decision_pages_query_counts_are_constant(
    client,
    project,
    pending,
    priya,
    resource_manager,
    count,
    name,
    limit,
    django_assert_max_num_queries,
):
    """`count` colleagues of Priya, each with confirmed work in the request's months, and as
    many confirmed allocations of Priya herself: the pages ask the same whatever the count."""
    for person in [priya, *_people(count, priya.role)]:
        for _ in range(2 if person == priya else 1):
            AllocationFactory(
                project=ProjectFactory(portfolio=project.portfolio),
                role=priya.role,
                resource=person,
                start_month=date(2027, 1, 1),
                end_month=date(2027, 6, 1),
                unit="hours",
                amount=D("1"),
                status="confirmed",
            )
    client.force_login(resource_manager)
    with django_assert_max_num_queries(limit):
        response = client.get(url(name, pending.pk))
    assert response.status_code == 200
    if name != "allocation-undo":
        assert response.context["preview"].months[1].confirmed == D("2")
