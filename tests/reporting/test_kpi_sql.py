"""Property test: the KPI selector (`reporting.kpis`, set-based in PostgreSQL through
`reporting.kpi_sql`; the Python reference on SQLite) gives every project the figures the
project page computes one project at a time with `projects/evm.py`, and roll-ups their sums,
on random projects: milestones tied on a date, on the baseline's edges or undated, weights
summing past 100; reports drafted or submitted, periods ending before, on or after the as-of
date; costs before, on and after the status date; zero budgets, zero costs and 0 % complete
(zero divisors). Money agrees to the cent (tests/figures.py checks to 10⁻⁹), health, flags
and counts exactly.

On PostgreSQL (CI) this compares the SQL with both Python implementations (the set-based
reference `python_project_kpis` and the project page's `project_performance`); on SQLite the
selector is the Python reference and is compared with the project page."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portfolio.models import Portfolio
from projects.models import Project, ProjectDependency
from projects.selectors import project_performance
from reporting import kpi_sql, kpis
from tests.factories import (
    CostEntryFactory,
    MilestoneFactory,
    PortfolioFactory,
    ProjectFactory,
    RiskFactory,
    StatusReportFactory,
)
from tests.figures import assert_same_figures, same

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 15)  # periods: May ends 16 days before; June's is under way
MONTHS = [(date(2026, m, 1), date(2026, m + 1, 1) - timedelta(days=1)) for m in range(1, 7)]
DAY = st.integers(min_value=-200, max_value=60).map(lambda n: AS_OF + timedelta(days=n))
MONEY = st.sampled_from(
    ["0", "0.01", "1", "3", "7.77", "1000", "33333.33", "99999.99", "123456789.01"]
).map(Decimal)
PERCENT = st.sampled_from(["0", "0.01", "10", "33.33", "50", "66.67", "99.99", "100"]).map(Decimal)
RAG = st.sampled_from(["green", "amber", "red"])


class Rollback(Exception):
    """Raised at the end of an example: its rows go, the next example starts clean."""


@st.composite
def projects(draw):
    start = draw(DAY)
    baseline = draw(
        st.one_of(
            st.none(),
            st.tuples(st.just(start), st.integers(0, 250)).map(
                lambda t: (t[0], t[0] + timedelta(days=t[1]))
            ),
        )
    )
    edges = [start, start + timedelta(days=1)]
    if baseline:
        edges += [baseline[0], baseline[1], baseline[1] - timedelta(days=1)]
    milestone_day = st.one_of(st.none(), st.sampled_from(edges), DAY)
    return {
        "stage": draw(st.sampled_from(["approved", "in_progress", "closing", "idea", "closed"])),
        "start_date": start,
        "end_date": start + timedelta(days=draw(st.integers(0, 300))),
        "baseline": baseline,
        "budget": draw(MONEY),
        "milestones": draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "baseline_date": milestone_day,
                        "forecast_date": st.one_of(st.none(), DAY),
                        "actual_date": st.one_of(st.none(), DAY),
                        "weight": PERCENT,
                        "status": st.sampled_from(["planned", "done"]),
                    }
                ),
                max_size=5,
            )
        ),
        "reports": draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "state": st.sampled_from(["submitted", "submitted", "draft"]),
                        "percent_complete": PERCENT,
                        "forecast_cost": st.one_of(st.none(), MONEY),
                        "overall_rag": RAG,
                        "budget_rag": RAG,
                        "risk_rag": RAG,
                    }
                ),
                max_size=len(MONTHS),
            )
        ),
        "report_months": draw(st.permutations(range(len(MONTHS)))),
        "costs": draw(st.lists(st.tuples(DAY, MONEY), max_size=5)),
        "risks": draw(
            st.lists(
                st.tuples(st.integers(1, 5), MONEY, st.sampled_from(["open", "closed"])),
                max_size=2,
            )
        ),
        "needed_by": draw(st.one_of(st.none(), DAY)),
    }


def _create(portfolio: Portfolio, spec: dict, predecessor: Project | None) -> Project:
    baseline = spec["baseline"] or (None, None)
    project = ProjectFactory(
        portfolio=portfolio,
        stage=spec["stage"],
        start_date=spec["start_date"],
        end_date=spec["end_date"],
        baseline_start=baseline[0],
        baseline_end=baseline[1],
        budget=spec["budget"],
    )
    for milestone in spec["milestones"]:
        MilestoneFactory(project=project, **milestone)
    for report, month in zip(spec["reports"], spec["report_months"], strict=False):
        StatusReportFactory(
            project=project, period_start=MONTHS[month][0], period_end=MONTHS[month][1], **report
        )
    for day, amount in spec["costs"]:
        CostEntryFactory(project=project, date=day, amount=amount)
    for probability, cost_impact, status in spec["risks"]:
        RiskFactory(
            portfolio=portfolio,
            project=project,
            probability=probability,
            cost_impact=cost_impact,
            status=status,
        )
    if predecessor is not None and spec["needed_by"] is not None:
        ProjectDependency.objects.create(
            predecessor=predecessor, successor=project, deliverable="A deliverable",
            needed_by=spec["needed_by"],
        )  # fmt: skip
    return project


def _assert_same_project(row: kpis.ProjectKpis, reference, context: str) -> None:
    """`row` (the selector's) against `reference`: a `ProjectKpis` of the Python reference."""
    assert_same_figures(row.earned_value, reference.earned_value, context)
    assert same(row.percent_complete, reference.percent_complete), context
    assert same(row.planned_percent_complete, reference.planned_percent_complete), context
    for name in (
        "reported_health", "computed_health", "is_watermelon", "forecast_optimistic",
        "report_missing", "late_milestones", "worst_milestone_slip_days", "late_dependencies",
        "risk_exposure", "report_period", "status_date",
    ):  # fmt: skip
        assert getattr(row, name) == getattr(reference, name), (context, name)
    assert row.project == reference.project, context


@pytest.fixture
def portfolio():
    return PortfolioFactory()


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=st.lists(projects(), min_size=1, max_size=3),
    eac_basis=st.sampled_from(["worse_of", "computed", "forecast"]),
    reporting_period=st.sampled_from(["monthly", "weekly"]),
    as_of=st.sampled_from([AS_OF, date(2026, 6, 5), date(2026, 6, 6), date(2026, 5, 31)]),
)
def test_the_kpi_selector_equals_the_python_reference(
    portfolio, specs, eac_basis, reporting_period, as_of
):
    try:
        with transaction.atomic():
            Portfolio.objects.filter(pk=portfolio.pk).update(
                eac_basis=eac_basis, reporting_period=reporting_period
            )
            predecessor = None
            for spec in specs:
                predecessor = _create(portfolio, spec, predecessor)
            _check(portfolio, as_of)
            raise Rollback
    except Rollback:
        pass


