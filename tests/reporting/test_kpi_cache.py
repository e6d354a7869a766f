"""The KPI cache (`reporting.kpi_cache`): every kind of write shows on the very next request,
whichever way it reaches the database; nobody is served figures of projects they may not see;
an entry holds exactly the data its version names. PostgreSQL only (the triggers that version
the data are PostgreSQL's; on SQLite the cache is off)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError

from core import access
from portfolio.models import Portfolio
from projects import services as project_services
from projects.models import CostEntry, Milestone, Project, ProjectDependency, StatusReport
from projects.periods import period_containing, previous_period
from reporting import kpi_cache, kpis
from reporting.models import KpiDataVersion
from resources import services as resource_services
from risks import services as risk_services
from risks.models import Risk
from tests.factories import (
    AllocationFactory,
    CostEntryFactory,
    MembershipFactory,
    MilestoneFactory,
    PortfolioFactory,
    ProgramFactory,
    ProjectFactory,
    RiskFactory,
    StatusReportFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the data versions are PostgreSQL triggers"
    ),
]


@pytest.fixture(autouse=True)
def kpi_cache_on(settings):
    settings.KPI_CACHE = True


@pytest.fixture
def computations(monkeypatch):
    """How many times each roll-up was computed rather than read from the cache."""
    counts = {"portfolio": 0, "program": 0, "portfolios": 0}
    for name, key in (
        ("portfolio_kpis", "portfolio"),
        ("program_kpis", "program"),
        ("portfolios_kpis", "portfolios"),
    ):
        original = getattr(kpis, name)

        def counting(*args, _original=original, _key=key, **kwargs):
            counts[_key] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(kpis, name, counting)
    return counts


@dataclass
class Board:
    """A portfolio with one project carrying every kind of KPI input (a submitted report, a
    draft for the current period, costs, a milestone, a risk, a dependency on a project of
    another portfolio), a second plain project, and who looks at it."""

    portfolio: Portfolio
    program: object
    project: Project
    plain_project: Project
    predecessor: Project
    milestone: Milestone
    cost: CostEntry
    draft: StatusReport
    risk: Risk
    admin: object
    executive: object
    manager: object
    client: object

    def url(self) -> str:
        return reverse("portfolio:detail", args=[self.portfolio.code])

    def rollup(self, user=None, url=None):
        self.client.force_login(user or self.executive)
        response = self.client.get(url or self.url())
        assert response.status_code == 200
        return response.context["rollup"]


@pytest.fixture
def board(db, client):
    today = timezone.localdate()
    kind = "monthly"
    current_start, current_end = period_containing(kind, today)
    last_start, last_end = previous_period(kind, current_start)
    reported_start, reported_end = previous_period(kind, last_start)
    portfolio = PortfolioFactory(code="cache")
    program = ProgramFactory(portfolio=portfolio, name="Program One")
    manager = UserFactory(username="manager", first_name="Mona", last_name="Manager")
    start = reported_start - timedelta(days=120)
    project = ProjectFactory(
        portfolio=portfolio,
        program=program,
        manager=manager,
        start_date=start,
        baseline_start=start,
        end_date=current_end + timedelta(days=200),
        baseline_end=current_end + timedelta(days=200),
        budget=Decimal("100000"),
    )
    plain_project = ProjectFactory(
        portfolio=portfolio,
        start_date=start,
        baseline_start=start,
        end_date=current_end + timedelta(days=100),
        baseline_end=current_end + timedelta(days=100),
    )
    StatusReportFactory(
        project=project,
        period_start=reported_start,
        period_end=reported_end,
        percent_complete=Decimal("30"),
        forecast_cost=Decimal("110000"),
        summary="On track",
    )
    draft = StatusReportFactory(  # the period just ended, not reported yet
        project=project,
        period_start=last_start,
        period_end=last_end,
        state="draft",
        percent_complete=Decimal("40"),
        forecast_cost=Decimal("105000"),
        summary="Draft",
    )
    milestone = MilestoneFactory(
        project=project,
        baseline_date=reported_start,
        forecast_date=reported_start,
        actual_date=reported_start,
        status="done",
        weight=Decimal("25"),
    )
    MilestoneFactory(
        project=project,
        name="Go-live",
        baseline_date=today + timedelta(days=10),
        forecast_date=today + timedelta(days=10),
        weight=Decimal("10"),
    )
    cost = CostEntryFactory(project=project, date=reported_start, amount=Decimal("20000"))
    risk = RiskFactory(portfolio=portfolio, project=project, cost_impact=Decimal("10000"))
    predecessor = ProjectFactory(
        portfolio=PortfolioFactory(code="elsewhere"), end_date=current_end + timedelta(days=10)
    )
    ProjectDependency.objects.create(
        predecessor=predecessor,
        successor=project,
        deliverable="An interface",
        needed_by=current_end + timedelta(days=30),
    )
    return Board(
        portfolio=portfolio,
        program=program,
        project=project,
        plain_project=plain_project,
        predecessor=predecessor,
        milestone=milestone,
        cost=cost,
        draft=draft,
        risk=risk,
        admin=UserFactory(username="pmo-admin", is_superuser=True, is_staff=True),
        executive=MembershipFactory(portfolio=portfolio, role="executive").user,
        manager=manager,
        client=client,
    )


def figures(rollup):
    """Everything a page reads from a roll-up: the sums, each project's row, the previous
    period's sums."""
    return rollup, tuple(rollup.projects), rollup.previous


