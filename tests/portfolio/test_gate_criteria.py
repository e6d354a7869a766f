"""Gate criteria: a portfolio's checklist per gate (edited by its PMO and portfolio managers),
the criteria assessed with evidence on the decision form and stored with the decision, the
override a go needs past unmet criteria (refused without a reason, nothing written), the
"n of m met" column of the pending gates page, and the override on the audit page."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from portfolio import services, strategy
from portfolio.models import (
    GATE_STAGES,
    GateCriterion,
    GateCriterionAssessment,
    GateDecision,
)
from projects.models import Project
from projects.querysets import Stage
from reporting.selectors import audit_trail
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.permissions import each_role, rows
from tests.portfolio.test_gates import (
    GATE_DECIDERS,
    PENDING_GATES_QUERIES,
    gate_data,
    gate_url,
    stage_of,
)
from tests.portfolio.test_strategy_views import check_access

pytestmark = pytest.mark.django_db

CRITERIA_EDITORS = ("pmo", "portfolio_manager")


@pytest.fixture
def decider(portfolio):
    return MembershipFactory(portfolio=portfolio, role="executive").user


@pytest.fixture
def pmo(portfolio):
    return MembershipFactory(portfolio=portfolio, role="pmo").user


@pytest.fixture
def checklist(portfolio):
    """The gate to approved: three criteria."""
    return [
        GateCriterion.objects.create(portfolio=portfolio, gate="approved", name=name, position=n)
        for n, name in enumerate(
            ["Business case approved", "Architecture review passed", "Funding confirmed"], 1
        )
    ]


@pytest.fixture
def gated(portfolio):
    return ProjectFactory(portfolio=portfolio, stage="candidate", manager=UserFactory())


def status_field(criterion, field="status"):
    return services.assessment_field_name(criterion.pk, field)


def assessed(checklist, *statuses):
    return {c.pk: {"status": s} for c, s in zip(checklist, statuses, strict=True)}


def written():
    return rows(Project, GateDecision, GateCriterionAssessment)()


# --- The rule: a go past unmet criteria needs an override reason ------------------------------


def test_go_with_unmet_criteria_without_reason_is_refused_and_nothing_written(
    gated, checklist, decider
):
    before = written()
    with pytest.raises(ValidationError) as refused:
        services.record_gate_decision(
            project=gated,
            to_stage="approved",
            outcome="go",
            decided_on=timezone.localdate(),
            rationale="Board says yes.",
            assessments=assessed(checklist, "met", "waived", "not_met"),
            by=decider,
        )
    message = refused.value.message_dict["override_reason"][0]
    assert "“Funding confirmed”" in message and "override reason" in message
    assert written() == before


def test_go_with_unmet_criteria_and_a_reason_is_an_override(gated, checklist, decider):
    decision = services.record_gate_decision(
        project=gated,
        to_stage="approved",
        outcome="go",
        decided_on=timezone.localdate(),
        rationale="Board says yes.",
        assessments={
            checklist[0].pk: {
                "status": "met",
                "evidence": "Board minutes 12 May",
                "evidence_link": "https://intranet.example/minutes/12-may",
            },
            checklist[1].pk: {"status": "waived", "evidence": "Reuses the platform"},
        },
        override_reason="Funding letter is signed next week; the CFO confirmed by mail.",
        by=decider,
    )
    assert stage_of(gated) == "approved"
    assert decision.override_reason.startswith("Funding letter")
    stored = list(decision.assessments.values_list("criterion_name", "status", "evidence_link"))
    assert stored == [
        ("Business case approved", "met", "https://intranet.example/minutes/12-may"),
        ("Architecture review passed", "waived", ""),
        ("Funding confirmed", "not_met", ""),  # left out: not met
    ]


def test_go_with_every_criterion_met_or_waived_needs_no_override(gated, checklist, decider):
    decision = services.record_gate_decision(
        project=gated,
        to_stage="approved",
        outcome="go",
        decided_on=timezone.localdate(),
        rationale="All clear.",
        assessments=assessed(checklist, "met", "met", "waived"),
        override_reason="not needed, so not kept",
        by=decider,
    )
    assert decision.override_reason == "" and stage_of(gated) == "approved"


@pytest.mark.parametrize("outcome", ["no_go", "hold", "recycle"])
def test_other_outcomes_need_no_override(gated, checklist, decider, outcome):
    decision = services.record_gate_decision(
        project=gated,
        to_stage="approved",
        outcome=outcome,
        decided_on=timezone.localdate(),
        rationale="Not yet.",
        assessments=assessed(checklist, "met", "not_met", "not_met"),
        by=decider,
    )
    assert decision.override_reason == "" and decision.assessments.count() == 3


def test_a_gate_without_criteria_is_decided_as_before(gated, decider):
    decision = services.record_gate_decision(
        project=gated,
        to_stage="approved",
        outcome="go",
        decided_on=timezone.localdate(),
        rationale="Yes.",
        by=decider,
    )
    assert decision.assessments.count() == 0 and stage_of(gated) == "approved"


def test_criteria_of_another_portfolio_are_refused(gated, decider, other_portfolio):
    foreign = GateCriterion.objects.create(portfolio=other_portfolio, gate="approved", name="X")
    with pytest.raises(ValidationError):
        services.record_gate_decision(
            project=gated,
            to_stage="approved",
            outcome="hold",
            decided_on=timezone.localdate(),
            rationale="Wait.",
            assessments={foreign.pk: {"status": "met"}},
            by=decider,
        )
    assert GateDecision.objects.count() == 0


def test_gate_stages_follow_the_gate_rule():
    """portfolio.models restates the gates (it sits below projects.Stage): keep them in step."""
    targets = {stage for stages in strategy.GATE_TARGETS.values() for stage in stages}
    assert {value for value, _ in GATE_STAGES} == targets
    assert dict(GATE_STAGES) == {value: Stage(value).label for value in targets}


# --- The decision page ----------------------------------------------------------------------


def criteria_data(checklist, *statuses, **extra):
    data = {}
    for criterion, status in zip(checklist, statuses, strict=True):
        data[status_field(criterion)] = status
        data[status_field(criterion, "evidence")] = f"Note on {criterion.name}"
        data[status_field(criterion, "evidence_link")] = ""
    return {**data, **extra}


def test_decision_page_shows_each_criterion(client, gated, checklist, decider):
    client.force_login(decider)
    page = client.get(gate_url(gated)).content.decode()
    for criterion in checklist:
        assert criterion.name in page
        assert f'name="{status_field(criterion)}"' in page
        assert f'name="{status_field(criterion, "evidence_link")}"' in page
    assert "Not met" in page and "Waived" in page and 'name="override_reason"' in page


def test_decision_page_go_without_reason_is_refused_with_a_message(
    client, gated, checklist, decider
):
    client.force_login(decider)
    before = written()
    data = {**gate_data(gated), **criteria_data(checklist, "met", "not_met", "not_met")}
    response = client.post(gate_url(gated), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "2 of the gate&#x27;s criteria are neither met nor waived" in page
    assert "“Architecture review passed”, “Funding confirmed”" in page
    # What was entered is kept for the second try.
    assert 'value="Note on Funding confirmed"' in page
    assert written() == before


def test_decision_page_go_with_reason_stores_evidence_and_history(
    client, gated, checklist, decider
):
    client.force_login(decider)
    data = {
        **gate_data(gated),
        **criteria_data(checklist, "met", "waived", "not_met"),
        status_field(checklist[0], "evidence_link"): "intranet.example/case",
        "override_reason": "Funding is a formality this year.",
    }
    response = client.post(gate_url(gated), data)
    assert response.status_code == 302
    decision = GateDecision.objects.get()
    assert decision.override_reason == "Funding is a formality this year."
    assert decision.assessments.get(criterion=checklist[0]).evidence_link == (
        "https://intranet.example/case"
    )
    # The project page's gate history shows the criteria and the override.
    page = client.get(reverse("projects:detail", args=[gated.pk])).content.decode()
    assert "Funding is a formality this year." in page
    assert "Note on Architecture review passed" in page


def test_decision_page_refuses_a_bad_link_with_a_field_error(client, gated, checklist, decider):
    client.force_login(decider)
    data = {
        **gate_data(gated, outcome="hold"),
        **criteria_data(checklist, "met", "met", "met"),
        status_field(checklist[1], "evidence_link"): "javascript:alert(1)",
    }
    response = client.post(gate_url(gated), data)
    assert response.status_code == 200
    assert response.context["form"].errors[status_field(checklist[1], "evidence_link")]
    assert GateDecision.objects.count() == 0


def test_decision_form_starts_from_the_latest_assessment(client, gated, checklist, decider):
    services.record_gate_decision(
        project=gated,
        to_stage="approved",
        outcome="recycle",
        decided_on=timezone.localdate(),
        rationale="Rework the case.",
        assessments={checklist[0].pk: {"status": "met", "evidence": "Signed"}},
        by=decider,
    )
    Project.objects.filter(pk=gated.pk).update(stage="candidate")
    client.force_login(decider)
    form = client.get(gate_url(gated)).context["form"]
    assert form[status_field(checklist[0])].initial == "met"
    assert form[status_field(checklist[0], "evidence")].initial == "Signed"
    assert form[status_field(checklist[1])].initial == "not_met"


@each_role
def test_decision_with_criteria_permissions(client, role, gated, checklist):
    """Who may decide is unchanged by the checklist; whoever is refused writes nothing."""
    check_access(
        client,
        role,
        allowed=GATE_DECIDERS,
        project=gated,
        url=gate_url(gated),
        data={**gate_data(gated), **criteria_data(checklist, "met", "met", "waived")},
        snapshot=rows(Project, GateDecision, GateCriterionAssessment),
        success_url=reverse("projects:detail", args=[gated.pk]),
    )


# --- The checklist page -------------------------------------------------------------------------


def criteria_url(portfolio, gate="approved"):
    return reverse("portfolio:gate-criteria", args=[portfolio.code]) + f"?gate={gate}"


def formset_data(rows_, *, initial=0):
    data = {
        "criteria-TOTAL_FORMS": str(len(rows_)),
        "criteria-INITIAL_FORMS": str(initial),
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "50",
    }
    for index, row in enumerate(rows_):
        for name, value in row.items():
            data[f"criteria-{index}-{name}"] = "" if value is None else str(value)
    return data


def names(portfolio, gate="approved"):
    return list(
        GateCriterion.objects.filter(portfolio=portfolio, gate=gate)
        .order_by("position")
        .values_list("name", flat=True)
    )


@each_role
def test_criteria_page_permissions(client, role, gated):
    """The portfolio's PMO and portfolio managers edit the checklist; the project's manager,
    executives, viewers and resource managers get 403; other portfolios' members 404."""
    check_access(
        client,
        role,
        allowed=CRITERIA_EDITORS,
        project=gated,
        url=criteria_url(gated.portfolio),
        data=formset_data([{"name": "Business case approved", "position": 1}]),
        snapshot=rows(GateCriterion),
        success_url=criteria_url(gated.portfolio),
    )


