"""Reads for the risk pages: a project's risk register, the portfolio risks threatening the
project, the probability × impact counts behind the heat map, the portfolio risk
register with its exposure totals, and who may own a portfolio risk. Every register function
takes the user and starts from `Risk.objects.visible_to(user)`; every count and total adds
`Risk.objects.counted_in_exposure()` (docs/formulas.md, "Risks")."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    DecimalField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)

from core import access
from core.bounds import ID_MAX
from core.money import MONEY
from core.people import by_name
from core.queries import scalar_subquery
from portfolio.models import Portfolio, PortfolioMembership, Program, Role
from projects.models import Project
from risks.models import Risk, RiskStatus
from risks.scoring import (
    LEVELS,
    band_score_ranges,
    probability_percent,
    risk_band,
    risk_exposure_expression,
    risk_score,
    risk_score_expression,
)

STATUS_CHOICES = (("open", "Open"), ("closed", "Closed"), ("all", "All"))
DEFAULT_STATUS = "open"
SCALE_CHOICES = [(level, str(level)) for level in LEVELS]  # probability and impact


class RiskRegisterFilter(django_filters.FilterSet):
    """`?status=open|closed|all&probability=1..5&impact=1..5`; a value that does not parse is
    ignored. "Open" is every risk not closed (monitoring and escalated ones included)."""

    status = django_filters.ChoiceFilter(choices=STATUS_CHOICES, method="filter_status")
    probability = django_filters.TypedChoiceFilter(choices=SCALE_CHOICES, coerce=int)
    impact = django_filters.TypedChoiceFilter(choices=SCALE_CHOICES, coerce=int)

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

    @property
    def probability_percents(self) -> list[int]:
        """For the legend: the probability of each level, in percent."""
        return [probability_percent(level) for level in LEVELS]

    @property
    def band_score_ranges(self) -> list[tuple[str, int, int]]:
        """For the legend: (band, lowest score, highest score)."""
        return band_score_ranges()


def _with_joins(queryset: QuerySet[Risk]) -> QuerySet[Risk]:
    """Owner and escalation target joined; ordered by score in SQL."""
    return queryset.select_related("owner", "escalated_to").by_score()


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
    """(probability, impact) → number of the project's open risks, in one aggregate query; an
    escalated one counts in its portfolio risk, not here. Counted distinct: `visible_to` may
    join the threatened projects."""
    rows = (
        Risk.objects.visible_to(user)
        .counted_in_exposure()
        .filter(project=project)
        .order_by()
        .values("probability", "impact")
        .annotate(count=Count("pk", distinct=True))
    )
    return {(row["probability"], row["impact"]): row["count"] for row in rows}


def heat_map_bands() -> dict[tuple[int, int], str]:
    """(probability, impact) → the band of that cell of the heat map (risks.scoring), which
    colours it."""
    return {(p, i): risk_band(risk_score(p, i)) for p in LEVELS for i in LEVELS}


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


# --- The portfolio risk register ------------------------------------------------------------

LEVEL_CHOICES = (("all", "All"), ("portfolio", "Portfolio"), ("project", "Project"))
DEFAULT_LEVEL = "all"
PORTFOLIO_FILTER_KEYS = ("status", "level", "probability", "impact", "program")


class PortfolioRiskFilter(RiskRegisterFilter):
    """The project register's filters plus `?level=portfolio|project|all` and
    `?program=<id>`: the program's project risks and the portfolio risks threatening one of
    its projects."""

    level = django_filters.ChoiceFilter(choices=LEVEL_CHOICES, method="filter_level")
    program = django_filters.NumberFilter(method="filter_program", min_value=1, max_value=ID_MAX)

    class Meta(RiskRegisterFilter.Meta):
        fields = PORTFOLIO_FILTER_KEYS

    def filter_level(self, queryset, name, value):
        if value == "portfolio":
            return queryset.portfolio_level()
        if value == "project":
            return queryset.project_level()
        return queryset

    def filter_program(self, queryset, name, value):
        return queryset.filter(pk__in=_touching_program(value))


def _touching_program(program) -> QuerySet[Risk]:
    """Ids of the risks of a program's projects and of the portfolio risks threatening them;
    `program` is an id or an OuterRef."""
    return Risk.objects.filter(
        Q(project__program=program) | Q(threatened_projects__program=program)
    ).values("pk")


@dataclass(frozen=True)
class PortfolioRegisterFilters:
    status: str
    level: str
    probability: int | None
    impact: int | None
    program: int | None

    @property
    def cell(self) -> tuple[int, int] | None:
        if self.probability and self.impact:
            return self.probability, self.impact
        return None


@dataclass(frozen=True)
class ExposureTotals:
    """Open risks and their exposure, each risk once however many projects it threatens; a
    project risk escalated into a portfolio risk is counted in that portfolio risk."""

    open_risk_count: int
    exposure: Decimal
    portfolio_level_count: int
    portfolio_level_exposure: Decimal
    project_level_count: int
    project_level_exposure: Decimal


@dataclass(frozen=True)
class PortfolioRiskRegister:
    portfolio: Portfolio
    filters: PortfolioRegisterFilters
    risks: QuerySet[Risk]  # filtered, joined and ordered; the page paginates it
    heat_map_cells: dict[tuple[int, int], int]
    totals: ExposureTotals
    programs: list[Program]  # each with `open_risk_count` and `risk_exposure`

    @property
    def program(self) -> Program | None:
        """The program the register is filtered on, if it is one of the portfolio's."""
        return next((p for p in self.programs if p.pk == self.filters.program), None)


