"""The API's viewsets: each starts from `Model.objects.visible_to(user)`, so an object the
user may not see is a 404; writes go through `projects.services`, so a refusal is the same
as in the browser (PermissionDenied → 403, ValidationError → 400 with its field errors,
ConcurrentEditError → 409). The endpoints that serve KPIs (portfolios, projects) are in
`reporting.api.views`."""

from __future__ import annotations

from functools import cached_property

import django_filters
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core import access
from core.concurrency import ConcurrentEditError
from portfolio.api import serializers as api
from projects import selectors, services
from projects.models import CostEntry, Project, StatusReport
from risks.models import Risk
from risks.selectors import PortfolioRiskFilter

PROJECT_PATH_PARAMETER = OpenApiParameter(
    "project_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The project's id."
)


def _error_detail(error: ValidationError) -> dict:
    """A service's ValidationError as DRF's 400 body: field → messages."""
    if not hasattr(error, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}
    return {
        api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field: messages
        for field, messages in error.message_dict.items()
    }


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
class CostEntryViewSet(ProjectScopedViewSet):
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
class StatusReportViewSet(ProjectScopedViewSet):
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


@extend_schema_view(list=extend_schema(summary="Risks the user may see, with score and exposure"))
class RiskViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = api.RiskSerializer
    filterset_class = RiskFilter

    def get_queryset(self):
        return (
            Risk.objects.visible_to(self.request.user)
            .select_related("portfolio")
            .order_by("portfolio__code", "-created_at", "-pk")
        )