def test_criteria_page_reads_for_members(client, portfolio, checklist, decider):
    client.force_login(decider)
    response = client.get(criteria_url(portfolio))
    page = response.content.decode()
    assert response.status_code == 200 and "Funding confirmed" in page
    assert 'name="criteria-TOTAL_FORMS"' not in page


def test_criteria_save_orders_and_renumbers(portfolio, pmo, checklist):
    business, architecture, funding = checklist
    services.gate_criteria_save(
        portfolio=portfolio,
        gate="approved",
        rows=[
            {"id": business.pk, "name": "Business case approved", "position": 3},
            {"id": architecture.pk, "name": "Architecture review passed", "position": 1},
            {"id": funding.pk, "name": "Funding confirmed", "position": 1},
            {"id": None, "name": "  Sponsor named  ", "position": None},
        ],
        by=pmo,
    )
    assert names(portfolio) == [
        "Architecture review passed",
        "Funding confirmed",
        "Business case approved",
        "Sponsor named",
    ]
    positions = GateCriterion.objects.filter(portfolio=portfolio).values_list("position", flat=True)
    assert sorted(positions) == [1, 2, 3, 4]


def test_criteria_save_refuses_duplicates_and_blank_names_writing_nothing(
    portfolio, pmo, checklist
):
    before = rows(GateCriterion)()
    with pytest.raises(services.SetValidationError) as refused:
        services.gate_criteria_save(
            portfolio=portfolio,
            gate="approved",
            rows=[
                {"id": checklist[0].pk, "name": "Business case approved", "position": 1},
                {"id": None, "name": "business case APPROVED ", "position": 2},
                {"id": None, "name": "   ", "position": 3},
            ],
            by=pmo,
        )
    assert refused.value.row_errors[1]["name"] == ["Another row has the same name."]
    assert "name" in refused.value.row_errors[2]
    assert rows(GateCriterion)() == before


