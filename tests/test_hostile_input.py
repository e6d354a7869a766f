"""Hostile input everywhere a value enters, generated from the URLconf, the forms the views
render and the API's writable serializers, on the demo data (the crawl's `SAMPLES` give one
real id per URL pattern).

- Every URL pattern is fetched with each hostile value in every query parameter a view reads
  (`QUERY_PARAMS`, all at once) and, one at a time, in each of its `<str:…>` URL parts.
- Every form a page renders is posted, as the PMO, with each hostile value in each field
  (the other fields keep what the page shows), and so is every writable API serializer.

Nothing may answer 5xx. A value that cannot be valid (an out-of-window date or month, a NUL,
a number that is not a finite amount) must be refused: a 4xx or the form re-rendered with an
error, and no row written in any table. Each case runs in a savepoint that is rolled back, so
one accepted value cannot change what the next case sees."""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import quote, urlencode, urljoin

import pytest
from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.forms.formsets import BaseFormSet
from django.test import Client
from django.test.utils import ContextList
from django.urls import NoReverseMatch, resolve, reverse
from django.utils import timezone
from rest_framework import serializers

from portfolio.api import serializers as portfolio_api
from portfolio.models import Portfolio
from projects.models import Project
from reporting.api import serializers as reporting_api
from reporting.models import PortfolioReview
from resources.selectors import role_capacity_grid
from tests.test_crawl import SAMPLES, World, _first_per_portfolio

DATES = ("0001-01-01", "9999-12-31")
MONTHS = ("0001-01", "9999-12")
NUMBERS = ("NaN", "Infinity", "1e309", str(2**63))
HOSTILE = (
    *DATES,
    *MONTHS,
    "nul\x00byte",
    "x" * 10_000,
    *NUMBERS,
    "-0",
    "\u202eevil\u202c \u05e9\u05dc\u05d5\u05dd 🚀🔥",
)
QUERY_PARAMS = (
    *("as_of", "from", "month", "months", "page", "sort", "status", "level", "program"),
    *("stage", "budget", "health", "flag", "q", "role", "skill", "category", "s"),
)
# Values no field of these kinds may accept.
NEVER_VALID = {
    forms.DateField: {*DATES, *MONTHS, "nul\x00byte", *NUMBERS, "-0"},
    forms.DecimalField: {*DATES, *MONTHS, "nul\x00byte", *NUMBERS},
    forms.IntegerField: {*DATES, *MONTHS, "nul\x00byte", *NUMBERS},
    forms.CharField: {"nul\x00byte"},
}
USER = "pmo"
STR_PART = re.compile(r"<str:(\w+)>")


@dataclass
class Tally:
    cases: int = 0
    statuses: Counter = field(default_factory=Counter)
    refused: int = 0  # a 4xx or a re-rendered form with an error
    failures: list[str] = field(default_factory=list)

    def record(self, label: str, response, must_refuse: bool, rows_changed: list[str]):
        self.cases += 1
        self.statuses[response.status_code] += 1
        status = response.status_code
        if status >= 500:
            self.failures.append(f"{label}: {status}")
            return
        refused = 400 <= status < 500 or (status == 200 and _shows_an_error(response))
        self.refused += refused
        if must_refuse and not refused:
            self.failures.append(f"{label}: {status}, the invalid value was accepted")
        if must_refuse and rows_changed:
            self.failures.append(f"{label}: rows written in {rows_changed}")


def _shows_an_error(response) -> bool:
    if response.get("Content-Type", "").startswith("application/json"):
        return False
    return any(form.errors for form in _forms_in(response))


def _forms_in(response) -> list[forms.BaseForm]:
    context = response.context
    if context is None:
        return []
    found: list[forms.BaseForm] = []
    for layer in context if isinstance(context, ContextList) else [context]:
        for scope in layer.dicts:
            for value in scope.values():
                if isinstance(value, BaseFormSet):
                    candidates = list(value)
                elif isinstance(value, forms.BaseForm):
                    candidates = [value]
                else:
                    continue
                found += [form for form in candidates if all(form is not f for f in found)]
    return found


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for app in ("portfolio", "projects", "resources", "risks", "reporting", "access_tokens")
        for model in apps.get_app_config(app).get_models()
    }


