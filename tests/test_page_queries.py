"""Each page's query count is the same at 20 and 200 projects (STYLE.md §5, NetBox).

The bounds are the measured counts, not guesses: if a page needs one query more, raise the
bound here on purpose; if it starts growing with the data, these tests fail at 200.
The user is a plain member (not a PMO admin), so the visibility filters are in every query.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from portfolio.models import PortfolioMembership
from projects.models import CostEntry, Milestone, Project, StatusReport
from risks.models import Risk
from tests.factories import (
    CostEntryFactory,
    MilestoneFactory,
    PortfolioFactory,
    ProgramFactory,
    ProjectFactory,
    RiskFactory,
    StatusReportFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# 4 of each count are per request, whatever the page: the session, the user, and the user's
# and their groups' permissions (portfolio.access.is_pmo_admin → user.has_perm).
# List: visible portfolios with five rollup subqueries.
PORTFOLIO_LIST_QUERIES = 5
# Portfolio page: portfolio, programs, objectives, top risks, projects by stage, actual cost,
# risk totals, page count, page rows.
PORTFOLIO_PAGE_QUERIES = 13
# Program page: program (with portfolio), projects by stage, actual cost, risk totals,
# page count, page rows.
PROGRAM_PAGE_QUERIES = 10
# Project page: project (with portfolio, program, manager, sponsor), EVM (actual cost, latest
# report, milestone weights), milestones, reports, report count, cost entries, cost totals,
# project risks, threatening risks, dependencies in, dependencies out, allocations; charts
# (submitted reports, monthly cost totals); history (project, milestones, reports, risks);
# may the user edit (their role in the portfolio).
PROJECT_PAGE_QUERIES = 25


def _populate(portfolio, program, manager, count):
    """`count` projects, each with a submitted status report, two cost entries, a milestone
    and a project risk; plus a portfolio risk threatening all of them. Bulk inserts: the
    factories only build the rows."""
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
    Risk.objects.bulk_create(RiskFactory.build(portfolio=portfolio, project=p) for p in projects)
    threat = RiskFactory(portfolio=portfolio, project=None, cost_impact=Decimal("50000"))
    threat.threatened_projects.set(projects)


@pytest.fixture(params=[20, 200], ids=["20-projects", "200-projects"])
def world(request, db):
    portfolio = PortfolioFactory()
    program = ProgramFactory(portfolio=portfolio)
    ProgramFactory(portfolio=portfolio)
    member = UserFactory()
    PortfolioMembership.objects.create(user=member, portfolio=portfolio, role="executive")
    _populate(portfolio, program, UserFactory(), request.param)
    # A second visible portfolio with the same data, so the list has more than one row.
    second = PortfolioFactory()
    PortfolioMembership.objects.create(user=member, portfolio=second, role="viewer")
    _populate(second, ProgramFactory(portfolio=second), UserFactory(), request.param)
    return {"portfolio": portfolio, "program": program, "member": member, "size": request.param}


def test_portfolio_list_queries_do_not_grow(client, world, django_assert_max_num_queries):
    client.force_login(world["member"])
    with django_assert_max_num_queries(PORTFOLIO_LIST_QUERIES):
        response = client.get(reverse("portfolio:list"))
    assert response.status_code == 200
    assert {p.project_count for p in response.context["portfolios"]} == {world["size"]}


def test_portfolio_page_queries_do_not_grow(client, world, django_assert_max_num_queries):
    client.force_login(world["member"])
    url = reverse("portfolio:detail", args=[world["portfolio"].code])
    with django_assert_max_num_queries(PORTFOLIO_PAGE_QUERIES):
        response = client.get(url, {"page": 1})
    assert response.status_code == 200
    assert response.context["rollup"].project_count == world["size"]
    assert len(response.context["page_obj"].object_list) == min(world["size"], 25)


def test_filtered_portfolio_page_queries_do_not_grow(client, world, django_assert_max_num_queries):
    client.force_login(world["member"])
    url = reverse("portfolio:detail", args=[world["portfolio"].code])
    with django_assert_max_num_queries(PORTFOLIO_PAGE_QUERIES):
        response = client.get(
            url, {"program": world["program"].pk, "stage": "in_progress", "page": 2}
        )
    assert response.status_code == 200


def test_program_page_queries_do_not_grow(client, world, django_assert_max_num_queries):
    client.force_login(world["member"])
    url = reverse("portfolio:program", args=[world["portfolio"].code, world["program"].pk])
    with django_assert_max_num_queries(PROGRAM_PAGE_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["rollup"].project_count == world["size"]


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
