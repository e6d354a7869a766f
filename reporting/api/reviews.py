"""The API of stored portfolio reviews (read-only: reviews are made by the review cadence or
the PMO's "Run review" page) with their project snapshots, and of digest subscriptions.

A review is read as its page shows it: its stored KPIs, and its findings and snapshots only
about projects the reader may see (`reporting.selectors.visible_review_findings`,
`review_snapshots`). Subscriptions go through `reporting.services.subscriptions_set`: a user
manages their own; the portfolio's PMO and portfolio managers subscribe its people."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from core import access
from core.api import LIST_FILTER_BACKENDS
from core.http_concurrency import IdempotentCreateMixin, service_errors
from portfolio.api.serializers import money_field
from portfolio.models import Portfolio
from reporting import selectors, services
from reporting.models import (
    DigestSubscription,
    PortfolioReview,
    ProjectSnapshot,
    ReviewKind,
    ReviewStatus,
)
from reporting.reviews import period_label

# Reviews ------------------------------------------------------------------------------------


class ReviewSerializer(serializers.ModelSerializer):
    portfolio = serializers.CharField(source="portfolio.code", read_only=True)
    period_label = serializers.SerializerMethodField(help_text='E.g. "October 2026", "Q3 2026".')
    kpis = serializers.DictField(
        read_only=True, help_text="The portfolio's KPIs as stored at the end of the period."
    )

    class Meta:
        model = PortfolioReview
        fields = (
            "id",
            "portfolio",
            "kind",
            "period_start",
            "period_end",
            "period_label",
            "status",
            "started_at",
            "finished_at",
            "kpis",
        )
        read_only_fields = fields

    def get_period_label(self, review) -> str:
        return period_label(review.kind, review.period_start)


class ReviewDetailSerializer(ReviewSerializer):
    findings = serializers.DictField(
        read_only=True,
        help_text="Exceptions, watermelons, late milestones and dependencies, top risks… "
        "about the projects you can see.",
    )

    class Meta(ReviewSerializer.Meta):
        fields = (*ReviewSerializer.Meta.fields, "findings")
        read_only_fields = fields


class SnapshotSerializer(serializers.ModelSerializer):
    project_code = serializers.CharField(source="project.code", read_only=True)
    budget = money_field()
    actual_cost = money_field()
    earned_value = money_field()
    planned_value = money_field()
    estimate_at_completion = money_field(allow_null=True)
    risk_exposure = money_field()
    expected_benefit = money_field()

    class Meta:
        model = ProjectSnapshot
        fields = (
            "id",
            "review",
            "project",
            "project_code",
            "program",
            "stage",
            "budget",
            "actual_cost",
            "earned_value",
            "planned_value",
            "estimate_at_completion",
            "percent_complete",
            "reported_health",
            "computed_health",
            "is_watermelon",
            "risk_exposure",
            "expected_benefit",
        )
        read_only_fields = fields


class ReviewFilter(django_filters.FilterSet):
    portfolio = django_filters.CharFilter(
        field_name="portfolio__code", help_text="The portfolio's code."
    )
    kind = django_filters.ChoiceFilter(choices=ReviewKind.choices)
    status = django_filters.ChoiceFilter(choices=ReviewStatus.choices)
    period_from = django_filters.DateFilter(
        field_name="period_start", lookup_expr="gte", help_text="Periods starting on or after."
    )
    period_until = django_filters.DateFilter(
        field_name="period_start", lookup_expr="lte", help_text="Periods starting on or before."
    )

    class Meta:
        model = PortfolioReview
        fields = ("portfolio", "kind", "status", "period_from", "period_until")


class SnapshotFilter(django_filters.FilterSet):
    stage = django_filters.CharFilter()
    computed_health = django_filters.CharFilter()
    is_watermelon = django_filters.BooleanFilter()

    class Meta:
        model = ProjectSnapshot
        fields = ("stage", "computed_health", "is_watermelon")


@extend_schema_view(
    list=extend_schema(summary="Stored reviews of the portfolios you can see"),
    retrieve=extend_schema(summary="A stored review, with its findings about your projects"),
)
class ReviewViewSet(viewsets.ReadOnlyModelViewSet):
    filterset_class = ReviewFilter
    filter_backends = LIST_FILTER_BACKENDS
    ordering_fields = ("period_start", "kind", "finished_at", "id")
    ordering = ("-period_start", "kind", "-id")

    def get_queryset(self):
        return PortfolioReview.objects.visible_to(self.request.user).select_related("portfolio")

    def get_serializer_class(self):
        return ReviewDetailSerializer if self.action == "retrieve" else ReviewSerializer

    def list(self, request, *args, **kwargs):
        # The findings are only in a review's own answer: a page does not load them.
        reviews = self.filter_queryset(self.get_queryset().defer("findings"))
        page = self.paginate_queryset(reviews)
        return self.get_paginated_response(ReviewSerializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        review = self.get_object()
        review.findings = selectors.visible_review_findings(review=review, user=request.user)
        return Response(ReviewDetailSerializer(review).data)


REVIEW_PATH_PARAMETER = OpenApiParameter(
    "review_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The review's id."
)


@extend_schema_view(
    list=extend_schema(summary="The review's project snapshots of the projects you can see")
)
@extend_schema(parameters=[REVIEW_PATH_PARAMETER])
class SnapshotViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """/api/reviews/{review_pk}/snapshots/: 404 unless the user sees the review."""

    serializer_class = SnapshotSerializer
    filterset_class = SnapshotFilter
    filter_backends = LIST_FILTER_BACKENDS
    ordering_fields = ("project__code", "budget", "actual_cost", "percent_complete")
    ordering = ("project__code",)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return ProjectSnapshot.objects.none()
        review = get_object_or_404(
            PortfolioReview.objects.visible_to(self.request.user), pk=self.kwargs["review_pk"]
        )
        return selectors.review_snapshots(review=review, user=self.request.user)


# Digest subscriptions --------------------------------------------------------------------------


class SubscriptionSerializer(serializers.ModelSerializer):
    portfolio = serializers.SlugRelatedField(
        slug_field="code", queryset=Portfolio.objects.all(), help_text="The portfolio's code."
    )
    user = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        help_text="The subscriber's id; yourself when omitted (the portfolio's PMO subscribes "
        "others).",
    )
    kind = serializers.ChoiceField(choices=ReviewKind.choices)

    class Meta:
        model = DigestSubscription
        fields = ("id", "user", "portfolio", "kind", "created_at")
        read_only_fields = ("id", "created_at")
        validators = []  # subscribing twice is not an error: the service keeps one


class SubscriptionFilter(django_filters.FilterSet):
    portfolio = django_filters.CharFilter(
        field_name="portfolio__code", help_text="The portfolio's code."
    )
    kind = django_filters.ChoiceFilter(choices=ReviewKind.choices)
    user = django_filters.NumberFilter(field_name="user_id", min_value=1)

    class Meta:
        model = DigestSubscription
        fields = ("portfolio", "kind", "user")


@extend_schema_view(
    list=extend_schema(summary="Your digest subscriptions, and those of the portfolios you manage"),
    retrieve=extend_schema(summary="A digest subscription"),
    create=extend_schema(
        summary="Subscribe to a portfolio's review digest",
        responses={
            201: SubscriptionSerializer,
            400: OpenApiResponse(description="Refused: field → messages."),
        },
    ),
    destroy=extend_schema(summary="Unsubscribe"),
)
class DigestSubscriptionViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = SubscriptionSerializer
    filterset_class = SubscriptionFilter
    filter_backends = LIST_FILTER_BACKENDS
    ordering_fields = ("created_at", "kind", "id")
    ordering = ("portfolio__code", "kind", "user_id", "id")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular building the schema
            return DigestSubscription.objects.none()
        user = self.request.user
        managed = access.filter_managed_portfolios(
            Portfolio.objects.all(), user, portfolio_field=""
        )
        return (
            DigestSubscription.objects.visible_to(user)
            .filter(Q(user=user) | Q(portfolio__in=managed.values("pk")))
            .select_related("portfolio")
        )

    def _kinds(self, user, portfolio) -> list[str]:
        return list(
            DigestSubscription.objects.filter(user=user, portfolio=portfolio).values_list(
                "kind", flat=True
            )
        )

    def create(self, request, *args, **kwargs):
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        portfolio, kind = data["portfolio"], data["kind"]
        subscriber = data.get("user", request.user)
        if not Portfolio.objects.visible_to(request.user).filter(pk=portfolio.pk).exists():
            raise serializers.ValidationError({"portfolio": ["No portfolio with this code."]})
        kinds = self._kinds(subscriber, portfolio)
        with service_errors():
            services.subscriptions_set(
                user=subscriber, portfolio=portfolio, kinds=[*kinds, kind], by=request.user
            )
        subscription = self.get_queryset().get(user=subscriber, portfolio=portfolio, kind=kind)
        return Response(self.get_serializer(subscription).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        subscription = self.get_object()
        kinds = self._kinds(subscription.user_id, subscription.portfolio)
        with service_errors():
            services.subscriptions_set(
                user=subscription.user,
                portfolio=subscription.portfolio,
                kinds=[kind for kind in kinds if kind != subscription.kind],
                by=request.user,
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
