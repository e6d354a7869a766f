"""Reads for the portfolio domain: which strategic objectives are in force, and the
portfolio's programs, strategic objectives and top portfolio risks for the dashboards.

Every KPI on the pages comes from `reporting.kpis` (through `reporting.dashboard`); this
module only lists portfolio objects, each in one query. Functions that take a `user` apply
`visible_to(user)` themselves.
"""

from __future__ import annotations

from datetime import date

from django.db.models import BooleanField, ExpressionWrapper, Q

from portfolio.models import Portfolio, Program, StrategicObjective
from risks.models import Risk

TOP_PORTFOLIO_RISKS = 10


# --- SQL building blocks ------------------------------------------------------------------


def active_on(as_of: date) -> Q:
    """Strategic objectives in force on `as_of` (prefix-free, for StrategicObjective)."""
    return Q(active_from__lte=as_of) & (Q(active_until__isnull=True) | Q(active_until__gte=as_of))


# --- Portfolio objects for the dashboards -------------------------------------------------


def portfolio_programs(*, portfolio: Portfolio, user) -> list[Program]:
    return list(
        Program.objects.visible_to(user)
        .filter(portfolio=portfolio)
        .select_related("manager")
        .order_by("name", "pk")
    )


def portfolio_objectives(*, portfolio: Portfolio, user, as_of: date) -> list[StrategicObjective]:
    """The portfolio's objectives, heaviest first, each annotated `is_active` on `as_of`."""
    return list(
        StrategicObjective.objects.visible_to(user)
        .filter(portfolio=portfolio)
        .annotate(is_active=ExpressionWrapper(active_on(as_of), output_field=BooleanField()))
        .order_by("-weight", "name")
    )


def top_portfolio_risks(*, portfolio: Portfolio, user) -> list[Risk]:
    """The open portfolio-level risks with the highest score (then cost impact)."""
    return list(
        Risk.objects.visible_to(user)
        .open()
        .portfolio_level()
        .filter(portfolio=portfolio)
        .select_related("owner")
        .by_score()[:TOP_PORTFOLIO_RISKS]
    )
