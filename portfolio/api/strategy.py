"""The API of a portfolio's strategy: strategic objectives, the contribution matrix, scoring
criteria, project scores and the gates' checklists.

Objectives, criteria and checklists are edited as sets, as on their pages (the weights of the
active objectives, and of the criteria, must total 100 %), so their writes are one PATCH of the
portfolio's set (`/api/portfolios/{code}/objectives/`, `…/scoring-criteria/`,
`…/gate-criteria/`): rows with an `id` change that row, rows without one are added, rows not
sent stay as they are. Contributions and scores are PATCHed cell by cell. Each write goes
through `portfolio.services`, which checks the caller's right (403) and validates (400, with
`rows` for a set: row index → field → messages)."""

from __future__ import annotations

from functools import cached_property

import django_filters
from django.db.models import BooleanField, ExpressionWrapper
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, viewsets
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from core import access
from core.api import LIST_FILTER_BACKENDS
from core.bounds import ID_MAX
from core.http_concurrency import service_errors
from portfolio import services
from portfolio.models import (
    GATE_STAGES,
    Contribution,
    CriterionDirection,
    GateCriterion,
    ObjectiveContribution,
    Portfolio,
    ProjectScore,
    ScoringCriterion,
    StrategicObjective,
)
from portfolio.selectors import active_on
from projects.models import Project

PORTFOLIO_CODE_PARAMETER = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The portfolio's code."
)
PROJECT_PATH_PARAMETER = OpenApiParameter(
    "project_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The project's id."
)
SET_REFUSED = OpenApiResponse(
    description="Refused: field → messages; `rows`: row index → field → messages."
)


class PortfolioCodeFilter(django_filters.FilterSet):
    portfolio = django_filters.CharFilter(
        field_name="portfolio__code", help_text="The portfolio's code."
    )


# Serializers ----------------------------------------------------------------------------------


class ObjectiveSerializer(serializers.ModelSerializer):
    portfolio = serializers.CharField(source="portfolio.code", read_only=True)
    is_active = serializers.BooleanField(read_only=True, help_text="In force today.")

    class Meta:
        model = StrategicObjective
        fields = ("id", "portfolio", *services.OBJECTIVE_FIELDS, "is_active")
        read_only_fields = fields


class ObjectiveRowSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="Omit to add an objective."
    )
    deactivate = serializers.BooleanField(
        default=False, help_text="The objective stops being active yesterday."
    )

    class Meta:
        model = StrategicObjective
        fields = ("id", *services.OBJECTIVE_FIELDS, "deactivate")
        extra_kwargs = {name: {"required": False} for name in services.OBJECTIVE_FIELDS}


class ObjectiveSetSerializer(serializers.Serializer):
    objectives = ObjectiveRowSerializer(many=True)


class CriterionSerializer(serializers.ModelSerializer):
    portfolio = serializers.CharField(source="portfolio.code", read_only=True)
    anchors = serializers.DictField(
        child=serializers.CharField(),
        read_only=True,
        help_text='The meaning of each score, e.g. {"1": "…", "5": "…"}.',
    )

    class Meta:
        model = ScoringCriterion
        fields = ("id", "portfolio", *services.CRITERION_FIELDS)
        read_only_fields = fields


class CriterionRowSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="Omit to add a criterion."
    )
    direction = serializers.ChoiceField(choices=CriterionDirection.choices, required=False)
    anchors = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)

    class Meta:
        model = ScoringCriterion
        fields = ("id", *services.CRITERION_FIELDS)
        extra_kwargs = {name: {"required": False} for name in services.CRITERION_FIELDS}


class CriterionSetSerializer(serializers.Serializer):
    criteria = CriterionRowSerializer(many=True)
    delete = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        help_text="Ids of criteria to delete, with their scores.",
    )


class ContributionSerializer(serializers.ModelSerializer):
    portfolio = serializers.CharField(source="project.portfolio.code", read_only=True)

    class Meta:
        model = ObjectiveContribution
        fields = ("id", "portfolio", "project", "objective", "contribution")
        read_only_fields = fields


class ContributionCellSerializer(serializers.Serializer):
    project = serializers.IntegerField(min_value=1)
    objective = serializers.IntegerField(min_value=1)
    contribution = serializers.ChoiceField(
        choices=Contribution.choices, help_text="0 none, 1 low, 2 medium, 3 high."
    )


