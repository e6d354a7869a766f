"""The KPI endpoints' viewsets: each starts from `Model.objects.visible_to(user)`, so an
object the user may not see is a 404, and reads its figures from `reporting.kpis` (the
portfolio's roll-up from `portfolio_kpis`, the same selector as the dashboard and the stored
review), then serializes them."""

from __future__ import annotations

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import filters, mixins, status, viewsets
from rest_framework.response import Response

from core import access
from core.api import StrictFilterBackend
from core.http_concurrency import ConcurrencyMixin, IdempotentCreateMixin, service_errors
from portfolio import services as portfolio_services
from portfolio.models import Portfolio
from projects import services as project_services
from projects.models import Project
from projects.querysets import Stage
from reporting import kpi_cache, kpis
from reporting.api import serializers as api

# Portfolios -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Portfolios the user may see"),
    retrieve=extend_schema(summary="A portfolio with its KPI rollup over the visible projects"),
)
class PortfolioViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "code"
    filter_backends = []

    def get_queryset(self):
        return Portfolio.objects.visible_to(self.request.user).order_by("name", "pk")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return api.PortfolioDetailSerializer
        return api.PortfolioSerializer

    def retrieve(self, request, *args, **kwargs):
        portfolio = self.get_object()
        portfolio.kpis = kpi_cache.portfolio_kpis(
            portfolio=portfolio, user=request.user, as_of=timezone.localdate()
        )
        return Response(self.get_serializer(portfolio).data)


# Projects -------------------------------------------------------------------------------------


class ProjectFilter(django_filters.FilterSet):
    portfolio = django_filters.CharFilter(
        field_name="portfolio__code", help_text="The portfolio's code."
    )
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    program = django_filters.NumberFilter(field_name="program_id", help_text="The program's id.")

    class Meta:
        model = Project
        fields = ("portfolio", "stage", "program")


def _attach_kpis(projects: list[Project]) -> None:
    """Set `project.kpis` on each project: one `project_kpis` call for all of them, so the
    query count does not grow with the page."""
    rows = kpis.project_kpis(
        projects=Project.objects.filter(pk__in=[project.pk for project in projects]),
        as_of=timezone.localdate(),
    )
    by_pk = {row.project.pk: row for row in rows}
    for project in projects:
        project.kpis = by_pk[project.pk]


@extend_schema_view(
    list=extend_schema(summary="Projects the user may see, with their KPIs as of today"),
    retrieve=extend_schema(summary="A project with its KPIs as of today"),
    create=extend_schema(
        summary="Propose a project (an idea or a candidate); you become its manager",
        request=api.ProjectCreateSerializer,
        responses={201: api.ProjectSerializer},
    ),
    update=extend_schema(
        summary="Replace a project's plan fields",
        request=api.ProjectUpdateSerializer,
        responses={200: api.ProjectSerializer},
    ),
    partial_update=extend_schema(
        summary="Change some of a project's plan fields",
        request=api.ProjectUpdateSerializer,
        responses={200: api.ProjectSerializer},
    ),
)
class ProjectViewSet(
    ConcurrencyMixin, IdempotentCreateMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Reads with KPIs; a proposal through `portfolio.services.candidate_propose` (who may
    propose: the portfolio's PMO, portfolio managers and project managers), plan edits through
    `projects.services.project_update` (the project's editors; a stage change past a gate is
    refused, as on the plan page)."""

    serializer_class = api.ProjectSerializer
    filterset_class = ProjectFilter
    filter_backends = [StrictFilterBackend, filters.OrderingFilter]
    ordering_fields = ("code", "name", "start_date", "end_date", "budget", "stage")
    ordering = ("portfolio", "code")

    def get_queryset(self):
        return Project.objects.visible_to(self.request.user).select_related("portfolio")

    def check_write_permission(self, project):
        access.require(
            access.can_edit_project(self.request.user, project),
            "Only the project's manager, its portfolio's PMO or portfolio managers may change it.",
        )

    def _answer(self, project, code=status.HTTP_200_OK):
        project = self.get_queryset().get(pk=project.pk)
        _attach_kpis([project])
        return Response(self.get_serializer(project).data, status=code)

    def create(self, request, *args, **kwargs):
        payload = api.ProjectCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        portfolio, code = data.pop("portfolio"), data.pop("code")
        with service_errors():
            project = portfolio_services.candidate_propose(
                portfolio=portfolio, code=code, data=data, by=request.user
            )
        return self._answer(project, status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        project = self.get_object()
        payload = api.ProjectUpdateSerializer(
            project, data=request.data, partial=partial, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        with service_errors():
            project = project_services.project_update(
                project=project,
                data=payload.validated_data,
                expected_version=self.expected_version,
                by=request.user,
            )
        return self._answer(project)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        _attach_kpis(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        project = self.get_object()
        _attach_kpis([project])
        return Response(self.get_serializer(project).data)
