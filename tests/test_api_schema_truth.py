"""The schema is the truth (core/openapi.py, core/api_input.py, core/errors.py): what
schemathesis found (tests/test_api_schemathesis.py), each pinned by a plain test."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from access_tokens import services as token_services
from access_tokens.models import Scope
from projects.models import ChangeRequest, CostEntry, StatusReport
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

ERROR_CODES = {"401", "403", "406"}


@pytest.fixture
def manager(db):
    return UserFactory(username="manager")


@pytest.fixture
def project(portfolio, manager):
    return ProjectFactory(portfolio=portfolio, manager=manager)


@pytest.fixture
def api(manager):
    client = APIClient()
    token = token_services.access_token_create(
        user=manager,
        name="test",
        scope=Scope.READ_WRITE,
        expires_on=timezone.localdate() + timedelta(days=7),
    )
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.plaintext}")
    return client


@pytest.fixture
def schema(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


# The schema ---------------------------------------------------------------------------------


def test_every_operation_documents_the_errors_drf_answers(schema):
    for path, method, operation in _operations(schema):
        codes = set(operation["responses"])
        assert ERROR_CODES | {"429"} <= codes, (method, path, codes)
        has_path_parameter = "{" in path
        paginated = method == "get" and any(
            parameter["name"] == "page" for parameter in operation.get("parameters", [])
        )
        if has_path_parameter or paginated:
            assert "404" in codes, (method, path)
        if "requestBody" in operation:
            assert {"400", "415"} <= codes, (method, path)
            assert set(operation["requestBody"]["content"]) == {"application/json"}


def test_error_responses_are_shared_components_with_their_headers(schema):
    responses = schema["components"]["responses"]
    assert responses["Unauthorized"]["headers"]["WWW-Authenticate"]
    assert responses["TooManyRequests"]["headers"]["Retry-After"]
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["detail"]
    operation = schema["paths"]["/api/projects/{id}/"]["get"]
    assert operation["responses"]["404"] == {"$ref": "#/components/responses/NotFound"}
    assert operation["responses"]["200"]["content"]  # the view's own response is kept


def test_no_nullable_keyword_under_openapi_3_1(schema):
    assert '"nullable"' not in str(schema).replace("'", '"')
    page = schema["components"]["schemas"]["PaginatedProjectList"]["properties"]
    assert page["next"]["type"] == ["string", "null"]


def test_a_decimal_string_needs_a_digit(schema):
    amount = schema["components"]["schemas"]["CostEntry"]["properties"]["amount"]
    pattern = re.compile(amount["pattern"])
    assert pattern.match("12.50") and pattern.match("-3")
    assert not pattern.match("") and not pattern.match("-")


def test_filter_parameters_carry_the_bounds_the_filter_checks(schema):
    parameters = {
        parameter["name"]: parameter["schema"]
        for parameter in schema["paths"]["/api/projects/"]["get"]["parameters"]
    }
    assert parameters["program"]["maximum"] == int(1e50)
    risk_parameters = {
        parameter["name"]: parameter["schema"]
        for parameter in schema["paths"]["/api/risks/"]["get"]["parameters"]
    }
    assert risk_parameters["program"]["minimum"] == 1


# What the API answers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/api/projects/-1/cost-entries/", "/api/no-such-thing/", "/api/projects/abc/"]
)
def test_an_api_url_that_matches_nothing_is_a_json_404(api, url):
    response = api.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_a_page_url_that_matches_nothing_is_still_the_html_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_form_body_is_refused_as_unsupported(api, project):
    response = api.post(
        f"/api/projects/{project.pk}/cost-entries/",
        {"date": "2026-03-01", "amount": "10.00", "category": "labour"},
        format="multipart",
    )
    assert response.status_code == 415
    assert not CostEntry.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("description", 0), ("description", 1.5), ("amount", 10), ("amount", 10.25)],
)
def test_a_json_number_for_a_string_field_is_refused(api, project, field, value):
    payload = {"date": "2026-03-01", "amount": "10.00", "category": "labour", field: value}
    response = api.post(f"/api/projects/{project.pk}/cost-entries/", payload)
    assert response.status_code == 400
    assert field in response.json()
    assert not CostEntry.objects.exists()


@pytest.mark.parametrize("value", [0, 1])
def test_a_number_for_a_boolean_is_refused(api, project, value):
    today = timezone.localdate().isoformat()
    response = api.post(
        f"/api/projects/{project.pk}/status-reports/", {"period": today, "submit": value}
    )
    assert response.status_code == 400
    assert "submit" in response.json()
    assert not StatusReport.objects.exists()


def test_strings_of_the_declared_types_are_still_read(api, project):
    response = api.post(
        f"/api/projects/{project.pk}/cost-entries/",
        {"date": "2026-03-01", "amount": "10.25", "category": "labour", "description": "x"},
    )
    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == "10.25"


@pytest.mark.parametrize("key", ["true", "-1", "1.5", ""])
def test_a_milestone_key_that_is_no_id_is_refused_not_a_500(api, project, key):
    """Schemathesis found a 500: `milestone_dates` keyed by anything but an id."""
    response = api.post(
        f"/api/projects/{project.pk}/change-requests/",
        {"reason": "Later", "milestone_dates": {key: "2026-05-01"}},
    )
    assert response.status_code == 400, response.content
    assert "milestone_dates" in response.json()
    assert not ChangeRequest.objects.exists()


@pytest.mark.parametrize("query", ["page=", "page=1&page=2", "page=abc", "page=0"])
def test_a_page_that_is_no_single_number_is_a_404(api, project, query):
    response = api.get(f"/api/projects/{project.pk}/cost-entries/?{query}")
    assert response.status_code == 404
    assert api.get(f"/api/projects/{project.pk}/cost-entries/?page=1").status_code == 200


# Schemathesis's findings of issue 16's complete API -----------------------------------------


def _parameters(schema, path):
    return {
        parameter["name"]: parameter["schema"]
        for parameter in schema["paths"][path]["get"]["parameters"]
    }


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/allocations/", "months_until"),
        ("/api/conflict-resolutions/", "month"),
        ("/api/leave/", "starts_until"),
        ("/api/reviews/", "period_until"),
    ],
)
def test_an_empty_date_filter_is_refused_not_ignored(api, schema, path, parameter):
    assert _parameters(schema, path)[parameter]["format"] == "date"
    response = api.get(f"{path}?{parameter}=")
    assert response.status_code == 400, response.content
    assert parameter in response.json()
    assert api.get(f"{path}?{parameter}=2026-01-01").status_code == 200


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/candidates/", "is_mandatory"),
        ("/api/objectives/", "active"),
        ("/api/scenarios/", "committed"),
        ("/api/webhook-subscriptions/", "is_active"),
    ],
)
@pytest.mark.parametrize("value", ["null", "", "yes"])
def test_a_boolean_filter_that_is_no_boolean_is_refused(api, schema, path, parameter, value):
    assert _parameters(schema, path)[parameter]["type"] == "boolean"
    response = api.get(f"{path}?{parameter}={value}")
    assert response.status_code == 400, response.content
    assert parameter in response.json()
    for boolean in ("true", "false"):
        assert api.get(f"{path}?{parameter}={boolean}").status_code == 200


def test_a_blank_read_only_model_field_documents_the_blank(schema):
    """A gate decision's assessment link is "" when none was given, a snapshot's health ""
    when the project had no status report."""
    components = schema["components"]["schemas"]
    link = components["Assessment"]["properties"]["evidence_link"]
    assert {"type": "string", "maxLength": 0} in link["oneOf"], link
    for name in ("reported_health", "computed_health"):
        health = components["Snapshot"]["properties"][name]
        assert {"$ref": "#/components/schemas/BlankEnum"} in health["oneOf"], (name, health)


def test_a_delete_a_service_may_refuse_documents_400(schema):
    assert "400" in schema["paths"]["/api/allocations/{id}/"]["delete"]["responses"]


def test_a_subscription_change_documents_its_secret_as_optional(schema):
    operation = schema["paths"]["/api/webhook-subscriptions/{id}/"]["patch"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    answer = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert "secret" in answer["properties"]
    assert "secret" not in answer["required"]


def test_deleting_a_subscription_with_redeliveries_is_no_500(portfolio, member_of):
    """Schemathesis found a 500: the redelivery's `redelivery_of` set to null broke the
    once-per-event constraint before the deliveries went."""
    from webhooks.models import WebhookDelivery, WebhookSubscription

    subscription = WebhookSubscription.objects.create(
        portfolio=portfolio, url="https://hooks.example.com/x", events=[], secret="s" * 32
    )
    original = WebhookDelivery.objects.create(
        subscription=subscription,
        portfolio=portfolio,
        event="gate.decided",
        event_id="25e82f3f-f935-483a-9701-a765333e3618",
        body="{}",
    )
    again = WebhookDelivery.objects.create(
        subscription=subscription,
        portfolio=portfolio,
        event=original.event,
        event_id=original.event_id,
        body="{}",
        redelivery_of=original,
    )
    WebhookDelivery.objects.create(
        subscription=subscription,
        portfolio=portfolio,
        event=original.event,
        event_id=original.event_id,
        body="{}",
        redelivery_of=again,
    )
    api = APIClient()
    api.force_login(member_of(portfolio, "pmo"))
    response = api.delete(f"/api/webhook-subscriptions/{subscription.pk}/")
    assert response.status_code == 204, response.content
    assert not WebhookSubscription.objects.exists()
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("key", ["null%2Cnull", "abc"])
def test_an_action_on_an_id_that_is_no_number_is_a_404(api, key):
    """Schemathesis found a 500: django's get_object_or_404 let the int conversion raise."""
    response = api.post(
        f"/api/allocations/{key}/resolve/",
        {"month": "2026-01-01", "action": "shift", "months": 1},
    )
    assert response.status_code == 404, response.content
