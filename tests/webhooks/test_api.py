"""The API of webhook subscriptions (webhooks/api): the role × endpoint matrix
(tests/api_permissions.py), the secret shown once, refusals naming the field, tokens and a
constant query count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from access_tokens import services as token_services
from access_tokens.models import AccessToken, Scope
from core import events
from tests.api_permissions import (
    MANAGERS,
    check_api_read,
    check_api_write,
)
from tests.factories import ProjectFactory, UserFactory
from tests.permissions import each_role, rows
from webhooks.models import WebhookSubscription

pytestmark = pytest.mark.django_db

SECRET = "whsec_the-real-secret-value-1234"


@pytest.fixture
def project(portfolio):
    return ProjectFactory(portfolio=portfolio, manager=UserFactory())


@pytest.fixture
def subscription(portfolio):
    return WebhookSubscription.objects.create(
        portfolio=portfolio,
        url="https://hooks.example.com/slate",
        events=[events.GATE_DECIDED],
        secret=SECRET,
    )


def _as(user):
    api = APIClient()
    api.force_login(user)
    return api


@each_role
def test_read_matrix(role, project, subscription):
    response = check_api_read(
        role,
        project=project,
        url=f"/api/webhook-subscriptions/{subscription.pk}/",
        readers=MANAGERS,
    )
    if role in MANAGERS:
        body = response.json()
        assert body["masked_secret"].endswith("1234") and "secret" not in body
        assert SECRET not in response.content.decode()


@each_role
def test_create_matrix(role, portfolio, project):
    response = check_api_write(
        role,
        project=project,
        method="post",
        url="/api/webhook-subscriptions/",
        data={
            "portfolio": portfolio.code,
            "url": "https://hooks.example.com/in",
            "events": [events.GATE_DECIDED, events.SCENARIO_COMMITTED],
        },
        allowed=MANAGERS,
        snapshot=rows(WebhookSubscription),
        refused_status={"outsider": 400},
    )
    if role in MANAGERS:
        body = response.json()
        stored = WebhookSubscription.objects.get()
        assert body["secret"] == stored.secret and len(stored.secret) >= 16
        assert response["Cache-Control"] == "no-store"


@each_role
def test_change_matrix(role, project, subscription):
    check_api_write(
        role,
        project=project,
        method="patch",
        url=f"/api/webhook-subscriptions/{subscription.pk}/",
        data={"is_active": False},
        allowed=MANAGERS,
        snapshot=rows(WebhookSubscription),
    )


@each_role
def test_delete_matrix(role, project, subscription):
    check_api_write(
        role,
        project=project,
        method="delete",
        url=f"/api/webhook-subscriptions/{subscription.pk}/",
        allowed=MANAGERS,
        snapshot=rows(WebhookSubscription),
    )


def test_secrets_and_refusals(portfolio, subscription, member_of):
    api = _as(member_of(portfolio, "pmo"))
    url = f"/api/webhook-subscriptions/{subscription.pk}/"
    kept = api.patch(url, {"description": "CRM"}, format="json")
    assert kept.status_code == 200 and "secret" not in kept.json()
    renewed = api.patch(url, {"new_secret": True}, format="json")
    assert renewed.status_code == 200
    subscription.refresh_from_db()
    assert renewed.json()["secret"] == subscription.secret != SECRET
    response = api.patch(url, {"secret": "short"}, format="json")
    assert response.status_code == 400 and "secret" in response.json()
    response = api.patch(url, {"url": "ftp://files.example.com/"}, format="json")
    assert response.status_code == 400 and "url" in response.json()
    response = api.patch(url, {"events": []}, format="json")
    assert response.status_code == 400 and "events" in response.json()
    response = api.patch(url, {"events": ["nothing.happened"]}, format="json")
    assert response.status_code == 400 and "events" in response.json()
    assert api.put(url, {}, format="json").status_code == 405


def test_tokens_and_query_count(portfolio, member_of, django_assert_max_num_queries):
    user = member_of(portfolio, "portfolio_manager")
    plaintext = token_services.access_token_create(
        user=user, name="CI", scope=Scope.READ, expires_on=timezone.localdate() + timedelta(days=2)
    ).plaintext
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")

    def grow(n):
        for _ in range(n):
            WebhookSubscription.objects.create(
                portfolio=portfolio,
                url=f"https://hooks.example.com/{WebhookSubscription.objects.count()}",
                events=[events.GATE_DECIDED],
                secret=SECRET,
            )

    grow(2)
    with CaptureQueriesContext(connection) as few:
        assert api.get("/api/webhook-subscriptions/").status_code == 200
    grow(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api.get("/api/webhook-subscriptions/").json()["count"] == 12
    refused = api.post(
        "/api/webhook-subscriptions/",
        {"portfolio": portfolio.code, "url": "https://a.example.com/", "events": ["gate.decided"]},
        format="json",
    )
    assert refused.status_code == 403
    assert WebhookSubscription.objects.count() == 12
    AccessToken.objects.update(revoked_at=timezone.now())
    assert api.get("/api/webhook-subscriptions/").status_code == 401
    AccessToken.objects.update(
        revoked_at=None,
        created_at=timezone.now() - timedelta(days=2),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert api.get("/api/webhook-subscriptions/").status_code == 401
