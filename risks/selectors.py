"""Reads for the risk pages: a project's risk register, the portfolio risks threatening the
project, and the probability × impact counts behind the heat map. Every function takes the
user and starts from `Risk.objects.visible_to(user)`."""

from __future__ import annotations

from dataclasses import dataclass

import django_filters
from django.db.models import Count, ExpressionWrapper, F, IntegerField, QuerySet

from projects.models import Project
from risks.models import Risk, RiskStatus

STATUS_CHOICES = (("open", "Open"), ("closed", "Closed"), ("all", "All"))
DEFAULT_STATUS = "open"
LEVELS = [(level, str(level)) for level in range(1, 6)]


class RiskRegisterFilter(django_filters.FilterSet):
    """`?status=open|closed|all&probability=1..5&impact=1..5`; a value that does not parse is
    ignored. "Open" is every risk not closed (monitoring and escalated ones included)."""

    status = django_filters.ChoiceFilter(choices=STATUS_CHOICES, method="filter_status")
    probability = django_filters.TypedChoiceFilter(choices=LEVELS, coerce=int)
    impact = django_filters.TypedChoiceFilter(choices=LEVELS, coerce=int)

    class Meta:
        model = Risk
        fields = ("status", "probability", "impact")

    def filter_status(self, queryset, name, value):
        if value == "open":
            return queryset.open()
        if value == "closed":
            return queryset.filter(status=RiskStatus.CLOSED)
        return queryset


@dataclass(frozen=True)
class RegisterFilters:
    status: str
    probability: int | None
    impact: int | None

    @property
    def cell(self) -> tuple[int, int] | None:
        if self.probability and self.impact:
            return self.probability, self.impact
        return None


@dataclass(frozen=True)
class RiskRegister:
    project: Project
    filters: RegisterFilters
    risks: list[Risk]
    threatening_risks: list[Risk]
    heat_map_cells: dict[tuple[int, int], int]

    @property
    def open_risk_count(self) -> int:
        return sum(self.heat_map_cells.values())


def _with_joins(queryset: QuerySet[Risk]) -> QuerySet[Risk]:
    """Owner and escalation target joined; ordered by score (risks.scoring) in SQL."""
    return (
        queryset.select_related("owner", "escalated_to")
        .annotate(score_value=ExpressionWrapper(F("probability") * F("impact"), IntegerField()))
        .order_by("-score_value", "-cost_impact", "pk")
    )


def project_risks(
    *, project: Project, user, filters=None
) -> tuple[QuerySet[Risk], RegisterFilters]:
    """The project's own risks the user sees, filtered by `filters` (a QueryDict or dict)."""
    data = {key: (filters or {}).get(key) for key in ("status", "probability", "impact")}
    if data["status"] not in dict(STATUS_CHOICES):
        data["status"] = DEFAULT_STATUS
    filterset = RiskRegisterFilter(
        data, queryset=Risk.objects.visible_to(user).filter(project=project)
    )
    queryset = _with_joins(filterset.qs)
    cleaned = filterset.form.cleaned_data
    return queryset, RegisterFilters(
        status=cleaned["status"],
        probability=cleaned.get("probability") or None,
        impact=cleaned.get("impact") or None,
    )


def threatening_risks(*, project: Project, user) -> QuerySet[Risk]:
    """Portfolio risks that threaten the project."""
    return _with_joins(
        Risk.objects.visible_to(user).portfolio_level().filter(threatened_projects=project)
    )


def heat_map_cells(*, project: Project, user) -> dict[tuple[int, int], int]:
    """(probability, impact) → number of the project's open risks, in one aggregate query.
    Counted distinct: `visible_to` may join the threatened projects."""
    rows = (
        Risk.objects.visible_to(user)
        .open()
        .filter(project=project)
        .order_by()
        .values("probability", "impact")
        .annotate(count=Count("pk", distinct=True))
    )
    return {(row["probability"], row["impact"]): row["count"] for row in rows}


def project_risk_register(*, project: Project, user, filters=None) -> RiskRegister:
    """Everything the register page shows, in a fixed number of queries (three)."""
    risks, applied = project_risks(project=project, user=user, filters=filters)
    return RiskRegister(
        project=project,
        filters=applied,
        risks=list(risks),
        threatening_risks=list(threatening_risks(project=project, user=user)),
        heat_map_cells=heat_map_cells(project=project, user=user),
    )