def uncached(board, settings, user=None, url=None):
    settings.KPI_CACHE = False
    try:
        return board.rollup(user, url)
    finally:
        settings.KPI_CACHE = True


# --- Every kind of write, through every road it takes -------------------------------------


def _cost_by_service(board):
    project_services.cost_entry_create(
        project=board.project,
        data={"date": timezone.localdate(), "amount": Decimal("1234"), "category": "labour"},
        by=board.admin,
    )


def _cost_by_csv_import(board):
    day = timezone.localdate().isoformat()
    project_services.cost_entries_import_csv(
        project=board.project,
        file=f"date,amount,category\n{day},500,labour\n{day},700,travel\n",
        by=board.admin,
    )


def _costs_by_bulk_create(board):
    CostEntry.objects.bulk_create(
        [
            CostEntry(project=board.project, date=board.cost.date, amount=n, category="labour")
            for n in (Decimal("1"), Decimal("2"))
        ]
    )


def _cost_by_admin(board):
    board.client.force_login(board.admin)
    response = board.client.post(
        reverse("admin:projects_costentry_add"),
        {
            "project": board.project.pk,
            "date": timezone.localdate().isoformat(),
            "amount": "4321.00",
            "category": "software",
            "description": "from the admin",
        },
    )
    assert response.status_code == 302, response.content[:2000]


def _costs_by_queryset_update(board):
    CostEntry.objects.filter(project=board.project).update(amount=Decimal("55555"))


def _cost_by_raw_sql(board):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE projects_costentry SET amount = amount + 1 WHERE id = %s", [board.cost.pk]
        )


def _cost_deleted(board):
    project_services.cost_entry_delete(entry=board.cost, by=board.admin)


def _report_submitted(board):
    project_services.status_report_submit(
        report=board.draft, data={}, expected_version=board.draft.version, by=board.manager
    )


def _report_reopened(board):
    report = StatusReport.objects.get(project=board.project, state="submitted")
    project_services.status_report_reopen(
        report=report, expected_version=report.version, by=board.admin
    )


def _report_deleted(board):
    StatusReport.objects.filter(project=board.project, state="submitted").delete()


def _budget_by_change_request(board):
    change = project_services.change_request_propose(
        project=board.project, data={"budget": Decimal("150000"), "reason": "More scope"},
        by=board.admin,
    )  # fmt: skip
    project_services.change_request_approve(change_request=change, by=board.admin)


def _budget_by_save(board):
    project = Project.objects.get(pk=board.project.pk)
    project.budget = Decimal("90000")
    project.save()  # what the admin's change form does


def _baseline_by_queryset_update(board):
    Project.objects.filter(pk=board.project.pk).update(
        baseline_end=board.project.baseline_end + timedelta(days=300)
    )


def _milestone_slipped_by_service(board):
    milestone = Milestone.objects.get(project=board.project, name="Go-live")
    project_services.milestone_update(
        milestone=milestone,
        data={"forecast_date": timezone.localdate() + timedelta(days=40)},
        expected_version=milestone.version,
        by=board.admin,
    )


def _milestone_by_queryset_update(board):
    Milestone.objects.filter(pk=board.milestone.pk).update(
        baseline_date=board.milestone.baseline_date - timedelta(days=20)
    )


def _risk_created(board):
    risk_services.risk_create(
        project=board.project,
        data={"title": "Late", "probability": 5, "impact": 4, "cost_impact": Decimal("80000")},
        by=board.admin,
    )


