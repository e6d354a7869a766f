"""The KPI endpoints' viewsets: each starts from `Model.objects.visible_to(user)`, so an
object the user may not see is a 404, and reads its figures from `reporting.kpis` (the
portfolio's roll-up from `portfolio_kpis`, the same selector as the dashboard and the stored
review), then serializes them."""

from __future__ import annotations

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.response import Response

from portfolio.models import Portfolio
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
)
class ProjectViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = api.ProjectSerializer
    filterset_class = ProjectFilter

    def get_queryset(self):
        return Project.objects.visible_to(self.request.user).select_related("portfolio")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        _attach_kpis(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        project = self.get_object()
        _attach_kpis([project])
        return Response(self.get_serializer(project).data)
