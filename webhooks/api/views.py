"""The API of a portfolio's webhook subscriptions, through `webhooks.services` as the webhooks
pages do: its PMO and portfolio managers (and PMO admins) list, create, change and delete
them; anyone else who sees the portfolio gets 403, whoever does not, 404.

The secret signs every delivery: it is in the answer to the create (or to a change that
replaces it) and nowhere else; reads show it masked."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from core import access
from core.api import LIST_FILTER_BACKENDS
from core.events import EVENTS
from core.http_concurrency import IdempotentCreateMixin, service_errors
from portfolio.models import Portfolio
from webhooks import services
from webhooks.models import WebhookSubscription

REFUSED = OpenApiResponse(description="Refused: field → messages.")


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    portfolio = serializers.CharField(source="portfolio.code", read_only=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=list(EVENTS.items())))
    masked_secret = serializers.CharField(read_only=True)

    class Meta:
        model = WebhookSubscription
        fields = (
            "id",
            "portfolio",
            "url",
            "description",
            "events",
            "is_active",
            "masked_secret",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class WebhookSubscriptionWithSecretSerializer(WebhookSubscriptionSerializer):
    """The answer that shows the secret, once."""

    secret = serializers.CharField(read_only=True, help_text="Shown this once: keep it.")

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = (*WebhookSubscriptionSerializer.Meta.fields, "secret")
        read_only_fields = fields


class WebhookSubscriptionChangedSerializer(WebhookSubscriptionSerializer):
    """A change's answer (the schema's): `secret` only when it was replaced."""

    secret = serializers.CharField(
        required=False, help_text="Only when the secret was replaced, shown this once."
    )

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = (*WebhookSubscriptionSerializer.Meta.fields, "secret")


class WebhookSubscriptionWriteSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=list(EVENTS.items())), required=False
    )
    is_active = serializers.BooleanField(required=False)
    secret = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="Signs every delivery; omit it and Slate makes one (on a change: the current "
        "one is kept).",
    )


class WebhookSubscriptionCreateSerializer(WebhookSubscriptionWriteSerializer):
    portfolio = serializers.SlugRelatedField(
        slug_field="code", queryset=Portfolio.objects.all(), help_text="The portfolio's code."
    )
    url = serializers.CharField(max_length=500)
    events = serializers.ListField(child=serializers.ChoiceField(choices=list(EVENTS.items())))


class WebhookSubscriptionUpdateSerializer(WebhookSubscriptionWriteSerializer):
    new_secret = serializers.BooleanField(
        default=False, help_text="Slate makes a new secret (shown in the answer, once)."
    )


class WebhookSubscriptionFilter(django_filters.FilterSet):
    portfolio = django_filters.CharFilter(
        field_name="portfolio__code", help_text="The portfolio's code."
    )
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = WebhookSubscription
        fields = ("portfolio", "is_active")


@extend_schema_view(
    list=extend_schema(summary="Webhook subscriptions of the portfolios you manage"),
    retrieve=extend_schema(summary="A webhook subscription (its secret masked)"),
    create=extend_schema(
        summary="Subscribe a URL to a portfolio's events",
        request=WebhookSubscriptionCreateSerializer,
        responses={201: WebhookSubscriptionWithSecretSerializer, 400: REFUSED},
    ),
    partial_update=extend_schema(
        summary="Change a webhook subscription",
        request=WebhookSubscriptionUpdateSerializer,
        responses={
            200: OpenApiResponse(
                WebhookSubscriptionChangedSerializer,
                "The subscription; `secret` only when it was replaced.",
            ),
            400: REFUSED,
        },
    ),
    destroy=extend_schema(summary="Delete a webhook subscription and its delivery log"),
)
class WebhookSubscriptionViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = WebhookSubscriptionSerializer
    filterset_class = WebhookSubscriptionFilter
    filter_backends = LIST_FILTER_BACKENDS
    ordering_fields = ("url", "created_at", "id")
    ordering = ("portfolio__code", "url", "id")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        user = self.request.user
        if self.action == "list":
            subscriptions = WebhookSubscription.objects.visible_to(user)
        else:  # one the user sees the portfolio of: 403 below unless they manage it
            subscriptions = WebhookSubscription.objects.filter(
                portfolio__in=Portfolio.objects.visible_to(user).values("pk")
            )
        return subscriptions.select_related("portfolio")

    def get_object(self):
        subscription = super().get_object()
        access.require(
            access.can_manage_portfolio(self.request.user, subscription.portfolio),
            services.REFUSED,
        )
        return subscription

    def create(self, request, *args, **kwargs):
        payload = WebhookSubscriptionCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        portfolio = data.pop("portfolio")
        if not Portfolio.objects.visible_to(request.user).filter(pk=portfolio.pk).exists():
            raise serializers.ValidationError({"portfolio": ["No portfolio with this code."]})
        with service_errors():
            subscription = services.subscription_create(
                portfolio=portfolio, data=data, by=request.user
            )
        body = WebhookSubscriptionWithSecretSerializer(subscription).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

    def partial_update(self, request, *args, **kwargs):
        subscription = self.get_object()
        payload = WebhookSubscriptionUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        new_secret = data.pop("new_secret")
        with service_errors():
            subscription = services.subscription_update(
                subscription=subscription, data=data, by=request.user, new_secret=new_secret
            )
        if new_secret or (data.get("secret") or "").strip():
            body = WebhookSubscriptionWithSecretSerializer(subscription).data
            return Response(body, headers={"Cache-Control": "no-store"})
        return Response(WebhookSubscriptionSerializer(subscription).data)

    def destroy(self, request, *args, **kwargs):
        subscription = self.get_object()
        services.subscription_delete(subscription=subscription, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
