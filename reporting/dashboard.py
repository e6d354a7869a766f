"""Dashboard reads: the portfolio overview, the portfolio dashboard and the program page.
Every figure comes from the roll-up selectors of `reporting.kpis` (`portfolio_kpis`,
`program_kpis`, `portfolios_kpis`, read through `reporting.kpi_cache`) over the projects the
user may see, and is grouped, filtered, sorted and paginated here in Python, so a page's
query count does not depend on how many projects there are (docs/performance.md). The few
other reads (programs, objectives, risks, dependencies, strategic alignment, roadmap
milestones) are one aggregate or list query each."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from django import forms
from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse

import charts
from core import access
from core.links import url_for_id
from portfolio.models import (
    EacBasis,
    ObjectiveContribution,
    Portfolio,
    Program,
    StrategicObjective,
)
from portfolio.selectors import portfolio_objectives, portfolio_programs, top_portfolio_risks
from portfolio.strategy import strategic_alignment
from projects.dependencies import DependencyEdge, dependency_layers
from projects.evm import RAG_ORDER
from projects.models import Milestone, Project, ProjectDependency
from projects.periods import period_containing, period_label, previous_period
from projects.querysets import ACTIVE_STAGES, Stage
from reporting import kpi_cache, kpi_sql, kpis
from reporting.kpis import KpiRollup, KpiScope, MilestoneDates, PortfolioKpis, ProjectKpis
from risks.models import Risk, RiskStatus
from risks.selectors import heat_map_bands

DEFAULT_SLIP_DAYS = 30
SHOWN_PRECISION = {"money": Decimal("1"), "ratio": Decimal("0.01")}  # as the tiles show them
EXCEPTION_LIMIT = 8  # items shown per exception list; the rest are a link to the table
ESCALATED_RISK_LIMIT = 50
DEPENDENCY_CHART_LIMIT = 40  # edges on the dependency chart (late ones first): readable, fast
ROADMAP_NOTE = "the projects on this page of the table"
CLOSED_STAGES = (Stage.CLOSED, Stage.CANCELLED)

HEALTH_CHOICES = (
    ("green", "Green"),
    ("amber", "Amber"),
    ("red", "Red"),
    ("none", "Not computable"),
    ("watermelon", "Watermelon"),
)
FLAG_CHOICES = (
    ("over-budget", "Forecast over budget"),
    ("optimistic-forecast", "Forecast more optimistic than the numbers"),
    ("report-missing", "Status report missing"),
    ("late-milestones", "Late milestones"),
    ("slipping", "Milestone slipping more than N days"),
    ("late-dependency", "Waiting on a late dependency"),
)
SORT_COLUMNS = (
    "code", "name", "budget", "ac", "eac", "cpi", "spi", "percent", "status", "health", "end",
)  # fmt: skip


# --- Table query: filters and sort from the URL ---------------------------------------------


class _TableQueryForm(forms.Form):
    """Parses `?program=&stage=&health=&manager=&objective=&flag=&sort=&slip=`; a value that
    does not parse is ignored (the field drops out of cleaned_data), never an error page."""

    program = forms.IntegerField(required=False)
    stage = forms.ChoiceField(choices=Stage.choices, required=False)
    health = forms.ChoiceField(choices=HEALTH_CHOICES, required=False)
    manager = forms.IntegerField(required=False)
    objective = forms.IntegerField(required=False)
    flag = forms.ChoiceField(choices=FLAG_CHOICES, required=False)
    sort = forms.ChoiceField(
        choices=[(c, c) for c in SORT_COLUMNS] + [(f"-{c}", c) for c in SORT_COLUMNS],
        required=False,
    )
    slip = forms.IntegerField(min_value=0, max_value=3650, required=False)


@dataclass(frozen=True)
class TableQuery:
    program: int | None = None
    stage: str = ""
    health: str = ""
    manager: int | None = None
    objective: int | None = None
    flag: str = ""
    sort: str = ""
    slip_days: int = DEFAULT_SLIP_DAYS

    @classmethod
    def from_params(cls, params: Mapping | None) -> TableQuery:
        form = _TableQueryForm(params or {})
        form.is_valid()
        data = {name: value for name, value in form.cleaned_data.items() if value not in ("", None)}
        slip_days = data.pop("slip", DEFAULT_SLIP_DAYS)
        return cls(**data, slip_days=slip_days)

    @property
    def is_filtered(self) -> bool:
        return any((self.program, self.stage, self.health, self.manager, self.objective, self.flag))

    @property
    def sort_column(self) -> str:
        return self.sort.lstrip("-") or "code"

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    def as_form_values(self) -> dict[str, str]:
        """The values the filter form shows back, as strings."""
        return {
            "program": str(self.program or ""),
            "stage": self.stage,
            "health": self.health,
            "manager": str(self.manager or ""),
            "objective": str(self.objective or ""),
            "flag": self.flag,
            "sort": self.sort,
            "slip": str(self.slip_days),
        }


def _health_rank(row: ProjectKpis):
    return RAG_ORDER.get(row.computed_health)


SORT_KEYS: dict[str, Callable[[ProjectKpis], object]] = {
    "code": lambda r: r.project.code,
    "name": lambda r: r.project.name.lower(),
    "budget": lambda r: r.project.budget,
    "ac": lambda r: r.earned_value.actual_cost,
    "eac": lambda r: r.earned_value.estimate_at_completion,
    "cpi": lambda r: r.earned_value.cost_performance_index,
    "spi": lambda r: r.earned_value.schedule_performance_index,
    "percent": lambda r: r.percent_complete,
    "status": lambda r: r.status_date,
    "health": _health_rank,
    "end": lambda r: r.project.end_date,
}


def sort_rows(rows: Iterable[ProjectKpis], query: TableQuery) -> list[ProjectKpis]:
    """Sorted by the query's column (code by default); rows without a value (no CPI yet, no
    health) go last in either direction; ties keep code order."""
    key = SORT_KEYS[query.sort_column]
    rows = sorted(rows, key=lambda r: r.project.code)
    known = [r for r in rows if key(r) is not None]
    unknown = [r for r in rows if key(r) is None]
    return sorted(known, key=key, reverse=query.descending) + unknown


def filter_rows(
    rows: Iterable[ProjectKpis],
    query: TableQuery,
    *,
    objective_project_ids: set[int] | None = None,
) -> list[ProjectKpis]:
    def keep(row: ProjectKpis) -> bool:
        project = row.project
        if query.program and project.program_id != query.program:
            return False
        if query.stage and project.stage != query.stage:
            return False
        if query.manager and project.manager_id != query.manager:
            return False
        if objective_project_ids is not None and project.pk not in objective_project_ids:
            return False
        if query.health == "watermelon":
            if not row.is_watermelon:
                return False
        elif query.health == "none":
            if row.computed_health:
                return False
        elif query.health and row.computed_health != query.health:
            return False
        if query.flag == "over-budget":
            return row.forecast_over_budget
        if query.flag == "optimistic-forecast":
            return row.forecast_optimistic
        if query.flag == "report-missing":
            return row.report_missing
        if query.flag == "late-milestones":
            return row.late_milestones > 0
        if query.flag == "slipping":
            return row.worst_milestone_slip_days > query.slip_days
        if query.flag == "late-dependency":
            return row.late_dependencies > 0
        return True

    return [row for row in rows if keep(row)]


# --- Tiles: a KPI now and at the end of the previous reporting period ------------------------


@dataclass(frozen=True)
class Tile:
    """One KPI tile. `kind` picks the formatting (money, ratio, count); `better` says which
    way is good ("up", "down" or "" for neither); `previous` None means no history is kept
    for this figure, so no change is shown."""

    key: str
    label: str
    kind: str
    value: Decimal | int | None
    previous: Decimal | int | None
    better: str = ""
    href: str = ""
    note: str = ""
    detail: str = ""  # shown under the change: what the figure is measured at
    detail_amount: Decimal | None = None  # a sum of money the detail names

    @property
    def change(self) -> Decimal | int | None:
        """Now − before as the tile shows them (money in whole units, an index to 0.01): the
        figures are exact, and a change the tile cannot show is no change."""
        if self.value is None or self.previous is None:
            return None
        places = SHOWN_PRECISION.get(self.kind)
        if places is None:
            return self.value - self.previous
        return self.value.quantize(places, ROUND_HALF_UP) - self.previous.quantize(
            places, ROUND_HALF_UP
        )

    @property
    def trend(self) -> str:
        """Colours the change: "good", "bad" or "" (no change, or neither way is better)."""
        change = self.change
        if not change or not self.better:
            return ""
        return "good" if (change > 0) == (self.better == "up") else "bad"


def _tiles(now: KpiRollup, before: KpiRollup, *, risk_href: str, eac_basis: str) -> list[Tile]:
    no_history = "Current register; no history kept"
    return [
        Tile(
            "bac", "Budget (BAC)", "money", now.budget, before.budget, href="?sort=-budget#projects"
        ),
        Tile(
            "ac",
            "Actual cost (AC)",
            "money",
            now.actual_cost,
            before.actual_cost,
            href="?sort=-ac#projects",
            detail="At the status dates; spent since:",
            detail_amount=now.spent_since_status_date,
        ),
        Tile(
            "eac",
            "Forecast (EAC)",
            "money",
            now.estimate_at_completion,
            before.estimate_at_completion,
            better="down",
            href="?sort=-eac#projects",
            detail=EAC_BASIS_NOTES[eac_basis],
        ),
        Tile(
            "vac",
            "Variance at completion",
            "money",
            now.variance_at_completion,
            before.variance_at_completion,
            better="up",
            href="?flag=over-budget#projects",
        ),
        Tile(
            "cpi",
            "CPI (ΣEV / ΣAC)",
            "ratio",
            now.cost_performance_index,
            before.cost_performance_index,
            better="up",
            href="?sort=cpi#projects",
        ),
        Tile(
            "spi",
            "SPI (ΣEV / ΣPV)",
            "ratio",
            now.schedule_performance_index,
            before.schedule_performance_index,
            better="up",
            href="?sort=spi#projects",
        ),
        Tile(
            "benefit",
            "Expected benefit",
            "money",
            now.expected_benefit,
            before.expected_benefit,
            better="up",
        ),
        Tile(
            "risk",
            "Open risk exposure",
            "money",
            now.risk_exposure,
            None,
            href=risk_href,
            note=no_history,
        ),
        Tile(
            "watermelons",
            "Watermelons",
            "count",
            now.watermelons,
            before.watermelons,
            better="down",
            href="?health=watermelon#projects",
            note="Reported better than computed",
        ),
        Tile(
            "late_milestones",
            "Late milestones",
            "count",
            now.late_milestones,
            before.late_milestones,
            better="down",
            href="?flag=late-milestones#projects",
        ),
        Tile(
            "late_dependencies",
            "Late dependencies",
            "count",
            now.late_dependencies,
            None,
            href="?flag=late-dependency#projects",
            note="Predecessor delivers after it is needed",
        ),
    ]


EAC_BASIS_NOTES = {
    EacBasis.WORSE_OF: "Worse of BAC ÷ CPI and the PM's forecast",
    EacBasis.COMPUTED: "BAC ÷ CPI (the PM's forecast where none)",
    EacBasis.FORECAST: "The PM's forecast (BAC ÷ CPI where none)",
}


# --- Small read models ----------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """A rollup of a subset of the rows (a program, or projects without one)."""

    program_id: int | None
    label: str
    kpis: KpiRollup
    program: Program | None = None

    @property
    def health_link(self) -> str:
        """Prefix of a link to this group's projects of one health (see `health_bar`)."""
        return f"?program={self.program_id}&health=" if self.program_id else ""


