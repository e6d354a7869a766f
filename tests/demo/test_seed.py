"""seed_demo (idempotent, realistic demo data) and seed_scale (synthetic data at scale)."""

import io
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Sum
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from demo import scale as scale_data
from demo import scale_timing
from demo import seed as demo_data
from portfolio import scenarios
from portfolio.models import (
    GATE_STAGES,
    GateCriterion,
    GateCriterionAssessment,
    GateDecision,
    Portfolio,
    PortfolioMembership,
    Scenario,
    ScoringCriterion,
    StrategicObjective,
    Synergy,
)
from portfolio.selection.timing import solve_timing
from portfolio.selection.timing_loader import timing_input
from projects.models import CostEntry, Milestone, Project, ProjectDependency, StatusReport
from projects.selectors import project_performance
from resources.models import Allocation, Resource
from risks.models import Risk

DEMO_CODES = {"retail", "health", "finance", "product"}
DEMO_LOGINS = [
    "pmo",
    "portfolio_manager",
    "executive",
    "resource_manager",
    "viewer",
    "project_manager",
]


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed_demo():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def seed_scale(*args):
    out = io.StringIO()
    call_command("seed_scale", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db):
    return seed_demo()


def demo_projects():
    return Project.objects.filter(portfolio__code__in=DEMO_CODES).select_related("portfolio")


def performances():
    today = timezone.localdate()
    return {
        p.code: project_performance(project=p, as_of=today)
        for p in demo_projects().filter(stage__in=["in_progress", "closing", "closed", "on_hold"])
    }


