"""Reporting periods: monthly (calendar month) or weekly (Monday to Sunday), per portfolio."""

from __future__ import annotations

import calendar
from datetime import date, timedelta


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