@dataclass(frozen=True)
class Dependency:
    pk: int
    predecessor_id: int
    predecessor_code: str
    predecessor_name: str
    predecessor_visible: bool
    successor_id: int
    successor_code: str
    successor_name: str
    successor_visible: bool
    deliverable: str
    needed_by: date
    expected_on: date | None
    is_late: bool

    @property
    def days_late(self) -> int:
        if not self.is_late or self.expected_on is None:
            return 0
        return (self.expected_on - self.needed_by).days


@dataclass(frozen=True)
class Exceptions:
    slip_days: int
    red: list[ProjectKpis]
    watermelons: list[ProjectKpis]
    slipping: list[ProjectKpis]
    over_budget: list[ProjectKpis]
    rebaselined: list[ProjectKpis]
    optimistic_forecasts: list[ProjectKpis]
    reports_missing: list[ProjectKpis]
    escalated_risks: list[Risk]
    late_dependencies: list[Dependency]
    limit: int = EXCEPTION_LIMIT

    @property
    def more_escalated_risks(self) -> int:
        return max(0, len(self.escalated_risks) - self.limit)

    @property
    def count(self) -> int:
        return sum(
            len(items)
            for items in (
                self.red,
                self.watermelons,
                self.slipping,
                self.over_budget,
                self.rebaselined,
                self.optimistic_forecasts,
                self.reports_missing,
                self.escalated_risks,
                self.late_dependencies,
            )
        )


