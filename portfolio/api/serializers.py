"""Serializers: shapes only. Risk score, band and exposure come from `risks.scoring` through
the model's properties; input serializers only parse types, the services validate and
decide. (The KPI serializers are in `reporting.api.serializers`.)"""

from rest_framework import serializers

from core.bounds import validate_date_in_window
from core.http_concurrency import FieldChangeSerializer
from core.people import active_people
from portfolio.models import Program
from projects.models import CostEntry, Project, StatusReport
from projects.services import COST_FIELDS, STATUS_REPORT_FIELDS
from risks import selectors as risk_selectors
from risks.models import Risk, RiskStatus
from risks.scoring import BANDS
from risks.services import RISK_FIELDS


def money_field(**kwargs):
    """A read-only amount: 16 digits, cents."""
    return serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True, **kwargs)


# Programs -------------------------------------------------------------------------------------


class ProgramSerializer(serializers.ModelSerializer):
    portfolio = serializers.CharField(source="portfolio.code", read_only=True)

    class Meta:
        model = Program
        fields = ("id", "portfolio", "name", "description", "manager")
        read_only_fields = fields


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
            "escalated_at",
            "escalation_reason",
            "version",
        )
        read_only_fields = fields


class RiskUpdateSerializer(serializers.ModelSerializer):
    """A project risk's fields as the risk form has them; the service validates and saves."""

    owner = serializers.PrimaryKeyRelatedField(
        queryset=active_people(), allow_null=True, required=False, help_text="A user's id."
    )

    class Meta:
        model = Risk
        fields = RISK_FIELDS


class RiskCreateSerializer(RiskUpdateSerializer):
    project = serializers.PrimaryKeyRelatedField(
        queryset=Project.objects.none(), help_text="The project's id."
    )
    status = serializers.ChoiceField(
        choices=[RiskStatus.OPEN, RiskStatus.MONITORING], default=RiskStatus.OPEN
    )

    class Meta(RiskUpdateSerializer.Meta):
        fields = ("project", *RISK_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["project"].queryset = Project.objects.visible_to(request.user)


class RiskEscalateSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the portfolio should own this risk.")
    portfolio_risk = serializers.PrimaryKeyRelatedField(
        queryset=Risk.objects.none(),
        required=False,
        allow_null=True,
        help_text="An open portfolio risk of the same portfolio to link to (else a new one).",
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=active_people().none(),
        required=False,
        allow_null=True,
        help_text="The new portfolio risk's owner: someone who sees the portfolio's risks.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        risk = self.context.get("risk")
        if risk is not None:
            self.fields["portfolio_risk"].queryset = Risk.objects.filter(
                portfolio_id=risk.portfolio_id, project__isnull=True
            ).exclude(status=RiskStatus.CLOSED)
            self.fields["owner"].queryset = risk_selectors.portfolio_risk_owners(
                portfolio=risk.project.portfolio, project=risk.project
            )


# The timing selection (issue 17) ------------------------------------------------------------


class TimedProjectSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    stage = serializers.CharField()
    committed = serializers.BooleanField(help_text="Approved or running: its start is fixed.")
    planned_start = serializers.CharField(source="planned", help_text="YYYY-MM, as requested.")
    start = serializers.CharField(help_text="YYYY-MM, as chosen.")
    finish = serializers.CharField(help_text="YYYY-MM, its last month of work.")
    moved_months = serializers.IntegerField()
    value = serializers.FloatField(help_text="At the chosen start, market window applied.")
    in_fixed_start_optimum = serializers.BooleanField(source="in_fixed")


class TimingPlanSerializer(serializers.Serializer):
    """One of the plans compared."""

    method = serializers.CharField(source="key")
    status = serializers.CharField(source="selection.status", allow_null=True, default=None)
    value = serializers.FloatField(allow_null=True)
    projects = serializers.IntegerField()
    moved = serializers.IntegerField()


class TimingSynergySerializer(serializers.Serializer):
    name = serializers.CharField()
    reason = serializers.CharField()
    members = serializers.ListField(child=serializers.CharField(), help_text="Project codes.")
    value_bonus = serializers.FloatField()
    cost_saving = serializers.FloatField()
    realised = serializers.BooleanField()
    realised_with_fixed_starts = serializers.BooleanField(source="realised_fixed")
    missing = serializers.ListField(child=serializers.CharField())


class TimingSequenceSerializer(serializers.Serializer):
    before = serializers.CharField()
    after = serializers.CharField()
    lag_months = serializers.IntegerField(source="lag")
    before_finish = serializers.CharField()
    after_start = serializers.CharField()


class TimingSelectionSerializer(serializers.Serializer):
    """The timing optimum of a portfolio beside the fixed-start optimum and select-then-shift."""

    status = serializers.CharField(source="result.status")
    message = serializers.CharField(source="result.message")
    failing_constraint = serializers.CharField(
        source="result.infeasibility.constraint", allow_null=True, default=None
    )
    solver = serializers.CharField(source="solver_label")
    gap = serializers.FloatField(source="result.gap", allow_null=True)
    solve_seconds = serializers.FloatField(source="result.solve_seconds")
    variables = serializers.IntegerField(source="result.variables")
    constraints = serializers.IntegerField(source="result.constraints")
    budget = serializers.FloatField(source="result.budget", help_text="Per planning year.")
    value = serializers.FloatField(source="result.value")
    synergy_value = serializers.FloatField(source="result.synergy_value")
    gain = serializers.FloatField(
        allow_null=True, help_text="Value gained over the fixed-start optimum."
    )
    gain_percent = serializers.FloatField(allow_null=True)
    plans = TimingPlanSerializer(source="methods", many=True)
    projects = TimedProjectSerializer(source="rows", many=True)
    synergies = TimingSynergySerializer(many=True)
    sequences = TimingSequenceSerializer(many=True)
