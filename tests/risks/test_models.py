"""risks.models: which risks every exposure total and open-risk count adds
(`RiskQuerySet.counted_in_exposure`, docs/formulas.md "Risks")."""

from decimal import Decimal

import pytest

from risks.models import Risk
from tests.factories import ProjectFactory, RiskFactory

pytestmark = pytest.mark.django_db


def counted():
    return set(Risk.objects.counted_in_exposure().values_list("title", flat=True))


def test_open_monitoring_and_portfolio_risks_count_closed_ones_do_not(portfolio):
    project = ProjectFactory(portfolio=portfolio)
    RiskFactory(portfolio=portfolio, project=project, title="open")
    RiskFactory(portfolio=portfolio, project=project, title="monitoring", status="monitoring")
    RiskFactory(portfolio=portfolio, project=project, title="closed", status="closed")
    RiskFactory(portfolio=portfolio, project=None, title="portfolio")
    assert counted() == {"open", "monitoring", "portfolio"}


def test_an_escalated_project_risk_counts_as_its_portfolio_risk(portfolio):
    project = ProjectFactory(portfolio=portfolio)
    shared = RiskFactory(portfolio=portfolio, project=None, title="shared")
    for title, status in (("escalated", "escalated"), ("reopened by hand", "open")):
        RiskFactory(
            portfolio=portfolio, project=project, title=title, status=status, escalated_to=shared
        )
    assert counted() == {"shared"}


def test_the_escalated_status_without_a_link_still_counts(portfolio):
    """Nothing else stands for it, so leaving it out would lose its exposure."""
    RiskFactory(portfolio=portfolio, title="marked by hand", status="escalated")
    assert counted() == {"marked by hand"}


def test_closing_the_portfolio_risk_closes_the_exposure_of_the_risks_escalated_into_it(
    portfolio,
):
    project = ProjectFactory(portfolio=portfolio)
    shared = RiskFactory(portfolio=portfolio, project=None, title="shared", status="closed")
    RiskFactory(
        portfolio=portfolio, project=project, title="escalated", status="escalated",
        escalated_to=shared, cost_impact=Decimal("50000"),
    )  # fmt: skip
    assert counted() == set()
