from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from core.bounds import validate_date_in_window
from core.money import MONEY, PERCENT_VALIDATORS
from portfolio.querysets import PortfolioQuerySet, PortfolioScopedQuerySet


class ReportingPeriod(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    WEEKLY = "weekly", "Weekly"


class EacBasis(models.TextChoices):
    """Which estimate at completion a portfolio's roll-ups and "forecast over budget" use
    (docs/formulas.md, "Earned value")."""

    WORSE_OF = "worse_of", "Worse (higher) of computed EAC and PM forecast"
    COMPUTED = "computed", "Computed EAC (BAC ÷ CPI)"
    FORECAST = "forecast", "PM forecast"


# A reminder further ahead than a month would come before a monthly period has begun.
REMINDER_LEAD_DAYS_MAX = 27


class Portfolio(models.Model):
    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    currency = models.CharField(max_length=3, default="USD")
    budget_envelope = models.DecimalField(
        **MONEY, default=Decimal("0"), help_text="Annual budget available to fund projects."
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    reporting_period = models.CharField(
        max_length=10, choices=ReportingPeriod.choices, default=ReportingPeriod.MONTHLY
    )
    green_threshold = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.95"),
        help_text="CPI and SPI at or above this are green.",
    )
    amber_threshold = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.85"),
        help_text="CPI and SPI at or above this (and below green) are amber.",
    )
    eac_basis = models.CharField(
        "EAC basis",
        max_length=10,
        choices=EacBasis.choices,
        default=EacBasis.WORSE_OF,
        help_text="The estimate at completion that roll-ups and “forecast over budget” use; "
        "the project page shows all of them.",
    )
    reminders_enabled = models.BooleanField(
        "status report reminders",
        default=True,
        help_text="E-mail project managers before their status report is due and when it is "
        "late, and the PMO a weekly list of missing reports.",
    )
    reminder_lead_days = models.PositiveSmallIntegerField(
        default=3,
        validators=[MaxValueValidator(REMINDER_LEAD_DAYS_MAX)],
        help_text="How many days before a period ends its project managers are reminded.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PortfolioQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        permissions = [("pmo_admin", "PMO admin: sees and manages every portfolio")]
        constraints = [
            models.CheckConstraint(
                condition=Q(fiscal_year_start_month__gte=1, fiscal_year_start_month__lte=12),
                name="portfolio_fiscal_month_1_12",
            ),
            models.CheckConstraint(
                condition=Q(amber_threshold__lte=F("green_threshold"), amber_threshold__gt=0),
                name="portfolio_thresholds_ordered",
            ),
            models.CheckConstraint(
                condition=Q(budget_envelope__gte=0), name="portfolio_envelope_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(eac_basis__in=EacBasis.values), name="portfolio_eac_basis_valid"
            ),
            models.CheckConstraint(
                condition=Q(reminder_lead_days__lte=REMINDER_LEAD_DAYS_MAX),
                name="portfolio_reminder_lead_days_max",
            ),
        ]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    PMO = "pmo", "PMO"
    PORTFOLIO_MANAGER = "portfolio_manager", "Portfolio manager"
    EXECUTIVE = "executive", "Executive"
    RESOURCE_MANAGER = "resource_manager", "Resource manager"
    VIEWER = "viewer", "Viewer"


class PortfolioMembership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)

    objects = PortfolioScopedQuerySet.as_manager()
    # Who gave whom which role, and who took it away: the PMO's audit page reads it.
    history = HistoricalRecords()

    class Meta:
        ordering = ["portfolio", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "portfolio"], name="membership_one_per_user"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} of {self.portfolio}"


class Program(models.Model):
    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="programs")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_programs",
    )

    objects = PortfolioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["portfolio", "name"]
        constraints = [
            models.UniqueConstraint(fields=["portfolio", "name"], name="program_name_per_portfolio")
        ]

    def __str__(self):
        return self.name