@dataclass(frozen=True)
class DashboardCharts:
    health_by_program: str = ""
    budget_by_program: str = ""
    value_risk: str = ""
    roadmap: str = ""
    risk_heat_map: str = ""
    dependencies: str = ""


@dataclass(frozen=True)
class Dashboard:
    """Everything a portfolio dashboard or program page shows."""

    as_of: date
    previous_as_of: date
    previous_label: str
    kpis: PortfolioKpis
    previous_kpis: PortfolioKpis
    tiles: list[Tile]
    rows: list[ProjectKpis]
    query: TableQuery
    page: Page
    exceptions: Exceptions
    charts: DashboardCharts
    dependencies: list[Dependency]
    programs: list[Program] = field(default_factory=list)
    program_groups: list[Group] = field(default_factory=list)
    objectives: list[StrategicObjective] = field(default_factory=list)
    top_risks: list[Risk] = field(default_factory=list)
    managers: list[tuple[str, str]] = field(default_factory=list)  # (id as text, name)
    alignment: dict[int, Decimal | None] = field(default_factory=dict)
    roadmap_note: str = ROADMAP_NOTE
    dependency_chart_limit: int = DEPENDENCY_CHART_LIMIT

    @property
    def stage_counts(self):
        return _stage_counts(self.kpis)


