"""`Authorization: Bearer <token>` on the API: the token acts as its owner with the owner's
permissions, a read-only token only reads, expired and revoked tokens get 401, each token and
each user has a rate limit, and the browser's session keeps its CSRF check."""

import uuid
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from access_tokens import services
from access_tokens.models import AccessToken, Scope
from access_tokens.throttles import AccessTokenRateThrottle, UserRateThrottle
from projects.models import CostEntry
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

COST = {"date": "2026-03-01", "amount": "100.00", "category": "labour"}


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def manager(db):
    return UserFactory(username="manager")


@pytest.fixture
def project(portfolio, manager):
    return ProjectFactory(portfolio=portfolio, manager=manager)


def _bearer(api, plaintext):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return api


def _costs_url(project):
    return reverse("api:project-cost-entries", args=[project.pk])


def test_a_token_reads_what_its_owner_sees_and_nothing_else(
    api, portfolio, other_portfolio, member_of, issue_token
):
    seen = ProjectFactory(portfolio=portfolio, code="SEEN")
    hidden = ProjectFactory(portfolio=other_portfolio, code="HIDDEN")
    viewer = member_of(portfolio, "viewer")
    _bearer(api, issue_token(viewer))
    response = api.get("/api/projects/")
    assert response.status_code == 200
    assert [row["code"] for row in response.json()["results"]] == ["SEEN"]
    assert api.get(f"/api/projects/{seen.pk}/").status_code == 200
    assert api.get(f"/api/projects/{hidden.pk}/").status_code == 404


def test_a_read_write_token_writes_as_its_owner(api, project, manager, issue_token):
    response = _bearer(api, issue_token(manager, scope=Scope.READ_WRITE)).post(
        _costs_url(project), COST, format="json"
    )
    assert response.status_code == 201, response.json()
    assert CostEntry.objects.get().created_by == manager


def test_a_read_write_token_has_no_more_rights_than_its_owner(
    api, portfolio, project, member_of, issue_token
):
    executive = member_of(portfolio, "executive")
    response = _bearer(api, issue_token(executive, scope=Scope.READ_WRITE)).post(
        _costs_url(project), COST, format="json"
    )
    assert response.status_code == 403
    assert not CostEntry.objects.exists()


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_read_only_token_may_not_write(api, project, manager, issue_token, method):
    _bearer(api, issue_token(manager, scope=Scope.READ))
    response = getattr(api, method)(_costs_url(project), COST, format="json")
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert method.upper() in response.json()["detail"]
    assert not CostEntry.objects.exists()
    assert api.get(_costs_url(project)).status_code == 200
    assert api.options(_costs_url(project)).status_code == 200


def _refused(api):
    response = api.get("/api/projects/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    return response.json()["detail"]


def test_an_expired_token_is_401(api, manager, issue_token):
    _bearer(api, issue_token(manager))
    assert api.get("/api/projects/").status_code == 200
    now = timezone.now()
    AccessToken.objects.update(created_at=now - timedelta(days=30), expires_at=now)
    assert "expired" in _refused(api)


def test_a_revoked_token_is_401_at_once(api, manager, issue_token):
    _bearer(api, issue_token(manager))
    assert api.get("/api/projects/").status_code == 200
    services.access_token_revoke(token=AccessToken.objects.get(), by=manager)
    assert "revoked" in _refused(api)


def test_a_token_of_a_disabled_user_is_401(api, manager, issue_token):
    _bearer(api, issue_token(manager))
    manager.is_active = False
    manager.save()
    assert "disabled" in _refused(api)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer slate_000000000000_not-a-token",
        "Bearer nonsense",
        "Bearer",
        "Bearer two parts",
        "Bearer caf\u00e9",
    ],
)
def test_an_unknown_or_malformed_token_is_401(api, manager, issue_token, header):
    issue_token(manager)
    api.credentials(HTTP_AUTHORIZATION=header.encode().decode("latin-1"))
    _refused(api)


def test_no_credentials_is_401_naming_the_bearer_scheme(api):
    _refused(api)


def test_a_wrong_secret_behind_a_real_prefix_is_401(api, manager, issue_token):
    plaintext = issue_token(manager)
    _bearer(api, plaintext[:-2] + ("AA" if not plaintext.endswith("AA") else "BB"))
    _refused(api)


