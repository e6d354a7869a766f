"""Capacity, demand and utilisation (docs/formulas.md, "Capacity, demand, utilisation"): the
one implementation the heat map, the conflict list, the API and the reviews use. Hours are
exact Decimals, so "over 100 %" is decided on exact figures, never on rounding noise.

- standard hours of a month = working days (Monday–Friday less the calendar's public holidays)
  × the calendar's hours per day;
- a person's capacity in a month = FTE × hours per day × their working days that month (only
  days between their start and end dates) − leave hours;
- leave hours = working days of the leave in the month × its hours per day (default: a full
  day of that person, FTE × hours per day);
- demand = allocated hours: hours allocations as given, FTE allocations × the standard hours
  of the month;
- utilisation = demand ÷ capacity; strictly above 100 % is a conflict.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from core.months import month_end, month_start

ZERO = Decimal("0")
DEFAULT_HOURS_PER_DAY = Decimal("8")


def working_days(start: date, end: date, holidays: frozenset[date] = frozenset()) -> int:
    """Monday–Friday days in [start, end], less holidays."""
    if end < start:
        return 0
    days = (end - start).days + 1
    full_weeks, rest = divmod(days, 7)
    count = full_weeks * 5
    for offset in range(rest):
        day = start + timedelta(days=full_weeks * 7 + offset)
        if day.weekday() < 5:
            count += 1
    return count - sum(1 for h in holidays if start <= h <= end and h.weekday() < 5)


@dataclass(frozen=True)
class CalendarRules:
    hours_per_day: Decimal = DEFAULT_HOURS_PER_DAY
    holidays: frozenset[date] = frozenset()

    def standard_hours(self, month: date) -> Decimal:
        return self.hours_per_day * working_days(
            month_start(month), month_end(month), self.holidays
        )


@dataclass(frozen=True)
class Leave:
    start: date
    end: date
    hours_per_day: Decimal | None = None  # None: whole days


@dataclass(frozen=True)
class Person:
    fte: Decimal
    start: date
    end: date | None
    calendar: CalendarRules
    leave: tuple[Leave, ...] = ()


def person_capacity(person: Person, month: date) -> Decimal:
    """Available hours of `person` in `month` (never negative)."""
    first, last = month_start(month), month_end(month)
    active_from = max(first, person.start)
    active_to = min(last, person.end) if person.end else last
    if active_to < active_from:
        return ZERO
    rules = person.calendar
    day_hours = person.fte * rules.hours_per_day
    hours = day_hours * working_days(active_from, active_to, rules.holidays)
    for leave in person.leave:
        overlap_from, overlap_to = max(active_from, leave.start), min(active_to, leave.end)
        lost_per_day = min(leave.hours_per_day, day_hours) if leave.hours_per_day else day_hours
        hours -= lost_per_day * working_days(overlap_from, overlap_to, rules.holidays)
    return max(hours, ZERO)


def allocation_hours(unit: str, amount: Decimal, standard_hours: Decimal) -> Decimal:
    """Hours an allocation asks for in one month."""
    return amount if unit == "hours" else amount * standard_hours


def utilisation(demand: Decimal, capacity: Decimal) -> Decimal | None:
    """Demand ÷ capacity as a percentage (None when there is no capacity)."""
    if not capacity:
        return None
    return demand * 100 / capacity


def is_over_allocated(demand: Decimal, capacity: Decimal) -> bool:
    """Strictly more demand than capacity; any demand against zero capacity is a conflict."""
    return demand > capacity


def sum_hours(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)
