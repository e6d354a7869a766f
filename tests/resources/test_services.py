"""People, roles, capacity adjustments and allocations: the services' happy paths and every
refusal (permission, validation, state)."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.months import add_months
from resources import services
from resources.models import Allocation, Calendar, CapacityAdjustment, Resource, Role, Skill
from tests.factories import (
    AllocationFactory,
    MembershipFactory,
    PortfolioFactory,
    ProjectFactory,
    ResourceFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_today")]

FEB, MAR, APR = date(2027, 2, 1), date(2027, 3, 1), date(2027, 4, 1)


@pytest.fixture
def manager():
    return UserFactory(username="pm")


@pytest.fixture
def project(portfolio, manager):
    return ProjectFactory(portfolio=portfolio, code="EPR", manager=manager)


@pytest.fixture
def resource_manager(portfolio, member_of):
    return member_of(portfolio, "resource_manager")


@pytest.fixture
def engineer():
    return RoleFactory(name="Integration engineer")


@pytest.fixture
def priya(engineer):
    return ResourceFactory(name="Priya Nair", role=engineer, start_date=date(2025, 1, 1))


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


def person_data(role, **changes):
    return {
        "name": "Tomás Silva",
        "email": "tomas@example.com",
        "role": role,
        "fte": D("0.8"),
        "cost_rate": D("110"),
        "calendar": None,
        "start_date": date(2026, 1, 5),
        "end_date": None,
        **changes,
    }


def request_data(role, **changes):
    return {
        "role": role,
        "resource": None,
        "start_month": FEB,
        "end_month": APR,
        "unit": "fte",
        "amount": D("0.5"),
        **changes,
    }


# --- People ---------------------------------------------------------------------------------


def test_resource_create_with_skills(resource_manager, engineer):
    hl7, fhir = Skill.objects.create(name="HL7 v2"), Skill.objects.create(name="FHIR R4")
    person = services.resource_create(
        data=person_data(engineer, skills=[hl7, fhir]), by=resource_manager
    )
    person.refresh_from_db()
    assert (person.name, person.role, person.fte, person.cost_rate) == (
        "Tomás Silva",
        engineer,
        D("0.80"),
        D("110.00"),
    )
    assert set(person.skills.all()) == {hl7, fhir}


@pytest.mark.parametrize("role", ["pmo", "resource_manager"])
def test_resource_managers_of_any_portfolio_keep_people(engineer, role):
    """People are organisation-wide: managing resources in one portfolio is enough."""
    user = MembershipFactory(portfolio=PortfolioFactory(), role=role).user
    assert services.resource_create(data=person_data(engineer), by=user).pk


def test_pmo_admin_keeps_people(pmo_admin, engineer):
    assert services.resource_create(data=person_data(engineer), by=pmo_admin).pk


@pytest.mark.parametrize("role", ["portfolio_manager", "executive", "viewer"])
def test_others_may_not_keep_people(portfolio, engineer, role):
    user = MembershipFactory(portfolio=portfolio, role=role).user
    with pytest.raises(PermissionDenied):
        services.resource_create(data=person_data(engineer), by=user)
    assert not Resource.objects.exists()


def test_project_manager_may_not_keep_people(project, manager, priya):
    with pytest.raises(PermissionDenied):
        services.resource_update(resource=priya, data={"fte": D("0.5")}, by=manager)
    priya.refresh_from_db()
    assert priya.fte == D("1")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"fte": D("0")}, "fte", "FTE must be more than 0 and at most 1"),
        ({"fte": D("1.2")}, "fte", "FTE must be more than 0 and at most 1"),
        ({"cost_rate": D("-1")}, "cost_rate", "The cost rate must not be negative."),
        ({"end_date": date(2026, 1, 4)}, "end_date", "The end date must not be before the start"),
        ({"name": ""}, "name", "This field cannot be blank."),
    ],
)
def test_resource_validation(resource_manager, engineer, changes, field, message):
    with pytest.raises(ValidationError) as excinfo:
        services.resource_create(data=person_data(engineer, **changes), by=resource_manager)
    assert message in " ".join(errors_of(excinfo)[field])
    assert not Resource.objects.exists()


def test_resource_validation_reports_every_problem_at_once(resource_manager, engineer):
    data = person_data(engineer, fte=D("2"), cost_rate=D("-1"), end_date=date(2025, 1, 1))
    with pytest.raises(ValidationError) as excinfo:
        services.resource_create(data=data, by=resource_manager)
    assert set(errors_of(excinfo)) == {"fte", "cost_rate", "end_date"}


def test_resource_update_replaces_skills_and_moves_role(resource_manager, priya):
    kafka = Skill.objects.create(name="Kafka")
    priya.skills.add(Skill.objects.create(name="HL7 v2"))
    architect = RoleFactory(name="Architect")
    services.resource_update(
        resource=priya, data={"role": architect, "skills": [kafka]}, by=resource_manager
    )
    priya.refresh_from_db()
    assert priya.role == architect
    assert list(priya.skills.all()) == [kafka]


def test_resource_role_change_refused_while_allocations_name_the_old_role(
    resource_manager, priya, project
):
    AllocationFactory(project=project, role=priya.role, resource=priya, status="confirmed")
    AllocationFactory(project=project, role=priya.role, resource=priya, status="rejected")
    with pytest.raises(ValidationError) as excinfo:
        services.resource_update(
            resource=priya, data={"role": RoleFactory(name="Architect")}, by=resource_manager
        )
    assert "has 1 requested or confirmed allocation as" in errors_of(excinfo)["role"][0]
    assert Resource.objects.get(pk=priya.pk).role.name == "Integration engineer"


# --- Capacity adjustments -------------------------------------------------------------------


def test_adjustment_create_whole_days_and_hours(resource_manager, priya):
    leave = services.capacity_adjustment_create(
        resource=priya,
        data={"kind": "leave", "start_date": FEB, "end_date": date(2027, 2, 5)},
        by=resource_manager,
    )
    training = services.capacity_adjustment_create(
        resource=priya,
        data={
            "kind": "training",
            "start_date": MAR,
            "end_date": MAR,
            "hours_per_day": D("4"),
            "note": "FHIR course",
        },
        by=resource_manager,
    )
    assert leave.hours_per_day is None
    assert training.hours_per_day == D("4")
    assert priya.capacity_adjustments.count() == 2


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_date": date(2027, 1, 31)}, "end_date", "The last day must not be before"),
        ({"hours_per_day": D("0")}, "hours_per_day", "at most 6 hours"),
        ({"hours_per_day": D("6.5")}, "hours_per_day", "at most 6 hours"),
    ],
)
def test_adjustment_validation(resource_manager, priya, changes, field, message):
    priya.calendar = Calendar.objects.create(name="Short days", hours_per_day=D("6"))
    priya.save()
    data = {"kind": "leave", "start_date": FEB, "end_date": date(2027, 2, 5), **changes}
    with pytest.raises(ValidationError) as excinfo:
        services.capacity_adjustment_create(resource=priya, data=data, by=resource_manager)
    assert message in errors_of(excinfo)[field][0]
    assert not CapacityAdjustment.objects.exists()


def test_adjustment_create_and_delete_refused_to_readers(portfolio, priya, resource_manager):
    executive = MembershipFactory(portfolio=portfolio, role="executive").user
    data = {"kind": "leave", "start_date": FEB, "end_date": FEB}
    with pytest.raises(PermissionDenied):
        services.capacity_adjustment_create(resource=priya, data=data, by=executive)
    adjustment = services.capacity_adjustment_create(resource=priya, data=data, by=resource_manager)
    with pytest.raises(PermissionDenied):
        services.capacity_adjustment_delete(adjustment=adjustment, by=executive)
    services.capacity_adjustment_delete(adjustment=adjustment, by=resource_manager)
    assert not CapacityAdjustment.objects.exists()


# --- Roles ----------------------------------------------------------------------------------


def test_role_create_and_update(resource_manager):
    role = services.role_create(
        data={"name": "Data engineer", "default_cost_rate": D("105"), "description": ""},
        by=resource_manager,
    )
    services.role_update(role=role, data={"name": "Data engineer (streaming)"}, by=resource_manager)
    role.refresh_from_db()
    assert (role.name, role.default_cost_rate) == ("Data engineer (streaming)", D("105.00"))


def test_role_validation(resource_manager, engineer):
    with pytest.raises(ValidationError) as excinfo:
        services.role_create(data={"name": "Integration engineer"}, by=resource_manager)
    assert "already exists" in errors_of(excinfo)["name"][0]
    with pytest.raises(ValidationError) as excinfo:
        services.role_update(
            role=engineer, data={"default_cost_rate": D("-5")}, by=resource_manager
        )
    assert errors_of(excinfo)["default_cost_rate"] == [
        "The default cost rate must not be negative."
    ]


def test_roles_refused_to_non_resource_managers(portfolio, engineer):
    portfolio_manager = MembershipFactory(portfolio=portfolio, role="portfolio_manager").user
    with pytest.raises(PermissionDenied):
        services.role_create(data={"name": "Tester"}, by=portfolio_manager)
    with pytest.raises(PermissionDenied):
        services.role_update(role=engineer, data={"name": "X"}, by=portfolio_manager)
    assert list(Role.objects.values_list("name", flat=True)) == ["Integration engineer"]


# --- Requesting -----------------------------------------------------------------------------


def test_project_manager_requests_a_named_person(project, manager, priya):
    allocation = services.allocation_request(
        project=project, data=request_data(priya.role, resource=priya), by=manager
    )
    allocation.refresh_from_db()
    assert (allocation.status, allocation.requested_by, allocation.resource) == (
        "requested",
        manager,
        priya,
    )
    assert (allocation.decided_by, allocation.decided_at) == (None, None)


@pytest.mark.parametrize("role", ["pmo", "portfolio_manager"])
def test_portfolio_editors_request_too(project, engineer, member_of, role):
    user = member_of(project.portfolio, role)
    assert services.allocation_request(project=project, data=request_data(engineer), by=user).pk


@pytest.mark.parametrize("role", ["resource_manager", "executive", "viewer"])
def test_non_editors_may_not_request(project, engineer, member_of, role):
    with pytest.raises(PermissionDenied):
        services.allocation_request(
            project=project, data=request_data(engineer), by=member_of(project.portfolio, role)
        )
    assert not Allocation.objects.exists()


def test_project_manager_may_not_request_for_another_project(project, manager, engineer):
    other = ProjectFactory(portfolio=project.portfolio, manager=UserFactory())
    with pytest.raises(PermissionDenied):
        services.allocation_request(project=other, data=request_data(engineer), by=manager)
    assert not Allocation.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_month": date(2027, 1, 1)}, "end_month", "must not be before the first month"),
        ({"amount": D("0")}, "amount", "The amount must be more than 0."),
        ({"amount": D("-1"), "unit": "hours"}, "amount", "The amount must be more than 0."),
        ({"amount": D("1.5")}, "amount", "An FTE allocation is at most 1"),
    ],
)
def test_request_validation(project, manager, engineer, changes, field, message):
    with pytest.raises(ValidationError) as excinfo:
        services.allocation_request(
            project=project, data=request_data(engineer, **changes), by=manager
        )
    assert message in errors_of(excinfo)[field][0]
    assert not Allocation.objects.exists()


def test_request_in_hours_may_exceed_one_person(project, manager, engineer):
    """Two people's worth of a role is asked for in hours (FTE is per person)."""
    allocation = services.allocation_request(
        project=project, data=request_data(engineer, unit="hours", amount=D("320")), by=manager
    )
    assert allocation.amount == D("320")