class ContributionSetSerializer(serializers.Serializer):
    contributions = ContributionCellSerializer(many=True)


class ContributionsSavedSerializer(serializers.Serializer):
    saved = serializers.IntegerField(help_text="Cells written.")


class ScoreSerializer(serializers.ModelSerializer):
    portfolio = serializers.CharField(source="project.portfolio.code", read_only=True)

    class Meta:
        model = ProjectScore
        fields = ("id", "portfolio", "project", "criterion", "score", "scored_by", "scored_at")
        read_only_fields = fields


class ScoreCellSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(min_value=1)
    score = serializers.IntegerField(
        min_value=1, max_value=5, allow_null=True, help_text="1–5; null clears the score."
    )


class ScoreSetSerializer(serializers.Serializer):
    scores = ScoreCellSerializer(many=True)


class GateCriterionSerializer(serializers.ModelSerializer):
    portfolio = serializers.CharField(source="portfolio.code", read_only=True)

    class Meta:
        model = GateCriterion
        fields = ("id", "portfolio", "gate", "name", "description", "position")
        read_only_fields = fields


class GateCriterionRowSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="Omit to add a criterion."
    )
    position = serializers.IntegerField(required=False, allow_null=True, min_value=0)

    class Meta:
        model = GateCriterion
        fields = ("id", "name", "description", "position")
        extra_kwargs = {"name": {"required": False}, "description": {"required": False}}


class GateCriterionSetSerializer(serializers.Serializer):
    gate = serializers.ChoiceField(choices=GATE_STAGES, help_text="The stage the gate opens.")
    criteria = GateCriterionRowSerializer(many=True)
    delete = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list
    )


# Filters ----------------------------------------------------------------------------------------


class ObjectiveFilter(PortfolioCodeFilter):
    active = django_filters.BooleanFilter(
        field_name="is_active", help_text="In force today (true) or not (false)."
    )

    class Meta:
        model = StrategicObjective
        fields = ("portfolio", "active")


class CriterionFilter(PortfolioCodeFilter):
    direction = django_filters.ChoiceFilter(choices=CriterionDirection.choices)

    class Meta:
        model = ScoringCriterion
        fields = ("portfolio", "direction")


class _ProjectCellFilter(django_filters.FilterSet):
    portfolio = django_filters.CharFilter(
        field_name="project__portfolio__code", help_text="The portfolio's code."
    )
    project = django_filters.NumberFilter(min_value=1, max_value=ID_MAX)


class ContributionFilter(_ProjectCellFilter):
    objective = django_filters.NumberFilter(min_value=1, max_value=ID_MAX)
    contribution = django_filters.ChoiceFilter(choices=Contribution.choices)

    class Meta:
        model = ObjectiveContribution
        fields = ("portfolio", "project", "objective", "contribution")


class ScoreFilter(_ProjectCellFilter):
    criterion = django_filters.NumberFilter(min_value=1, max_value=ID_MAX)

    class Meta:
        model = ProjectScore
        fields = ("portfolio", "project", "criterion")


class GateCriterionFilter(PortfolioCodeFilter):
    gate = django_filters.ChoiceFilter(choices=GATE_STAGES)

    class Meta:
        model = GateCriterion
        fields = ("portfolio", "gate")


# Read-only collections ---------------------------------------------------------------------


def _objectives(user):
    """The objectives `user` sees, each annotated `is_active` today."""
    return (
        StrategicObjective.objects.visible_to(user)
        .select_related("portfolio")
        .annotate(
            is_active=ExpressionWrapper(
                active_on(timezone.localdate()), output_field=BooleanField()
            )
        )
    )


class _ReadOnly(viewsets.ReadOnlyModelViewSet):
    filter_backends = LIST_FILTER_BACKENDS


@extend_schema_view(
    list=extend_schema(summary="Strategic objectives of the portfolios you can see"),
    retrieve=extend_schema(summary="A strategic objective"),
)
class ObjectiveViewSet(_ReadOnly):
    serializer_class = ObjectiveSerializer
    filterset_class = ObjectiveFilter
    ordering_fields = ("weight", "name", "active_from", "id")
    ordering = ("portfolio__code", "-weight", "name", "id")

    def get_queryset(self):
        return _objectives(self.request.user)


