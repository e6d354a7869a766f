"""The landing page: "Slate" opens each role's page; "My work" shows a section per role the
user holds, only what they may open, with useful empty states, in a number of queries that
does not grow with the projects."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects.models import ChangeRequest, Project
from projects.selectors import report_duties
from reporting import my_work
from reporting.models import PortfolioReview
from tests.factories import (
    AllocationFactory,
    MembershipFactory,
    PortfolioFactory,
    ProjectFactory,
    ResourceFactory,
    RiskFactory,
    RoleFactory,
    StatusReportFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
MY_WORK = reverse("reporting:my-work")
HOME = reverse("reporting:home")


def _month_start(day: date, back: int = 0) -> date:
    first = day.replace(day=1)
    for _ in range(back):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def _month_end(start: date) -> date:
    return (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def pm_world(portfolio, today):
    """A project manager without membership: ALPHA owes this month's report (a draft) and
    last month's (late), BETA is up to date but for an old draft; a colleague's GAMMA in the
    same portfolio must never show."""
    pm = UserFactory(username="jordan", first_name="Jordan", last_name="Lee")
    start = today - timedelta(days=400)
    alpha = ProjectFactory(portfolio=portfolio, code="ALPHA", manager=pm, start_date=start)
    beta = ProjectFactory(
        portfolio=portfolio, code="BETA", manager=pm, start_date=start, computed_health="green"
    )
    gamma = ProjectFactory(portfolio=portfolio, code="GAMMA", start_date=start)
    this, last, old = _month_start(today), _month_start(today, 1), _month_start(today, 3)
    StatusReportFactory(
        project=alpha, period_start=this, period_end=_month_end(this), state="draft"
    )
    StatusReportFactory(
        project=beta, period_start=this, period_end=_month_end(this), overall_rag="amber"
    )
    StatusReportFactory(project=beta, period_start=last, period_end=_month_end(last))
    StatusReportFactory(project=beta, period_start=old, period_end=_month_end(old), state="draft")
    for project in (alpha, gamma):
        StatusReportFactory(project=project, period_start=old, period_end=_month_end(old))
    RiskFactory(
        portfolio=portfolio, project=alpha, title="Vendor slips", due_date=today - timedelta(days=3)
    )
    RiskFactory(portfolio=portfolio, project=beta, title="Key person leaves", due_date=None)
    RiskFactory(portfolio=portfolio, project=gamma, title="Colleague's risk")
    ChangeRequest.objects.create(project=alpha, proposed_by=pm, reason="More scope")
    ChangeRequest.objects.create(project=gamma, reason="Not mine")
    AllocationFactory(project=alpha, role=RoleFactory(name="Tester"), requested_by=pm)
    return {"pm": pm, "alpha": alpha, "beta": beta, "gamma": gamma, "this": this, "last": last}


def test_home_sends_each_role_to_its_page(client, portfolio, pm_world, member_of):
    assert client.get(HOME).status_code == 302
    assert client.get(HOME)["Location"].startswith(reverse("login"))
    assert client.get(MY_WORK)["Location"].startswith(reverse("login"))
    for user, target in (
        (pm_world["pm"], MY_WORK),
        (member_of(portfolio, "pmo"), MY_WORK),
        (member_of(portfolio, "portfolio_manager"), MY_WORK),
        (member_of(portfolio, "resource_manager"), MY_WORK),
        (member_of(portfolio, "executive"), reverse("portfolio:list")),
        (member_of(portfolio, "viewer"), reverse("portfolio:list")),
    ):
        client.force_login(user)
        assert client.get(HOME)["Location"] == target, user
    # The header's brand link opens home.
    page = client.get(MY_WORK).content.decode()
    assert f'class="wordmark" href="{HOME}"' in page


def test_logging_in_lands_each_role_on_its_page(client, portfolio, pm_world, member_of):
    pm_world["pm"].set_password("a long passphrase")
    pm_world["pm"].save()
    executive = member_of(portfolio, "executive")
    executive.set_password("a long passphrase")
    executive.save()
    for user, target in ((pm_world["pm"], MY_WORK), (executive, reverse("portfolio:list"))):
        client.logout()
        landed = client.post(
            reverse("login"),
            {"username": user.username, "password": "a long passphrase"},
            follow=True,
        )
        assert landed.redirect_chain[-1][0] == target, user


def test_project_manager_sees_projects_reports_risks_and_requests(client, pm_world, today):
    client.force_login(pm_world["pm"])
    page = client.get(MY_WORK).content.decode()
    alpha = pm_world["alpha"]
    assert "ALPHA" in page and "BETA" in page
    assert "GAMMA" not in page and "Colleague" not in page and "Not mine" not in page
    # One-click "write report" to the report form of the right period, for each duty.
    for project, start in ((alpha, pm_world["this"]), (alpha, pm_world["last"])):
        assert reverse("projects:report", args=[project.pk, start.isoformat()]) in page
    work = my_work.manager_work(user=pm_world["pm"], today=today)
    duties = {(d.project.code, d.period_start, d.state, d.is_late) for d in work.duties}
    old = _month_start(today, 3)
    assert duties == {
        ("ALPHA", pm_world["this"], "draft", False),
        ("ALPHA", pm_world["last"], "", True),
        ("BETA", old, "draft", True),
    }
    assert (len(work.due), len(work.late), len(work.drafts)) == (1, 2, 2)
    # Health: computed (stored) and reported (the latest submitted report).
    by_code = {project.code: project for project in work.projects}
    assert by_code["BETA"].reported_health == "amber"
    assert by_code["BETA"].computed_health == "green"
    # Risks by due date, the overdue one flagged.
    assert [risk.title for risk in work.risks.rows] == ["Vendor slips", "Key person leaves"]
    assert "Overdue since" in page
    assert "Change request for" in page and "waiting for a resource manager" in page
    # A project manager gets no resource or PMO section.
    assert "Allocation requests to decide" not in page and "Portfolios I manage" not in page


def test_empty_states_say_what_would_appear(client, portfolio, member_of):
    pm = UserFactory()
    ProjectFactory(portfolio=portfolio, manager=pm, stage="closed")
    client.force_login(pm)
    page = client.get(MY_WORK).content.decode()
    assert "None of your projects is open." in page
    assert "Every report is in." in page and "No open risks." in page
    assert "Nothing waiting on others." in page
    client.force_login(member_of(portfolio, "executive"))
    page = client.get(MY_WORK).content.decode()
    assert "Nothing is waiting for you." in page
    assert "My projects" not in page and "Portfolios I manage" not in page


def test_resource_manager_sees_requests_of_their_portfolios_and_conflicts(
    client, portfolio, other_portfolio, member_of, today
):
    role = RoleFactory(name="Data engineer")
    ResourceFactory(role=role, name="Only person")
    this = _month_start(today)
    mine = ProjectFactory(portfolio=portfolio, code="MINE")
    theirs = ProjectFactory(portfolio=other_portfolio, code="THEIRS")
    for project in (mine, theirs):
        AllocationFactory(project=project, role=role, start_month=this, end_month=this)
    AllocationFactory(
        project=mine,
        role=role,
        start_month=this,
        end_month=this,
        unit="hours",
        amount=400,
        status="confirmed",
    )
    client.force_login(member_of(portfolio, "resource_manager"))
    page = client.get(MY_WORK).content.decode()
    assert "Allocation requests to decide" in page
    assert "MINE" in page and "THEIRS" not in page
    assert reverse("resources:conflict", args=[role.pk, f"{this:%Y-%m}"]) in page
    assert "My projects" not in page and "Portfolios I manage" not in page
    client.force_login(member_of(other_portfolio, "viewer"))
    assert "Allocation requests to decide" not in client.get(MY_WORK).content.decode()


def test_pmo_sees_their_portfolios_gates_reports_changes_and_reviews(
    client, portfolio, other_portfolio, member_of, pm_world, today
):
    portfolio.name, other_portfolio.name = "Mine portfolio", "Other portfolio"
    portfolio.save()
    other_portfolio.save()
    gated = ProjectFactory(
        portfolio=portfolio, stage="approved", start_date=today - timedelta(days=40)
    )
    last = _month_start(today, 1)
    for start in (last, _month_start(today)):  # reported: only its gate is pending
        StatusReportFactory(project=gated, period_start=start, period_end=_month_end(start))
    PortfolioReview.objects.create(
        portfolio=portfolio, kind="quarterly", period_start=last, period_end=_month_end(last),
        status="failed", error="Boom",
    )  # fmt: skip
    manager = member_of(portfolio, "portfolio_manager")
    client.force_login(manager)
    page = client.get(MY_WORK).content.decode()
    assert "Mine portfolio" in page and "Other portfolio" not in page
    work = my_work.oversight_work(user=manager, today=today)
    [row] = work.portfolios
    # ALPHA (current draft, last month late) and GAMMA (nothing for either) are missing.
    assert (row.pending_gates, row.missing_reports, row.late_reports) == (1, 2, 2)
    assert row.change_requests == 2
    labels = [(item.label, item.review is None) for item in work.reviews]
    assert ("Quarterly strategic-alignment review", False) in labels
    assert (f"Monthly portfolio review, {last:%B %Y}", True) in labels
    assert "Failed" in page and "Not run" in page
    assert reverse("portfolio:pending-gates", args=[portfolio.code]) in page
    assert reverse("portfolio:missing-reports", args=[portfolio.code]) in page
    # Executives and viewers of the portfolio get no PMO section.
    client.force_login(member_of(portfolio, "executive"))
    assert "Portfolios I manage" not in client.get(MY_WORK).content.decode()


def test_a_user_with_several_roles_sees_each_section(client, portfolio, pm_world):
    MembershipFactory(portfolio=portfolio, user=pm_world["pm"], role="pmo")
    client.force_login(pm_world["pm"])
    page = client.get(MY_WORK).content.decode()
    for title in ("My projects", "Status reports to write", "Allocation requests to decide"):
        assert title in page
    assert "Conflicts this quarter" in page and "Portfolios I manage" in page


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(MY_WORK).status_code == 200
    return len(captured)


def _add_projects(portfolio, pm, today, n):
    this = _month_start(today)
    for _ in range(n):
        project = ProjectFactory(portfolio=portfolio, manager=pm, start_date=today - timedelta(400))
        StatusReportFactory(project=project, period_start=this, period_end=_month_end(this))
        RiskFactory(portfolio=portfolio, project=project, due_date=today)
        AllocationFactory(project=project, requested_by=pm)
        ChangeRequest.objects.create(project=project, proposed_by=pm, reason="x")


def test_query_count_does_not_grow_with_projects(client, portfolio, today):
    pm = UserFactory()
    MembershipFactory(portfolio=portfolio, user=pm, role="pmo")  # every section
    other = PortfolioFactory()
    MembershipFactory(portfolio=other, user=pm, role="portfolio_manager")
    client.force_login(pm)
    # Past SHOWN rows already (a shortlist then counts the rest: one query more, once).
    _add_projects(portfolio, pm, today, my_work.SHOWN + 1)
    small = _queries(client)
    _add_projects(portfolio, pm, today, 10)
    _add_projects(other, pm, today, 5)
    assert _queries(client) == small


def test_report_duties_follow_each_portfolios_period_in_two_queries(
    django_assert_num_queries,
):
    ProjectFactory(code="WEEK", portfolio=PortfolioFactory(reporting_period="weekly"))
    ProjectFactory(code="MONTH")
    ProjectFactory(code="LATER", start_date=date(2026, 12, 7))  # owes nothing yet
    with django_assert_num_queries(2):
        duties = report_duties(projects=Project.objects.all(), today=date(2026, 11, 25))
    assert [(d.project.code, d.period_start, d.is_late, d.days) for d in duties] == [
        ("WEEK", date(2026, 11, 23), False, 4),
        ("MONTH", date(2026, 11, 1), False, 5),
        ("MONTH", date(2026, 10, 1), True, 25),
        ("WEEK", date(2026, 11, 16), True, 3),
    ]
