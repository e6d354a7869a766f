"""The API's viewsets: each starts from `Model.objects.visible_to(user)`, so an object the
user may not see is a 404; writes go through `projects.services`, so a refusal is the same
as in the browser (PermissionDenied → 403, ValidationError → 400 with its field errors,
a stale body `version` → 409). Versioned objects carry an ETag and need If-Match to change
(412 stale, 428 missing), creates take an Idempotency-Key (`core.http_concurrency`). The
endpoints that serve KPIs (portfolios, projects) are in `reporting.api.views`."""

from __future__ import annotations

from functools import cached_property

import django_filters
from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import filters, generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from core import access
from core.bounds import parse_id_param
from core.concurrency import ConcurrentEditError
from core.http_concurrency import (
    ConcurrencyMixin,
    IdempotentCreateMixin,
    error_detail,
    service_errors,
)
from portfolio.api import serializers as api
from portfolio.models import Portfolio, Program, Scenario
from portfolio.selection.timing_report import timing_report
from projects import selectors, services
from projects.models import CostEntry, Project, StatusReport
from risks import services as risk_services
from risks.models import Risk
from risks.selectors import PortfolioRiskFilter

PROJECT_PATH_PARAMETER = OpenApiParameter(
    "project_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The project's id."
)


_error_detail = error_detail


def _conflict_response(conflict: ConcurrentEditError) -> Response:
    body = api.EditConflictSerializer(
        {
            "detail": str(conflict),
            "current_version": conflict.current.version,
            "changed_by": str(conflict.changed_by) if conflict.changed_by else None,
            "changed_at": conflict.changed_at,
            "changes": conflict.changes,
        }
    ).data
    return Response(body, status=status.HTTP_409_CONFLICT)


# Programs -------------------------------------------------------------------------------------


class ProgramFilter(django_filters.FilterSet):
    portfolio = django_filters.CharFilter(
        field_name="portfolio__code", help_text="The portfolio's code."
    )
    manager = django_filters.NumberFilter(field_name="manager_id", help_text="A user's id.")

    class Meta:
        model = Program
        fields = ("portfolio", "manager")


@extend_schema_view(
    list=extend_schema(summary="Programs of the portfolios the user may see"),
    retrieve=extend_schema(summary="A program"),
)
class ProgramViewSet(viewsets.ReadOnlyModelViewSet):
    """Read-only, as on the pages (programs are kept in the admin); a project joins one
    through its `program`."""

    serializer_class = api.ProgramSerializer
    filterset_class = ProgramFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, filters.OrderingFilter]
    ordering_fields = ("name",)
    ordering = ("portfolio__code", "name", "pk")

    def get_queryset(self):
        return Program.objects.visible_to(self.request.user).select_related("portfolio")


# Projects' cost entries and status reports ------------------------------------------------


class ProjectScopedViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Base for a project's sub-collections: 404 unless the user sees the project."""

    filter_backends = []

    @cached_property
    def project(self) -> Project:
        return get_object_or_404(
            Project.objects.visible_to(self.request.user).select_related("portfolio"),
            pk=self.kwargs["project_pk"],
        )

    def require_editor(self) -> Project:
        """Refuse a reader before parsing the payload (the service checks again)."""
        access.require(
            access.can_edit_project(self.request.user, self.project),
            "Only the project's manager, its portfolio's PMO or portfolio managers may change it.",
        )
        return self.project


