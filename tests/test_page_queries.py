"""Each page's query count is the same at 20 and 200 projects (as NetBox records them).

The bounds are the measured counts, not guesses: if a page needs one query more, raise the
bound here on purpose; if it starts growing with the data, these tests fail at 200.
The user is a plain member (not a PMO admin), so the visibility filters are in every query.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from portfolio.models import ObjectiveContribution, PortfolioMembership
from projects.models import CostEntry, Milestone, Project, ProjectDependency, StatusReport
from risks.models import Risk
from tests.factories import (
    CostEntryFactory,
    MilestoneFactory,
    ObjectiveFactory,
    PortfolioFactory,
    ProgramFactory,
    ProjectFactory,
    RiskFactory,
    StatusReportFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# 4 of each count are per request, whatever the page: the session, the user, and the user's
# and their groups' permissions (core.access.is_pmo_admin → user.has_perm).
# Overview: visible portfolios; reporting.kpis.portfolios_kpis (project_kpis over every
# visible project, 4: projects with actual cost, latest report id and late dependencies,
# those reports, milestones, project-risk exposure; and portfolio-risk exposure by portfolio).
PORTFOLIO_LIST_QUERIES = 10
# Portfolio dashboard: the portfolio; reporting.kpis.portfolio_kpis (project_kpis now and at
# the end of the previous period, 2 × 4, and portfolio-risk exposure); dependencies with
# lateness; programs; objectives; strategic alignment; top portfolio risks; escalated risks;
# heat-map cells; the roadmap's milestones of the projects on the table page; the stored
# monthly reviews for the trends (and the as-of selector); the latest review of each kind
# (linked in the header); the user's role (PMO-only links).
PORTFOLIO_PAGE_QUERIES = 25
# ...filtered by objective: one more (the projects contributing to it).
PORTFOLIO_PAGE_OBJECTIVE_QUERIES = PORTFOLIO_PAGE_QUERIES + 1
# Program page: the program (with portfolio and manager); then the same as the portfolio
# dashboard but for programs and top portfolio risks; the portfolio's stored monthly reviews
# (the as-of selector beside the title).
PROGRAM_PAGE_QUERIES = 21
# (A filter that leaves the table page empty saves the roadmap's milestone query.)
# Project page: project (with portfolio, program, manager, sponsor); its reports, all of them
# (the list, the status date, the charts and the as-of selector read them); cost totals
# (all, to the as-of date, to the status date); milestones (the list and the EVM plan);
# cost entries; risks (its own and those threatening it); dependencies both ways;
# allocations; monthly cost totals (the cost chart); history (project, milestones, reports,
# risks); may the user edit, may they decide gates (their role in the portfolio); gate
# decisions.
PROJECT_PAGE_QUERIES = 20


def _populate(portfolio, program, manager, count):
    """`count` projects, each with a submitted status report, two cost entries, a milestone,
    a project risk (every tenth escalated), a contribution to an objective and a dependency
    on the previous project (every other one late); plus a portfolio risk threatening all of
    them. Bulk inserts: the factories only build the rows. Returns the objective."""
    projects = Project.objects.bulk_create(
        ProjectFactory.build_batch(
            count, portfolio=portfolio, program=program, manager=manager, sponsor=manager
        )
    )
    StatusReport.objects.bulk_create(
        StatusReportFactory.build(project=p, overall_rag="amber") for p in projects
    )
    CostEntry.objects.bulk_create(
        CostEntryFactory.build(project=p, date=date(2025, month, 1))
        for p in projects
        for month in (1, 2)
    )
    Milestone.objects.bulk_create(MilestoneFactory.build(project=p) for p in projects)
    threat = RiskFactory(portfolio=portfolio, project=None, cost_impact=Decimal("50000"))
    threat.threatened_projects.set(projects)
    Risk.objects.bulk_create(
        RiskFactory.build(
            portfolio=portfolio,
            project=p,
            status="escalated" if n % 10 == 0 else "open",
            escalated_to=threat if n % 10 == 0 else None,
        )
        for n, p in enumerate(projects)
    )
    objective = ObjectiveFactory(portfolio=portfolio)
    ObjectiveContribution.objects.bulk_create(
        ObjectiveContribution(project=p, objective=objective, contribution=1 + n % 3)
        for n, p in enumerate(projects)
    )
    ProjectDependency.objects.bulk_create(
        ProjectDependency(
            predecessor=before,
            successor=after,
            needed_by=before.end_date + timedelta(days=-30 if n % 2 else 30),
        )
        for n, (before, after) in enumerate(zip(projects, projects[1:], strict=False))
    )
    return objective


@pytest.fixture(params=[20, 200], ids=["20-projects", "200-projects"])
def world(request, db):
    portfolio = PortfolioFactory()
    program = ProgramFactory(portfolio=portfolio)
    ProgramFactory(portfolio=portfolio)
    member = UserFactory()
    PortfolioMembership.objects.create(user=member, portfolio=portfolio, role="executive")
    objective = _populate(portfolio, program, UserFactory(), request.param)
    # A second visible portfolio with the same data, so the list has more than one row.
    second = PortfolioFactory()
    PortfolioMembership.objects.create(user=member, portfolio=second, role="viewer")
    _populate(second, ProgramFactory(portfolio=second), UserFactory(), request.param)
    return {
        "portfolio": portfolio,
        "program": program,
        "objective": objective,
        "member": member,
        "size": request.param,
    }


def test_portfolio_list_queries_do_not_grow(client, world, django_assert_max_num_queries):
    client.force_login(world["member"])
    with django_assert_max_num_queries(PORTFOLIO_LIST_QUERIES):
        response = client.get(reverse("portfolio:list"))
    assert response.status_code == 200
    assert {row.kpis.project_count for row in response.context["overview"].rows} == {world["size"]}


def test_portfolio_page_queries_do_not_grow(client, world, django_assert_max_num_queries):
    client.force_login(world["member"])
    url = reverse("portfolio:detail", args=[world["portfolio"].code])
    with django_assert_max_num_queries(PORTFOLIO_PAGE_QUERIES):
        response = client.get(url, {"page": 1})
    assert response.status_code == 200
    assert response.context["rollup"].project_count == world["size"]
    assert len(response.context["page_obj"].object_list) == min(world["size"], 25)


@pytest.mark.parametrize(
    "params",
    [
        {"stage": "in_progress", "health": "red", "manager": 1, "page": 2},
        {"health": "watermelon", "sort": "-cpi", "flag": "over-budget"},
        {"sort": "health", "slip": 5, "flag": "late-dependency"},
    ],
)
def test_filtered_portfolio_page_queries_do_not_grow(
    client, world, params, django_assert_max_num_queries
):
    client.force_login(world["member"])
    url = reverse("portfolio:detail", args=[world["portfolio"].code])
    with django_assert_max_num_queries(PORTFOLIO_PAGE_QUERIES):
        response = client.get(url, {"program": world["program"].pk, **params})
    assert response.status_code == 200


def test_objective_filtered_portfolio_page_queries_do_not_grow(
    client, world, django_assert_max_num_queries
):
    client.force_login(world["member"])
    url = reverse("portfolio:detail", args=[world["portfolio"].code])
    with django_assert_max_num_queries(PORTFOLIO_PAGE_OBJECTIVE_QUERIES):
        response = client.get(url, {"objective": world["objective"].pk})
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == world["size"]


def test_program_page_queries_do_not_grow(client, world, django_assert_max_num_queries):
    client.force_login(world["member"])
    url = reverse("portfolio:program", args=[world["portfolio"].code, world["program"].pk])
    with django_assert_max_num_queries(PROGRAM_PAGE_QUERIES):
        response = client.get(url, {"sort": "-budget"})
    assert response.status_code == 200
    assert response.context["rollup"].project_count == world["size"]
    assert len(response.context["page_obj"].object_list) == min(world["size"], 25)


@pytest.mark.parametrize("items", [2, 20])
def test_project_page_queries_do_not_grow(
    client, portfolio, member_of, items, django_assert_max_num_queries
):
    project = ProjectFactory(portfolio=portfolio, manager=UserFactory(), sponsor=UserFactory())
    for n in range(items):
        MilestoneFactory(project=project, sequence=n)
        StatusReportFactory(
            project=project,
            period_start=date(2024 + n // 12, n % 12 + 1, 1),
            period_end=date(2024 + n // 12, n % 12 + 1, 28),
        )
        CostEntryFactory(project=project)
        RiskFactory(portfolio=portfolio, project=project, owner=UserFactory())
        threat = RiskFactory(portfolio=portfolio, project=None, owner=UserFactory())
        threat.threatened_projects.add(project)
    client.force_login(member_of(portfolio, "viewer"))
    with django_assert_max_num_queries(PROJECT_PAGE_QUERIES):
        response = client.get(reverse("projects:detail", args=[project.pk]))
    assert response.status_code == 200
    assert len(response.context["detail"].risks) == items
