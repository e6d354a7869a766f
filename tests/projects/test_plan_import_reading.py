"""A plan file the worker reads: the page shows its progress (no meta refresh: the page asks
the server and reloads when the state changed), then the preview; it can be imported only
once read; a failed read names what is wrong. Also the real Celery worker (its own JVM)
reading an .mpp, and which uploads go to the worker at all."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from unittest import mock

import jpype
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects.imports import jvm
from projects.imports import services as import_services
from projects.imports.mspdi import is_ms_project_xml, read_mspdi
from projects.imports.plan import PlanFileError, plan_from_json, plan_to_json
from projects.models import Milestone, PlanImport, Project
from tests.celery_support import celery_worker_process, require_redis
from tests.factories import PortfolioFactory
from tests.projects.mpxj_support import require_java
from tests.projects.mspdi_files import billing_plan, project_file


def preview_url(plan_import):
    return reverse("projects:plan-import-preview", args=[plan_import.pk])


@pytest.fixture
def portfolio(db):
    return PortfolioFactory(code="ops", currency="EUR")


@pytest.fixture
def queued(monkeypatch):
    """The ids of the reads queued, none run (as when no worker took them yet)."""
    ids = []
    monkeypatch.setattr(import_services.read_uploaded_plan, "delay", ids.append)
    return ids


@pytest.fixture
def upload(client, django_capture_on_commit_callbacks):
    """upload(url, data): post the form; what the request queues on commit is queued."""

    def post(url, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data)

    return post


# --- Which uploads the worker reads (no JVM needed) -----------------------------------------


def test_only_ms_project_xml_is_read_in_the_request():
    assert is_ms_project_xml(billing_plan())
    assert is_ms_project_xml(b"")  # the XML reader says it is empty
    assert is_ms_project_xml(billing_plan()[:300])  # too broken to tell: the XML reader says
    assert not is_ms_project_xml(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)  # .mpp
    assert not is_ms_project_xml(b"ERMHDR\t8.4\t2015-01-01\n")  # Primavera XER
    pmxml = b'<?xml version="1.0"?><APIBusinessObjects xmlns="http://xmlns.oracle.com/Primavera/P6/V8.4/API/BusinessObjects"/>'
    assert not is_ms_project_xml(pmxml)


def test_xml_with_a_document_type_never_reaches_a_reader():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
        b"<APIBusinessObjects>&a;</APIBusinessObjects>"
    )
    with pytest.raises(PlanFileError) as caught:
        is_ms_project_xml(bomb)
    assert "document type" in caught.value.problems[0]


def test_a_kept_plan_reads_back_equal():
    plan = read_mspdi(billing_plan())
    assert plan_from_json(json.loads(json.dumps(plan_to_json(plan)))) == plan


# --- The page while the worker reads --------------------------------------------------------


@pytest.mark.django_db
def test_an_mpp_upload_shows_progress_then_its_preview(
    client, upload, portfolio, member_of, queued
):
    require_java()
    pmo = member_of(portfolio, "pmo")
    client.force_login(pmo)
    data = project_file("sample.mpp").read_bytes()
    response = upload(
        reverse("projects:plan-import-new", args=[portfolio.code]),
        {"file": SimpleUploadedFile("sample.mpp", data), "code": "SMP"},
    )
    plan_import = PlanImport.objects.get()
    assert response.url == preview_url(plan_import)
    assert (plan_import.state, queued) == ("reading", [plan_import.pk])

    page = client.get(preview_url(plan_import)).content.decode()
    assert 'id="import-status" data-status="reading" data-poll-seconds="2"' in page
    assert "Reading the file" in page
    assert 'http-equiv="refresh"' not in page
    # Importing before the file is read does nothing.
    refused = client.post(preview_url(plan_import), {"fingerprint": "x"})
    assert refused.status_code == 409
    assert not Project.objects.exists()

    assert import_services.plan_import_read(plan_import_id=plan_import.pk) == "ready"

    page = client.get(preview_url(plan_import))
    assert page.templates[0].name == "projects/plan_import_preview.html"
    preview = page.context["preview"]
    assert preview.project.action == "create" and preview.plan.source == "mpp"
    response = client.post(preview_url(plan_import), {"fingerprint": preview.fingerprint})
    project = Project.objects.get(code="SMP")
    # Step 2: the plan's two people, requested by role.
    assert response.url == reverse("resources:plan-allocations", args=[plan_import.pk])
    assert list(project.milestones.values_list("name", flat=True)) == ["Third task"]


@pytest.mark.django_db
def test_a_failed_read_names_the_problem_and_writes_nothing(
    client, upload, portfolio, member_of, queued
):
    require_java()
    pmo = member_of(portfolio, "pmo")
    client.force_login(pmo)
    data = project_file("sample.mpp").read_bytes()
    upload(
        reverse("projects:plan-import-new", args=[portfolio.code]),
        {"file": SimpleUploadedFile("sample.mpp", data[: len(data) // 3]), "code": "SMP"},
    )
    plan_import = PlanImport.objects.get()

    assert import_services.plan_import_read(plan_import_id=plan_import.pk) == "failed"

    page = client.get(preview_url(plan_import)).content.decode()
    assert 'data-status="failed"' in page and "data-poll-seconds" not in page
    assert "sample.mpp cannot be imported; nothing was changed." in page
    assert "damaged or cut short" in page
    assert not Project.objects.exists() and not Milestone.objects.exists()
    # Read twice (a task delivered again): left as it is.
    assert import_services.plan_import_read(plan_import_id=plan_import.pk) == "failed"


@pytest.mark.django_db
def test_only_the_uploader_sees_the_progress(client, upload, portfolio, member_of, queued):
    pmo = member_of(portfolio, "pmo")
    client.force_login(pmo)
    upload(
        reverse("projects:plan-import-new", args=[portfolio.code]),
        {"file": SimpleUploadedFile("plan.xer", b"ERMHDR\t8.4\n"), "code": "X"},
    )
    plan_import = PlanImport.objects.get()
    client.force_login(member_of(portfolio, "pmo"))
    assert client.get(preview_url(plan_import)).status_code == 403
    client.force_login(member_of(PortfolioFactory(), "pmo"))
    assert client.get(preview_url(plan_import)).status_code == 404


@pytest.mark.django_db
def test_who_may_not_upload_queues_nothing(client, upload, portfolio, member_of, queued):
    client.force_login(member_of(portfolio, "executive"))
    response = upload(
        reverse("projects:plan-import-new", args=[portfolio.code]),
        {"file": SimpleUploadedFile("plan.mpp", b"\xd0\xcf\x11\xe0" + b"\0" * 64), "code": "X"},
    )
    assert response.status_code == 403
    assert (PlanImport.objects.count(), queued) == (0, [])


# --- The real worker ------------------------------------------------------------------------


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_reads_an_mpp_in_its_own_jvm(member_of):
    require_redis()
    require_java()
    portfolio = PortfolioFactory(code="wrk")
    pmo = member_of(portfolio, "pmo")
    data = project_file("sample.mpp").read_bytes()
    task = import_services.read_uploaded_plan
    with celery_worker_process() as (_, queue):
        # The service queues with .delay(); this test's worker consumes only its own queue.
        with mock.patch.object(task, "delay", lambda pk: task.apply_async((pk,), queue=queue)):
            plan_import = import_services.plan_import_upload(
                portfolio=portfolio, file_name="sample.mpp", content=data, code="WRK", by=pmo
            )
        deadline = time.monotonic() + 120
        while plan_import.state == "reading" and time.monotonic() < deadline:
            time.sleep(0.5)
            plan_import.refresh_from_db()
    assert (plan_import.state, plan_import.source) == ("ready", "mpp")
    assert len(plan_from_json(plan_import.plan).tasks) > 0


@pytest.mark.django_db
def test_a_read_waiting_long_says_the_worker_may_be_stopped(
    client, upload, portfolio, member_of, queued
):
    client.force_login(member_of(portfolio, "pmo"))
    upload(
        reverse("projects:plan-import-new", args=[portfolio.code]),
        {"file": SimpleUploadedFile("plan.xer", b"ERMHDR\t8.4\n%E\n"), "code": "X"},
    )
    plan_import = PlanImport.objects.get()
    assert (
        "No worker has read the file yet"
        not in client.get(preview_url(plan_import)).content.decode()
    )
    PlanImport.objects.filter(pk=plan_import.pk).update(
        uploaded_at=plan_import.uploaded_at - timedelta(minutes=5)
    )
    page = client.get(preview_url(plan_import)).content.decode()
    assert "No worker has read the file yet" in page
    assert 'data-status="reading"' in page


@pytest.mark.django_db
def test_a_worker_without_java_fails_the_read_with_what_to_do(
    client, upload, portfolio, member_of, queued, monkeypatch
):
    monkeypatch.setattr(jpype, "isJVMStarted", lambda: False)
    monkeypatch.setattr(
        jpype, "getDefaultJVMPath", mock.Mock(side_effect=jpype.JVMNotFoundException)
    )
    client.force_login(member_of(portfolio, "pmo"))
    upload(
        reverse("projects:plan-import-new", args=[portfolio.code]),
        {"file": SimpleUploadedFile("plan.mpp", b"\xd0\xcf\x11\xe0" + b"\0" * 64), "code": "X"},
    )
    plan_import = PlanImport.objects.get()

    assert import_services.plan_import_read(plan_import_id=plan_import.pk) == "failed"

    plan_import.refresh_from_db()
    assert plan_import.problems == [jvm.NO_JAVA]
    assert "needs Java 11 or later" in client.get(preview_url(plan_import)).content.decode()
