"""The plan import pages: upload (to a project, or to a portfolio), preview, import; who may,
and what a file that cannot be imported shows."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects.models import Milestone, PlanImport, Project
from tests.factories import MilestoneFactory, PortfolioFactory, ProjectFactory, UserFactory
from tests.permissions import EDITORS, check_write_access, each_role, rows
from tests.projects.mspdi_files import billing_plan

pytestmark = pytest.mark.django_db

# Session, user, the user's and groups' permissions (is_pmo_admin), the upload with its
# portfolio, project and manager; then, for a project: its milestones, the period's report and
# its imported cost entries (the same however many milestones the plan has).
PREVIEW_QUERIES = 9


@pytest.fixture
def project(portfolio):
    return ProjectFactory(portfolio=portfolio, code="BILL-1", manager=UserFactory())


def plan_file(data=None, name="billing.xml"):
    return SimpleUploadedFile(name, data or billing_plan(), content_type="application/xml")


def preview_url(plan_import):
    return reverse("projects:plan-import-preview", args=[plan_import.pk])


# --- Who may upload -----------------------------------------------------------------------


@each_role
def test_upload_to_a_project_permissions(client, role, project):
    response = check_write_access(
        client,
        role,
        project=project,
        url=reverse("projects:plan-import", args=[project.pk]),
        data={"file": plan_file()},
        snapshot=rows(PlanImport),
    )
    if role in EDITORS:
        assert response.url == preview_url(PlanImport.objects.get())


@each_role
def test_upload_to_a_portfolio_permissions(client, role, project):
    """The portfolio's PMO and portfolio managers; a project's manager only into his project."""
    check_write_access(
        client,
        role,
        project=project,
        url=reverse("projects:plan-import-new", args=[project.portfolio.code]),
        data={"file": plan_file(), "code": "NEW-1"},
        snapshot=rows(PlanImport),
        allowed=("pmo", "portfolio_manager"),
        refused_status={"manager": 403},
    )


def test_only_the_uploader_sees_the_preview_and_imports(client, project, member_of):
    pmo = member_of(project.portfolio, "pmo")
    client.force_login(pmo)
    client.post(reverse("projects:plan-import", args=[project.pk]), {"file": plan_file()})
    plan_import = PlanImport.objects.get()
    client.force_login(member_of(project.portfolio, "pmo"))
    assert client.get(preview_url(plan_import)).status_code == 403
    response = client.post(preview_url(plan_import), {"fingerprint": "x"})
    assert response.status_code == 403
    client.force_login(member_of(PortfolioFactory(), "pmo"))
    assert client.get(preview_url(plan_import)).status_code == 404
    assert not Milestone.objects.exists()


# --- Upload, preview, import --------------------------------------------------------------


def test_upload_preview_and_import_a_new_project(
    client, portfolio, member_of, django_assert_max_num_queries
):
    pmo = member_of(portfolio, "pmo")
    manager = UserFactory(first_name="Mia", last_name="Manager")
    client.force_login(pmo)
    response = client.post(
        reverse("projects:plan-import-new", args=[portfolio.code]),
        {"file": plan_file(), "code": "BILL-9", "manager": manager.pk},
    )
    plan_import = PlanImport.objects.get()
    assert response.url == preview_url(plan_import)
    assert not Project.objects.exists()

    with django_assert_max_num_queries(PREVIEW_QUERIES):
        page = client.get(preview_url(plan_import))
    text = page.content.decode()
    assert 'New project <span class="code">BILL-9</span>' in text
    assert "managed by Mia Manager" in text
    assert "Design signed off" in text and "Go live" in text
    assert "becomes the project's first baseline" in text
    assert "A draft for March 2026 is created." in text
    fingerprint = page.context["preview"].fingerprint

    response = client.post(preview_url(plan_import), {"fingerprint": fingerprint})

    project = Project.objects.get(code="BILL-9")
    assert response.url == reverse("projects:detail", args=[project.pk])
    assert project.manager == manager
    assert project.milestones.count() == 2
    followed = client.get(response.url)
    assert "Imported billing.xml: created BILL-9; 2 milestone(s) added" in followed.content.decode()
    # Opening the preview again leads to the project: the file is imported once.
    again = client.post(preview_url(plan_import), {"fingerprint": fingerprint})
    assert again.url == reverse("projects:detail", args=[project.pk])
    assert Project.objects.count() == 1


def test_a_reimport_preview_shows_nothing_new(client, project):
    client.force_login(project.manager)
    url = reverse("projects:plan-import", args=[project.pk])
    for _ in range(2):
        client.post(url, {"file": plan_file()})
        plan_import = PlanImport.objects.latest("pk")
        page = client.get(preview_url(plan_import))
        client.post(preview_url(plan_import), {"fingerprint": page.context["preview"].fingerprint})
    text = page.content.decode()
    assert "0 new · 0 updated · 2 unchanged" in text
    assert "The draft for March 2026 already says this." in text
    assert project.milestones.count() == 2


def test_a_stale_preview_is_refused_and_shown_again(client, project):
    client.force_login(project.manager)
    client.post(reverse("projects:plan-import", args=[project.pk]), {"file": plan_file()})
    plan_import = PlanImport.objects.get()
    fingerprint = client.get(preview_url(plan_import)).context["preview"].fingerprint
    MilestoneFactory(project=project, name="Go live", weight=0)  # typed in meanwhile

    response = client.post(preview_url(plan_import), {"fingerprint": fingerprint})

    assert response.status_code == 200
    assert "The project changed since you saw the preview" in response.content.decode()
    assert project.milestones.count() == 1
    assert response.context["preview"].milestones[1].matched_by == "name"  # the new preview


def test_a_file_that_cannot_be_read_is_listed_and_nothing_kept(client, project):
    client.force_login(project.manager)
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]><Project>&lol2;</Project>'
    )
    response = client.post(
        reverse("projects:plan-import", args=[project.pk]), {"file": plan_file(bomb, "bomb.xml")}
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "bomb.xml cannot be imported; nothing was kept or changed." in text
    assert "XML bomb" in text
    assert not PlanImport.objects.exists()


def test_a_new_project_without_a_code_asks_for_one(client, portfolio, member_of):
    client.force_login(member_of(portfolio, "portfolio_manager"))
    response = client.post(
        reverse("projects:plan-import-new", args=[portfolio.code]), {"file": plan_file()}
    )
    assert response.status_code == 200
    assert "give the new project a code" in response.context["form"].errors["code"][0]
    assert not PlanImport.objects.exists()


def test_the_plan_page_links_to_the_import(client, project):
    client.force_login(project.manager)
    page = client.get(reverse("projects:edit", args=[project.pk]))
    assert reverse("projects:plan-import", args=[project.pk]) in page.content.decode()


def test_the_candidates_page_links_managers_to_the_import(client, portfolio, member_of):
    client.force_login(member_of(portfolio, "pmo"))
    page = client.get(reverse("portfolio:candidates", args=[portfolio.code]))
    assert reverse("projects:plan-import-new", args=[portfolio.code]) in page.content.decode()


def test_dates_on_the_preview(client, project):
    client.force_login(project.manager)
    client.post(reverse("projects:plan-import", args=[project.pk]), {"file": plan_file()})
    page = client.get(preview_url(PlanImport.objects.get()))
    end = page.context["preview"].project.changes
    assert [(c.label, c.old, c.new) for c in end] == [
        ("Start", date(2026, 1, 1), date(2026, 1, 5)),
        ("End", date(2026, 12, 31), date(2026, 6, 30)),
    ]
    assert "31 Dec 2026" in page.content.decode()


def milestone_plan(count: int) -> bytes:
    from tests.projects.mspdi_files import baseline, mspdi, task

    milestones = [
        task(
            n,
            f"Milestone {n}",
            "2026-03-02",
            "2026-03-02",
            milestone=True,
            baselines=[baseline("2026-03-02", "2026-03-02")],
        )
        for n in range(1, count + 1)
    ]
    return mspdi(task(0, "Plan", "2026-01-05", "2026-06-30", level=0, summary=True), *milestones)


@pytest.mark.parametrize("count", [2, 20])
def test_the_preview_reads_in_the_same_queries_however_many_milestones(
    client, project, count, django_assert_num_queries
):
    """The preview of a re-import (every milestone matched) costs the same at 2 and 20."""
    client.force_login(project.manager)
    url = reverse("projects:plan-import", args=[project.pk])
    for _ in range(2):
        client.post(url, {"file": plan_file(milestone_plan(count))})
        plan_import = PlanImport.objects.latest("pk")
        if plan_import.applied_at is None and project.milestones.count() == 0:
            fingerprint = client.get(preview_url(plan_import)).context["preview"].fingerprint
            client.post(preview_url(plan_import), {"fingerprint": fingerprint})
    assert project.milestones.count() == count
    with django_assert_num_queries(PREVIEW_QUERIES):
        client.get(preview_url(plan_import))