def _in_savepoint(call):
    """Run `call()` and report the tables whose row count changed; then undo everything."""
    with transaction.atomic():
        before = _row_counts()
        response = call()
        after = _row_counts()
        transaction.set_rollback(True)
    return response, sorted(label for label in before if before[label] != after[label])


def _never_valid(form_field, value: str) -> bool:
    for kind, values in NEVER_VALID.items():
        if isinstance(form_field, kind) and value in values:
            return True
    return False


def _field_value(bound):
    value = bound.value()
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, date):
        return value.strftime("%Y-%m") if "month" in bound.name else value.isoformat()
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return "" if value is None else str(value)


def _baseline(form: forms.BaseForm) -> dict:
    data = {}
    for bound in form:
        value = _field_value(bound)
        if value is not None:
            data[bound.html_name] = value
    return data


POST_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ACTION = re.compile(r'action="([^"]*)"')


def _post_action(url: str, body: str, form: forms.BaseForm) -> str | None:
    """Where the page posts `form` (None for a GET form: the query strings cover those)."""
    names = [bound.html_name for bound in form if not bound.is_hidden]
    for attributes, inner in POST_FORM.findall(body):
        if 'method="post"' not in attributes.lower():
            continue
        if names and any(f'name="{name}"' in inner for name in names):
            action = ACTION.search(attributes)
            return urljoin(url, action[1].replace("&amp;", "&")) if action and action[1] else url
    return None


# --- The cases ----------------------------------------------------------------------------


def _world() -> World:
    today = timezone.localdate()
    grid = role_capacity_grid(first_month=today.replace(day=1), month_count=12)
    return World(
        portfolios=list(Portfolio.objects.order_by("code")[:1]),
        projects=_first_per_portfolio(Project.objects.order_by("pk"))[:1],
        reviews=list(PortfolioReview.objects.order_by("pk")[:1]),
        extra={"conflicts": [(row.key, f"{month:%Y-%m}") for row, month, _ in grid.conflicts]},
    )


def _api_urls(world: World) -> list[str]:
    project, portfolio = world.projects[0], world.portfolios[0]
    return [
        reverse("api:risk-list"),
        reverse("api:portfolio-list"),
        reverse("api:portfolio-detail", args=[portfolio.code]),
        reverse("api:project-list"),
        reverse("api:project-detail", args=[project.pk]),
        reverse("api:project-cost-entries", args=[project.pk]),
        reverse("api:project-status-reports", args=[project.pk]),
    ]


def _str_part_variants(url: str) -> list[tuple[str, str]]:
    """The URL with each hostile value in each of its `<str:…>` parts."""
    path, _, query = url.partition("?")
    match = resolve(path)
    suffix = f"?{query}" if query else ""
    variants = []
    for part in STR_PART.findall(match.route):
        for value in HOSTILE:
            try:
                hostile = reverse(match.view_name, kwargs={**match.kwargs, part: quote(value)})
            except NoReverseMatch:
                continue
            variants.append((f"{match.view_name} <{part}>={value[:20]!r}", hostile + suffix))
    return variants


# The API writes whose bodies this test builds; every other API operation's bodies are fuzzed
# by schemathesis with all its checks (tests/test_api_schemathesis.py).
API_WRITES = ("CostEntry", "StatusReport")


def _writable_serializers() -> dict[type, type[serializers.Serializer]]:
    """Model → the serializer the API writes it with (one with writable fields), for the
    models of `API_WRITES`."""
    found = {}
    for module in (portfolio_api, reporting_api):
        for candidate in vars(module).values():
            if not (
                isinstance(candidate, type) and issubclass(candidate, serializers.ModelSerializer)
            ):
                continue
            writable = [name for name, f in candidate().fields.items() if not f.read_only]
            if (
                writable
                and candidate is not serializers.ModelSerializer
                and candidate.Meta.model.__name__ in API_WRITES
            ):
                found[candidate.Meta.model] = candidate
    return found


