from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from portfolio.models import (
    CriterionDirection,
    Portfolio,
    PortfolioMembership,
    Program,
    ProjectScore,
    ScoringCriterion,
    StrategicObjective,
)
from projects.models import CostEntry, Milestone, Project, StatusReport
from resources.models import Allocation, Resource, Role
from risks.models import Risk


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pass-word-123")


class PortfolioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Portfolio

    code = factory.Sequence(lambda n: f"pf{n}")
    name = factory.Sequence(lambda n: f"Portfolio {n}")
    budget_envelope = Decimal("5000000")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PortfolioMembership

    user = factory.SubFactory(UserFactory)
    portfolio = factory.SubFactory(PortfolioFactory)
    role = "viewer"


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    portfolio = factory.SubFactory(PortfolioFactory)
    name = factory.Sequence(lambda n: f"Program {n}")


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StrategicObjective

    portfolio = factory.SubFactory(PortfolioFactory)
    name = factory.Sequence(lambda n: f"Objective {n}")
    weight = Decimal("25")
    active_from = date(2026, 1, 1)


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    portfolio = factory.SubFactory(PortfolioFactory)
    code = factory.Sequence(lambda n: f"PRJ-{n:04d}")
    name = factory.Sequence(lambda n: f"Project {n}")
    stage = "in_progress"
    start_date = date(2026, 1, 1)
    end_date = date(2026, 12, 31)
    baseline_start = date(2026, 1, 1)
    baseline_end = date(2026, 12, 31)
    budget = Decimal("100000")


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Milestone {n}")
    weight = Decimal("25")
    baseline_date = date(2026, 6, 30)
    forecast_date = date(2026, 6, 30)


class CostEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CostEntry

    project = factory.SubFactory(ProjectFactory)
    date = date(2026, 3, 15)
    amount = Decimal("1000")
    category = "labour"


class StatusReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatusReport

    project = factory.SubFactory(ProjectFactory)
    period_start = date(2026, 3, 1)
    period_end = date(2026, 3, 31)
    state = "submitted"
    percent_complete = Decimal("20")


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Role {n}")


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    name = factory.Sequence(lambda n: f"Person {n}")
    role = factory.SubFactory(RoleFactory)
    start_date = date(2025, 1, 1)


class AllocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Allocation

    project = factory.SubFactory(ProjectFactory)
    role = factory.SubFactory(RoleFactory)
    start_month = date(2026, 1, 1)
    end_month = date(2026, 3, 1)
    unit = "fte"
    amount = Decimal("0.5")


class RiskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Risk

    portfolio = factory.SubFactory(PortfolioFactory)
    project = factory.SubFactory(ProjectFactory, portfolio=factory.SelfAttribute("..portfolio"))
    title = factory.Sequence(lambda n: f"Risk {n}")
    probability = 3
    impact = 3
    cost_impact = Decimal("10000")


def score_equally(portfolio, projects, score=3):
    """Score every project the same on one criterion weighing 100 % (3 of 5: priority 50, the
    unscored default): the selection's values stay as they were, but the projects count as
    scored, so committing a scenario may approve them."""
    criterion = ScoringCriterion.objects.create(
        portfolio=portfolio,
        name="Fit",
        weight=Decimal("100"),
        direction=CriterionDirection.HIGHER_IS_BETTER,
    )
    ProjectScore.objects.bulk_create(
        ProjectScore(project=project, criterion=criterion, score=score) for project in projects
    )