@extend_schema_view(
    list=extend_schema(summary="A project's cost entries, newest first"),
    create=extend_schema(
        summary="Record a cost on the project",
        request=api.CostEntrySerializer,
        responses={201: api.CostEntrySerializer},
    ),
)
@extend_schema(parameters=[PROJECT_PATH_PARAMETER])
class CostEntryViewSet(IdempotentCreateMixin, ProjectScopedViewSet):
    serializer_class = api.CostEntrySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return CostEntry.objects.none()
        return (
            CostEntry.objects.visible_to(self.request.user)
            .filter(project=self.project)
            .order_by("-date", "-pk")
        )

    def create(self, request, *args, **kwargs):
        project = self.require_editor()
        payload = api.CostEntrySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            entry = services.cost_entry_create(
                project=project, data=payload.validated_data, by=request.user
            )
        except ValidationError as error:
            raise serializers.ValidationError(_error_detail(error)) from error
        return Response(api.CostEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="A project's status reports, newest period first"),
    retrieve=extend_schema(summary="One of the project's status reports, with its ETag"),
    create=extend_schema(
        summary="Save or submit the status report of the period containing `period`",
        request=api.StatusReportWriteSerializer,
        responses={
            200: OpenApiResponse(api.StatusReportSerializer, "The period's report, updated."),
            201: OpenApiResponse(api.StatusReportSerializer, "The period's report, created."),
            409: OpenApiResponse(api.EditConflictSerializer, "A newer version was saved."),
        },
    ),
)
@extend_schema(parameters=[PROJECT_PATH_PARAMETER])
class StatusReportViewSet(
    IdempotentCreateMixin, ConcurrencyMixin, mixins.RetrieveModelMixin, ProjectScopedViewSet
):
    """The upsert POST carries the version read in its body (409 when stale, as the form
    does): it is a POST to the collection, so no If-Match; its answer has the report's ETag."""

    serializer_class = api.StatusReportSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return StatusReport.objects.none()
        return (
            StatusReport.objects.visible_to(self.request.user)
            .filter(project=self.project)
            .order_by("-period_start")
        )

    def create(self, request, *args, **kwargs):
        project = self.require_editor()
        payload = api.StatusReportWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        day, version, submit = data.pop("period"), data.pop("version", None), data.pop("submit")
        report = selectors.status_report_for_period(project=project, day=day)
        created = report.pk is None
        service = services.status_report_submit if submit else services.status_report_save
        try:
            report = service(report=report, data=data, expected_version=version, by=request.user)
        except ConcurrentEditError as conflict:
            return _conflict_response(conflict)
        except ValidationError as error:
            raise serializers.ValidationError(_error_detail(error)) from error
        return Response(
            api.StatusReportSerializer(report).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


# Risks ----------------------------------------------------------------------------------------


class RiskFilter(PortfolioRiskFilter):
    """The portfolio risk register's filters (`level`, `status`, `probability`, `impact`,
    `program`) plus `portfolio` (its code)."""

    portfolio = django_filters.CharFilter(
        field_name="portfolio__code", help_text="The portfolio's code."
    )

    class Meta(PortfolioRiskFilter.Meta):
        fields = ("portfolio", *PortfolioRiskFilter.Meta.fields)


@extend_schema_view(
    list=extend_schema(summary="Risks the user may see, with score and exposure"),
    retrieve=extend_schema(summary="A risk, with score and exposure"),
    create=extend_schema(
        summary="Log a risk on a project",
        request=api.RiskCreateSerializer,
        responses={201: api.RiskSerializer},
    ),
    update=extend_schema(
        summary="Replace a project risk's fields",
        request=api.RiskUpdateSerializer,
        responses={200: api.RiskSerializer},
    ),
    partial_update=extend_schema(
        summary="Change some of a project risk's fields (status `closed` closes it)",
        request=api.RiskUpdateSerializer,
        responses={200: api.RiskSerializer},
    ),
)
class RiskViewSet(
    ConcurrencyMixin,
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Project and portfolio risks. Project risks are logged, changed and escalated here
    through `risks.services` (the project's editors only); portfolio risks are read-only here."""

    serializer_class = api.RiskSerializer
    filterset_class = RiskFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, filters.OrderingFilter]
    ordering_fields = ("created_at", "title", "probability", "impact", "cost_impact", "due_date")

    def get_queryset(self):
        return (
            Risk.objects.visible_to(self.request.user)
            .select_related("portfolio", "project__portfolio")
            .order_by("portfolio__code", "-created_at", "-pk")
        )

    def check_write_permission(self, risk):
        access.require(
            not risk.is_portfolio_level,
            "Portfolio risks are changed on the portfolio's risk register, not here.",
        )
        access.require(
            access.can_edit_project(self.request.user, risk.project),
            "Only the project's manager, its PMO or portfolio managers may change its risks.",
        )

    def create(self, request, *args, **kwargs):
        payload = api.RiskCreateSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        project = data.pop("project")
        with service_errors():
            risk = risk_services.risk_create(project=project, data=data, by=request.user)
        return Response(self.get_serializer(risk).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        risk = self.get_object()
        payload = api.RiskUpdateSerializer(risk, data=request.data, partial=partial)
        payload.is_valid(raise_exception=True)
        with service_errors():
            risk = risk_services.risk_update(
                risk=risk,
                data=payload.validated_data,
                expected_version=self.expected_version,
                by=request.user,
            )
        return Response(self.get_serializer(risk).data)

    @extend_schema(
        summary="Escalate a project risk to its portfolio",
        description=(
            "Links the project risk to an existing portfolio risk (`portfolio_risk`), or "
            "creates one from it owned by `owner` (default: the portfolio's manager). The "
            "portfolio risk then stands for it in every exposure total (counted once). Answers "
            "the escalated project risk; its `escalated_to` is the portfolio risk."
        ),
        request=api.RiskEscalateSerializer,
        responses={200: api.RiskSerializer},
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request, *args, **kwargs):
        risk = self.get_object()
        payload = api.RiskEscalateSerializer(data=request.data, context={"risk": risk})
        payload.is_valid(raise_exception=True)
        with service_errors():
            risk_services.risk_escalate(
                risk=risk,
                by=request.user,
                reason=payload.validated_data["reason"],
                portfolio_risk=payload.validated_data.get("portfolio_risk"),
                owner=payload.validated_data.get("owner"),
                expected_version=self.expected_version,
            )
        return Response(self.get_serializer(self.get_queryset().get(pk=risk.pk)).data)


# The timing selection -------------------------------------------------------------------------


class PortfolioTimingView(generics.GenericAPIView):
    """The timing optimum of a portfolio (issue 17), read-only: the page's selector, the page's
    rule (a member who sees every project of the portfolio; a project lead gets a 403)."""

    serializer_class = api.TimingSelectionSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="The timing optimum: chosen start months, beside fixed starts and "
        "select-then-shift",
        parameters=[
            OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH),
            OpenApiParameter(
                "scenario", OpenApiTypes.INT, description="A scenario of the portfolio."
            ),
        ],
    )
    def get(self, request, code):
        portfolio = get_object_or_404(Portfolio.objects.visible_to(request.user), code=code)
        access.require(
            access.sees_every_project(request.user, portfolio),
            "The timing selection weighs every project of the portfolio: it is open to its "
            "members.",
        )
        scenario = None
        if request.query_params.get("scenario"):
            scenario = get_object_or_404(
                Scenario.objects.visible_to(request.user),
                portfolio=portfolio,
                pk=parse_id_param(request.query_params["scenario"]) or 0,
            )
        report = timing_report(portfolio=portfolio, as_of=timezone.localdate(), scenario=scenario)
        return Response(self.get_serializer(report).data)
