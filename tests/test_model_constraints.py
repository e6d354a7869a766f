"""What must never be wrong is refused by the database; `full_clean()` names the field."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.factories import (
    AllocationFactory,
    CostEntryFactory,
    MilestoneFactory,
    ObjectiveFactory,
    ProgramFactory,
    ProjectFactory,
    ResourceFactory,
    RiskFactory,
    StatusReportFactory,
)

pytestmark = pytest.mark.django_db


def refused_by_database(factory, **fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**fields)


def test_project_code_is_unique_per_portfolio_not_globally(portfolio, other_portfolio):
    ProjectFactory(portfolio=portfolio, code="ECOM-1")
    ProjectFactory(portfolio=other_portfolio, code="ECOM-1")
    refused_by_database(ProjectFactory, portfolio=portfolio, code="ECOM-1")


def test_project_end_before_start_is_refused_with_a_field_message(portfolio):
    refused_by_database(
        ProjectFactory, portfolio=portfolio, start_date=date(2026, 5, 1), end_date=date(2026, 4, 1)
    )
    project = ProjectFactory.build(
        portfolio=portfolio, start_date=date(2026, 5, 1), end_date=date(2026, 4, 1)
    )
    with pytest.raises(ValidationError) as error:
        project.full_clean()
    assert "end_date" in error.value.message_dict


def test_project_program_must_belong_to_its_portfolio(portfolio, other_portfolio):
    project = ProjectFactory.build(
        portfolio=portfolio, program=ProgramFactory(portfolio=other_portfolio)
    )
    with pytest.raises(ValidationError) as error:
        project.full_clean()
    assert error.value.message_dict["program"] == ["The program belongs to another portfolio."]


def test_negative_budget_is_refused(portfolio):
    refused_by_database(ProjectFactory, portfolio=portfolio, budget=Decimal("-1"))


@pytest.mark.parametrize("field", ["probability", "impact"])
@pytest.mark.parametrize("value", [0, 6])
def test_risk_probability_and_impact_are_1_to_5(project, field, value):
    refused_by_database(RiskFactory, portfolio=project.portfolio, project=project, **{field: value})
    risk = RiskFactory.build(portfolio=project.portfolio, project=project, **{field: value})
    with pytest.raises(ValidationError) as error:
        risk.full_clean()
    assert field in error.value.message_dict


def test_only_project_risks_escalate(portfolio):
    portfolio_risk = RiskFactory(portfolio=portfolio, project=None)
    refused_by_database(RiskFactory, portfolio=portfolio, project=None, escalated_to=portfolio_risk)


@pytest.mark.parametrize("percent", [Decimal("-0.01"), Decimal("100.01")])
def test_status_report_percent_complete_is_0_to_100(project, percent):
    refused_by_database(StatusReportFactory, project=project, percent_complete=percent)


def test_one_status_report_per_project_per_period(project):
    StatusReportFactory(project=project, period_start=date(2026, 3, 1))
    refused_by_database(StatusReportFactory, project=project, period_start=date(2026, 3, 1))


def test_milestone_weight_is_0_to_100(project):
    refused_by_database(MilestoneFactory, project=project, weight=Decimal("101"))


def test_objective_weight_and_active_period(portfolio):
    refused_by_database(ObjectiveFactory, portfolio=portfolio, weight=Decimal("120"))
    refused_by_database(
        ObjectiveFactory,
        portfolio=portfolio,
        active_from=date(2026, 6, 1),
        active_until=date(2026, 1, 1),
    )


def test_negative_cost_entry_is_refused(project):
    refused_by_database(CostEntryFactory, project=project, amount=Decimal("-5"))


def test_allocation_months_are_ordered_first_days(project):
    refused_by_database(
        AllocationFactory, project=project, start_month=date(2026, 5, 1), end_month=date(2026, 4, 1)
    )
    refused_by_database(
        AllocationFactory, project=project, start_month=date(2026, 5, 2), end_month=date(2026, 6, 1)
    )
    allocation = AllocationFactory.build(
        project=project,
        role=ResourceFactory().role,
        start_month=date(2026, 5, 15),
        end_month=date(2026, 4, 1),
    )
    with pytest.raises(ValidationError) as error:
        allocation.full_clean()
    assert set(error.value.message_dict) >= {"start_month", "end_month"}


def test_allocation_in_fte_is_at_most_one_per_person_and_100_per_role_request(project):
    person = ResourceFactory()
    refused_by_database(
        AllocationFactory,
        project=project,
        role=person.role,
        resource=person,
        unit="fte",
        amount=Decimal("1.5"),
    )
    refused_by_database(AllocationFactory, project=project, unit="fte", amount=Decimal("100.5"))
    AllocationFactory(project=project, unit="fte", amount=Decimal("2.5"))  # 2.5 people of a role
    AllocationFactory(project=project, unit="hours", amount=Decimal("120"))


def test_resource_fte_is_between_0_and_1():
    refused_by_database(ResourceFactory, fte=Decimal("0"))
    refused_by_database(ResourceFactory, fte=Decimal("1.2"))


def test_money_is_decimal(project):
    CostEntryFactory(project=project, amount=Decimal("0.10"))
    CostEntryFactory(project=project, amount=Decimal("0.20"))
    project.refresh_from_db()
    assert isinstance(project.budget, Decimal)
    total = sum(entry.amount for entry in project.cost_entries.all())
    assert total == Decimal("0.30")


def test_str_is_useful(project):
    risk = RiskFactory(portfolio=project.portfolio, project=project, probability=4, impact=5)
    assert str(risk) == f"{risk.title} [{project.code}, score 20]"
    assert str(project) == f"{project.code} — {project.name}"