def _stage_counts(rollup: KpiRollup, stages=tuple(Stage)) -> list[tuple[str, str, int]]:
    return [
        (stage.value, stage.label, rollup.stage_counts[stage.value])
        for stage in stages
        if rollup.stage_counts.get(stage.value)
    ]


# --- Queries (each one, whatever the number of projects) -------------------------------------


def _dependencies(*, scope: QuerySet[Project], user) -> list[Dependency]:
    """Dependencies with either end in `scope`, with lateness (projects.querysets) and
    whether the user may open each end (the other end may be in a portfolio they don't see)."""
    pks = scope.order_by().values("pk")
    visible = Project.objects.visible_to(user)
    rows = (
        ProjectDependency.objects.filter(Q(successor__in=pks) | Q(predecessor__in=pks))
        .with_lateness()
        .annotate(
            predecessor_visible=Exists(visible.filter(pk=OuterRef("predecessor_id"))),
            successor_visible=Exists(visible.filter(pk=OuterRef("successor_id"))),
        )
        .order_by("-is_late", "needed_by", "pk")
        .values_list(
            "pk",
            "predecessor_id",
            "predecessor__code",
            "predecessor__name",
            "predecessor_visible",
            "successor_id",
            "successor__code",
            "successor__name",
            "successor_visible",
            "deliverable",
            "needed_by",
            "expected_on",
            "is_late",
        )
    )
    return [_masked(Dependency(*row)) for row in rows]


