"""Actual cost views: list with add form, edit, delete, CSV upload and template."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from projects.models import CostEntry
from tests.factories import CostEntryFactory, ProjectFactory, UserFactory
from tests.permissions import check_write_access, each_role, rows

pytestmark = pytest.mark.django_db

# Per request: session, user, and the user's and groups' permissions (access.is_pmo_admin);
# then the project (with portfolio, program, manager, sponsor), the user's role in the
# portfolio (edit buttons), the total and count, the page count and the page's entries.
COST_LIST_QUERIES = 9


@pytest.fixture
def project(portfolio):
    return ProjectFactory(portfolio=portfolio, code="BILL-1", manager=UserFactory())


@pytest.fixture
def entry(project):
    return CostEntryFactory(project=project, amount=Decimal("1200"), description="March licences")


def cost_data(**changes):
    return {
        "date": "2026-04-30",
        "amount": "2500.50",
        "category": "contractor",
        "description": "April contractor days",
        **changes,
    }


def csv_file(*lines, name="costs.csv"):
    text = "\n".join(["project_code,date,amount,category,description", *lines]) + "\n"
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def url(name, project, *args):
    return reverse(f"projects:{name}", args=[project.pk, *args])


# --- Who may write: the shared role matrix ------------------------------------------------


@each_role
def test_cost_add_permissions(client, role, project):
    check_write_access(
        client,
        role,
        project=project,
        url=url("costs", project),
        data=cost_data(),
        snapshot=rows(CostEntry),
        success_url=url("costs", project),
    )


@each_role
def test_cost_edit_permissions(client, role, project, entry):
    check_write_access(
        client,
        role,
        project=project,
        url=url("cost-edit", project, entry.pk),
        data=cost_data(amount="1300"),
        snapshot=rows(CostEntry),
        success_url=url("costs", project),
    )


@each_role
def test_cost_delete_permissions(client, role, project, entry):
    check_write_access(
        client,
        role,
        project=project,
        url=url("cost-delete", project, entry.pk),
        data={},
        snapshot=rows(CostEntry),
        success_url=url("costs", project),
    )


@each_role
def test_cost_upload_permissions(client, role, project):
    check_write_access(
        client,
        role,
        project=project,
        url=url("cost-upload", project),
        data={"file": csv_file("BILL-1,2026-05-31,100,travel,Site visit")},
        snapshot=rows(CostEntry),
        success_url=url("costs", project),
    )


# --- The list and its add form ----------------------------------------------------------------


def test_list_shows_total_and_pages(client, project, member_of, settings):
    settings.SLATE_PAGE_SIZE = 2
    for day in (1, 2, 3):
        CostEntryFactory(project=project, date=date(2026, 3, day), amount=Decimal("1000"))
    client.force_login(project.manager)
    response = client.get(url("costs", project), {"page": 2})
    assert response.context["total"] == Decimal("3000")
    assert response.context["count"] == 3
    assert [e.date.day for e in response.context["page_obj"]] == [1]
    page = response.content.decode()
    assert "Total of all 3 entries" in page and "Page 2 of 2" in page


def test_readers_see_the_list_without_the_add_form(client, project, entry, member_of):
    client.force_login(member_of(project.portfolio, "viewer"))
    page = client.get(url("costs", project)).content.decode()
    assert "March licences" in page
    assert "Add a cost" not in page
    assert url("cost-edit", project, entry.pk) not in page
    assert url("cost-upload", project) not in page


def test_adding_a_cost_says_so(client, project):
    client.force_login(project.manager)
    response = client.post(url("costs", project), cost_data(), follow=True)
    assert "Cost of USD 2,500.50 on 2026-04-30 added." in response.content.decode()
    added = CostEntry.objects.get()
    assert (added.amount, added.created_by) == (Decimal("2500.50"), project.manager)


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("amount", "-5", "greater than or equal to 0"),
        ("date", "2999-01-01", "An actual cost cannot be in the future."),
    ],
)
def test_bad_costs_keep_the_input_and_name_the_field(client, project, field, value, error):
    client.force_login(project.manager)
    response = client.post(url("costs", project), cost_data(**{field: value}))
    assert response.status_code == 200
    assert any(error in message for message in response.context["form"].errors[field])
    assert f'value="{value}"' in response.content.decode()
    assert not CostEntry.objects.exists()


def test_future_dates_are_refused_from_tomorrow(client, project):
    client.force_login(project.manager)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(url("costs", project), cost_data(date=tomorrow.isoformat()))
    assert "date" in response.context["form"].errors


# --- Edit and delete --------------------------------------------------------------------------


def test_edit_saves(client, project, entry):
    client.force_login(project.manager)
    response = client.post(url("cost-edit", project, entry.pk), cost_data(amount="1300"))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.amount == Decimal("1300")


def test_edit_with_a_negative_amount_changes_nothing(client, project, entry):
    client.force_login(project.manager)
    response = client.post(url("cost-edit", project, entry.pk), cost_data(amount="-1"))
    assert "amount" in response.context["form"].errors
    entry.refresh_from_db()
    assert entry.amount == Decimal("1200")


def test_delete_asks_first(client, project, entry):
    client.force_login(project.manager)
    confirm = client.get(url("cost-delete", project, entry.pk))
    assert "Delete the cost of" in confirm.content.decode()
    assert CostEntry.objects.exists()
    response = client.post(url("cost-delete", project, entry.pk), follow=True)
    assert "Cost of USD 1,200.00 on 2026-03-15 deleted." in response.content.decode()
    assert not CostEntry.objects.exists()


def test_an_entry_of_another_project_is_not_found(client, project, portfolio):
    elsewhere = CostEntryFactory(project=ProjectFactory(portfolio=portfolio))
    client.force_login(project.manager)
    assert client.get(url("cost-edit", project, elsewhere.pk)).status_code == 404


# --- CSV upload and template ------------------------------------------------------------------


def test_a_good_csv_imports_every_row(client, project):
    client.force_login(project.manager)
    upload = csv_file(
        "BILL-1,2026-05-31,1000.00,labour,May developer time",
        ",2026-05-31,250.25,travel,",
        "BILL-1,2026-06-30,3000,software,Licences",
    )
    response = client.post(url("cost-upload", project), {"file": upload}, follow=True)
    assert "Imported 3 cost entries totalling USD 4,250.25." in response.content.decode()
    assert CostEntry.objects.filter(project=project).count() == 3


def test_a_csv_with_bad_rows_lists_each_and_imports_nothing(client, project):
    client.force_login(project.manager)
    upload = csv_file(
        "BILL-1,2026-05-31,1000.00,labour,fine",
        "OTHER-9,2026-05-31,10,labour,wrong project",
        "BILL-1,31/05/2026,-4,snacks,three problems",
    )
    response = client.post(url("cost-upload", project), {"file": upload})
    assert response.status_code == 200
    found = [(e.row, e.field) for e in response.context["row_errors"]]
    assert found == [(3, "project_code"), (4, "date"), (4, "amount"), (4, "category")]
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "“OTHER-9” is not BILL-1." in page and "“snacks” is not a category" in page
    assert not CostEntry.objects.exists()


def test_a_csv_without_the_needed_columns_is_refused(client, project):
    client.force_login(project.manager)
    upload = SimpleUploadedFile("costs.csv", b"when,how much\n2026-05-01,10\n")
    response = client.post(url("cost-upload", project), {"file": upload})
    assert {e.field for e in response.context["row_errors"]} == {"date", "amount", "category"}
    assert not CostEntry.objects.exists()


def test_upload_without_a_file_names_the_field(client, project):
    client.force_login(project.manager)
    response = client.post(url("cost-upload", project), {})
    assert "file" in response.context["form"].errors


def test_template_download(client, member_of, portfolio):
    client.force_login(member_of(portfolio, "viewer"))
    response = client.get(reverse("projects:cost-template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="slate-cost-template.csv"'
    assert response.content.decode().splitlines()[0] == (
        "project_code,date,amount,category,description"
    )


def test_template_download_needs_a_login(client):
    response = client.get(reverse("projects:cost-template"))
    assert response.status_code == 302 and "/login/" in response.url


@pytest.mark.parametrize("count", [3, 30])
def test_cost_list_queries_do_not_grow(
    client, project, member_of, count, django_assert_max_num_queries
):
    author = UserFactory()
    CostEntry.objects.bulk_create(
        CostEntryFactory.build(project=project, created_by=author) for _ in range(count)
    )
    client.force_login(member_of(project.portfolio, "portfolio_manager"))
    with django_assert_max_num_queries(COST_LIST_QUERIES):
        response = client.get(url("costs", project))
    assert response.context["count"] == count


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["BILL-1,2026-05-31,10,labour,fine", "BILL-1,2026-05-31,1\x000,labour,x"], [(3, "file")]),
        (["BILL-1,2026-05-31,10,labour,fine", ",,,,,"], [(3, "file")]),
        (["BILL-1,2026-05-31,10,labour"], [(2, "file")]),
        (["BILL-1,2026-05-31,10,labour,fine,extra"], [(2, "file")]),
        (["BILL-1,2026-05-31,10.005,labour,sub-cent"], [(2, "amount")]),
        (["BILL-1,0001-01-01,10,labour,ancient"], [(2, "date")]),
    ],
)
def test_nul_bytes_ragged_rows_sub_cents_and_old_dates_are_row_errors(
    client, project, lines, expected
):
    client.force_login(project.manager)
    response = client.post(url("cost-upload", project), {"file": csv_file(*lines)})
    assert response.status_code == 200
    assert [(e.row, e.field) for e in response.context["row_errors"]] == expected
    assert not CostEntry.objects.exists()


def test_a_minus_zero_amount_is_stored_as_zero(client, project):
    client.force_login(project.manager)
    client.post(url("cost-upload", project), {"file": csv_file("BILL-1,2026-05-31,-0,other,")})
    assert str(CostEntry.objects.get(project=project).amount) in ("0", "0.00")
