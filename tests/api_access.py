"""The role × endpoint matrix for the API, the counterpart of tests/permissions.py for the
pages: a request as each role towards a project (its manager; its portfolio's pmo,
portfolio_manager, executive, viewer and resource_manager members; a portfolio manager of
another portfolio; nobody), the allowed roles get their success status and the data changes,
everyone else gets their refusal and nothing changes.

The API's refusals: anonymous 401 (the Bearer scheme is named), an object the user may not
see 404, a right the user lacks 403. A create that names a parent the user may not see in its
body (a project, a portfolio) answers 400 on that field (docs/decisions.md, "i16-api-more"):
pass `refused_status={"outsider": 400}`.

    @each_role
    def test_role_create(role, project):
        check_api_access(role, project=project, method="post", url="/api/roles/",
                         data={...}, allowed=RESOURCE_KEEPERS, snapshot=rows(Role))
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from tests.permissions import ROLES, user_in_role

each_role = pytest.mark.parametrize("role", ROLES)

EDITORS = ("manager", "pmo", "portfolio_manager")
MANAGERS = ("pmo", "portfolio_manager")
RESOURCE_KEEPERS = ("pmo", "resource_manager")
GATE_DECIDERS = ("pmo", "portfolio_manager", "executive")
MEMBERS = ("pmo", "portfolio_manager", "executive", "viewer", "resource_manager")
# Everyone holding a role towards the project sees its portfolio (its manager as a lead).
SEERS = ("manager", *MEMBERS)
API_REFUSED = {"anonymous": 401, "outsider": 404}


def api_as(role: str, project) -> tuple[APIClient, object]:
    """An API client logged in as `role` towards `project` (no one for anonymous)."""
    client = APIClient()
    user = user_in_role(role, project)
    if user is not None:
        client.force_login(user)
    return client, user


def check_api_access(
    role: str,
    *,
    project,
    method: str,
    url: str,
    data: dict | None = None,
    allowed: tuple[str, ...],
    snapshot: Callable[[], object] | None = None,
    success: int | None = None,
    refused_status: dict[str, int] | None = None,
    headers: dict[str, str] | None = None,
):
    """Send `data` (JSON, with `headers`) to `url` as `role`; return the response. The
    `allowed` roles get `success` (200 for a read, 201 for a POST, 204 for a DELETE, else 200)
    and, for a write, the snapshot changes; the others get 401 / 404 / 403 (as overridden by
    `refused_status`) and the snapshot does not change."""
    client, _ = api_as(role, project)
    before = snapshot() if snapshot else None
    response = getattr(client, method)(url, data, format="json", headers=headers)
    after = snapshot() if snapshot else None
    if role in allowed:
        expected = success or {"post": 201, "delete": 204}.get(method, 200)
        body = response.content[:500]
        assert response.status_code == expected, f"{role}: {response.status_code} {body}"
        if snapshot and method != "get":
            assert after != before, f"{role} was allowed, but nothing changed"
    else:
        expected = {**API_REFUSED, **(refused_status or {})}.get(role, 403)
        body = response.content[:500]
        assert response.status_code == expected, f"{role}: {response.status_code} {body}"
        if snapshot:
            assert after == before, f"{role} was refused, but the data changed"
    return response