def test_request_names_a_person_of_the_role(project, manager, priya):
    analyst = RoleFactory(name="Business analyst")
    with pytest.raises(ValidationError) as excinfo:
        services.allocation_request(
            project=project, data=request_data(analyst, resource=priya), by=manager
        )
    assert errors_of(excinfo)["resource"] == [
        "Priya Nair holds the role Integration engineer, not Business analyst."
    ]


@pytest.mark.parametrize("stage", ["closed", "cancelled"])
def test_closed_and_cancelled_projects_take_no_requests(project, manager, engineer, stage):
    project.stage = stage
    project.save()
    with pytest.raises(ValidationError) as excinfo:
        services.allocation_request(project=project, data=request_data(engineer), by=manager)
    assert f"is {stage}" in excinfo.value.messages[0]


def test_warns_when_the_person_is_not_active_all_months(project, manager, priya):
    priya.start_date, priya.end_date = date(2027, 2, 15), date(2027, 4, 20)
    priya.save()
    allocation = services.allocation_request(
        project=project, data=request_data(priya.role, resource=priya), by=manager
    )
    assert services.allocation_warnings(allocation) == [
        "Priya Nair starts on 15 Feb 2027, after the start of Feb 2027.",
        "Priya Nair leaves on 20 Apr 2027, before the end of Apr 2027.",
    ]


