"""Plan views: project edit, baseline, milestones (list, add, edit, delete, reorder)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.models import Milestone, Project
from tests.factories import MilestoneFactory, ProjectFactory, UserFactory
from tests.permissions import check_write_access, each_role, rows

pytestmark = pytest.mark.django_db

# Per request: session, user, and the user's and groups' permissions (access.is_pmo_admin);
# then the project (with portfolio, program, manager, sponsor), the user's role in the
# portfolio (edit buttons) and the milestones.
MILESTONE_LIST_QUERIES = 7


@pytest.fixture
def project(portfolio):
    return ProjectFactory(
        portfolio=portfolio, manager=UserFactory(first_name="Pat", last_name="Manager")
    )


@pytest.fixture
def milestones(project):
    return [
        MilestoneFactory(
            project=project,
            name=name,
            sequence=n,
            baseline_date=date(2026, 3 * n, 28),
            forecast_date=date(2026, 3 * n, 28) + timedelta(days=10 * n),
        )
        for n, name in enumerate(["Design", "Build", "Test"], start=1)
    ]


def plan_data(project, **changes):
    data = {
        "name": project.name,
        "description": project.description,
        "program": "",
        "stage": project.stage,
        "manager": project.manager_id,
        "sponsor": "",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "budget": "100000",
        "expected_benefit": "0",
        "version": project.version,
    }
    return {**data, **changes}


def milestone_data(**changes):
    data = {
        "name": "Go-live",
        "weight": "20",
        "baseline_date": "2026-09-30",
        "forecast_date": "2026-10-15",
        "actual_date": "",
        "status": "planned",
        "version": 1,
    }
    return {**data, **changes}


def clear_baseline(project):
    """Make `project` one still being planned: only such a project's baseline is set from the
    plan (afterwards it changes through change requests)."""
    Project.objects.filter(pk=project.pk).update(baseline_start=None, baseline_end=None)
    project.baseline_start = project.baseline_end = None


def url(name, project, *args):
    return reverse(f"projects:{name}", args=[project.pk, *args])


# --- Who may write: the shared role matrix ------------------------------------------------


@each_role
def test_project_edit_permissions(client, role, project):
    check_write_access(
        client,
        role,
        project=project,
        url=url("edit", project),
        data=plan_data(project, name="Billing rewrite", end_date="2027-03-31"),
        snapshot=rows(Project),
        success_url=url("detail", project),
    )


@each_role
def test_set_baseline_permissions(client, role, project, milestones):
    clear_baseline(project)
    check_write_access(
        client,
        role,
        project=project,
        url=url("set-baseline", project),
        data={"version": project.version},
        snapshot=rows(Project, Milestone),
        success_url=url("edit", project),
    )


@each_role
def test_milestone_create_permissions(client, role, project):
    check_write_access(
        client,
        role,
        project=project,
        url=url("milestone-create", project),
        data=milestone_data(),
        snapshot=rows(Milestone),
        success_url=url("milestones", project),
    )


@each_role
def test_milestone_edit_permissions(client, role, project, milestones):
    check_write_access(
        client,
        role,
        project=project,
        url=url("milestone-edit", project, milestones[0].pk),
        data=milestone_data(name="Design signed off"),
        snapshot=rows(Milestone),
        success_url=url("milestones", project),
    )


@each_role
def test_milestone_delete_permissions(client, role, project, milestones):
    check_write_access(
        client,
        role,
        project=project,
        url=url("milestone-delete", project, milestones[0].pk),
        data={},
        snapshot=rows(Milestone),
        success_url=url("milestones", project),
    )


@each_role
def test_milestones_reorder_permissions(client, role, project, milestones):
    reversed_ids = ",".join(str(m.pk) for m in reversed(milestones))
    check_write_access(
        client,
        role,
        project=project,
        url=url("milestones-reorder", project),
        data={"order": reversed_ids},
        snapshot=rows(Milestone),
        success_url=url("milestones", project),
    )


@pytest.mark.parametrize("name", ["edit", "milestone-create"])
def test_readers_do_not_get_edit_forms(client, project, member_of, name):
    client.force_login(member_of(project.portfolio, "viewer"))
    assert client.get(url(name, project)).status_code == 403


@pytest.mark.parametrize("name", ["set-baseline", "milestones-reorder"])
def test_post_only_actions_refuse_get(client, project, name):
    client.force_login(project.manager)
    assert client.get(url(name, project)).status_code == 405


# --- Editing the plan -----------------------------------------------------------------------


def test_edit_saves_and_says_so(client, project):
    client.force_login(project.manager)
    response = client.post(
        url("edit", project), plan_data(project, name="Billing rewrite"), follow=True
    )
    assert response.redirect_chain[-1][0] == url("detail", project)
    assert f"Plan of {project.code} saved." in response.content.decode()
    project.refresh_from_db()
    assert (project.name, project.version) == ("Billing rewrite", 2)


def test_end_before_start_keeps_the_input_and_names_the_field(client, project):
    client.force_login(project.manager)
    response = client.post(
        url("edit", project),
        plan_data(
            project, name="Typed but not saved", start_date="2026-06-01", end_date="2026-05-01"
        ),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "end_date" in form.errors
    assert 'value="Typed but not saved"' in response.content.decode()
    assert Project.objects.get(pk=project.pk).name == project.name


def test_a_stage_change_without_gate_is_refused_on_the_stage_field(client, project):
    client.force_login(project.manager)
    response = client.post(url("edit", project), plan_data(project, stage="closed"))
    assert response.status_code == 200
    [message] = response.context["form"].errors["stage"]
    assert "Moving from In progress to Closed needs a gate decision" in message
    assert message in response.content.decode()
    assert Project.objects.get(pk=project.pk).stage == "in_progress"


def test_a_stale_version_shows_the_conflict_and_saving_again_goes_through(client, project):
    stale = plan_data(project, name="My name")  # the manager opened the form at version 1
    client.force_login(UserFactory(username="other-pm", is_superuser=True))
    client.post(url("edit", project), plan_data(project, budget="250000"))  # saved first
    client.force_login(project.manager)

    response = client.post(url("edit", project), stale)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.conflict is not None
    page = response.content.decode()
    assert "Not saved: other-pm changed this" in page
    assert "Budget (BAC)" in page  # the conflict table names the field they changed
    assert 'name="version" value="2"' in page  # saving again claims the newer version
    assert Project.objects.get(pk=project.pk).name == project.name

    resubmitted = {**stale, "version": form.data["version"]}
    assert client.post(url("edit", project), resubmitted).status_code == 302
    assert Project.objects.get(pk=project.pk).name == "My name"


def test_set_baseline_copies_the_plan_and_says_who_and_when(client, project, milestones):
    clear_baseline(project)
    Project.objects.filter(pk=project.pk).update(
        start_date=date(2026, 2, 1), end_date=date(2027, 1, 31)
    )
    client.force_login(project.manager)
    response = client.post(url("set-baseline", project), {"version": 1}, follow=True)
    page = response.content.decode()
    assert "Baseline set by Pat Manager on " in page
    assert "1 Feb 2026 – 31 Jan 2027" in page
    project.refresh_from_db()
    assert (project.baseline_start, project.baseline_end) == (date(2026, 2, 1), date(2027, 1, 31))
    assert project.baseline_set_by == project.manager
    assert all(m.baseline_date == m.forecast_date for m in project.milestones.all())


def test_set_baseline_with_a_stale_version_changes_nothing(client, project):
    clear_baseline(project)
    client.force_login(project.manager)
    response = client.post(url("set-baseline", project), {"version": 7}, follow=True)
    assert "saved a newer version while you were editing" in response.content.decode()
    project.refresh_from_db()
    assert project.baseline_set_at is None


# --- Milestones -------------------------------------------------------------------------------


def test_milestone_list_shows_slip_weight_and_reorder_buttons(
    client, project, milestones, monkeypatch
):
    # Before the forecasts: each milestone slips by its forecast, not yet by the calendar.
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: date(2026, 3, 1))
    client.force_login(project.manager)
    response = client.get(url("milestones", project))
    page = response.content.decode()
    rows_ = response.context["rows"]
    assert [row.slip_days for row in rows_] == [10, 20, 30]
    assert response.context["total_weight"] == Decimal("75")
    assert "+10&nbsp;d" in page and "75%" in page
    first, second, third = (m.pk for m in milestones)
    # Moving "Build" up posts the whole new order.
    assert rows_[1].move_up_order == f"{second},{first},{third}"
    assert rows_[0].move_up_order == "" and rows_[2].move_down_order == ""
    assert f'value="{second},{first},{third}"' in page
    assert url("milestone-create", project) in page


def test_readers_see_milestones_without_edit_buttons(client, project, milestones, member_of):
    client.force_login(member_of(project.portfolio, "executive"))
    response = client.get(url("milestones", project))
    page = response.content.decode()
    assert response.status_code == 200 and "Design" in page
    assert url("milestones-reorder", project) not in page
    assert url("milestone-create", project) not in page
    assert url("milestone-edit", project, milestones[0].pk) not in page


def test_reorder_moves_a_milestone_up(client, project, milestones):
    design, build, test = milestones
    client.force_login(project.manager)
    response = client.post(
        url("milestones-reorder", project),
        {"order": f"{build.pk},{design.pk},{test.pk}"},
        follow=True,
    )
    assert "Milestone order saved." in response.content.decode()
    assert list(project.milestones.order_by("sequence").values_list("name", flat=True)) == [
        "Build",
        "Design",
        "Test",
    ]


def test_reorder_with_an_incomplete_order_changes_nothing(client, project, milestones):
    client.force_login(project.manager)
    before = rows(Milestone)()
    response = client.post(
        url("milestones-reorder", project), {"order": str(milestones[0].pk)}, follow=True
    )
    assert "must list every milestone of the project once" in response.content.decode()
    assert rows(Milestone)() == before


def test_milestone_weights_over_100_keep_the_input(client, project, milestones):
    client.force_login(project.manager)
    response = client.post(
        url("milestone-create", project), milestone_data(name="Hypercare", weight="30")
    )
    assert response.status_code == 200
    [message] = response.context["form"].errors["weight"]
    assert "would add up to 105" in message and "may not exceed 100 %" in message
    assert 'value="Hypercare"' in response.content.decode()
    assert project.milestones.count() == 3


def test_milestone_create_adds_it_last(client, project, milestones):
    client.force_login(project.manager)
    response = client.post(url("milestone-create", project), milestone_data(), follow=True)
    assert "Milestone “Go-live” added." in response.content.decode()
    added = project.milestones.get(name="Go-live")
    assert (added.sequence, added.weight) == (4, Decimal("20"))


def test_milestone_edit_with_a_stale_version_shows_the_conflict(client, project, milestones):
    design = milestones[0]
    client.force_login(project.manager)
    client.post(url("milestone-edit", project, design.pk), milestone_data(name="Design v2"))
    response = client.post(
        url("milestone-edit", project, design.pk), milestone_data(name="Design v3", version=1)
    )
    assert response.status_code == 200
    assert response.context["form"].conflict is not None
    assert "Your entries are kept below" in response.content.decode()
    assert Milestone.objects.get(pk=design.pk).name == "Design v2"


def test_milestone_delete_asks_first(client, project, milestones):
    design = milestones[0]
    client.force_login(project.manager)
    confirm = client.get(url("milestone-delete", project, design.pk))
    assert confirm.status_code == 200
    assert "Delete the milestone" in confirm.content.decode()
    assert Milestone.objects.filter(pk=design.pk).exists()
    response = client.post(url("milestone-delete", project, design.pk), follow=True)
    assert "Milestone “Design” deleted." in response.content.decode()
    assert not Milestone.objects.filter(pk=design.pk).exists()


def test_a_milestone_of_another_project_is_not_found(client, project, portfolio):
    elsewhere = MilestoneFactory(project=ProjectFactory(portfolio=portfolio))
    client.force_login(project.manager)
    assert client.get(url("milestone-edit", project, elsewhere.pk)).status_code == 404


@pytest.mark.parametrize("count", [3, 30])
def test_milestone_list_queries_do_not_grow(
    client, project, member_of, count, django_assert_max_num_queries
):
    Milestone.objects.bulk_create(
        MilestoneFactory.build(project=project, sequence=n, weight=Decimal("1"))
        for n in range(count)
    )
    client.force_login(member_of(project.portfolio, "pmo"))
    with django_assert_max_num_queries(MILESTONE_LIST_QUERIES):
        response = client.get(url("milestones", project))
    assert len(response.context["rows"]) == count