def _risk_edited(board):
    risk_services.risk_update(
        risk=board.risk, data={"probability": 5}, expected_version=board.risk.version,
        by=board.admin,
    )  # fmt: skip


def _risk_escalated(board):
    risk_services.risk_escalate(
        risk=board.risk, by=board.admin, reason="Too big for the project",
        owner=board.admin, expected_version=board.risk.version,
    )  # fmt: skip


def _risk_deleted(board):
    Risk.objects.filter(pk=board.risk.pk).delete()


def _predecessor_in_another_portfolio_late(board):
    Project.objects.filter(pk=board.predecessor.pk).update(
        end_date=board.predecessor.end_date + timedelta(days=90)
    )


def _dependency_added(board):
    ProjectDependency.objects.create(
        predecessor=board.plain_project, successor=board.project, deliverable="Data",
        needed_by=board.plain_project.end_date - timedelta(days=30),
    )  # fmt: skip


def _manager_renamed(board):
    board.manager.first_name = "Marta"
    board.manager.save()


def _program_renamed(board):
    board.program.name = "Program Renamed"
    board.program.save()


def _thresholds_changed(board):
    Portfolio.objects.filter(pk=board.portfolio.pk).update(
        green_threshold=Decimal("2"), amber_threshold=Decimal("1.5")
    )


def _project_deleted(board):
    board.plain_project.delete()


def _project_added(board):
    ProjectFactory(portfolio=board.portfolio, budget=Decimal("7000"))


def _project_moved_out(board):
    Project.objects.filter(pk=board.plain_project.pk).update(portfolio=board.predecessor.portfolio)


WRITES = [
    _cost_by_service, _cost_by_csv_import, _costs_by_bulk_create, _cost_by_admin,
    _costs_by_queryset_update, _cost_by_raw_sql, _cost_deleted, _report_submitted,
    _report_reopened, _report_deleted, _budget_by_change_request, _budget_by_save,
    _baseline_by_queryset_update, _milestone_slipped_by_service, _milestone_by_queryset_update,
    _risk_created, _risk_edited, _risk_escalated, _risk_deleted,
    _predecessor_in_another_portfolio_late, _dependency_added, _manager_renamed,
    _program_renamed, _thresholds_changed, _project_deleted, _project_added, _project_moved_out,
]  # fmt: skip


@pytest.mark.parametrize("write", WRITES, ids=[write.__name__.strip("_") for write in WRITES])
def test_a_write_shows_on_the_very_next_request(board, write, client, settings, computations):
    before = figures(board.rollup())
    assert figures(board.rollup()) == before
    assert computations["portfolio"] == 1  # the second request was served from the cache

    write(board)

    after = figures(board.rollup())
    assert computations["portfolio"] == 2
    assert after != before  # the write changed a figure…
    assert after == figures(uncached(board, settings))  # …and the page shows it


def test_the_overview_and_the_api_show_a_write_on_the_next_request(
    board, client, settings, computations
):
    client.force_login(board.executive)
    overview = reverse("portfolio:list")
    api = reverse("api:portfolio-detail", args=[board.portfolio.code])
    totals = client.get(overview).context["overview"].totals
    budget = client.get(api).json()["kpis"]["budget"]
    client.get(overview), client.get(api)
    assert computations == {"portfolio": 1, "program": 0, "portfolios": 1}

    _budget_by_save(board)

    assert client.get(overview).context["overview"].totals.budget == totals.budget - Decimal(
        "10000"
    )
    assert Decimal(client.get(api).json()["kpis"]["budget"]) == Decimal(budget) - 10000
    assert computations == {"portfolio": 2, "program": 0, "portfolios": 2}


def test_a_program_page_shows_a_threatening_risk_of_another_portfolio(
    board, client, settings, computations
):
    url = reverse("portfolio:program", args=[board.portfolio.code, board.program.pk])
    before = figures(board.rollup(board.admin, url))
    board.rollup(board.admin, url)
    assert computations["program"] == 1

    elsewhere = RiskFactory(portfolio=board.predecessor.portfolio, project=None)
    elsewhere.threatened_projects.add(board.project)

    after = figures(board.rollup(board.admin, url))
    assert computations["program"] == 2
    assert after != before
    assert after == figures(uncached(board, settings, board.admin, url))

    Risk.objects.filter(pk=elsewhere.pk).update(probability=5)  # edited in its own portfolio
    edited = figures(board.rollup(board.admin, url))
    assert computations["program"] == 4  # 3 was the uncached read
    assert edited != after
    assert edited == figures(uncached(board, settings, board.admin, url))


