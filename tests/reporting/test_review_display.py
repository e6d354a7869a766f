"""reporting.review_display: how a stored review reads, whatever release stored it."""

from datetime import date

import pytest

from reporting.models import PortfolioReview
from reporting.review_display import (
    MINUS,
    NBSP,
    budget_figures,
    day_text,
    finding_sections,
    key_figures,
    money_text,
    signed_money,
    signed_number,
    signed_percent,
)
from tests.factories import PortfolioFactory


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("4850000.00", f"USD{NBSP}4,850,000"),
        ("-392.16", f"{MINUS}USD{NBSP}392"),
        ("0E-10", f"USD{NBSP}0"),
        (None, "—"),
    ],
)
def test_money_has_its_currency_and_thousands_separators(value, expected):
    assert money_text(value, "USD") == expected


def test_changes_carry_an_explicit_plus_or_a_real_minus():
    assert signed_number("-0.006") == f"{MINUS}0.006"
    assert signed_number("0.002") == "+0.002"
    assert signed_number("3") == "+3"
    assert signed_number("0") == signed_number(None) == signed_number("0E-10") == ""
    assert signed_money("1250000.00", "EUR") == f"+EUR{NBSP}1,250,000"
    assert signed_money("-0.40", "EUR") == ""  # under one unit: no change worth showing
    assert signed_percent("1.24") == f"+1.2{NBSP}%"
    assert signed_percent("-0.04") == ""


def test_dates_stored_as_text_read_as_days():
    assert day_text("2026-12-02") == "2 Dec 2026"
    assert day_text(date(2027, 1, 6)) == "6 Jan 2027"
    assert day_text(None) == ""


def test_key_figures_show_the_change_and_how_much_it_is_of_the_value_before():
    review = PortfolioReview(
        portfolio=PortfolioFactory.build(currency="EUR"),
        kpis={"actual_cost": "1200.00", "cost_performance_index": "0.951", "watermelons": 2},
        findings={"changes": {"actual_cost": "200.00", "cost_performance_index": "-0.006"}},
    )
    figures = {figure.label: figure for figure in key_figures(review)}
    cost = figures["Actual cost (AC)"]
    assert (cost.text, cost.change) == (f"EUR{NBSP}1,200", f"+EUR{NBSP}200, +20{NBSP}%")
    cpi = figures["Cost performance (CPI)"]
    assert (cpi.text, cpi.change) == ("0.95", f"{MINUS}0.006")
    assert (figures["Watermelons"].text, figures["Watermelons"].change) == ("2", "")
    assert "Budget (BAC)" not in figures  # not stored: not shown


def test_budget_figures_are_the_annual_reviews_only():
    portfolio = PortfolioFactory.build()
    annual = PortfolioReview(portfolio=portfolio, findings={"envelope": "9000000.00"})
    monthly = PortfolioReview(portfolio=portfolio, findings={"red_projects": []})
    assert [f.text for f in budget_figures(annual)] == [f"USD{NBSP}9,000,000"]
    assert budget_figures(monthly) == []


def test_each_kind_of_finding_has_its_own_columns_and_missing_fields_read_empty():
    sections = finding_sections(
        {
            "changes": {"budget": "1"},
            "previous_review_id": 3,
            "over_allocated_roles": [{"role_id": 4, "role": "Tester", "utilisation": "112.5"}],
            "late_dependencies": [{"successor": "B", "predecessor": "A"}],  # older, fewer keys
            "objectives": [{"objective": "Growth", "weight": "70.00", "drift_points": "-2.5"}],
            "something_new": [{"what": "unknown"}],
        },
        currency="USD",
    )
    by_key = {section.key: section for section in sections}
    assert list(by_key) == [
        "over_allocated_roles", "late_dependencies", "objectives", "something_new"
    ]  # fmt: skip
    roles = by_key["over_allocated_roles"]
    assert roles.title == "Over-allocated roles"
    assert [heading for heading, _ in roles.columns] == ["Role", "Utilisation"]
    assert [cell.text for cell in roles.rows[0].cells] == ["Tester", "112.5%"]
    assert roles.rows[0].url == "/resources/capacity/roles/4/"
    dependency = by_key["late_dependencies"].rows[0]
    assert len(dependency.cells) == len(by_key["late_dependencies"].columns)
    assert dependency.line == "B needs a delivery from A, expected not planned"
    assert [cell.text for cell in dependency.cells] == ["B", "A", "—", "—", "not planned"]
    drift = by_key["objectives"].rows[0]
    assert drift.cells[-1].text == f"{MINUS}2.5 pts" and drift.cells[2].text == "—"
    assert by_key["something_new"].title == "Something new"
    assert by_key["something_new"].rows[0].line == "What: unknown"
