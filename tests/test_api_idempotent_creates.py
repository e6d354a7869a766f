"""`Idempotency-Key` on the creates of people, roles, leave, allocations, candidates, gate
decisions, scenarios, digest and webhook subscriptions (core.http_concurrency): a retry with
the same key and body answers the first response and creates nothing; the same key with
another body is a 422 that creates nothing either."""

from datetime import date

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from portfolio.models import GateDecision, Scenario
from projects.models import Project
from reporting.models import DigestSubscription
from resources.models import Allocation, CapacityAdjustment, Resource, Role
from tests.factories import MembershipFactory, ProjectFactory, ResourceFactory, RoleFactory
from webhooks.models import WebhookSubscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(portfolio, settings):
    settings.SLATE_WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True  # no DNS in the tests
    role = RoleFactory(name="Engineer")
    return {
        "portfolio": portfolio,
        "role": role,
        "person": ResourceFactory(role=role, start_date=date(2025, 1, 1)),
        "project": ProjectFactory(portfolio=portfolio),
        "candidate": ProjectFactory(portfolio=portfolio, stage="candidate", code="CAND"),
        "pmo": MembershipFactory(portfolio=portfolio, role="pmo").user,
    }


CREATES = {
    "/api/people/": (
        Resource,
        lambda w: {"name": "Ana", "role": w["role"].pk, "start_date": "2026-01-01"},
    ),
    "/api/roles/": (Role, lambda w: {"name": "Tester"}),
    "/api/leave/": (
        CapacityAdjustment,
        lambda w: {"person": w["person"].pk, "start_date": "2027-03-01", "end_date": "2027-03-05"},
    ),
    "/api/allocations/": (
        Allocation,
        lambda w: {
            "project": w["project"].pk,
            "role": w["role"].pk,
            "start_month": "2027-01-01",
            "end_month": "2027-02-01",
            "amount": "0.5",
        },
    ),
    "/api/candidates/": (
        Project,
        lambda w: {
            "portfolio": w["portfolio"].code,
            "code": "NEW",
            "name": "New",
            "stage": "idea",
            "start_date": "2027-01-01",
            "end_date": "2027-06-30",
            "budget": "1000",
        },
    ),
    "/api/gate-decisions/": (
        GateDecision,
        lambda w: {
            "project": w["candidate"].pk,
            "to_stage": "approved",
            "outcome": "hold",
            "decided_on": timezone.localdate().isoformat(),
            "rationale": "Later",
        },
    ),
    "/api/scenarios/": (
        Scenario,
        lambda w: {"portfolio": w["portfolio"].code, "name": "Lean", "budget_limit": "100"},
    ),
    "/api/digest-subscriptions/": (
        DigestSubscription,
        lambda w: {"portfolio": w["portfolio"].code, "kind": "monthly"},
    ),
    "/api/webhook-subscriptions/": (
        WebhookSubscription,
        lambda w: {
            "portfolio": w["portfolio"].code,
            "url": "https://hooks.example.com/in",
            "events": ["gate.decided"],
        },
    ),
}


@pytest.mark.parametrize("url", list(CREATES))
def test_a_retried_create_creates_once(world, url):
    model, payload = CREATES[url]
    api = APIClient()
    api.force_login(world["pmo"])
    key = {"Idempotency-Key": f"retry-{url}"}
    count = model.objects.count()
    first = api.post(url, payload(world), format="json", headers=key)
    assert first.status_code == 201, first.json()
    assert model.objects.count() == count + 1
    again = api.post(url, payload(world), format="json", headers=key)
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = api.post(url, {**payload(world), "extra": "changed"}, format="json", headers=key)
    assert other.status_code == 422
    assert model.objects.count() == count + 1
