from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.concurrency import ConcurrentEditError
from risks import services
from risks.models import Risk
from tests.factories import ProjectFactory, RiskFactory, UserFactory

pytestmark = pytest.mark.django_db
GOOD = {
    "title": "Payment provider certification late",
    "probability": 4,
    "impact": 4,
    "cost_impact": Decimal("150000"),
}


@pytest.fixture
def manager():
    return UserFactory(username="manager")


@pytest.fixture
def managed(portfolio, manager):
    return ProjectFactory(portfolio=portfolio, manager=manager)


def test_create_scores_and_bands(managed, manager):
    risk = services.risk_create(project=managed, data=GOOD, by=manager)
    assert (risk.score, risk.band, risk.exposure) == (16, "high", Decimal("105000.00"))
    assert risk.portfolio == managed.portfolio


def test_bad_input_names_the_field(managed, manager):
    with pytest.raises(ValidationError) as error:
        services.risk_create(project=managed, data={**GOOD, "probability": 7}, by=manager)
    assert "probability" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.risk_create(
            project=managed, data={**GOOD, "cost_impact": Decimal("-1")}, by=manager
        )
    assert "cost_impact" in error.value.message_dict
    assert not Risk.objects.exists()


@pytest.mark.parametrize("role", ["executive", "viewer", "resource_manager"])
def test_readers_may_not_log_risks(managed, member_of, role):
    with pytest.raises(PermissionDenied):
        services.risk_create(project=managed, data=GOOD, by=member_of(managed.portfolio, role))


def test_close_and_stale_edit(managed, manager):
    risk = services.risk_create(project=managed, data=GOOD, by=manager)
    services.risk_close(risk=risk, expected_version=1, by=manager)
    risk.refresh_from_db()
    assert risk.status == "closed" and risk.closed_at is not None
    stale = Risk.objects.get(pk=risk.pk)
    with pytest.raises(ConcurrentEditError) as error:
        services.risk_update(risk=stale, data={"impact": 1}, expected_version=1, by=manager)
    assert {c.field for c in error.value.changes} == {"status", "closed_at"}


def test_escalate_creates_a_portfolio_risk_and_records_who_and_why(managed, manager):
    risk = services.risk_create(project=managed, data=GOOD, by=manager)
    portfolio_risk = services.risk_escalate(
        risk=risk,
        by=manager,
        reason="Affects every project using the provider",
        expected_version=1,
    )
    risk.refresh_from_db()
    assert portfolio_risk.is_portfolio_level
    assert list(portfolio_risk.threatened_projects.all()) == [managed]
    assert (risk.escalated_to, risk.escalated_by, risk.status) == (
        portfolio_risk,
        manager,
        "escalated",
    )
    assert risk.escalation_reason == "Affects every project using the provider"


def test_escalate_links_to_an_existing_portfolio_risk(portfolio, managed, manager):
    shared = RiskFactory(portfolio=portfolio, project=None, title="Shared platform outage")
    other = ProjectFactory(portfolio=portfolio)
    shared.threatened_projects.add(other)
    risk = services.risk_create(project=managed, data=GOOD, by=manager)
    result = services.risk_escalate(
        risk=risk, by=manager, reason="Same root cause", portfolio_risk=shared, expected_version=1
    )
    assert result == shared
    assert set(shared.threatened_projects.all()) == {managed, other}
    assert Risk.objects.portfolio_level().count() == 1


def test_escalation_needs_a_reason_and_a_portfolio_risk_of_the_same_portfolio(
    managed, manager, other_portfolio
):
    risk = services.risk_create(project=managed, data=GOOD, by=manager)
    with pytest.raises(ValidationError):
        services.risk_escalate(risk=risk, by=manager, reason=" ", expected_version=1)
    foreign = RiskFactory(portfolio=other_portfolio, project=None)
    with pytest.raises(ValidationError):
        services.risk_escalate(
            risk=risk, by=manager, reason="x", portfolio_risk=foreign, expected_version=1
        )
    risk.refresh_from_db()
    assert risk.escalated_to is None and risk.version == 1


# --- The owner of a portfolio risk made by escalation -----------------------------------------


def _escalate(risk, by, **kwargs):
    return services.risk_escalate(
        risk=risk, by=by, reason="Threatens the portfolio", expected_version=risk.version, **kwargs
    )


def test_the_new_portfolio_risk_is_owned_by_the_portfolio_manager(
    portfolio, managed, manager, member_of
):
    member_of(portfolio, "pmo")
    portfolio_manager = member_of(portfolio, "portfolio_manager")
    member_of(portfolio, "portfolio_manager")  # appointed later
    risk = services.risk_create(project=managed, data=GOOD, by=manager)
    assert _escalate(risk, manager).owner == portfolio_manager


def test_without_a_portfolio_manager_the_pmo_owns_it_else_whoever_escalates(
    portfolio, managed, manager, member_of
):
    first, second = (services.risk_create(project=managed, data=GOOD, by=manager) for _ in "ab")
    assert _escalate(first, manager).owner == manager  # no portfolio manager, no PMO
    pmo = member_of(portfolio, "pmo")
    member_of(portfolio, "executive")
    assert _escalate(second, manager).owner == pmo


def test_an_inactive_portfolio_manager_is_passed_over(portfolio, managed, manager, member_of):
    gone = member_of(portfolio, "portfolio_manager")
    gone.is_active = False
    gone.save()
    pmo = member_of(portfolio, "pmo")
    risk = services.risk_create(project=managed, data=GOOD, by=manager)
    assert _escalate(risk, manager).owner == pmo


def test_the_escalating_person_may_choose_another_owner(portfolio, managed, manager, member_of):
    member_of(portfolio, "portfolio_manager")
    viewer = member_of(portfolio, "viewer")
    risk = services.risk_create(project=managed, data=GOOD, by=manager)
    assert _escalate(risk, manager, owner=viewer).owner == viewer


def test_an_owner_who_cannot_see_the_portfolio_risk_is_refused(
    portfolio, managed, manager, other_portfolio, member_of
):
    outsider = member_of(other_portfolio, "portfolio_manager")
    # A sponsor sees the portfolio, but not its portfolio risks.
    sponsor = ProjectFactory(portfolio=portfolio, sponsor=UserFactory()).sponsor
    risk = services.risk_create(project=managed, data=GOOD, by=manager)
    for owner in (outsider, sponsor):
        with pytest.raises(ValidationError) as error:
            _escalate(risk, manager, owner=owner)
        assert "owner" in error.value.message_dict
    risk.refresh_from_db()
    assert risk.escalated_to is None and not Risk.objects.portfolio_level().exists()


def test_a_linked_portfolio_risk_keeps_its_owner(portfolio, managed, manager, member_of):
    member_of(portfolio, "portfolio_manager")
    keeper = member_of(portfolio, "viewer")
    shared = RiskFactory(portfolio=portfolio, project=None, owner=keeper)
    risk = services.risk_create(project=managed, data=GOOD, by=manager)
    assert _escalate(risk, manager, portfolio_risk=shared).owner == keeper


def test_escalating_copies_the_figures_so_the_exposure_moves_unchanged(managed, manager):
    risk = services.risk_create(project=managed, data=GOOD, by=manager)
    portfolio_risk = _escalate(risk, manager)
    assert (portfolio_risk.probability, portfolio_risk.impact, portfolio_risk.cost_impact) == (
        risk.probability,
        risk.impact,
        risk.cost_impact,
    )
    assert list(Risk.objects.counted_in_exposure()) == [portfolio_risk]
