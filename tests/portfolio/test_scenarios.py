"""portfolio.scenarios: saving, comparing and committing scenarios."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.months import month_end
from portfolio import scenarios
from portfolio.models import GateDecision, ObjectiveContribution, ProjectScore, Scenario
from projects.models import Project
from tests.factories import (
    ObjectiveFactory,
    PortfolioFactory,
    ProjectFactory,
    RoleFactory,
    score_equally,
)

pytestmark = pytest.mark.django_db


def _months_ahead(n: int) -> date:
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


@pytest.fixture
def pipeline(portfolio):
    """Three pipeline projects over the next twelve months at 10k a month, and an active one
    at 1k a month: a budget of 260k a year funds two of the three with the active one."""
    first, last = _months_ahead(1), month_end(_months_ahead(12))
    common = {"portfolio": portfolio, "start_date": first, "end_date": last}
    projects = {
        "best": ProjectFactory(code="BEST", stage="candidate", expected_benefit=900, **common),
        "good": ProjectFactory(code="GOOD", stage="idea", expected_benefit=600, **common),
        "weak": ProjectFactory(code="WEAK", stage="candidate", expected_benefit=100, **common),
        "live": ProjectFactory(
            code="LIVE", stage="in_progress", expected_benefit=50, budget=12000, **common
        ),
    }
    for key in ("best", "good", "weak"):
        projects[key].budget = Decimal("120000")
        projects[key].save()
    portfolio.budget_envelope = Decimal("260000")
    portfolio.save()
    score_equally(portfolio, projects.values())
    return projects


def _save(portfolio, by, **data):
    data.setdefault("name", "Plan A")
    data.setdefault("budget_limit", Decimal("260000"))
    return scenarios.scenario_save(portfolio=portfolio, data=data, by=by)


def test_save_creates_a_scenario_with_forced_projects_and_capacity(portfolio, pipeline, member_of):
    manager = member_of(portfolio, "portfolio_manager")
    RoleFactory(name="Data engineer")
    scenario = _save(
        portfolio,
        manager,
        description="Contractors",
        forced_in=[pipeline["weak"]],
        forced_out=[pipeline["good"]],
        capacity_changes={"Data engineer": {"2027-03": 160, "2027-02": "-40", "2027-04": 0}},
    )
    assert scenario.created_by == manager
    assert list(scenario.forced_in.all()) == [pipeline["weak"]]
    assert list(scenario.forced_out.all()) == [pipeline["good"]]
    assert scenario.capacity_changes == {"Data engineer": {"2027-02": -40.0, "2027-03": 160.0}}


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"Nobody": {"2027-01": 10}}, "no role named"),
        ({"Data engineer": {"2027-13": 10}}, "is not a month"),
        ({"Data engineer": {"2027-01": "lots"}}, "not a number"),
    ],
)
def test_save_refuses_bad_capacity_changes(portfolio, member_of, changes, fragment):
    RoleFactory(name="Data engineer")
    with pytest.raises(ValidationError) as error:
        _save(portfolio, member_of(portfolio, "pmo"), capacity_changes=changes)
    assert fragment in " ".join(error.value.message_dict["capacity_changes"])
    assert not Scenario.objects.exists()


def test_save_refuses_projects_forced_both_ways_or_from_elsewhere(portfolio, pipeline, member_of):
    pmo = member_of(portfolio, "pmo")
    with pytest.raises(ValidationError) as error:
        _save(portfolio, pmo, forced_in=[pipeline["best"]], forced_out=[pipeline["best"]])
    assert "BEST" in error.value.message_dict["forced_out"][0]
    stranger = ProjectFactory(stage="candidate")
    closed = ProjectFactory(portfolio=portfolio, stage="closed", code="DONE")
    with pytest.raises(ValidationError) as error:
        _save(portfolio, pmo, forced_in=[stranger, closed])
    assert "DONE" in error.value.message_dict["forced_in"][0]
    assert not Scenario.objects.exists()


def test_save_refuses_a_duplicate_name(portfolio, member_of):
    pmo = member_of(portfolio, "pmo")
    _save(portfolio, pmo)
    with pytest.raises(ValidationError) as error:
        _save(portfolio, pmo)
    assert "__all__" in error.value.message_dict or "name" in error.value.message_dict


@pytest.mark.parametrize("role", ["executive", "viewer", "resource_manager"])
def test_only_pmo_and_portfolio_managers_save(portfolio, member_of, role):
    with pytest.raises(PermissionDenied):
        _save(portfolio, member_of(portfolio, role))
    assert not Scenario.objects.exists()


def test_commit_approves_the_slate_and_defers_the_rest(portfolio, pipeline, member_of):
    manager = member_of(portfolio, "portfolio_manager")
    scenario = _save(portfolio, manager, name="Fund the best two")
    outcome = scenarios.scenario_commit(scenario=scenario, by=manager)
    assert outcome.approved == ("BEST",)
    assert outcome.to_candidate == ("GOOD",)  # an idea passes the candidate gate first
    assert outcome.deferred == ("WEAK",)
    stages = dict(Project.objects.values_list("code", "stage"))
    assert stages == {
        "BEST": "approved",
        "GOOD": "candidate",
        "WEAK": "on_hold",
        "LIVE": "in_progress",
    }
    decisions = {d.project.code: d for d in GateDecision.objects.select_related("project")}
    assert set(decisions) == {"BEST", "GOOD", "WEAK"}
    assert (decisions["GOOD"].from_stage, decisions["GOOD"].to_stage) == ("idea", "candidate")
    assert decisions["GOOD"].outcome == "go"
    assert decisions["BEST"].outcome == "go" and decisions["WEAK"].outcome == "hold"
    assert decisions["WEAK"].to_stage == "approved"  # held at the gate to approved
    for decision in decisions.values():
        assert decision.rationale.startswith("Committed scenario Fund the best two")
        assert decision.decided_by == manager
        assert decision.decided_on == timezone.localdate()
    assert "budget" in decisions["WEAK"].rationale
    weak = pipeline["weak"]
    latest = weak.history.order_by("-history_date").first()
    assert latest.stage == "on_hold" and latest.history_user == manager
    scenario.refresh_from_db()
    assert scenario.committed_by == manager and scenario.committed_at is not None


def test_commit_skips_unscored_candidates_and_ideas_with_a_reason(portfolio, pipeline, member_of):
    """Neither the median score an unscored candidate is given for the optimisation nor a
    place in the slate takes a project past a gate it has not passed."""
    pmo = member_of(portfolio, "pmo")
    ProjectScore.objects.filter(project=pipeline["best"]).delete()
    scenario = _save(portfolio, pmo, name="Unscored")
    plan = scenarios.scenario_commit_plan(scenario=scenario, as_of=timezone.localdate())
    by_id = plan.data.by_id()
    assert {by_id[pid].code for pid in plan.selection.chosen} >= {"BEST", "GOOD"}
    outcome = scenarios.scenario_commit(scenario=scenario, by=pmo)
    assert outcome.approved == ()
    assert outcome.to_candidate == ("GOOD",)
    skipped = dict(outcome.skipped)
    assert set(skipped) == {"BEST", "GOOD"}
    assert "no priority score" in skipped["BEST"]
    assert "idea" in skipped["GOOD"] and "candidate" in skipped["GOOD"]
    stages = dict(Project.objects.values_list("code", "stage"))
    assert (stages["BEST"], stages["GOOD"]) == ("candidate", "candidate")
    assert not GateDecision.objects.filter(project__code="BEST").exists()
    (good,) = GateDecision.objects.filter(project__code="GOOD")
    assert "not approved" in good.rationale and "idea" in good.rationale


def test_commit_records_a_stop_as_a_no_go_gate_decision(portfolio, pipeline, member_of):
    manager = member_of(portfolio, "portfolio_manager")
    live = pipeline["live"]
    version = live.version
    scenario = _save(
        portfolio,
        manager,
        name="Stop LIVE",
        description="Its benefit no longer justifies the spend.",
        stopped=[live],
    )
    assert list(scenario.stopped.all()) == [live]
    outcome = scenarios.scenario_commit(scenario=scenario, by=manager)
    assert outcome.stopped == ("LIVE",)
    live.refresh_from_db()
    assert live.stage == "cancelled" and live.version == version + 1
    (decision,) = GateDecision.objects.filter(project=live)
    assert (decision.from_stage, decision.to_stage, decision.outcome) == (
        "in_progress",
        "closing",
        "no_go",
    )
    assert decision.decided_by == manager
    assert decision.rationale.startswith("Committed scenario Stop LIVE")
    assert "Its benefit no longer justifies the spend." in decision.rationale
    assert live.history.order_by("-history_date").first().history_user == manager


def test_save_refuses_stopping_a_pipeline_project_and_forcing_a_running_one(
    portfolio, pipeline, member_of
):
    pmo = member_of(portfolio, "pmo")
    with pytest.raises(ValidationError) as error:
        _save(portfolio, pmo, stopped=[pipeline["best"]], forced_out=[pipeline["live"]])
    assert "BEST" in " ".join(error.value.message_dict["stopped"])
    assert "LIVE" in " ".join(error.value.message_dict["forced_out"])
    Project.objects.filter(pk=pipeline["live"].pk).update(is_mandatory=True)
    with pytest.raises(ValidationError) as error:
        _save(portfolio, pmo, stopped=[pipeline["live"]])
    assert "mandatory project: LIVE" in " ".join(error.value.message_dict["stopped"])
    assert not Scenario.objects.exists()


def test_comparison_shows_a_stop_and_ticks_committed_projects(portfolio, pipeline, member_of):
    pmo = member_of(portfolio, "pmo")
    keep = _save(portfolio, pmo, name="Keep")
    stop = _save(portfolio, pmo, name="Stop", stopped=[pipeline["live"]])
    comparison = scenarios.scenario_comparison(
        portfolio=portfolio, scenarios=[keep, stop], as_of=timezone.localdate()
    )
    cells = {row.label.split()[0]: row.cells for row in comparison.projects}
    assert cells["LIVE"] == ["committed", "stop"]
    assert cells["BEST"] == ["chosen", "chosen"]


def test_a_later_commit_approves_a_deferred_project(portfolio, pipeline, member_of):
    pmo = member_of(portfolio, "pmo")
    scenarios.scenario_commit(scenario=_save(portfolio, pmo, name="Tight"), by=pmo)
    bigger = _save(portfolio, pmo, name="Bigger", budget_limit=Decimal("400000"))
    outcome = scenarios.scenario_commit(scenario=bigger, by=pmo)
    # GOOD, an idea, became a candidate at the first commit; it passes its next gate now.
    assert outcome.approved == ("GOOD", "WEAK")
    assert Project.objects.get(code="WEAK").stage == "approved"
    assert GateDecision.objects.filter(project__code="WEAK").count() == 2


def test_commit_twice_is_refused(portfolio, pipeline, member_of):
    pmo = member_of(portfolio, "pmo")
    scenario = _save(portfolio, pmo)
    scenarios.scenario_commit(scenario=scenario, by=pmo)
    with pytest.raises(ValidationError, match="already committed"):
        scenarios.scenario_commit(scenario=scenario, by=pmo)
    assert GateDecision.objects.count() == 3


def test_commit_of_an_infeasible_scenario_changes_nothing(portfolio, pipeline, member_of):
    pmo = member_of(portfolio, "pmo")
    pipeline["weak"].is_mandatory = True
    pipeline["weak"].save()
    scenario = _save(portfolio, pmo, budget_limit=Decimal("1000"))
    with pytest.raises(ValidationError) as error:
        scenarios.scenario_commit(scenario=scenario, by=pmo)
    assert "budget" in error.value.messages[0]
    assert not GateDecision.objects.exists()
    assert Project.objects.get(code="BEST").stage == "candidate"
    scenario.refresh_from_db()
    assert scenario.committed_at is None


def test_a_committed_scenario_no_longer_changes(portfolio, pipeline, member_of):
    pmo = member_of(portfolio, "pmo")
    scenario = _save(portfolio, pmo)
    scenarios.scenario_commit(scenario=scenario, by=pmo)
    with pytest.raises(ValidationError, match="committed"):
        scenarios.scenario_save(
            portfolio=portfolio,
            data={"name": "Renamed", "budget_limit": Decimal("1")},
            by=pmo,
            scenario=scenario,
        )


@pytest.mark.parametrize("role", ["executive", "viewer", "resource_manager"])
def test_only_managers_commit(portfolio, pipeline, member_of, role):
    scenario = _save(portfolio, member_of(portfolio, "pmo"))
    with pytest.raises(PermissionDenied):
        scenarios.scenario_commit(scenario=scenario, by=member_of(portfolio, role))
    assert not GateDecision.objects.exists()


def test_comparison_shows_value_spend_alignment_and_differences(portfolio, pipeline, member_of):
    pmo = member_of(portfolio, "pmo")
    objective = ObjectiveFactory(portfolio=portfolio, weight=Decimal("100"), name="Grow")
    ObjectiveContribution.objects.create(
        project=pipeline["weak"], objective=objective, contribution=3
    )
    tight = _save(portfolio, pmo, name="Tight")
    wide = _save(portfolio, pmo, name="Wide", budget_limit=Decimal("400000"))
    comparison = scenarios.scenario_comparison(
        portfolio=portfolio, scenarios=[tight, wide], as_of=timezone.localdate()
    )
    values = [o.selection.value for o in comparison.outcomes]
    assert values[0] < values[1]
    differing = [row.label for row in comparison.projects if row.differs]
    assert differing == [f"WEAK {pipeline['weak'].name}"]
    assert comparison.objectives is not None
    grow = comparison.objectives[0]
    assert grow.label.startswith("Grow")
    assert grow.cells[0] == 0 and grow.cells[1] > 0
    assert [row.label for row in comparison.years]


def test_capacity_ranges_round_trip():
    stored = {"Dev": {"2027-01": 80.0, "2027-02": 80.0, "2027-03": 40.0, "2027-12": 80.0}}
    rows = scenarios.capacity_change_ranges(stored)
    assert [(r["first_month"], r["last_month"], r["hours"]) for r in rows] == [
        ("2027-01", "2027-02", 80.0),
        ("2027-03", "2027-03", 40.0),
        ("2027-12", "2027-12", 80.0),
    ]
    parsed = [
        {
            **row,
            "first_month": date(int(row["first_month"][:4]), int(row["first_month"][5:]), 1),
            "last_month": date(int(row["last_month"][:4]), int(row["last_month"][5:]), 1),
        }
        for row in rows
    ]
    assert scenarios.expand_capacity_ranges(parsed) == stored


def test_portfolio_scenarios_counts_forced_projects(portfolio, pipeline, member_of):
    _save(
        portfolio,
        member_of(portfolio, "pmo"),
        forced_in=[pipeline["best"], pipeline["good"]],
        forced_out=[pipeline["weak"]],
    )
    other = PortfolioFactory()
    Scenario.objects.create(portfolio=other, name="Elsewhere", budget_limit=1)
    (row,) = scenarios.portfolio_scenarios(portfolio=portfolio)
    assert (row.forced_in_count, row.forced_out_count) == (2, 1)
