"""Capacity against hand-worked figures. February 2027 starts on a Monday: 20 working days;
with a public holiday on Monday 15 February, 19 days, so 152 standard hours at 8 h/day."""

from datetime import date
from decimal import Decimal as D

import pytest

from core.months import add_months, months_between
from resources import capacity, selectors
from resources.models import Calendar
from tests.factories import AllocationFactory, ResourceFactory, RoleFactory

FEB = date(2027, 2, 1)
HOLIDAY = date(2027, 2, 15)
CAL = capacity.CalendarRules(hours_per_day=D("8"), holidays=frozenset({HOLIDAY}))


def person(fte="1", start=date(2026, 1, 1), end=None, leave=()):
    return capacity.Person(D(fte), start, end, CAL, tuple(leave))


def test_working_days_and_standard_hours():
    assert capacity.working_days(date(2027, 2, 1), date(2027, 2, 28)) == 20
    assert capacity.working_days(date(2027, 2, 1), date(2027, 2, 28), frozenset({HOLIDAY})) == 19
    assert capacity.working_days(date(2027, 2, 6), date(2027, 2, 7)) == 0  # a weekend
    assert CAL.standard_hours(FEB) == D("152")


def test_part_time_capacity():
    assert capacity.person_capacity(person("0.5"), FEB) == D("76.0")  # 0.5 × 8 × 19


def test_leave_whole_days_and_part_days():
    week_off = capacity.Leave(date(2027, 2, 8), date(2027, 2, 12))  # Mon–Fri: 5 days
    two_hours = capacity.Leave(date(2027, 2, 22), date(2027, 2, 26), D("2"))  # 5 × 2 h
    assert capacity.person_capacity(person("0.5", leave=[week_off]), FEB) == D("56.0")  # 76−20
    assert capacity.person_capacity(person("1", leave=[week_off, two_hours]), FEB) == D("102")
    # 152 − 5 × 8 − 5 × 2 = 102


def test_leave_crossing_a_month_boundary_counts_only_its_days_in_the_month():
    # 25 Jan (Mon) – 3 Feb (Wed): 3 working days in February.
    leave = capacity.Leave(date(2027, 1, 25), date(2027, 2, 3))
    assert capacity.person_capacity(person(leave=[leave]), FEB) == D("128")  # 152 − 24


def test_starting_and_leaving_mid_month():
    # Starts Wed 17 Feb: 17, 18, 19 and 22–26 = 8 working days.
    assert capacity.person_capacity(person(start=date(2027, 2, 17)), FEB) == D("64")
    # Leaves Fri 5 Feb: 1–5 = 5 days.
    assert capacity.person_capacity(person(end=date(2027, 2, 5)), FEB) == D("40")
    assert capacity.person_capacity(person(start=date(2027, 3, 1)), FEB) == D("0")


def test_capacity_never_negative():
    leave = capacity.Leave(date(2027, 2, 1), date(2027, 2, 28), D("12"))
    assert capacity.person_capacity(person("0.5", leave=[leave]), FEB) == D("0")


def test_over_allocation_is_exact():
    assert not capacity.is_over_allocated(D("152"), D("152"))  # exactly 100 %
    assert capacity.is_over_allocated(D("152.01"), D("152"))
    thirds = sum(
        (capacity.allocation_hours("fte", D(f), D("152")) for f in ("0.33", "0.33", "0.34")),
        D("0"),
    )
    assert thirds == D("152") and not capacity.is_over_allocated(thirds, D("152"))
    assert capacity.utilisation(D("76"), D("152")) == D("50")
    assert capacity.utilisation(D("10"), D("0")) is None


def test_months_helpers():
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 1)
    assert months_between(date(2026, 12, 5), date(2027, 2, 1)) == [
        date(2026, 12, 1),
        date(2027, 1, 1),
        date(2027, 2, 1),
    ]


