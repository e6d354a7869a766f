"""Serializers of the plan endpoints: shapes only; the services validate and decide."""

from rest_framework import serializers

from core.people import active_people
from projects.dependencies import DEPENDENCY_FIELDS
from projects.models import (
    Baseline,
    ChangeRequest,
    Milestone,
    Project,
    ProjectDependency,
)
from projects.services import CHANGE_REQUEST_FIELDS, MILESTONE_FIELDS

# Milestones -----------------------------------------------------------------------------------


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ("id", "project", "sequence", *MILESTONE_FIELDS, "external_id", "version")
        read_only_fields = fields


class MilestoneWriteSerializer(serializers.ModelSerializer):
    """The milestone form's fields. `baseline_date` is refused once the project has a
    baseline: it then changes through a change request."""

    class Meta:
        model = Milestone
        fields = MILESTONE_FIELDS


# Baselines and change requests ----------------------------------------------------------------


class BaselineSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(
        read_only=True, help_text="0 is the original baseline; each approved change adds one."
    )

    class Meta:
        model = Baseline
        fields = (
            "id",
            "project",
            "version",
            "budget",
            "start",
            "end",
            "milestone_dates",
            "change_request",
            "created_by",
            "created_at",
        )
        read_only_fields = fields


class ChangeRequestSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChangeRequest
        fields = (
            "id",
            "project",
            *CHANGE_REQUEST_FIELDS,
            "status",
            "proposed_by",
            "proposed_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "envelope_override_reason",
        )
        read_only_fields = fields


class ChangeRequestProposeSerializer(serializers.Serializer):
    """A blank (or unchanged) value keeps the current one."""

    budget = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    baseline_start = serializers.DateField(required=False, allow_null=True)
    baseline_end = serializers.DateField(required=False, allow_null=True)
    milestone_dates = serializers.DictField(
        child=serializers.DateField(),
        required=False,
        help_text="Milestone id → its new baseline date.",
    )
    reason = serializers.CharField(help_text="Why the baseline should change.")


class ChangeRequestApproveSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Beyond the portfolio's budget envelope: why a PMO admin approves anyway.",
    )


class ChangeRequestRejectSerializer(serializers.Serializer):
    note = serializers.CharField(help_text="Why the change request is rejected.")


# Dependencies ---------------------------------------------------------------------------------


class DependencySerializer(serializers.ModelSerializer):
    expected_on = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="When the predecessor delivers (its milestone's actual, forecast or "
        "baseline date, else its planned finish).",
    )
    is_late = serializers.BooleanField(read_only=True, allow_null=True)

    class Meta:
        model = ProjectDependency
        fields = ("id", "successor", *DEPENDENCY_FIELDS, "expected_on", "is_late")
        read_only_fields = fields


class DependencyWriteSerializer(serializers.ModelSerializer):
    """`successor` on create only: a dependency stays with its successor."""

    successor = serializers.PrimaryKeyRelatedField(
        queryset=Project.objects.none(), help_text="The project that needs something."
    )
    predecessor = serializers.PrimaryKeyRelatedField(
        queryset=Project.objects.none(), help_text="The project it needs it from."
    )
    predecessor_milestone = serializers.PrimaryKeyRelatedField(
        queryset=Milestone.objects.none(), required=False, allow_null=True
    )

    class Meta:
        model = ProjectDependency
        fields = ("successor", *DEPENDENCY_FIELDS)
        validators = []  # the service says which duplicate, in words

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            visible = Project.objects.visible_to(request.user)
            self.fields["successor"].queryset = visible
            self.fields["predecessor"].queryset = visible
            self.fields["predecessor_milestone"].queryset = Milestone.objects.visible_to(
                request.user
            )
        if self.instance is not None:
            self.fields.pop("successor")


class PersonField(serializers.PrimaryKeyRelatedField):
    """A user by id, among the active people (an owner, manager or sponsor)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", active_people())
        super().__init__(**kwargs)
