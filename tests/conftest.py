import pytest

from tests.factories import MembershipFactory, PortfolioFactory, ProjectFactory, UserFactory


@pytest.fixture
def portfolio(db):
    return PortfolioFactory()


@pytest.fixture
def other_portfolio(db):
    return PortfolioFactory()


@pytest.fixture
def member_of(db):
    """member_of(portfolio, role) -> a user holding that role in the portfolio."""

    def make(portfolio, role):
        return MembershipFactory(portfolio=portfolio, role=role).user

    return make


@pytest.fixture
def pmo_admin(db):
    return UserFactory(username="pmo-admin", is_superuser=True, is_staff=True)


@pytest.fixture
def project(portfolio):
    return ProjectFactory(portfolio=portfolio)
