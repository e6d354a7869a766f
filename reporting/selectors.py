"""Reads for reporting: chart data and activity timelines, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth

import charts
from projects import evm
from projects.models import RAG_FIELDS, CostEntry, Milestone, Project, ReportState, StatusReport
from projects.periods import period_containing
from risks.models import Risk


@dataclass(frozen=True)
class ProjectCharts:
    percent_complete: str
    cost: str
    rag_timeline: str
    has_reports: bool


def _month_ends(first: date, last: date) -> list[date]:
    year, month, ends = first.year, first.month, []
    while (year, month) <= (last.year, last.month):
        ends.append(period_containing("monthly", date(year, month, 1))[1])
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ends


def project_charts(*, project: Project, milestones: list[Milestone], as_of: date) -> ProjectCharts:
    """Planned vs reported % complete, cumulative cost against budget and planned value, and
    the RAG timeline, from submitted reports. `milestones` are the ones the page already has."""
    reports = list(
        StatusReport.objects.filter(project=project, state=ReportState.SUBMITTED)
        .order_by("period_start")
        .only("period_start", "period_end", "percent_complete", *RAG_FIELDS)
    )
    cost_by_month = {
        (month.year, month.month): total
        for month, total in CostEntry.objects.filter(project=project, date__lte=as_of)
        .annotate(month=TruncMonth("date"))
        .values("month")
        .annotate(total=Sum("amount"))
        .order_by()
        .values_list("month", "total")
    }
    plan = [(milestone.baseline_date, milestone.weight) for milestone in milestones]

    def planned_percent(day: date) -> Decimal:
        return evm.planned_percent(project.baseline_start, project.baseline_end, plan, day)

    report_ends = [report.period_end for report in reports]
    months = _month_ends(
        project.baseline_start or project.start_date,
        max(project.baseline_end or project.end_date, project.end_date),
    )
    cumulative, actual = Decimal("0"), []
    for month_end in months:
        cumulative += cost_by_month.get((month_end.year, month_end.month), Decimal("0"))
        actual.append(cumulative if month_end.replace(day=1) <= as_of else None)
    return ProjectCharts(
        percent_complete=charts.percent_complete_chart(
            report_ends,
            [planned_percent(day) for day in report_ends],
            [report.percent_complete for report in reports],
        ),
        cost=charts.cost_chart(
            months,
            actual,
            [project.budget * planned_percent(day) / 100 for day in months],
            project.budget,
        ),
        rag_timeline=charts.rag_timeline_chart(reports),
        has_reports=bool(reports),
    )


# --- Activity timeline ------------------------------------------------------------------------

HISTORY_IGNORED_FIELDS = {"version", "updated_at", "id", "project", "portfolio"}
HISTORY_SHOWN = 40


@dataclass(frozen=True)
class HistoryChange:
    label: str
    before: object
    after: object


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime
    who: object
    subject: str
    action: str  # created / changed / deleted
    changes: list[HistoryChange]


def _display(record, field) -> object:
    value = getattr(record, field.attname)
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    return value


def _resolve_foreign_keys(entries: list[HistoryEntry], model) -> None:
    """Replace foreign-key ids in the changes by the objects: one query per related model."""
    foreign_keys = {
        str(field.verbose_name): field.related_model
        for field in model._meta.concrete_fields
        if field.is_relation
    }
    wanted: dict = {}
    for entry in entries:
        for change in entry.changes:
            if change.label in foreign_keys:
                wanted.setdefault(foreign_keys[change.label], set()).update(
                    {change.before, change.after} - {None}
                )
    found = {related: related._default_manager.in_bulk(ids) for related, ids in wanted.items()}
    for entry in entries:
        for index, change in enumerate(entry.changes):
            related = foreign_keys.get(change.label)
            if related is not None:
                entry.changes[index] = HistoryChange(
                    change.label,
                    found[related].get(change.before, change.before),
                    found[related].get(change.after, change.after),
                )


def _entries(records, subject) -> list[HistoryEntry]:
    """Diff each record against the previous record of the same object, oldest first."""
    if not records:
        return []
    model = records[0].instance_type
    tracked = {field.attname for field in type(records[0])._meta.concrete_fields}
    fields = [
        field
        for field in model._meta.concrete_fields
        if field.name not in HISTORY_IGNORED_FIELDS and field.attname in tracked
    ]
    previous_by_object, entries = {}, []
    for record in sorted(records, key=lambda r: (r.history_date, r.history_id)):
        previous = previous_by_object.get(record.id)
        previous_by_object[record.id] = record
        changes = []
        if record.history_type == "~" and previous is not None:
            changes = [
                HistoryChange(
                    str(field.verbose_name), _display(previous, field), _display(record, field)
                )
                for field in fields
                if getattr(previous, field.attname) != getattr(record, field.attname)
            ]
            if not changes:
                continue
        action = {"+": "created", "~": "changed", "-": "deleted"}[record.history_type]
        entries.append(
            HistoryEntry(record.history_date, record.history_user, subject(record), action, changes)
        )
    _resolve_foreign_keys(entries, model)
    return entries


def project_history(*, project: Project, limit: int = HISTORY_SHOWN) -> list[HistoryEntry]:
    """Who changed what and when on the project, its milestones, status reports and risks:
    one query per kind of record, newest first."""
    sources = [
        (Project.history.filter(id=project.pk), lambda r: "Project plan"),
        (Milestone.history.filter(project_id=project.pk), lambda r: f"Milestone “{r.name}”"),
        (
            StatusReport.history.filter(project_id=project.pk),
            lambda r: f"Status report {r.period_start:%b %Y}",
        ),
        (
            Risk.history.filter(Q(project_id=project.pk)),
            lambda r: f"Risk “{r.title}”",
        ),
    ]
    entries = []
    for queryset, subject in sources:
        records = list(
            queryset.select_related("history_user").order_by("-history_date", "-history_id")[
                : limit * 2
            ]
        )
        entries.extend(_entries(records, subject))
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries[:limit]


# --- Trends from stored reviews -------------------------------------------------------------

TREND_REVIEWS = 12


@dataclass(frozen=True)
class ReviewTrends:
    reviews: list  # the portfolio's complete monthly reviews, oldest first
    indices_chart: str
    cost_chart: str


def review_trends(*, portfolio, limit: int = TREND_REVIEWS) -> ReviewTrends:
    """CPI/SPI and AC/EV/PV across the portfolio's stored monthly reviews (one query)."""
    from reporting.models import PortfolioReview, ReviewKind, ReviewStatus

    reviews = list(
        PortfolioReview.objects.filter(
            portfolio=portfolio, kind=ReviewKind.MONTHLY, status=ReviewStatus.COMPLETE
        )
        .order_by("-period_start")
        .only("period_start", "period_end", "kpis")[:limit]
    )[::-1]
    if not reviews:
        return ReviewTrends(reviews=[], indices_chart="", cost_chart="")
    ends = [review.period_end for review in reviews]

    def series(key):
        return [review.kpis.get(key) for review in reviews]

    return ReviewTrends(
        reviews=reviews,
        indices_chart=charts.kpi_trend_chart(
            ends,
            {"CPI": series("cost_performance_index"), "SPI": series("schedule_performance_index")},
            title="CPI and SPI by monthly review",
            element_id="chart-trend-indices",
        ),
        cost_chart=charts.kpi_trend_chart(
            ends,
            {"Actual cost": series("actual_cost"), "Earned value": series("earned_value"),
             "Planned value": series("planned_value")},
            title="Cost and value by monthly review",
            element_id="chart-trend-cost",
        ),
    )  # fmt: skip
