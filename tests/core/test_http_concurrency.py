"""core.http_concurrency on the API: ETag on reads and writes, If-Match required on changes
(428 missing, 412 stale with what changed, `*`), Idempotency-Key on creates (a retry creates
once, another body is a 422, keys are per user, expire, and two concurrent retries create
once), and the schema documenting all of it."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from core.http_concurrency import etag_for
from core.models import IdempotencyKey
from core.tasks import purge_expired_idempotency_keys
from projects.models import CostEntry, StatusReport
from risks.models import Risk
from tests.factories import ProjectFactory, RiskFactory, UserFactory

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


@pytest.fixture
def risk(project):
    return RiskFactory(portfolio=project.portfolio, project=project, title="Supplier late")


def _risk_url(risk):
    return f"/api/risks/{risk.pk}/"


def _costs_url(project):
    return f"/api/projects/{project.pk}/cost-entries/"


# ETag -----------------------------------------------------------------------------------------


def test_a_detail_read_carries_a_strong_etag_of_id_and_version(api, risk, manager):
    api.force_login(manager)
    response = api.get(_risk_url(risk))
    assert response.status_code == 200
    assert response["ETag"] == f'"risk-{risk.pk}-v1"' == etag_for(risk)
    assert not api.get("/api/risks/").has_header("ETag")  # a list has no single version


def test_a_write_answers_with_the_new_etag(api, risk, manager):
    api.force_login(manager)
    etag = api.get(_risk_url(risk))["ETag"]
    response = api.patch(_risk_url(risk), {"probability": 5}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 2
    assert response["ETag"] == f'"risk-{risk.pk}-v2"'
    risk.refresh_from_db()
    assert (risk.probability, risk.version) == (5, 2)


# If-Match -------------------------------------------------------------------------------------


def test_a_write_without_if_match_is_428_and_saves_nothing(api, risk, manager):
    api.force_login(manager)
    response = api.patch(_risk_url(risk), {"probability": 5}, format="json")
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]
    risk.refresh_from_db()
    assert (risk.probability, risk.version) == (3, 1)


def test_a_stale_if_match_is_412_with_the_current_version_and_what_changed(api, risk, manager):
    api.force_login(manager)
    stale = api.get(_risk_url(risk))["ETag"]
    assert api.patch(
        _risk_url(risk), {"title": "Supplier very late"}, format="json", HTTP_IF_MATCH=stale
    )
    response = api.patch(_risk_url(risk), {"probability": 1}, format="json", HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    body = response.json()
    assert body["current_version"] == 2
    assert body["etag"] == response["ETag"] == f'"risk-{risk.pk}-v2"'
    assert [change["field"] for change in body["changes"]] == ["title"]
    assert body["changes"][0]["after"] == "Supplier very late"
    risk.refresh_from_db()
    assert (risk.probability, risk.title, risk.version) == (3, "Supplier very late", 2)


@pytest.mark.parametrize(
    "if_match",
    [
        'W/"risk-{pk}-v1"',  # a weak tag never matches (strong comparison)
        '"risk-{pk}-v9"',
        '"project-{pk}-v1"',  # another kind of object's tag
        "risk-{pk}-v1",  # not a quoted entity tag
    ],
)
def test_an_if_match_naming_no_current_version_is_412(api, risk, manager, if_match):
    api.force_login(manager)
    response = api.patch(
        _risk_url(risk),
        {"probability": 1},
        format="json",
        HTTP_IF_MATCH=if_match.format(pk=risk.pk),
    )
    assert response.status_code == 412
    assert Risk.objects.get().probability == 3


def test_if_match_lists_and_star_match_the_current_version(api, risk, manager):
    api.force_login(manager)
    listed = api.patch(
        _risk_url(risk),
        {"probability": 4},
        format="json",
        HTTP_IF_MATCH=f'"risk-{risk.pk}-v7", "risk-{risk.pk}-v1"',
    )
    assert listed.status_code == 200
    star = api.patch(_risk_url(risk), {"probability": 5}, format="json", HTTP_IF_MATCH="*")
    assert star.status_code == 200
    assert star.json()["version"] == 3


def test_a_reader_is_told_403_before_any_precondition(api, risk, portfolio, member_of):
    api.force_login(member_of(portfolio, "viewer"))
    assert api.patch(_risk_url(risk), {"probability": 5}, format="json").status_code == 403


def test_a_race_after_the_check_is_a_412_too(api, risk, manager, monkeypatch):
    """Someone saves between the If-Match check and the service's conditional UPDATE."""
    from risks import services

    real_update = services.risk_update

    def update_after_someone_else(**kwargs):
        Risk.objects.filter(pk=risk.pk).update(version=2, title="Theirs")
        return real_update(**kwargs)

    monkeypatch.setattr(services, "risk_update", update_after_someone_else)
    api.force_login(manager)
    response = api.patch(
        _risk_url(risk), {"probability": 5}, format="json", HTTP_IF_MATCH=etag_for(risk)
    )
    assert response.status_code == 412
    assert response.json()["current_version"] == 2
    assert Risk.objects.get().probability == 3


