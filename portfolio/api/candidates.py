"""The API of the pipeline: candidates (ideas and candidates with their business case, as the
candidate pages show them) and stage-gate decisions with their criteria assessments.

Writes go through `portfolio.services` (`candidate_propose`, `candidate_update`,
`record_gate_decision`): the same rules as the pages (PermissionDenied → 403,
ValidationError → 400 naming the field). A candidate is a versioned project: its ETag is sent
back in If-Match to change it (428 without, 412 when stale: `core.http_concurrency`); creates
take an Idempotency-Key."""

from __future__ import annotations

import copy

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from core import access
from core.api import LIST_FILTER_BACKENDS
from core.bounds import ID_MAX, validate_date_in_window
from core.http_concurrency import ConcurrencyMixin, IdempotentCreateMixin, service_errors
from portfolio import services, strategy
from portfolio.models import (
    GATE_STAGES,
    CriterionStatus,
    GateCriterionAssessment,
    GateDecision,
    GateOutcome,
    Portfolio,
    Program,
)
from projects.models import Project
from projects.querysets import Stage
from resources.models import Allocation, Role

# The stages a proposal may have (later stages pass a gate).
CANDIDATE_STAGES = [(Stage.IDEA.value, Stage.IDEA.label), (Stage.CANDIDATE.value, "Candidate")]
REFUSED = OpenApiResponse(description="Refused: field → messages (`role_requests`: by row).")


# Candidates -----------------------------------------------------------------------------------


class RoleRequestSerializer(serializers.ModelSerializer):
    fte = serializers.DecimalField(source="amount", max_digits=7, decimal_places=2)

    class Meta:
        model = Allocation
        fields = ("id", "role", "start_month", "end_month", "fte", "status")
        read_only_fields = fields


class CandidateSerializer(serializers.ModelSerializer):
    portfolio = serializers.CharField(source="portfolio.code", read_only=True)
    requires = serializers.SerializerMethodField(
        help_text="Ids of the projects it requires that you can see."
    )
    excludes = serializers.SerializerMethodField(
        help_text="Ids of the projects it excludes that you can see."
    )
    requires_count = serializers.IntegerField(
        read_only=True, help_text="Every project it requires, seen or not."
    )
    excludes_count = serializers.IntegerField(read_only=True)
    role_requests = RoleRequestSerializer(source="allocations", many=True, read_only=True)

    class Meta:
        model = Project
        fields = (
            "id",
            "portfolio",
            "code",
            *services.CANDIDATE_FIELDS,
            "manager",
            "requires",
            "excludes",
            "requires_count",
            "excludes_count",
            "role_requests",
            "version",
        )
        read_only_fields = fields

    def get_requires(self, project) -> list[int]:
        return [p.pk for p in project.visible_requires]

    def get_excludes(self, project) -> list[int]:
        return [p.pk for p in project.visible_excludes]


class RoleRequestInputSerializer(serializers.Serializer):
    role = serializers.PrimaryKeyRelatedField(queryset=Role.objects.all())
    start_month = serializers.DateField(validators=[validate_date_in_window])
    end_month = serializers.DateField(validators=[validate_date_in_window])
    fte = serializers.DecimalField(max_digits=7, decimal_places=2)


class _CandidateInput(serializers.ModelSerializer):
    program = serializers.PrimaryKeyRelatedField(
        queryset=Program.objects.all(), required=False, allow_null=True
    )
    stage = serializers.ChoiceField(choices=CANDIDATE_STAGES, required=False)
    requires = serializers.PrimaryKeyRelatedField(
        queryset=Project.objects.all(), many=True, required=False
    )
    excludes = serializers.PrimaryKeyRelatedField(
        queryset=Project.objects.all(), many=True, required=False
    )

    class Meta:
        model = Project
        fields = (*services.CANDIDATE_FIELDS, "requires", "excludes")
        extra_kwargs = dict.fromkeys(services.CANDIDATE_FIELDS, {"required": False})


class CandidateCreateSerializer(_CandidateInput):
    portfolio = serializers.SlugRelatedField(
        slug_field="code", queryset=Portfolio.objects.all(), help_text="The portfolio's code."
    )
    code = serializers.CharField(max_length=32)
    role_requests = RoleRequestInputSerializer(many=True, required=False)

    class Meta(_CandidateInput.Meta):
        fields = ("portfolio", "code", *_CandidateInput.Meta.fields, "role_requests")
        extra_kwargs = {
            **_CandidateInput.Meta.extra_kwargs,
            "name": {"required": True},
            "start_date": {"required": True},
            "end_date": {"required": True},
        }
        # The service says which code is taken, in its words; no unique-together check here.
        validators = []


