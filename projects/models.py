from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from core.bounds import validate_date_in_window
from core.money import MONEY, PERCENT_VALIDATORS
from projects.querysets import DependencyQuerySet, ProjectQuerySet, ProjectScopedQuerySet, Stage

# Stages whose start month is decided: the selection keeps it where the plan has it.
FIXED_START_STAGES = (
    Stage.APPROVED,
    Stage.IN_PROGRESS,
    Stage.CLOSING,
    Stage.CLOSED,
    Stage.CANCELLED,
)


class Rag(models.TextChoices):
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"


class PlanSource(models.TextChoices):
    """The tools whose plan files Slate imports (projects/imports/)."""

    MSPDI = "mspdi", "Microsoft Project XML"
    # Read by MPXJ in the Celery worker (projects/imports/mpxj_reader.py):
    MPP = "mpp", "Microsoft Project (.mpp)"
    PRIMAVERA = "p6", "Primavera P6"
    MPXJ = "mpxj", "Another planning tool"


# Files whose plan id is the same id space: an .mpp and the XML Project saves from it carry
# the same project GUID, so either finds the project the other was imported as.
MS_PROJECT_SOURCES = (PlanSource.MSPDI, PlanSource.MPP)


def same_plan_id_sources(source: str) -> tuple[str, ...]:
    return MS_PROJECT_SOURCES if source in MS_PROJECT_SOURCES else (source,)


class PlanImportState(models.TextChoices):
    READING = "reading", "Reading the file"
    READY = "ready", "Ready for preview"
    FAILED = "failed", "Cannot be imported"


