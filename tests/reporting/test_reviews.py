from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from core.months import month_end
from portfolio.models import Portfolio
from projects.models import Project
from reporting import kpis, reviews, services
from reporting.models import PortfolioReview, ProjectSnapshot
from tests.factories import (
    AllocationFactory,
    CostEntryFactory,
    ObjectiveFactory,
    PortfolioFactory,
    ProgramFactory,
    ProjectFactory,
    ResourceFactory,
    RiskFactory,
    RoleFactory,
    StatusReportFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "period", "fiscal", "expected"),
    [
        ("monthly", "2026-10", 1, (date(2026, 10, 1), date(2026, 10, 31))),
        ("quarterly", "2026-Q3", 1, (date(2026, 7, 1), date(2026, 9, 30))),
        ("quarterly", "2026-08", 1, (date(2026, 7, 1), date(2026, 9, 30))),
        ("annual", "2027", 4, (date(2027, 4, 1), date(2028, 3, 31))),
        ("annual", date(2027, 2, 10), 4, (date(2026, 4, 1), date(2027, 3, 31))),
    ],
)
def test_review_period(kind, period, fiscal, expected):
    portfolio = PortfolioFactory.build(fiscal_year_start_month=fiscal)
    assert reviews.review_period(portfolio, kind, period) == expected


def test_monthly_review_stores_kpis_and_one_snapshot_per_project_once():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    finance = Portfolio.objects.get(code="finance")
    today = date.today()
    period = f"{today.year}-{today.month:02d}"

    review = services.run_review(portfolio=finance, kind="monthly", period=period)
    again = services.run_review(portfolio=finance, kind="monthly", period=period)

    assert again.pk == review.pk
    same_period = PortfolioReview.objects.filter(
        portfolio=finance, kind="monthly", period_start=review.period_start
    )
    assert same_period.count() == 1
    # seed_demo stored the six closed months before this one, to show trends.
    assert PortfolioReview.objects.filter(portfolio=finance, kind="monthly").count() == 7
    projects = Project.objects.filter(portfolio=finance)
    assert ProjectSnapshot.objects.filter(review=review).count() == projects.count()
    rows = kpis.project_kpis(projects=projects, as_of=review.period_end)
    assert Decimal(review.kpis["budget"]) == sum(r.project.budget for r in rows)
    assert review.status == "complete" and review.finished_at
    assert [w["code"] for w in review.findings["watermelons"]] == ["FIN-CORE"]
    assert any(d["successor"] == "FIN-CORE" for d in review.findings["late_dependencies"])


def test_monthly_review_reports_changes_since_last_month(portfolio):
    project = ProjectFactory(portfolio=portfolio, budget=Decimal("1000"))
    for month, amount in ((9, "100"), (10, "50")):
        # AC counts up to the status date: each month's submitted report sets it.
        StatusReportFactory(
            project=project,
            period_start=date(2026, month, 1),
            period_end=month_end(date(2026, month, 1)),
        )
        CostEntryFactory(project=project, date=date(2026, month, 10), amount=Decimal(amount))
    services.run_review(portfolio=portfolio, kind="monthly", period="2026-09")
    october = services.run_review(portfolio=portfolio, kind="monthly", period="2026-10")
    assert Decimal(october.findings["changes"]["actual_cost"]) == Decimal("50.00")


def test_review_query_count_does_not_grow_with_projects(django_assert_max_num_queries):
    counts = []
    for size in (5, 40):
        portfolio = PortfolioFactory()
        for _ in range(size):
            project = ProjectFactory(portfolio=portfolio)
            StatusReportFactory(project=project)
            CostEntryFactory(project=project)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            services.run_review(portfolio=portfolio, kind="monthly", period="2026-03")
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_quarterly_review_measures_strategic_drift(portfolio):
    growth = ObjectiveFactory(portfolio=portfolio, name="Growth", weight=Decimal("70"))
    ObjectiveFactory(portfolio=portfolio, name="Compliance", weight=Decimal("30"))
    project = ProjectFactory(portfolio=portfolio)
    ProjectFactory(portfolio=portfolio, code="LONER")
    project.contributions.create(objective=growth, contribution=3)
    CostEntryFactory(project=project, date=date(2026, 8, 1), amount=Decimal("500"))
    review = services.run_review(portfolio=portfolio, kind="quarterly", period="2026-Q3")
    drift = {o["objective"]: o for o in review.findings["objectives"]}
    assert drift["Growth"]["spend_share"] == "100.0"
    assert drift["Growth"]["drift_points"] == "30.0"  # 100 % of spend against a 70 % weight
    assert [o["objective"] for o in review.findings["unserved_objectives"]] == ["Compliance"]
    assert [p["code"] for p in review.findings["unaligned_projects"]] == ["LONER"]


