"""Reads for resources: capacity against demand per role and per person per month, in a
fixed number of queries whatever the number of people and allocations."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q

from resources import capacity as formulas
from resources.models import (
    Allocation,
    AllocationStatus,
    Calendar,
    CapacityAdjustment,
    PublicHoliday,
    Resource,
    Role,
)

DEFAULT_CALENDAR = formulas.CalendarRules()


@dataclass
class CapacityCell:
    capacity: Decimal = formulas.ZERO
    confirmed: Decimal = formulas.ZERO
    requested: Decimal = formulas.ZERO

    @property
    def utilisation(self) -> Decimal | None:
        return formulas.utilisation(self.confirmed, self.capacity)

    @property
    def is_conflict(self) -> bool:
        return self.confirmed > 0 and formulas.is_over_allocated(self.confirmed, self.capacity)


@dataclass
class CapacityRow:
    key: int
    label: str
    cells: list[CapacityCell] = field(default_factory=list)

    @property
    def conflict_count(self) -> int:
        return sum(cell.is_conflict for cell in self.cells)


@dataclass(frozen=True)
class CapacityGrid:
    months: list[date]
    rows: list[CapacityRow]

    @property
    def conflicts(self) -> list[tuple[CapacityRow, date, CapacityCell]]:
        return [
            (row, month, cell)
            for row in self.rows
            for month, cell in zip(self.months, row.cells, strict=True)
            if cell.is_conflict
        ]


def _calendars() -> dict[int | None, formulas.CalendarRules]:
    holidays = defaultdict(set)
    for calendar_id, day in PublicHoliday.objects.values_list("calendar_id", "date"):
        holidays[calendar_id].add(day)
    rules = {
        pk: formulas.CalendarRules(hours_per_day=hours, holidays=frozenset(holidays[pk]))
        for pk, hours in Calendar.objects.values_list("pk", "hours_per_day")
    }
    rules[None] = DEFAULT_CALENDAR
    return rules


def _people(resources, calendars, first: date, last: date):
    """(resource id, role id, name, Person) for the resources active in the window."""
    leave = defaultdict(list)
    for resource_id, start, end, hours in CapacityAdjustment.objects.filter(
        resource__in=resources.values("pk"), start_date__lte=last, end_date__gte=first
    ).values_list("resource_id", "start_date", "end_date", "hours_per_day"):
        leave[resource_id].append(formulas.Leave(start, end, hours))
    return [
        (
            pk,
            role_id,
            name,
            formulas.Person(fte, start, end, calendars[calendar_id], tuple(leave[pk])),
        )
        for pk, role_id, name, fte, start, end, calendar_id in resources.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=first), start_date__lte=last
        ).values_list("pk", "role_id", "name", "fte", "start_date", "end_date", "calendar_id")
    ]


def _allocations(first: date, last: date, **filters):
    return Allocation.objects.filter(
        start_month__lte=last, end_month__gte=first, **filters
    ).exclude(status=AllocationStatus.REJECTED)


def _add_demand(cells_by_key, key, allocation_row, months, month_index, standard_hours):
    _pk, unit, amount, start, end, status = allocation_row
    for month in months[month_index.get(start, 0) :]:
        if month > end:
            break
        if month < start:
            continue
        hours = formulas.allocation_hours(unit, amount, standard_hours[month])
        cell = cells_by_key[key][month_index[month]]
        if status == AllocationStatus.CONFIRMED:
            cell.confirmed += hours
        else:
            cell.requested += hours


def role_capacity_grid(*, first_month: date, month_count: int = 12) -> CapacityGrid:
    """Every role × month: capacity of its people, confirmed and requested demand."""
    months = [formulas.add_months(first_month, n) for n in range(month_count)]
    first, last = months[0], formulas.month_end(months[-1])
    month_index = {month: n for n, month in enumerate(months)}
    calendars = _calendars()
    roles = list(Role.objects.order_by("name").values_list("pk", "name"))
    cells = {pk: [CapacityCell() for _ in months] for pk, _ in roles}
    people = _people(Resource.objects.all(), calendars, first, last)
    for _pk, role_id, _name, person in people:
        for n, month in enumerate(months):
            cells[role_id][n].capacity += formulas.person_capacity(person, month)
    # FTE demand converts with the named person's calendar, else the default calendar.
    standard = {
        id(rules): {month: rules.standard_hours(month) for month in months}
        for rules in calendars.values()
    }
    calendar_of = {pk: person.calendar for pk, _role, _name, person in people}
    for role_id, resource_id, *row in _allocations(first, last).values_list(
        "role_id", "resource_id", "pk", "unit", "amount", "start_month", "end_month", "status"
    ):
        rules = calendar_of.get(resource_id, DEFAULT_CALENDAR)
        _add_demand(cells, role_id, row, months, month_index, standard[id(rules)])
    return CapacityGrid(
        months=months, rows=[CapacityRow(pk, name, cells[pk]) for pk, name in roles]
    )


def person_capacity_grid(*, role: Role, first_month: date, month_count: int = 12) -> CapacityGrid:
    """The people of one role × month; demand is what is allocated to each person by name
    (a role-only request has no person yet and shows on the role's row only)."""
    months = [formulas.add_months(first_month, n) for n in range(month_count)]
    first, last = months[0], formulas.month_end(months[-1])
    month_index = {month: n for n, month in enumerate(months)}
    calendars = _calendars()
    people = _people(Resource.objects.filter(role=role), calendars, first, last)
    cells = {pk: [CapacityCell() for _ in months] for pk, *_ in people}
    for pk, _role, _name, person in people:
        for n, month in enumerate(months):
            cells[pk][n].capacity = formulas.person_capacity(person, month)
    standard = {
        pk: {m: person.calendar.standard_hours(m) for m in months} for pk, _r, _n, person in people
    }
    for resource_id, *row in _allocations(
        first, last, resource__in=[p[0] for p in people]
    ).values_list("resource_id", "pk", "unit", "amount", "start_month", "end_month", "status"):
        _add_demand(cells, resource_id, row, months, month_index, standard[resource_id])
    return CapacityGrid(
        months=months,
        rows=[
            CapacityRow(pk, name, cells[pk])
            for pk, _role, name, _p in sorted(people, key=lambda p: p[2])
        ],
    )
