"""Stage gates: record_gate_decision moves the project where its outcome says, with
history; who may decide; the gate decision page and its role matrix; the pending gate
decisions rule and page; a project's gate history for the project page."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portfolio import services, strategy
from portfolio.models import GateDecision
from projects.models import Project
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.permissions import each_role, rows
from tests.portfolio.test_strategy_views import check_access

pytestmark = pytest.mark.django_db

GATE_DECIDERS = ("pmo", "portfolio_manager", "executive")


@pytest.fixture
def decider(portfolio):
    return MembershipFactory(portfolio=portfolio, role="executive").user


def decide(project, by, *, to_stage, outcome="go", **extra):
    return services.record_gate_decision(
        project=project,
        to_stage=to_stage,
        outcome=outcome,
        decided_on=extra.pop("decided_on", timezone.localdate()),
        rationale=extra.pop("rationale", "Business case holds."),
        conditions=extra.pop("conditions", ""),
        by=by,
        **extra,
    )


def stage_of(project):
    return Project.objects.values_list("stage", flat=True).get(pk=project.pk)


# --- record_gate_decision -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "to_stage"),
    [
        ("idea", "candidate"),
        ("candidate", "approved"),
        ("approved", "in_progress"),
        ("in_progress", "closing"),
        ("closing", "closed"),
        ("on_hold", "in_progress"),
    ],
)
def test_go_moves_through_the_gate(portfolio, decider, stage, to_stage):
    project = ProjectFactory(portfolio=portfolio, stage=stage)
    decision = decide(project, decider, to_stage=to_stage, conditions=" Funding by Q2 ")
    assert stage_of(project) == to_stage == project.stage
    assert (decision.from_stage, decision.to_stage, decision.outcome) == (stage, to_stage, "go")
    assert decision.decided_by == decider and decision.conditions == "Funding by Q2"


@pytest.mark.parametrize(
    ("stage", "to_stage", "outcome", "result"),
    [
        ("candidate", "approved", "no_go", "cancelled"),
        ("in_progress", "closing", "no_go", "cancelled"),
        ("candidate", "approved", "hold", "on_hold"),
        ("approved", "in_progress", "hold", "on_hold"),
        ("candidate", "approved", "recycle", "idea"),
        ("approved", "in_progress", "recycle", "candidate"),
        ("in_progress", "closing", "recycle", "in_progress"),  # stays, reworks, comes back
        ("closing", "closed", "recycle", "in_progress"),
        ("idea", "candidate", "recycle", "idea"),
    ],
)
def test_other_outcomes(portfolio, decider, stage, to_stage, outcome, result):
    project = ProjectFactory(portfolio=portfolio, stage=stage)
    decision = decide(project, decider, to_stage=to_stage, outcome=outcome)
    assert stage_of(project) == result
    assert (decision.from_stage, decision.to_stage) == (stage, to_stage)
    row = strategy.project_gate_decisions(project=project)[0]
    assert row.result_stage == result


def test_stage_change_is_versioned_and_in_the_history(portfolio, decider):
    project = ProjectFactory(portfolio=portfolio, stage="candidate")
    decide(project, decider, to_stage="approved")
    project.refresh_from_db()
    assert project.version == 2
    latest = project.history.order_by("-history_date", "-history_id").first()
    assert (latest.stage, latest.version, latest.history_user) == ("approved", 2, decider)
    previous = latest.prev_record
    assert previous is not None and previous.stage == "candidate"


def test_recycle_that_stays_does_not_bump_the_version(portfolio, decider):
    project = ProjectFactory(portfolio=portfolio, stage="in_progress")
    decide(project, decider, to_stage="closing", outcome="recycle")
    project.refresh_from_db()
    assert project.version == 1 and GateDecision.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"to_stage": "closed"}, "to_stage"),  # not the next gate from candidate
        ({"outcome": "maybe"}, "outcome"),
        ({"rationale": "   "}, "rationale"),
        ({"decided_on": date(2999, 1, 1)}, "decided_on"),
    ],
)
def test_invalid_decisions_refused(portfolio, decider, changes, field):
    project = ProjectFactory(portfolio=portfolio, stage="candidate")
    to_stage = changes.pop("to_stage", "approved")
    with pytest.raises(ValidationError) as refused:
        decide(project, decider, to_stage=to_stage, **changes)
    assert field in refused.value.message_dict
    assert stage_of(project) == "candidate" and not GateDecision.objects.exists()


@pytest.mark.parametrize("stage", ["closed", "cancelled"])
def test_no_gate_after_the_end(portfolio, decider, stage):
    project = ProjectFactory(portfolio=portfolio, stage=stage)
    with pytest.raises(ValidationError) as refused:
        decide(project, decider, to_stage="in_progress")
    assert "no further stage" in refused.value.message_dict["to_stage"][0]


def test_stale_version_refused(portfolio, decider):
    project = ProjectFactory(portfolio=portfolio, stage="candidate")
    Project.objects.filter(pk=project.pk).update(version=2)
    with pytest.raises(ValidationError, match="changed while you were deciding"):
        decide(project, decider, to_stage="approved", expected_version=1)
    assert not GateDecision.objects.exists()


@pytest.mark.parametrize("role", ["viewer", "resource_manager"])
def test_readers_may_not_decide(portfolio, role):
    project = ProjectFactory(portfolio=portfolio, stage="candidate")
    reader = MembershipFactory(portfolio=portfolio, role=role).user
    with pytest.raises(PermissionDenied):
        decide(project, reader, to_stage="approved")
    assert stage_of(project) == "candidate"


def test_project_manager_may_not_decide_on_own_project(portfolio):
    project = ProjectFactory(portfolio=portfolio, stage="candidate", manager=UserFactory())
    with pytest.raises(PermissionDenied):
        decide(project, project.manager, to_stage="approved")


def test_member_of_another_portfolio_may_not_decide(portfolio, other_portfolio):
    project = ProjectFactory(portfolio=portfolio, stage="candidate")
    stranger = MembershipFactory(portfolio=other_portfolio, role="pmo").user
    with pytest.raises(PermissionDenied):
        decide(project, stranger, to_stage="approved")


@pytest.mark.parametrize("role", GATE_DECIDERS)
def test_deciders(portfolio, role):
    project = ProjectFactory(portfolio=portfolio, stage="candidate")
    decide(project, MembershipFactory(portfolio=portfolio, role=role).user, to_stage="approved")
    assert stage_of(project) == "approved"


def test_pmo_admin_decides_anywhere(portfolio, pmo_admin):
    project = ProjectFactory(portfolio=portfolio, stage="approved")
    decide(project, pmo_admin, to_stage="in_progress")
    assert stage_of(project) == "in_progress"


# --- The gate decision page ------------------------------------------------------------------


@pytest.fixture
def gated(portfolio):
    return ProjectFactory(portfolio=portfolio, stage="candidate", manager=UserFactory())


def gate_url(project):
    return reverse("portfolio:gate-decision", args=[project.pk])


def gate_data(project, **changes):
    data = {
        "to_stage": "approved",
        "outcome": "go",
        "decided_on": timezone.localdate().isoformat(),
        "rationale": "Scores and business case approved by the board.",
        "conditions": "",
        "version": project.version,
    }
    return {**data, **changes}


@each_role
def test_gate_decision_permissions(client, role, gated):
    """PMO, portfolio managers and executives decide; the project's own manager, viewers and
    resource managers get 403 and nothing changes (project stage and gate decisions)."""
    check_access(
        client,
        role,
        allowed=GATE_DECIDERS,
        project=gated,
        url=gate_url(gated),
        data=gate_data(gated),
        snapshot=rows(Project, GateDecision),
        success_url=reverse("projects:detail", args=[gated.pk]),
    )


@pytest.mark.parametrize("role", ["manager", "viewer", "resource_manager"])
def test_gate_page_refused_to_non_deciders(client, gated, role):
    user = (
        gated.manager
        if role == "manager"
        else MembershipFactory(portfolio=gated.portfolio, role=role).user
    )
    client.force_login(user)
    assert client.get(gate_url(gated)).status_code == 403


def test_gate_page_offers_the_next_stages(client, portfolio, decider):
    held = ProjectFactory(portfolio=portfolio, stage="on_hold")
    client.force_login(decider)
    response = client.get(gate_url(held))
    assert response.status_code == 200
    assert [value for value, _ in response.context["form"].fields["to_stage"].choices] == [
        "candidate",
        "approved",
        "in_progress",
    ]


def test_gate_page_without_rationale_shows_the_error(client, gated, decider):
    client.force_login(decider)
    response = client.post(gate_url(gated), gate_data(gated, rationale=""))
    assert response.status_code == 200
    assert "rationale" in response.context["form"].errors
    assert stage_of(gated) == "candidate"


def test_gate_page_refuses_a_stale_page(client, gated, decider):
    client.force_login(decider)
    data = gate_data(gated)
    decide(gated, decider, to_stage="approved", outcome="hold")  # someone decided meanwhile
    response = client.post(gate_url(gated), data)
    assert response.status_code == 200
    assert "changed while you were deciding" in response.content.decode()
    assert stage_of(gated) == "on_hold" and GateDecision.objects.count() == 1


def test_gate_page_for_a_closed_project_has_no_form(client, portfolio, decider):
    closed = ProjectFactory(portfolio=portfolio, stage="closed")
    client.force_login(decider)
    page = client.get(gate_url(closed)).content.decode()
    assert "No gate ahead" in page and 'name="outcome"' not in page


def test_gate_decisions_include(portfolio, decider, django_assert_num_queries):
    project = ProjectFactory(portfolio=portfolio, stage="candidate")
    decide(project, decider, to_stage="approved", rationale="Strong case.", conditions="Q2")
    decide(project, decider, to_stage="in_progress", outcome="hold", rationale="Wait.")
    with django_assert_num_queries(2):
        decisions = strategy.project_gate_decisions(project=project)
    html = render_to_string("includes/gate_decisions.html", {"decisions": decisions})
    assert [row.result_label for row in decisions] == ["On hold", "Approved"]
    for text in ("Candidate → Approved", "Approved → In progress", "Strong case.", "Q2", "Hold"):
        assert text in html
    empty = render_to_string("includes/gate_decisions.html", {"decisions": []})
    assert "No gate decisions yet" in empty


# --- Pending gate decisions --------------------------------------------------------------------


def test_pending_rule(portfolio, other_portfolio, pmo_admin):
    today = timezone.localdate()

    def make(code, stage, start_days=-200, end_days=90, where=portfolio):
        return ProjectFactory(
            portfolio=where,
            code=code,
            stage=stage,
            start_date=today + timedelta(days=start_days),
            end_date=today + timedelta(days=end_days),
        )

    due_start = make("A1", "approved", start_days=-3)
    make("A2", "approved", start_days=0)  # starts today: not yet overdue
    due_end = make("P1", "in_progress", end_days=-1)
    make("P2", "in_progress", end_days=0)  # ends today: not yet overdue
    make("X", "approved", start_days=-9, where=other_portfolio)
    old, fresh, recycled = (make(code, "candidate") for code in ("C1", "C2", "C3"))
    long_ago = timezone.now() - timedelta(days=45)
    Project.objects.filter(pk__in=[old.pk, recycled.pk]).update(created_at=long_ago)
    Project.objects.filter(pk=fresh.pk).update(created_at=timezone.now() - timedelta(days=29))
    GateDecision.objects.create(
        project=recycled,
        from_stage="approved",
        to_stage="in_progress",
        outcome="recycle",
        decided_by=pmo_admin,
        decided_on=today - timedelta(days=10),
        rationale="Rework the estimate.",
    )
    pending = list(
        strategy.pending_gate_decisions(portfolio=portfolio, user=pmo_admin, as_of=today)
    )
    # Longest overdue first: waiting 45 days, started 3 days late, ended 1 day ago.
    assert [(p.code, p.due_gate) for p in pending] == [
        ("C1", "approved"),
        ("A1", "in_progress"),
        ("P1", "closing"),
    ]
    assert pending[0].overdue_since == timezone.localtime(long_ago).date()
    assert pending[1].overdue_since == due_start.start_date
    assert pending[2].overdue_since == due_end.end_date


def test_pending_page_shows_the_rule_and_links(client, portfolio, decider):
    today = timezone.localdate()
    late = ProjectFactory(
        portfolio=portfolio,
        stage="in_progress",
        start_date=today - timedelta(days=100),
        end_date=today - timedelta(days=12),
    )
    client.force_login(decider)
    page = client.get(reverse("portfolio:pending-gates", args=[portfolio.code])).content.decode()
    assert "A gate decision is pending when" in page
    assert gate_url(late) in page and "Planned end" in page


# 4 per request: the session, the user, and the user's and their groups' permissions.
# Then: the portfolio, page count, page rows (with manager and program), may the user decide.
PENDING_GATES_QUERIES = 4 + 4


@pytest.mark.parametrize("count", [3, 30])
def test_pending_page_queries(client, portfolio, count, django_assert_num_queries):
    today = timezone.localdate()
    Project.objects.bulk_create(
        ProjectFactory.build(
            portfolio=portfolio,
            stage="approved",
            manager=UserFactory(),
            start_date=today - timedelta(days=n + 1),
            end_date=today + timedelta(days=100),
        )
        for n in range(count)
    )
    user = MembershipFactory(portfolio=portfolio, role="executive").user
    client.force_login(user)
    with django_assert_num_queries(PENDING_GATES_QUERIES):
        response = client.get(reverse("portfolio:pending-gates", args=[portfolio.code]))
    assert len(response.context["rows"]) == min(count, 25)
