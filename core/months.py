"""Calendar-month arithmetic: every monthly grid, allocation range and review period uses it."""

import calendar
from datetime import date


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_count(first: date, last: date) -> int:
    """Calendar months from `first`'s month to `last`'s month, both included."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


def months_between(first: date, last: date) -> list[date]:
    """First days of every month from `first`'s month to `last`'s month, inclusive."""
    return [add_months(first, offset) for offset in range(max(month_count(first, last), 0))]


def shift_months(day: date, months: int) -> date:
    """`day` moved by whole months, its day of the month kept, and a month's last day kept
    the last: 15 Jan 2027 + 1 → 15 Feb 2027, 31 Jan 2027 + 1 → 28 Feb 2027, 28 Feb 2027 + 2 →
    30 Apr 2027. How a plan moves with its start."""
    first = add_months(day, months)
    last_day = calendar.monthrange(first.year, first.month)[1]
    if day == month_end(day):
        return first.replace(day=last_day)
    return first.replace(day=min(day.day, last_day))


def month_key_offset(day: date, month_key: str) -> int:
    """Months from `day`'s month to the month "YYYY-MM" (negative: earlier)."""
    year, month = int(month_key[:4]), int(month_key[5:7])
    return (year - day.year) * 12 + month - day.month