def _masked(dependency: Dependency) -> Dependency:
    """A dependency whose other end the user may not open keeps it unnamed."""
    hidden = {"code": access.HIDDEN_PROJECT, "name": ""}
    changes = {}
    for end in ("predecessor", "successor"):
        if not getattr(dependency, f"{end}_visible"):
            changes |= {f"{end}_{key}": value for key, value in hidden.items()}
    return replace(dependency, **changes) if changes else dependency


def _objective_project_ids(*, objective_id: int, portfolio_id: int) -> set[int]:
    return set(
        ObjectiveContribution.objects.filter(
            objective_id=objective_id, objective__portfolio_id=portfolio_id, contribution__gt=0
        ).values_list("project_id", flat=True)
    )


def _escalated_risks(risks: QuerySet[Risk]) -> list[Risk]:
    return list(
        risks.project_level()
        .filter(Q(status=RiskStatus.ESCALATED) | Q(escalated_to__isnull=False))
        .exclude(status=RiskStatus.CLOSED)
        .select_related("project", "escalated_to")
        .order_by("-escalated_at", "pk")[:ESCALATED_RISK_LIMIT]
    )


def _heat_map_cells(risks: QuerySet[Risk]) -> dict[tuple[int, int], int]:
    rows = (
        risks.counted_in_exposure()
        .order_by()
        .values("probability", "impact")
        .annotate(count=Count("pk"))
    )
    return {(row["probability"], row["impact"]): row["count"] for row in rows}


def _roadmap_milestones(project_ids: list[int], as_of: date) -> list[tuple[int, str, date, bool]]:
    """(project id, name, date, is late) of the milestones of the given projects."""
    milestones = []
    for project_id, name, *dates in (
        Milestone.objects.filter(project_id__in=project_ids)
        .order_by("project_id", "sequence", "pk")
        .values_list("project_id", "name", *kpis.MILESTONE_COLUMNS)
    ):
        milestone = MilestoneDates(*dates)
        when = milestone.actual_date or milestone.forecast_date or milestone.baseline_date
        if when:
            milestones.append((project_id, name, when, kpis.milestone_slip(milestone, as_of) > 0))
    return milestones


# --- Assembling a dashboard ------------------------------------------------------------------


def _project_url() -> Callable[[int], str]:
    """reverse() once, not once per project (a thousand bubbles)."""
    return partial(url_for_id, "projects:detail")


def _risk_register_url(portfolio: Portfolio, program: Program | None) -> str:
    """The portfolio risk register, narrowed to the program's risks on a program page."""
    url = reverse("risks:portfolio-register", args=[portfolio.code])
    return f"{url}?program={program.pk}" if program else url