# --- Deciding -------------------------------------------------------------------------------


@pytest.fixture
def pending(project, priya, manager):
    return AllocationFactory(
        project=project,
        role=priya.role,
        resource=priya,
        start_month=FEB,
        end_month=APR,
        amount=D("0.5"),
        requested_by=manager,
    )


def test_resource_manager_confirms_as_asked(pending, resource_manager):
    services.allocation_confirm(allocation=pending, by=resource_manager)
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by, pending.decision_reason) == (
        "confirmed",
        resource_manager,
        "",
    )
    assert pending.decided_at is not None


def test_pmo_admin_and_pmo_members_decide(pending, pmo_admin, project, member_of):
    services.allocation_confirm(allocation=pending, by=pmo_admin)
    other = AllocationFactory(project=project, role=pending.role)
    services.allocation_reject(
        allocation=other, by=member_of(project.portfolio, "pmo"), reason="No budget"
    )
    assert other.status == "rejected"


@pytest.mark.parametrize("role", ["portfolio_manager", "executive", "viewer"])
def test_others_may_not_decide(pending, member_of, role):
    user = member_of(pending.project.portfolio, role)
    with pytest.raises(PermissionDenied):
        services.allocation_confirm(allocation=pending, by=user)
    with pytest.raises(PermissionDenied):
        services.allocation_reject(allocation=pending, by=user, reason="No")
    assert Allocation.objects.get(pk=pending.pk).status == "requested"