def test_each_use_is_noted(api, manager, issue_token):
    _bearer(api, issue_token(manager))
    assert AccessToken.objects.get().last_used_at is None
    before = timezone.now()
    api.get("/api/projects/")
    assert AccessToken.objects.get().last_used_at >= before


def test_a_refused_write_is_not_a_use(api, project, manager, issue_token):
    _bearer(api, issue_token(manager, scope=Scope.READ)).post(
        _costs_url(project), COST, format="json"
    )
    assert AccessToken.objects.get().last_used_at is None


def test_a_token_does_not_open_the_pages(client, manager, issue_token):
    """The pages know only the session: a token is for the API."""
    response = client.get(
        reverse("reporting:my-work"), HTTP_AUTHORIZATION=f"Bearer {issue_token(manager)}"
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# Throttling -----------------------------------------------------------------------------------


@pytest.fixture
def throttle_rates(settings):
    """set(token=..., user=...): the rates for this test, counted in a cache of its own."""

    def apply(token=None, user=None):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"access_token": token, "user": user},
        }

    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"throttle-test-{uuid.uuid4()}",
        },
    }
    return apply


def test_rate_limits_count_in_the_throttle_cache(settings):
    """Every gunicorn worker must share a token's budget: the counts live in the `throttle`
    cache (Redis at THROTTLE_CACHE_URL), not in DRF's default per-process cache."""
    assert AccessTokenRateThrottle().cache is caches["throttle"]
    assert UserRateThrottle().cache is caches["throttle"]
    backend = settings.CACHES["throttle"]["BACKEND"]
    assert backend.endswith("RedisCache") is bool(settings.THROTTLE_CACHE_URL)


def test_a_token_over_its_rate_gets_429(api, manager, issue_token, throttle_rates):
    throttle_rates(token="3/minute", user="100/minute")
    _bearer(api, issue_token(manager))
    assert [api.get("/api/projects/").status_code for _ in range(3)] == [200] * 3
    response = api.get("/api/projects/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    # Another token of the same user has a budget of its own.
    _bearer(api, issue_token(manager, name="Second"))
    assert api.get("/api/projects/").status_code == 200


def test_a_user_over_their_rate_gets_429_whichever_way_they_come(
    api, manager, issue_token, throttle_rates
):
    throttle_rates(token="100/minute", user="4/minute")
    first, second = issue_token(manager), issue_token(manager, name="Second")
    statuses = []
    for plaintext in (first, second, first, second):
        statuses.append(_bearer(api, plaintext).get("/api/projects/").status_code)
    assert statuses == [200] * 4
    assert _bearer(api, second).get("/api/projects/").status_code == 429
    session = APIClient()
    session.force_login(manager)
    assert session.get("/api/projects/").status_code == 429
    other = APIClient()
    other.force_login(UserFactory())
    assert other.get("/api/projects/").status_code == 200


def test_an_empty_rate_is_no_limit(api, manager, issue_token, throttle_rates):
    throttle_rates(token=None, user=None)
    _bearer(api, issue_token(manager))
    assert {api.get("/api/projects/").status_code for _ in range(5)} == {200}


def test_the_default_rates_come_from_the_settings():
    assert AccessTokenRateThrottle().rate == "3000/hour"
    assert UserRateThrottle().rate == "6000/hour"


# The browser's session ------------------------------------------------------------------------


def test_a_session_write_still_needs_the_csrf_token(project, manager, issue_token):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(manager)
    response = browser.post(_costs_url(project), COST, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not CostEntry.objects.exists()

    # The token in a header, which no other site can make a browser send, needs none.
    tool = APIClient(enforce_csrf_checks=True)
    _bearer(tool, issue_token(manager, scope=Scope.READ_WRITE))
    assert tool.post(_costs_url(project), COST, format="json").status_code == 201


# The schema -----------------------------------------------------------------------------------


def test_the_schema_documents_the_bearer_scheme(api, manager, issue_token):
    _bearer(api, issue_token(manager))
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    scheme = schema["components"]["securitySchemes"]["accessToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    operation = schema["paths"]["/api/projects/"]["get"]
    assert {"accessToken": []} in operation["security"]