def _api_baseline(serializer_class, model) -> dict:
    """A payload the API accepts for `model`, to which one hostile field is then applied."""
    today = timezone.localdate()
    if model.__name__ == "CostEntry":
        return {"date": today.isoformat(), "amount": "10.00", "category": "labour"}
    return {"period": today.isoformat(), "summary": "On track", "forecast_cost": "1000.00"}


@pytest.fixture(autouse=True)
def quiet_request_log():
    """Thousands of expected 4xx (and a traceback per 5xx) would drown the report."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


@pytest.mark.django_db
def test_hostile_input_never_answers_5xx_nor_stores_an_invalid_value():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    user = get_user_model().objects.get(username=USER)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    world = _world()
    tally = Tally()

    urls = [samples[0].url for make in SAMPLES.values() if (samples := make(world))]
    urls += _api_urls(world)
    post_forms: list[tuple[str, forms.BaseForm]] = []
    seen_forms: set = set()
    for url in urls:
        response = client.get(url)
        if response.status_code >= 500:
            tally.failures.append(f"GET {url}: {response.status_code}")
        if response.status_code == 200:
            body = response.content.decode()
            for form in _forms_in(response):
                action = _post_action(url, body, form)
                if action and (action, type(form)) not in seen_forms:
                    seen_forms.add((action, type(form)))
                    post_forms.append((action, form))
        for value in HOSTILE:
            path, _, kept = url.partition("?")
            query = urlencode(dict.fromkeys(QUERY_PARAMS, value))
            hostile = f"{path}?{query}" + (f"&{kept}" if kept else "")
            response, _rows = _in_savepoint(lambda hostile=hostile: client.get(hostile))
            tally.record(f"GET {url}?…={value[:20]!r}", response, False, [])
        for label, variant in _str_part_variants(url):
            response, _rows = _in_savepoint(lambda variant=variant: client.get(variant))
            tally.record(f"GET {label}", response, False, [])

    # Forms: each field of each form a page shows, one hostile value at a time. A GET filter
    # form (no POST on its page) was covered by the query strings above.
    for url, form in post_forms:
        baseline = {**_baseline(form), "action": "save"}
        for name, form_field in form.fields.items():
            if isinstance(form_field.widget, forms.HiddenInput) or form_field.disabled:
                continue
            for value in HOSTILE:
                data = {**baseline, form.add_prefix(name): value}
                response, rows = _in_savepoint(lambda url=url, data=data: client.post(url, data))
                label = f"POST {url} {type(form).__name__}.{name}={value[:20]!r}"
                must_refuse = _never_valid(form_field, value)
                tally.record(label, response, must_refuse, rows)

    # The API's writable serializers, at the endpoint that creates their model.
    project = world.projects[0]
    endpoints = {
        "CostEntry": reverse("api:project-cost-entries", args=[project.pk]),
        "StatusReport": reverse("api:project-status-reports", args=[project.pk]),
    }
    for model, serializer_class in _writable_serializers().items():
        url = endpoints[model.__name__]
        baseline = _api_baseline(serializer_class, model)
        for name, api_field in serializer_class().fields.items():
            if api_field.read_only:
                continue
            for value in HOSTILE:
                body = json.dumps({**baseline, name: value})
                response, rows = _in_savepoint(
                    lambda url=url, body=body: client.post(
                        url, body, content_type="application/json"
                    )
                )
                kind = type(api_field)
                must_refuse = (
                    value == "nul\x00byte"
                    or (
                        value in NEVER_VALID[forms.DateField]
                        and issubclass(kind, serializers.DateField)
                    )
                    or (
                        value in NEVER_VALID[forms.DecimalField]
                        and issubclass(kind, serializers.DecimalField | serializers.IntegerField)
                    )
                )
                tally.record(
                    f"API {model.__name__}.{name}={value[:20]!r}", response, must_refuse, rows
                )

    print(
        f"hostile input: {tally.cases} cases, "
        f"{tally.refused} refused (4xx or form error), "
        f"5xx={sum(n for status, n in tally.statuses.items() if status >= 500)}, "
        f"statuses {dict(sorted(tally.statuses.items()))}"
    )
    assert tally.failures == [], "\n".join(tally.failures[:80])