class StrategicObjective(models.Model):
    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="objectives")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    weight = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=PERCENT_VALIDATORS,
        help_text="Share of the portfolio's strategy, in %; active objectives sum to 100.",
    )
    active_from = models.DateField(validators=[validate_date_in_window])
    active_until = models.DateField(validators=[validate_date_in_window], null=True, blank=True)

    objects = PortfolioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["portfolio", "-weight", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "name"], name="objective_name_per_portfolio"
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=0, weight__lte=100), name="objective_weight_0_100"
            ),
            models.CheckConstraint(
                condition=Q(active_until__isnull=True) | Q(active_until__gte=F("active_from")),
                name="objective_active_period_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.weight:g}%)"


class CriterionDirection(models.TextChoices):
    HIGHER_IS_BETTER = "higher", "Higher is better"
    LOWER_IS_BETTER = "lower", "Lower is better"


class ScoringCriterion(models.Model):
    portfolio = models.ForeignKey(
        Portfolio, on_delete=models.CASCADE, related_name="scoring_criteria"
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    weight = models.DecimalField(max_digits=5, decimal_places=2, validators=PERCENT_VALIDATORS)
    direction = models.CharField(
        max_length=6,
        choices=CriterionDirection.choices,
        default=CriterionDirection.HIGHER_IS_BETTER,
    )
    anchors = models.JSONField(
        default=dict,
        blank=True,
        help_text='Written meaning of each score, e.g. {"1": "...", "5": "..."}.',
    )

    objects = PortfolioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["portfolio", "-weight", "name"]
        verbose_name_plural = "scoring criteria"
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "name"], name="criterion_name_per_portfolio"
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=0, weight__lte=100), name="criterion_weight_0_100"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.weight:g}%)"


class ProjectScore(models.Model):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(ScoringCriterion, on_delete=models.CASCADE, related_name="scores")
    score = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scored_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "criterion"], name="score_one_per_criterion"
            ),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="score_1_5"),
        ]

    def __str__(self):
        return f"{self.project.code} · {self.criterion.name}: {self.score}"

    def clean(self):
        if (
            self.project_id
            and self.criterion_id
            and self.project.portfolio_id != self.criterion.portfolio_id
        ):
            raise ValidationError({"criterion": "The criterion belongs to another portfolio."})


class Contribution(models.IntegerChoices):
    NONE = 0, "None"
    LOW = 1, "Low"
    MEDIUM = 2, "Medium"
    HIGH = 3, "High"


class ObjectiveContribution(models.Model):
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="contributions"
    )
    objective = models.ForeignKey(
        StrategicObjective, on_delete=models.CASCADE, related_name="contributions"
    )
    contribution = models.PositiveSmallIntegerField(
        choices=Contribution.choices, default=Contribution.NONE
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "objective"], name="contribution_one_per_objective"
            ),
            models.CheckConstraint(
                condition=Q(contribution__gte=0, contribution__lte=3), name="contribution_0_3"
            ),
        ]

    def __str__(self):
        return f"{self.project.code} → {self.objective.name}: {self.get_contribution_display()}"

    def clean(self):
        if (
            self.project_id
            and self.objective_id
            and self.project.portfolio_id != self.objective.portfolio_id
        ):
            raise ValidationError({"objective": "The objective belongs to another portfolio."})


class Scenario(models.Model):
    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="scenarios")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    budget_limit = models.DecimalField(**MONEY)
    capacity_changes = models.JSONField(
        default=dict,
        blank=True,
        help_text=(
            'Extra (or fewer) hours per role per month, e.g. {"Data engineer": {"2027-01": 160}}.'
        ),
    )
    start_months = models.JSONField(
        default=dict,
        blank=True,
        help_text='The month each moved project starts in, by project id, e.g. {"12": "2027-05"}; '
        "a project not named starts as planned. Committing the scenario moves their plans.",
    )
    forced_in = models.ManyToManyField("projects.Project", blank=True, related_name="+")
    forced_out = models.ManyToManyField("projects.Project", blank=True, related_name="+")
    # Running projects the scenario stops: committing it records a no-go at their gate.
    stopped = models.ManyToManyField("projects.Project", blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    committed_at = models.DateTimeField(null=True, blank=True)

    objects = PortfolioScopedQuerySet.as_manager()

    class Meta:
        ordering = ["portfolio", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "name"], name="scenario_name_per_portfolio"
            ),
            models.CheckConstraint(
                condition=Q(budget_limit__gte=0), name="scenario_budget_not_negative"
            ),
        ]

    def __str__(self):
        return self.name


