from datetime import date
from decimal import Decimal

import pytest

import charts
from core.months import month_end
from projects import selectors as project_selectors
from projects import services
from projects.models import ProjectDependency
from reporting import selectors
from risks import services as risk_services
from tests.factories import (
    CostEntryFactory,
    MilestoneFactory,
    ProgramFactory,
    ProjectFactory,
    RiskFactory,
    StatusReportFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_history_lists_who_changed_what_newest_first(portfolio):
    manager = UserFactory(username="amy", first_name="Amy", last_name="Chen")
    # Still being planned (no baseline): its editors set the BAC directly.
    project = ProjectFactory(
        portfolio=portfolio, manager=manager, baseline_start=None, baseline_end=None
    )
    program = ProgramFactory(portfolio=portfolio, name="Payments")
    services.project_update(
        project=project,
        data={"budget": Decimal("150000"), "program": program},
        expected_version=1,
        by=manager,
    )
    milestone = services.milestone_create(project=project, data={"name": "Go-live"}, by=manager)
    services.milestone_update(
        milestone=milestone,
        data={"status": "done", "actual_date": date(2026, 3, 1)},
        expected_version=1,
        by=manager,
    )
    risk_services.risk_create(
        project=project, data={"title": "Vendor late", "probability": 2, "impact": 3}, by=manager
    )

    history = selectors.project_history(project=project)

    assert [(e.action, e.subject) for e in history][:3] == [
        ("created", "Risk “Vendor late”"),
        ("changed", "Milestone “Go-live”"),
        ("created", "Milestone “Go-live”"),
    ]
    milestone_change = history[1]
    assert milestone_change.who == manager
    assert {(c.label, str(c.before), str(c.after)) for c in milestone_change.changes} == {
        ("status", "Planned", "Done"),
        ("actual date", "None", "2026-03-01"),
    }
    plan_change = next(e for e in history if e.subject == "Project plan" and e.action == "changed")
    assert {(c.label, c.before, c.after) for c in plan_change.changes} == {
        ("budget", Decimal("100000.00"), Decimal("150000.00")),
        ("program", None, program),  # foreign keys shown as the object, not its id
    }


def test_history_query_count_does_not_grow(portfolio, django_assert_max_num_queries):
    manager = UserFactory()
    project = ProjectFactory(portfolio=portfolio, manager=manager)
    for n in range(15):
        services.milestone_create(project=project, data={"name": f"M{n}"}, by=manager)
    with django_assert_max_num_queries(4):
        selectors.project_history(project=project)


def test_project_charts_render_plotly_divs(portfolio):
    project = ProjectFactory(
        portfolio=portfolio,
        baseline_start=date(2026, 1, 1),
        baseline_end=date(2026, 6, 30),
        start_date=date(2026, 1, 1),
        end_date=date(2026, 6, 30),
    )
    milestone = MilestoneFactory(project=project, baseline_date=date(2026, 3, 31), weight=50)
    StatusReportFactory(
        project=project,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 1, 31),
        percent_complete=10,
    )
    StatusReportFactory(
        project=project,
        period_start=date(2026, 2, 1),
        period_end=date(2026, 2, 28),
        percent_complete=25,
        state="draft",
    )
    CostEntryFactory(project=project, date=date(2026, 1, 10), amount=Decimal("1000"))
    CostEntryFactory(project=project, date=date(2026, 2, 10), amount=Decimal("500"))

    result = charts.project_charts(
        selectors.project_chart_series(
            project=project,
            milestones=[milestone],
            reports=list(project.status_reports.all()),
            as_of=date(2026, 2, 15),
        )
    )

    assert result.has_reports
    assert 'id="chart-percent-complete"' in result.percent_complete
    assert 'id="chart-cost"' in result.cost and 'id="chart-rag-timeline"' in result.rag_timeline
    # Only the submitted January report is plotted, on its period's month (January, not 31
    # January beside the February tick); cumulative cost 1,000 then 1,500.
    assert '"2026-01-01"' in result.percent_complete
    assert "2026-01-31" not in result.percent_complete
    assert "2026-02-01" not in result.percent_complete
    assert "2026-02-28" not in result.percent_complete
    assert "[1000.0,1500.0,null" in result.cost.replace(" ", "")