def test_a_draft_save_changes_no_figure_and_keeps_the_entry(board, client, computations):
    """The load test's most frequent write: the figures read submitted reports only."""
    before = figures(board.rollup())
    project_services.status_report_save(
        report=board.draft, data={"summary": "Still a draft", "percent_complete": Decimal("45")},
        expected_version=board.draft.version, by=board.manager,
    )  # fmt: skip
    assert figures(board.rollup()) == before
    assert computations["portfolio"] == 1


def test_an_allocation_changes_no_figure(board, client, settings, computations):
    """No KPI reads allocations (capacity pages read them live): confirming one keeps the
    entry, and the page still shows what a computation would."""
    board.rollup()
    month = timezone.localdate().replace(day=1)
    allocation = AllocationFactory(
        project=board.project, start_month=month, end_month=month, status="requested"
    )
    resource_services.allocation_confirm(
        allocation=allocation, by=board.admin, override=True, override_reason="Hire coming"
    )
    allocation.refresh_from_db()
    assert allocation.status == "confirmed"
    served = figures(board.rollup())
    assert computations["portfolio"] == 1
    assert served == figures(uncached(board, settings))


# --- Who sees what ----------------------------------------------------------------------------


def test_a_manager_outside_the_portfolio_never_gets_the_members_entry(board, client, computations):
    """The manager of one project, without a membership, sees that project only: the entry
    the executive's request made (both projects) is not theirs, whichever asks first."""
    everything = board.rollup(board.executive)
    own = board.rollup(board.manager)
    assert everything.project_count == 2
    assert own.project_count == 1
    assert [row.project.pk for row in own.projects] == [board.project.pk]
    assert computations["portfolio"] == 2
    # and the other way round, on fresh entries
    _cost_by_service(board)
    assert board.rollup(board.manager).project_count == 1
    assert board.rollup(board.executive).project_count == 2

    overview = reverse("portfolio:list")
    client.force_login(board.executive)
    assert client.get(overview).context["overview"].totals.project_count == 2
    client.force_login(board.manager)
    assert client.get(overview).context["overview"].totals.project_count == 1


def test_what_a_partial_viewer_sees_is_never_served_from_an_entry(board, client, settings):
    """A manager without a membership sees a portfolio risk when it threatens a project they
    manage, in any portfolio: taking over a project elsewhere (a write to that portfolio only)
    shows the risk on this portfolio's dashboard at once."""
    elsewhere = ProjectFactory(portfolio=board.predecessor.portfolio)  # nothing waits on it
    threat = RiskFactory(portfolio=board.portfolio, project=None, cost_impact=Decimal("50000"))
    threat.threatened_projects.add(elsewhere)
    before = board.rollup(board.manager)
    board.rollup(board.executive)  # an entry exists, and is not the manager's

    Project.objects.filter(pk=elsewhere.pk).update(manager=board.manager)

    after = board.rollup(board.manager)
    assert after.portfolio_risk_exposure == before.portfolio_risk_exposure + Decimal("25000")
    assert figures(after) == figures(uncached(board, settings, board.manager))


def test_members_and_admins_share_one_entry(board, client, computations):
    viewer = MembershipFactory(portfolio=board.portfolio, role="viewer").user
    shared = figures(board.rollup(board.executive))
    assert figures(board.rollup(viewer)) == shared
    assert figures(board.rollup(board.admin)) == shared
    assert computations["portfolio"] == 1


def test_a_membership_given_shows_the_whole_portfolio_at_once(board, client):
    assert board.rollup(board.manager).project_count == 1
    MembershipFactory(portfolio=board.portfolio, user=board.manager, role="viewer")
    assert board.rollup(board.manager).project_count == 2


def test_the_as_of_date_is_part_of_the_key(board, client, settings):
    today = board.rollup()
    earlier = board.rollup(url=f"{board.url()}?as_of={board.cost.date:%Y-%m-%d}")
    assert earlier.as_of == board.cost.date != today.as_of
    assert figures(earlier) == figures(
        uncached(board, settings, url=f"{board.url()}?as_of={board.cost.date:%Y-%m-%d}")
    )


# --- An entry holds exactly the data its version names ---------------------------------------


