"""Capacity conflicts: the options the data supports and the services that apply them, on a
hand-built case.

February 2027 has 20 working days, so a 1.0 FTE person (default calendar: 8 h, no holidays)
has 160 h. Nadia is the only integration engineer; two projects each hold her at 0.6 FTE:
96 + 96 = 192 h, 32 h over. CORE (priority 100) holds her Feb–Apr 2027, PILOT (priority 50)
Feb–Mar 2027. March has 23 working days (184 h), April 22 (176 h), May 21, June 22."""

from datetime import date
from decimal import Decimal as D
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portfolio.models import ProjectScore, ScoringCriterion
from resources import conflicts, selectors
from resources.models import Allocation, ConflictResolution
from tests.factories import (
    AllocationFactory,
    MembershipFactory,
    MilestoneFactory,
    ProjectFactory,
    ResourceFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

JAN, FEB, MAR, APR, MAY, JUN = (date(2027, m, 1) for m in range(1, 7))


def build_case(portfolio, *, pilot_start=FEB):
    value = ScoringCriterion.objects.create(portfolio=portfolio, name="Value", weight=D("60"))
    risk = ScoringCriterion.objects.create(
        portfolio=portfolio, name="Risk", weight=D("40"), direction="lower"
    )
    manager = UserFactory()
    core = ProjectFactory(portfolio=portfolio, code="CORE", manager=manager)
    pilot = ProjectFactory(portfolio=portfolio, code="PILOT", manager=manager)
    for project, (v, r) in ((core, (5, 1)), (pilot, (3, 3))):  # 60 + 40 = 100; 30 + 20 = 50
        ProjectScore.objects.create(project=project, criterion=value, score=v)
        ProjectScore.objects.create(project=project, criterion=risk, score=r)
    role = RoleFactory(name="Integration engineer")
    nadia = ResourceFactory(name="Nadia", role=role, fte=D("1"))
    confirmed = {"role": role, "resource": nadia, "unit": "fte", "amount": D("0.6")}
    core_allocation = AllocationFactory(
        project=core, start_month=FEB, end_month=APR, status="confirmed", **confirmed
    )
    pilot_allocation = AllocationFactory(
        project=pilot, start_month=pilot_start, end_month=MAR, status="confirmed", **confirmed
    )
    # A request for the role is demand apart: it never counts towards the conflict.
    AllocationFactory(project=pilot, role=role, start_month=FEB, end_month=FEB, amount=D("1"))
    milestones = {
        "in_months": MilestoneFactory(
            project=pilot, name="Interfaces built", forecast_date=date(2027, 3, 15)
        ),
        "baseline_only": MilestoneFactory(
            project=pilot,
            name="Design signed off",
            baseline_date=date(2027, 2, 28),
            forecast_date=None,
        ),
        "after": MilestoneFactory(project=pilot, name="Go-live", forecast_date=date(2027, 6, 1)),
        "done": MilestoneFactory(
            project=pilot,
            name="Kick-off",
            forecast_date=date(2027, 2, 10),
            actual_date=date(2027, 2, 10),
        ),
    }
    return SimpleNamespace(
        portfolio=portfolio,
        role=role,
        nadia=nadia,
        core=core,
        pilot=pilot,
        core_allocation=core_allocation,
        pilot_allocation=pilot_allocation,
        milestones=milestones,
        decider=MembershipFactory(portfolio=portfolio, role="resource_manager").user,
    )


@pytest.fixture
def case(portfolio):
    return build_case(portfolio)


def conflict_of(case, month=FEB, user=None):
    return selectors.capacity_conflict(role=case.role, month=month, user=user or case.decider)


# The conflict and its options ----------------------------------------------------------------


def test_the_conflict_numbers_and_competing_projects_lowest_priority_first(case):
    conflict = conflict_of(case)
    assert conflict.cell.capacity == D("160")
    assert conflict.cell.confirmed == D("192")
    assert conflict.cell.requested == D("160")  # the 1.0 FTE role request
    assert conflict.over_hours == D("32")
    assert [(a.project_code, a.priority, a.hours) for a in conflict.allocations] == [
        ("PILOT", D("50"), D("96")),
        ("CORE", D("100"), D("96")),
    ]
    assert [(s.kind, s.label, s.over_hours) for s in conflict.scopes] == [
        ("role", "Integration engineer", D("32")),
        ("person", "Nadia", D("32")),
    ]
    assert all(scope.target.project_code == "PILOT" for scope in conflict.scopes)


def test_shift_is_the_smallest_that_lands_in_free_months(case):
    """1 month: Mar–Apr, still beside CORE in both; 2: Apr–May, beside CORE in April;
    3: May–Jun, free."""
    scope = conflict_of(case).scopes[1]
    shift = scope.shift
    assert (shift.months, shift.new_start, shift.new_end) == (3, MAY, JUN)
    assert shift.keeps_earlier_months is False
    moves = [(m.name, m.old_date, m.new_date, m.from_baseline) for m in shift.milestones]
    assert moves == [
        ("Interfaces built", date(2027, 3, 15), date(2027, 6, 15), False),
        ("Design signed off", date(2027, 2, 28), date(2027, 5, 28), True),
    ]


def test_release_takes_the_over_allocation(case):
    release = conflict_of(case).scopes[0].release
    assert (release.hours, release.remaining, release.still_over) == (D("32"), D("64"), D("0"))


def test_no_shift_when_every_landing_month_is_full(case):
    # CORE now holds Nadia until December: 0.6 + 0.6 anywhere up to six months ahead.
    Allocation.objects.filter(pk=case.core_allocation.pk).update(end_month=date(2027, 12, 1))
    scope = conflict_of(case).scopes[1]
    assert scope.shift is None
    assert "already full" in scope.shift_blocked
    assert scope.release.hours == D("32")


def test_who_may_apply_is_shown(case, member_of):
    assert all(scope.can_apply for scope in conflict_of(case).scopes)
    viewer = member_of(case.portfolio, "viewer")
    assert not any(scope.can_apply for scope in conflict_of(case, user=viewer).scopes)


def test_a_month_within_capacity_is_no_conflict(case):
    conflict = conflict_of(case, month=date(2027, 5, 1))
    assert not conflict.is_conflict
    assert conflict.over_hours == 0


def test_breakdown_total_is_the_role_grid_row(case):
    grid = selectors.role_capacity_grid(first_month=JAN, month_count=6)
    breakdown = selectors.role_capacity_breakdown(role=case.role, first_month=JAN, month_count=6)
    assert breakdown.total.cells == next(r for r in grid.rows if r.key == case.role.pk).cells
    assert breakdown.unassigned.cells[1].requested == D("160")


# Applying them -------------------------------------------------------------------------------


def over_in(case, month):
    grid = selectors.role_capacity_breakdown(role=case.role, first_month=month, month_count=1)
    return grid.total.cells[0].is_conflict or grid.people[0].cells[0].is_conflict


def test_shift_moves_the_allocation_and_records_the_decision(case):
    resolution = conflicts.conflict_shift_allocation(
        allocation=case.pilot_allocation,
        months=3,
        from_month=FEB,
        by=case.decider,
        reason="CORE is the regulator's deadline.",
    )
    case.pilot_allocation.refresh_from_db()
    assert (case.pilot_allocation.start_month, case.pilot_allocation.end_month) == (MAY, JUN)
    assert case.pilot_allocation.decided_by == case.decider
    assert case.pilot_allocation.decided_at is not None
    assert "Shifted 3 months later" in case.pilot_allocation.decision_reason
    assert (resolution.role, resolution.month, resolution.action) == (case.role, FEB, "shift")
    assert (resolution.months_shifted, resolution.person) == (3, "Nadia")
    assert resolution.allocation == case.pilot_allocation
    assert not any(over_in(case, month) for month in (FEB, MAR, APR, MAY, JUN))
    assert not conflict_of(case).is_conflict
    # The milestones are shown, never moved.
    case.milestones["in_months"].refresh_from_db()
    assert case.milestones["in_months"].forecast_date == date(2027, 3, 15)


def test_shift_keeps_the_months_before_the_conflict(portfolio):
    case = build_case(portfolio, pilot_start=JAN)
    conflicts.conflict_shift_allocation(
        allocation=case.pilot_allocation, months=3, from_month=FEB, by=case.decider, reason="r"
    )
    rows = list(
        Allocation.objects.filter(project=case.pilot, status="confirmed")
        .order_by("start_month")
        .values_list("start_month", "end_month", "amount")
    )
    assert rows == [(JAN, JAN, D("0.6")), (MAY, JUN, D("0.6"))]


def test_release_reduces_the_month_and_keeps_the_rest(case):
    resolution = conflicts.conflict_release_allocation(
        allocation=case.pilot_allocation,
        hours_or_none=D("32"),
        month=FEB,
        by=case.decider,
        reason="PILOT can live with less in February.",
    )
    rows = list(
        Allocation.objects.filter(project=case.pilot, status="confirmed")
        .order_by("start_month")
        .values_list("start_month", "end_month", "unit", "amount")
    )
    assert rows == [(FEB, FEB, "hours", D("64")), (MAR, MAR, "fte", D("0.6"))]
    assert (resolution.action, resolution.hours_released) == ("reduce", D("32"))
    assert not over_in(case, FEB)
    assert over_in(case, MAR)  # its own conflict, for its own decision


def test_reject_releases_the_whole_allocation(case):
    resolution = conflicts.conflict_release_allocation(
        allocation=case.pilot_allocation,
        hours_or_none=None,
        month=FEB,
        by=case.decider,
        reason="PILOT waits for next year.",
    )
    case.pilot_allocation.refresh_from_db()
    assert case.pilot_allocation.status == "rejected"
    assert case.pilot_allocation.decision_reason.endswith("PILOT waits for next year.")
    assert resolution.action == "reject"
    assert not over_in(case, FEB) and not over_in(case, MAR)
    assert [r.pk for r in conflict_of(case).resolutions] == [resolution.pk]


def test_a_reason_is_required_and_nothing_changes_without_one(case):
    with pytest.raises(ValidationError) as error:
        conflicts.conflict_shift_allocation(
            allocation=case.pilot_allocation,
            months=3,
            from_month=FEB,
            by=case.decider,
            reason="  ",
        )
    assert "reason" in error.value.message_dict
    case.pilot_allocation.refresh_from_db()
    assert case.pilot_allocation.start_month == FEB
    assert not ConflictResolution.objects.exists()


@pytest.mark.parametrize("role", ["viewer", "executive", "portfolio_manager"])
def test_only_resource_managers_and_the_pmo_may_apply(case, member_of, role):
    user = member_of(case.portfolio, role)
    with pytest.raises(PermissionDenied):
        conflicts.conflict_release_allocation(
            allocation=case.pilot_allocation, hours_or_none=None, month=FEB, by=user, reason="r"
        )
    case.pilot_allocation.refresh_from_db()
    assert case.pilot_allocation.status == "confirmed"
    assert not ConflictResolution.objects.exists()


def test_the_pmo_admin_may_apply(case, pmo_admin):
    conflicts.conflict_release_allocation(
        allocation=case.pilot_allocation, hours_or_none=None, month=FEB, by=pmo_admin, reason="r"
    )
    assert ConflictResolution.objects.get().decided_by == pmo_admin


def test_a_resolved_conflict_is_not_resolved_twice(case):
    conflicts.conflict_release_allocation(
        allocation=case.pilot_allocation,
        hours_or_none=D("32"),
        month=FEB,
        by=case.decider,
        reason="once",
    )
    with pytest.raises(ValidationError, match="no longer over-allocated"):
        conflicts.conflict_release_allocation(
            allocation=case.pilot_allocation,
            hours_or_none=D("32"),
            month=FEB,
            by=case.decider,
            reason="twice",
        )
    assert ConflictResolution.objects.count() == 1


def test_a_shifted_allocation_no_longer_covers_the_month(case):
    conflicts.conflict_shift_allocation(
        allocation=case.pilot_allocation, months=3, from_month=FEB, by=case.decider, reason="r"
    )
    with pytest.raises(ValidationError, match="no longer covers"):
        conflicts.conflict_shift_allocation(
            allocation=case.pilot_allocation,
            months=3,
            from_month=FEB,
            by=case.decider,
            reason="r",
        )


# Only people over capacity are asked to yield ------------------------------------------------


def test_the_role_scope_offers_only_work_of_people_who_are_over(case):
    """Tomás (same role) is at 0.9 FTE on an unscored project, the lowest priority of all, but
    within his capacity: the role is over (336 h against 320 h) because Nadia is, so it is her
    lowest-priority allocation that the role's options move, not his."""
    tomas = ResourceFactory(name="Tomás", role=case.role)
    unscored = AllocationFactory(
        project=ProjectFactory(portfolio=case.portfolio, code="SIDE"),
        role=case.role,
        resource=tomas,
        start_month=FEB,
        end_month=FEB,
        amount=D("0.9"),
        status="confirmed",
    )
    conflict = conflict_of(case)
    assert conflict.allocations[0].allocation_id == unscored.pk  # lowest priority overall
    role_scope, nadia_scope = conflict.scopes
    assert (role_scope.kind, role_scope.over_hours) == ("role", D("16"))
    over_people = {s.key for s in conflict.scopes if s.kind == "person"}
    assert over_people == {case.nadia.pk}
    assert role_scope.target.person_id in over_people
    assert role_scope.target.allocation_id == case.pilot_allocation.pk
    assert tomas.pk not in {a.person_id for a in role_scope.allocations}
    assert role_scope.shift is not None and role_scope.shift.months == 3
    # Nor is the role offered a reassignment: moving work inside the role frees nothing.
    assert role_scope.reassign is None
    assert nadia_scope.reassign is None  # Tomás has 16 h free in February, not 96 h


# Reassigning to a colleague ------------------------------------------------------------------


@pytest.fixture
def colleagues(case):
    """Tomás (same role) is free; Lena (same role) is at 0.5 FTE in March, too busy to take
    PILOT's 0.6; Omar is free but a business analyst."""
    tomas = ResourceFactory(name="Tomás", role=case.role)
    lena = ResourceFactory(name="Lena", role=case.role)
    AllocationFactory(
        project=case.core,
        role=case.role,
        resource=lena,
        start_month=MAR,
        end_month=MAR,
        amount=D("0.5"),
        status="confirmed",
    )
    omar = ResourceFactory(name="Omar", role=RoleFactory(name="Business analyst"))
    return SimpleNamespace(tomas=tomas, lena=lena, omar=omar)


def test_reassign_candidates_hold_the_role_and_have_the_hours_free(case, colleagues):
    """PILOT's Feb–Mar at 0.6 FTE: 96 h and 110.4 h. Tomás has 160 h and 184 h free; Lena
    has 160 h in February but only 92 h in March."""
    nadia_scope = next(s for s in conflict_of(case).scopes if s.kind == "person")
    reassign = nadia_scope.reassign
    assert reassign.months == [FEB, MAR]
    assert reassign.hours == [D("96.0"), D("110.4")]
    assert reassign.still_over == 0
    assert [(c.name, c.free, c.needed) for c in reassign.candidates] == [
        ("Tomás", [D("160"), D("184")], [D("96.0"), D("110.4")])
    ]


def test_no_reassign_option_when_nobody_has_the_hours(case):
    ResourceFactory(name="Lena", role=case.role, fte=D("0.5"))  # 80 h: less than 96 h
    nadia_scope = next(s for s in conflict_of(case).scopes if s.kind == "person")
    assert nadia_scope.reassign is None
    assert "nobody else of the role has these hours free" in nadia_scope.reassign_blocked


def test_reassigning_clears_the_conflict_and_is_recorded(case, colleagues):
    resolution = conflicts.conflict_reassign_allocation(
        allocation=case.pilot_allocation,
        to_person=colleagues.tomas,
        month=FEB,
        by=case.decider,
        reason="Tomás knows PILOT's interfaces.",
    )
    case.pilot_allocation.refresh_from_db()
    assert case.pilot_allocation.resource == colleagues.tomas
    assert (case.pilot_allocation.start_month, case.pilot_allocation.end_month) == (FEB, MAR)
    assert case.pilot_allocation.decided_by == case.decider
    assert "Reassigned from Nadia to Tomás" in case.pilot_allocation.decision_reason
    assert (resolution.action, resolution.person, resolution.reassigned_to) == (
        "reassign",
        "Nadia",
        "Tomás",
    )
    assert (resolution.role, resolution.month, resolution.allocation) == (
        case.role,
        FEB,
        case.pilot_allocation,
    )
    assert not conflict_of(case).is_conflict
    assert not conflict_of(case, month=MAR).is_conflict


def test_reassigning_keeps_the_months_before_the_conflict(portfolio):
    case = build_case(portfolio, pilot_start=JAN)
    tomas = ResourceFactory(name="Tomás", role=case.role)
    conflicts.conflict_reassign_allocation(
        allocation=case.pilot_allocation, to_person=tomas, month=FEB, by=case.decider, reason="r"
    )
    rows = list(
        Allocation.objects.filter(project=case.pilot, status="confirmed")
        .order_by("start_month")
        .values_list("resource__name", "start_month", "end_month")
    )
    assert rows == [("Nadia", JAN, JAN), ("Tomás", FEB, MAR)]


def test_reassigning_to_someone_without_the_hours_is_refused(case, colleagues):
    with pytest.raises(ValidationError) as error:
        conflicts.conflict_reassign_allocation(
            allocation=case.pilot_allocation,
            to_person=colleagues.lena,
            month=FEB,
            by=case.decider,
            reason="r",
        )
    assert error.value.message_dict["person"] == [
        "Lena does not have the hours free in Mar 2027 (92 h free, 110.4 h needed)."
    ]
    case.pilot_allocation.refresh_from_db()
    assert case.pilot_allocation.resource == case.nadia
    assert not ConflictResolution.objects.exists()


def test_reassigning_to_another_role_is_refused(case, colleagues):
    with pytest.raises(ValidationError, match="holds the role Business analyst"):
        conflicts.conflict_reassign_allocation(
            allocation=case.pilot_allocation,
            to_person=colleagues.omar,
            month=FEB,
            by=case.decider,
            reason="r",
        )
    assert not ConflictResolution.objects.exists()


@pytest.mark.parametrize("role", ["viewer", "executive", "portfolio_manager"])
def test_only_resource_managers_and_the_pmo_may_reassign(case, colleagues, member_of, role):
    with pytest.raises(PermissionDenied):
        conflicts.conflict_reassign_allocation(
            allocation=case.pilot_allocation,
            to_person=colleagues.tomas,
            month=FEB,
            by=member_of(case.portfolio, role),
            reason="r",
        )
    assert not ConflictResolution.objects.exists()
