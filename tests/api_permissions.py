"""The API's side of the permission matrix (tests/permissions.py is the pages'): every route
is read and written as each role towards a project — its manager, the portfolio's `pmo`,
`portfolio_manager`, `executive`, `viewer` and `resource_manager`, a member of another
portfolio (`outsider`) and nobody (`anonymous`) — and whoever is refused changes nothing.

An API refusal is a status, not a redirect: anonymous 401 (the Bearer challenge), a reader 403,
an outsider 404 (the project does not exist for them). Tokens: `bearer_client(user, scope)`
gives a client with a personal access token; `expire` / `revoke` spoil it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from access_tokens import services as token_services
from access_tokens.models import AccessToken, Scope
from tests.permissions import EDITORS, READERS, ROLES, user_in_role

API_REFUSED_STATUS = {"outsider": 404, "anonymous": 401, **dict.fromkeys(READERS, 403)}
# Everyone holding a role towards the project (its manager sees its portfolio as a lead).
MEMBERS = (*EDITORS, *READERS)
# The portfolio's members proper: a project lead without a membership sees only part of it.
PORTFOLIO_MEMBERS = ("pmo", "portfolio_manager", "executive", "viewer", "resource_manager")
# Who manages the portfolio (strategy, scenarios, subscriptions of others, webhooks).
MANAGERS = ("pmo", "portfolio_manager")
# Who keeps people and decides allocations (core.access.RESOURCE_ROLES).
RESOURCE_KEEPERS = ("pmo", "resource_manager")
# Who takes gate decisions (core.access.GATE_ROLES).
GATE_DECIDERS = ("pmo", "portfolio_manager", "executive")

__all__ = [
    "API_REFUSED_STATUS",
    "EDITORS",
    "GATE_DECIDERS",
    "MANAGERS",
    "MEMBERS",
    "PORTFOLIO_MEMBERS",
    "READERS",
    "RESOURCE_KEEPERS",
    "ROLES",
]


def client_as(role: str, project) -> APIClient:
    client = APIClient()
    user = user_in_role(role, project)
    if user is not None:
        client.force_login(user)
    return client


def bearer_client(user, scope=Scope.READ_WRITE) -> APIClient:
    created = token_services.access_token_create(
        user=user,
        name=f"Script {AccessToken.objects.count() + 1}",
        scope=scope,
        expires_on=timezone.localdate() + timedelta(days=30),
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {created.plaintext}")
    return client


def expire_tokens(user) -> None:
    now = timezone.now()
    AccessToken.objects.filter(user=user).update(
        created_at=now - timedelta(days=30), expires_at=now - timedelta(seconds=1)
    )


def revoke_tokens(user) -> None:
    for token in AccessToken.objects.filter(user=user):
        token_services.access_token_revoke(token=token, by=user)


def send(client: APIClient, method: str, url: str, data=None, headers=None):
    return getattr(client, method)(url, data, format="json", **(headers or {}))


def check_api_read(role: str, *, project, url: str, readers=MEMBERS, refused_status=None):
    """GET `url` as `role`: 200 for `readers`, else the role's refusal."""
    response = client_as(role, project).get(url)
    if role in readers:
        assert response.status_code == 200, f"{role}: {response.status_code}"
    else:
        expected = {**API_REFUSED_STATUS, **(refused_status or {})}.get(role, 403)
        assert response.status_code == expected, f"{role}: {response.status_code}"
    return response


def check_api_write(
    role: str,
    *,
    project,
    method: str,
    url: str,
    snapshot: Callable[[], object],
    data=None,
    headers: dict | None = None,
    allowed: tuple[str, ...] = EDITORS,
    refused_status: dict[str, int] | None = None,
):
    """Send `data` to `url` as `role`. The `allowed` roles get a 2xx and the snapshot
    changes; everyone else gets their refusal and the snapshot does not change."""
    assert project.manager_id, "the permission matrix needs a project with a manager"
    client = client_as(role, project)
    before = snapshot()
    response = send(client, method, url, data, headers)
    after = snapshot()
    if role in allowed:
        assert 200 <= response.status_code < 300, (
            f"{role} should be allowed: {response.status_code} {response.content[:300]!r}"
        )
        assert after != before, f"{role} was allowed, but nothing changed"
    else:
        expected = {**API_REFUSED_STATUS, **(refused_status or {})}.get(role, 403)
        assert response.status_code == expected, (
            f"{role}: {response.status_code} {response.content[:300]!r}"
        )
        assert after == before, f"{role} was refused, but the data changed"
    return response