@extend_schema_view(
    list=extend_schema(summary="Scoring criteria of the portfolios you can see"),
    retrieve=extend_schema(summary="A scoring criterion"),
)
class CriterionViewSet(_ReadOnly):
    serializer_class = CriterionSerializer
    filterset_class = CriterionFilter
    ordering_fields = ("weight", "name", "id")
    ordering = ("portfolio__code", "-weight", "name", "id")

    def get_queryset(self):
        return ScoringCriterion.objects.visible_to(self.request.user).select_related("portfolio")


@extend_schema_view(
    list=extend_schema(summary="Stored contributions of projects you can see to objectives"),
    retrieve=extend_schema(summary="A contribution"),
)
class ContributionViewSet(_ReadOnly):
    serializer_class = ContributionSerializer
    filterset_class = ContributionFilter
    ordering_fields = ("contribution", "project", "objective", "id")
    ordering = ("project", "objective", "id")

    def get_queryset(self):
        return access.filter_visible_projects(
            ObjectiveContribution.objects.select_related("project__portfolio"),
            self.request.user,
            project_field="project",
        )


@extend_schema_view(
    list=extend_schema(summary="Scores of projects you can see against their criteria"),
    retrieve=extend_schema(summary="A score"),
)
class ScoreViewSet(_ReadOnly):
    serializer_class = ScoreSerializer
    filterset_class = ScoreFilter
    ordering_fields = ("score", "scored_at", "project", "criterion", "id")
    ordering = ("project", "criterion", "id")

    def get_queryset(self):
        return access.filter_visible_projects(
            ProjectScore.objects.select_related("project__portfolio"),
            self.request.user,
            project_field="project",
        )


@extend_schema_view(
    list=extend_schema(summary="The gates' checklists of the portfolios you can see"),
    retrieve=extend_schema(summary="A gate criterion"),
)
class GateCriterionViewSet(_ReadOnly):
    serializer_class = GateCriterionSerializer
    filterset_class = GateCriterionFilter
    ordering_fields = ("gate", "position", "name", "id")
    ordering = ("portfolio__code", "gate", "position", "id")

    def get_queryset(self):
        return GateCriterion.objects.visible_to(self.request.user).select_related("portfolio")


# A portfolio's sets -------------------------------------------------------------------------


class PortfolioSetViewSet(viewsets.GenericViewSet):
    """PATCH one of a portfolio's sets; 404 when the portfolio is invisible, 403 for a reader
    (before the payload is read; the service checks again)."""

    filter_backends = []
    pagination_class = None

    @cached_property
    def portfolio(self) -> Portfolio:
        return get_object_or_404(
            Portfolio.objects.visible_to(self.request.user), code=self.kwargs["code"]
        )

    def require_manager(self) -> Portfolio:
        access.require(
            access.can_manage_portfolio(self.request.user, self.portfolio),
            "Only the portfolio's PMO and portfolio managers may change its strategy.",
        )
        return self.portfolio

    def parse(self, serializer_class):
        payload = serializer_class(data=self.request.data)
        payload.is_valid(raise_exception=True)
        return payload.validated_data


@extend_schema(parameters=[PORTFOLIO_CODE_PARAMETER])
class ObjectiveSetViewSet(PortfolioSetViewSet):
    serializer_class = ObjectiveSerializer

    def get_queryset(self):
        return StrategicObjective.objects.none()

    @extend_schema(
        summary="Save the portfolio's objectives as one set",
        description="The objectives active today must then weigh 100 % together.",
        request=ObjectiveSetSerializer,
        responses={200: ObjectiveSerializer(many=True), 400: SET_REFUSED},
    )
    def partial_update(self, request, code=None):
        portfolio = self.require_manager()
        rows = [dict(row) for row in self.parse(ObjectiveSetSerializer)["objectives"]]
        with service_errors(rows_field="objectives"):
            services.objectives_save(portfolio=portfolio, rows=rows, by=request.user)
        objectives = (
            _objectives(request.user).filter(portfolio=portfolio).order_by("-weight", "name", "pk")
        )
        return Response(ObjectiveSerializer(objectives, many=True).data)