def test_project_manager_may_not_decide_own_request(pending, manager):
    with pytest.raises(PermissionDenied):
        services.allocation_confirm(allocation=pending, by=manager)
    assert Allocation.objects.get(pk=pending.pk).status == "requested"


def test_resource_manager_of_another_portfolio_may_not_decide(pending):
    elsewhere = MembershipFactory(portfolio=PortfolioFactory(), role="resource_manager").user
    with pytest.raises(PermissionDenied):
        services.allocation_confirm(allocation=pending, by=elsewhere)


def test_confirm_with_changes_needs_a_reason(pending, resource_manager):
    tomas = ResourceFactory(name="Tomás Silva", role=pending.role)
    changes = {"resource": tomas, "start_month": MAR, "end_month": APR, "amount": D("0.4")}
    with pytest.raises(ValidationError) as excinfo:
        services.allocation_confirm(allocation=pending, by=resource_manager, changes=changes)
    assert "Say why you changed the request" in errors_of(excinfo)["reason"][0]
    assert Allocation.objects.get(pk=pending.pk).status == "requested"

    services.allocation_confirm(
        allocation=pending,
        by=resource_manager,
        reason="Priya is fully booked in February.",
        changes=changes,
    )
    pending.refresh_from_db()
    assert (pending.status, pending.resource, pending.start_month, pending.amount) == (
        "confirmed",
        tomas,
        MAR,
        D("0.40"),
    )
    assert pending.decision_reason == "Priya is fully booked in February."


