"""The API of people, roles, leave and allocations, with the allocation decisions of the
resource managers' queue (confirm, confirm with changes, reject, undo) and the conflict page's
resolutions (shift, release, reassign).

Thin like the pages: each viewset starts from `visible_to(user)` (an object the user may not
see is a 404), refuses a user the page would refuse before reading the payload (403), and
writes through `resources.services` / `resources.conflicts`, whose ValidationError is a 400
naming the field."""

from __future__ import annotations

from functools import cached_property

import django_filters
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from core import access
from core.api import LIST_FILTER_BACKENDS
from core.bounds import ID_MAX
from core.http_concurrency import IdempotentCreateMixin, service_errors
from projects.models import Project
from resources import conflicts, selectors, services
from resources.api import serializers as api
from resources.forms import PeopleFilter
from resources.models import (
    AdjustmentKind,
    Allocation,
    AllocationStatus,
    CapacityAdjustment,
    ConflictAction,
    ConflictResolution,
    Resource,
    Role,
)

KEEPERS_ONLY = "Only resource managers and the PMO may change people, roles and leave."
DECIDERS_ONLY = "Only the resource managers of this portfolio and the PMO may decide allocations."


class _ResourceKeeping:
    """People, roles and leave: anyone with a role reads; resource managers write."""

    filter_backends = LIST_FILTER_BACKENDS

    @cached_property
    def can_keep(self) -> bool:
        user = self.request.user  # anonymous while drf-spectacular builds the schema
        return user.is_authenticated and access.can_manage_resources(user)

    def require_keeper(self):
        access.require(self.can_keep, KEEPERS_ONLY)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "sees_cost_rates": self.can_keep}


WRITE_RESPONSES = {400: OpenApiResponse(description="Bad input: field → messages.")}


# People ---------------------------------------------------------------------------------------


class PersonFilter(PeopleFilter):
    """The people page's filters: `q` (name contains), `role`, `skill` (ids)."""

    class Meta(PeopleFilter.Meta):
        pass


