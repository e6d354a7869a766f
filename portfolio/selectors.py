"""Reads for the portfolio pages: the portfolio list, portfolio and program rollups and the
project table. Every figure is an aggregate or a subquery in SQL, so a page's query count
does not depend on how many projects, cost entries or risks there are (DESIGN.md §7).

Callers pass querysets that already went through `visible_to(user)`; the functions that take
a `user` apply it themselves. Nothing here lists or sums a row the user may not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import django_filters
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from portfolio.models import MONEY, Portfolio, Program, StrategicObjective
from projects.models import CostEntry, Project, ReportState, StatusReport
from projects.querysets import ACTIVE_STAGES, Stage
from risks import scoring
from risks.models import Risk

MONEY_FIELD = DecimalField(**MONEY)
TOP_PORTFOLIO_RISKS = 10


# --- SQL building blocks ------------------------------------------------------------------


def _money_zero():
    return Value(Decimal("0"), output_field=DecimalField(**MONEY))


def scalar_subquery(queryset: QuerySet, *, group_by: str, aggregate, output_field):
    """One aggregate over the rows of `queryset` that belong to the outer row.

    `queryset` must already be filtered on an `OuterRef`; grouping by that same column makes
    the subquery return exactly one row (or none, hence the Coalesce)."""
    rows = queryset.order_by().values(group_by).annotate(value=aggregate).values("value")
    zero = (
        Value(0, output_field=IntegerField())
        if isinstance(output_field, IntegerField)
        else _money_zero()
    )
    return Coalesce(Subquery(rows, output_field=output_field), zero, output_field=output_field)


def risk_exposure_expression():
    """Exposure = probability % × cost impact (risks.scoring), as a SQL expression."""
    return Case(
        *[
            When(probability=level, then=F("cost_impact") * Value(share))
            for level, share in scoring.PROBABILITY_BY_LEVEL.items()
        ],
        default=_money_zero(),
        output_field=DecimalField(**MONEY),
    )


def risk_score_expression():
    """Score = probability × impact (risks.scoring), for ordering in SQL."""
    return ExpressionWrapper(F("probability") * F("impact"), output_field=IntegerField())


# --- Portfolio list -----------------------------------------------------------------------


def portfolio_list_for(*, user, as_of: date) -> QuerySet[Portfolio]:
    """The portfolios the user sees, each annotated with rollups over what the user sees:
    `project_count`, `active_project_count`, `budget_at_completion`, `actual_cost_to_date`,
    `open_risk_count`."""
    projects = Project.objects.visible_to(user).filter(portfolio=OuterRef("pk"))
    costs = CostEntry.objects.visible_to(user).filter(
        project__portfolio=OuterRef("pk"), date__lte=as_of
    )
    # visible_to on risks may join the threatened projects, so count each risk once.
    risks = Risk.objects.visible_to(user).open().filter(portfolio=OuterRef("pk"))
    return (
        Portfolio.objects.visible_to(user)
        .annotate(
            project_count=scalar_subquery(
                projects, group_by="portfolio", aggregate=Count("pk"), output_field=IntegerField()
            ),
            active_project_count=scalar_subquery(
                projects.active(),
                group_by="portfolio",
                aggregate=Count("pk"),
                output_field=IntegerField(),
            ),
            budget_at_completion=scalar_subquery(
                projects, group_by="portfolio", aggregate=Sum("budget"), output_field=MONEY_FIELD
            ),
            actual_cost_to_date=scalar_subquery(
                costs,
                group_by="project__portfolio",
                aggregate=Sum("amount"),
                output_field=MONEY_FIELD,
            ),
            open_risk_count=scalar_subquery(
                risks,
                group_by="portfolio",
                aggregate=Count("pk", distinct=True),
                output_field=IntegerField(),
            ),
        )
        .order_by("name", "pk")
    )


# --- Rollups for a portfolio or a program -------------------------------------------------


@dataclass(frozen=True)
class StageCount:
    stage: str
    label: str
    count: int


@dataclass(frozen=True)
class Rollup:
    """Totals over a set of projects and the open risks that bear on them."""

    project_count: int
    active_project_count: int
    stage_counts: tuple[StageCount, ...]
    budget_at_completion: Decimal
    actual_cost_to_date: Decimal
    open_risk_count: int
    risk_exposure: Decimal


def rollup(*, projects: QuerySet[Project], open_risks: QuerySet[Risk], as_of: date) -> Rollup:
    """Three queries whatever the size: projects by stage (with BAC), actual cost, risks."""
    by_stage = {
        row["stage"]: row
        for row in projects.order_by()
        .values("stage")
        .annotate(count=Count("pk"), budget=Sum("budget"))
    }
    actual_cost = CostEntry.objects.filter(
        project__in=projects.order_by().values("pk"), date__lte=as_of
    ).aggregate(total=Sum("amount"))["total"]
    # `open_risks` may be .distinct() (visibility joins); aggregate() then wraps it in a
    # subquery, so a risk linked to several projects still counts once.
    risk_totals = open_risks.aggregate(count=Count("pk"), exposure=Sum(risk_exposure_expression()))
    stage_counts = tuple(
        StageCount(stage=stage.value, label=stage.label, count=by_stage[stage.value]["count"])
        for stage in Stage
        if stage.value in by_stage
    )
    return Rollup(
        project_count=sum(s.count for s in stage_counts),
        active_project_count=sum(s.count for s in stage_counts if s.stage in ACTIVE_STAGES),
        stage_counts=stage_counts,
        budget_at_completion=sum(
            (row["budget"] or Decimal("0") for row in by_stage.values()), Decimal("0")
        ),
        actual_cost_to_date=actual_cost or Decimal("0"),
        open_risk_count=risk_totals["count"],
        risk_exposure=risk_totals["exposure"] or Decimal("0"),
    )


@dataclass(frozen=True)
class PortfolioSummary:
    portfolio: Portfolio
    rollup: Rollup
    programs: list[Program]
    objectives: list[StrategicObjective]
    top_risks: list[Risk]


def portfolio_summary(*, portfolio: Portfolio, user, as_of: date) -> PortfolioSummary:
    """Header figures of the portfolio page, over what the user may see of the portfolio."""
    projects = Project.objects.visible_to(user).filter(portfolio=portfolio)
    open_risks = Risk.objects.visible_to(user).open().filter(portfolio=portfolio)
    program_projects = Project.objects.visible_to(user).filter(program=OuterRef("pk"))
    programs = list(
        Program.objects.visible_to(user)
        .filter(portfolio=portfolio)
        .select_related("manager")
        .annotate(
            project_count=scalar_subquery(
                program_projects,
                group_by="program",
                aggregate=Count("pk"),
                output_field=IntegerField(),
            ),
            budget_at_completion=scalar_subquery(
                program_projects,
                group_by="program",
                aggregate=Sum("budget"),
                output_field=MONEY_FIELD,
            ),
        )
        .order_by("name", "pk")
    )
    objectives = list(
        StrategicObjective.objects.visible_to(user)
        .filter(portfolio=portfolio)
        .annotate(
            is_active=ExpressionWrapper(
                Q(active_from__lte=as_of)
                & (Q(active_until__isnull=True) | Q(active_until__gte=as_of)),
                output_field=BooleanField(),
            )
        )
        .order_by("-weight", "name")
    )
    top_risks = list(
        open_risks.portfolio_level()
        .select_related("owner")
        .annotate(score_value=risk_score_expression())
        .order_by("-score_value", "-cost_impact", "pk")[:TOP_PORTFOLIO_RISKS]
    )
    return PortfolioSummary(
        portfolio=portfolio,
        rollup=rollup(projects=projects, open_risks=open_risks, as_of=as_of),
        programs=programs,
        objectives=objectives,
        top_risks=top_risks,
    )


def program_summary(*, program: Program, user, as_of: date) -> Rollup:
    """KPIs of a program: its projects, their risks and the portfolio risks threatening them."""
    projects = Project.objects.visible_to(user).filter(program=program)
    open_risks = (
        Risk.objects.visible_to(user)
        .open()
        .filter(Q(project__program=program) | Q(threatened_projects__program=program))
        .distinct()
    )
    return rollup(projects=projects, open_risks=open_risks, as_of=as_of)


# --- The project table (portfolio and program pages) --------------------------------------


class ProjectFilter(django_filters.FilterSet):
    """`?program=<id>&stage=<stage>`; a value that does not parse is ignored, not an error."""

    program = django_filters.NumberFilter(field_name="program_id")
    stage = django_filters.ChoiceFilter(choices=Stage.choices)

    class Meta:
        model = Project
        fields = ("program", "stage")


def project_rows(*, queryset: QuerySet[Project], filters, as_of: date) -> QuerySet[Project]:
    """Rows of the project table: `queryset` (already visible_to the user) filtered by
    `filters` (a QueryDict or dict), with program and manager joined and
    `actual_cost_to_date`, `latest_percent_complete` and `latest_overall_rag` (of the latest
    submitted status report on or before `as_of`) annotated."""
    filtered = ProjectFilter(filters or None, queryset=queryset).qs
    costs = CostEntry.objects.filter(project=OuterRef("pk"), date__lte=as_of)
    latest_report = StatusReport.objects.filter(
        project=OuterRef("pk"), state=ReportState.SUBMITTED, period_start__lte=as_of
    ).order_by("-period_start")
    return (
        filtered.select_related("program", "manager")
        .annotate(
            actual_cost_to_date=scalar_subquery(
                costs, group_by="project", aggregate=Sum("amount"), output_field=MONEY_FIELD
            ),
            latest_percent_complete=Subquery(latest_report.values("percent_complete")[:1]),
            latest_overall_rag=Subquery(latest_report.values("overall_rag")[:1]),
        )
        .order_by("code", "pk")
    )