def test_confirm_with_unchanged_values_needs_no_reason(pending, resource_manager, priya):
    same = {"resource": priya, "start_month": FEB, "end_month": APR, "amount": D("0.5")}
    services.allocation_confirm(allocation=pending, by=resource_manager, changes=same)
    assert Allocation.objects.get(pk=pending.pk).status == "confirmed"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end_month": date(2027, 1, 1)}, "end_month"),
        ({"amount": D("2")}, "amount"),
    ],
)
def test_changes_are_validated_like_requests(pending, resource_manager, changes, field):
    with pytest.raises(ValidationError) as excinfo:
        services.allocation_confirm(
            allocation=pending, by=resource_manager, reason="Adjusted", changes=changes
        )
    assert field in errors_of(excinfo)
    assert Allocation.objects.get(pk=pending.pk).status == "requested"


def test_change_to_a_person_of_another_role_is_refused(pending, resource_manager):
    analyst = ResourceFactory(name="Hannah Brooks", role=RoleFactory(name="Business analyst"))
    with pytest.raises(ValidationError) as excinfo:
        services.allocation_confirm(
            allocation=pending, by=resource_manager, reason="x", changes={"resource": analyst}
        )
    assert "holds the role Business analyst" in errors_of(excinfo)["resource"][0]


def test_decisions_are_taken_once(pending, resource_manager, pmo_admin):
    services.allocation_reject(allocation=pending, by=resource_manager, reason="Budget cut")
    for decide in (
        lambda: services.allocation_confirm(allocation=pending, by=pmo_admin),
        lambda: services.allocation_reject(allocation=pending, by=pmo_admin, reason="Again"),
        lambda: services.allocation_withdraw(allocation=pending, by=pmo_admin),
    ):
        with pytest.raises(ValidationError) as excinfo:
            decide()
        assert "already rejected by" in excinfo.value.messages[0]
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by) == ("rejected", resource_manager)


def test_confirm_refused_on_a_closed_project_but_reject_allowed(pending, resource_manager):
    pending.project.stage = "closed"
    pending.project.save()
    with pytest.raises(ValidationError):
        services.allocation_confirm(allocation=pending, by=resource_manager)
    services.allocation_reject(allocation=pending, by=resource_manager, reason="Closed")
    assert Allocation.objects.get(pk=pending.pk).status == "rejected"


def test_reject_needs_a_reason(pending, resource_manager):
    with pytest.raises(ValidationError) as excinfo:
        services.allocation_reject(allocation=pending, by=resource_manager, reason="  ")
    assert "Say why you reject the request" in errors_of(excinfo)["reason"][0]
    services.allocation_reject(allocation=pending, by=resource_manager, reason="No budget")
    pending.refresh_from_db()
    assert (pending.status, pending.decision_reason, pending.decided_by) == (
        "rejected",
        "No budget",
        resource_manager,
    )


def test_confirming_warns_of_over_allocation(pending, resource_manager, priya, project):
    """Priya at 1 FTE: 0.6 confirmed elsewhere in March + 0.5 here = 110 % in March."""
    AllocationFactory(
        project=ProjectFactory(portfolio=project.portfolio),
        role=priya.role,
        resource=priya,
        start_month=MAR,
        end_month=MAR,
        amount=D("0.6"),
        status="confirmed",
    )
    services.allocation_confirm(
        allocation=pending, by=resource_manager, override=True, override_reason="Go-live week"
    )
    assert services.allocation_warnings(pending) == [
        "Priya Nair is now over-allocated in Mar 2027 (110 %)."
    ]


