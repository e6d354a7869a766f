"""People and roles pages: the list with its filters, a person's page (capacity against
demand, allocations by project and month, leave), and the writes of resource managers."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse

from resources.models import Calendar, CapacityAdjustment, PublicHoliday, Resource, Role, Skill
from tests.factories import (
    AllocationFactory,
    MembershipFactory,
    PortfolioFactory,
    ProjectFactory,
    ResourceFactory,
    RoleFactory,
    UserFactory,
)
from tests.permissions import check_write_access, each_role, rows

pytestmark = pytest.mark.django_db

RESOURCE_WRITERS = ("pmo", "resource_manager")

# Per request: session, user, and the user's and groups' permissions (access.is_pmo_admin).
# People list: has the user any role (membership), may they manage resources, the count and
# the page of people (with their role), their skills, the roles and skills of the filters.
PEOPLE_LIST_QUERIES = 11
# Person page: any role, the person (with role and calendar), their skills; the capacity grid
# (holidays, calendars, leave, people of the role, allocations); the person's visible
# allocations; their calendar's holidays; leave shown, earlier leave counted; may they manage.
PERSON_PAGE_QUERIES = 17


def check_resource_write_access(client, role, *, outsider_status=403, **kwargs):
    """tests/permissions.py's `check_write_access` with the resource managers as the writers:
    the PMO and resource managers may; the project's manager and portfolio managers are
    refused like the readers. People and roles are organisation-wide, so a member of another
    portfolio reads them (403 on a write); an allocation of a project they cannot see is a 404.
    The project only anchors the roles (whose portfolio they are members of)."""
    return check_write_access(
        client,
        role,
        allowed=RESOURCE_WRITERS,
        refused_status={"outsider": outsider_status},
        **kwargs,
    )


@pytest.fixture
def project(portfolio):
    return ProjectFactory(portfolio=portfolio, code="EPR", manager=UserFactory())


@pytest.fixture
def engineer():
    return RoleFactory(name="Integration engineer")


@pytest.fixture
def priya(engineer):
    return ResourceFactory(name="Priya Nair", role=engineer, start_date=date(2025, 1, 1))


@pytest.fixture
def leave(priya):
    return CapacityAdjustment.objects.create(
        resource=priya, kind="leave", start_date=date(2027, 2, 8), end_date=date(2027, 2, 12)
    )


@pytest.fixture
def reader(portfolio, member_of):
    return member_of(portfolio, "viewer")


@pytest.fixture
def resource_manager(portfolio, member_of):
    return member_of(portfolio, "resource_manager")


def url(name, *args):
    return reverse(f"resources:{name}", args=args)


def person_post(role, **changes):
    return {
        "name": "Tomás Silva",
        "email": "",
        "role": role.pk,
        "fte": "0.8",
        "cost_rate": "110",
        "calendar": "",
        "start_date": "2026-01-05",
        "end_date": "",
        **changes,
    }


# --- Who may write: the shared role matrix ------------------------------------------------


@each_role
def test_person_create_permissions(client, role, project, engineer):
    check_resource_write_access(
        client,
        role,
        project=project,
        url=url("person-create"),
        data=person_post(engineer),
        snapshot=rows(Resource),
    )


@each_role
def test_person_edit_permissions(client, role, project, priya):
    check_resource_write_access(
        client,
        role,
        project=project,
        url=url("person-edit", priya.pk),
        data=person_post(priya.role, name="Priya N. Nair"),
        snapshot=rows(Resource),
        success_url=url("person", priya.pk),
    )


@each_role
def test_adjustment_create_permissions(client, role, project, priya):
    check_resource_write_access(
        client,
        role,
        project=project,
        url=url("adjustment-create", priya.pk),
        data={"kind": "leave", "start_date": "2027-02-01", "end_date": "2027-02-05"},
        snapshot=rows(CapacityAdjustment),
        success_url=url("person", priya.pk),
    )


@each_role
def test_adjustment_delete_permissions(client, role, project, priya, leave):
    check_resource_write_access(
        client,
        role,
        project=project,
        url=url("adjustment-delete", priya.pk, leave.pk),
        data={},
        snapshot=rows(CapacityAdjustment),
        success_url=url("person", priya.pk),
    )


@each_role
def test_role_create_permissions(client, role, project):
    check_resource_write_access(
        client,
        role,
        project=project,
        url=url("role-create"),
        data={"name": "Data engineer", "default_cost_rate": "105", "description": ""},
        snapshot=rows(Role),
        success_url=url("roles"),
    )


@each_role
def test_role_edit_permissions(client, role, project, engineer):
    check_resource_write_access(
        client,
        role,
        project=project,
        url=url("role-edit", engineer.pk),
        data={"name": "Integration engineer (FHIR)", "default_cost_rate": "120"},
        snapshot=rows(Role),
        success_url=url("roles"),
    )


@pytest.mark.parametrize(
    "name", ["person", "person-edit", "adjustment-create", "adjustment-delete", "role-edit"]
)
def test_people_are_invisible_to_users_without_any_role(client, priya, leave, name):
    client.force_login(UserFactory())
    args = {
        "person": [priya.pk],
        "person-edit": [priya.pk],
        "adjustment-create": [priya.pk],
        "adjustment-delete": [priya.pk, leave.pk],
        "role-edit": [priya.role_id],
    }[name]
    before = rows(Resource, CapacityAdjustment, Role)()
    assert client.get(url(name, *args)).status_code == 404
    assert client.post(url(name, *args), person_post(priya.role)).status_code == 404
    assert rows(Resource, CapacityAdjustment, Role)() == before


@pytest.mark.parametrize("name", ["person-create", "person-edit", "role-create", "role-edit"])
def test_readers_get_403_on_the_edit_forms(client, reader, priya, name):
    client.force_login(reader)
    args = {"person-edit": [priya.pk], "role-edit": [priya.role_id]}.get(name, [])
    assert client.get(url(name, *args)).status_code == 403


def test_anonymous_is_sent_to_log_in(client, priya):
    for target in (url("people"), url("person", priya.pk), url("roles")):
        response = client.get(target)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


# --- People list ----------------------------------------------------------------------------


@pytest.fixture
def staff(engineer):
    analyst = RoleFactory(name="Business analyst")
    hl7, react = Skill.objects.create(name="HL7 v2"), Skill.objects.create(name="React")
    priya = ResourceFactory(name="Priya Nair", role=engineer, fte=D("0.8"), cost_rate=120)
    priya.skills.set([hl7])
    tomas = ResourceFactory(name="Tomás Silva", role=engineer)
    tomas.skills.set([hl7, react])
    hannah = ResourceFactory(name="Hannah Brooks", role=analyst, end_date=date(2026, 6, 30))
    return {"priya": priya, "tomas": tomas, "hannah": hannah, "hl7": hl7, "react": react}


def names(response):
    return [person.name for person in response.context["page_obj"].object_list]


def test_people_list_shows_every_column(client, reader, staff):
    client.force_login(reader)
    response = client.get(url("people"))
    assert names(response) == ["Hannah Brooks", "Priya Nair", "Tomás Silva"]
    page = response.content.decode()
    for text in ("Integration engineer", "0.8", "30 Jun 2026", "HL7 v2", "React"):
        assert text in page
    assert "120" not in page  # the hourly cost rate is for those who keep people
    assert "Add person" not in page  # readers read


def test_people_list_shows_the_cost_rate_to_a_resource_manager(client, staff):
    client.force_login(MembershipFactory(role="resource_manager").user)
    page = client.get(url("people")).content.decode()
    assert "120" in page and "Add person" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "nair"}, ["Priya Nair"]),
        ({"role": "engineer"}, ["Priya Nair", "Tomás Silva"]),
        ({"skill": "react"}, ["Tomás Silva"]),
        ({"skill": "hl7", "q": "tom"}, ["Tomás Silva"]),
    ],
)
def test_people_list_filters(client, reader, staff, engineer, query, expected):
    lookup = {"engineer": engineer.pk, "react": staff["react"].pk, "hl7": staff["hl7"].pk}
    params = {key: lookup.get(value, value) for key, value in query.items()}
    client.force_login(reader)
    assert names(client.get(url("people"), params)) == expected


def test_people_list_is_paginated(client, reader, engineer, settings):
    settings.SLATE_PAGE_SIZE = 2
    ResourceFactory.create_batch(5, role=engineer)
    client.force_login(reader)
    response = client.get(url("people"), {"page": 3})
    assert len(names(response)) == 1
    assert response.context["page_obj"].paginator.num_pages == 3


def test_users_without_any_role_see_no_people(client, staff):
    client.force_login(UserFactory())
    assert names(client.get(url("people"))) == []


# --- Person page ----------------------------------------------------------------------------


def test_person_page_shows_capacity_demand_and_over_allocation(client, project, priya, leave):
    """February 2027: 20 working days × 8 h = 160 h, less the week of leave: 120 h.
    Confirmed 0.6 + 0.6 FTE of 160 standard hours = 192 h: 160 %, over-allocated."""
    other = ProjectFactory(portfolio=project.portfolio, code="TEL")
    for allocated in (project, other):
        AllocationFactory(
            project=allocated,
            role=priya.role,
            resource=priya,
            start_month=date(2027, 2, 1),
            end_month=date(2027, 3, 1),
            amount=D("0.6"),
            status="confirmed",
        )
    client.force_login(MembershipFactory(portfolio=project.portfolio, role="executive").user)
    response = client.get(url("person", priya.pk), {"from": "2027-02"})
    plan = response.context["plan"]
    february = plan.capacity_row.cells[0]
    assert (february.capacity, february.confirmed) == (D("120"), D("192.0"))
    assert february.is_conflict
    assert [line.allocation.project.code for line in plan.confirmed] == ["EPR", "TEL"]
    assert plan.confirmed[0].hours[:3] == [D("96.0"), D("110.4"), D("0")]  # 0.6 × 160, × 184
    page = response.content.decode()
    assert 'class="num over-allocated"' in page
    assert "160%" in page
    assert "Whole days" in page  # the leave
    assert "Edit person" not in page


def test_person_page_hides_projects_the_reader_cannot_see(client, project, priya):
    """A project manager without a membership sees their project's hours by name and the
    rest as one line, so the totals still add up."""
    elsewhere = ProjectFactory(portfolio=PortfolioFactory(), code="SECRET")
    for allocated in (project, elsewhere):
        AllocationFactory(
            project=allocated,
            role=priya.role,
            resource=priya,
            start_month=date(2027, 2, 1),
            end_month=date(2027, 2, 1),
            amount=D("0.5"),
            status="confirmed",
        )
    client.force_login(project.manager)
    response = client.get(url("person", priya.pk), {"from": "2027-02"})
    lines = response.context["plan"].confirmed
    assert [line.allocation and line.allocation.project.code for line in lines] == ["EPR", None]
    assert lines[1].hours[0] == D("80.0")
    assert "SECRET" not in response.content.decode()


def test_person_page_for_resource_managers_has_the_edit_and_leave_forms(
    client, resource_manager, priya
):
    client.force_login(resource_manager)
    page = client.get(url("person", priya.pk)).content.decode()
    assert "Edit person" in page
    assert url("adjustment-create", priya.pk) in page


# --- Forms: success and errors --------------------------------------------------------------


def test_person_create_then_edit(client, resource_manager, engineer):
    react = Skill.objects.create(name="React")
    client.force_login(resource_manager)
    response = client.post(url("person-create"), person_post(engineer, skills=[react.pk]))
    person = Resource.objects.get()
    assert response.url == url("person", person.pk)
    assert list(person.skills.all()) == [react]
    response = client.post(
        url("person-edit", person.pk), person_post(engineer, fte="1", end_date="2027-12-31")
    )
    person.refresh_from_db()
    assert (person.fte, person.end_date, list(person.skills.all())) == (
        D("1.00"),
        date(2027, 12, 31),
        [],
    )


def test_person_form_errors_are_shown_on_their_fields(client, resource_manager, engineer):
    client.force_login(resource_manager)
    response = client.post(
        url("person-create"),
        person_post(engineer, name="", fte="1.5", cost_rate="-3", end_date="2025-12-31"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "name": ["This field is required."],  # the form's own check
    }
    response = client.post(
        url("person-create"),
        person_post(engineer, fte="1.5", cost_rate="-3", end_date="2025-12-31"),
    )
    assert response.context["form"].errors == {
        "fte": ["FTE must be more than 0 and at most 1 (1 = full time)."],
        "cost_rate": ["The cost rate must not be negative."],
        "end_date": ["The end date must not be before the start (5 Jan 2026)."],
    }
    assert 'value="Tomás Silva"' in response.content.decode()  # the input is kept
    assert not Resource.objects.exists()


def test_adjustment_error_re_renders_its_own_page(client, resource_manager, priya):
    client.force_login(resource_manager)
    response = client.post(
        url("adjustment-create", priya.pk),
        {"kind": "leave", "start_date": "2027-02-05", "end_date": "2027-02-01"},
    )
    assert response.status_code == 200
    assert response.templates[0].name == "resources/person_adjustment_form.html"
    assert "The last day must not be before the start" in response.content.decode()
    assert not CapacityAdjustment.objects.exists()


def test_adjustment_delete_asks_first(client, resource_manager, priya, leave):
    client.force_login(resource_manager)
    assert "Delete" in client.get(url("adjustment-delete", priya.pk, leave.pk)).content.decode()
    assert CapacityAdjustment.objects.exists()


def test_role_list_counts_people(client, reader, staff, engineer):
    client.force_login(reader)
    response = client.get(url("roles"))
    roles = response.context["page_obj"]
    counted = {role.name: (role.active_people, role.people) for role in roles}
    assert counted == {"Business analyst": (0, 1), "Integration engineer": (2, 2)}


def test_role_duplicate_name_is_a_field_error(client, resource_manager, engineer):
    client.force_login(resource_manager)
    response = client.post(
        url("role-create"), {"name": "Integration engineer", "default_cost_rate": "100"}
    )
    assert "already exists" in response.context["form"].errors["name"][0]


# --- Query counts ---------------------------------------------------------------------------


def _staff(count, role, project):
    skills = [Skill.objects.create(name=f"Skill {n}") for n in range(3)]
    calendar = Calendar.objects.create(name="Standard")
    PublicHoliday.objects.create(calendar=calendar, date=date(2027, 1, 1), name="New Year")
    people = ResourceFactory.create_batch(count, role=role, calendar=calendar)
    for person in people:
        person.skills.set(skills)
        CapacityAdjustment.objects.create(
            resource=person, start_date=date(2027, 3, 1), end_date=date(2027, 3, 5)
        )
        AllocationFactory(
            project=project,
            role=role,
            resource=person,
            start_month=date(2027, 2, 1),
            end_month=date(2027, 6, 1),
            status="confirmed",
        )
    return people


@pytest.mark.parametrize("count", [3, 30])
def test_people_list_query_count_is_constant(
    client, reader, engineer, project, count, django_assert_max_num_queries
):
    _staff(count, engineer, project)
    client.force_login(reader)
    with django_assert_max_num_queries(PEOPLE_LIST_QUERIES):
        assert client.get(url("people")).status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_person_page_query_count_is_constant(
    client, reader, engineer, project, count, django_assert_max_num_queries
):
    """30 allocations of one person (and 30 colleagues in the grid) cost what 3 do."""
    people = _staff(count, engineer, project)
    AllocationFactory.create_batch(
        count,
        project=project,
        role=engineer,
        resource=people[0],
        start_month=date(2027, 2, 1),
        end_month=date(2027, 4, 1),
    )
    client.force_login(reader)
    with django_assert_max_num_queries(PERSON_PAGE_QUERIES):
        response = client.get(url("person", people[0].pk), {"from": "2027-01"})
    assert len(response.context["plan"].requested) == count


# --- Hourly cost rates: for those who keep people --------------------------------------------


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("resource_manager", True),
        ("pmo", True),
        ("portfolio_manager", False),
        ("executive", False),
        ("viewer", False),
    ],
)
def test_cost_rates_shown_only_to_resource_managers_and_the_pmo(client, role, sees):
    portfolio = PortfolioFactory()
    person = ResourceFactory(
        role=RoleFactory(name="Analyst", default_cost_rate=D("87.25")), cost_rate=D("93.75")
    )
    client.force_login(MembershipFactory(portfolio=portfolio, role=role).user)
    pages = [
        client.get(reverse("resources:people")).content.decode(),
        client.get(reverse("resources:person", args=[person.pk])).content.decode(),
        client.get(reverse("resources:roles")).content.decode(),
    ]
    for page, rate in zip(pages, ["93.75", "93.75", "87.25"], strict=True):
        assert (rate in page) is sees
        assert ("Cost rate" in page or "cost rate" in page) is sees


def test_a_project_manager_sees_no_cost_rates(client, project):
    person = ResourceFactory(cost_rate=D("93.75"))
    client.force_login(project.manager)
    page = client.get(reverse("resources:person", args=[person.pk])).content.decode()
    assert "93.75" not in page and "Cost rate" not in page


def test_pmo_admin_sees_cost_rates(client, pmo_admin):
    ResourceFactory(cost_rate=D("93.75"))
    client.force_login(pmo_admin)
    assert "93.75" in client.get(reverse("resources:people")).content.decode()
