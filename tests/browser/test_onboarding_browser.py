"""A PMO onboards a spreadsheet of projects in a real browser: upload from the portfolio's
Candidates page, the column mapping pre-filled from the template used last, the preview (new
and updated projects, matched by code), the import.

With SLATE_SCREENSHOTS=<dir> it saves the mapping and the preview there as
16-onboarding-mapping.png and 16-onboarding-preview.png."""

import io
import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import Workbook

from portfolio.models import ImportTemplate, Program
from projects.models import Project
from tests.factories import MembershipFactory, PortfolioFactory, ProjectFactory, UserFactory

HEADERS = ["Project ID", "Title", "Programme", "Stage", "PM", "Start date", "Finish", "BAC",
           "Notes"]  # fmt: skip


def _shoot(page, name):
    folder = os.environ.get("SLATE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def _workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Project list"
    sheet.append(HEADERS)
    rows = [
        ["OPS-101", "Customer portal relaunch", "Digital", "In progress", "mia", date(2026, 1, 12),
         date(2026, 11, 27), 480000, "Phase 2 in Q3"],
        ["OPS-102", "Warehouse scanners", "Logistics", "Candidate", "mia", date(2026, 3, 2),
         date(2026, 9, 30), 125000, ""],
        ["OPS-103", "Payroll consolidation", "", "Approved", "", date(2026, 4, 1),
         date(2027, 3, 31), 310500.5, "Needs HR sign-off"],
        ["BILL-1", "Billing replatform (phase 1)", "Digital", "In progress", "mia",
         date(2026, 1, 5), date(2026, 6, 26), 90000, ""],
    ]  # fmt: skip
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_pmo_maps_previews_and_imports_a_spreadsheet(live_server, browser_page, log_in):
    page = browser_page
    portfolio = PortfolioFactory(code="ops", name="Operations", currency="EUR")
    Program.objects.create(portfolio=portfolio, name="Digital")
    Program.objects.create(portfolio=portfolio, name="Logistics")
    pmo = UserFactory(username="browser-pmo", first_name="Pat", last_name="Office")
    MembershipFactory(portfolio=portfolio, user=pmo, role="pmo")
    mia = UserFactory(username="mia", first_name="Mia", last_name="Manager")
    ProjectFactory(
        portfolio=portfolio,
        code="BILL-1",
        name="Billing replatform",
        manager=mia,
        start_date=date(2026, 1, 5),
        end_date=date(2026, 6, 26),
        budget=Decimal("90000"),
    )
    ImportTemplate.objects.create(
        name="PMO project list",
        kind="projects",
        portfolio=portfolio,
        mapping={
            "Project ID": "code",
            "Title": "name",
            "Programme": "program",
            "Stage": "stage",
            "PM": "manager",
            "Start date": "start_date",
            "Finish": "end_date",
            "BAC": "budget",
        },
        updated_by=pmo,
    )

    log_in("browser-pmo", "pass-word-123")
    page.goto(f"{live_server.url}{reverse('portfolio:candidates', args=['ops'])}")
    page.click("text=Import a spreadsheet")
    page.set_input_files(
        "#id_file",
        files=[
            {
                "name": "ops-projects.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": _workbook(),
            }
        ],
    )
    page.click("text=Upload and map the columns")
    page.wait_for_url("**/onboarding/*/mapping/")
    assert page.locator("h1").inner_text() == "Which column is which?"
    assert "Pre-selected: “PMO project list”" in page.inner_text(".onboarding-template")
    assert page.locator("#id_column_7").input_value() == "budget"  # BAC, from the template
    assert page.locator("#id_column_8").input_value() == ""  # Notes: not imported
    _shoot(page, "16-onboarding-mapping.png")

    page.click("text=Preview the import")
    page.wait_for_url("**/onboarding/*/preview/")
    assert page.locator("h1").inner_text() == "Import preview"
    rows = page.inner_text(".onboarding-rows")
    assert "OPS-101" in rows and "New" in rows
    assert "Billing replatform → Billing replatform (phase 1)" in rows
    _shoot(page, "16-onboarding-preview.png")

    page.click("text=Import 4 projects")
    page.wait_for_url("**/onboarding/*/")
    assert "is imported" in page.locator("h1").inner_text()
    assert Project.objects.filter(portfolio=portfolio).count() == 4
    assert Project.objects.get(code="OPS-101").program.name == "Digital"
    assert ImportTemplate.objects.get().last_used_at is not None
