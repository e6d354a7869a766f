"""The API of selection scenarios: list, read, create, change and commit, through
`portfolio.scenarios` exactly as the scenario pages do.

As on the pages, scenarios weigh every project of their portfolio, so they are read by the
portfolio's members (PMO admins: all): a project lead who sees only their own projects of a
portfolio gets a 403 on its scenarios, and does not find them in the list. Writing and
committing are for its PMO and portfolio managers (`scenarios._require_manager`)."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core import access
from core.api import LIST_FILTER_BACKENDS
from core.http_concurrency import IdempotentCreateMixin, service_errors
from portfolio import scenarios
from portfolio.models import Portfolio, Scenario
from projects.models import Project

SCENARIO_FIELDS = ("name", "description", "budget_limit", "capacity_changes")
PROJECT_SETS = ("forced_in", "forced_out", "stopped")
PLANNERS_ONLY = (
    "Selection and scenarios weigh every project of the portfolio: they are open to its members."
)
REFUSED = OpenApiResponse(description="Refused: field → messages.")


class CapacityChangesField(serializers.DictField):
    def __init__(self, **kwargs):
        super().__init__(
            child=serializers.DictField(child=serializers.FloatField()),
            help_text='Extra (or fewer) hours per role name per month, e.g. {"Data engineer": '
            '{"2027-01": 160}}.',
            **kwargs,
        )


class StartMonthsField(serializers.DictField):
    def __init__(self, **kwargs):
        super().__init__(
            child=serializers.CharField(),
            help_text='Start month per project id, e.g. {"412": "2027-06"}: ideas, candidates '
            "and on-hold projects of the portfolio, each inside its start window. Committing "
            "moves their planned starts (a change request where baselined). Sending it "
            "replaces them all; {} moves none.",
            **kwargs,
        )


class ScenarioSerializer(serializers.ModelSerializer):
    portfolio = serializers.CharField(source="portfolio.code", read_only=True)
    capacity_changes = CapacityChangesField(read_only=True)
    start_months = StartMonthsField(read_only=True)
    forced_in = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    forced_out = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    stopped = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Running projects committing it stops (no-go)."
    )
    is_committed = serializers.SerializerMethodField()

    class Meta:
        model = Scenario
        fields = (
            "id",
            "portfolio",
            *SCENARIO_FIELDS,
            "start_months",
            *PROJECT_SETS,
            "created_by",
            "created_at",
            "is_committed",
            "committed_by",
            "committed_at",
        )
        read_only_fields = fields

    def get_is_committed(self, scenario) -> bool:
        return scenario.committed_at is not None


class ScenarioWriteSerializer(serializers.ModelSerializer):
    capacity_changes = CapacityChangesField(required=False)
    start_months = StartMonthsField(required=False)
    forced_in = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Project.objects.all(), required=False
    )
    forced_out = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Project.objects.all(), required=False
    )
    stopped = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Project.objects.all(), required=False
    )

    class Meta:
        model = Scenario
        fields = (*SCENARIO_FIELDS, "start_months", *PROJECT_SETS)
        extra_kwargs = {"description": {"required": False}}
        validators = []  # the service names a duplicate


class ScenarioCreateSerializer(ScenarioWriteSerializer):
    portfolio = serializers.SlugRelatedField(
        slug_field="code", queryset=Portfolio.objects.all(), help_text="The portfolio's code."
    )

    class Meta(ScenarioWriteSerializer.Meta):
        fields = ("portfolio", *ScenarioWriteSerializer.Meta.fields)


class SkippedSerializer(serializers.Serializer):
    code = serializers.CharField()
    why = serializers.CharField()


class StartMoveSerializer(serializers.Serializer):
    code = serializers.CharField()
    planned = serializers.CharField(help_text="Its planned start month before (YYYY-MM).")
    start = serializers.CharField(help_text="The scenario's start month, now planned.")


class CommitOutcomeSerializer(serializers.Serializer):
    """What committing did: projects approved, ideas moved to candidate, deferred (on hold),
    stopped (no-go), those in the slate it did not approve, with why, and the planned starts
    it moved, with the baselined ones whose move is a proposed change request (codes)."""

    scenario = ScenarioSerializer()
    approved = serializers.ListField(child=serializers.CharField())
    to_candidate = serializers.ListField(child=serializers.CharField())
    deferred = serializers.ListField(child=serializers.CharField())
    stopped = serializers.ListField(child=serializers.CharField())
    skipped = SkippedSerializer(many=True)
    moved = StartMoveSerializer(many=True)
    change_requests = serializers.ListField(child=serializers.CharField())


class ScenarioFilter(django_filters.FilterSet):
    portfolio = django_filters.CharFilter(
        field_name="portfolio__code", help_text="The portfolio's code."
    )
    committed = django_filters.BooleanFilter(
        field_name="committed_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Scenario
        fields = ("portfolio", "committed")


@extend_schema_view(
    list=extend_schema(summary="Scenarios of the portfolios whose every project you see"),
    retrieve=extend_schema(summary="A scenario"),
    create=extend_schema(
        summary="Save a new scenario",
        request=ScenarioCreateSerializer,
        responses={201: ScenarioSerializer, 400: REFUSED},
    ),
    partial_update=extend_schema(
        summary="Change a scenario (not once committed)",
        request=ScenarioWriteSerializer,
        responses={200: ScenarioSerializer, 400: REFUSED},
    ),
)
class ScenarioViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ScenarioSerializer
    filterset_class = ScenarioFilter
    filter_backends = LIST_FILTER_BACKENDS
    ordering_fields = ("created_at", "name", "budget_limit", "committed_at", "id")
    ordering = ("-created_at", "-id")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        scenarios_seen = Scenario.objects.visible_to(self.request.user)
        return scenarios_seen.select_related("portfolio").prefetch_related(
            "forced_in", "forced_out", "stopped"
        )

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.action == "list":
            whole = access.portfolios_seen_whole(self.request.user)
            if whole is not None:
                queryset = queryset.filter(portfolio_id__in=whole)
        return queryset

    def get_object(self):
        scenario = super().get_object()
        access.require(
            access.sees_every_project(self.request.user, scenario.portfolio), PLANNERS_ONLY
        )
        return scenario

    def _read(self, scenario, *, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=scenario.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    def create(self, request, *args, **kwargs):
        payload = ScenarioCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        portfolio = data.pop("portfolio")
        if not Portfolio.objects.visible_to(request.user).filter(pk=portfolio.pk).exists():
            raise serializers.ValidationError({"portfolio": ["No portfolio with this code."]})
        access.require(access.sees_every_project(request.user, portfolio), PLANNERS_ONLY)
        with service_errors():
            scenario = scenarios.scenario_save(portfolio=portfolio, data=data, by=request.user)
        return self._read(scenario, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        scenario = self.get_object()
        payload = ScenarioWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        # The service saves the whole scenario: what was not sent stays as it is.
        data = {
            **{name: getattr(scenario, name) for name in SCENARIO_FIELDS},
            **{name: list(getattr(scenario, name).all()) for name in PROJECT_SETS},
            **payload.validated_data,
        }
        with service_errors():
            scenarios.scenario_save(
                portfolio=scenario.portfolio, data=data, by=request.user, scenario=scenario
            )
        return self._read(scenario)

    @extend_schema(
        summary="Commit the scenario's optimal slate",
        description="Each move is a gate decision (approve, move to candidate, defer on hold, "
        "stop with a no-go), as the scenario page's commit does. Refused, with nothing "
        "changed, once committed or when the scenario has no feasible slate.",
        request=None,
        responses={200: CommitOutcomeSerializer, 400: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        scenario = self.get_object()
        with service_errors():
            outcome = scenarios.scenario_commit(scenario=scenario, by=request.user)
        body = {
            "scenario": self.get_queryset().get(pk=scenario.pk),
            "approved": outcome.approved,
            "to_candidate": outcome.to_candidate,
            "deferred": outcome.deferred,
            "stopped": outcome.stopped,
            "skipped": [{"code": code, "why": why} for code, why in outcome.skipped],
            "moved": [
                {"code": code, "planned": planned, "start": start}
                for code, planned, start in outcome.moved
            ],
            "change_requests": outcome.change_requests,
        }
        return Response(CommitOutcomeSerializer(body).data)
