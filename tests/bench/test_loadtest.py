"""The load test's own arithmetic: a write the server answered "saved" but the database does not
hold is counted lost, and the measured time is what comes after the ramp."""

import pytest

from bench.loadtest import check_writes, percentile, seconds_of
from tests.factories import CostEntryFactory, StatusReportFactory

MARKER = "loadtest-20261129T000000"


def _ledger(costs_saved=0, drafts=None):
    return {
        "costs_saved": costs_saved,
        "cost_errors": 0,
        "drafts_saved": drafts or {},
        "drafts_conflict": 0,
        "draft_errors": 0,
        "login_ms": [],
        "login_errors": 0,
    }


@pytest.mark.django_db
def test_every_write_answered_saved_must_be_in_the_database(project):
    report = StatusReportFactory(project=project, state="draft")
    before = {"versions": {str(report.pk): report.version}}
    CostEntryFactory(project=project, description=f"{MARKER} pm")
    CostEntryFactory(project=project, description="someone else's cost")
    plan = {"marker": MARKER}

    kept = check_writes(plan, before, _ledger(costs_saved=1))
    assert (kept["cost_rows"], kept["lost"], kept["reports_off"]) == (1, 0, [])

    lost_cost = check_writes(plan, before, _ledger(costs_saved=3))
    assert lost_cost["lost"] == 2

    lost_draft = check_writes(plan, before, _ledger(costs_saved=1, drafts={str(report.pk): 1}))
    assert lost_draft["lost"] == 1 and lost_draft["reports_off"] == [str(report.pk)]

    report.version += 1
    report.save()
    saved = check_writes(plan, before, _ledger(costs_saved=1, drafts={str(report.pk): 1}))
    assert (saved["versions_gained"], saved["lost"], saved["reports_off"]) == (1, 0, [])


def test_durations_and_percentiles():
    assert [seconds_of(d) for d in ("60s", "5m", "90", "1h")] == [60, 300, 90, 3600]
    values = list(range(1, 101))
    assert [percentile(values, p) for p in (50, 95, 99, 100)] == [50, 95, 99, 100]
