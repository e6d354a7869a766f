"""Comparing figures computed by two implementations: PostgreSQL (`reporting.kpi_sql`) and the
Python reference (`projects/evm.py`). Both are exact, but to different precision (Python's
decimal context keeps 28 significant digits, each SQL quotient 40 decimal places), so a
quotient such as PV or CPI may differ far below the cent. They must agree to the cent; this
checks far tighter (10⁻⁹), and the same on both backends."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

TOLERANCE = Decimal("1e-9")


def same(a, b) -> bool:
    if isinstance(a, Decimal | int) and isinstance(b, Decimal | int) and not isinstance(a, bool):
        return abs(Decimal(a) - Decimal(b)) <= TOLERANCE
    return a == b


def differences(a, b) -> dict:
    """The fields of two dataclass instances (e.g. `evm.EarnedValue`) that do not agree."""
    return {
        f.name: (getattr(a, f.name), getattr(b, f.name))
        for f in dataclasses.fields(a)
        if f.compare and not same(getattr(a, f.name), getattr(b, f.name))
    }


def assert_same_figures(a, b, context="") -> None:
    assert differences(a, b) == {}, context
