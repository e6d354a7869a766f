"""The PMO's audit page (reporting/views/audit.py, reporting.selectors.audit_trail): one
date-ordered list of role changes, gate decisions, scenario commits, allocation overrides and
failed logins, filtered by kind and portfolio, and only for those who may audit."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from portfolio.models import GateDecision, PortfolioMembership, Scenario
from reporting import selectors
from tests.factories import AllocationFactory, MembershipFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/audit/"


@pytest.fixture
def events(portfolio, other_portfolio):
    """One event of each kind in `portfolio`, and a gate decision in `other_portfolio`."""
    boss = UserFactory(username="boss")
    membership = PortfolioMembership.objects.create(
        user=UserFactory(username="newcomer"), portfolio=portfolio, role="viewer"
    )
    membership.role = "executive"
    membership.save()
    project = ProjectFactory(portfolio=portfolio, code="AUD-1")
    for gated in (project, ProjectFactory(portfolio=other_portfolio, code="HIDDEN-1")):
        GateDecision.objects.create(
            project=gated,
            from_stage="candidate",
            to_stage="approved",
            outcome="go",
            decided_by=boss,
            decided_on=date(2026, 11, 2),
            rationale="Worth it",
        )
    Scenario.objects.create(
        portfolio=portfolio,
        name="Lean year",
        budget_limit=Decimal("100"),
        committed_by=boss,
        committed_at=timezone.now(),
    )
    allocation = AllocationFactory(project=project)
    allocation.status = "confirmed"
    allocation.decided_by = boss
    allocation.decided_at = timezone.now()
    allocation.override_reason = "The release needs the hours"
    allocation.save()
    allocation.amount = Decimal("0.6")
    allocation.save()  # a later save keeps the reason: still one override
    AccessAttempt.objects.create(
        username="alice",
        ip_address="10.0.0.9",
        user_agent="test",
        failures_since_start=5,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/login/",
    )
    return project


def _rows(response):
    return list(response.context["page_obj"])


def test_the_pmo_admin_sees_every_kind_newest_first(client, pmo_admin, events):
    client.force_login(pmo_admin)
    rows = _rows(client.get(URL))

    kinds = [row.kind for row in rows]
    assert kinds.count("role") == 2  # given, then changed
    assert kinds.count("gate") == 2
    assert kinds.count("scenario") == kinds.count("override") == kinds.count("login") == 1
    assert [row.at for row in rows] == sorted((row.at for row in rows), reverse=True)
    override = next(row for row in rows if row.kind == "override")
    assert override.detail == "The release needs the hours" and override.actor == "boss"
    login = next(row for row in rows if row.kind == "login")
    assert login.subject == "alice" and "locked out" in login.detail
    assert "changed to executive" in {row.detail for row in rows if row.kind == "role"}


def test_a_portfolio_manager_sees_only_their_portfolio_and_no_logins(
    client, portfolio, member_of, events
):
    client.force_login(member_of(portfolio, "portfolio_manager"))
    response = client.get(URL)

    assert response.status_code == 200
    rows = _rows(response)
    assert {row.portfolio_code for row in rows} == {portfolio.code}
    assert "HIDDEN-1" not in response.content.decode()
    assert "login" not in {row.kind for row in rows}


@pytest.mark.parametrize("role", ["executive", "resource_manager", "viewer"])
def test_other_members_are_refused(client, portfolio, member_of, events, role):
    client.force_login(member_of(portfolio, role))
    assert client.get(URL).status_code == 403


def test_a_project_manager_without_membership_is_refused(client, events):
    client.force_login(events.manager or UserFactory())
    assert client.get(URL).status_code == 403


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_filters_by_kind_and_portfolio(client, pmo_admin, portfolio, other_portfolio, events):
    client.force_login(pmo_admin)

    gates = _rows(client.get(URL, {"kind": "gate"}))
    assert {row.kind for row in gates} == {"gate"} and len(gates) == 2

    other = _rows(client.get(URL, {"portfolio": other_portfolio.code}))
    assert [(row.kind, row.subject) for row in other] == [("gate", "HIDDEN-1")]


def test_the_manager_cannot_filter_into_another_portfolio(
    client, portfolio, other_portfolio, member_of, events
):
    client.force_login(member_of(portfolio, "pmo"))
    rows = _rows(client.get(URL, {"portfolio": other_portfolio.code}))
    assert {row.portfolio_code for row in rows} == {portfolio.code}


def test_pages_of_the_merged_list(client, pmo_admin, portfolio, events, settings):
    settings.SLATE_PAGE_SIZE = 3
    client.force_login(pmo_admin)
    first = client.get(URL).context["page_obj"]
    second = client.get(URL, {"page": 2}).context["page_obj"]
    assert first.paginator.count == 7
    assert len(first) == 3 and len(second) == 3
    assert first[-1].at >= second[0].at


def test_the_trail_is_read_in_two_queries_whatever_its_size(
    pmo_admin, portfolio, events, django_assert_num_queries
):
    for number in range(5):
        user = UserFactory(username=f"m{number}")
        MembershipFactory(portfolio=portfolio, role="viewer", user=user)
    trail = selectors.audit_trail(user=pmo_admin)
    with django_assert_num_queries(2):
        assert trail.count() == 12
        assert len(trail[0:10]) == 10


def test_membership_changes_are_recorded_in_history(portfolio):
    membership = MembershipFactory(portfolio=portfolio, role="viewer")
    pk = membership.pk
    membership.delete()
    history = PortfolioMembership.history.filter(id=pk)
    assert list(history.values_list("history_type", flat=True)) == ["-", "+"]
    assert timezone.now() - PortfolioMembership.history.first().history_date < timedelta(minutes=1)
