"""Allocation requests from an imported plan: the role each of its people is requested as
(suggested, then confirmed by the user), their months and FTE, and a second run that updates
rather than duplicates."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from projects.imports.mspdi import read_mspdi
from projects.imports.services import plan_import_apply, plan_import_stage
from resources.models import Allocation
from resources.plan_allocations import plan_role_requests, work_fte
from resources.services import allocations_request_from_plan
from tests.factories import PortfolioFactory, ResourceFactory, RoleFactory
from tests.projects.mspdi_files import billing_plan, project_file

pytestmark = pytest.mark.django_db

PEOPLE = (
    "<Resource><UID>1</UID><Name>Ana Analyst</Name><Type>1</Type><Group>Analysts</Group></Resource>"
    "<Resource><UID>2</UID><Name>Dev Team</Name><Type>1</Type></Resource>"
    "<Resource><UID>3</UID><Name>Servers</Name><Type>0</Type></Resource>"
)
ASSIGNMENTS = (
    # Ana: 84 h in Jan–Feb 2026 (22 + 20 working days: 336 standard hours) → 0.25 FTE.
    "<Assignment><UID>1</UID><TaskUID>1</TaskUID><ResourceUID>1</ResourceUID><Units>0.5</Units>"
    "<Start>2026-01-05T08:00:00</Start><Finish>2026-02-27T17:00:00</Finish>"
    "<Work>PT84H0M0S</Work></Assignment>"
    # The team: 1,044 h in Mar–Jun 2026 (87 working days: 696 standard hours) → 1.5 people,
    # asked for in hours per month (261 h/mo).
    "<Assignment><UID>2</UID><TaskUID>3</TaskUID><ResourceUID>2</ResourceUID><Units>3</Units>"
    "<Start>2026-03-02T08:00:00</Start><Finish>2026-06-26T17:00:00</Finish>"
    "<Work>PT1044H0M0S</Work></Assignment>"
    # Material is not a person.
    "<Assignment><UID>3</UID><TaskUID>3</TaskUID><ResourceUID>3</ResourceUID><Units>1</Units>"
    "<Start>2026-03-02T08:00:00</Start><Finish>2026-06-26T17:00:00</Finish></Assignment>"
)


@pytest.fixture
def portfolio():
    return PortfolioFactory(code="ops")


@pytest.fixture
def pmo(portfolio, member_of):
    return member_of(portfolio, "pmo")


def imported(pmo, portfolio, data, code="BILL-9"):
    plan_import, preview = plan_import_stage(
        portfolio=portfolio, file_name="plan.xml", content=data, code=code, by=pmo
    )
    plan_import_apply(plan_import=plan_import, fingerprint=preview.fingerprint, by=pmo)
    plan_import.refresh_from_db()
    return plan_import


def test_work_fte_spreads_the_work_over_the_standard_hours():
    assert work_fte(Decimal("84"), date(2026, 1, 1), date(2026, 2, 1)) == Decimal("0.25")
    assert work_fte(Decimal("0"), date(2026, 1, 1), date(2026, 1, 1)) == Decimal("0.01")


def test_requests_suggest_roles_and_size_each_person(portfolio, pmo):
    analyst = RoleFactory(name="Analysts")
    data = billing_plan(resources=PEOPLE, assignments=ASSIGNMENTS)
    plan_import = imported(pmo, portfolio, data)

    requests = plan_role_requests(plan=read_mspdi(data), project=plan_import.applied_project)

    ana, team = requests  # material is not requested
    assert (ana.resource.name, ana.suggested_role, ana.suggested_by) == (
        "Ana Analyst",
        analyst,
        "group",
    )
    assert (ana.first_month, ana.last_month) == (date(2026, 1, 1), date(2026, 2, 1))
    assert (ana.unit, ana.amount) == ("fte", Decimal("0.25"))
    assert (team.suggested_role, team.fte) == (None, Decimal("1.50"))
    assert (team.unit, team.amount) == ("hours", Decimal("261.00"))


def test_the_mapping_becomes_requests_once(portfolio, pmo):
    analyst, developer = RoleFactory(name="Analysts"), RoleFactory(name="Developer")
    data = billing_plan(resources=PEOPLE, assignments=ASSIGNMENTS)
    project = imported(pmo, portfolio, data).applied_project
    plan = read_mspdi(data)

    def request(roles):
        requests = plan_role_requests(plan=plan, project=project)
        return allocations_request_from_plan(
            project=project, requests=requests, roles=roles, by=pmo
        )

    request({"1": analyst, "2": developer})
    rows = list(
        Allocation.objects.order_by("external_id").values_list(
            "external_id",
            "role__name",
            "resource",
            "status",
            "unit",
            "amount",
            "start_month",
            "end_month",
        )
    )
    assert rows == [
        (
            "plan-resource:1",
            "Analysts",
            None,
            "requested",
            "fte",
            Decimal("0.25"),
            date(2026, 1, 1),
            date(2026, 2, 1),
        ),
        (
            "plan-resource:2",
            "Developer",
            None,
            "requested",
            "hours",
            Decimal("261.00"),
            date(2026, 3, 1),
            date(2026, 6, 1),
        ),
    ]

    # Again, with the team left out and Ana confirmed meanwhile: nothing is added or changed.
    Allocation.objects.filter(external_id="plan-resource:1").update(status="confirmed")
    request({"1": developer, "2": None})
    assert Allocation.objects.count() == 2
    assert Allocation.objects.get(external_id="plan-resource:1").role == analyst

    # A request nobody decided yet is updated.
    request({"2": analyst})
    assert Allocation.objects.count() == 2
    assert Allocation.objects.get(external_id="plan-resource:2").role == analyst


def test_sample_xml_people(portfolio, pmo):
    developer = RoleFactory(name="Developer")
    ResourceFactory(name="Second Resource", role=developer)
    data = project_file("sample.xml").read_bytes()
    project = imported(pmo, portfolio, data, code="SMP").applied_project

    first, second = plan_role_requests(plan=read_mspdi(data), project=project)

    # Both work on "Second Task" from 7 Jan to 18 Mar 2003: 512 standard hours.
    assert (first.resource.name, first.work_hours, first.amount) == (
        "First Resource",
        200,
        Decimal("0.39"),
    )
    assert (second.suggested_role, second.suggested_by) == (developer, "person")
    assert second.amount == Decimal("0.59")
    assert (second.first_month, second.last_month) == (date(2003, 1, 1), date(2003, 3, 1))


# --- The page -------------------------------------------------------------------------------


def test_the_import_leads_to_the_people_page_and_its_requests(client, portfolio, pmo, member_of):
    analyst = RoleFactory(name="Analysts")
    developer = RoleFactory(name="Developer")
    client.force_login(pmo)
    data = billing_plan(resources=PEOPLE, assignments=ASSIGNMENTS)
    plan_import, preview = plan_import_stage(
        portfolio=portfolio, file_name="plan.xml", content=data, code="BILL-9", by=pmo
    )
    preview_url = reverse("projects:plan-import-preview", args=[plan_import.pk])
    assert "After the import you choose the role" in client.get(preview_url).content.decode()

    response = client.post(preview_url, {"fingerprint": preview.fingerprint})

    people_url = reverse("resources:plan-allocations", args=[plan_import.pk])
    assert response.url == people_url
    page = client.get(people_url)
    text = page.content.decode()
    assert "Ana Analyst" in text and "Dev Team" in text and "Servers" not in text
    assert "Suggested by its group." in text
    # Others who see the portfolio may not act on someone else's import.
    client.force_login(member_of(portfolio, "pmo"))
    assert client.get(people_url).status_code == 403
    assert client.post(people_url, {"role_1": analyst.pk}).status_code == 403
    assert not Allocation.objects.exists()

    client.force_login(pmo)
    response = client.post(people_url, {"role_1": analyst.pk, "role_2": developer.pk})

    plan_import.refresh_from_db()
    project = plan_import.applied_project
    assert response.url == reverse("resources:project-allocations", args=[project.pk])
    assert Allocation.objects.filter(project=project, status="requested").count() == 2


def test_the_people_page_waits_for_the_import(client, portfolio, pmo):
    client.force_login(pmo)
    plan_import, _ = plan_import_stage(
        portfolio=portfolio,
        file_name="plan.xml",
        content=billing_plan(resources=PEOPLE, assignments=ASSIGNMENTS),
        code="BILL-9",
        by=pmo,
    )
    assert (
        client.get(reverse("resources:plan-allocations", args=[plan_import.pk])).status_code == 404
    )
