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
    CostEntryFactory,
    ObjectiveFactory,
    PortfolioFactory,
    ProjectFactory,
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