@pytest.mark.parametrize(
    "as_of", [date(2026, 1, 25), date(2026, 1, 31), date(2026, 3, 10), date(2026, 4, 30)]
)
def test_project_detail_reads_once_what_the_single_selectors_read(
    portfolio, other_portfolio, member_of, as_of
):
    """The project page loads reports, costs, milestones, risks and dependencies once and
    splits them: the same EVM as `project_performance`, the same lists as before."""
    project = ProjectFactory(portfolio=portfolio, budget=Decimal("1000"))
    for month, state in ((1, "submitted"), (2, "submitted"), (3, "draft")):
        StatusReportFactory(
            project=project,
            period_start=date(2026, month, 1),
            period_end=month_end(date(2026, month, 1)),
            state=state,
            percent_complete=Decimal(10 * month),
            forecast_cost=Decimal("1100"),
        )
    for day, amount in ((date(2026, 1, 20), "100"), (date(2026, 2, 27), "50.5")):
        CostEntryFactory(project=project, date=day, amount=Decimal(amount))
    CostEntryFactory(project=project, date=date(2026, 3, 5), amount=Decimal("7"))
    # Two milestones on one date: their weights add in id order, as project_performance reads.
    for weight in ("60", "60"):
        MilestoneFactory(project=project, baseline_date=date(2026, 3, 1), weight=Decimal(weight))
    own = RiskFactory(portfolio=portfolio, project=project, probability=5)
    threat = RiskFactory(portfolio=portfolio, project=None, probability=4)
    threat.threatened_projects.add(project)
    elsewhere = RiskFactory(portfolio=portfolio, project=None)
    elsewhere.threatened_projects.add(ProjectFactory(portfolio=portfolio))
    hidden = ProjectFactory(portfolio=other_portfolio)
    needs = ProjectDependency.objects.create(
        predecessor=hidden, successor=project, needed_by=date(2026, 2, 1)
    )
    feeds = ProjectDependency.objects.create(
        predecessor=project,
        successor=ProjectFactory(portfolio=portfolio),
        needed_by=date(2026, 5, 1),
    )
    viewer = member_of(portfolio, "viewer")

    detail = selectors.project_detail(project=project, user=viewer, as_of=as_of)

    assert detail.performance == project_selectors.project_performance(project=project, as_of=as_of)
    assert [r.period_start.month for r in detail.status_reports] == [3, 2, 1]
    assert detail.status_report_count == 3 and detail.cost_entry_count == 3
    assert detail.cost_total == Decimal("157.5")
    assert detail.risks == [own] and detail.threatening_risks == [threat]
    assert detail.dependencies_in == [needs] and detail.dependencies_out == [feeds]
    assert detail.dependencies_in[0].other_end_visible is False  # another portfolio
    assert detail.dependencies_out[0].other_end_visible is True
    ended = [end for _, end in selectors.project_status_dates(reports=detail.reports, as_of=as_of)]
    assert ended == sorted((r.period_end for r in detail.reports if r.state == "submitted"
                            and r.period_end <= as_of), reverse=True)  # fmt: skip


def test_review_trends_plot_stored_reviews_oldest_first(portfolio):
    from reporting import services as review_services

    project = ProjectFactory(portfolio=portfolio, budget=Decimal("1000"))
    for month, amount in ((9, "100"), (10, "300")):
        _monthly_report(project, month)  # AC counts up to the status date it sets
        CostEntryFactory(project=project, date=date(2026, month, 5), amount=Decimal(amount))
        review_services.run_review(portfolio=portfolio, kind="monthly", period=f"2026-{month}")
    trends = selectors.review_trends(portfolio=portfolio)
    assert [r.period_start for r in trends.reviews] == [date(2026, 9, 1), date(2026, 10, 1)]
    assert trends.money["Actual cost"] == ["100.00", "400.00"]
    plotted = charts.review_trend_charts(trends)
    compact = plotted.money.replace(" ", "")
    assert "[100.0,400.0]" in compact  # actual cost to each review's period end
    assert 'id="chart-trend-indices"' in plotted.indices


def test_dashboard_as_of_a_review_date(client, portfolio, member_of):
    project = ProjectFactory(portfolio=portfolio, budget=Decimal("1000"))
    for month in (9, 10):
        _monthly_report(project, month)  # AC counts up to the status date it sets
    CostEntryFactory(project=project, date=date(2026, 9, 5), amount=Decimal("100"))
    CostEntryFactory(project=project, date=date(2026, 10, 5), amount=Decimal("300"))
    client.force_login(member_of(portfolio, "executive"))
    url = f"/portfolios/{portfolio.code}/"
    assert client.get(url, {"as_of": "2026-09-30"}).context["board"].kpis.actual_cost == Decimal(
        "100"
    )
    later = client.get(url, {"as_of": "2999-01-01"}).context["board"]  # clamped to today
    assert later.as_of <= date.today() and later.kpis.actual_cost == Decimal("400")


def _monthly_report(project, month):
    return StatusReportFactory(
        project=project,
        period_start=date(2026, month, 1),
        period_end=month_end(date(2026, month, 1)),
    )
