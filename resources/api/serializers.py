"""Serializers of people, roles, leave and allocations: shapes only. Input serializers parse
types; `resources.services` (and `resources.conflicts`) validate and decide.

Hourly cost rates are shown only to those who keep people (resource managers, the PMO, PMO
admins), as on the pages: for everyone else they are null."""

from rest_framework import serializers

from core.bounds import validate_date_in_window
from resources.models import (
    Allocation,
    AllocationUnit,
    CapacityAdjustment,
    ConflictAction,
    ConflictResolution,
    Resource,
    Role,
    Skill,
)
from resources.services import ADJUSTMENT_FIELDS, REQUEST_FIELDS, RESOURCE_FIELDS, ROLE_FIELDS

COST_RATE_HELP = "Per hour; null unless you keep people (resource managers and the PMO)."


class _HidesCostRates:
    """Null the cost-rate fields unless the view says the reader sees them."""

    cost_rate_fields: tuple[str, ...] = ()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("sees_cost_rates", False):
            for name in self.cost_rate_fields:
                data[name] = None
        return data


# People -------------------------------------------------------------------------------------


class PersonSerializer(_HidesCostRates, serializers.ModelSerializer):
    cost_rate_fields = ("cost_rate",)
    role = serializers.PrimaryKeyRelatedField(queryset=Role.objects.all())
    skills = serializers.PrimaryKeyRelatedField(
        queryset=Skill.objects.all(), many=True, required=False
    )
    cost_rate = serializers.DecimalField(
        max_digits=8, decimal_places=2, required=False, allow_null=True, help_text=COST_RATE_HELP
    )
    start_date = serializers.DateField(validators=[validate_date_in_window])
    end_date = serializers.DateField(
        validators=[validate_date_in_window], required=False, allow_null=True
    )

    class Meta:
        model = Resource
        fields = ("id", *RESOURCE_FIELDS, "skills", "user")
        read_only_fields = ("id", "user")

    def validate_cost_rate(self, value):
        if value is None:
            raise serializers.ValidationError("Give the cost rate per hour (0 for none).")
        return value


class RoleSerializer(_HidesCostRates, serializers.ModelSerializer):
    cost_rate_fields = ("default_cost_rate",)
    default_cost_rate = serializers.DecimalField(
        max_digits=8, decimal_places=2, required=False, allow_null=True, help_text=COST_RATE_HELP
    )
    people = serializers.IntegerField(read_only=True, help_text="People holding the role.")
    active_people = serializers.IntegerField(
        read_only=True, help_text="People holding the role who have not left by today."
    )

    class Meta:
        model = Role
        fields = ("id", *ROLE_FIELDS, "people", "active_people")
        read_only_fields = ("id",)

    def validate_default_cost_rate(self, value):
        if value is None:
            raise serializers.ValidationError("Give the default cost rate per hour (0 for none).")
        return value


# Leave (capacity adjustments) ----------------------------------------------------------------


class LeaveSerializer(serializers.ModelSerializer):
    person = serializers.PrimaryKeyRelatedField(
        source="resource", queryset=Resource.objects.all(), help_text="The person's id."
    )
    start_date = serializers.DateField(validators=[validate_date_in_window])
    end_date = serializers.DateField(validators=[validate_date_in_window])

    class Meta:
        model = CapacityAdjustment
        fields = ("id", "person", *ADJUSTMENT_FIELDS)
        read_only_fields = ("id",)


# Allocations ----------------------------------------------------------------------------------


class AllocationSerializer(serializers.ModelSerializer):
    portfolio = serializers.CharField(source="project.portfolio.code", read_only=True)
    project_code = serializers.CharField(source="project.code", read_only=True)

    class Meta:
        model = Allocation
        fields = (
            "id",
            "portfolio",
            "project",
            "project_code",
            *REQUEST_FIELDS,
            "status",
            "requested_by",
            "decided_by",
            "decided_at",
            "decision_reason",
            "override_reason",
        )
        read_only_fields = fields


class AllocationRequestSerializer(serializers.ModelSerializer):
    """A request: the project (one you can see), a role, optionally a person holding it, the
    first and last month (first days), FTE or hours per month."""

    project = serializers.IntegerField(min_value=1, help_text="The project's id.")
    role = serializers.PrimaryKeyRelatedField(queryset=Role.objects.all())
    resource = serializers.PrimaryKeyRelatedField(
        queryset=Resource.objects.all(), required=False, allow_null=True
    )
    start_month = serializers.DateField(validators=[validate_date_in_window])
    end_month = serializers.DateField(validators=[validate_date_in_window])
    unit = serializers.ChoiceField(choices=AllocationUnit.choices, default=AllocationUnit.FTE)

    class Meta:
        model = Allocation
        fields = ("project", *REQUEST_FIELDS)


class ConfirmSerializer(serializers.Serializer):
    """Confirm as asked, or with changes (person, months, amount) and a reason; over capacity
    only with `override` and an `override_reason`."""

    resource = serializers.PrimaryKeyRelatedField(
        queryset=Resource.objects.all(), required=False, allow_null=True
    )
    start_month = serializers.DateField(required=False, validators=[validate_date_in_window])
    end_month = serializers.DateField(required=False, validators=[validate_date_in_window])
    amount = serializers.DecimalField(max_digits=7, decimal_places=2, required=False)
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required with changes."
    )
    override = serializers.BooleanField(default=False)
    override_reason = serializers.CharField(required=False, allow_blank=True, default="")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, help_text="Recorded with the decision.")


class ResolutionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConflictResolution
        fields = (
            "id",
            "role",
            "month",
            "project",
            "allocation",
            "person",
            "action",
            "months_shifted",
            "hours_released",
            "reassigned_to",
            "decided_by",
            "decided_at",
            "reason",
        )
        read_only_fields = fields


class ResolveSerializer(serializers.Serializer):
    """Resolve an over-allocation of the allocation's role in `month` with this confirmed
    allocation yielding: shift it `months` later, release `hours` of it in that month (or
    reject it), or reassign it to another `person` of the role."""

    month = serializers.DateField(
        help_text="The first day of the over-allocated month.",
        validators=[validate_date_in_window],
    )
    action = serializers.ChoiceField(choices=ConflictAction.choices)
    months = serializers.IntegerField(
        required=False, min_value=1, help_text="With `shift`: how many months later."
    )
    hours = serializers.DecimalField(
        max_digits=9,
        decimal_places=2,
        required=False,
        help_text="With `reduce`: the hours to release in the month.",
    )
    person = serializers.PrimaryKeyRelatedField(
        queryset=Resource.objects.all(),
        required=False,
        help_text="With `reassign`: who takes it over (same role).",
    )
    reason = serializers.CharField(allow_blank=True)

    REQUIRED = {"shift": "months", "reduce": "hours", "reassign": "person"}

    def validate(self, attrs):
        needed = self.REQUIRED.get(attrs["action"])
        if needed and attrs.get(needed) is None:
            raise serializers.ValidationError({needed: f"Required to {attrs['action']}."})
        return attrs
