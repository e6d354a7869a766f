"""Reporting periods: monthly (calendar month) or weekly (Monday to Sunday), per portfolio."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from functools import lru_cache


def period_containing(kind: str, day: date) -> tuple[date, date]:
    if kind == "weekly":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    start = day.replace(day=1)
    return start, day.replace(day=calendar.monthrange(day.year, day.month)[1])


def previous_period(kind: str, period_start: date) -> tuple[date, date]:
    return period_containing(kind, period_start - timedelta(days=1))


def period_label(kind: str, period_start: date) -> str:
    if kind == "weekly":
        return f"Week of {period_start:%d %b %Y}"
    return f"{period_start:%B %Y}"


# Days after a period's end within which its report is still on time.
REPORT_GRACE_DAYS = 5


@lru_cache(maxsize=256)  # called once per project row of a roll-up, with a handful of dates
def status_date_due(kind: str, as_of: date, grace_days: int = REPORT_GRACE_DAYS) -> date:
    """The status date a project should have reached by `as_of`: the end of the latest period
    whose grace days are over. A status date before it lags `as_of` by more than one period
    plus the grace days (docs/formulas.md, "Status date")."""
    start, _ = period_containing(kind, as_of - timedelta(days=grace_days))
    return start - timedelta(days=1)