def months(first, last):
    while first <= last:
        yield first
        first = date(first.year + first.month // 12, first.month % 12 + 1, 1)


# -- seed_demo ---------------------------------------------------------------------------------


def test_seed_demo_twice_gives_identical_row_counts(demo):
    first = demo_data.row_counts()
    output = seed_demo()
    assert demo_data.row_counts() == first
    assert first["projects.Project"] >= 20
    assert first["projects.HistoricalProject"] == first["projects.Project"]  # no history churn
    assert "+0" in output and "demo-pass-2026" in output


def test_every_demo_portfolio_has_gate_checklists_and_evidence(demo):
    gates = {value for value, _ in GATE_STAGES}
    for portfolio in Portfolio.objects.filter(code__in=DEMO_CODES):
        checklist = GateCriterion.objects.filter(portfolio=portfolio)
        assert set(checklist.values_list("gate", flat=True)) == gates, portfolio.code
        assessed = GateCriterionAssessment.objects.filter(decision__project__portfolio=portfolio)
        assert assessed.exclude(evidence="").exists(), portfolio.code
    # One go past an unmet criterion, with its reason; FIN-OPEN's held gate: 2 of 4 met.
    override = GateDecision.objects.exclude(override_reason="").get()
    assert override.project.code == "RET-REC"
    assert override.assessments.filter(status="not_met").count() == 1
    held = GateDecision.objects.get(project__code="FIN-OPEN", outcome="hold")
    assert list(held.assessments.values_list("status", flat=True)) == [
        "met",
        "met",
        "not_met",
        "waived",
    ]
    assert GateCriterion.history.count() == GateCriterion.objects.count()  # no history churn


def test_seed_demo_on_a_later_day_refreshes_without_duplicating(demo):
    before = demo_data.row_counts()
    demo_data.build_demo(today=timezone.localdate() + timedelta(days=45))
    after = demo_data.row_counts()
    for label in (
        "portfolio.Portfolio",
        "projects.Project",
        "projects.Milestone",
        "resources.Allocation",
        "risks.Risk",
        "auth.User",
    ):
        assert after[label] == before[label], label
    per_period = StatusReport.objects.values("project", "period_start").annotate(n=Count("id"))
    assert max(row["n"] for row in per_period) == 1
    assert (
        StatusReport.objects.values("project").annotate(n=Count("id")).filter(n__gt=12).count() == 0
    )


def test_four_portfolios_with_strategy_weights_summing_to_100(demo):
    assert set(Portfolio.objects.values_list("code", flat=True)) == DEMO_CODES
    for portfolio in Portfolio.objects.all():
        assert portfolio.programs.count() in (1, 2, 3)
        objectives = StrategicObjective.objects.filter(portfolio=portfolio)
        criteria = ScoringCriterion.objects.filter(portfolio=portfolio)
        assert objectives.aggregate(s=Sum("weight"))["s"] == 100
        assert criteria.aggregate(s=Sum("weight"))["s"] == 100
        assert all({"1", "5"} <= set(c.anchors) for c in criteria)
        projects = portfolio.projects.all()
        assert {"in_progress", "candidate"} <= set(projects.values_list("stage", flat=True))
        for project in projects:
            assert project.scores.count() == criteria.count()
            assert project.contributions.count() == objectives.count()
    for project in Project.objects.exclude(stage__in=["idea", "candidate"]):
        assert project.gate_decisions.filter(to_stage=project.stage).exists(), project.code
    assert GateDecision.objects.exclude(outcome="go").exists()
    pipeline = Project.objects.filter(stage__in=["idea", "candidate"])
    assert pipeline.exists() and not pipeline.filter(annual_benefit=0).exists()


def test_demo_logins_authenticate_with_their_roles(demo):
    for username in DEMO_LOGINS:
        # The login throttle (django-axes) counts by the request, which every real login has.
        request = RequestFactory().post("/login/")
        assert authenticate(request, username=username, password="demo-pass-2026"), username
    pmo = get_user_model().objects.get(username="pmo")
    assert pmo.is_staff and pmo.has_perm("portfolio.pmo_admin") and not pmo.is_superuser
    roles = defaultdict(set)
    for username, role in PortfolioMembership.objects.values_list("user__username", "role"):
        roles[username].add(role)
    member_counts = PortfolioMembership.objects.values("user__username").annotate(n=Count("id"))
    counts = {row["user__username"]: row["n"] for row in member_counts}
    assert roles["pmo"] == {"pmo"} and counts["pmo"] == 4
    assert roles["executive"] == {"executive"} and counts["executive"] == 4
    assert roles["portfolio_manager"] == {"portfolio_manager"} and counts["portfolio_manager"] == 3
    assert roles["resource_manager"] == {"resource_manager"} and counts["resource_manager"] == 2
    assert roles["viewer"] == {"viewer"} and counts["viewer"] == 1
    assert "project_manager" not in counts
    managed = Project.objects.filter(manager__username="project_manager")
    assert 2 <= managed.count() <= 3
    assert managed.values("portfolio").distinct().count() >= 2
    assert get_user_model().objects.filter(is_superuser=True).count() == 0


def test_health_mix_with_exactly_one_watermelon(demo):
    perf = performances()
    watermelons = [code for code, p in perf.items() if p.is_watermelon]
    assert watermelons == ["FIN-CORE"]
    assert Project.objects.get(code="FIN-CORE").manager.username == "project_manager"
    computed = {p.computed_health for p in perf.values()}
    reported = {p.latest_report.overall_rag for p in perf.values()}
    assert {"green", "amber", "red"} <= computed
    assert {"green", "amber", "red"} <= reported
    # The cached health matches the selector's.
    for code, p in perf.items():
        assert Project.objects.get(code=code).computed_health == p.computed_health, code
    # EVM figures are meaningful: costs recorded, CPI and SPI known for started projects.
    for p in perf.values():
        assert p.earned_value.actual_cost > 0
        assert p.earned_value.cost_performance_index is not None


def test_status_reports_and_costs(demo):
    this_month = timezone.localdate().replace(day=1)
    # Only PRD-AI's last month is left a draft (late, for "My work" and the reminders).
    late_drafts = StatusReport.objects.filter(period_start__lt=this_month, state="draft")
    assert [(r.project.code, r.period_start) for r in late_drafts] == [
        ("PRD-AI", (this_month - timedelta(days=1)).replace(day=1))
    ]
    assert not StatusReport.objects.filter(period_start__gt=this_month).exists()
    assert not StatusReport.objects.exclude(period_start__day=1).exists()
    for project in demo_projects().filter(stage="in_progress"):
        reports = list(project.status_reports.order_by("period_start"))
        assert 3 <= len(reports) <= 12
        assert all(r.period_end.month == r.period_start.month for r in reports)
        assert all((r.period_end + timedelta(days=1)).day == 1 for r in reports)
        percents = [r.percent_complete for r in reports]
        assert percents == sorted(percents)
        assert project.cost_entries.exists()
    assert not CostEntry.objects.filter(date__gt=timezone.localdate()).exists()
    assert CostEntry.objects.values("category").distinct().count() >= 4


def test_milestones_weights_and_slippage(demo):
    weights = Milestone.objects.values("project").annotate(total=Sum("weight"))
    assert all(row["total"] <= 100 for row in weights)
    slipped = Milestone.objects.filter(forecast_date__gt=F("baseline_date"))
    assert slipped.exists()
    assert Milestone.objects.filter(actual_date__isnull=False, status="done").exists()


def test_risks_portfolio_level_and_escalated(demo):
    portfolio_risks = Risk.objects.filter(project__isnull=True).annotate(
        n=Count("threatened_projects")
    )
    assert portfolio_risks.filter(n__gte=2).exists()
    escalated = Risk.objects.filter(escalated_to__isnull=False)
    assert escalated.exists()
    for risk in escalated:
        assert risk.project_id and risk.escalated_to.project_id is None
        assert risk.escalated_by_id and risk.escalated_at and risk.escalation_reason


def test_every_risk_owner_sees_the_risk(demo):
    """Portfolio risks are owned as escalation would own them (risks.selectors
    `default_portfolio_risk_owner`): Finance has no portfolio manager, so its PMO owns them."""
    risks = Risk.objects.select_related("owner", "portfolio")
    assert risks.filter(owner__isnull=True).count() == 0
    for risk in risks:
        assert Risk.objects.visible_to(risk.owner).filter(pk=risk.pk).exists(), risk
    assert set(
        risks.filter(portfolio__code="finance", project=None).values_list(
            "owner__username", flat=True
        )
    ) == {"pmo"}


def test_over_allocation_and_late_dependency(demo):
    load = defaultdict(Decimal)
    for allocation in Allocation.objects.filter(unit="fte", resource__isnull=False).exclude(
        status="rejected"
    ):
        for month in months(allocation.start_month, allocation.end_month):
            load[(allocation.resource_id, month)] += allocation.amount
    over = {key for key, fte in load.items() if fte > 1}
    priya = Resource.objects.get(name="Priya Nair")
    assert priya.role.name == "Integration engineer (HL7/FHIR)"
    assert any(resource == priya.pk for resource, _ in over)
    assert Allocation.objects.filter(status="requested").exists()
    assert (
        Allocation.objects.filter(status="confirmed").count()
        > Allocation.objects.filter(status="requested").count()
    )

    late = []
    for dependency in ProjectDependency.objects.select_related("predecessor"):
        milestone = dependency.predecessor.milestones.filter(name=dependency.deliverable).first()
        arrives = milestone.forecast_date if milestone else dependency.predecessor.end_date
        if arrives > dependency.needed_by:
            late.append(dependency)
    assert late
    assert ProjectDependency.objects.filter(
        kind="shared_deliverable", deliverable="Data architecture v2"
    ).exists()


def test_every_demo_portfolio_has_scenarios_whose_slates_compare_with_ticks(demo, client):
    """Each demo portfolio seeds two scenarios or more; each has a slate on today's data with
    every running project in it (unless the scenario stops it), and the compare page ticks
    exactly the projects each slate funds."""
    client.force_login(get_user_model().objects.get(username="pmo"))
    for portfolio in Portfolio.objects.filter(code__in=DEMO_CODES).order_by("code"):
        seeded = list(portfolio.scenarios.order_by("name"))
        assert len(seeded) >= 2, portfolio.code
        response = client.get(
            reverse("portfolio:scenario-compare", args=[portfolio.code]),
            {"s": [s.pk for s in seeded]},
        )
        assert response.status_code == 200
        comparison = response.context["comparison"]
        running = set(
            portfolio.projects.filter(stage__in=["approved", "in_progress"]).values_list(
                "pk", flat=True
            )
        )
        ticks = 0
        for column, outcome in enumerate(comparison.outcomes):
            label = (portfolio.code, outcome.scenario.name)
            assert outcome.selection.ok, (*label, outcome.selection.message)
            chosen, stopped = outcome.selection.chosen, outcome.data.stopped
            assert chosen - running, label  # candidates too, not only the committed work
            assert running - stopped <= chosen, label
            for row in comparison.projects:
                cell = row.cells[column]
                assert (cell in ("chosen", "committed")) == (row.project_id in chosen), label
                assert (cell == "stop") == (row.project_id in stopped), label
                ticks += cell in ("chosen", "committed")
        assert response.content.decode().count('class="tick"') == ticks


def test_every_demo_portfolio_gains_by_optimising_timing(demo):
    """Real synergies and sequences with reasons, and windows with which optimising the start
    months beats the fixed starts in every portfolio (issue 17)."""
    today = timezone.localdate()
    for portfolio in Portfolio.objects.filter(code__in=DEMO_CODES):
        synergies = Synergy.objects.filter(portfolio=portfolio)
        assert synergies.exists() and not synergies.filter(reason="").exists(), portfolio.code
        data = timing_input(portfolio=portfolio, as_of=today)
        assert any(len(t.starts) > 1 for t in data.timed), portfolio.code
        if portfolio.code in ("health", "finance"):
            assert data.sequences, portfolio.code
        result = solve_timing(data)
        assert result.ok and result.fixed.ok, portfolio.code
        assert result.value > result.fixed.value + 1000, portfolio.code
        assert result.moved, portfolio.code
    lagged = ProjectDependency.objects.filter(kind="finish_to_start", lag_months__gt=0)
    assert lagged.filter(successor__code="HC-APP", predecessor__code="HC-EPR").exists()


def test_committing_a_seeded_scenario_changes_no_running_project_unless_it_stops_it(demo):
    """Commit every seeded scenario in turn: approved and in-progress projects keep their
    stage, version and gate decisions unless the scenario stops them (a no-go), and every
    approval is of a scored candidate."""
    pmo = get_user_model().objects.get(username="pmo")
    stops = 0
    for scenario in Scenario.objects.filter(portfolio__code__in=DEMO_CODES).order_by("pk"):
        running = scenario.portfolio.projects.filter(stage__in=["approved", "in_progress"])
        before = {p.pk: (p.stage, p.version, p.updated_at) for p in running}
        decided = set(GateDecision.objects.values_list("pk", flat=True))
        stopped = set(scenario.stopped.values_list("pk", flat=True))
        outcome = scenarios.scenario_commit(scenario=scenario, by=pmo)
        after = {p.pk: p for p in Project.objects.filter(pk__in=before)}
        new = GateDecision.objects.exclude(pk__in=decided).select_related("project")
        for pk, (stage, version, updated_at) in before.items():
            project = after[pk]
            if pk in stopped:
                assert project.stage == "cancelled", project.code
                assert new.get(project=project).outcome == "no_go"
                stops += 1
                continue
            assert (project.stage, project.version, project.updated_at) == (
                stage,
                version,
                updated_at,
            ), project.code
            assert not new.filter(project=project).exists(), project.code
        for decision in new.filter(outcome="go", to_stage="approved"):
            assert decision.from_stage in ("candidate", "on_hold"), decision.project.code
            assert decision.project.scores.exists(), decision.project.code
        assert len(outcome.stopped) == len(stopped)
    assert stops  # the demo shows a stop


# -- seed_scale --------------------------------------------------------------------------------


def scale_counts():
    projects = Project.objects.filter(portfolio__code__startswith="scale-")
    return {
        "portfolios": Portfolio.objects.filter(code__startswith="scale-").count(),
        "projects": projects.count(),
        "reports": StatusReport.objects.filter(project__in=projects).count(),
        "costs": CostEntry.objects.filter(project__in=projects).count(),
        "milestones": Milestone.objects.filter(project__in=projects).count(),
        "risks": Risk.objects.filter(portfolio__code__startswith="scale-").count(),
        "people": Resource.objects.filter(email__endswith="@scale.example").count(),
        "allocations": Allocation.objects.filter(project__in=projects).count(),
    }


@pytest.mark.django_db
def test_seed_scale_proportional_idempotent_and_reset():
    output = seed_scale("--projects", "50")
    assert "Scale data: 50 projects" in output
    expected = {
        "portfolios": 10,
        "projects": 50,
        "reports": 600,
        "costs": 1000,
        "milestones": 200,
        "risks": 150,
        "people": 20,
        "allocations": 250,
    }
    assert scale_counts() == expected
    portfolio_risks = Risk.objects.filter(
        portfolio__code__startswith="scale-", project__isnull=True
    ).annotate(n=Count("threatened_projects"))
    assert portfolio_risks.exists() and portfolio_risks.filter(n__gte=2).exists()
    health = set(
        Project.objects.exclude(computed_health="").values_list("computed_health", flat=True)
    )
    assert len(health) >= 2

    assert "already exists" in seed_scale("--projects", "50")
    assert scale_counts() == expected

    first_ids = set(Project.objects.values_list("pk", flat=True))
    output = seed_scale("--projects", "50", "--reset")
    assert "Removed" in output
    assert scale_counts() == expected
    assert not first_ids & set(Project.objects.values_list("pk", flat=True))


@pytest.mark.django_db
def test_seed_scale_reset_leaves_demo_data_alone():
    seed_demo()
    demo_counts = demo_data.row_counts()
    seed_scale("--projects", "30", "--portfolios", "3", "--seed", "7")
    assert scale_counts()["projects"] == 30
    seed_scale("--projects", "20", "--portfolios", "2", "--reset")
    assert scale_counts()["projects"] == 20
    scale_data.delete_scale_data()
    assert scale_counts()["projects"] == 0
    after = demo_data.row_counts()
    # Roles and skills are shared reference data: the scale run may add some, never remove.
    for label, count in demo_counts.items():
        if label in ("resources.Role", "resources.Skill"):
            assert after[label] >= count
        else:
            assert after[label] == count, label


@pytest.mark.django_db
def test_seed_scale_timing_portfolio_loads_and_gains_by_moving_starts():
    output = seed_scale("--timing", "60", "--seed", "11")
    assert "Timing portfolio scale-timing: 60 projects" in output
    assert "already exists" in seed_scale("--timing", "60")
    portfolio = Portfolio.objects.get(code=scale_timing.TIMING_CODE)
    assert portfolio.projects.count() == 60
    assert portfolio.synergies.count() == 6

    data = timing_input(portfolio=portfolio, as_of=timezone.localdate(), horizon_months=36)
    assert len(data.timed) == 60
    running = [t for t in data.timed if t.candidate.stage == "in_progress"]
    assert running and all(len(t.starts) == 1 for t in running)
    assert any(len(t.starts) > 1 for t in data.timed)
    assert all(t.demand_profile for t in data.timed)  # demand moves with the start
    assert len(data.synergies) == 6 and len(data.sequences) == 6
    assert len(data.base.months) == 36

    result = solve_timing(data)
    assert result.ok and result.proven_optimal, result.message
    assert result.fixed.ok and len(result.fixed.starts) < 60  # the plan as asked does not fit
    assert result.value >= result.fixed.value
    assert result.moved


@pytest.mark.django_db
def test_seed_scale_timing_needs_a_database_without_scale_data_and_goes_with_reset():
    seed_scale("--projects", "20", "--portfolios", "2")
    with pytest.raises(CommandError, match="database of its own"):
        seed_scale("--timing", "20")
    assert not Portfolio.objects.filter(code=scale_timing.TIMING_CODE).exists()

    seed_scale("--timing", "20", "--reset")
    assert scale_counts()["portfolios"] == 1
    scale_data.delete_scale_data()
    assert scale_counts() == dict.fromkeys(scale_counts(), 0)
    assert not Synergy.objects.exists()
