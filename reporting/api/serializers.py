"""Serializers of the KPI endpoints: shapes only. A portfolio's figures are a
`reporting.kpis.PortfolioKpis`, a project's a `reporting.kpis.ProjectKpis`, attached by the
views as `kpis`."""

from rest_framework import serializers

from core.people import active_people
from portfolio.api.serializers import money_field
from portfolio.models import Portfolio, Program
from portfolio.services import CANDIDATE_FIELDS, INTAKE_STAGES
from projects.models import Project
from projects.services import PLANNING_FIELDS, PROJECT_EDITABLE_FIELDS


def _index(**kwargs):
    return serializers.DecimalField(
        max_digits=10, decimal_places=3, read_only=True, allow_null=True, **kwargs
    )


# Portfolios -----------------------------------------------------------------------------------


class PortfolioSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    currency = serializers.CharField(read_only=True)
    budget_envelope = money_field()


class PortfolioKpisSerializer(serializers.Serializer):
    """A `reporting.kpis.PortfolioKpis` over the user's visible projects of the portfolio."""

    project_count = serializers.IntegerField(read_only=True)
    budget = money_field()
    actual_cost = money_field()
    earned_value = money_field()
    planned_value = money_field()
    estimate_at_completion = money_field()
    cost_performance_index = _index()
    schedule_performance_index = _index()
    risk_exposure = money_field()
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
    status_date = serializers.DateField(
        source="kpis.status_date",
        read_only=True,
        allow_null=True,
        help_text="The end of the latest submitted report's period: PV, EV, AC, CPI and SPI "
        "are taken there (none without one).",
    )
    bac = money_field(source="kpis.earned_value.budget_at_completion")
    ac = money_field(source="kpis.earned_value.actual_cost", allow_null=True)
    spent_since_status_date = money_field(source="kpis.earned_value.spent_since_status_date")
    ev = money_field(source="kpis.earned_value.earned_value", allow_null=True)
    pv = money_field(source="kpis.earned_value.planned_value", allow_null=True)
    cpi = _index(source="kpis.earned_value.cost_performance_index")
    spi = _index(source="kpis.earned_value.schedule_performance_index")
    eac = money_field(
        source="kpis.earned_value.estimate_at_completion",
        allow_null=True,
        help_text="The EAC the portfolio rolls up (its EAC basis).",
    )
    computed_eac = money_field(
        source="kpis.earned_value.computed_estimate_at_completion", allow_null=True
    )
    pessimistic_eac = money_field(
        source="kpis.earned_value.pessimistic_estimate_at_completion", allow_null=True
    )
    forecast_cost = money_field(source="kpis.earned_value.forecast_cost", allow_null=True)
    vac = money_field(source="kpis.earned_value.variance_at_completion", allow_null=True)
    percent_complete = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        source="kpis.percent_complete",
        read_only=True,
        allow_null=True,
    )
    computed_health = serializers.CharField(source="kpis.computed_health", read_only=True)
    reported_health = serializers.CharField(source="kpis.reported_health", read_only=True)
    is_watermelon = serializers.BooleanField(source="kpis.is_watermelon", read_only=True)
    forecast_optimistic = serializers.BooleanField(
        source="kpis.forecast_optimistic", read_only=True
    )
    report_missing = serializers.BooleanField(source="kpis.report_missing", read_only=True)
    duration_months = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Calendar months from the planned start month to the planned end month: the "
        "duration the optimised selection moves it with.",
    )

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
            "earliest_start",
            "latest_start",
            "duration_months",
            "target_launch",
            "value_decay_percent",
            "value_deadline",
            "version",
            "status_date",
            "bac",
            "ac",
            "spent_since_status_date",
            "ev",
            "pv",
            "cpi",
            "spi",
            "eac",
            "computed_eac",
            "pessimistic_eac",
            "forecast_cost",
            "vac",
            "percent_complete",
            "computed_health",
            "reported_health",
            "is_watermelon",
            "forecast_optimistic",
            "report_missing",
        )
        read_only_fields = fields


def _visible_to_requester(serializer, field: str, queryset) -> None:
    request = serializer.context.get("request")
    if request is not None:
        serializer.fields[field].queryset = queryset.visible_to(request.user)


class ProjectCreateSerializer(serializers.ModelSerializer):
    """A proposal (an idea or a candidate) with its business case, as on the "Propose a
    project" page; the proposer becomes its manager. It then passes the gates to start."""

    portfolio = serializers.SlugRelatedField(
        slug_field="code", queryset=Portfolio.objects.none(), help_text="The portfolio's code."
    )
    program = serializers.PrimaryKeyRelatedField(
        queryset=Program.objects.none(), required=False, allow_null=True
    )
    stage = serializers.ChoiceField(choices=list(INTAKE_STAGES), default=INTAKE_STAGES[0])

    class Meta:
        model = Project
        fields = ("portfolio", "code", *CANDIDATE_FIELDS)
        validators = []  # the service names a code already taken

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _visible_to_requester(self, "portfolio", Portfolio.objects)
        _visible_to_requester(self, "program", Program.objects)


class ProjectUpdateSerializer(serializers.ModelSerializer):
    """The plan form's fields. `budget` (BAC) only while the project has no baseline: then it
    changes through a change request (the service refuses it, naming the field)."""

    program = serializers.PrimaryKeyRelatedField(
        queryset=Program.objects.none(), required=False, allow_null=True
    )
    manager = serializers.PrimaryKeyRelatedField(
        queryset=active_people(), required=False, allow_null=True, help_text="A user's id."
    )
    sponsor = serializers.PrimaryKeyRelatedField(
        queryset=active_people(), required=False, allow_null=True, help_text="A user's id."
    )

    class Meta:
        model = Project
        fields = (*PROJECT_EDITABLE_FIELDS, *PLANNING_FIELDS)
        extra_kwargs = {"budget": {"required": False}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _visible_to_requester(self, "program", Program.objects)
