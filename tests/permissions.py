"""The one permission check every write view goes through (NetBox's
`ViewTestCases`): the project's manager and its portfolio's `pmo` and `portfolio_manager`
members may write; `executive`, `viewer` and `resource_manager` members get a 403; a member
of another portfolio gets a 404 (the project does not exist for them); anonymous users are
sent to log in. Whoever is refused, nothing in the database changes.

Usage, one test per view:

    @each_role
    def test_milestone_create_permissions(client, role, project):
        check_write_access(client, role, project=project, url=..., data=...,
                           snapshot=rows(Milestone))
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.shortcuts import resolve_url

from tests.factories import MembershipFactory, PortfolioFactory

EDITORS = ("manager", "pmo", "portfolio_manager")
READERS = ("executive", "viewer", "resource_manager")
ROLES = (*EDITORS, *READERS, "outsider", "anonymous")
REFUSED_STATUS = {"outsider": 404, "anonymous": 302, **dict.fromkeys(READERS, 403)}

each_role = pytest.mark.parametrize("role", ROLES)


def user_in_role(role: str, project):
    """A user holding `role` towards `project` (None for anonymous)."""
    if role == "anonymous":
        return None
    if role == "manager":
        return project.manager
    if role == "outsider":
        return MembershipFactory(portfolio=PortfolioFactory(), role="portfolio_manager").user
    return MembershipFactory(portfolio=project.portfolio, role=role).user


def rows(*models) -> Callable[[], list]:
    """A snapshot of every row of `models`, to compare before and after a request."""
    return lambda: [list(model.objects.order_by("pk").values()) for model in models]


def check_write_access(
    client,
    role: str,
    *,
    project,
    url: str,
    data: dict,
    snapshot: Callable[[], object],
    success_url: str | None = None,
    allowed: tuple[str, ...] = EDITORS,
    refused_status: dict[str, int] | None = None,
):
    """POST `data` to `url` as `role`. The `allowed` roles (the project's editors unless the
    view says otherwise) are redirected (to `success_url` if given) and the snapshot changes;
    everyone else gets their refusal (REFUSED_STATUS, 403 for a role not listed there, as
    overridden by `refused_status`) and the snapshot does not change."""
    assert project.manager_id, "the permission matrix needs a project with a manager"
    user = user_in_role(role, project)
    if user is not None:
        client.force_login(user)
    before = snapshot()
    response = client.post(url, data)
    after = snapshot()
    if role in allowed:
        assert response.status_code == 302, f"{role} should be allowed: {response.status_code}"
        if success_url:
            assert response.url == success_url
        assert after != before, f"{role} was allowed, but nothing changed"
    else:
        expected = {**REFUSED_STATUS, **(refused_status or {})}.get(role, 403)
        assert response.status_code == expected, f"{role}: {response.status_code}"
        if role == "anonymous":
            assert response.url.startswith(resolve_url(settings.LOGIN_URL))
        assert after == before, f"{role} was refused, but the data changed"
    return response