def test_many_over_allocated_months_are_summed_up(pending, resource_manager, priya, project):
    """1 FTE elsewhere from January to May, and 0.5 more here: 150 % from February to May."""
    AllocationFactory(
        project=ProjectFactory(portfolio=project.portfolio),
        role=priya.role,
        resource=priya,
        start_month=date(2027, 1, 1),
        end_month=date(2027, 5, 1),
        amount=D("1"),
        status="confirmed",
    )
    pending.end_month = date(2027, 5, 1)
    pending.save()
    services.allocation_confirm(
        allocation=pending, by=resource_manager, override=True, override_reason="Go-live"
    )
    assert services.allocation_warnings(pending) == [
        "Priya Nair is now over-allocated in 4 months, Feb 2027 – May 2027, up to 150 % in "
        "Feb 2027."
    ]


# --- Over-allocating on purpose ---------------------------------------------------------------


@pytest.fixture
def busy_in_march(priya, project):
    """Priya at 1 FTE: 0.6 confirmed elsewhere in March, so 0.5 more is 110 % (184 h)."""
    return AllocationFactory(
        project=ProjectFactory(portfolio=project.portfolio),
        role=priya.role,
        resource=priya,
        start_month=MAR,
        end_month=MAR,
        amount=D("0.6"),
        status="confirmed",
    )


def test_over_allocating_without_the_override_is_refused_naming_months_and_percent(
    pending, resource_manager, busy_in_march
):
    with pytest.raises(ValidationError) as excinfo:
        services.allocation_confirm(allocation=pending, by=resource_manager)
    assert errors_of(excinfo)["override"] == [
        "Confirming puts Priya Nair over capacity in Mar 2027 (110 %). Tick “Over-allocate "
        "anyway” and say why, or change the request."
    ]
    assert Allocation.objects.get(pk=pending.pk).status == "requested"


def test_the_override_needs_a_reason(pending, resource_manager, busy_in_march):
    with pytest.raises(ValidationError) as excinfo:
        services.allocation_confirm(
            allocation=pending, by=resource_manager, override=True, override_reason=" "
        )
    assert errors_of(excinfo)["override_reason"] == [
        "Say why you over-allocate Priya Nair: it is recorded."
    ]
    assert Allocation.objects.get(pk=pending.pk).status == "requested"


def test_the_override_and_its_reason_are_recorded(pending, resource_manager, busy_in_march):
    services.allocation_confirm(
        allocation=pending,
        by=resource_manager,
        override=True,
        override_reason="Go-live week: she works the extra hours.",
    )
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by, pending.override_reason) == (
        "confirmed",
        resource_manager,
        "Go-live week: she works the extra hours.",
    )
    latest = pending.history.first()
    assert (latest.status, latest.history_user, latest.override_reason) == (
        "confirmed",
        resource_manager,
        "Go-live week: she works the extra hours.",
    )


def test_an_override_within_capacity_records_nothing(pending, resource_manager):
    services.allocation_confirm(
        allocation=pending, by=resource_manager, override=True, override_reason="Just in case"
    )
    pending.refresh_from_db()
    assert (pending.status, pending.override_reason) == ("confirmed", "")


def test_changes_that_over_allocate_need_the_override(pending, resource_manager):
    """0.5 FTE is within capacity; 1 FTE plus 0.6 elsewhere in April is not (160 %)."""
    AllocationFactory(
        project=ProjectFactory(portfolio=pending.project.portfolio),
        role=pending.role,
        resource=pending.resource,
        start_month=APR,
        end_month=APR,
        amount=D("0.6"),
        status="confirmed",
    )
    changes = {"amount": D("1")}
    with pytest.raises(ValidationError) as excinfo:
        services.allocation_confirm(
            allocation=pending, by=resource_manager, reason="Full time", changes=changes
        )
    assert "over capacity in Apr 2027 (160 %)" in errors_of(excinfo)["override"][0]
    services.allocation_confirm(
        allocation=pending,
        by=resource_manager,
        reason="Full time",
        changes=changes,
        override=True,
        override_reason="Cut-over month",
    )
    assert Allocation.objects.get(pk=pending.pk).override_reason == "Cut-over month"


