"""core.templatetags.slate: money groups thousands as humanize's intcomma does in Slate's
locale, without its per-call locale lookups."""

from decimal import Decimal

import pytest
from django.contrib.humanize.templatetags.humanize import intcomma

from core.templatetags.slate import money, money_short

NBSP = "\u00a0"


@pytest.mark.parametrize(
    "whole", [0, 7, 999, 1000, -1000, 12345, 999999, 1000000, -1234567, 10**15 + 1]
)
def test_money_groups_thousands_as_intcomma_does(whole):
    assert money(Decimal(whole)) == intcomma(whole)
    assert money(Decimal(whole), "EUR") == f'<span class="cur">EUR</span>{NBSP}{intcomma(whole)}'


def test_money_rounds_half_up_to_whole_units_and_shows_none_as_a_dash():
    assert money(Decimal("1234567.5")) == "1,234,568"
    assert money("-2500.50") == "-2,501"
    assert money(None) == money("") == money("n/a") == "—"
    assert money_short(Decimal("1250000")) == '<span title="1,250,000">1.25M</span>'