def test_criteria_save_may_swap_names(portfolio, pmo, checklist):
    first, second, _ = checklist
    services.gate_criteria_save(
        portfolio=portfolio,
        gate="approved",
        rows=[
            {"id": first.pk, "name": second.name, "position": 1},
            {"id": second.pk, "name": first.name, "position": 2},
        ],
        by=pmo,
    )
    assert names(portfolio)[:2] == [second.name, first.name]


def test_criteria_save_refused_to_executives_and_for_unknown_gates(
    portfolio, pmo, decider, checklist
):
    with pytest.raises(PermissionDenied):
        services.gate_criteria_save(portfolio=portfolio, gate="approved", rows=[], by=decider)
    with pytest.raises(ValidationError):
        services.gate_criteria_save(portfolio=portfolio, gate="on_hold", rows=[], by=pmo)


def test_removing_a_criterion_keeps_it_in_past_decisions(portfolio, pmo, gated, checklist):
    services.record_gate_decision(
        project=gated,
        to_stage="approved",
        outcome="hold",
        decided_on=timezone.localdate(),
        rationale="Wait.",
        assessments=assessed(checklist, "met", "met", "not_met"),
        by=pmo,
    )
    services.gate_criteria_save(
        portfolio=portfolio, gate="approved", rows=[], delete_ids=[checklist[2].pk], by=pmo
    )
    assert names(portfolio) == ["Business case approved", "Architecture review passed"]
    kept = GateCriterionAssessment.objects.get(criterion_name="Funding confirmed")
    assert kept.criterion_id is None and kept.status == "not_met"


