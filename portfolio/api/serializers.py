"""Serializers: shapes only. Risk score, band and exposure come from `risks.scoring` through
the model's properties; input serializers only parse types, the services validate and
decide. (The KPI serializers are in `reporting.api.serializers`.)"""

from rest_framework import serializers

from core.bounds import validate_date_in_window
from projects.models import CostEntry, StatusReport
from projects.services import COST_FIELDS, STATUS_REPORT_FIELDS
from risks.models import Risk
from risks.scoring import BANDS


def money_field(**kwargs):
    """A read-only amount: 16 digits, cents."""
    return serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True, **kwargs)


# Cost entries ---------------------------------------------------------------------------------


class CostEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = CostEntry
        fields = ("id", "project", "created_by", "created_at", *COST_FIELDS)
        read_only_fields = ("id", "project", "created_by", "created_at")


# Status reports -------------------------------------------------------------------------------


class StatusReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatusReport
        fields = (
            "id",
            "project",
            "period_start",
            "period_end",
            "state",
            *STATUS_REPORT_FIELDS,
            "created_by",
            "submitted_by",
            "submitted_at",
            "version",
        )
        read_only_fields = fields


class StatusReportWriteSerializer(serializers.ModelSerializer):
    """Creates or updates the report of the period containing `period`. Only the fields sent
    are applied; `version` is the version read (omit it for a period with no report yet)."""

    period = serializers.DateField(
        help_text="Any day of the reporting period.", validators=[validate_date_in_window]
    )
    version = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    submit = serializers.BooleanField(
        default=False, help_text="Submit the report (otherwise it is saved as a draft)."
    )

    class Meta:
        model = StatusReport
        fields = ("period", "version", "submit", *STATUS_REPORT_FIELDS)
        extra_kwargs = dict.fromkeys(STATUS_REPORT_FIELDS, {"required": False})


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    before = serializers.CharField(allow_null=True)
    after = serializers.CharField(allow_null=True)


class EditConflictSerializer(serializers.Serializer):
    """The 409 body: someone saved a newer version; nothing was saved."""

    detail = serializers.CharField()
    current_version = serializers.IntegerField()
    changed_by = serializers.CharField(allow_null=True)
    changed_at = serializers.DateTimeField(allow_null=True)
    changes = FieldChangeSerializer(many=True)


# Risks ----------------------------------------------------------------------------------------


class RiskSerializer(serializers.ModelSerializer):
    portfolio = serializers.CharField(source="portfolio.code", read_only=True)
    is_portfolio_level = serializers.BooleanField(read_only=True)
    score = serializers.IntegerField(read_only=True, help_text="Probability × impact, 1–25.")
    band = serializers.ChoiceField(choices=[band for band, _ in BANDS], read_only=True)
    exposure = money_field(help_text="Probability (as a share) × cost impact.")

    class Meta:
        model = Risk
        fields = (
            "id",
            "portfolio",
            "project",
            "is_portfolio_level",
            "title",
            "description",
            "category",
            "probability",
            "impact",
            "cost_impact",
            "score",
            "band",
            "exposure",
            "status",
            "response",
            "owner",
            "due_date",
            "escalated_to",
            "version",
        )
        read_only_fields = fields