def _check(portfolio: Portfolio, as_of: date) -> None:
    scope = Project.objects.filter(portfolio=portfolio)
    rows = kpis.project_kpis(projects=scope, as_of=as_of)
    reference = {r.project.pk: r for r in kpis.python_project_kpis(projects=scope, as_of=as_of)}
    assert [r.project.pk for r in rows] == list(reference)
    for row in rows:
        context = f"{row.project.code} as of {as_of}"
        _assert_same_project(row, reference[row.project.pk], context)
        # and the project page, one project at a time
        page = project_performance(project=Project.objects.get(pk=row.project.pk), as_of=as_of)
        assert_same_figures(row.earned_value, page.earned_value, context)
        assert (row.computed_health, row.is_watermelon, row.forecast_optimistic) == (
            page.computed_health,
            page.is_watermelon,
            page.forecast_optimistic,
        ), context
        assert row.report_missing == page.report_missing, context

    # Over every project (a PMO admin's overview: the statement restricts no table to a
    # scope), the portfolio's rows are the same.
    everywhere = kpis.project_kpis(projects=Project.objects.all(), as_of=as_of)
    assert kpi_sql.covers_every_project(Project.objects.all())
    mine = [r for r in everywhere if r.project.portfolio_id == portfolio.pk]
    assert [r.project.pk for r in mine] == list(reference)
    for row in mine:
        _assert_same_project(row, reference[row.project.pk], f"{row.project.code}, every project")

    # Roll-ups: the overview's (summed in SQL on PostgreSQL, over this portfolio or over every
    # portfolio) and the dashboard's equal the reference's sums of the reference rows.
    expected = kpis.rollup(reference.values())
    overview = kpis.portfolios_kpis(portfolios=[portfolio], user=None, as_of=as_of)[portfolio.pk]
    overview_of_all = kpis.portfolios_kpis(
        portfolios=list(Portfolio.objects.all()), user=None, as_of=as_of, every_portfolio=True
    )[portfolio.pk]
    dashboard = kpis.portfolio_kpis(portfolio=portfolio, user=None, as_of=as_of)
    for total in (overview, overview_of_all, dashboard):
        differences = {
            name: (getattr(total, name), getattr(expected, name))
            for name in kpis.KpiRollup.__dataclass_fields__
            if name != "risk_exposure" and not same(getattr(total, name), getattr(expected, name))
        }
        assert differences == {}
        assert same(total.risk_exposure, expected.risk_exposure)  # no portfolio-level risks here
        assert same(total.schedule_performance_index, expected.schedule_performance_index)
        assert same(total.cost_performance_index, expected.cost_performance_index)
