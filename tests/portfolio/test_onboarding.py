"""Onboarding portfolios and projects from a spreadsheet (portfolio/onboarding.py and its
pages): the mapping remembered as a template, the preview equal to what the import writes,
errors by row and column with nothing written, re-import updating, and who may."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from portfolio import onboarding
from portfolio.models import ImportTemplate, OnboardingImport, Portfolio, Program
from projects.models import Project
from tests.factories import MembershipFactory, PortfolioFactory, ProjectFactory, UserFactory

HEADERS = ["Project ID", "Title", "Stage", "PM", "Start date", "Finish", "BAC", "Programme"]


def csv_bytes(rows, headers=HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode()


def project_rows(count, *, start=1, budget="1000"):
    return [
        [
            f"ONB-{n:03d}",
            f"Onboarded {n}",
            "In progress",
            "",
            "2026-01-01",
            "2026-12-31",
            budget,
            "",
        ]
        for n in range(start, start + count)
    ]


@pytest.fixture
def manager(portfolio):
    return MembershipFactory(portfolio=portfolio, role="portfolio_manager").user


def stage(user, portfolio, content, *, kind="projects", name="projects.csv"):
    return onboarding.onboarding_stage(
        kind=kind, portfolio=portfolio, file_name=name, content=content, by=user
    )


def previewed(staged, user):
    staged.refresh_from_db()
    return onboarding.onboarding_preview(staged=staged, by=user)


def imported(staged, user):
    preview = previewed(staged, user)
    assert not preview.errors, [str(e) for e in preview.errors]
    return onboarding.onboarding_apply(staged=staged, fingerprint=preview.fingerprint, by=user)


# Mapping -------------------------------------------------------------------------------------


def test_columns_are_matched_by_name_then_the_mapping_is_remembered_and_preselected(
    portfolio, manager
):
    staged = stage(manager, portfolio, csv_bytes(project_rows(2)))
    assert staged.template is None
    assert staged.mapping == {
        "Project ID": "code",
        "Title": "name",
        "Stage": "stage",
        "PM": "manager",
        "Start date": "start_date",
        "Finish": "end_date",
        "BAC": "budget",
        "Programme": "program",
    }
    mapping = {**staged.mapping, "Programme": ""}  # the user leaves the program out
    onboarding.onboarding_map(
        staged=staged, mapping=mapping, template_name="PMO master sheet", by=manager
    )
    template = ImportTemplate.objects.get()
    assert (template.owner, template.portfolio, template.name) == (
        manager,
        None,
        "PMO master sheet",
    )
    assert template.mapping == {k: v for k, v in mapping.items() if v}

    again = stage(manager, portfolio, csv_bytes(project_rows(1)))
    assert again.template == template
    assert again.mapping == template.mapping
    # Another manager of the portfolio does not get a user's own template...
    colleague = MembershipFactory(portfolio=portfolio, role="pmo").user
    assert stage(colleague, portfolio, csv_bytes(project_rows(1))).template is None


def test_a_shared_template_is_offered_to_the_portfolios_managers(client, portfolio, manager):
    staged = stage(manager, portfolio, csv_bytes(project_rows(1)))
    onboarding.onboarding_map(
        staged=staged,
        mapping=staged.mapping,
        template_name="Portfolio layout",
        share_with_portfolio=True,
        by=manager,
    )
    template = ImportTemplate.objects.get()
    assert (template.owner, template.portfolio) == (None, portfolio)
    colleague = MembershipFactory(portfolio=portfolio, role="pmo").user
    theirs = stage(colleague, portfolio, csv_bytes(project_rows(1)))
    assert theirs.template == template
    client.force_login(colleague)
    page = client.get(reverse("portfolio:onboarding-mapping", args=[theirs.pk]))
    assert page.status_code == 200
    assert page.context["template"] == template
    assert "selected>Portfolio layout (shared in" in page.content.decode()


def test_a_mapping_without_code_or_with_a_field_twice_is_refused(portfolio, manager):
    staged = stage(manager, portfolio, csv_bytes(project_rows(1)))
    with pytest.raises(Exception) as refused:
        onboarding.onboarding_map(
            staged=staged, mapping={"Title": "name", "BAC": "name"}, by=manager
        )
    messages = " ".join(refused.value.messages)
    assert "both mapped to Name" in messages
    assert "Map a column to Code" in messages


# Preview and import --------------------------------------------------------------------------


def test_the_preview_is_what_the_import_writes(portfolio, manager):
    program = Program.objects.create(portfolio=portfolio, name="Digital")
    existing = ProjectFactory(
        portfolio=portfolio, code="ONB-002", name="Old name", stage="in_progress"
    )
    rows = [
        ["ONB-001", "Billing revamp", "Candidate", manager.username, "2026-02-01", "2026-11-30",
         "250,000.50", "Digital"],
        ["ONB-002", "New name", "In progress", manager.email, "2026-01-01", "2026-12-31",
         "100000", ""],
        ["ONB-003", "=HYPERLINK(\"x\")", "", "", "2026-03-01", "2027-02-28", "$1,000", ""],
    ]  # fmt: skip
    staged = stage(manager, portfolio, csv_bytes(rows))
    preview = previewed(staged, manager)
    assert preview.errors == ()
    assert [(r.number, r.action, r.code) for r in preview.rows] == [
        (2, "create", "ONB-001"),
        (3, "update", "ONB-002"),
        (4, "create", "ONB-003"),
    ]
    update = preview.rows[1]
    assert [(c.label, c.old, c.new) for c in update.changes] == [
        ("Name", "Old name", "New name"),
        ("Manager", "", manager.username),
    ]
    assert Project.objects.filter(portfolio=portfolio).count() == 1  # the preview wrote nothing

    onboarding.onboarding_apply(staged=staged, fingerprint=preview.fingerprint, by=manager)

    written = {p.code: p for p in Project.objects.filter(portfolio=portfolio)}
    for row in preview.rows:
        project = written[row.code]
        for key, value in row.values.items():
            assert getattr(project, key) == value, (row.code, key)
    assert written["ONB-001"].program == program
    assert written["ONB-001"].budget == Decimal("250000.50")
    assert written["ONB-001"].stage == "candidate"
    assert written["ONB-003"].stage == "candidate"  # no stage: a candidate, as a plan import
    assert written["ONB-003"].name == '=HYPERLINK("x")'  # kept as text
    existing.refresh_from_db()
    assert (existing.name, existing.manager) == ("New name", manager)
    assert existing.version == 2
    staged.refresh_from_db()
    assert staged.is_applied
    assert [r["action"] for r in staged.result] == ["create", "update", "create"]


def test_one_bad_row_among_fifty_is_named_by_row_and_column_and_nothing_is_written(
    portfolio, manager
):
    rows = project_rows(50)
    rows[12][6] = "lots"  # file row 14: the header is row 1
    rows[30][4] = "31/12/2026"  # file row 32
    staged = stage(manager, portfolio, csv_bytes(rows))
    preview = previewed(staged, manager)
    assert [str(error) for error in preview.errors] == [
        "Row 14, column “BAC”: “lots” is not a number.",
        "Row 32, column “Start date”: “31/12/2026” is not a date: use YYYY-MM-DD, or a date cell.",
    ]
    assert not preview.can_import
    with pytest.raises(onboarding.OnboardingError) as refused:
        onboarding.onboarding_apply(staged=staged, fingerprint=preview.fingerprint, by=manager)
    assert [(e.row, e.column) for e in refused.value.errors] == [(14, "BAC"), (32, "Start date")]
    assert not Project.objects.exists()
    staged.refresh_from_db()
    assert not staged.is_applied


def test_what_the_services_refuse_is_named_by_row_and_column_and_rolls_back_every_row(
    portfolio, manager
):
    ProjectFactory(portfolio=portfolio, code="ONB-002", stage="candidate", budget=Decimal("1000"))
    rows = project_rows(3)
    rows[2][5] = "2025-06-30"  # row 4: ends before it starts (the model's own rule)
    staged = stage(manager, portfolio, csv_bytes(rows))
    preview = previewed(staged, manager)
    by_cell = {(e.row, e.column): e.message for e in preview.errors}
    assert set(by_cell) == {(3, "Stage"), (4, "Finish")}
    assert "needs a gate decision" in by_cell[(3, "Stage")]  # candidate → in progress
    assert "on or after the start date" in by_cell[(4, "Finish")]
    with pytest.raises(onboarding.OnboardingError):
        onboarding.onboarding_apply(staged=staged, fingerprint=preview.fingerprint, by=manager)
    assert list(Project.objects.values_list("code", flat=True)) == ["ONB-002"]


def test_the_import_refuses_when_the_data_changed_since_the_preview(portfolio, manager):
    project = ProjectFactory(
        portfolio=portfolio, code="ONB-001", name="Before", budget=Decimal("1000")
    )
    staged = stage(manager, portfolio, csv_bytes(project_rows(1)))
    preview = previewed(staged, manager)
    Project.objects.filter(pk=project.pk).update(name="Someone else's", version=7)
    with pytest.raises(onboarding.OnboardingError) as refused:
        onboarding.onboarding_apply(staged=staged, fingerprint=preview.fingerprint, by=manager)
    assert "changed since you saw the preview" in str(refused.value.errors[0])


def test_a_reimport_updates_and_does_not_duplicate(portfolio, manager):
    imported(stage(manager, portfolio, csv_bytes(project_rows(5))), manager)
    assert Project.objects.count() == 5
    rows = project_rows(5)
    rows[1][1] = "Renamed"
    again = stage(manager, portfolio, csv_bytes(rows))
    preview = previewed(again, manager)
    assert preview.counts == {"create": 0, "update": 1, "unchanged": 4}
    imported(again, manager)
    assert Project.objects.count() == 5
    assert Project.objects.get(code="ONB-002").name == "Renamed"


def test_a_code_twice_in_the_file_is_refused(portfolio, manager):
    rows = project_rows(2)
    rows[1][0] = rows[0][0]
    preview = previewed(stage(manager, portfolio, csv_bytes(rows)), manager)
    assert [str(e) for e in preview.errors] == [
        "Row 3, column “Project ID”: ONB-001 is already on row 2."
    ]


def test_an_xlsx_with_typed_cells_imports(portfolio, manager):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Code", "Name", "Start", "End", "Budget"])
    sheet.append(["X-1", "From Excel", datetime(2026, 4, 1), date(2026, 9, 30), 125000.5])
    sheet.append([42, "Numeric code", datetime(2026, 4, 1), datetime(2026, 5, 1), 10])
    out = io.BytesIO()
    workbook.save(out)
    imported(stage(manager, portfolio, out.getvalue(), name="book.xlsx"), manager)
    project = Project.objects.get(code="X-1")
    assert (project.start_date, project.end_date) == (date(2026, 4, 1), date(2026, 9, 30))
    assert project.budget == Decimal("125000.50")
    assert Project.objects.filter(code="42").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "Excel 97-2003"),
        (b"PK\x03\x04garbage", "cannot be read"),
        (b"Code,Name\n", "no data rows"),
    ],
)
def test_a_file_that_is_not_a_readable_spreadsheet_is_refused_clearly(
    portfolio, manager, content, message
):
    with pytest.raises(onboarding.SpreadsheetError) as refused:
        stage(manager, portfolio, content)
    assert message in " ".join(refused.value.problems)
    assert not OnboardingImport.objects.exists()


def test_portfolios_are_imported_by_a_pmo_admin(pmo_admin):
    PortfolioFactory(code="ops", name="Operations", currency="USD")
    content = csv_bytes(
        [["ops", "Operations & Support", "eur", "2000000", "4", "Weekly"],
         ["growth", "Growth", "USD", "1,500,000", "1", "Monthly"]],
        headers=["Code", "Name", "Currency", "Envelope", "Fiscal month", "Reporting period"],
    )  # fmt: skip
    preview = previewed(stage(pmo_admin, None, content, kind="portfolios"), pmo_admin)
    assert [(r.action, r.code) for r in preview.rows] == [("update", "ops"), ("create", "growth")]
    imported(OnboardingImport.objects.get(), pmo_admin)
    ops = Portfolio.objects.get(code="ops")
    assert (ops.name, ops.currency, ops.fiscal_year_start_month, ops.reporting_period) == (
        "Operations & Support",
        "EUR",
        4,
        "weekly",
    )
    assert Portfolio.objects.get(code="growth").budget_envelope == Decimal("1500000")


# Who may -------------------------------------------------------------------------------------


def upload(client, portfolio, content, kind="projects"):
    data = {"kind": kind, "file": SimpleUploadedFile("sheet.csv", content, "text/csv")}
    if portfolio is not None:
        data["portfolio"] = portfolio.pk
    return client.post(reverse("portfolio:onboarding"), data)


@pytest.mark.parametrize("role", ["executive", "resource_manager", "viewer"])
def test_readers_may_not_import(client, portfolio, role):
    client.force_login(MembershipFactory(portfolio=portfolio, role=role).user)
    assert client.get(reverse("portfolio:onboarding")).status_code == 403
    assert upload(client, portfolio, csv_bytes(project_rows(1))).status_code == 403
    assert not OnboardingImport.objects.exists()


def test_a_project_manager_without_a_managing_role_may_not_import(client, portfolio):
    lead = UserFactory()
    ProjectFactory(portfolio=portfolio, manager=lead)
    client.force_login(lead)
    assert client.get(reverse("portfolio:onboarding")).status_code == 403


def test_a_manager_of_another_portfolio_may_not_import_into_this_one(
    client, portfolio, other_portfolio
):
    outsider = MembershipFactory(portfolio=other_portfolio, role="portfolio_manager").user
    client.force_login(outsider)
    response = upload(client, portfolio, csv_bytes(project_rows(1)))
    assert response.status_code == 200
    assert "portfolio" in response.context["form"].errors  # not among the choices
    # Nor through a portfolio column: the row is refused on that column.
    rows = [["ONB-1", "X", portfolio.code, "2026-01-01", "2026-02-01", "10"]]
    content = csv_bytes(rows, headers=["Code", "Name", "Portfolio", "Start", "End", "Budget"])
    staged = stage(outsider, None, content)
    preview = previewed(staged, outsider)
    assert [(e.row, e.column) for e in preview.errors] == [(2, "Portfolio")]
    assert "No portfolio" in preview.errors[0].message
    assert not Project.objects.exists()


def test_only_pmo_admins_import_portfolios(client, portfolio, manager, pmo_admin):
    content = csv_bytes([["new", "New"]], headers=["Code", "Name"])
    with pytest.raises(Exception, match="Only PMO admins"):
        stage(manager, None, content, kind="portfolios")
    client.force_login(manager)
    response = upload(client, None, content, kind="portfolios")
    assert "kind" in response.context["form"].errors
    client.force_login(pmo_admin)
    response = upload(client, None, content, kind="portfolios")
    assert response.status_code == 302
    assert not Portfolio.objects.filter(code="new").exists()  # staged, not imported


def test_a_staged_file_is_the_uploaders_alone(client, portfolio, manager):
    staged = stage(manager, portfolio, csv_bytes(project_rows(1)))
    colleague = MembershipFactory(portfolio=portfolio, role="pmo").user
    client.force_login(colleague)
    for name in ("onboarding-mapping", "onboarding-preview", "onboarding-result"):
        assert client.get(reverse(f"portfolio:{name}", args=[staged.pk])).status_code == 403
    response = client.post(
        reverse("portfolio:onboarding-preview", args=[staged.pk]), {"fingerprint": "x"}
    )
    assert response.status_code == 403
    assert not Project.objects.exists()


# The pages -----------------------------------------------------------------------------------


def test_the_pages_walk_from_upload_to_result(client, portfolio, manager):
    client.force_login(manager)
    response = upload(client, portfolio, csv_bytes(project_rows(3)))
    staged = OnboardingImport.objects.get()
    assert response.url == reverse("portfolio:onboarding-mapping", args=[staged.pk])
    page = client.get(response.url)
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: field.initial for name, field in form.fields.items() if name.startswith("col")}
    data["template_name"] = "My sheet"
    response = client.post(response.url, data)
    assert response.url == reverse("portfolio:onboarding-preview", args=[staged.pk])
    page = client.get(response.url)
    assert page.status_code == 200
    assert "Import 3 projects" in page.content.decode()
    response = client.post(response.url, {"fingerprint": page.context["preview"].fingerprint})
    assert response.url == reverse("portfolio:onboarding-result", args=[staged.pk])
    assert Project.objects.filter(portfolio=portfolio).count() == 3
    assert "is imported" in client.get(response.url).content.decode()


def test_the_preview_page_lists_errors_by_row_and_column(client, portfolio, manager):
    rows = project_rows(50)
    rows[12][6] = "lots"
    staged = stage(manager, portfolio, csv_bytes(rows))
    client.force_login(manager)
    page = client.get(reverse("portfolio:onboarding-preview", args=[staged.pk]))
    html = page.content.decode()
    assert '<td class="num">14</td><td>BAC</td><td>“lots” is not a number.</td>' in html
    assert 'name="fingerprint"' not in html  # no import button
    response = client.post(
        reverse("portfolio:onboarding-preview", args=[staged.pk]), {"fingerprint": "forged"}
    )
    assert response.status_code == 400
    assert not Project.objects.exists()


def test_a_bad_upload_shows_why_on_the_upload_page(client, portfolio, manager):
    client.force_login(manager)
    response = upload(client, portfolio, b"\x89PNG\r\n\x1a\n\x00\x00")
    assert response.status_code == 200
    assert "not a spreadsheet" in response.content.decode()
    assert not OnboardingImport.objects.exists()