def _exceptions(
    rows: list[ProjectKpis],
    *,
    slip_days: int,
    escalated: list[Risk],
    dependencies: list[Dependency],
    scope_ids: set[int],
) -> Exceptions:
    return Exceptions(
        slip_days=slip_days,
        red=[r for r in rows if r.computed_health == "red"],
        watermelons=[r for r in rows if r.is_watermelon],
        slipping=sorted(
            (r for r in rows if r.worst_milestone_slip_days > slip_days),
            key=lambda r: -r.worst_milestone_slip_days,
        ),
        over_budget=sorted(
            (r for r in rows if r.forecast_over_budget),
            key=lambda r: r.project.budget - r.earned_value.estimate_at_completion,
        ),
        rebaselined=sorted(
            (r for r in rows if r.project.baseline_version > 0),
            key=lambda r: (-r.project.baseline_version, r.project.code),
        ),
        optimistic_forecasts=sorted(
            (r for r in rows if r.forecast_optimistic),
            key=lambda r: (
                r.earned_value.forecast_cost - r.earned_value.computed_estimate_at_completion
            ),
        ),
        reports_missing=sorted(
            (r for r in rows if r.report_missing),
            key=lambda r: (r.status_date is not None, r.status_date or r.project.start_date),
        ),
        escalated_risks=escalated,
        late_dependencies=[d for d in dependencies if d.is_late and d.successor_id in scope_ids],
    )


def _groups(rows: list[ProjectKpis], programs: list[Program]) -> list[Group]:
    by_program = defaultdict(list)
    for row in rows:
        by_program[row.project.program_id].append(row)
    groups = [
        Group(program.pk, program.name, kpis.rollup(by_program.get(program.pk, [])), program)
        for program in programs
    ]
    if by_program.get(None):
        groups.append(Group(None, "No program", kpis.rollup(by_program[None])))
    return groups


def _managers(rows: list[ProjectKpis]) -> list[tuple[str, str]]:
    """The filter's managers: id as the text the form sends back (the template compares it
    with `filters.manager`, no filter per option), name; by name."""
    names = {r.project.manager_id: r.project.manager_name for r in rows if r.project.manager_id}
    return [(str(pk), name) for pk, name in sorted(names.items(), key=lambda i: i[1].lower())]


def _charts(
    *,
    rows: list[ProjectKpis],
    page_rows: list[ProjectKpis],
    groups: list[Group] | None,
    alignment: dict[int, Decimal | None],
    heat_cells: dict[tuple[int, int], int],
    heat_link: str,
    dependencies: list[Dependency],
    as_of: date,
    project_url: Callable[[int], str],
) -> DashboardCharts:
    health_chart = budget_chart = ""
    if groups:
        charted = [g for g in groups if g.kpis.project_count]
        health_chart = charts.health_by_program_chart(
            [
                charts.ProgramHealth(
                    label=g.label,
                    program_id=g.program_id,
                    computed={h: g.kpis.computed_health_counts.get(h, 0) for h in HEALTH_KEYS},
                )
                for g in charted
            ],
            link_template="?program={program}&health={health}#projects",
        )
        budget_chart = charts.budget_by_program_chart(
            [
                charts.ProgramBudget(
                    label=g.label,
                    program_id=g.program_id,
                    budget=g.kpis.budget,
                    actual_cost=g.kpis.actual_cost,
                    estimate_at_completion=g.kpis.estimate_at_completion,
                )
                for g in charted
            ],
            link_template="?program={program}#projects",
        )
    page_codes = {r.project.pk: r.project.code for r in page_rows}
    value_risk = charts.value_risk_bubble_chart(
        [
            charts.BubblePoint(
                project_id=r.project.pk,
                code=r.project.code,
                name=r.project.name,
                alignment=alignment.get(r.project.pk),
                risk_exposure=r.risk_exposure,
                budget=r.project.budget,
                health=r.computed_health,
                url=project_url(r.project.pk),
            )
            for r in rows
            if r.project.stage not in CLOSED_STAGES
        ]
    )
    roadmap = charts.roadmap_chart(
        [
            charts.RoadmapBar(
                project_id=r.project.pk,
                code=r.project.code,
                name=r.project.name,
                program=r.project.program_name or "No program",
                start=r.project.start_date,
                end=r.project.end_date,
                health=r.computed_health,
                url=project_url(r.project.pk),
            )
            for r in page_rows
        ],
        [
            charts.RoadmapMilestone(
                project_id=project_id,
                code=page_codes[project_id],
                name=name,
                date=when,
                is_late=is_late,
            )
            for project_id, name, when, is_late in _roadmap_milestones(list(page_codes), as_of)
        ],
        today=as_of,
    )
    heat_map = charts.risk_heat_map(
        heat_cells,
        bands=heat_map_bands(),
        link_template=heat_link,
        element_id="chart-dashboard-risk-heatmap",
    )
    edges = [
        DependencyEdge(
            predecessor_id=d.predecessor_id,
            predecessor_code=d.predecessor_code,
            successor_id=d.successor_id,
            successor_code=d.successor_code,
            deliverable=d.deliverable,
            needed_by=d.needed_by,
            expected_on=d.expected_on,
            is_late=d.is_late,
            predecessor_url=project_url(d.predecessor_id) if d.predecessor_visible else "",
            successor_url=project_url(d.successor_id) if d.successor_visible else "",
        )
        for d in dependencies[:DEPENDENCY_CHART_LIMIT]
    ]
    dependency_chart = charts.dependency_chart(edges, layers=dependency_layers(edges))
    return DashboardCharts(
        health_by_program=health_chart,
        budget_by_program=budget_chart,
        value_risk=value_risk,
        roadmap=roadmap,
        risk_heat_map=heat_map,
        dependencies=dependency_chart,
    )


