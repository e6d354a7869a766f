from datetime import date

import pytest
from django.utils import timezone

# Before every month the allocation tests use (2027), so that the rule "a confirmation only
# promises months from this month on" leaves them whole whenever the suite runs.
FIXED_TODAY = date(2026, 11, 16)


@pytest.fixture
def fixed_today(monkeypatch):
    """`timezone.localdate()` (the services' and views' "today") is FIXED_TODAY."""
    localdate = timezone.localdate

    def pinned(value=None, timezone=None):
        return localdate(value, timezone) if value is not None else FIXED_TODAY

    monkeypatch.setattr("django.utils.timezone.localdate", pinned)
    return FIXED_TODAY