def test_annual_review_ranks_the_pipeline_against_the_envelope():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    product = Portfolio.objects.get(code="product")
    review = PortfolioReview.objects.get(portfolio=product, kind="annual")
    ranked = review.findings["ranked"]
    assert {row["code"] for row in ranked} >= {"PRD-AI", "PRD-UI"}
    priorities = [Decimal(row["priority"]) for row in ranked if row["priority"] is not None]
    assert priorities == sorted(priorities, reverse=True)
    assert Decimal(review.findings["envelope"]) == product.budget_envelope
    assert Decimal(review.findings["headroom"]) == product.budget_envelope - Decimal(
        review.findings["committed_budget"]
    )


SNAPSHOT_FIELDS = [
    f.attname for f in ProjectSnapshot._meta.concrete_fields if f.name not in ("id", "review")
]


def _snapshots(review) -> dict:
    return {
        values["project_id"]: values
        for values in ProjectSnapshot.objects.filter(review=review).values(*SNAPSHOT_FIELDS)
    }


@pytest.mark.skipif(not kpis.in_sql(), reason="PostgreSQL writes the snapshots set-based")
def test_snapshots_written_in_sql_equal_the_python_path_to_the_cent(portfolio):
    """The statement computing the KPIs stores the snapshots, rounding to the cent half to
    even as `Decimal.quantize` does (PostgreSQL's round() would take a half away from zero):
    the rows equal what the Python path stores from the same KPIs, field for field."""
    october = {"period_start": date(2026, 10, 1), "period_end": date(2026, 10, 31)}
    program = ProgramFactory(portfolio=portfolio)

    def project(code, budget, percent=None, **fields):
        made = ProjectFactory(portfolio=portfolio, code=code, budget=Decimal(budget), **fields)
        if percent is not None:
            StatusReportFactory(project=made, percent_complete=Decimal(percent), **october)
        return made

    # EV = 2.50 × 1 % = 0.025 → 0.02; the plan finished, so PV = BAC (no tie).
    ev_tie = project("EV-EVEN", "2.50", "1", baseline_end=date(2026, 9, 30), program=program)
    CostEntryFactory(project=ev_tie, date=date(2026, 10, 5), amount=Decimal("1.00"))
    # EV = 1.50 × 1 % = 0.015 → 0.02: an odd cent rounds away from zero either way.
    project("EV-ODD", "1.50", "1", baseline_end=date(2026, 9, 30))
    # PV = 1.01 × 50 % (the status date halfway through the baseline) = 0.505 → 0.50.
    project(
        "PV-EVEN", "1.01", "50", start_date=date(2026, 10, 30),
        baseline_start=date(2026, 10, 30), baseline_end=date(2026, 11, 1),
    )  # fmt: skip
    # Computed EAC = BAC × AC / EV = 1.00 × 0.01 / 0.40 = 0.025 → 0.02.
    eac_tie = project("EAC-EVEN", "1.00", "40")
    CostEntryFactory(project=eac_tie, date=date(2026, 10, 5), amount=Decimal("0.01"))
    # Risk exposure 50 % × 0.05 = 0.025: stored by the numeric column as it is from Python.
    RiskFactory(portfolio=portfolio, project=eac_tie, probability=3, cost_impact=Decimal("0.05"))
    # No status date (no report; a draft only): AC, EV and PV 0, no EAC, no % complete.
    never = project("NO-REPORT", "1000.00")
    CostEntryFactory(project=never, date=date(2026, 10, 5), amount=Decimal("12.34"))
    draft = project("DRAFT", "500.00")
    StatusReportFactory(project=draft, state="draft", percent_complete=Decimal("10"), **october)

    review = services.run_review(portfolio=portfolio, kind="monthly", period="2026-10")
    stored = _snapshots(review)

    projects = Project.objects.filter(portfolio=portfolio)
    references = {
        "sql rows": kpis.project_kpis(projects=projects, as_of=review.period_end),
        "python reference rows": kpis.python_project_kpis(
            projects=projects, as_of=review.period_end
        ),
    }
    for kind, rows in references.items():
        python_path = PortfolioReview.objects.create(
            portfolio=portfolio, kind="quarterly", period_start=date(2026, 10, 1),
            period_end=date(2026, 12, 31), status="complete",
        )  # fmt: skip
        services.save_snapshots(review=python_path, rows=rows)
        assert stored == _snapshots(python_path), kind
        python_path.delete()

    by_code = {row.project.code: row for row in references["sql rows"]}
    assert by_code["EV-EVEN"].earned_value.earned_value == Decimal("0.025")
    assert stored[ev_tie.pk]["earned_value"] == Decimal("0.02")
    assert stored[by_code["EV-ODD"].project.pk]["earned_value"] == Decimal("0.02")
    assert by_code["PV-EVEN"].earned_value.planned_value == Decimal("0.505")
    assert stored[by_code["PV-EVEN"].project.pk]["planned_value"] == Decimal("0.50")
    assert by_code["EAC-EVEN"].earned_value.estimate_at_completion == Decimal("0.025")
    assert stored[eac_tie.pk]["estimate_at_completion"] == Decimal("0.02")
    assert stored[eac_tie.pk]["risk_exposure"] == Decimal("0.03")
    assert stored[ev_tie.pk]["program_id"] == program.pk
    for pk in (never.pk, draft.pk):
        assert stored[pk]["estimate_at_completion"] is None
        assert (stored[pk]["actual_cost"], stored[pk]["earned_value"]) == (0, 0)
        assert (stored[pk]["planned_value"], stored[pk]["percent_complete"]) == (0, 0)