class CandidateUpdateSerializer(_CandidateInput):
    """The fields sent change; `requires` / `excludes`, when sent, replace the links you can
    see (those to projects you cannot see stay). The version is the request's If-Match."""


class CandidateFilter(django_filters.FilterSet):
    portfolio = django_filters.CharFilter(
        field_name="portfolio__code", help_text="The portfolio's code."
    )
    stage = django_filters.ChoiceFilter(choices=CANDIDATE_STAGES)
    program = django_filters.NumberFilter(field_name="program_id", min_value=1, max_value=ID_MAX)
    is_mandatory = django_filters.BooleanFilter()

    class Meta:
        model = Project
        fields = ("portfolio", "stage", "program", "is_mandatory")


def _business_case(data: dict) -> dict:
    return {name: data[name] for name in services.CANDIDATE_FIELDS if name in data}


@extend_schema_view(
    list=extend_schema(summary="Ideas and candidates you can see, with their business case"),
    retrieve=extend_schema(summary="An idea or candidate"),
    create=extend_schema(
        summary="Propose a project (you become its manager)",
        request=CandidateCreateSerializer,
        responses={201: CandidateSerializer, 400: REFUSED},
    ),
    partial_update=extend_schema(
        summary="Edit an idea's or candidate's business case and links",
        request=CandidateUpdateSerializer,
        responses={200: CandidateSerializer, 400: REFUSED},
    ),
)
class CandidateViewSet(
    ConcurrencyMixin,
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CandidateSerializer
    filterset_class = CandidateFilter
    filter_backends = LIST_FILTER_BACKENDS
    ordering_fields = ("code", "name", "stage", "start_date", "budget", "id")
    ordering = ("stage", "code", "id")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return strategy.candidate_projects(portfolio=None, user=self.request.user).select_related(
            "portfolio"
        )

    def _read(self, project):
        return Response(self.get_serializer(self.get_queryset().get(pk=project.pk)).data)

    def create(self, request, *args, **kwargs):
        payload = CandidateCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        portfolio = data["portfolio"]
        if not Portfolio.objects.visible_to(request.user).filter(pk=portfolio.pk).exists():
            raise serializers.ValidationError({"portfolio": ["No portfolio with this code."]})
        access.require(
            access.can_propose(request.user, portfolio),
            "Only the portfolio's PMO, portfolio managers and project managers may propose.",
        )
        with service_errors(rows_field="role_requests"):
            project = services.candidate_propose(
                portfolio=portfolio,
                code=data["code"],
                data=_business_case(data),
                requires=data.get("requires", []),
                excludes=data.get("excludes", []),
                role_requests=[dict(row) for row in data.get("role_requests", [])],
                by=request.user,
            )
        response = self._read(project)
        response.status_code = status.HTTP_201_CREATED
        return response

    def check_write_permission(self, project):
        access.require(
            access.can_edit_project(self.request.user, project),
            "Only the project's manager, its portfolio's PMO or portfolio managers may change it.",
        )

    def partial_update(self, request, *args, **kwargs):
        project = self.get_object()  # 403 for a reader, then If-Match: 428 / 412
        payload = CandidateUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        with service_errors():
            services.candidate_update(
                project=copy.copy(project),
                data=_business_case(data),
                requires=data.get("requires", project.visible_requires),
                excludes=data.get("excludes", project.visible_excludes),
                expected_version=self.expected_version,
                by=request.user,
            )
        return self._read(project)


# Gate decisions -------------------------------------------------------------------------------


class AssessmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = GateCriterionAssessment
        fields = ("criterion", "criterion_name", "status", "evidence", "evidence_link")
        read_only_fields = fields


class GateDecisionSerializer(serializers.ModelSerializer):
    portfolio = serializers.CharField(source="project.portfolio.code", read_only=True)
    project_code = serializers.CharField(source="project.code", read_only=True)
    result_stage = serializers.SerializerMethodField(
        help_text="Where the decision left the project."
    )
    assessments = AssessmentSerializer(many=True, read_only=True)

    class Meta:
        model = GateDecision
        fields = (
            "id",
            "portfolio",
            "project",
            "project_code",
            "from_stage",
            "to_stage",
            "outcome",
            "result_stage",
            "decided_by",
            "decided_on",
            "rationale",
            "conditions",
            "override_reason",
            "recorded_at",
            "assessments",
        )
        read_only_fields = fields

    def get_result_stage(self, decision) -> str:
        return strategy.gate_result_stage(
            from_stage=decision.from_stage, to_stage=decision.to_stage, outcome=decision.outcome
        )


class AssessmentInputSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(min_value=1, help_text="The gate criterion's id.")
    status = serializers.ChoiceField(choices=CriterionStatus.choices)
    evidence = serializers.CharField(required=False, allow_blank=True, default="")
    evidence_link = serializers.URLField(
        required=False, allow_blank=True, default="", max_length=500
    )


class GateDecisionCreateSerializer(serializers.Serializer):
    project = serializers.IntegerField(min_value=1, help_text="The project's id.")
    to_stage = serializers.ChoiceField(choices=GATE_STAGES, help_text="The gate's stage.")
    outcome = serializers.ChoiceField(choices=GateOutcome.choices)
    decided_on = serializers.DateField(validators=[validate_date_in_window])
    rationale = serializers.CharField(allow_blank=True)
    conditions = serializers.CharField(required=False, allow_blank=True, default="")
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Needed for a go while some criteria are neither met nor waived.",
    )
    version = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="The project version you read."
    )
    assessments = AssessmentInputSerializer(
        many=True, required=False, help_text="A criterion not assessed is not met."
    )


