from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from core import access
from core.bounds import validate_date_in_window
from projects.querysets import ProjectScopedQuerySet


class ResourceQuerySet(models.QuerySet):
    def visible_to(self, user):
        """People are shared across portfolios: anyone with a role somewhere sees them."""
        return self if access.has_any_role(user) else self.none()


class Calendar(models.Model):
    name = models.CharField(max_length=100, unique=True)
    hours_per_day = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=Decimal("8"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("24"))],
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours_per_day__gt=0, hours_per_day__lte=24),
                name="calendar_hours_per_day_range",
            )
        ]

    def __str__(self):
        return self.name


class PublicHoliday(models.Model):
    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(validators=[validate_date_in_window])
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_one_per_day")
        ]

    def __str__(self):
        return f"{self.date} {self.name} ({self.calendar})"


class Role(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    default_cost_rate = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("0"), help_text="Per hour."
    )

    objects = ResourceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Skill(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Resource(models.Model):
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resource",
    )
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="resources")
    skills = models.ManyToManyField(Skill, blank=True, related_name="resources")
    calendar = models.ForeignKey(
        Calendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="resources"
    )
    fte = models.DecimalField(
        "FTE",
        max_digits=3,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1"))],
    )
    cost_rate = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("0"), help_text="Per hour."
    )
    start_date = models.DateField(validators=[validate_date_in_window])
    end_date = models.DateField(validators=[validate_date_in_window], null=True, blank=True)

    objects = ResourceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(fte__gt=0, fte__lte=1), name="resource_fte_0_1"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="resource_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(cost_rate__gte=0), name="resource_cost_rate_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.role})"


class AdjustmentKind(models.TextChoices):
    LEAVE = "leave", "Leave"
    TRAINING = "training", "Training"
    OTHER = "other", "Other unavailability"


class CapacityAdjustment(models.Model):
    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="capacity_adjustments"
    )
    kind = models.CharField(max_length=10, choices=AdjustmentKind.choices, default="leave")
    start_date = models.DateField(validators=[validate_date_in_window])
    end_date = models.DateField(validators=[validate_date_in_window])
    hours_per_day = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Hours lost per working day; blank means whole days.",
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["resource", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="adjustment_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(hours_per_day__isnull=True)
                | Q(hours_per_day__gt=0, hours_per_day__lte=24),
                name="adjustment_hours_per_day_range",
            ),
        ]

    def __str__(self):
        return f"{self.resource.name}: {self.get_kind_display()} {self.start_date}–{self.end_date}"


# The most FTE one role request (a role × months row, no person named) may ask for: a sane
# bound on a typing slip (1000 for 1.000), well above any one team.
ROLE_REQUEST_MAX_FTE = Decimal("100")


class AllocationUnit(models.TextChoices):
    HOURS = "hours", "Hours per month"
    FTE = "fte", "FTE"


class AllocationStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    CONFIRMED = "confirmed", "Confirmed"
    REJECTED = "rejected", "Rejected"


