"""Time travel: the "as of" date the dashboards and the project page take from `?as_of=`,
and the choices of the selector beside their title (includes/as_of_selector.html)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from core.bounds import parse_date_param


def requested_as_of(request) -> date:
    """`?as_of=YYYY-MM-DD` (e.g. a stored review's period end), never after today."""
    today = timezone.localdate()
    return min(parse_date_param(request.GET.get("as_of")) or today, today)


@dataclass(frozen=True)
class AsOfChoice:
    value: str  # "YYYY-MM-DD", or "" for today
    label: str
    selected: bool


def as_of_choices(as_of: date, dates: Iterable[tuple[date, str]]) -> list[AsOfChoice]:
    """ "Today", then each (date, label) newest first, the one at `as_of` selected; an `as_of`
    that is none of them (a date from a link or a chart) is listed and selected as itself."""
    today = timezone.localdate()
    listed = [
        AsOfChoice(f"{day:%Y-%m-%d}", label, day == as_of and as_of != today)
        for day, label in sorted(dates, key=lambda pair: pair[0], reverse=True)
    ]
    if as_of != today and not any(choice.selected for choice in listed):
        listed.insert(0, AsOfChoice(f"{as_of:%Y-%m-%d}", f"{as_of.day} {as_of:%b %Y}", True))
    return [AsOfChoice("", "Today", as_of == today), *listed]