@extend_schema_view(
    list=extend_schema(summary="People (shared by every portfolio)"),
    retrieve=extend_schema(summary="A person"),
    create=extend_schema(summary="Add a person", responses={201: api.PersonSerializer}),
    update=extend_schema(summary="Change a person"),
    partial_update=extend_schema(summary="Change some of a person's fields"),
)
class PersonViewSet(
    IdempotentCreateMixin,
    _ResourceKeeping,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = api.PersonSerializer
    filterset_class = PersonFilter
    ordering_fields = ("name", "start_date", "end_date", "fte", "id")
    ordering = ("name", "id")

    def get_queryset(self):
        return selectors.people_directory(user=self.request.user).select_related("calendar")

    def create(self, request, *args, **kwargs):
        self.require_keeper()
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_errors():
            person = services.resource_create(data=payload.validated_data, by=request.user)
        return Response(self.get_serializer(person).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        person = self.get_object()
        self.require_keeper()
        payload = self.get_serializer(person, data=request.data, partial=kwargs.get("partial"))
        payload.is_valid(raise_exception=True)
        with service_errors():
            person = services.resource_update(
                resource=person, data=payload.validated_data, by=request.user
            )
        return Response(self.get_serializer(person).data)


# Roles ----------------------------------------------------------------------------------------


class RoleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name")

    class Meta:
        model = Role
        fields = ("q",)


@extend_schema_view(
    list=extend_schema(summary="Roles, with their headcount"),
    retrieve=extend_schema(summary="A role"),
    create=extend_schema(summary="Add a role", responses={201: api.RoleSerializer}),
    update=extend_schema(summary="Change a role"),
    partial_update=extend_schema(summary="Change some of a role's fields"),
)
class RoleViewSet(
    IdempotentCreateMixin,
    _ResourceKeeping,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = api.RoleSerializer
    filterset_class = RoleFilter
    ordering_fields = ("name", "people", "active_people", "id")
    ordering = ("name", "id")

    def get_queryset(self):
        return selectors.roles_with_headcount(user=self.request.user, today=timezone.localdate())

    def _annotated(self, role):
        return self.get_queryset().get(pk=role.pk)

    def create(self, request, *args, **kwargs):
        self.require_keeper()
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_errors():
            role = services.role_create(data=payload.validated_data, by=request.user)
        return Response(
            self.get_serializer(self._annotated(role)).data, status=status.HTTP_201_CREATED
        )

    def update(self, request, *args, **kwargs):
        role = self.get_object()
        self.require_keeper()
        payload = self.get_serializer(role, data=request.data, partial=kwargs.get("partial"))
        payload.is_valid(raise_exception=True)
        with service_errors():
            role = services.role_update(role=role, data=payload.validated_data, by=request.user)
        return Response(self.get_serializer(self._annotated(role)).data)


# Leave ----------------------------------------------------------------------------------------


class LeaveFilter(django_filters.FilterSet):
    person = django_filters.NumberFilter(
        field_name="resource", min_value=1, max_value=ID_MAX, help_text="The person's id."
    )
    kind = django_filters.ChoiceFilter(choices=AdjustmentKind.choices)
    ends_from = django_filters.DateFilter(
        field_name="end_date", lookup_expr="gte", help_text="Ending on or after this day."
    )
    starts_until = django_filters.DateFilter(
        field_name="start_date", lookup_expr="lte", help_text="Starting on or before this day."
    )

    class Meta:
        model = CapacityAdjustment
        fields = ("person", "kind", "ends_from", "starts_until")


@extend_schema_view(
    list=extend_schema(summary="Leave and other unavailability of people"),
    retrieve=extend_schema(summary="One period of leave"),
    create=extend_schema(summary="Record leave", responses={201: api.LeaveSerializer}),
    destroy=extend_schema(summary="Delete leave"),
)
class LeaveViewSet(
    IdempotentCreateMixin,
    _ResourceKeeping,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = api.LeaveSerializer
    filterset_class = LeaveFilter
    ordering_fields = ("start_date", "end_date", "id")
    ordering = ("start_date", "id")

    def get_queryset(self):
        people = Resource.objects.visible_to(self.request.user)
        return CapacityAdjustment.objects.filter(resource__in=people.values("pk")).select_related(
            "resource__calendar"
        )

    def create(self, request, *args, **kwargs):
        self.require_keeper()
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        with service_errors():
            leave = services.capacity_adjustment_create(
                resource=data.pop("resource"), data=data, by=request.user
            )
        return Response(self.get_serializer(leave).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        leave = self.get_object()
        self.require_keeper()
        services.capacity_adjustment_delete(adjustment=leave, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Allocations ----------------------------------------------------------------------------------


class AllocationFilter(django_filters.FilterSet):
    portfolio = django_filters.CharFilter(
        field_name="project__portfolio__code", help_text="The portfolio's code."
    )
    project = django_filters.NumberFilter(min_value=1, max_value=ID_MAX)
    role = django_filters.NumberFilter(min_value=1, max_value=ID_MAX)
    person = django_filters.NumberFilter(field_name="resource", min_value=1, max_value=ID_MAX)
    status = django_filters.ChoiceFilter(choices=AllocationStatus.choices)
    months_from = django_filters.DateFilter(
        field_name="end_month", lookup_expr="gte", help_text="Covering this month or later."
    )
    months_until = django_filters.DateFilter(
        field_name="start_month", lookup_expr="lte", help_text="Covering this month or earlier."
    )
    decidable = django_filters.BooleanFilter(
        method="filter_decidable",
        help_text="true: only the requests you may decide (the resource managers' queue).",
    )

    class Meta:
        model = Allocation
        fields = (
            "portfolio",
            "project",
            "role",
            "person",
            "status",
            "months_from",
            "months_until",
            "decidable",
        )

    def filter_decidable(self, queryset, _name, value):
        if not value:
            return queryset
        queue = selectors.allocation_requests(user=self.request.user)
        return queryset.filter(pk__in=queue.values("pk"))


DECISION_RESPONSES = {
    200: api.AllocationSerializer,
    400: OpenApiResponse(description="Bad input or refused: field → messages."),
}


@extend_schema_view(
    list=extend_schema(summary="Allocations of the projects you can see"),
    retrieve=extend_schema(summary="An allocation"),
    create=extend_schema(
        summary="Request an allocation for a project (its editors)",
        request=api.AllocationRequestSerializer,
        responses={201: api.AllocationSerializer, **WRITE_RESPONSES},
    ),
    destroy=extend_schema(summary="Withdraw a request nobody has decided yet (its editors)"),
)
class AllocationViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = api.AllocationSerializer
    filterset_class = AllocationFilter
    filter_backends = LIST_FILTER_BACKENDS
    ordering_fields = ("start_month", "end_month", "status", "amount", "id")
    ordering = ("start_month", "id")

    def get_queryset(self):
        return Allocation.objects.visible_to(self.request.user).select_related(
            "project__portfolio", "role", "resource__role"
        )

    def create(self, request, *args, **kwargs):
        payload = api.AllocationRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        project = (
            Project.objects.visible_to(request.user)
            .select_related("portfolio")
            .filter(pk=data.pop("project"))
            .first()
        )
        if project is None:
            raise serializers.ValidationError({"project": ["No project with this id."]})
        with service_errors():
            allocation = services.allocation_request(project=project, data=data, by=request.user)
        return Response(self.get_serializer(allocation).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        allocation = self.get_object()
        with service_errors():
            services.allocation_withdraw(allocation=allocation, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _decided(self):
        allocation = self.get_object()
        access.require(
            access.can_manage_resources(self.request.user, allocation.project.portfolio_id),
            DECIDERS_ONLY,
        )
        return allocation

    def _answer(self, allocation):
        allocation = self.get_queryset().get(pk=allocation.pk)
        return Response(self.get_serializer(allocation).data)

    @extend_schema(
        summary="Confirm a request, as asked or with changes",
        request=api.ConfirmSerializer,
        responses=DECISION_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        allocation = self._decided()
        payload = api.ConfirmSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        changes = {
            name: data[name] for name in services.CHANGEABLE_FIELDS if name in payload.initial_data
        }
        with service_errors():
            services.allocation_confirm(
                allocation=allocation,
                by=request.user,
                reason=data["reason"],
                changes=changes or None,
                override=data["override"],
                override_reason=data["override_reason"],
                today=timezone.localdate(),
            )
        return self._answer(allocation)

    @extend_schema(
        summary="Reject a request (with a reason)",
        request=api.ReasonSerializer,
        responses=DECISION_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        allocation = self._decided()
        payload = api.ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_errors():
            services.allocation_reject(
                allocation=allocation, by=request.user, reason=payload.validated_data["reason"]
            )
        return self._answer(allocation)

    @extend_schema(
        summary="Undo a confirmation (with a reason): the allocation is a request again",
        description="Months that have passed stay confirmed, split off; the answer is the request.",
        request=api.ReasonSerializer,
        responses=DECISION_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def undo(self, request, pk=None):
        allocation = self._decided()
        payload = api.ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_errors():
            request_again = services.allocation_undo_confirmation(
                allocation=allocation,
                by=request.user,
                reason=payload.validated_data["reason"],
                today=timezone.localdate(),
            )
        return self._answer(request_again)

    @extend_schema(
        summary="Resolve an over-allocated month with this confirmed allocation yielding",
        request=api.ResolveSerializer,
        responses={
            201: api.ResolutionSerializer,
            400: OpenApiResponse(description="Bad input or refused: field → messages."),
        },
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        allocation = get_object_or_404(
            self.get_queryset().filter(status=AllocationStatus.CONFIRMED), pk=pk
        )
        access.require(
            access.can_manage_resources(request.user, allocation.project.portfolio_id),
            "Only the portfolio's resource managers and the PMO may resolve capacity conflicts.",
        )
        payload = api.ResolveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        common = {"allocation": allocation, "by": request.user, "reason": data["reason"]}
        if data.get("person") is not None and data["person"].role_id != allocation.role_id:
            raise serializers.ValidationError(
                {"person": [f"Choose someone who holds the role {allocation.role.name}."]}
            )
        with service_errors():
            if data["action"] == "shift":
                resolution = conflicts.conflict_shift_allocation(
                    months=data["months"], from_month=data["month"], **common
                )
            elif data["action"] == "reassign":
                resolution = conflicts.conflict_reassign_allocation(
                    to_person=data["person"], month=data["month"], **common
                )
            else:
                resolution = conflicts.conflict_release_allocation(
                    hours_or_none=data["hours"] if data["action"] == "reduce" else None,
                    month=data["month"],
                    **common,
                )
        return Response(api.ResolutionSerializer(resolution).data, status=status.HTTP_201_CREATED)


class ResolutionFilter(django_filters.FilterSet):
    portfolio = django_filters.CharFilter(
        field_name="project__portfolio__code", help_text="The portfolio's code."
    )
    project = django_filters.NumberFilter(min_value=1, max_value=ID_MAX)
    role = django_filters.NumberFilter(min_value=1, max_value=ID_MAX)
    month = django_filters.DateFilter()
    action = django_filters.ChoiceFilter(choices=ConflictAction.choices)

    class Meta:
        model = ConflictResolution
        fields = ("portfolio", "project", "role", "month", "action")


@extend_schema_view(
    list=extend_schema(summary="How capacity conflicts were resolved"),
    retrieve=extend_schema(summary="A conflict resolution"),
)
class ConflictResolutionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = api.ResolutionSerializer
    filterset_class = ResolutionFilter
    filter_backends = LIST_FILTER_BACKENDS
    ordering_fields = ("month", "decided_at", "id")
    ordering = ("-decided_at", "-id")

    def get_queryset(self):
        return ConflictResolution.objects.visible_to(self.request.user)