class Project(models.Model):
    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.PROTECT, related_name="projects"
    )
    program = models.ForeignKey(
        "portfolio.Program",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects",
    )
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.IDEA)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_projects",
    )
    sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sponsored_projects",
    )
    start_date = models.DateField(validators=[validate_date_in_window])
    end_date = models.DateField(validators=[validate_date_in_window])
    baseline_start = models.DateField(validators=[validate_date_in_window], null=True, blank=True)
    baseline_end = models.DateField(validators=[validate_date_in_window], null=True, blank=True)
    baseline_set_at = models.DateTimeField(null=True, blank=True)
    baseline_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    baseline_version = models.PositiveIntegerField(
        default=0,
        help_text="The current approved baseline: 0 is the original, each approved change "
        "request adds one.",
    )
    budget = models.DecimalField(
        **MONEY,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Budget at completion (BAC).",
    )
    expected_benefit = models.DecimalField(
        **MONEY, default=Decimal("0"), help_text="Expected benefit over the project's life."
    )
    annual_benefit = models.DecimalField(**MONEY, default=Decimal("0"))
    annual_cost = models.DecimalField(**MONEY, default=Decimal("0"))
    is_mandatory = models.BooleanField(
        default=False, help_text="Regulatory or contractual: selection must include it."
    )
    # Timing (docs/formulas.md, "Optimised selection with timing"): the months the selection
    # may start the project in, and the market window its value depends on. The start of an
    # approved or running project is fixed at its plan.
    earliest_start = models.DateField(
        "earliest start month",
        validators=[validate_date_in_window],
        null=True,
        blank=True,
        help_text="The first month it could start in; blank: its planned start.",
    )
    latest_start = models.DateField(
        "latest start month",
        validators=[validate_date_in_window],
        null=True,
        blank=True,
        help_text="The last month it could start in; blank: its planned start.",
    )
    target_launch = models.DateField(
        "target launch month",
        validators=[validate_date_in_window],
        null=True,
        blank=True,
        help_text="The month its market window opens best: finishing later loses value.",
    )
    value_decay_percent = models.DecimalField(
        "value lost per month late",
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=PERCENT_VALIDATORS,
        help_text="Per cent of its value lost for each month it finishes after the target "
        "launch month.",
    )
    value_deadline = models.DateField(
        "deadline month",
        validators=[validate_date_in_window],
        null=True,
        blank=True,
        help_text="Finishing after this month makes it worth nothing.",
    )
    requires = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="required_by"
    )
    excludes = models.ManyToManyField("self", symmetrical=True, blank=True)
    computed_health = models.CharField(
        max_length=5,
        choices=Rag.choices,
        blank=True,
        help_text="Health from CPI/SPI, refreshed by the health task.",
    )
    health_computed_at = models.DateTimeField(null=True, blank=True)
    external_source = models.CharField(
        max_length=10, choices=PlanSource.choices, blank=True, help_text="Where its plan is kept."
    )
    external_id = models.CharField(
        max_length=100,
        blank=True,
        help_text="The plan's own id in that tool (MS Project's project GUID): a re-import of "
        "the same plan finds this project by it.",
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["computed_health", "health_computed_at"])
    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["portfolio", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "code"], name="project_code_per_portfolio"
            ),
            models.UniqueConstraint(
                fields=["portfolio", "external_source", "external_id"],
                condition=~Q(external_id=""),
                name="project_external_id_per_portfolio",
                violation_error_message="Another project of this portfolio was imported from "
                "this plan.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="project_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(baseline_start__isnull=True)
                | Q(baseline_end__isnull=True)
                | Q(baseline_end__gte=F("baseline_start")),
                name="project_baseline_end_after_start",
            ),
            models.CheckConstraint(condition=Q(budget__gte=0), name="project_budget_not_negative"),
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="project_stage_valid"),
            models.CheckConstraint(
                condition=Q(earliest_start__isnull=True)
                | Q(latest_start__isnull=True)
                | Q(latest_start__gte=F("earliest_start")),
                name="project_start_window_ordered",
            ),
            models.CheckConstraint(
                condition=Q(value_decay_percent__gte=0, value_decay_percent__lte=100),
                name="project_value_decay_0_100",
            ),
            models.CheckConstraint(
                condition=(Q(earliest_start__isnull=True) | Q(earliest_start__day=1))
                & (Q(latest_start__isnull=True) | Q(latest_start__day=1))
                & (Q(target_launch__isnull=True) | Q(target_launch__day=1))
                & (Q(value_deadline__isnull=True) | Q(value_deadline__day=1)),
                name="project_timing_months_first_day",
            ),
        ]
        indexes = [models.Index(fields=["portfolio", "stage"]), models.Index(fields=["manager"])]

    def __str__(self):
        return f"{self.code} — {self.name}"

    def clean(self):
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = "The end date must be on or after the start date."
        if self.baseline_start and self.baseline_end and self.baseline_end < self.baseline_start:
            errors["baseline_end"] = "The baseline end must be on or after the baseline start."
        if self.program_id and self.portfolio_id and self.program.portfolio_id != self.portfolio_id:
            errors["program"] = "The program belongs to another portfolio."
        errors.update(self.timing_errors())
        if errors:
            raise ValidationError(errors)

    # --- Timing -----------------------------------------------------------------------------

    @property
    def start_month(self):
        return self.start_date.replace(day=1) if self.start_date else None

    @property
    def duration_months(self) -> int | None:
        """Calendar months from its planned start month to its planned end month, both
        counted: the duration the selection moves it with (docs/decisions.md)."""
        if not (self.start_date and self.end_date) or self.end_date < self.start_date:
            return None
        return (
            (self.end_date.year - self.start_date.year) * 12
            + self.end_date.month
            - self.start_date.month
            + 1
        )

    @property
    def start_is_fixed(self) -> bool:
        """Approved, running and finished projects keep the start of their plan."""
        return self.stage in FIXED_START_STAGES

    @property
    def start_window(self):
        """(first, last) month it may start in: its window, each end defaulting to the
        planned start month; just the planned start when its start is fixed."""
        start = self.start_month
        if self.start_is_fixed:
            return start, start
        return self.earliest_start or start, self.latest_start or start

    @property
    def has_timing(self) -> bool:
        first, last = self.start_window
        return bool(
            first != last or self.target_launch or self.value_deadline or self.value_decay_percent
        )

    def timing_errors(self) -> dict[str, str]:
        """The start window and market window's problems, by field."""
        errors: dict[str, str] = {}
        start = self.start_month
        earliest, latest = self.earliest_start, self.latest_start
        if self.start_is_fixed:
            if any(day and day.replace(day=1) != start for day in (earliest, latest)):
                errors["earliest_start"] = (
                    f"{self.get_stage_display()}: its start is fixed at its plan "
                    f"({start:%b %Y}); clear the start window."
                )
        else:
            if earliest and latest and latest < earliest:
                errors["latest_start"] = "The latest start month must not be before the earliest."
            elif start and earliest and earliest.replace(day=1) > start:
                errors["earliest_start"] = (
                    f"The planned start ({start:%b %Y}) must lie in the window: the earliest "
                    "start month is after it."
                )
            elif start and latest and latest.replace(day=1) < start:
                errors["latest_start"] = (
                    f"The planned start ({start:%b %Y}) must lie in the window: the latest "
                    "start month is before it."
                )
        decay = self.value_decay_percent or 0
        if decay and not self.target_launch:
            errors["target_launch"] = (
                "Give the target launch month the value decays from, or set the decay to 0."
            )
        if self.target_launch and self.value_deadline and self.value_deadline < self.target_launch:
            errors["value_deadline"] = "The deadline must not be before the target launch month."
        return errors


class MilestoneStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    MISSED = "missed", "Missed"


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(max_length=200)
    sequence = models.PositiveIntegerField(default=0)
    weight = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=PERCENT_VALIDATORS,
        help_text="Share of the project's planned work, in %.",
    )
    baseline_date = models.DateField(validators=[validate_date_in_window], null=True, blank=True)
    forecast_date = models.DateField(validators=[validate_date_in_window], null=True, blank=True)
    # No window validator where the service refuses the future first (its message is clearer).
    actual_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=MilestoneStatus.choices, default=MilestoneStatus.PLANNED
    )
    external_id = models.CharField(
        max_length=100,
        blank=True,
        help_text="The task it was imported from (its unique id in the project's plan file).",
    )
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()
    objects = ProjectScopedQuerySet.as_manager()

    class Meta:
        ordering = ["project", "sequence", "baseline_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=0, weight__lte=100), name="milestone_weight_0_100"
            ),
            models.UniqueConstraint(
                fields=["project", "external_id"],
                condition=~Q(external_id=""),
                name="milestone_external_id_per_project",
            ),
        ]
        indexes = [models.Index(fields=["project", "sequence"])]

    def __str__(self):
        return f"{self.project.code}: {self.name}"


class CostCategory(models.TextChoices):
    LABOUR = "labour", "Labour"
    CONTRACTOR = "contractor", "Contractor"
    HARDWARE = "hardware", "Hardware"
    SOFTWARE = "software", "Software and licences"
    TRAVEL = "travel", "Travel"
    OTHER = "other", "Other"