@pytest.mark.django_db
def test_role_grid_sums_people_and_allocations_and_flags_conflicts(django_assert_num_queries):
    engineer = RoleFactory(name="Integration engineer")
    priya = ResourceFactory(name="Priya", role=engineer, fte=D("1"))
    ResourceFactory(name="Tom", role=engineer, fte=D("0.5"))
    # Overlapping confirmed allocations of Priya on two projects: 0.6 + 0.6 FTE in Feb.
    for _ in range(2):
        AllocationFactory(
            role=engineer,
            resource=priya,
            unit="fte",
            amount=D("0.6"),
            start_month=date(2027, 1, 1),
            end_month=date(2027, 2, 1),
            status="confirmed",
        )
    # A role-only request in Feb–Mar: requested, not confirmed.
    AllocationFactory(
        role=engineer,
        unit="hours",
        amount=D("40"),
        start_month=FEB,
        end_month=date(2027, 3, 1),
        status="requested",
    )

    with django_assert_num_queries(5):
        grid = selectors.role_capacity_grid(first_month=FEB, month_count=2)
    feb = grid.rows[0].cells[0]
    assert feb.capacity == D("240.0")  # (1 + 0.5) × 8 × 20 (no holidays in the DB calendar)
    assert feb.confirmed == D("192.0")  # 1.2 × 160
    assert feb.requested == D("40")
    assert not feb.is_conflict  # 192 of 240 for the role
    people = selectors.person_capacity_grid(role=engineer, first_month=FEB, month_count=2)
    priya_feb = next(row for row in people.rows if row.label == "Priya").cells[0]
    assert (priya_feb.capacity, priya_feb.confirmed) == (D("160"), D("192.0"))
    assert priya_feb.is_conflict and priya_feb.utilisation == D("120")
    assert [(row.label, month) for row, month, _ in people.conflicts] == [("Priya", FEB)]


@pytest.mark.django_db
def test_role_grid_sums_people_and_allocations_by_calendar_in_the_window():
    """People without leave are summed in SQL by role, calendar and active dates, demand by
    role, calendar, unit, status and months inside the window: the same hours as person by
    person and allocation by allocation."""
    analyst = RoleFactory(name="Analyst")
    part_days = Calendar.objects.create(name="Six hours", hours_per_day=D("6"))
    part_days.holidays.create(date=HOLIDAY, name="Holiday")
    ana = ResourceFactory(name="Ana", role=analyst, calendar=part_days)  # 6 h × 19 days in Feb
    ResourceFactory(name="Bo", role=analyst, calendar=part_days, fte=D("0.5"))
    # Cy (8 h) joins on 8 February (15 working days left) and is away 22–23 February.
    cy = ResourceFactory(name="Cy", role=analyst, start_date=date(2027, 2, 8))
    cy.capacity_adjustments.create(start_date=date(2027, 2, 22), end_date=date(2027, 2, 23))
    # Leo left before the window: FTE asked of him converts with the default calendar.
    leo = ResourceFactory(name="Leo", role=analyst, end_date=date(2026, 12, 31))
    confirmed = {"role": analyst, "unit": "fte", "status": "confirmed"}
    AllocationFactory(resource=ana, amount=D("0.5"), start_month=date(2026, 12, 1),
                      end_month=FEB, **confirmed)  # fmt: skip
    AllocationFactory(resource=ana, amount=D("0.5"), start_month=FEB,
                      end_month=date(2027, 6, 1), **confirmed)  # fmt: skip
    AllocationFactory(resource=leo, amount=D("0.25"), start_month=date(2027, 1, 1),
                      end_month=date(2027, 3, 1), **confirmed)  # fmt: skip
    AllocationFactory(role=analyst, unit="hours", amount=D("10"), start_month=date(2027, 3, 1),
                      end_month=date(2027, 3, 1), status="requested")  # fmt: skip
    AllocationFactory(resource=ana, amount=D("1"), start_month=FEB, end_month=FEB,
                      role=analyst, status="rejected")  # fmt: skip

    feb, mar = selectors.role_capacity_grid(first_month=FEB, month_count=2).rows[0].cells

    # Ana and Bo 1.5 × 6 × 19, Cy 8 × (15 − 2) · 1.5 × 6 × 23, Cy 8 × 23
    assert (feb.capacity, mar.capacity) == (D("275"), D("391"))
    # Ana 0.5 × 114 twice, Leo 0.25 × 8 × 20 · Ana 0.5 × 138, Leo 0.25 × 8 × 23
    assert (feb.confirmed, feb.requested) == (D("154"), D("0"))
    assert (mar.confirmed, mar.requested) == (D("115"), D("10"))
