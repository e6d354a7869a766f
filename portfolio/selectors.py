"""Reads for the portfolio domain: which strategic objectives are in force, the portfolio's
programs, strategic objectives and top portfolio risks for the dashboards, and the rows of the
scoring, candidate and scenario pages.

Every KPI on the pages comes from `reporting.kpis` (through `reporting.dashboard`); this
module only lists portfolio objects, each in one query. Functions that take a `user` apply
`visible_to(user)` themselves.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    Q,
    QuerySet,
)

from portfolio.models import (
    Portfolio,
    Program,
    ProjectScore,
    Scenario,
    ScoringCriterion,
    StrategicObjective,
)
from projects.models import Project
from resources.models import Allocation
from risks.models import Risk

TOP_PORTFOLIO_RISKS = 10


# --- Filters -------------------------------------------------------------------------------


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


# --- Scoring, candidate and scenario pages --------------------------------------------------


def scoring_criteria(*, portfolio: Portfolio, user) -> list[ScoringCriterion]:
    """The portfolio's scoring criteria, heaviest first."""
    return list(
        ScoringCriterion.objects.visible_to(user)
        .filter(portfolio=portfolio)
        .order_by("-weight", "name")
    )


def project_scores(*, project: Project) -> dict[int, Decimal]:
    """The project's score per criterion id (the project is one the caller sees)."""
    return dict(ProjectScore.objects.filter(project=project).values_list("criterion_id", "score"))


def requested_allocations(*, project: Project) -> list[Allocation]:
    """The allocations a candidate's business case requested, by first month."""
    return list(project.allocations.select_related("role").order_by("start_month"))


def forced_projects(*, scenario: Scenario) -> tuple[QuerySet[Project], QuerySet[Project]]:
    """The projects the scenario forces in and out, by code."""
    return scenario.forced_in.order_by("code"), scenario.forced_out.order_by("code")


def stopped_projects(*, scenario: Scenario) -> QuerySet[Project]:
    """The running projects the scenario stops, by code."""
    return scenario.stopped.order_by("code")


def compared_scenarios(*, portfolio: Portfolio, user, pks: list[int]) -> list[Scenario]:
    """The portfolio's scenarios among `pks`, in the order of `pks`."""
    chosen = list(Scenario.objects.visible_to(user).filter(portfolio=portfolio, pk__in=pks))
    chosen.sort(key=lambda scenario: pks.index(scenario.pk))
    return chosen