class Synergy(models.Model):
    """Projects of a portfolio worth more together than apart: a value bonus when every one
    of them is chosen, and/or a cost saving when they are chosen together (a shared
    deliverable built once). The selection counts it (portfolio.selection.timing); the
    candidate pages show it with its reason. Written by portfolio.services."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="synergies")
    name = models.CharField(max_length=200)
    reason = models.TextField(help_text="Why these projects are worth more together.")
    members = models.ManyToManyField("projects.Project", related_name="synergies")
    value_bonus = models.DecimalField(
        **MONEY,
        default=Decimal("0"),
        help_text="Value added when every member is chosen, in the portfolio's currency.",
    )
    cost_saving = models.DecimalField(
        **MONEY,
        default=Decimal("0"),
        help_text="Cost saved when every member is chosen (the shared part is built once).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = PortfolioScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["portfolio", "name"]
        verbose_name_plural = "synergies"
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "name"], name="synergy_name_per_portfolio"
            ),
            models.CheckConstraint(
                condition=Q(value_bonus__gte=0, cost_saving__gte=0),
                name="synergy_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(value_bonus__gt=0) | Q(cost_saving__gt=0),
                name="synergy_bonus_or_saving",
                violation_error_message="Give a value bonus, a cost saving, or both.",
            ),
        ]

    def __str__(self):
        return self.name


class GateOutcome(models.TextChoices):
    GO = "go", "Go"
    NO_GO = "no_go", "No-go"
    HOLD = "hold", "Hold"
    RECYCLE = "recycle", "Recycle"


class GateDecision(models.Model):
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="gate_decisions"
    )
    from_stage = models.CharField(max_length=20)
    to_stage = models.CharField(max_length=20)
    outcome = models.CharField(max_length=10, choices=GateOutcome.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="gate_decisions"
    )
    decided_on = models.DateField(validators=[validate_date_in_window])
    rationale = models.TextField()
    conditions = models.TextField(blank=True)
    override_reason = models.TextField(
        blank=True,
        help_text="Why a go was given although some of the gate's criteria were neither met "
        "nor waived; blank when every criterion was met or waived.",
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "-decided_on", "-recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=GateOutcome.values), name="gate_outcome_valid"
            ),
        ]

    def __str__(self):
        return (
            f"{self.project.code}: {self.from_stage} → {self.to_stage} "
            f"{self.get_outcome_display()} ({self.decided_on})"
        )


# The gates a checklist may belong to: a gate is named by the stage it opens (a go moves the
# project there). Stage lives in projects, above this module, so its values are restated here
# (portfolio.strategy.GATE_TARGETS is the rule; a test keeps the two in step).
GATE_STAGES = (
    ("candidate", "Candidate"),
    ("approved", "Approved"),
    ("in_progress", "In progress"),
    ("closing", "Closing"),
    ("closed", "Closed"),
)


class GateCriterion(models.Model):
    """One item of a portfolio's checklist for a gate, e.g. "business case approved" at the
    gate to approved. A go with criteria neither met nor waived needs an override reason
    (portfolio.services.record_gate_decision)."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="gate_criteria")
    gate = models.CharField(max_length=20, choices=GATE_STAGES, help_text="The stage it opens.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = PortfolioScopedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["portfolio", "gate", "position", "name"]
        verbose_name_plural = "gate criteria"
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "gate", "name"], name="gate_criterion_name_per_gate"
            ),
            models.CheckConstraint(
                condition=Q(gate__in=[value for value, _ in GATE_STAGES]),
                name="gate_criterion_gate_valid",
            ),
        ]

    def __str__(self):
        return self.name


