from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q

from core.bounds import validate_date_in_window
from core.money import MONEY
from portfolio.querysets import PortfolioScopedQuerySet
from projects.models import Rag


class ReviewKind(models.TextChoices):
    MONTHLY = "monthly", "Monthly portfolio review"
    QUARTERLY = "quarterly", "Quarterly strategic-alignment review"
    ANNUAL = "annual", "Annual portfolio planning"


class ReviewStatus(models.TextChoices):
    RUNNING = "running", "Running"
    COMPLETE = "complete", "Complete"
    FAILED = "failed", "Failed"


class PortfolioReview(models.Model):
    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.CASCADE, related_name="reviews"
    )
    kind = models.CharField(max_length=10, choices=ReviewKind.choices)
    period_start = models.DateField(validators=[validate_date_in_window])
    period_end = models.DateField(validators=[validate_date_in_window])
    status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.RUNNING
    )
    kpis = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    findings = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    objects = PortfolioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["portfolio", "-period_start", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "kind", "period_start"], name="review_once_per_period"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="review_period_ordered"
            ),
        ]

    def __str__(self):
        return f"{self.portfolio}: {self.get_kind_display()} {self.period_start:%Y-%m}"


class ProjectSnapshot(models.Model):
    review = models.ForeignKey(PortfolioReview, on_delete=models.CASCADE, related_name="snapshots")
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="snapshots"
    )
    program = models.ForeignKey(
        "portfolio.Program", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stage = models.CharField(max_length=20)
    budget = models.DecimalField(**MONEY)
    actual_cost = models.DecimalField(**MONEY)
    earned_value = models.DecimalField(**MONEY)
    planned_value = models.DecimalField(**MONEY)
    estimate_at_completion = models.DecimalField(**MONEY, null=True, blank=True)
    percent_complete = models.DecimalField(max_digits=5, decimal_places=2)
    reported_health = models.CharField(max_length=5, choices=Rag.choices, blank=True)
    computed_health = models.CharField(max_length=5, choices=Rag.choices, blank=True)
    is_watermelon = models.BooleanField(default=False)
    risk_exposure = models.DecimalField(**MONEY, default=0)
    expected_benefit = models.DecimalField(**MONEY, default=0)

    class Meta:
        ordering = ["review", "project"]
        constraints = [
            models.UniqueConstraint(fields=["review", "project"], name="snapshot_once_per_review"),
            models.CheckConstraint(
                condition=Q(percent_complete__gte=0, percent_complete__lte=100),
                name="snapshot_percent_0_100",
            ),
        ]

    def __str__(self):
        return f"{self.project} @ {self.review}"


class DigestSubscription(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_subscriptions"
    )
    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.CASCADE, related_name="digest_subscriptions"
    )
    kind = models.CharField(max_length=10, choices=ReviewKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PortfolioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["portfolio", "kind", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "portfolio", "kind"], name="subscription_unique"
            ),
        ]

    def __str__(self):
        return f"{self.user} ← {self.portfolio} {self.get_kind_display()}"


class DigestDelivery(models.Model):
    review = models.ForeignKey(PortfolioReview, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_deliveries"
    )
    email = models.EmailField()
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["review", "recipient"]
        verbose_name_plural = "digest deliveries"
        constraints = [
            models.UniqueConstraint(fields=["review", "recipient"], name="delivery_once_per_review")
        ]

    def __str__(self):
        state = "sent" if self.sent_at else "pending"
        return f"{self.review} → {self.email} ({state})"


class ReminderKind(models.TextChoices):
    DUE = "due", "Status report due"
    OVERDUE = "overdue", "Status report overdue"
    MISSING_LIST = "missing_list", "Weekly list of missing reports"


class ReportReminder(models.Model):
    """One reminder e-mail, claimed before it is sent: a project's manager is reminded once per
    (project, period, kind), and each PMO member gets one missing-reports list per (portfolio,
    week). The row and the send commit together, so a duplicate beat tick sends nothing."""

    kind = models.CharField(max_length=12, choices=ReminderKind.choices)
    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.CASCADE, related_name="report_reminders"
    )
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="report_reminders",
    )
    period_start = models.DateField(help_text="The report's period, or the list's week.")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_reminders"
    )
    email = models.EmailField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ReminderKind.values), name="reminder_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind=ReminderKind.MISSING_LIST, project__isnull=True)
                | (~Q(kind=ReminderKind.MISSING_LIST) & Q(project__isnull=False)),
                name="reminder_project_unless_list",
            ),
            models.UniqueConstraint(
                fields=["project", "period_start", "kind"],
                condition=Q(project__isnull=False),
                name="reminder_once_per_project_period_kind",
            ),
            models.UniqueConstraint(
                fields=["portfolio", "period_start", "kind", "recipient"],
                condition=Q(project__isnull=True),
                name="reminder_list_once_per_week",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.period_start} → {self.email}"


class ReminderTopic(models.TextChoices):
    REPORTS = "reports", "Reminders of my status reports"
    MISSING_LIST = "missing_list", "Weekly lists of missing reports"


class ReminderOptOut(models.Model):
    """A user who unsubscribed from a kind of reminder (by the signed link in one)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_opt_outs"
    )
    topic = models.CharField(max_length=12, choices=ReminderTopic.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "topic"]
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], name="reminder_opt_out_once"),
            models.CheckConstraint(
                condition=Q(topic__in=ReminderTopic.values), name="reminder_opt_out_topic_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} ✕ {self.get_topic_display()}"


class ReviewRunStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


ACTIVE_RUN_STATUSES = (ReviewRunStatus.PENDING, ReviewRunStatus.RUNNING)


class ReviewRun(models.Model):
    """A review the PMO asked for from the browser, queued to Celery: pending until a worker
    takes it, running, then done (with the review) or failed (with the error). The review it
    makes is the one `PortfolioReview` of its portfolio, kind and period, so asking twice gives
    one review; at most one run per period is pending or running at a time."""

    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.CASCADE, related_name="review_runs"
    )
    kind = models.CharField(max_length=10, choices=ReviewKind.choices)
    period_start = models.DateField(validators=[validate_date_in_window])
    period_end = models.DateField(validators=[validate_date_in_window])
    status = models.CharField(
        max_length=10, choices=ReviewRunStatus.choices, default=ReviewRunStatus.PENDING
    )
    review = models.ForeignKey(
        PortfolioReview, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = PortfolioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "kind", "period_start"],
                condition=Q(status__in=["pending", "running"]),
                name="review_run_one_active_per_period",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="review_run_period_ordered"
            ),
        ]

    def __str__(self):
        return f"{self.portfolio}: {self.get_kind_display()} {self.period_start:%Y-%m} run"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_RUN_STATUSES


class KpiDataVersion(models.Model):
    """The version of the data a portfolio's KPIs are computed from: a random token that
    database triggers replace in the same transaction as any write to a table the figures read
    (migration 0008; `reporting.kpi_cache` keys its entries on it). Portfolio id 0 stands for
    what every portfolio reads (people's names). No foreign key: a deleted portfolio's row is
    bumped by the same trigger that sees the delete."""

    portfolio_id = models.BigIntegerField(primary_key=True)
    token = models.UUIDField()

    def __str__(self):
        return f"KPI data of portfolio {self.portfolio_id}: {self.token}"