def test_criteria_page_shows_row_errors(client, portfolio, pmo):
    client.force_login(pmo)
    data = formset_data([{"name": "Same", "position": 1}, {"name": "same", "position": 2}])
    response = client.post(criteria_url(portfolio), data)
    assert response.status_code == 200
    assert "Another row has the same name." in response.content.decode()
    assert GateCriterion.objects.count() == 0


# --- Pending gates: how many criteria each project meets ---------------------------------------


def test_pending_page_counts_criteria_met(client, portfolio, checklist, decider):
    long_ago = timezone.now() - timedelta(days=90)
    assessed_one = ProjectFactory(portfolio=portfolio, stage="candidate", code="HELD")
    fresh = ProjectFactory(portfolio=portfolio, stage="candidate", code="FRESH")
    Project.objects.filter(pk__in=[assessed_one.pk, fresh.pk]).update(created_at=long_ago)
    old = timezone.localdate() - timedelta(days=60)
    # An earlier decision at the same gate, superseded by the later one.
    services.record_gate_decision(
        project=assessed_one,
        to_stage="approved",
        outcome="recycle",
        decided_on=old - timedelta(days=5),
        rationale="First look.",
        assessments=assessed(checklist, "met", "met", "met"),
        by=decider,
    )
    Project.objects.filter(pk=assessed_one.pk).update(stage="candidate")
    services.record_gate_decision(
        project=assessed_one,
        to_stage="approved",
        outcome="recycle",
        decided_on=old,
        rationale="Second look.",
        assessments=assessed(checklist, "met", "waived", "not_met"),
        by=decider,
    )
    Project.objects.filter(pk=assessed_one.pk).update(stage="candidate")
    pending = {
        p.code: p
        for p in strategy.pending_gate_decisions(
            portfolio=portfolio, user=decider, as_of=timezone.localdate()
        )
    }
    assert (pending["HELD"].criteria_met, pending["HELD"].criteria_waived) == (1, 1)
    assert pending["HELD"].criteria_total == 3
    assert (pending["FRESH"].criteria_met, pending["FRESH"].criteria_total) == (0, 3)
    client.force_login(decider)
    page = client.get(reverse("portfolio:pending-gates", args=[portfolio.code])).content.decode()
    assert "1 of 3 met" in page and "1 waived" in page and "0 of 3 met" in page