class Allocation(models.Model):
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="allocations"
    )
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="allocations")
    resource = models.ForeignKey(
        Resource,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocations",
        help_text="Blank while only the role is requested.",
    )
    start_month = models.DateField(
        validators=[validate_date_in_window], help_text="First day of the first month."
    )
    end_month = models.DateField(
        validators=[validate_date_in_window], help_text="First day of the last month."
    )
    unit = models.CharField(max_length=5, choices=AllocationUnit.choices, default="fte")
    amount = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Hours per month, or FTE.",
    )
    status = models.CharField(
        max_length=10, choices=AllocationStatus.choices, default=AllocationStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    override_reason = models.TextField(
        blank=True,
        help_text="Why it was confirmed although it puts the person (or the role) over "
        "capacity; blank when it did not.",
    )
    external_id = models.CharField(
        max_length=100,
        blank=True,
        help_text="The resource of the project's plan file it was requested for, so that "
        "requesting from the plan again updates it.",
    )

    objects = ProjectScopedQuerySet.as_manager()
    # Every decision (confirm, override, undo, conflict resolutions) keeps the previous state.
    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "start_month"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_month__gte=F("start_month")), name="allocation_months_ordered"
            ),
            models.CheckConstraint(
                condition=Q(start_month__day=1, end_month__day=1),
                name="allocation_months_first_day",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
            # A named person gives at most 1 FTE; a request for a role (no one named yet) may
            # ask for several people, up to ROLE_REQUEST_MAX_FTE.
            models.CheckConstraint(
                condition=Q(unit="hours")
                | Q(amount__lte=1)
                | Q(resource__isnull=True, amount__lte=ROLE_REQUEST_MAX_FTE),
                name="allocation_fte_within_bounds",
                violation_error_message=(
                    f"A person gives at most 1 FTE; a role request at most "
                    f"{ROLE_REQUEST_MAX_FTE} FTE."
                ),
            ),
            models.UniqueConstraint(
                fields=["project", "external_id"],
                condition=~Q(external_id=""),
                name="allocation_external_id_per_project",
            ),
        ]
        indexes = [
            models.Index(fields=["role", "start_month"]),
            models.Index(fields=["resource", "start_month"]),
        ]

    def __str__(self):
        who = self.resource.name if self.resource_id else f"any {self.role}"
        return (
            f"{self.project.code}: {who} {self.amount:g} {self.unit} "
            f"{self.start_month:%Y-%m}–{self.end_month:%Y-%m} ({self.status})"
        )

    def clean(self):
        errors = {}
        if self.start_month and self.start_month.day != 1:
            errors["start_month"] = "Use the first day of the month."
        if self.end_month and self.end_month.day != 1:
            errors["end_month"] = "Use the first day of the month."
        if self.start_month and self.end_month and self.end_month < self.start_month:
            errors["end_month"] = "The last month must not be before the first month."
        if self.resource_id and self.role_id and self.resource.role_id != self.role_id:
            errors["resource"] = "This person does not hold the requested role."
        if errors:
            raise ValidationError(errors)


# ---- Capacity conflict resolutions (services in resources/conflicts.py) -----------


class ConflictAction(models.TextChoices):
    SHIFT = "shift", "Shifted later"
    REDUCE = "reduce", "Hours released"
    REJECT = "reject", "Allocation rejected"
    REASSIGN = "reassign", "Reassigned"


class ConflictResolution(models.Model):
    """Who resolved an over-allocation of a role in a month, how, and why."""

    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="conflict_resolutions")
    month = models.DateField(
        validators=[validate_date_in_window],
        help_text="First day of the month that was over-allocated.",
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="conflict_resolutions"
    )
    allocation = models.ForeignKey(
        Allocation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conflict_resolutions",
        help_text="The allocation that yielded (kept blank if it is later deleted).",
    )
    person = models.CharField(
        max_length=200, blank=True, help_text="Who the allocation named, as it was then."
    )
    action = models.CharField(max_length=10, choices=ConflictAction.choices)
    months_shifted = models.PositiveSmallIntegerField(null=True, blank=True)
    hours_released = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    reassigned_to = models.CharField(
        max_length=200,
        blank=True,
        help_text="Who took the allocation over, as they were named then.",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()
    reason = models.TextField()

    objects = ProjectScopedQuerySet.as_manager()

    class Meta:
        ordering = ["role", "month", "-decided_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(month__day=1), name="conflict_resolution_month_first_day"
            ),
            models.CheckConstraint(
                condition=Q(action__in=ConflictAction.values), name="conflict_resolution_action"
            ),
            models.CheckConstraint(
                condition=~Q(action="shift") | Q(months_shifted__gte=1),
                name="conflict_resolution_shift_has_months",
            ),
            models.CheckConstraint(
                condition=~Q(action="reduce") | Q(hours_released__gt=0),
                name="conflict_resolution_reduce_has_hours",
            ),
            models.CheckConstraint(
                condition=~Q(action="reassign") | ~Q(reassigned_to=""),
                name="conflict_resolution_reassign_names_someone",
            ),
            models.CheckConstraint(
                condition=~Q(reason=""), name="conflict_resolution_reason_given"
            ),
        ]
        indexes = [models.Index(fields=["role", "month"])]

    def __str__(self):
        return f"{self.role} {self.month:%Y-%m}: {self.get_action_display()} ({self.project_id})"