class CriterionStatus(models.TextChoices):
    MET = "met", "Met"
    NOT_MET = "not_met", "Not met"
    WAIVED = "waived", "Waived"


class GateCriterionAssessment(models.Model):
    """How a criterion stood when a gate decision was taken, with the evidence. Kept with the
    decision (decisions are never edited), so the history of every gate stays readable even
    after the checklist changes: the criterion's name is copied."""

    decision = models.ForeignKey(GateDecision, on_delete=models.CASCADE, related_name="assessments")
    criterion = models.ForeignKey(
        GateCriterion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    criterion_name = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=CriterionStatus.choices)
    evidence = models.TextField(blank=True, help_text="A note on what shows it.")
    evidence_link = models.URLField(max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["decision", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "criterion"], name="assessment_one_per_criterion"
            ),
            models.CheckConstraint(
                condition=Q(status__in=CriterionStatus.values), name="assessment_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.criterion_name}: {self.get_status_display()}"


class RankingSnapshot(models.Model):
    """The portfolio's ranking as it stood just before a scoring round (the first change of
    project scores or scoring criteria on a day), so the ranked list can show how each
    project's rank moved since. Written by portfolio.services, read by portfolio.strategy."""

    portfolio = models.ForeignKey(
        Portfolio, on_delete=models.CASCADE, related_name="ranking_snapshots"
    )
    taken_on = models.DateField(validators=[validate_date_in_window])
    taken_at = models.DateTimeField(auto_now_add=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True)
    ranks = models.JSONField(
        default=dict,
        blank=True,
        help_text='Rank by project id before the round, e.g. {"12": 1, "7": 2}.',
    )

    class Meta:
        ordering = ["portfolio", "-taken_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "taken_on"], name="ranking_snapshot_one_per_day"
            ),
        ]

    def __str__(self):
        return f"{self.portfolio} ranking before scoring on {self.taken_on}"


# --- Onboarding from a spreadsheet -------------------------------------------------------------


class OnboardingKind(models.TextChoices):
    PORTFOLIOS = "portfolios", "Portfolios"
    PROJECTS = "projects", "Projects"


class OnboardingImport(models.Model):
    """A spreadsheet of portfolios or projects someone uploaded, kept between its column
    mapping, its preview and its import (portfolio/onboarding.py). Only a file that could be
    read is kept; the import reads it again, so the preview and the import see the same rows."""

    kind = models.CharField(max_length=10, choices=OnboardingKind.choices)
    portfolio = models.ForeignKey(
        Portfolio,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="onboarding_imports",
        help_text="Projects: the portfolio every row goes to; blank when a column names it.",
    )
    file_name = models.CharField(max_length=255)
    content = models.BinaryField()
    mapping = models.JSONField(
        default=dict, blank=True, help_text="The file's column (its header) → the Slate field."
    )
    template = models.ForeignKey(
        "ImportTemplate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=list, blank=True, help_text="What the import wrote.")

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return f"{self.file_name} ({self.get_kind_display()})"

    @property
    def is_applied(self) -> bool:
        return self.applied_at is not None


class ImportTemplate(models.Model):
    """A remembered column mapping (header → Slate field), a user's own or shared by a
    portfolio; the onboarding import pre-selects the one last used."""

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=OnboardingKind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="import_templates",
    )
    portfolio = models.ForeignKey(
        Portfolio,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="import_templates",
    )
    mapping = models.JSONField(default=dict)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=False, portfolio__isnull=True)
                | Q(owner__isnull=True, portfolio__isnull=False),
                name="import_template_owner_or_portfolio",
            ),
            models.UniqueConstraint(
                fields=["owner", "kind", "name"],
                condition=Q(owner__isnull=False),
                name="import_template_name_per_owner",
            ),
            models.UniqueConstraint(
                fields=["portfolio", "kind", "name"],
                condition=Q(portfolio__isnull=False),
                name="import_template_name_per_portfolio",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def scope_label(self) -> str:
        return f"shared in {self.portfolio.code}" if self.portfolio_id else "yours"
