from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core import access
from core.bounds import validate_date_in_window
from core.money import MONEY
from risks import scoring

ONE_TO_FIVE = [MinValueValidator(1), MaxValueValidator(5)]
PERCENTS = ", ".join(str(scoring.probability_percent(level)) for level in scoring.LEVELS)
PROBABILITY_HELP = f"1–5: {PERCENTS} %."


class RiskQuerySet(models.QuerySet):
    def visible_to(self, user):
        return access.filter_visible_risks(self, user)

    def open(self):
        return self.exclude(status=RiskStatus.CLOSED)

    def counted_in_exposure(self):
        """The risks every exposure total and open-risk count adds up (docs/formulas.md,
        "Risks"): open, and not escalated into a portfolio risk, which stands for them."""
        return self.open().filter(escalated_to__isnull=True)

    def portfolio_level(self):
        return self.filter(project__isnull=True)

    def project_level(self):
        return self.filter(project__isnull=False)

    def by_score(self):
        """Highest score first, then the larger cost impact; each row annotated `score_value`."""
        return self.annotate(score_value=scoring.risk_score_expression()).order_by(
            "-score_value", "-cost_impact", "pk"
        )


class RiskStatus(models.TextChoices):
    OPEN = "open", "Open"
    MONITORING = "monitoring", "Monitoring"
    ESCALATED = "escalated", "Escalated"
    CLOSED = "closed", "Closed"


class RiskResponse(models.TextChoices):
    AVOID = "avoid", "Avoid"
    MITIGATE = "mitigate", "Mitigate"
    TRANSFER = "transfer", "Transfer"
    ACCEPT = "accept", "Accept"


class Risk(models.Model):
    """A project risk (project set) or a portfolio risk (project blank, threatens many)."""

    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.CASCADE, related_name="risks"
    )
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="risks"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=50, blank=True)
    probability = models.PositiveSmallIntegerField(
        validators=ONE_TO_FIVE, help_text=PROBABILITY_HELP
    )
    impact = models.PositiveSmallIntegerField(validators=ONE_TO_FIVE, help_text="1–5.")
    cost_impact = models.DecimalField(
        **MONEY, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))]
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_risks",
    )
    response = models.CharField(
        max_length=10, choices=RiskResponse.choices, default=RiskResponse.MITIGATE
    )
    response_plan = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    due_date = models.DateField(validators=[validate_date_in_window], null=True, blank=True)
    threatened_projects = models.ManyToManyField(
        "projects.Project",
        blank=True,
        related_name="portfolio_risks",
        help_text="For portfolio risks: the projects this risk threatens.",
    )
    escalated_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalations",
        help_text="The portfolio risk this project risk was escalated to.",
    )
    escalated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation_reason = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(m2m_fields=[threatened_projects])
    objects = RiskQuerySet.as_manager()

    class Meta:
        ordering = ["portfolio", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(probability__gte=1, probability__lte=5), name="risk_probability_1_5"
            ),
            models.CheckConstraint(
                condition=Q(impact__gte=1, impact__lte=5), name="risk_impact_1_5"
            ),
            models.CheckConstraint(
                condition=Q(cost_impact__gte=0), name="risk_cost_impact_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(escalated_to__isnull=True) | Q(project__isnull=False),
                name="risk_only_project_risks_escalate",
            ),
        ]
        indexes = [models.Index(fields=["portfolio", "status"])]

    def __str__(self):
        where = self.project.code if self.project_id else "portfolio"
        return f"{self.title} [{where}, score {self.score}]"

    @property
    def is_portfolio_level(self):
        return self.project_id is None

    @property
    def score(self):
        return scoring.risk_score(self.probability, self.impact)

    @property
    def band(self):
        return scoring.risk_band(self.score)

    @property
    def exposure(self):
        return scoring.risk_exposure(self.probability, self.cost_impact)

    def clean(self):
        errors = {}
        if self.project_id and self.portfolio_id and self.project.portfolio_id != self.portfolio_id:
            errors["project"] = "The project belongs to another portfolio."
        if self.escalated_to_id:
            if self.project_id is None:
                errors["escalated_to"] = "Only project risks are escalated."
            elif self.escalated_to.project_id is not None:
                errors["escalated_to"] = "Escalate to a portfolio-level risk."
        if errors:
            raise ValidationError(errors)
