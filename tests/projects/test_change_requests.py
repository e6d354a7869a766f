"""Change control of BAC and baseline: proposing, approving (envelope check, PMO override),
rejecting; the plan form, set-baseline and API refuse direct edits."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from projects import services
from projects.models import Baseline, ChangeRequest, Milestone, Project
from tests.factories import MilestoneFactory, ProjectFactory, UserFactory
from tests.permissions import check_write_access, each_role, rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(portfolio):
    portfolio.budget_envelope = Decimal("1000000")
    portfolio.save()
    return ProjectFactory(
        portfolio=portfolio, manager=UserFactory(username="pm"), budget=Decimal("600000")
    )


@pytest.fixture
def pmo(project, member_of):
    return member_of(project.portfolio, "pmo")


def propose(project, **data):
    return services.change_request_propose(
        project=project, data={"reason": "Scope added: SEPA instant", **data}, by=project.manager
    )


def snapshot():
    return rows(Project, Milestone, Baseline, ChangeRequest)()


# --- Direct edits are refused ----------------------------------------------------------------


def test_plan_form_post_of_a_new_bac_is_ignored_and_the_service_refuses_it(client, project):
    client.force_login(project.manager)
    page = client.get(reverse("projects:edit", args=[project.pk])).content.decode()
    assert 'name="budget"' not in page
    client.post(
        reverse("projects:edit", args=[project.pk]),
        {
            "name": project.name,
            "stage": project.stage,
            "manager": project.manager_id,
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "expected_benefit": "0",
            "budget": "9500000",  # forged: not a field of the form any more
            "version": 1,
        },
    )
    project.refresh_from_db()
    assert project.budget == Decimal("600000")
    for field in ("budget", "baseline_end"):
        with pytest.raises(ValidationError) as error:
            services.project_update(
                project=project,
                data={field: date(2027, 1, 1)},
                expected_version=1,
                by=project.manager,
            )
        assert "propose a change request" in error.value.message_dict[field][0]


def test_service_refusal_leaves_the_db_unchanged(project):
    before = snapshot()
    with pytest.raises(ValidationError):
        services.project_update(
            project=project,
            data={"name": "Renamed", "budget": Decimal("9500000")},
            expected_version=1,
            by=project.manager,
        )
    assert snapshot() == before


def test_set_baseline_is_refused_once_a_baseline_exists(client, project):
    client.force_login(project.manager)
    before = snapshot()
    response = client.post(
        reverse("projects:set-baseline", args=[project.pk]), {"version": 1}, follow=True
    )
    assert "propose a change request" in response.content.decode()
    assert snapshot() == before


def test_milestone_baseline_date_is_refused_once_the_project_has_a_baseline(project):
    milestone = MilestoneFactory(project=project)
    with pytest.raises(ValidationError) as error:
        services.milestone_update(
            milestone=milestone,
            data={"baseline_date": date(2026, 12, 1)},
            expected_version=1,
            by=project.manager,
        )
    assert "propose a change request" in error.value.message_dict["baseline_date"][0]


def test_first_baseline_of_a_project_being_planned_is_set_directly(project):
    planning = ProjectFactory(
        portfolio=project.portfolio,
        manager=project.manager,
        stage="candidate",
        baseline_start=None,
        baseline_end=None,
    )
    services.project_update(
        project=planning, data={"budget": Decimal("250000")}, expected_version=1, by=project.manager
    )
    services.project_set_baseline(project=planning, expected_version=2, by=project.manager)
    planning.refresh_from_db()
    assert planning.budget == Decimal("250000") and planning.baseline_version == 0
    original = Baseline.objects.get(project=planning)
    assert (original.version, original.budget, original.end) == (
        0,
        Decimal("250000"),
        date(2026, 12, 31),
    )


def test_api_does_not_write_the_bac(client, project):
    """The API edits a plan through the same service as the page: a baselined project's BAC
    changes only by an approved change request, whatever the request carries."""
    client.force_login(project.manager)
    before = snapshot()
    url = f"/api/projects/{project.pk}/"
    etag = client.get(url)["ETag"]
    response = client.patch(
        url, {"budget": "9500000"}, content_type="application/json", headers={"If-Match": etag}
    )
    assert response.status_code == 400
    assert "budget" in response.json()
    assert snapshot() == before


# --- Propose, approve, reject -------------------------------------------------------------------


def test_propose_then_approve_updates_bac_and_adds_a_baseline_version(project, pmo):
    milestone = MilestoneFactory(project=project, baseline_date=date(2026, 6, 30))
    change = propose(
        project,
        budget=Decimal("700000"),
        baseline_end=date(2027, 3, 31),
        milestone_dates={milestone.pk: date(2026, 9, 30)},
    )
    project.refresh_from_db()
    assert project.budget == Decimal("600000")  # nothing changes before the approval
    services.change_request_approve(change_request=change, by=pmo, note="Funded")
    project.refresh_from_db()
    milestone.refresh_from_db()
    assert (project.budget, project.baseline_end, project.baseline_version) == (
        Decimal("700000"),
        date(2027, 3, 31),
        1,
    )
    assert milestone.baseline_date == date(2026, 9, 30)
    versions = list(
        Baseline.objects.filter(project=project).values_list("version", "budget", "end")
    )
    assert versions == [
        (0, Decimal("600000.00"), date(2026, 12, 31)),
        (1, Decimal("700000.00"), date(2027, 3, 31)),
    ]
    change.refresh_from_db()
    assert (change.status, change.decided_by, change.baseline.version) == ("approved", pmo, 1)


def test_reject_leaves_the_project_as_it_was(project, pmo):
    change = propose(project, budget=Decimal("700000"))
    before = rows(Project, Milestone, Baseline)()
    with pytest.raises(ValidationError):  # a rejection says why
        services.change_request_reject(change_request=change, by=pmo, note="")
    services.change_request_reject(change_request=change, by=pmo, note="Not funded")
    assert rows(Project, Milestone, Baseline)() == before
    change.refresh_from_db()
    assert (change.status, change.decision_note) == ("rejected", "Not funded")
    with pytest.raises(ValidationError):
        services.change_request_approve(change_request=change, by=pmo)


def test_a_proposal_needs_a_reason_and_a_change(project):
    with pytest.raises(ValidationError) as error:
        services.change_request_propose(
            project=project, data={"budget": Decimal("700000"), "reason": " "}, by=project.manager
        )
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError):
        propose(project, budget=project.budget)
    assert not ChangeRequest.objects.exists()


def test_approving_beyond_the_envelope_is_refused_without_an_override(project, pmo, pmo_admin):
    ProjectFactory(portfolio=project.portfolio, budget=Decimal("300000"))  # 900,000 committed
    change = propose(project, budget=Decimal("900000"))  # would commit 1,200,000
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.change_request_approve(change_request=change, by=pmo)
    assert "beyond its budget envelope" in error.value.message_dict["override_reason"][0]
    with pytest.raises(ValidationError) as error:  # only a PMO admin may override
        services.change_request_approve(change_request=change, by=pmo, override_reason="Board")
    assert "PMO admin" in error.value.message_dict["override_reason"][0]
    assert snapshot() == before

    services.change_request_approve(
        change_request=change, by=pmo_admin, override_reason="Board approved the overrun"
    )
    change.refresh_from_db()
    assert change.envelope_override_reason == "Board approved the overrun"
    assert Project.objects.get(pk=project.pk).budget == Decimal("900000")


def test_a_cut_is_approved_even_when_the_envelope_is_already_exceeded(project, pmo):
    ProjectFactory(portfolio=project.portfolio, budget=Decimal("900000"))
    change = propose(project, budget=Decimal("500000"))
    services.change_request_approve(change_request=change, by=pmo)
    assert Project.objects.get(pk=project.pk).budget == Decimal("500000")


@pytest.mark.parametrize("role", ["manager", "executive", "viewer", "resource_manager"])
def test_only_pmo_and_portfolio_managers_decide(project, member_of, role):
    change = propose(project, budget=Decimal("700000"))
    user = project.manager if role == "manager" else member_of(project.portfolio, role)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.change_request_approve(change_request=change, by=user)
    with pytest.raises(PermissionDenied):
        services.change_request_reject(change_request=change, by=user, note="No")
    assert snapshot() == before


# --- Pages: the shared role matrix --------------------------------------------------------------


@each_role
def test_propose_permissions(client, role, project):
    check_write_access(
        client,
        role,
        project=project,
        url=reverse("projects:change-request-create", args=[project.pk]),
        data={
            "budget": "700000",
            "baseline_start": "2026-01-01",
            "baseline_end": "2026-12-31",
            "reason": "Scope added",
        },
        snapshot=rows(ChangeRequest, Project),
        success_url=reverse("projects:edit", args=[project.pk]),
    )


@each_role
@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_decide_permissions(client, role, decision, project):
    change = propose(project, budget=Decimal("700000"))
    check_write_access(
        client,
        role,
        project=project,
        url=reverse("projects:change-request-decide", args=[project.portfolio.code, change.pk]),
        data={"decision": decision, "note": "Decided"},
        snapshot=rows(ChangeRequest, Project, Baseline),
        success_url=reverse("projects:change-requests", args=[project.portfolio.code]),
        allowed=("pmo", "portfolio_manager"),
        refused_status={"manager": 403},
    )


def test_pending_list_shows_the_envelope_impact_and_refusal_keeps_the_input(client, project, pmo):
    change = propose(project, budget=Decimal("1200000"))
    client.force_login(pmo)
    url = reverse("projects:change-requests", args=[project.portfolio.code])
    page = client.get(url).content.decode()
    assert project.code in page and "Scope added: SEPA instant" in page
    assert "1,200,000" in page and "beyond the envelope" in page
    response = client.post(
        reverse("projects:change-request-decide", args=[project.portfolio.code, change.pk]),
        {"decision": "approve", "note": "ok"},
    )
    assert response.status_code == 400
    assert "beyond its budget envelope" in response.content.decode()
    assert ChangeRequest.objects.get(pk=change.pk).status == "proposed"


def test_project_page_shows_original_beside_current_and_the_history(client, project, pmo):
    change = propose(project, budget=Decimal("700000"), baseline_end=date(2027, 2, 28))
    services.change_request_approve(change_request=change, by=pmo)
    client.force_login(pmo)
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "Original" in page and "600,000" in page and "700,000" in page
    assert "original 31 Dec 2026" in page
    assert "Scope added: SEPA instant" in page and "Baseline version 1" in page


def test_dashboard_counts_rebaselined_projects(client, project, pmo):
    other = ProjectFactory(portfolio=project.portfolio, budget=Decimal("100000"))
    change = propose(project, budget=Decimal("650000"))
    services.change_request_approve(change_request=change, by=pmo)
    client.force_login(pmo)
    response = client.get(reverse("portfolio:detail", args=[project.portfolio.code]))
    exceptions = response.context["board"].exceptions
    assert [row.project.code for row in exceptions.rebaselined] == [project.code]
    assert other.code not in [row.project.code for row in exceptions.rebaselined]
    assert "Re-baselined" in response.content.decode()


def test_the_admin_shows_change_requests_and_baselines_but_changes_neither(
    client, project, pmo_admin
):
    request = propose(project, budget="700000")
    client.force_login(pmo_admin)
    listing = client.get(reverse("admin:projects_changerequest_changelist"))
    assert listing.status_code == 200
    assert project.code in listing.content.decode()
    assert client.get(reverse("admin:projects_baseline_changelist")).status_code == 200
    assert client.get(reverse("admin:projects_changerequest_add")).status_code == 403
    before = snapshot()
    client.post(
        reverse("admin:projects_changerequest_change", args=[request.pk]),
        {"status": "approved", "reason": request.reason},
    )
    assert snapshot() == before
