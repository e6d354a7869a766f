"""The plan endpoints. Each starts from `visible_to(user)` (an invisible project or object is
a 404) and writes through `projects.services` / `projects.dependencies`, whose refusals are
the pages' (PermissionDenied → 403, ValidationError → 400 naming the field). A reader is
refused before the payload is parsed, so a 403 never depends on the body. Versioned objects
(milestones) carry an ETag and need If-Match to change; creates take an Idempotency-Key
(`core.http_concurrency`)."""

from __future__ import annotations

from functools import cached_property

import django_filters
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import filters, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from core import access
from core.api import StrictFilterBackend
from core.http_concurrency import ConcurrencyMixin, IdempotentCreateMixin, service_errors
from projects import dependencies, services
from projects.api import serializers as api
from projects.models import (
    Baseline,
    ChangeRequest,
    ChangeRequestStatus,
    DependencyKind,
    Milestone,
    MilestoneStatus,
    Project,
    ProjectDependency,
)

PROJECT_PATH_PARAMETER = OpenApiParameter(
    "project_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The project's id."
)
EDITOR_MESSAGE = (
    "Only the project's manager, its portfolio's PMO or portfolio managers may change it."
)
ORDERING_AND_FILTERS = [
    StrictFilterBackend,
    filters.OrderingFilter,
]


class ProjectScopedViewSet(viewsets.GenericViewSet):
    """Base of a project's sub-collections: 404 unless the user sees the project."""

    filter_backends = ORDERING_AND_FILTERS

    @cached_property
    def project(self) -> Project:
        return get_object_or_404(
            Project.objects.visible_to(self.request.user).select_related("portfolio"),
            pk=self.kwargs["project_pk"],
        )

    def require_editor(self) -> Project:
        access.require(access.can_edit_project(self.request.user, self.project), EDITOR_MESSAGE)
        return self.project

    def scoped(self, queryset):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return queryset.none()
        return queryset.filter(project=self.project)


# Milestones -----------------------------------------------------------------------------------


class MilestoneFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=MilestoneStatus.choices)

    class Meta:
        model = Milestone
        fields = ("status",)


@extend_schema_view(
    list=extend_schema(summary="A project's milestones, in plan order"),
    retrieve=extend_schema(summary="A milestone"),
    create=extend_schema(
        summary="Add a milestone to the project",
        request=api.MilestoneWriteSerializer,
        responses={201: api.MilestoneSerializer},
    ),
    update=extend_schema(
        summary="Replace a milestone's fields",
        request=api.MilestoneWriteSerializer,
        responses={200: api.MilestoneSerializer},
    ),
    partial_update=extend_schema(
        summary="Change some of a milestone's fields",
        request=api.MilestoneWriteSerializer,
        responses={200: api.MilestoneSerializer},
    ),
    destroy=extend_schema(summary="Delete a milestone"),
)
@extend_schema(parameters=[PROJECT_PATH_PARAMETER])
class MilestoneViewSet(
    ConcurrencyMixin,
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    ProjectScopedViewSet,
):
    serializer_class = api.MilestoneSerializer
    filterset_class = MilestoneFilter
    ordering_fields = ("sequence", "baseline_date", "forecast_date", "actual_date", "name")
    ordering = ("sequence", "baseline_date", "pk")

    def get_queryset(self):
        return self.scoped(Milestone.objects.visible_to(self.request.user)).select_related(
            "project__portfolio"
        )

    def check_write_permission(self, milestone):
        self.require_editor()

    def create(self, request, *args, **kwargs):
        project = self.require_editor()
        payload = api.MilestoneWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_errors():
            milestone = services.milestone_create(
                project=project, data=payload.validated_data, by=request.user
            )
        return Response(self.get_serializer(milestone).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        milestone = self.get_object()
        payload = api.MilestoneWriteSerializer(milestone, data=request.data, partial=partial)
        payload.is_valid(raise_exception=True)
        with service_errors():
            milestone = services.milestone_update(
                milestone=milestone,
                data=payload.validated_data,
                expected_version=self.expected_version,
                by=request.user,
            )
        return Response(self.get_serializer(milestone).data)

    def destroy(self, request, *args, **kwargs):
        milestone = self.get_object()
        with service_errors():
            services.milestone_delete(milestone=milestone, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Baselines ------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="A project's baselines, the original (0) first"),
    retrieve=extend_schema(summary="One version of the project's baseline"),
)
@extend_schema(parameters=[PROJECT_PATH_PARAMETER])
class BaselineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ProjectScopedViewSet):
    """Read-only: a baseline is set on the plan and changed by approving a change request."""

    serializer_class = api.BaselineSerializer
    filterset_fields = ("version",)
    ordering_fields = ("version", "created_at")
    ordering = ("version",)

    def get_queryset(self):
        return self.scoped(Baseline.objects.visible_to(self.request.user))


# Change requests ------------------------------------------------------------------------------


class ChangeRequestFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ChangeRequestStatus.choices)

    class Meta:
        model = ChangeRequest
        fields = ("status",)