@extend_schema(parameters=[PORTFOLIO_CODE_PARAMETER])
class CriterionSetViewSet(PortfolioSetViewSet):
    serializer_class = CriterionSerializer

    def get_queryset(self):
        return ScoringCriterion.objects.none()

    @extend_schema(
        summary="Save the portfolio's scoring criteria as one set",
        description="The criteria left must then weigh 100 % together (or be none).",
        request=CriterionSetSerializer,
        responses={200: CriterionSerializer(many=True), 400: SET_REFUSED},
    )
    def partial_update(self, request, code=None):
        portfolio = self.require_manager()
        data = self.parse(CriterionSetSerializer)
        rows = [dict(row) for row in data["criteria"]]
        with service_errors(rows_field="criteria"):
            services.criteria_save(
                portfolio=portfolio, rows=rows, delete_ids=data["delete"], by=request.user
            )
        criteria = (
            ScoringCriterion.objects.filter(portfolio=portfolio)
            .select_related("portfolio")
            .order_by("-weight", "name", "pk")
        )
        return Response(CriterionSerializer(criteria, many=True).data)


@extend_schema(parameters=[PORTFOLIO_CODE_PARAMETER])
class GateCriterionSetViewSet(PortfolioSetViewSet):
    serializer_class = GateCriterionSerializer

    def get_queryset(self):
        return GateCriterion.objects.none()

    @extend_schema(
        summary="Save the checklist of one of the portfolio's gates as a set",
        request=GateCriterionSetSerializer,
        responses={200: GateCriterionSerializer(many=True), 400: SET_REFUSED},
    )
    def partial_update(self, request, code=None):
        portfolio = self.require_manager()
        data = self.parse(GateCriterionSetSerializer)
        with service_errors(rows_field="criteria"):
            saved = services.gate_criteria_save(
                portfolio=portfolio,
                gate=data["gate"],
                rows=[dict(row) for row in data["criteria"]],
                delete_ids=data["delete"],
                by=request.user,
            )
        for criterion in saved:
            criterion.portfolio = portfolio
        return Response(GateCriterionSerializer(saved, many=True).data)


@extend_schema(parameters=[PORTFOLIO_CODE_PARAMETER])
class ContributionSetViewSet(PortfolioSetViewSet):
    serializer_class = ContributionsSavedSerializer

    def get_queryset(self):
        return ObjectiveContribution.objects.none()

    @extend_schema(
        summary="Store contribution levels of the portfolio's ranked projects to its active "
        "objectives",
        request=ContributionSetSerializer,
        responses={200: ContributionsSavedSerializer, 400: SET_REFUSED},
    )
    def partial_update(self, request, code=None):
        portfolio = self.require_manager()
        cells = self.parse(ContributionSetSerializer)["contributions"]
        levels = {(cell["project"], cell["objective"]): cell["contribution"] for cell in cells}
        with service_errors():
            saved = services.contributions_save(portfolio=portfolio, levels=levels, by=request.user)
        return Response({"saved": saved})


@extend_schema(parameters=[PROJECT_PATH_PARAMETER])
class ProjectScoreSetViewSet(PortfolioSetViewSet):
    serializer_class = ScoreSerializer

    def get_queryset(self):
        return ProjectScore.objects.none()

    @extend_schema(
        summary="Score a project against its portfolio's criteria",
        description="Only the criteria sent change; a null score clears it.",
        request=ScoreSetSerializer,
        responses={200: ScoreSerializer(many=True), 400: SET_REFUSED},
    )
    def partial_update(self, request, project_pk=None):
        project = get_object_or_404(
            Project.objects.visible_to(request.user).select_related("portfolio"), pk=project_pk
        )
        access.require(
            access.can_manage_portfolio(request.user, project.portfolio),
            "Only the portfolio's PMO and portfolio managers may change project scores.",
        )
        cells = self.parse(ScoreSetSerializer)["scores"]
        scores = {cell["criterion"]: cell["score"] for cell in cells}
        with service_errors():
            services.project_scores_save(project=project, scores=scores, by=request.user)
        stored = (
            ProjectScore.objects.filter(project=project)
            .select_related("project__portfolio")
            .order_by("criterion", "pk")
        )
        return Response(ScoreSerializer(stored, many=True).data)