class CostEntry(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="cost_entries")
    date = models.DateField()  # the service refuses the future and dates before the window
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])
    category = models.CharField(max_length=12, choices=CostCategory.choices)
    description = models.CharField(max_length=300, blank=True)
    external_id = models.CharField(
        max_length=100,
        blank=True,
        help_text="Set on the entries a plan import wrote (the actual cost up to a status "
        "date), so that importing the plan again updates them.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProjectScopedQuerySet.as_manager()

    class Meta:
        ordering = ["project", "-date", "-id"]
        verbose_name_plural = "cost entries"
        constraints = [
            models.UniqueConstraint(
                fields=["project", "external_id"],
                condition=~Q(external_id=""),
                name="cost_external_id_per_project",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="cost_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(category__in=CostCategory.values), name="cost_category_valid"
            ),
        ]
        indexes = [models.Index(fields=["project", "date"])]

    def __str__(self):
        return f"{self.project.code} {self.date}: {self.amount} ({self.get_category_display()})"


class ReportState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


RAG_FIELDS = ("overall_rag", "schedule_rag", "budget_rag", "scope_rag", "quality_rag", "risk_rag")


def _rag_field(label):
    return models.CharField(label, max_length=5, choices=Rag.choices, default=Rag.GREEN)


class StatusReport(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="status_reports")
    period_start = models.DateField(
        validators=[validate_date_in_window], help_text="First day of the reporting period."
    )
    period_end = models.DateField(
        validators=[validate_date_in_window], help_text="Last day of the reporting period."
    )
    state = models.CharField(max_length=10, choices=ReportState.choices, default=ReportState.DRAFT)
    overall_rag = _rag_field("overall")
    schedule_rag = _rag_field("schedule")
    budget_rag = _rag_field("budget")
    scope_rag = _rag_field("scope")
    quality_rag = _rag_field("quality")
    risk_rag = _rag_field("risk")
    percent_complete = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("0"), validators=PERCENT_VALIDATORS
    )
    forecast_end = models.DateField(validators=[validate_date_in_window], null=True, blank=True)
    forecast_cost = models.DecimalField(**MONEY, null=True, blank=True)
    summary = models.TextField(blank=True)
    accomplishments = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)
    escalations = models.TextField("issues needing escalation", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords()
    objects = ProjectScopedQuerySet.as_manager()

    class Meta:
        ordering = ["project", "-period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "period_start"],
                name="status_report_one_per_period",
                violation_error_message="This project already has a status report for this period.",
            ),
            models.CheckConstraint(
                condition=Q(percent_complete__gte=0, percent_complete__lte=100),
                name="status_report_percent_0_100",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="status_report_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(forecast_cost__isnull=True) | Q(forecast_cost__gte=0),
                name="status_report_forecast_cost_not_negative",
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{field}__in": Rag.values}), name=f"status_report_{field}_valid"
                )
                for field in RAG_FIELDS
            ],
        ]
        indexes = [models.Index(fields=["project", "state", "period_start"])]

    def __str__(self):
        return (
            f"{self.project.code} status {self.period_start:%Y-%m-%d} ({self.get_state_display()})"
        )

    @property
    def is_submitted(self):
        return self.state == ReportState.SUBMITTED


MAX_LAG_MONTHS = 36


class DependencyKind(models.TextChoices):
    FINISH_TO_START = "finish_to_start", "Finish to start"
    SHARED_DELIVERABLE = "shared_deliverable", "Shared deliverable"


class ProjectDependency(models.Model):
    predecessor = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="dependencies_out"
    )
    successor = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="dependencies_in")
    kind = models.CharField(
        max_length=20, choices=DependencyKind.choices, default=DependencyKind.FINISH_TO_START
    )
    deliverable = models.CharField(
        max_length=200, blank=True, help_text='What is handed over, e.g. "Data architecture v2".'
    )
    predecessor_milestone = models.ForeignKey(
        Milestone,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The predecessor's milestone that delivers it; blank means its finish.",
    )
    needed_by = models.DateField(
        validators=[validate_date_in_window], help_text="When the successor needs it."
    )
    lag_months = models.PositiveSmallIntegerField(
        "lag (months)",
        default=0,
        validators=[MaxValueValidator(MAX_LAG_MONTHS)],
        help_text="Finish to start: whole months the successor waits after the predecessor "
        "finishes before it may start (0: the month after).",
    )
    description = models.TextField(blank=True)

    objects = DependencyQuerySet.as_manager()

    class Meta:
        ordering = ["needed_by"]
        verbose_name_plural = "project dependencies"
        constraints = [
            models.CheckConstraint(
                condition=~Q(predecessor=F("successor")), name="dependency_not_self"
            ),
            models.UniqueConstraint(
                fields=["predecessor", "successor", "deliverable"], name="dependency_unique"
            ),
            models.CheckConstraint(
                condition=Q(lag_months__lte=MAX_LAG_MONTHS), name="dependency_lag_max"
            ),
        ]

    def __str__(self):
        what = self.deliverable or self.get_kind_display().lower()
        return f"{self.successor.code} needs {self.predecessor.code} ({what}) by {self.needed_by}"

    @property
    def days_late(self) -> int | None:
        """Expected on − needed by, in days (positive is late); needs `with_lateness()`."""
        expected = getattr(self, "expected_on", None)
        return None if expected is None else (expected - self.needed_by).days

    def clean(self):
        if self.predecessor_id and self.predecessor_id == self.successor_id:
            raise ValidationError({"successor": "A project cannot depend on itself."})
        if (
            self.predecessor_milestone_id
            and self.predecessor_milestone.project_id != self.predecessor_id
        ):
            raise ValidationError(
                {"predecessor_milestone": "Choose a milestone of the predecessor project."}
            )