def test_a_write_during_the_computation_is_not_kept_under_the_older_version(
    board, client, settings, monkeypatch
):
    """A cost committed after the request read the version but before it computed: the
    figures include it, so they must not be stored under the version read. Checked by putting
    that version back with the data it named (as a restore of a backup would)."""
    version = kpi_cache.data_versions([board.portfolio.pk])[board.portfolio.pk]
    original = kpis.portfolio_kpis
    written = []

    def write_first(**kwargs):
        if not written:
            written.append(CostEntryFactory(project=board.project, amount=Decimal("777")))
        return original(**kwargs)

    monkeypatch.setattr(kpis, "portfolio_kpis", write_first)
    with_cost = board.rollup()
    assert with_cost.cost_to_date == Decimal("20777")

    CostEntry.objects.filter(pk=written[0].pk).delete()
    KpiDataVersion.objects.filter(portfolio_id=board.portfolio.pk).update(token=version)
    assert board.rollup().cost_to_date == Decimal("20000")
    assert figures(board.rollup()) == figures(uncached(board, settings))


def test_a_lost_version_row_is_made_again_with_a_new_token(board, client, computations):
    board.rollup()
    KpiDataVersion.objects.all().delete()
    board.rollup()
    assert computations["portfolio"] == 2
    assert KpiDataVersion.objects.filter(portfolio_id=board.portfolio.pk).exists()


def test_a_cache_that_does_not_answer_costs_the_computation_only(board, client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(caches["kpis"], "get_many", unreachable)
    monkeypatch.setattr(caches["kpis"], "set_many", unreachable)
    assert board.rollup().project_count == 2


def test_the_hit_reads_two_small_queries_instead_of_the_figures(board, client):
    board.rollup()
    with CaptureQueriesContext(connection) as queries:
        kpi_cache.portfolio_kpis(
            portfolio=board.portfolio,
            user=board.executive,
            as_of=timezone.localdate(),
        )
        kpi_cache.portfolio_kpis(
            portfolio=board.portfolio,
            user=board.executive,
            as_of=timezone.localdate(),
        )
    hit = [q["sql"] for q in queries.captured_queries][-2:]
    assert "portfolio_portfoliomembership" in hit[0]
    assert "reporting_kpidataversion" in hit[1]


# --- The triggers cover every table the figures read -----------------------------------------

# Who sees what is read live on every request (the entry's audience), never from an entry.
AUDIENCE_TABLES = {"portfolio_portfoliomembership"}


def test_every_table_the_figures_read_is_versioned_by_a_trigger(board):
    today = timezone.localdate()
    user = board.manager
    access.is_pmo_admin(user)  # permissions are read once per user object, not by the figures
    with CaptureQueriesContext(connection) as queries:
        rollup = kpis.portfolio_kpis(
            portfolio=board.portfolio, user=user, as_of=today, previous_as_of=today
        )
        list(rollup.previous.projects)
        kpis.program_kpis(program=board.program, user=user, as_of=today, previous_as_of=today)
        overview = kpis.portfolios_kpis(portfolios=[board.portfolio], user=user, as_of=today)
        list(overview[board.portfolio.pk].projects)
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    tables = {model._meta.db_table for model in apps.get_models(include_auto_created=True)}
    read = {table for table in tables if re.search(rf"\b{table}\b", sql)}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE 'slate_kpi%'"
        )
        versioned = {row[0] for row in cursor.fetchall()}
    assert "projects_costentry" in read and "risks_risk" in read  # the capture works
    assert read - versioned == AUDIENCE_TABLES


def test_a_portfolio_has_a_version_from_its_creation_to_its_deletion():
    portfolio = PortfolioFactory()
    token = KpiDataVersion.objects.get(portfolio_id=portfolio.pk).token
    Portfolio.objects.filter(pk=portfolio.pk).update(name="Renamed")
    assert KpiDataVersion.objects.get(portfolio_id=portfolio.pk).token != token
    portfolio.delete()
    assert not KpiDataVersion.objects.filter(portfolio_id=portfolio.pk).exists()


def test_a_portfolio_renamed_shows_on_a_program_page_listing_its_project(board, settings):
    """A program's page lists each project with its portfolio's code; a project filed under
    another portfolio than its program's (a bulk update can do it; `clean()` refuses it) shows
    that portfolio's new code at once."""
    stray = ProjectFactory(portfolio=board.predecessor.portfolio, program=board.program)
    url = reverse("portfolio:program", args=[board.portfolio.code, board.program.pk])
    board.rollup(board.admin, url)

    Portfolio.objects.filter(pk=stray.portfolio_id).update(code="renamed")

    rows = {row.project.pk: row for row in board.rollup(board.admin, url).projects}
    assert rows[stray.pk].project.portfolio_code == "renamed"