def test_monthly_findings_list_over_allocated_roles_in_use_and_missing_reports(portfolio):
    engineer, designer, idle = (RoleFactory(name=n) for n in ("Engineer", "Designer", "Idle"))
    reported = ProjectFactory(portfolio=portfolio, code="REPORTED")
    StatusReportFactory(
        project=reported, period_start=date(2026, 10, 1), period_end=date(2026, 10, 31)
    )
    drafted = ProjectFactory(portfolio=portfolio, code="DRAFTED")
    StatusReportFactory(
        project=drafted, state="draft", period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
    )  # fmt: skip
    ProjectFactory(portfolio=portfolio, code="SILENT")
    ProjectFactory(portfolio=portfolio, code="LATER", start_date=date(2026, 11, 2))
    ProjectFactory(portfolio=portfolio, code="IDEA", stage="idea")
    elsewhere = ProjectFactory()  # another portfolio's project
    for role in (engineer, designer):
        ResourceFactory(role=role, fte=Decimal("1"))  # 8 h × 22 working days = 176 h
    october = {"start_month": date(2026, 10, 1), "end_month": date(2026, 10, 1)}
    # The engineers are over-allocated (1.5 FTE on one person), the designers not; the idle
    # role is over-allocated too, but by another portfolio's project only.
    for amount in ("1", "0.5"):
        AllocationFactory(project=reported, role=engineer, amount=Decimal(amount),
                          status="confirmed", **october)  # fmt: skip
    AllocationFactory(project=drafted, role=designer, amount=Decimal("0.5"),
                      status="confirmed", **october)  # fmt: skip
    AllocationFactory(project=elsewhere, role=idle, amount=Decimal("1"), status="confirmed",
                      **october)  # fmt: skip

    findings = services.run_review(portfolio=portfolio, kind="monthly", period="2026-10").findings

    over = findings["over_allocated_roles"]
    assert [(r["role_id"], r["role"]) for r in over] == [(engineer.pk, "Engineer")]
    assert Decimal(over[0]["utilisation"]) == 150  # 264 h of 176
    assert [p["code"] for p in findings["missing_reports"]] == ["DRAFTED", "SILENT"]
