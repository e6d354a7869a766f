"""Reads for reporting: the project page (its panels, chart data and activity timeline), the
review and digest pages, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Cast, Concat, Lower, TruncMonth

from core import access
from core.people import person_name_sql
from portfolio.models import GateDecision, Portfolio, PortfolioMembership, Scenario
from projects import evm
from projects import selectors as project_selectors
from projects.models import (
    CostEntry,
    Milestone,
    Project,
    ProjectDependency,
    ReportState,
    StatusReport,
)
from projects.periods import period_containing
from reporting.models import (
    DigestSubscription,
    PortfolioReview,
    ProjectSnapshot,
    ReviewKind,
    ReviewRun,
    ReviewStatus,
)
from reporting.reviews import period_label
from resources.models import Allocation
from risks.models import Risk


@dataclass(frozen=True)
class ProjectChartSeries:
    """What the project page plots (charts.project_charts draws it)."""

    reports: list[StatusReport]  # submitted, oldest first
    report_ends: list[date]
    planned_percent_at_reports: list[Decimal]
    reported_percent: list[Decimal]
    month_ends: list[date]
    cumulative_actual_cost: list[Decimal | None]  # None after the as-of month
    planned_value: list[Decimal]
    budget: Decimal


def _month_ends(first: date, last: date) -> list[date]:
    year, month, ends = first.year, first.month, []
    while (year, month) <= (last.year, last.month):
        ends.append(period_containing("monthly", date(year, month, 1))[1])
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ends


def project_chart_series(
    *, project: Project, milestones: list[Milestone], reports: list[StatusReport], as_of: date
) -> ProjectChartSeries:
    """Planned vs reported % complete, cumulative cost against budget and planned value, and
    the RAG timeline, from submitted reports of the periods begun by `as_of` (the page shown
    as of an earlier date shows no later report). `milestones` and `reports` (every report of
    the project, any state and order) are the ones the page already has: one query, the
    monthly costs."""
    reports = sorted(
        (
            report
            for report in reports
            if report.state == ReportState.SUBMITTED and report.period_start <= as_of
        ),
        key=lambda report: report.period_start,
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
    return ProjectChartSeries(
        reports=reports,
        report_ends=report_ends,
        planned_percent_at_reports=[planned_percent(day) for day in report_ends],
        reported_percent=[report.percent_complete for report in reports],
        month_ends=months,
        cumulative_actual_cost=actual,
        planned_value=[project.budget * planned_percent(day) / 100 for day in months],
        budget=project.budget,
    )


def project_status_dates(*, reports: list[StatusReport], as_of: date) -> list[tuple[date, date]]:
    """(period start, status date) of each submitted report whose period has ended by
    `as_of`, newest first: the dates the project page can be shown as of. `reports` are every
    report of the project (the page's `ProjectDetail.reports`)."""
    return sorted(
        (
            (report.period_start, report.period_end)
            for report in reports
            if report.state == ReportState.SUBMITTED and report.period_end <= as_of
        ),
        key=lambda dates: dates[1],
        reverse=True,
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
    """KPI series across the portfolio's complete monthly reviews, oldest first
    (charts.review_trend_charts draws them)."""

    reviews: list
    period_starts: list[date]  # where the charts draw each review: on its period's month
    period_ends: list[date]
    indices: dict[str, list]  # CPI and SPI
    money: dict[str, list]  # actual cost, earned value, planned value


def review_trends(*, portfolio, limit: int = TREND_REVIEWS) -> ReviewTrends:
    """CPI/SPI and AC/EV/PV across the portfolio's stored monthly reviews (one query)."""
    reviews = list(
        PortfolioReview.objects.filter(
            portfolio=portfolio, kind=ReviewKind.MONTHLY, status=ReviewStatus.COMPLETE
        )
        .order_by("-period_start")
        .only("period_start", "period_end", "kpis")[:limit]
    )[::-1]

    def series(key):
        return [review.kpis.get(key) for review in reviews]

    return ReviewTrends(
        reviews=reviews,
        period_starts=[review.period_start for review in reviews],
        period_ends=[review.period_end for review in reviews],
        indices={
            "CPI": series("cost_performance_index"),
            "SPI": series("schedule_performance_index"),
        },
        money={
            "Actual cost": series("actual_cost"),
            "Earned value": series("earned_value"),
            "Planned value": series("planned_value"),
        },
    )


# --- The project page -------------------------------------------------------------------------

STATUS_REPORTS_SHOWN = 12
COST_ENTRIES_SHOWN = 10


@dataclass(frozen=True)
class MilestoneRow:
    milestone: Milestone
    slip_days: int | None  # forecast (or actual, once reached) minus baseline; + is late


@dataclass(frozen=True)
class ProjectDetail:
    project: Project
    performance: project_selectors.ProjectPerformance
    milestones: list[MilestoneRow]
    reports: list[StatusReport]  # every report, newest first (charts and as-of choices)
    status_reports: list[StatusReport]  # the latest STATUS_REPORTS_SHOWN of them
    status_report_count: int
    cost_entries: list[CostEntry]
    cost_entry_count: int
    cost_total: Decimal
    risks: list[Risk]
    threatening_risks: list[Risk]
    dependencies_in: list[ProjectDependency]
    dependencies_out: list[ProjectDependency]
    allocations: list[Allocation]

    @property
    def older_status_report_count(self) -> int:
        return self.status_report_count - len(self.status_reports)

    @property
    def older_cost_entry_count(self) -> int:
        return self.cost_entry_count - len(self.cost_entries)


def _project_risks(*, project: Project, user) -> tuple[list[Risk], list[Risk]]:
    """The project's own risks and the risks that threaten it (portfolio risks), each by
    score, from one query."""
    threats = Risk.threatened_projects.through.objects.filter(project=project)
    # ids of both kinds as a union: an OR of the two conditions scanned every risk
    ids = (
        Risk.objects.filter(project=project)
        .order_by()
        .values("pk")
        .union(threats.order_by().values("risk_id"))
    )
    risks = list(
        Risk.objects.visible_to(user)
        .filter(pk__in=ids)
        .annotate(threatens_project=Exists(threats.filter(risk_id=OuterRef("pk"))))
        .select_related("owner", "escalated_to")
        .by_score()
    )
    return (
        [risk for risk in risks if risk.project_id == project.pk],
        [risk for risk in risks if risk.threatens_project],
    )


def project_detail(*, project: Project, user, as_of: date) -> ProjectDetail:
    """Everything the project page shows, in a fixed number of queries (nine). `project`
    comes from `projects.selectors.project_page_queryset(user=...)`, so it is visible and its
    header joins are loaded. The project's reports are read once, whole (a project has one a
    period), for the list, the status date and the charts."""
    reports = list(project.status_reports.order_by("-period_start"))
    report = next(
        (r for r in reports if r.state == ReportState.SUBMITTED and r.period_end <= as_of), None
    )
    sums = {
        "total": Sum("amount"),
        "count": Count("pk"),
        "to_date": Sum("amount", filter=Q(date__lte=as_of)),
    }
    if report:  # the status date is on or before `as_of`
        sums["at_status_date"] = Sum("amount", filter=Q(date__lte=report.period_end))
    costs = project.cost_entries.aggregate(**sums)
    milestones = list(project.milestones.order_by("sequence", "baseline_date", "pk"))
    risks, threatening_risks = _project_risks(project=project, user=user)
    dependencies = project_selectors.project_dependencies(project=project, user=user)
    return ProjectDetail(
        project=project,
        performance=project_selectors.performance_at_status_date(
            project=project,
            as_of=as_of,
            report=report,
            # by id: milestones on the same date add their weights in the order SQL does
            plan=[(m.baseline_date, m.weight) for m in sorted(milestones, key=lambda m: m.pk)],
            actual_cost=costs.get("at_status_date") or Decimal("0"),
            cost_to_date=costs["to_date"] or Decimal("0"),
        ),
        milestones=[
            MilestoneRow(m, project_selectors.milestone_slip_days(m, as_of)) for m in milestones
        ],
        reports=reports,
        status_reports=reports[:STATUS_REPORTS_SHOWN],
        status_report_count=len(reports),
        cost_entries=list(project.cost_entries.order_by("-date", "-pk")[:COST_ENTRIES_SHOWN]),
        cost_entry_count=costs["count"],
        cost_total=costs["total"] or Decimal("0"),
        risks=risks,
        threatening_risks=threatening_risks,
        dependencies_in=dependencies.needs,
        dependencies_out=dependencies.feeds,
        allocations=list(
            Allocation.objects.filter(project=project)
            .select_related("role", "resource")
            .order_by("start_month", "pk")
        ),
    )


# --- Review pages -----------------------------------------------------------------------------

OTHER_REVIEWS_SHOWN = 24


def review_snapshots(*, review: PortfolioReview, user) -> QuerySet[ProjectSnapshot]:
    """The review's project snapshots of the projects the user sees, by project code."""
    return (
        review.snapshots.filter(project__in=Project.objects.visible_to(user))
        .select_related("project", "program")
        .order_by("project__code")
    )


def visible_review_findings(*, review: PortfolioReview, user) -> dict:
    """The review's findings as stored, without the items about projects the user may not see
    (by project id, or by code for dependencies and risks). One query."""
    visible = dict(
        Project.objects.visible_to(user)
        .filter(portfolio=review.portfolio)
        .values_list("pk", "code")
    )
    codes = set(visible.values())
    findings = {}
    for name, items in (review.findings or {}).items():
        if not isinstance(items, list):
            findings[name] = items
            continue
        findings[name] = [
            item
            for item in items
            if not isinstance(item, dict)
            or (
                ("project_id" not in item or item["project_id"] in visible)
                and ("successor" not in item or item["successor"] in codes)
                and (not item.get("project_code") or item["project_code"] in codes)
            )
        ]
    return _mask_hidden_predecessors(findings, codes, user)


def _mask_hidden_predecessors(findings: dict, codes: set[str], user) -> dict:
    """A dependency finding does not name a predecessor the reader may not open (it may sit in
    another portfolio: two queries for those, only when there are any)."""
    dependencies = findings.get("late_dependencies")
    if not dependencies:
        return findings
    named = {item.get("predecessor") for item in dependencies if isinstance(item, dict)}
    elsewhere = named - codes - {None, ""}
    if not elsewhere:
        return findings
    hidden = set(Project.objects.filter(code__in=elsewhere).values_list("code", flat=True))
    hidden -= set(
        Project.objects.visible_to(user).filter(code__in=elsewhere).values_list("code", flat=True)
    )
    findings["late_dependencies"] = [
        item | {"predecessor": access.HIDDEN_PROJECT}
        if isinstance(item, dict) and item.get("predecessor") in hidden
        else item
        for item in dependencies
    ]
    return findings


@dataclass(frozen=True)
class ReviewsOfKind:
    kind: str
    label: str  # "Monthly portfolio review"
    reviews: list[PortfolioReview]  # each with `.period_label`, newest first


def portfolio_reviews(*, portfolio: Portfolio) -> list[ReviewsOfKind]:
    """The portfolio's stored reviews of each kind (monthly, quarterly, annual), newest first,
    in one query (the portfolio is visible, so its reviews are)."""
    by_kind: dict[str, list[PortfolioReview]] = {kind: [] for kind in ReviewKind.values}
    for review in _labelled(
        PortfolioReview.objects.filter(portfolio=portfolio)
        .only("kind", "period_start", "period_end", "status", "finished_at")
        .order_by("-period_start", "-pk")
    ):
        by_kind.setdefault(review.kind, []).append(review)
    return [
        ReviewsOfKind(kind, ReviewKind(kind).label, reviews) for kind, reviews in by_kind.items()
    ]


def other_reviews(*, review: PortfolioReview) -> list[PortfolioReview]:
    """The latest reviews of the review's portfolio and kind, itself included, newest first,
    each with its `.period_label` (the review is visible, so its portfolio is)."""
    return _labelled(
        PortfolioReview.objects.filter(portfolio=review.portfolio, kind=review.kind)
        .only("kind", "period_start")
        .order_by("-period_start")[:OTHER_REVIEWS_SHOWN]
    )


def _labelled(reviews) -> list[PortfolioReview]:
    """The reviews, each named for the reader: "October 2026", "Q3 2026", "Fiscal year…"."""
    reviews = list(reviews)
    for review in reviews:
        review.period_label = period_label(review.kind, review.period_start)
    return reviews


def review_run_portfolios(*, user) -> QuerySet[Portfolio]:
    """The portfolios whose review runs the user follows: every one for the PMO admin, else
    those they are the PMO or a portfolio manager of."""
    portfolios = Portfolio.objects.visible_to(user)
    if not access.is_pmo_admin(user):
        portfolios = portfolios.filter(
            memberships__user=user, memberships__role__in=access.EDITOR_ROLES
        )
    return portfolios


def review_runs(*, portfolios: QuerySet[Portfolio]) -> QuerySet[PortfolioReview]:
    """The review runs of `portfolios`, newest first, with their deliveries counted."""
    return (
        PortfolioReview.objects.filter(portfolio__in=portfolios)
        .select_related("portfolio")
        .annotate(
            delivery_count=Count("deliveries"),
            sent_count=Count("deliveries", filter=Q(deliveries__sent_at__isnull=False)),
        )
        .order_by("-started_at", "-pk")
    )


RECENT_RUNS_SHOWN = 10


def recent_review_runs(*, portfolio: Portfolio) -> list[ReviewRun]:
    """The portfolio's latest reviews run from the browser, newest first, each with its
    `.period_label` (one query)."""
    runs = list(
        ReviewRun.objects.filter(portfolio=portfolio)
        .select_related("requested_by", "review")
        .order_by("-requested_at", "-pk")[:RECENT_RUNS_SHOWN]
    )
    for run in runs:
        run.period_label = period_label(run.kind, run.period_start)
    return runs


def latest_reviews(*, portfolio: Portfolio) -> list[PortfolioReview]:
    """The latest complete review of each kind (monthly, quarterly, annual) of the portfolio,
    each with its `.period_label`, in one query (at most one row per kind)."""
    latest = (
        PortfolioReview.objects.filter(
            portfolio=portfolio, kind=OuterRef("kind"), status=ReviewStatus.COMPLETE
        )
        .order_by("-period_start", "-pk")
        .values("pk")[:1]
    )
    reviews = {
        review.kind: review
        for review in PortfolioReview.objects.filter(
            portfolio=portfolio, status=ReviewStatus.COMPLETE
        )
        .annotate(latest_pk=latest)
        .filter(pk=F("latest_pk"))
        .only("kind", "period_start", "period_end")
    }
    return _labelled(reviews[kind] for kind in ReviewKind.values if kind in reviews)


def stored_reviews(*, portfolio: Portfolio) -> QuerySet[PortfolioReview]:
    """The portfolio's complete reviews, newest first: what a digest can be previewed of."""
    return PortfolioReview.objects.filter(
        portfolio=portfolio, status=ReviewStatus.COMPLETE
    ).order_by("-period_start", "kind")


def portfolio_subscribers(*, portfolio: Portfolio) -> QuerySet:
    """The users subscribed to any digest of the portfolio, by username."""
    return (
        get_user_model()
        .objects.filter(digest_subscriptions__portfolio=portfolio)
        .distinct()
        .order_by("username")
    )


# --- Digest subscriptions -----------------------------------------------------------------------


def subscription_portfolios(*, user) -> QuerySet[Portfolio]:
    """The portfolios whose digests the user may subscribe to: the visible ones, by name."""
    return Portfolio.objects.visible_to(user).order_by("name")


def subscribed_kinds(*, user) -> list[tuple[int, str]]:
    """(portfolio id, review kind) of each digest the user receives."""
    return list(DigestSubscription.objects.filter(user=user).values_list("portfolio_id", "kind"))


def portfolio_people(*, portfolio: Portfolio) -> QuerySet:
    """Active users the PMO may subscribe to the portfolio's digests: its members and the
    managers of its projects."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            pk__in=get_user_model()
            .objects.filter(
                Q(memberships__portfolio=portfolio) | Q(managed_projects__portfolio=portfolio)
            )
            .values("pk")
        )
        .order_by(Lower(person_name_sql()), "username")
    )


def portfolio_subscriptions(*, portfolio: Portfolio) -> QuerySet[DigestSubscription]:
    """The portfolio's digest subscriptions, by subscriber and kind."""
    return (
        DigestSubscription.objects.filter(portfolio=portfolio)
        .select_related("user")
        .order_by(Lower(person_name_sql("user__")), "user__username", "kind")
    )


# --- The PMO's audit trail ---------------------------------------------------------------------


class AuditKind(models.TextChoices):
    ROLE = "role", "Role change"
    GATE = "gate", "Gate decision"
    SCENARIO = "scenario", "Scenario commit"
    OVERRIDE = "override", "Allocation override"
    LOGIN = "login", "Failed logins"


# The columns every kind of event is read into, so that one UNION merges them in the database
# and one ORDER BY / LIMIT pages the merged list.
AUDIT_COLUMNS = ("at", "kind", "portfolio_code", "actor", "subject", "detail")
MEMBERSHIP_ACTIONS = {"+": "given", "~": "changed to", "-": "taken away:"}


def _text(expression):
    return Cast(expression, models.CharField())


def _audit_rows(queryset, *, at, kind, portfolio_code, actor, subject, detail):
    return (
        queryset.order_by()
        .annotate(
            audit_at=Cast(at, models.DateTimeField()),
            audit_kind=Value(kind, output_field=models.CharField()),
            audit_portfolio_code=_text(portfolio_code),
            audit_actor=_text(actor),
            audit_subject=_text(subject),
            audit_detail=_text(detail),
        )
        .values_list(*(f"audit_{column}" for column in AUDIT_COLUMNS))
    )


def _role_changes():
    action = Case(
        *(When(history_type=code, then=Value(words)) for code, words in MEMBERSHIP_ACTIONS.items()),
        output_field=models.CharField(),
    )
    return _audit_rows(
        PortfolioMembership.history.all(),
        at=F("history_date"),
        kind=AuditKind.ROLE,
        portfolio_code=F("portfolio__code"),
        actor=person_name_sql("history_user__"),
        subject=person_name_sql("user__"),
        detail=Concat(action, Value(" "), F("role")),
    )


def _gate_decisions():
    return _audit_rows(
        GateDecision.objects.all(),
        at=F("recorded_at"),
        kind=AuditKind.GATE,
        portfolio_code=F("project__portfolio__code"),
        actor=person_name_sql("decided_by__"),
        subject=F("project__code"),
        detail=Concat(
            F("outcome"),
            Value(": "),
            F("from_stage"),
            Value(" → "),
            F("to_stage"),
            # A go past criteria neither met nor waived carries its override reason.
            Case(
                When(
                    ~Q(override_reason=""), then=Concat(Value(" · override: "), "override_reason")
                ),
                default=Value(""),
                output_field=models.CharField(),
            ),
        ),
    )


def _scenario_commits():
    return _audit_rows(
        Scenario.objects.filter(committed_at__isnull=False),
        at=F("committed_at"),
        kind=AuditKind.SCENARIO,
        portfolio_code=F("portfolio__code"),
        actor=person_name_sql("committed_by__"),
        subject=F("name"),
        detail=Value("committed"),
    )


def _allocation_overrides():
    """Each over-allocation override once: the first stored state of an allocation that
    carries that decision's override reason (later saves keep the reason)."""
    history = Allocation.history.model.objects
    earlier = history.filter(
        id=OuterRef("id"),
        decided_at=OuterRef("decided_at"),
        override_reason=OuterRef("override_reason"),
        history_date__lt=OuterRef("history_date"),
    )
    return _audit_rows(
        history.exclude(override_reason="").filter(~Exists(earlier)),
        at=F("history_date"),
        kind=AuditKind.OVERRIDE,
        portfolio_code=F("project__portfolio__code"),
        actor=person_name_sql("decided_by__"),
        subject=Concat(F("project__code"), Value(" · "), F("role__name")),
        detail=F("override_reason"),
    )


def _failed_logins():
    return _audit_rows(
        AccessAttempt.objects.all(),
        at=F("attempt_time"),
        kind=AuditKind.LOGIN,
        portfolio_code=Value(None, output_field=models.CharField()),
        actor=F("ip_address"),
        subject=F("username"),
        detail=Concat(
            Cast(F("failures_since_start"), models.CharField()),
            Value(" failed"),
            Case(
                When(
                    failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
                    then=Value(", locked out"),
                ),
                default=Value(""),
            ),
        ),
    )


AUDIT_SOURCES = {
    AuditKind.ROLE: (_role_changes, "portfolio_id"),
    AuditKind.GATE: (_gate_decisions, "project__portfolio_id"),
    AuditKind.SCENARIO: (_scenario_commits, "portfolio_id"),
    AuditKind.OVERRIDE: (_allocation_overrides, "project__portfolio_id"),
}


@dataclass(frozen=True)
class AuditEvent:
    at: datetime
    kind: str
    portfolio_code: str | None
    actor: str | None
    subject: str | None
    detail: str

    @property
    def kind_label(self) -> str:
        return AuditKind(self.kind).label


class AuditTrail:
    """The merged events as a sliceable sequence for the paginator: one COUNT, and one
    UNION … ORDER BY … LIMIT per page."""

    def __init__(self, union):
        self._union = union

    def count(self) -> int:
        return self._union.count() if self._union is not None else 0

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if self._union is None:
            return []
        return [AuditEvent(*row) for row in self._union[index]]


def audit_trail(*, user, kind: str = "", portfolio: Portfolio | None = None) -> AuditTrail:
    """Role changes, gate decisions, scenario commits, allocation overrides and failed logins,
    newest first, of the portfolios the user may audit (`access.audited_portfolio_ids`);
    failed logins belong to no portfolio, so only a PMO admin sees them."""
    portfolio_ids = access.audited_portfolio_ids(user)
    parts = []
    for source_kind, (rows, portfolio_field) in AUDIT_SOURCES.items():
        if kind and kind != source_kind:
            continue
        queryset = rows()
        if portfolio_ids is not None:
            queryset = queryset.filter(**{f"{portfolio_field}__in": portfolio_ids})
        if portfolio is not None:
            queryset = queryset.filter(**{portfolio_field: portfolio.pk})
        parts.append(queryset)
    if kind in ("", AuditKind.LOGIN) and portfolio is None and portfolio_ids is None:
        parts.append(_failed_logins())
    if not parts:
        return AuditTrail(None)
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return AuditTrail(union.order_by("-audit_at"))


def audited_portfolios(*, user) -> QuerySet[Portfolio]:
    portfolio_ids = access.audited_portfolio_ids(user)
    portfolios = Portfolio.objects.order_by("name")
    return portfolios if portfolio_ids is None else portfolios.filter(pk__in=portfolio_ids)
