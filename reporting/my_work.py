"""Selectors of the landing page ("My work", `reporting.views.home`): what each of the user's
roles has to do, in a fixed number of queries whatever the number of projects.

- Project manager (manages a project): their projects with computed and reported health,
  the status reports they owe (due, late, in draft), their open risks by due date, and their
  change and allocation requests waiting on others.
- Resource manager (or PMO): allocation requests waiting for them, and this quarter's
  capacity conflicts.
- PMO / portfolio manager: per managed portfolio, pending gates, missing and late reports and
  change requests waiting; reviews that failed, are still running or were not run.

Every list goes through the `visible_to` / `core.access` filters: nothing names a project the
user may not open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, OuterRef, Q, Subquery

from core import access
from core.months import add_months
from portfolio import strategy
from portfolio.models import Portfolio
from projects import selectors as project_selectors
from projects.models import ChangeRequest, ChangeRequestStatus, Project, ReportState, StatusReport
from projects.querysets import Stage
from reporting.models import PortfolioReview, ReviewKind, ReviewStatus
from resources import selectors as resource_selectors
from resources.models import Allocation, AllocationStatus
from risks.models import Risk

# How many rows a section lists before "and N more" (with a link to the full page).
SHOWN = 10
FINISHED_STAGES = (Stage.CLOSED, Stage.CANCELLED)


@dataclass(frozen=True)
class Shortlist:
    """The first SHOWN rows of a list and how many there are in all."""

    rows: list
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


def _shortlist(queryset) -> Shortlist:
    rows = list(queryset[: SHOWN + 1])
    if len(rows) <= SHOWN:
        return Shortlist(rows, len(rows))
    return Shortlist(rows[:SHOWN], queryset.count())


@dataclass(frozen=True)
class ManagerWork:
    projects: list[Project]  # annotated `reported_health` (latest submitted report's overall)
    duties: list[project_selectors.ReportDuty]
    risks: Shortlist
    change_requests: list[ChangeRequest]
    allocation_requests: list[Allocation]

    @property
    def waiting_count(self) -> int:
        return len(self.change_requests) + len(self.allocation_requests)

    @property
    def due(self):
        return [duty for duty in self.duties if not duty.is_late]

    @property
    def late(self):
        return [duty for duty in self.duties if duty.is_late]

    @property
    def drafts(self):
        return [duty for duty in self.duties if duty.state == ReportState.DRAFT]


def manager_work(*, user, today: date) -> ManagerWork | None:
    """None when the user manages no project (the section does not apply)."""
    mine = Project.objects.visible_to(user).filter(manager=user)
    latest = StatusReport.objects.filter(
        project=OuterRef("pk"), state=ReportState.SUBMITTED
    ).order_by("-period_start")
    projects = list(
        mine.exclude(stage__in=FINISHED_STAGES)
        .select_related("portfolio")
        .annotate(
            reported_health=Subquery(latest.values("overall_rag")[:1]),
            reported_period=Subquery(latest.values("period_start")[:1]),
        )
        .order_by("code", "pk")
    )
    if not projects and not mine.exists():
        return None
    duties = project_selectors.report_duties(projects=mine.active(), today=today)
    risks = (
        Risk.objects.visible_to(user)
        .counted_in_exposure()
        .filter(Q(owner=user) | Q(project__manager=user))
        .select_related("project", "portfolio")
        .order_by(F("due_date").asc(nulls_last=True), "pk")
    )
    change_requests = list(
        ChangeRequest.objects.visible_to(user)
        .filter(Q(proposed_by=user) | Q(project__manager=user), status=ChangeRequestStatus.PROPOSED)
        .select_related("project")
        .order_by("proposed_at", "pk")
    )
    allocation_requests = list(
        Allocation.objects.visible_to(user)
        .filter(Q(requested_by=user) | Q(project__manager=user), status=AllocationStatus.REQUESTED)
        .select_related("project", "role", "resource")
        .order_by("start_month", "pk")
    )
    return ManagerWork(
        projects=projects,
        duties=duties,
        risks=_shortlist(risks),
        change_requests=change_requests,
        allocation_requests=allocation_requests,
    )


@dataclass(frozen=True)
class ResourceWork:
    requests: Shortlist
    quarter_start: date
    quarter_end: date
    conflicts: list  # (CapacityRow, month, CapacityCell)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def resource_work(*, user, today: date) -> ResourceWork | None:
    """None unless the user manages resources (a resource manager or PMO of some portfolio,
    or a PMO admin)."""
    if not access.can_manage_resources(user):
        return None
    first = quarter_start(today)
    grid = resource_selectors.role_capacity_grid(first_month=first, month_count=3)
    return ResourceWork(
        requests=_shortlist(resource_selectors.allocation_requests(user=user)),
        quarter_start=first,
        quarter_end=add_months(first, 3),
        conflicts=grid.conflicts,
    )


@dataclass(frozen=True)
class PortfolioWork:
    portfolio: Portfolio
    pending_gates: int
    missing_reports: int
    late_reports: int
    change_requests: int
    missing_label: str

    @property
    def is_clear(self) -> bool:
        return not (self.pending_gates or self.missing_reports or self.change_requests)


@dataclass(frozen=True)
class ReviewToChase:
    portfolio: Portfolio
    label: str
    review: PortfolioReview | None  # None: not run


@dataclass(frozen=True)
class OversightWork:
    portfolios: list[PortfolioWork]
    reviews: list[ReviewToChase]
    last_month_label: str


def oversight_work(*, user, today: date) -> OversightWork | None:
    """None unless the user manages a portfolio. Two queries per managed portfolio (pending
    gates and missing reports, each counted in SQL by the selector its page uses) and three
    in all for change requests and reviews: nothing grows with the number of projects."""
    portfolios = list(
        access.filter_managed_portfolios(
            Portfolio.objects.all(), user, portfolio_field=""
        ).order_by("name")
    )
    if not portfolios:
        return None
    ids = [portfolio.pk for portfolio in portfolios]
    changes = dict(
        ChangeRequest.objects.filter(
            status=ChangeRequestStatus.PROPOSED, project__portfolio__in=ids
        )
        .values_list("project__portfolio")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows = []
    for portfolio in portfolios:
        missing = project_selectors.missing_reports(portfolio=portfolio, today=today)
        counts = missing.projects.order_by().aggregate(
            n=Count("pk"), late=Count("pk", filter=Q(is_late=True))
        )
        rows.append(
            PortfolioWork(
                portfolio=portfolio,
                pending_gates=strategy.pending_gate_decisions(
                    portfolio=portfolio, user=user, as_of=today
                ).count(),
                missing_reports=counts["n"],
                late_reports=counts["late"],
                change_requests=changes.get(portfolio.pk, 0),
                missing_label=missing.period_label,
            )
        )
    last_month = add_months(today.replace(day=1), -1)
    chased = list(
        PortfolioReview.objects.filter(portfolio__in=ids)
        .filter(
            Q(status__in=[ReviewStatus.FAILED, ReviewStatus.RUNNING])
            | Q(kind=ReviewKind.MONTHLY, period_start=last_month)
        )
        .select_related("portfolio")
        .order_by("portfolio__name", "-period_start", "kind")
    )
    stored = {
        review.portfolio_id
        for review in chased
        if review.kind == ReviewKind.MONTHLY and review.period_start == last_month
    }
    label = f"{last_month:%B %Y}"
    reviews = [
        ReviewToChase(review.portfolio, review.get_kind_display(), review)
        for review in chased
        if review.status != ReviewStatus.COMPLETE
    ]
    reviews += [
        ReviewToChase(portfolio, f"Monthly portfolio review, {label}", None)
        for portfolio in portfolios
        if portfolio.pk not in stored
    ]
    return OversightWork(portfolios=rows, reviews=reviews, last_month_label=label)


@dataclass(frozen=True)
class MyWork:
    manager: ManagerWork | None
    resources: ResourceWork | None
    oversight: OversightWork | None

    @property
    def has_sections(self) -> bool:
        return any((self.manager, self.resources, self.oversight))


def my_work(*, user, today: date) -> MyWork:
    return MyWork(
        manager=manager_work(user=user, today=today),
        resources=resource_work(user=user, today=today),
        oversight=oversight_work(user=user, today=today),
    )


def has_work_page(user) -> bool:
    """Whether the landing page has a section for the user (else it is the overview)."""
    return (
        Project.objects.filter(manager=user).exists()
        or access.can_manage_resources(user)
        or access.filter_managed_portfolios(
            Portfolio.objects.all(), user, portfolio_field=""
        ).exists()
    )