def _portfolio_risks(*, portfolio: Portfolio, user) -> QuerySet[Risk]:
    """The portfolio's risks the user sees, one row each: visibility may join the
    threatened projects, so it is applied as `pk IN (…)` and sums and counts stay exact."""
    return Risk.objects.filter(
        portfolio=portfolio, pk__in=Risk.objects.visible_to(user).values("pk")
    )


def _filter(data: dict, queryset: QuerySet[Risk]) -> tuple[QuerySet[Risk], dict]:
    filterset = PortfolioRiskFilter(data, queryset=queryset)
    return filterset.qs, filterset.form.cleaned_data


def portfolio_risk_register(*, portfolio: Portfolio, user, filters=None) -> PortfolioRiskRegister:
    """The portfolio's risk register over what the user sees, filtered by `filters` (a
    QueryDict or dict: status, level, probability, impact, program).

    The heat map counts the open risks under the level and program filters (a cell opens
    the open risks in it, escalated project risks among them, marked: they count in their
    portfolio risk); the exposure totals are the whole portfolio's. Four queries besides the
    page of risks (count, rows, threatened projects)."""
    data = {key: (filters or {}).get(key) for key in PORTFOLIO_FILTER_KEYS}
    if data["status"] not in dict(STATUS_CHOICES):
        data["status"] = DEFAULT_STATUS
    if data["level"] not in dict(LEVEL_CHOICES):
        data["level"] = DEFAULT_LEVEL
    visible = _portfolio_risks(portfolio=portfolio, user=user)
    risks, cleaned = _filter(data, visible)
    in_cells, _ = _filter({**data, "status": "open", "probability": None, "impact": None}, visible)
    return PortfolioRiskRegister(
        portfolio=portfolio,
        filters=PortfolioRegisterFilters(
            status=cleaned["status"],
            level=cleaned["level"],
            probability=cleaned.get("probability") or None,
            impact=cleaned.get("impact") or None,
            program=int(cleaned["program"]) if cleaned.get("program") else None,
        ),
        risks=_register_rows(risks, user=user),
        heat_map_cells=_cells(in_cells.counted_in_exposure()),
        totals=exposure_totals(risks=visible),
        programs=program_exposures(portfolio=portfolio, risks=visible, user=user),
    )


def _register_rows(risks: QuerySet[Risk], *, user) -> QuerySet[Risk]:
    """By score, then exposure, highest first; a portfolio risk lists the projects it
    threatens that the user sees."""
    return (
        risks.select_related("project__program", "owner", "escalated_to")
        .prefetch_related(
            Prefetch(
                "threatened_projects",
                queryset=Project.objects.visible_to(user).only("pk", "code", "name"),
            )
        )
        .annotate(score_value=risk_score_expression(), exposure_value=risk_exposure_expression())
        .order_by("-score_value", "-exposure_value", "pk")
    )


