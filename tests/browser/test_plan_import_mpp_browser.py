"""A PMO imports a binary MS Project file (.mpp) in a real browser: the upload page, the
progress while the worker reads it (the page asks the server every 2 s and shows the preview
once the file is read, without a meta refresh), the preview, the import.

With SLATE_SCREENSHOTS=<dir> it saves 16-import-mpp-reading.png and
16-import-mpp-preview.png there."""

import os
from pathlib import Path

import pytest
from django.urls import reverse

from projects.imports import services as import_services
from projects.models import PlanImport, Project
from tests.factories import MembershipFactory, PortfolioFactory, UserFactory
from tests.projects.mpxj_support import require_java
from tests.projects.mspdi_files import project_file


def _shoot(page, name):
    folder = os.environ.get("SLATE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_pmo_sees_an_mpp_read_then_previews_and_imports_it(
    live_server, browser_page, log_in, monkeypatch
):
    require_java()
    data = project_file("sample.mpp").read_bytes()
    queued = []  # the worker's read is run below, once the page shows the progress
    monkeypatch.setattr(import_services.read_uploaded_plan, "delay", queued.append)
    page = browser_page
    portfolio = PortfolioFactory(code="ops", name="Operations", currency="EUR")
    pmo = UserFactory(username="browser-pmo", first_name="Pat", last_name="Office")
    MembershipFactory(portfolio=portfolio, user=pmo, role="pmo")

    log_in("browser-pmo", "pass-word-123")
    page.goto(f"{live_server.url}{reverse('projects:plan-import-new', args=['ops'])}")
    page.set_input_files(
        "#id_file",
        files=[{"name": "sample.mpp", "mimeType": "application/vnd.ms-project", "buffer": data}],
    )
    page.fill("#id_code", "SMP-1")
    page.fill("#id_name", "Sample plan")
    page.click("text=Upload and preview")
    page.wait_for_url("**/projects/imports/*/")

    status = page.locator("#import-status")
    assert status.get_attribute("data-status") == "reading"
    assert "Reading the file" in status.inner_text()
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    _shoot(page, "16-import-mpp-reading.png")

    (plan_import_id,) = queued
    assert import_services.plan_import_read(plan_import_id=plan_import_id) == "ready"
    # The page notices within its 2 s poll and shows the preview, without a click.
    page.wait_for_selector("#import-project-heading", timeout=15_000)
    assert page.locator("h1").inner_text() == "Import preview"
    assert "SMP-1" in page.inner_text("#import-project-heading")
    assert "Third task" in page.inner_text(".import-milestones")
    _shoot(page, "16-import-mpp-preview.png")

    page.click(".import-confirm button")
    page.wait_for_url("**/people/")  # step 2: the plan's two people, requested by role
    project = Project.objects.get(code="SMP-1")
    assert PlanImport.objects.get().applied_project == project
    assert list(project.milestones.values_list("name", flat=True)) == ["Third task"]
    assert page.console_errors == []