def test_the_body_version_upsert_keeps_its_409_and_answers_with_an_etag(api, project, manager):
    api.force_login(manager)
    url = f"/api/projects/{project.pk}/status-reports/"
    period = timezone.localdate().isoformat()
    created = api.post(url, {"period": period, "summary": "First."}, format="json")
    report = StatusReport.objects.get()
    assert created["ETag"] == f'"statusreport-{report.pk}-v1"'
    api.post(url, {"period": period, "version": 1, "summary": "Second."}, format="json")
    stale = api.post(url, {"period": period, "version": 1, "summary": "Late."}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    detail = api.get(f"{url}{report.pk}/")
    assert detail.status_code == 200
    assert detail["ETag"] == f'"statusreport-{report.pk}-v2"'
    other = ProjectFactory(portfolio=project.portfolio)
    assert api.get(f"/api/projects/{other.pk}/status-reports/{report.pk}/").status_code == 404


# Idempotency-Key ------------------------------------------------------------------------------


def test_a_retried_create_with_the_same_key_creates_once(api, project, manager):
    api.force_login(manager)
    first = api.post(_costs_url(project), COST, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post(_costs_url(project), COST, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert CostEntry.objects.count() == 1
    other_key = api.post(_costs_url(project), COST, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert other_key.status_code == 201
    assert CostEntry.objects.count() == 2


def test_a_replayed_create_of_a_versioned_object_carries_its_etag(api, project, manager):
    api.force_login(manager)
    data = {"project": project.pk, "title": "Vendor", "probability": 2, "impact": 2}
    first = api.post("/api/risks/", data, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    again = api.post("/api/risks/", data, format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert first.status_code == again.status_code == 201, first.json()
    assert first["ETag"] == again["ETag"] == f'"risk-{first.json()["id"]}-v1"'
    assert Risk.objects.count() == 1


def test_without_a_key_every_post_creates(api, project, manager):
    api.force_login(manager)
    api.post(_costs_url(project), COST, format="json")
    api.post(_costs_url(project), COST, format="json")
    assert CostEntry.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


def test_the_same_key_with_another_body_is_422_and_creates_nothing(api, project, manager):
    api.force_login(manager)
    api.post(_costs_url(project), COST, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    response = api.post(
        _costs_url(project),
        {**COST, "amount": "999.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert response.status_code == 422
    body = response.json()
    assert "different body" in body["detail"]
    assert body["idempotency_key"] == "k-1"
    assert body["first_used_for"] == f"POST {_costs_url(project)}"
    assert CostEntry.objects.count() == 1


def test_the_same_key_on_another_endpoint_is_422(api, project, manager, portfolio):
    other = ProjectFactory(portfolio=portfolio, manager=manager)
    api.force_login(manager)
    api.post(_costs_url(project), COST, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    response = api.post(_costs_url(other), COST, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 422
    assert "another endpoint" in response.json()["detail"]
    assert CostEntry.objects.count() == 1


def test_two_users_with_the_same_key_are_independent(api, project, manager, portfolio, member_of):
    pmo = member_of(portfolio, "pmo")
    api.force_login(manager)
    mine = api.post(_costs_url(project), COST, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    api.force_login(pmo)
    theirs = api.post(_costs_url(project), COST, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert CostEntry.objects.count() == 2


def test_an_error_is_not_remembered_so_a_corrected_retry_creates(api, project, manager):
    api.force_login(manager)
    bad = api.post(
        _costs_url(project), {**COST, "amount": "-1"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()
    good = api.post(_costs_url(project), COST, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert good.status_code == 201
    assert CostEntry.objects.count() == 1


def test_a_refused_create_is_not_remembered(api, project, portfolio, member_of):
    api.force_login(member_of(portfolio, "executive"))
    response = api.post(_costs_url(project), COST, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 403
    assert not IdempotencyKey.objects.exists()
    assert not CostEntry.objects.exists()


@pytest.mark.parametrize("key", ["", " leading-space", "x" * 256, "naïve"])
def test_a_malformed_key_is_400(api, project, manager, key):
    api.force_login(manager)
    response = api.post(_costs_url(project), COST, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert not CostEntry.objects.exists()


def test_an_expired_key_creates_again_and_the_purge_deletes_expired_keys(
    api, project, manager, settings
):
    api.force_login(manager)
    api.post(_costs_url(project), COST, format="json", HTTP_IDEMPOTENCY_KEY="k")
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    again = api.post(_costs_url(project), COST, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert again.status_code == 201
    assert not again.has_header("Idempotent-Replayed")
    assert CostEntry.objects.count() == 2
    record = IdempotencyKey.objects.get()
    hours = settings.SLATE_IDEMPOTENCY_KEY_HOURS
    assert record.expires_at > timezone.now() + timedelta(hours=hours) - timedelta(minutes=5)

    assert purge_expired_idempotency_keys() == 0
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert purge_expired_idempotency_keys() == 1
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_retries_create_once(portfolio, manager):
    project = ProjectFactory(portfolio=portfolio, manager=manager)
    start = threading.Barrier(2)
    responses = []

    def post():
        client = APIClient()
        client.force_authenticate(manager)
        start.wait()
        try:
            responses.append(
                client.post(_costs_url(project), COST, format="json", HTTP_IDEMPOTENCY_KEY="k")
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [response.status_code for response in responses] == [201, 201]
    assert responses[0].json() == responses[1].json()
    assert CostEntry.objects.count() == 1
    assert CostEntry.objects.get().amount == Decimal("100.00")


# The schema -----------------------------------------------------------------------------------


def _schema(api, user):
    api.force_login(user)
    return api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def test_the_schema_documents_the_headers_and_answers(api, manager):
    paths = _schema(api, manager)["paths"]

    patch = paths["/api/risks/{id}/"]["patch"]
    headers = {p["name"]: p for p in patch["parameters"] if p["in"] == "header"}
    assert headers["If-Match"]["required"] is True
    assert {"200", "412", "428"} <= set(patch["responses"])
    assert "ETag" in patch["responses"]["200"]["headers"]
    assert {"412", "428"} <= set(paths["/api/risks/{id}/escalate/"]["post"]["responses"])

    for path in ("/api/risks/{id}/", "/api/projects/{project_pk}/status-reports/{id}/"):
        read = paths[path]["get"]
        assert "ETag" in read["responses"]["200"]["headers"], path
        assert "412" not in read["responses"], path

    for path in (
        "/api/risks/",
        "/api/projects/{project_pk}/cost-entries/",
        "/api/projects/{project_pk}/status-reports/",
    ):
        create = paths[path]["post"]
        names = {p["name"] for p in create["parameters"] if p["in"] == "header"}
        assert "Idempotency-Key" in names, path
        assert "422" in create["responses"], path
        assert "If-Match" not in names, path
        assert "428" not in create["responses"], path