def test_pending_page_without_checklist_says_so(client, portfolio, decider):
    today = timezone.localdate()
    ProjectFactory(
        portfolio=portfolio,
        stage="approved",
        start_date=today - timedelta(days=3),
        end_date=today + timedelta(days=90),
    )
    client.force_login(decider)
    page = client.get(reverse("portfolio:pending-gates", args=[portfolio.code])).content.decode()
    assert "No checklist" in page


@pytest.mark.parametrize("count", [3, 30])
def test_pending_page_queries_with_criteria(client, portfolio, count, django_assert_num_queries):
    """The criteria counts are subqueries of the page's one row query."""
    today = timezone.localdate()
    for gate in ("in_progress", "approved"):
        GateCriterion.objects.create(portfolio=portfolio, gate=gate, name="Ready")
    decider = MembershipFactory(portfolio=portfolio, role="executive").user
    projects = Project.objects.bulk_create(
        ProjectFactory.build(
            portfolio=portfolio,
            stage="approved",
            manager=UserFactory(),
            start_date=today - timedelta(days=n + 1),
            end_date=today + timedelta(days=100),
        )
        for n in range(count)
    )
    for project in projects:
        decision = GateDecision.objects.create(
            project=project,
            from_stage="approved",
            to_stage="in_progress",
            outcome="hold",
            decided_by=decider,
            decided_on=today,
            rationale="Wait",
        )
        GateCriterionAssessment.objects.create(
            decision=decision,
            criterion=GateCriterion.objects.get(gate="in_progress"),
            criterion_name="Ready",
            status="met",
        )
    client.force_login(decider)
    with django_assert_num_queries(PENDING_GATES_QUERIES):
        response = client.get(reverse("portfolio:pending-gates", args=[portfolio.code]))
    assert response.content.decode().count("1 of 1 met") == min(count, 25)


# --- The audit page -------------------------------------------------------------------------


def test_audit_trail_shows_the_override(portfolio, gated, checklist, pmo):
    services.record_gate_decision(
        project=gated,
        to_stage="approved",
        outcome="go",
        decided_on=timezone.localdate(),
        rationale="Yes.",
        assessments=assessed(checklist, "met", "met", "not_met"),
        override_reason="CFO approved by mail",
        by=pmo,
    )
    [event] = list(audit_trail(user=pmo, kind="gate")[0:10])
    assert event.detail == "go: candidate → approved · override: CFO approved by mail"
