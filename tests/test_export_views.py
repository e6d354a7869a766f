"""Every table page offers CSV and XLSX through core/exports.py: the same rows, filters and
permissions as the page, typed cells, formulas inert, and a query count that does not grow
with the rows."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from core.exports import XLSX_CONTENT_TYPE
from reporting.services import run_review
from tests.factories import (
    AllocationFactory,
    MembershipFactory,
    ProjectFactory,
    RiskFactory,
    RoleFactory,
    UserFactory,
)

FORMULA = '=HYPERLINK("http://evil.example","Click")'


def xlsx(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


def query_count(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


@pytest.fixture
def viewer(portfolio):
    return MembershipFactory(portfolio=portfolio, role="viewer").user


# Projects --------------------------------------------------------------------------------------


def test_the_project_table_downloads_typed_with_the_pages_filters(client, portfolio, viewer):
    ProjectFactory(portfolio=portfolio, code="P-1", name=FORMULA, budget=Decimal("1234.56"))
    ProjectFactory(portfolio=portfolio, code="P-2", stage="candidate")
    client.force_login(viewer)
    url = reverse("portfolio:detail", args=[portfolio.code])
    rows = xlsx(client.get(url, {"format": "xlsx", "stage": "in_progress"}))
    assert [row["Code"].value for row in rows] == ["P-1"]  # the stage filter holds
    (row,) = rows
    assert row["Name"].data_type == "s" and row["Name"].value == FORMULA
    assert row["BAC"].data_type == "n" and row["BAC"].value == 1234.56
    assert row["End"].is_date and row["End"].value.date() == date(2026, 12, 31)
    page = client.get(url)
    assert "?format=xlsx" in page.content.decode()


def test_the_project_table_download_queries_do_not_grow(client, portfolio, viewer):
    client.force_login(viewer)
    url = reverse("portfolio:detail", args=[portfolio.code])
    ProjectFactory.create_batch(3, portfolio=portfolio)
    few = query_count(client, url, {"format": "xlsx", "as_of": "2026-06-30"})
    ProjectFactory.create_batch(12, portfolio=portfolio)
    many = query_count(client, url, {"format": "xlsx", "as_of": "2026-06-30"})
    assert many == few


def test_a_non_member_gets_no_project_table(client, portfolio):
    ProjectFactory(portfolio=portfolio)
    client.force_login(UserFactory())
    response = client.get(reverse("portfolio:detail", args=[portfolio.code]), {"format": "xlsx"})
    assert response.status_code == 404


# Risks -----------------------------------------------------------------------------------------


def test_the_portfolio_risk_register_downloads_typed_and_inert(client, portfolio, viewer):
    RiskFactory(portfolio=portfolio, title=FORMULA, due_date=date(2026, 5, 1))
    client.force_login(viewer)
    url = reverse("risks:portfolio-register", args=[portfolio.code])
    (row,) = xlsx(client.get(url, {"format": "xlsx"}))
    assert row["Risk"].data_type == "s" and row["Risk"].value == FORMULA
    assert row["Exposure"].data_type == "n" and row["Exposure"].value == 5000  # 50 % × 10,000
    assert row["Score"].value == 9
    assert row["Due"].is_date
    csv_text = client.get(url, {"format": "csv"}).content.decode()
    assert "'=HYPERLINK" in csv_text


def test_the_risk_register_download_queries_do_not_grow(client, portfolio, viewer):
    client.force_login(viewer)
    url = reverse("risks:portfolio-register", args=[portfolio.code])
    RiskFactory.create_batch(2, portfolio=portfolio)
    few = query_count(client, url, {"format": "xlsx"})
    RiskFactory.create_batch(10, portfolio=portfolio)
    many = query_count(client, url, {"format": "xlsx"})
    assert many == few


def test_a_project_risk_register_downloads_for_its_readers_only(client, portfolio, viewer):
    risk = RiskFactory(portfolio=portfolio)
    url = reverse("risks:project-register", args=[risk.project_id])
    client.force_login(viewer)
    (row,) = xlsx(client.get(url, {"format": "xlsx"}))
    assert row["Project"].value == risk.project.code
    client.force_login(UserFactory())
    assert client.get(url, {"format": "xlsx"}).status_code == 404


# Allocations and capacity ----------------------------------------------------------------------


def test_allocations_download_with_months_as_dates(client, portfolio, viewer):
    allocation = AllocationFactory(project__portfolio=portfolio, amount=Decimal("0.5"))
    client.force_login(viewer)
    url = reverse("resources:project-allocations", args=[allocation.project_id])
    (row,) = xlsx(client.get(url, {"format": "xlsx"}))
    assert row["From"].is_date and row["From"].number_format == "yyyy-mm"
    assert row["Amount"].value == 0.5


def test_the_request_queue_downloads_for_resource_managers_only(client, portfolio, viewer):
    AllocationFactory.create_batch(2, project__portfolio=portfolio, status="requested")
    client.force_login(MembershipFactory(portfolio=portfolio, role="resource_manager").user)
    url = reverse("resources:allocation-queue")
    assert len(xlsx(client.get(url, {"format": "xlsx"}))) == 2
    client.force_login(viewer)
    assert client.get(url, {"format": "xlsx"}).status_code == 403


def test_capacity_downloads_as_xlsx_beside_csv(client, portfolio, viewer):
    RoleFactory(name=FORMULA)
    url = reverse("resources:capacity")
    client.force_login(viewer)
    params = {"from": "2027-02", "months": 2}
    rows = xlsx(client.get(url, {**params, "format": "xlsx"}))
    assert {row["role"].value for row in rows} >= {FORMULA}
    assert all(row["role"].data_type == "s" for row in rows)
    assert all(row["month"].is_date for row in rows)
    assert all(row["capacity_hours"].data_type == "n" for row in rows)
    page = client.get(url, params).content.decode()
    assert "format=csv" in page and "format=xlsx" in page
    client.force_login(UserFactory())
    assert client.get(url, {**params, "format": "xlsx"}).status_code == 403


# Selection, scenarios and reviews ---------------------------------------------------------------


def test_the_selection_downloads_every_weighed_project(client, portfolio, viewer):
    ProjectFactory(portfolio=portfolio, code="C-1", stage="candidate", name=FORMULA)
    client.force_login(viewer)
    rows = xlsx(
        client.get(reverse("portfolio:selection", args=[portfolio.code]), {"format": "xlsx"})
    )
    row = next(row for row in rows if row["Code"].value == "C-1")
    assert row["Name"].data_type == "s" and row["Name"].value == FORMULA
    assert row["Budget"].data_type == "n"


def test_a_review_downloads_its_snapshots(client, portfolio, viewer):
    ProjectFactory(portfolio=portfolio, code="R-1")
    review = run_review(portfolio=portfolio, kind="monthly", period="2026-03")
    client.force_login(viewer)
    rows = xlsx(client.get(reverse("reporting:review", args=[review.pk]), {"format": "xlsx"}))
    assert [row["Code"].value for row in rows] == ["R-1"]
    assert rows[0]["BAC"].data_type == "n"