def test_a_role_request_over_the_role_capacity_needs_the_override(
    project, manager, engineer, priya, resource_manager
):
    """Nobody named: the role as a whole (Priya, 160 h in February) is what fills up."""
    request = AllocationFactory(
        project=project, role=engineer, start_month=FEB, end_month=FEB, unit="hours", amount=200
    )
    with pytest.raises(ValidationError) as excinfo:
        services.allocation_confirm(allocation=request, by=resource_manager)
    assert (
        "Integration engineer (anyone of the role) over capacity in Feb 2027 (125 %)"
        in (errors_of(excinfo)["override"][0])
    )


# --- Months that have passed ----------------------------------------------------------------


def this_month(today):
    return today.replace(day=1)


def test_months_that_have_passed_are_not_confirmed(
    project, priya, manager, resource_manager, fixed_today
):
    """Requested from three months ago: confirmed from this month on; the note says so."""
    now = this_month(fixed_today)
    request = AllocationFactory(
        project=project,
        role=priya.role,
        resource=priya,
        start_month=add_months(now, -3),
        end_month=add_months(now, 2),
        requested_by=manager,
    )
    services.allocation_confirm(allocation=request, by=resource_manager, reason="Welcome")
    request.refresh_from_db()
    assert (request.status, request.start_month, request.end_month) == (
        "confirmed",
        now,
        add_months(now, 2),
    )
    assert request.decision_reason == (
        f"Confirmed from {now:%b %Y}: {add_months(now, -3):%b %Y} – "
        f"{add_months(now, -1):%b %Y} had passed. Welcome"
    )


def test_months_that_have_passed_never_need_the_override(
    project, priya, manager, resource_manager, fixed_today
):
    """Priya was fully booked last month: that month is not confirmed again, so no override."""
    now = this_month(fixed_today)
    AllocationFactory(
        project=ProjectFactory(portfolio=project.portfolio),
        role=priya.role,
        resource=priya,
        start_month=add_months(now, -1),
        end_month=add_months(now, -1),
        amount=D("1"),
        status="confirmed",
    )
    request = AllocationFactory(
        project=project,
        role=priya.role,
        resource=priya,
        start_month=add_months(now, -1),
        end_month=add_months(now, 1),
    )
    services.allocation_confirm(allocation=request, by=resource_manager)
    request.refresh_from_db()
    assert (request.status, request.start_month, request.override_reason) == ("confirmed", now, "")


def test_a_request_wholly_in_the_past_is_not_confirmed(
    project, priya, resource_manager, fixed_today
):
    now = this_month(fixed_today)
    request = AllocationFactory(
        project=project,
        role=priya.role,
        resource=priya,
        start_month=add_months(now, -4),
        end_month=add_months(now, -2),
    )
    with pytest.raises(ValidationError) as excinfo:
        services.allocation_confirm(allocation=request, by=resource_manager)
    assert excinfo.value.messages == [
        f"All of its months ({add_months(now, -4):%b %Y} – {add_months(now, -2):%b %Y}) have "
        f"passed: confirm months from {now:%b %Y} on, or reject it."
    ]
    assert Allocation.objects.get(pk=request.pk).status == "requested"


# --- Undoing a confirmation -------------------------------------------------------------------


def test_a_resource_manager_undoes_a_confirmation(pending, resource_manager, pmo_admin):
    services.allocation_confirm(allocation=pending, by=resource_manager)
    request = services.allocation_undo_confirmation(
        allocation=pending, by=pmo_admin, reason="Confirmed the wrong Priya request."
    )
    assert request.pk == pending.pk
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by, pending.start_month, pending.end_month) == (
        "requested",
        pmo_admin,
        FEB,
        APR,
    )
    assert pending.decision_reason.endswith(": Confirmed the wrong Priya request.")
    assert [(h.status, h.history_user) for h in pending.history.order_by("history_id")] == [
        ("requested", None),
        ("confirmed", resource_manager),
        ("requested", pmo_admin),
    ]
    # A request again: it may be decided anew.
    services.allocation_reject(allocation=pending, by=resource_manager, reason="Not needed")
    assert Allocation.objects.get(pk=pending.pk).status == "rejected"