class Baseline(models.Model):
    """One version of a project's baseline: BAC, dates and milestone baseline dates.
    Version 0 is the original; each approved change request adds the next version. The
    project's own fields hold the current version (what EVM reads)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="baselines")
    version = models.PositiveIntegerField()
    budget = models.DecimalField(**MONEY)
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    milestone_dates = models.JSONField(
        default=dict, blank=True, help_text="Milestone id → baseline date (ISO)."
    )
    change_request = models.OneToOneField(
        "ChangeRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="baseline"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProjectScopedQuerySet.as_manager()

    class Meta:
        ordering = ["project", "version"]
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="baseline_version_unique"),
        ]

    def __str__(self):
        return f"{self.project.code} baseline {self.version}"


class ChangeRequestStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class ChangeRequest(models.Model):
    """A proposed change of a project's BAC, baseline dates or milestone baseline dates.
    A blank proposed value keeps the current one."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="change_requests")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    budget = models.DecimalField(
        "new BAC",
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    baseline_start = models.DateField("new baseline start", null=True, blank=True)
    baseline_end = models.DateField("new baseline end", null=True, blank=True)
    milestone_dates = models.JSONField(
        default=dict, blank=True, help_text="Milestone id → new baseline date (ISO)."
    )
    reason = models.TextField()
    status = models.CharField(
        max_length=10, choices=ChangeRequestStatus.choices, default=ChangeRequestStatus.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    envelope_override_reason = models.TextField(
        blank=True, help_text="Why a PMO admin approved it beyond the portfolio's envelope."
    )

    objects = ProjectScopedQuerySet.as_manager()

    class Meta:
        ordering = ["project", "-proposed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ChangeRequestStatus.values),
                name="change_request_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0),
                name="change_request_budget_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["status", "project"])]

    def __str__(self):
        return f"{self.project.code} change request ({self.get_status_display()})"

    @property
    def is_pending(self) -> bool:
        return self.status == ChangeRequestStatus.PROPOSED


class PlanImport(models.Model):
    """A project plan file someone uploaded, kept between its preview and its import.

    Microsoft Project XML is read in the request: only a file that could be read and
    previewed is kept, and the preview and the import re-read it. Every other format is read
    by MPXJ in a Celery worker (a JVM, never in a web request): the upload is kept `reading`,
    the worker keeps the plan it read (`plan`) and makes it `ready`, or `failed` with what is
    wrong (`problems`); the preview and the import then use the kept plan."""

    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.CASCADE, related_name="plan_imports"
    )
    project = models.ForeignKey(
        Project,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="plan_imports",
        help_text="The project it was uploaded to; blank when uploaded to the portfolio, where "
        "the plan finds its project (or creates one) when it is imported.",
    )
    code = models.CharField(max_length=32, blank=True, help_text="A new project's code.")
    name = models.CharField(max_length=200, blank=True, help_text="A new project's name.")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=10, choices=PlanSource.choices)
    file_name = models.CharField(max_length=255)
    content = models.BinaryField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(
        max_length=10, choices=PlanImportState.choices, default=PlanImportState.READY
    )
    plan = models.JSONField(
        null=True,
        blank=True,
        help_text="The plan as the worker read it (projects.imports.plan.plan_to_json); blank "
        "for Microsoft Project XML, which is re-read from the file.",
    )
    problems = models.JSONField(
        default=list, blank=True, help_text="Why the file cannot be imported (state failed)."
    )
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return f"{self.file_name} ({self.get_source_display()})"

    @property
    def is_applied(self) -> bool:
        return self.applied_at is not None

    @property
    def is_reading(self) -> bool:
        return self.state == PlanImportState.READING
