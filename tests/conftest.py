import os

import pytest

from tests.factories import MembershipFactory, PortfolioFactory, ProjectFactory, UserFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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


def pytest_sessionstart(session):
    """In CI the suite runs against real PostgreSQL and Redis: a missing one fails the run."""
    if not os.environ.get("CI"):
        return
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        raise pytest.UsageError(f"CI must run on PostgreSQL, not {connection.vendor}")
    if not settings.REDIS_URL:
        raise pytest.UsageError("CI must set REDIS_URL")
    import redis

    redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=5).ping()