class GateDecisionFilter(django_filters.FilterSet):
    portfolio = django_filters.CharFilter(
        field_name="project__portfolio__code", help_text="The portfolio's code."
    )
    project = django_filters.NumberFilter(min_value=1, max_value=ID_MAX)
    outcome = django_filters.ChoiceFilter(choices=GateOutcome.choices)
    to_stage = django_filters.ChoiceFilter(choices=GATE_STAGES)
    decided_from = django_filters.DateFilter(field_name="decided_on", lookup_expr="gte")
    decided_until = django_filters.DateFilter(field_name="decided_on", lookup_expr="lte")

    class Meta:
        model = GateDecision
        fields = ("portfolio", "project", "outcome", "to_stage", "decided_from", "decided_until")


@extend_schema_view(
    list=extend_schema(summary="Gate decisions on projects you can see"),
    retrieve=extend_schema(summary="A gate decision with its criteria assessments"),
    create=extend_schema(
        summary="Record a go / no-go / hold / recycle decision at a project's gate",
        request=GateDecisionCreateSerializer,
        responses={201: GateDecisionSerializer, 400: REFUSED},
    ),
)
class GateDecisionViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = GateDecisionSerializer
    filterset_class = GateDecisionFilter
    filter_backends = LIST_FILTER_BACKENDS
    ordering_fields = ("decided_on", "recorded_at", "id")
    ordering = ("-decided_on", "-recorded_at", "-id")

    def get_queryset(self):
        return access.filter_visible_projects(
            GateDecision.objects.select_related("project__portfolio").prefetch_related(
                "assessments"
            ),
            self.request.user,
            project_field="project",
        )

    def create(self, request, *args, **kwargs):
        payload = GateDecisionCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        project = (
            Project.objects.visible_to(request.user)
            .select_related("portfolio")
            .filter(pk=data["project"])
            .first()
        )
        if project is None:
            raise serializers.ValidationError({"project": ["No project with this id."]})
        with service_errors():
            decision = services.record_gate_decision(
                project=project,
                to_stage=data["to_stage"],
                outcome=data["outcome"],
                decided_on=data["decided_on"],
                rationale=data["rationale"],
                conditions=data["conditions"],
                by=request.user,
                expected_version=data.get("version"),
                assessments={
                    row["criterion"]: {
                        "status": row["status"],
                        "evidence": row["evidence"],
                        "evidence_link": row["evidence_link"],
                    }
                    for row in data.get("assessments", [])
                },
                override_reason=data["override_reason"],
            )
        decision = self.get_queryset().get(pk=decision.pk)
        return Response(self.get_serializer(decision).data, status=status.HTTP_201_CREATED)
