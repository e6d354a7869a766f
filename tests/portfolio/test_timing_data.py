"""Timing data on candidates: the start window and market window's validation (model, service,
form), who may edit them, the window of an approved project, the dependency lag, and the
fields in the API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from portfolio import services
from portfolio.models import GateOutcome
from projects.dependencies import dependency_create
from projects.models import Project
from tests.factories import ProjectFactory, UserFactory
from tests.permissions import check_write_access, each_role, rows

pytestmark = pytest.mark.django_db

EDITORS = ("manager", "pmo", "portfolio_manager")


@pytest.fixture
def project(portfolio):
    return ProjectFactory(
        portfolio=portfolio,
        code="CAND",
        stage="candidate",
        manager=UserFactory(first_name="Pat", last_name="Manager"),
        start_date=date(2027, 3, 1),
        end_date=date(2027, 8, 31),
        baseline_start=None,
        baseline_end=None,
    )


def _errors(project, **fields):
    for name, value in fields.items():
        setattr(project, name, value)
    return project.timing_errors()


def test_a_window_around_the_planned_start_is_valid(project):
    assert not _errors(
        project,
        earliest_start=date(2027, 1, 1),
        latest_start=date(2027, 6, 1),
        target_launch=date(2027, 10, 1),
        value_decay_percent=Decimal("12.5"),
        value_deadline=date(2028, 1, 1),
    )
    assert project.start_window == (date(2027, 1, 1), date(2027, 6, 1))
    assert project.duration_months == 6
    project.full_clean()


def test_each_end_of_the_window_defaults_to_the_planned_start(project):
    assert project.start_window == (date(2027, 3, 1), date(2027, 3, 1))
    project.latest_start = date(2027, 5, 1)
    assert project.start_window == (date(2027, 3, 1), date(2027, 5, 1))
    assert project.has_timing


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"earliest_start": date(2027, 6, 1), "latest_start": date(2027, 4, 1)},
            "latest_start",
            "The latest start month must not be before the earliest.",
        ),
        (
            {"earliest_start": date(2027, 4, 1)},
            "earliest_start",
            "The planned start (Mar 2027) must lie in the window: the earliest start month is "
            "after it.",
        ),
        (
            {"latest_start": date(2027, 2, 1)},
            "latest_start",
            "The planned start (Mar 2027) must lie in the window: the latest start month is "
            "before it.",
        ),
        (
            {"value_decay_percent": Decimal("10")},
            "target_launch",
            "Give the target launch month the value decays from, or set the decay to 0.",
        ),
        (
            {"target_launch": date(2027, 9, 1), "value_deadline": date(2027, 8, 1)},
            "value_deadline",
            "The deadline must not be before the target launch month.",
        ),
    ],
)
def test_window_problems_name_their_field(project, fields, field, message):
    assert _errors(project, **fields) == {field: message}
    with pytest.raises(ValidationError) as refused:
        project.full_clean()
    assert refused.value.message_dict[field] == [message]


def test_a_running_project_start_is_fixed(project):
    project.stage = "in_progress"
    assert project.start_window == (date(2027, 3, 1), date(2027, 3, 1))
    assert _errors(project, earliest_start=date(2027, 1, 1)) == {
        "earliest_start": "In progress: its start is fixed at its plan (Mar 2027); clear the "
        "start window."
    }
    # A window on the planned start month itself says nothing more: allowed.
    assert not _errors(project, earliest_start=date(2027, 3, 1), latest_start=None)


def test_the_database_refuses_a_reversed_window_or_decay_over_100(project):
    from django.db import IntegrityError, transaction

    for fields in (
        {"earliest_start": date(2027, 5, 1), "latest_start": date(2027, 4, 1)},
        {"value_decay_percent": Decimal("101")},
        {"earliest_start": date(2027, 2, 15)},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Project.objects.filter(pk=project.pk).update(**fields)


# --- The business case service and form -----------------------------------------------------


def _update(project, by, **timing):
    data = {"name": project.name, "start_date": project.start_date, "end_date": project.end_date}
    return services.candidate_update(
        project=project,
        data={**data, **timing},
        requires=[],
        excludes=[],
        expected_version=project.version,
        by=by,
    )


def test_the_manager_sets_the_window_through_the_service(project):
    _update(
        project,
        project.manager,
        earliest_start=date(2027, 2, 1),
        latest_start=date(2027, 7, 1),
        target_launch=date(2027, 12, 1),
        value_decay_percent=Decimal("5"),
    )
    project.refresh_from_db()
    assert project.start_window == (date(2027, 2, 1), date(2027, 7, 1))
    assert project.value_decay_percent == 5


@pytest.mark.parametrize("role", ["viewer", "executive", "resource_manager"])
def test_readers_may_not_edit_the_window(project, member_of, role):
    with pytest.raises(PermissionDenied):
        _update(project, member_of(project.portfolio, role), latest_start=date(2027, 7, 1))
    project.refresh_from_db()
    assert project.latest_start is None


def test_the_service_refuses_a_window_without_the_planned_start(project):
    with pytest.raises(ValidationError) as refused:
        _update(project, project.manager, earliest_start=date(2027, 5, 1))
    assert "must lie in the window" in refused.value.message_dict["earliest_start"][0]
    project.refresh_from_db()
    assert project.earliest_start is None


def purl(name, portfolio, *args):
    return reverse(f"portfolio:{name}", args=[portfolio.code, *args])


def _edit_data(project, **changes):
    return {
        "name": project.name,
        "code": project.code,
        "stage": "candidate",
        "program": "",
        "description": "",
        "annual_benefit": "0",
        "annual_cost": "0",
        "budget": "100000",
        "expected_benefit": "0",
        "start_date": "2027-03-01",
        "end_date": "2027-08-31",
        "earliest_start": "2027-02",
        "latest_start": "2027-06",
        "target_launch": "2027-11",
        "value_decay_percent": "10",
        "value_deadline": "",
        "version": project.version,
        **changes,
    }


@each_role
def test_who_may_edit_the_window_on_the_page(client, role, portfolio, project):
    check_write_access(
        client,
        role,
        allowed=EDITORS,
        project=project,
        url=purl("candidate-edit", portfolio, project.pk),
        data=_edit_data(project),
        snapshot=rows(Project),
        success_url=purl("candidates", portfolio),
    )


def test_the_form_shows_the_window_and_its_errors(client, portfolio, project):
    client.force_login(project.manager)
    page = client.get(purl("candidate-edit", portfolio, project.pk)).content.decode()
    assert "When it can start" in page and "Market window" in page
    assert 'name="earliest_start"' in page and 'type="month"' in page
    assert "it lasts 6 months" in page
    response = client.post(
        purl("candidate-edit", portfolio, project.pk),
        _edit_data(project, earliest_start="2027-04", value_deadline="2027-10"),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "must lie in the window" in errors["earliest_start"][0]
    assert errors["value_deadline"] == ["The deadline must not be before the target launch month."]
    project.refresh_from_db()
    assert project.earliest_start is None


def test_the_candidate_list_shows_the_window_and_market_window(client, portfolio, project):
    project.latest_start = date(2027, 6, 1)
    project.target_launch = date(2027, 11, 1)
    project.value_decay_percent = Decimal("10")
    project.value_deadline = date(2028, 2, 1)
    project.save()
    client.force_login(project.manager)
    page = client.get(purl("candidates", portfolio)).content.decode()
    assert "may start Mar 2027 – Jun 2027" in page
    assert "launch by Nov 2027, −10 %/mo late" in page
    assert "worthless after Feb 2028" in page


def test_a_go_to_approved_clears_the_window(project, member_of):
    project.latest_start = date(2027, 6, 1)
    project.save()
    services.record_gate_decision(
        project=project,
        to_stage="approved",
        outcome=GateOutcome.GO,
        decided_on=date(2026, 1, 5),
        rationale="Funded.",
        by=member_of(project.portfolio, "pmo"),
        override_reason="Demo",
    )
    project.refresh_from_db()
    assert project.stage == "approved"
    assert (project.earliest_start, project.latest_start) == (None, None)
    project.full_clean()  # its plan stays editable


def test_a_dependency_takes_a_lag_in_months(project, portfolio):
    predecessor = ProjectFactory(portfolio=portfolio, code="PRE", manager=project.manager)
    dependency = dependency_create(
        successor=project,
        data={
            "predecessor": predecessor,
            "kind": "finish_to_start",
            "needed_by": date(2027, 3, 1),
            "lag_months": 2,
        },
        by=project.manager,
    )
    assert dependency.lag_months == 2
    with pytest.raises(ValidationError) as refused:
        dependency_create(
            successor=project,
            data={
                "predecessor": predecessor,
                "kind": "finish_to_start",
                "deliverable": "Other",
                "needed_by": date(2027, 3, 1),
                "lag_months": 99,
            },
            by=project.manager,
        )
    assert "lag_months" in refused.value.message_dict


def test_the_api_exposes_the_timing(client, portfolio, project):
    project.earliest_start = date(2027, 1, 1)
    project.target_launch = date(2027, 10, 1)
    project.value_decay_percent = Decimal("7.5")
    project.save()
    client.force_login(project.manager)
    body = client.get(f"/api/projects/{project.pk}/").json()
    assert body["earliest_start"] == "2027-01-01" and body["latest_start"] is None
    assert body["duration_months"] == 6
    assert body["target_launch"] == "2027-10-01"
    assert body["value_decay_percent"] == "7.50"
    assert body["value_deadline"] is None