def _cells(risks: QuerySet[Risk]) -> dict[tuple[int, int], int]:
    rows = risks.order_by().values("probability", "impact").annotate(count=Count("pk"))
    return {(row["probability"], row["impact"]): row["count"] for row in rows}


def exposure_totals(*, risks: QuerySet[Risk]) -> ExposureTotals:
    """One aggregate over the ones of `risks` counted in exposure (one row per risk)."""
    exposure = risk_exposure_expression()
    portfolio_level = Q(project__isnull=True)
    totals = risks.counted_in_exposure().aggregate(
        open_risk_count=Count("pk"),
        exposure=Sum(exposure),
        portfolio_level_count=Count("pk", filter=portfolio_level),
        portfolio_level_exposure=Sum(exposure, filter=portfolio_level),
        project_level_count=Count("pk", filter=~portfolio_level),
        project_level_exposure=Sum(exposure, filter=~portfolio_level),
    )
    # Counts are never null; a sum over no rows is.
    return ExposureTotals(
        **{key: Decimal("0") if value is None else value for key, value in totals.items()}
    )


def program_exposures(*, portfolio: Portfolio, risks: QuerySet[Risk], user) -> list[Program]:
    """The portfolio's programs, each annotated with `open_risk_count` and `risk_exposure`
    over the ones of `risks` counted in exposure that touch it: its projects' risks and the
    portfolio risks threatening any of its projects, each once however many of them it
    threatens. One query."""
    touching = risks.counted_in_exposure().filter(
        pk__in=_touching_program(OuterRef(OuterRef("pk")))
    )
    return list(
        Program.objects.visible_to(user)
        .filter(portfolio=portfolio)
        .annotate(
            open_risk_count=scalar_subquery(
                touching,
                group_by="portfolio",
                aggregate=Count("pk"),
                output_field=IntegerField(),
            ),
            risk_exposure=scalar_subquery(
                touching,
                group_by="portfolio",
                aggregate=Sum(risk_exposure_expression()),
                output_field=DecimalField(**MONEY),
            ),
        )
        .order_by("name", "pk")
    )


# --- Who owns a portfolio risk made by escalation -------------------------------------------

DEFAULT_OWNER_ROLES = (Role.PORTFOLIO_MANAGER, Role.PMO)  # in order of preference


def portfolio_risk_owners(*, portfolio: Portfolio, project: Project) -> QuerySet:
    """The active people who see a portfolio risk of `portfolio` that threatens `project`
    (`core.access.filter_visible_risks`): PMO admins, the portfolio's members and the
    project's manager; by name. A sponsor, or another project's manager, sees the portfolio
    but not its portfolio risks, so cannot own one."""
    users = get_user_model().objects
    members = PortfolioMembership.objects.filter(portfolio=portfolio).values("user_id")
    return by_name(users).filter(
        Q(
            pk__in=users.with_perm(
                access.PMO_ADMIN_PERMISSION, backend=access.PERMISSION_BACKEND
            ).values("pk")
        )
        | Q(pk__in=members)
        | Q(pk=project.manager_id),
        is_active=True,
    )


def default_portfolio_risk_owner(*, portfolio: Portfolio, escalated_by):
    """The owner a portfolio risk made by escalation gets unless told otherwise: the
    portfolio's portfolio manager, else its PMO (the earliest appointed active one), else the
    person escalating. One query."""
    memberships = (
        PortfolioMembership.objects.filter(
            portfolio=portfolio, role__in=DEFAULT_OWNER_ROLES, user__is_active=True
        )
        .select_related("user")
        .order_by("pk")
    )
    by_role = {}
    for membership in memberships:
        by_role.setdefault(membership.role, membership.user)
    return next((by_role[r] for r in DEFAULT_OWNER_ROLES if r in by_role), escalated_by)
