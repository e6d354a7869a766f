"""Serializers: shapes only. Figures come from `reporting.kpis` (attached by the views as
`kpis`), risk score, band and exposure from `risks.scoring` through the model's properties;
input serializers only parse types, the services validate and decide."""

from rest_framework import serializers

from projects.models import CostEntry, Project, StatusReport
from projects.services import COST_FIELDS, STATUS_REPORT_FIELDS
from risks.models import Risk
from risks.scoring import BANDS


def _money(**kwargs):
    return serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True, **kwargs)


def _index(**kwargs):
    return serializers.DecimalField(
        max_digits=10, decimal_places=3, read_only=True, allow_null=True, **kwargs
    )


# Portfolios -----------------------------------------------------------------------------------


class PortfolioSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    currency = serializers.CharField(read_only=True)
    budget_envelope = _money()


class HealthCountsSerializer(serializers.Serializer):
    green = serializers.IntegerField(required=False)
    amber = serializers.IntegerField(required=False)
    red = serializers.IntegerField(required=False)


class PortfolioKpisSerializer(serializers.Serializer):
    """A `reporting.kpis.KpiRollup` over the user's visible projects of the portfolio."""

    project_count = serializers.IntegerField(read_only=True)
    budget = _money()
    actual_cost = _money()
    earned_value = _money()
    planned_value = _money()
    estimate_at_completion = _money()
    cost_performance_index = _index()
    schedule_performance_index = _index()
    risk_exposure = _money()
    watermelons = serializers.IntegerField(read_only=True)
    late_milestones = serializers.IntegerField(read_only=True)
    computed_health_counts = serializers.DictField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text='Projects per computed health: "green", "amber", "red", "" (no figures yet).',
    )


class PortfolioDetailSerializer(PortfolioSerializer):
    kpis = PortfolioKpisSerializer(read_only=True)


# Projects -------------------------------------------------------------------------------------


class ProjectSerializer(serializers.ModelSerializer):
    """The project's fields plus its KPIs from `reporting.kpis.project_kpis` (as of today)."""

    portfolio = serializers.CharField(source="portfolio.code", read_only=True)
    bac = _money(source="kpis.earned_value.budget_at_completion")
    ac = _money(source="kpis.earned_value.actual_cost")
    ev = _money(source="kpis.earned_value.earned_value")
    pv = _money(source="kpis.earned_value.planned_value")
    cpi = _index(source="kpis.earned_value.cost_performance_index")
    spi = _index(source="kpis.earned_value.schedule_performance_index")
    eac = _money(source="kpis.earned_value.estimate_at_completion", allow_null=True)
    vac = _money(source="kpis.earned_value.variance_at_completion", allow_null=True)
    percent_complete = serializers.DecimalField(
        max_digits=5, decimal_places=2, source="kpis.percent_complete", read_only=True
    )
    computed_health = serializers.CharField(source="kpis.computed_health", read_only=True)
    reported_health = serializers.CharField(source="kpis.reported_health", read_only=True)
    is_watermelon = serializers.BooleanField(source="kpis.is_watermelon", read_only=True)

    class Meta:
        model = Project
        fields = (
            "id",
            "portfolio",
            "program",
            "code",
            "name",
            "description",
            "stage",
            "manager",
            "sponsor",
            "start_date",
            "end_date",
            "baseline_start",
            "baseline_end",
            "budget",
            "expected_benefit",
            "version",
            "bac",
            "ac",
            "ev",
            "pv",
            "cpi",
            "spi",
            "eac",
            "vac",
            "percent_complete",
            "computed_health",
            "reported_health",
            "is_watermelon",
        )
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

    period = serializers.DateField(help_text="Any day of the reporting period.")
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
    exposure = _money(help_text="Probability (as a share) × cost impact.")

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