HEALTH_KEYS = ("green", "amber", "red", "")


@dataclass(frozen=True)
class _Period:
    """The as-of date and the date the tiles compare with: the end (and label) of the period
    before the latest closed one."""

    as_of: date
    previous_as_of: date
    previous_label: str


def _period(portfolio: Portfolio, as_of: date) -> _Period:
    """A report counts once its period has ended, so as of `as_of` the projects stand at the
    end of the latest closed period at best (`as_of` itself on a period's last day); the
    change is over that period: each project at its status date now and as of the end of
    the period before (docs/formulas.md, "Change since last period")."""
    kind = portfolio.reporting_period
    start, end = period_containing(kind, as_of)
    if as_of < end:
        start, _ = previous_period(kind, start)
    previous_start, previous_end = previous_period(kind, start)
    return _Period(as_of, previous_end, period_label(kind, previous_start))


def _dashboard(
    *,
    portfolio: Portfolio,
    scope: KpiScope,
    now: PortfolioKpis,
    period: _Period,
    user,
    params: Mapping | None,
    programs: list[Program] | None,
    program: Program | None = None,
    extra: dict | None = None,
) -> Dashboard:
    query = TableQuery.from_params(params)
    as_of, before = period.as_of, now.previous
    rows = list(now.projects)
    dependencies = _dependencies(scope=scope.projects, user=user)
    scope_ids = {r.project.pk for r in rows}

    objectives = portfolio_objectives(portfolio=portfolio, user=user, as_of=as_of)
    alignment = strategic_alignment(project_ids=scope.projects.order_by().values("pk"), as_of=as_of)
    objective_ids = (
        _objective_project_ids(objective_id=query.objective, portfolio_id=portfolio.pk)
        if query.objective
        else None
    )
    table_rows = sort_rows(filter_rows(rows, query, objective_project_ids=objective_ids), query)
    page = Paginator(table_rows, settings.SLATE_PAGE_SIZE).get_page((params or {}).get("page"))
    groups = _groups(rows, programs) if programs is not None else None
    register_url = _risk_register_url(portfolio, program)
    cell_filter = "probability={probability}&impact={impact}"
    heat_link = f"{register_url}{'&' if program else '?'}{cell_filter}"
    project_url = _project_url()
    return Dashboard(
        as_of=as_of,
        previous_as_of=period.previous_as_of,
        previous_label=period.previous_label,
        kpis=now,
        previous_kpis=before,
        tiles=_tiles(now, before, risk_href=register_url, eac_basis=portfolio.eac_basis),
        rows=rows,
        query=query,
        page=page,
        exceptions=_exceptions(
            rows,
            slip_days=query.slip_days,
            escalated=_escalated_risks(scope.risks),
            dependencies=dependencies,
            scope_ids=scope_ids,
        ),
        charts=_charts(
            rows=rows,
            page_rows=list(page.object_list),
            groups=groups,
            alignment=alignment,
            heat_cells=_heat_map_cells(scope.risks),
            heat_link=heat_link,
            dependencies=dependencies,
            as_of=as_of,
            project_url=project_url,
        ),
        dependencies=dependencies,
        programs=programs or [],
        program_groups=groups or [],
        objectives=objectives,
        managers=_managers(rows),
        alignment=alignment,
        **(extra or {}),
    )