def test_undo_needs_a_reason_and_a_confirmed_allocation(pending, resource_manager):
    with pytest.raises(ValidationError, match="not confirmed"):
        services.allocation_undo_confirmation(allocation=pending, by=resource_manager, reason="x")
    services.allocation_confirm(allocation=pending, by=resource_manager)
    with pytest.raises(ValidationError) as excinfo:
        services.allocation_undo_confirmation(allocation=pending, by=resource_manager, reason="")
    assert errors_of(excinfo)["reason"] == ["Say why you undo the confirmation: it is recorded."]
    assert Allocation.objects.get(pk=pending.pk).status == "confirmed"


def test_undo_clears_the_override(pending, resource_manager, busy_in_march):
    services.allocation_confirm(
        allocation=pending, by=resource_manager, override=True, override_reason="Go-live"
    )
    services.allocation_undo_confirmation(allocation=pending, by=resource_manager, reason="Oops")
    pending.refresh_from_db()
    assert (pending.status, pending.override_reason) == ("requested", "")
    assert pending.history.filter(override_reason="Go-live").exists()  # kept in the history


def test_undo_leaves_the_months_that_have_passed_confirmed(
    project, priya, resource_manager, fixed_today
):
    now = this_month(fixed_today)
    confirmed = AllocationFactory(
        project=project,
        role=priya.role,
        resource=priya,
        start_month=add_months(now, -2),
        end_month=add_months(now, 3),
        status="confirmed",
        decided_by=resource_manager,
    )
    request = services.allocation_undo_confirmation(
        allocation=confirmed, by=resource_manager, reason="Project paused"
    )
    rows = list(
        Allocation.objects.filter(project=project)
        .order_by("start_month")
        .values_list("status", "start_month", "end_month")
    )
    assert rows == [
        ("confirmed", add_months(now, -2), add_months(now, -1)),
        ("requested", now, add_months(now, 3)),
    ]
    assert request.pk != confirmed.pk and request.status == "requested"


@pytest.mark.parametrize("role", ["portfolio_manager", "executive", "viewer"])
def test_only_resource_managers_undo(pending, resource_manager, member_of, manager, role):
    services.allocation_confirm(allocation=pending, by=resource_manager)
    for user in (member_of(pending.project.portfolio, role), manager):
        with pytest.raises(PermissionDenied):
            services.allocation_undo_confirmation(allocation=pending, by=user, reason="No")
    assert Allocation.objects.get(pk=pending.pk).status == "confirmed"


# --- Withdrawing ----------------------------------------------------------------------------


def test_project_manager_withdraws_a_pending_request(pending, manager):
    services.allocation_withdraw(allocation=pending, by=manager)
    assert not Allocation.objects.exists()


@pytest.mark.parametrize("role", ["resource_manager", "executive"])
def test_non_editors_may_not_withdraw(pending, member_of, role):
    with pytest.raises(PermissionDenied):
        services.allocation_withdraw(
            allocation=pending, by=member_of(pending.project.portfolio, role)
        )
    assert Allocation.objects.filter(pk=pending.pk).exists()


def test_a_confirmed_allocation_is_not_withdrawn(pending, resource_manager, manager):
    services.allocation_confirm(allocation=pending, by=resource_manager)
    with pytest.raises(ValidationError) as excinfo:
        services.allocation_withdraw(allocation=pending, by=manager)
    assert "already confirmed by" in excinfo.value.messages[0]
    assert Allocation.objects.get(pk=pending.pk).status == "confirmed"