@extend_schema_view(
    list=extend_schema(summary="A project's change requests, newest first"),
    retrieve=extend_schema(summary="A change request"),
    create=extend_schema(
        summary="Propose a change of the project's baseline (BAC, dates, milestone dates)",
        request=api.ChangeRequestProposeSerializer,
        responses={201: api.ChangeRequestSerializer},
    ),
    approve=extend_schema(
        summary="Approve a proposed change: it becomes the next baseline version",
        description="The portfolio's PMO and portfolio managers decide. Beyond the "
        "portfolio's budget envelope a PMO admin must give `override_reason`.",
        request=api.ChangeRequestApproveSerializer,
        responses={200: api.ChangeRequestSerializer},
    ),
    reject=extend_schema(
        summary="Reject a proposed change, saying why",
        request=api.ChangeRequestRejectSerializer,
        responses={200: api.ChangeRequestSerializer},
    ),
)
@extend_schema(parameters=[PROJECT_PATH_PARAMETER])
class ChangeRequestViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    ProjectScopedViewSet,
):
    """Not versioned: a decision locks the request and refuses one already decided (400)."""

    serializer_class = api.ChangeRequestSerializer
    filterset_class = ChangeRequestFilter
    ordering_fields = ("proposed_at", "decided_at")
    ordering = ("-proposed_at", "-pk")

    def get_queryset(self):
        return self.scoped(ChangeRequest.objects.visible_to(self.request.user))

    def create(self, request, *args, **kwargs):
        project = self.require_editor()
        payload = api.ChangeRequestProposeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_errors():
            change = services.change_request_propose(
                project=project, data=payload.validated_data, by=request.user
            )
        return Response(self.get_serializer(change).data, status=status.HTTP_201_CREATED)

    def require_decider(self):
        access.require(
            access.can_manage_portfolio(self.request.user, self.project.portfolio),
            "Only the portfolio's PMO or portfolio managers decide change requests.",
        )

    @action(detail=True, methods=["post"])
    def approve(self, request, *args, **kwargs):
        change = self.get_object()
        self.require_decider()
        payload = api.ChangeRequestApproveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_errors():
            change = services.change_request_approve(
                change_request=change, by=request.user, **payload.validated_data
            )
        return Response(self.get_serializer(change).data)

    @action(detail=True, methods=["post"])
    def reject(self, request, *args, **kwargs):
        change = self.get_object()
        self.require_decider()
        payload = api.ChangeRequestRejectSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_errors():
            change = services.change_request_reject(
                change_request=change, by=request.user, note=payload.validated_data["note"]
            )
        return Response(self.get_serializer(change).data)


# Dependencies ---------------------------------------------------------------------------------


class DependencyFilter(django_filters.FilterSet):
    successor = django_filters.NumberFilter(field_name="successor_id")
    predecessor = django_filters.NumberFilter(field_name="predecessor_id")
    project = django_filters.NumberFilter(
        method="filter_project", help_text="Either end: the successor or the predecessor."
    )
    portfolio = django_filters.CharFilter(
        field_name="successor__portfolio__code", help_text="The successor's portfolio code."
    )
    kind = django_filters.ChoiceFilter(choices=DependencyKind.choices)
    # `true` or `false`, and nothing else: a BooleanFilter reads any other text as no filter.
    is_late = extend_schema_field(OpenApiTypes.BOOL)(
        django_filters.TypedChoiceFilter(
            choices=[("true", "true"), ("false", "false")], coerce=lambda value: value == "true"
        )
    )

    class Meta:
        model = ProjectDependency
        fields = ("successor", "predecessor", "project", "portfolio", "kind", "is_late")

    def filter_project(self, queryset, name, value):
        return queryset.filter(Q(successor_id=value) | Q(predecessor_id=value))


@extend_schema_view(
    list=extend_schema(summary="Dependencies with either end visible, with their lateness"),
    retrieve=extend_schema(summary="A dependency"),
    create=extend_schema(
        summary="Make a project (the successor) depend on another by a date",
        request=api.DependencyWriteSerializer,
        responses={201: api.DependencySerializer},
    ),
    update=extend_schema(
        summary="Replace a dependency's fields",
        request=api.DependencyWriteSerializer,
        responses={200: api.DependencySerializer},
    ),
    partial_update=extend_schema(
        summary="Change some of a dependency's fields",
        request=api.DependencyWriteSerializer,
        responses={200: api.DependencySerializer},
    ),
    destroy=extend_schema(summary="Remove a dependency"),
)
class DependencyViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Visible when either end is; changed by the successor's editors (a dependency is the
    successor's: the predecessor's people read it). Not versioned (the page has no version
    either): no ETag."""

    serializer_class = api.DependencySerializer
    filterset_class = DependencyFilter
    filter_backends = ORDERING_AND_FILTERS
    ordering_fields = ("needed_by", "expected_on")
    ordering = ("needed_by", "pk")

    def get_queryset(self):
        return (
            ProjectDependency.objects.visible_to(self.request.user)
            .with_lateness()
            .select_related("successor__portfolio")
        )

    def get_object(self):
        dependency = super().get_object()
        if self.request.method not in ("GET", "HEAD", "OPTIONS"):
            access.require(
                access.can_edit_project(self.request.user, dependency.successor),
                "Only the successor's manager, its portfolio's PMO or portfolio managers may "
                "change what it depends on.",
            )
        return dependency

    def _answer(self, dependency, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=dependency.pk)  # with its lateness
        return Response(self.get_serializer(fresh).data, status=code)

    def create(self, request, *args, **kwargs):
        payload = api.DependencyWriteSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        successor = data.pop("successor")
        with service_errors():
            dependency = dependencies.dependency_create(
                successor=successor, data=data, by=request.user
            )
        return self._answer(dependency, status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        dependency = self.get_object()
        payload = api.DependencyWriteSerializer(
            dependency,
            data=request.data,
            partial=partial,
            context=self.get_serializer_context(),
        )
        payload.is_valid(raise_exception=True)
        with service_errors():
            dependency = dependencies.dependency_update(
                dependency=dependency, data=payload.validated_data, by=request.user
            )
        return self._answer(dependency)

    def destroy(self, request, *args, **kwargs):
        dependency = self.get_object()
        with service_errors():
            dependencies.dependency_delete(dependency=dependency, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
