"""Hostile values in every filter, `ordering` and `page` of the API's lists (the ones
tests/test_hostile_input.py does not reach): never a 5xx; a NUL, which no text, number or date
filter can take, is a 400, not silently ignored (a yes/no filter ignores what is neither, as
django-filter's do)."""

import django_filters
import pytest
from django.urls import get_resolver
from rest_framework.test import APIClient

from tests.factories import MembershipFactory, ProjectFactory
from tests.test_hostile_input import HOSTILE

pytestmark = pytest.mark.django_db

LISTS = (
    "/api/people/",
    "/api/roles/",
    "/api/leave/",
    "/api/allocations/",
    "/api/conflict-resolutions/",
    "/api/objectives/",
    "/api/contributions/",
    "/api/scoring-criteria/",
    "/api/scores/",
    "/api/gate-criteria/",
    "/api/candidates/",
    "/api/gate-decisions/",
    "/api/scenarios/",
    "/api/reviews/",
    "/api/digest-subscriptions/",
    "/api/webhook-subscriptions/",
)


def _filters(url: str) -> dict[str, object]:
    view = get_resolver().resolve(url).func.cls
    return {**view.filterset_class.base_filters, "ordering": None, "page": None}


@pytest.mark.parametrize("url", LISTS)
def test_hostile_filter_values_never_answer_5xx(url, portfolio):
    ProjectFactory(portfolio=portfolio)
    api = APIClient()
    api.force_login(MembershipFactory(portfolio=portfolio, role="pmo").user)
    for name, filter_ in _filters(url).items():
        strict = filter_ is not None and not isinstance(filter_, django_filters.BooleanFilter)
        for value in HOSTILE:
            response = api.get(url, {name: value})
            assert response.status_code < 500, (name, value[:20], response.status_code)
            if value == "nul\x00byte" and strict:
                assert response.status_code == 400, (name, response.status_code)