def portfolio_dashboard(*, portfolio: Portfolio, user, as_of: date, params=None) -> Dashboard:
    """The portfolio dashboard over the projects and risks of `portfolio` the user sees."""
    period = _period(portfolio, as_of)
    return _dashboard(
        portfolio=portfolio,
        scope=kpis.portfolio_scope(portfolio=portfolio, user=user),
        now=kpi_cache.portfolio_kpis(
            portfolio=portfolio, user=user, as_of=as_of, previous_as_of=period.previous_as_of
        ),
        period=period,
        user=user,
        params=params,
        programs=portfolio_programs(portfolio=portfolio, user=user),
        extra={"top_risks": top_portfolio_risks(portfolio=portfolio, user=user)},
    )


def program_dashboard(*, program: Program, user, as_of: date, params=None) -> Dashboard:
    """The same for one program: its projects, their risks and the portfolio risks that
    threaten them (each once)."""
    period = _period(program.portfolio, as_of)
    return _dashboard(
        portfolio=program.portfolio,
        scope=kpis.program_scope(program=program, user=user),
        now=kpi_cache.program_kpis(
            program=program, user=user, as_of=as_of, previous_as_of=period.previous_as_of
        ),
        period=period,
        user=user,
        params=params,
        programs=None,
        program=program,
    )


# --- Portfolio overview ---------------------------------------------------------------------


@dataclass(frozen=True)
class OverviewRow:
    portfolio: Portfolio
    kpis: PortfolioKpis

    @property
    def active_stage_counts(self):
        return _stage_counts(self.kpis, ACTIVE_STAGES)

    @property
    def active_count(self) -> int:
        return sum(count for _, _, count in self.active_stage_counts)


@dataclass(frozen=True)
class Overview:
    as_of: date
    rows: list[OverviewRow]
    totals: KpiRollup
    currency: str  # "" when the portfolios use different currencies: no money totals

    @property
    def portfolios(self) -> list[Portfolio]:
        return [row.portfolio for row in self.rows]

    @property
    def active_stage_counts(self):
        return _stage_counts(self.totals, ACTIVE_STAGES)

    @property
    def active_count(self) -> int:
        return sum(count for _, _, count in self.active_stage_counts)


def portfolio_overview(*, user, as_of: date) -> Overview:
    """One row per portfolio the user sees, from one `portfolios_kpis` call (one
    `project_kpis` over every visible project, grouped by portfolio, and one grouped query
    for portfolio-risk exposure)."""
    visible = Portfolio.objects.visible_to(user)
    portfolios = list(visible.order_by("name", "pk"))
    by_portfolio = kpi_cache.portfolios_kpis(
        portfolios=portfolios,
        user=user,
        as_of=as_of,
        every_portfolio=kpi_sql.is_whole_table(visible),
    )
    rows = [OverviewRow(portfolio, by_portfolio[portfolio.pk]) for portfolio in portfolios]
    currencies = {p.currency for p in portfolios}
    return Overview(
        as_of=as_of,
        rows=rows,
        totals=kpis.combined(row.kpis for row in rows),
        currency=currencies.pop() if len(currencies) == 1 else "",
    )
