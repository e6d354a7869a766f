"""The health task, in-process (eager) and through a real worker process on Redis."""

from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings

from projects.models import Project
from projects.tasks import refresh_project_health
from tests.celery_support import celery_worker_process, require_redis
from tests.factories import CostEntryFactory, ProjectFactory, StatusReportFactory


def _red_project():
    """BAC 100,000; 10 % done (EV 10,000) for 40,000 spent: CPI 0.25, red."""
    project = ProjectFactory(
        baseline_start=date(2020, 1, 1), baseline_end=date(2020, 12, 31), budget=Decimal("100000")
    )
    StatusReportFactory(
        project=project,
        period_start=date(2020, 6, 1),
        period_end=date(2020, 6, 30),
        percent_complete=Decimal("10"),
    )
    CostEntryFactory(project=project, date=date(2020, 6, 10), amount=Decimal("40000"))
    return project


@pytest.mark.django_db
def test_refresh_project_health_stores_computed_health(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    project = _red_project()
    result = refresh_project_health.delay(project.pk)
    assert result.get() == "red"
    project.refresh_from_db()
    assert project.computed_health == "red"
    assert project.health_computed_at is not None
    assert project.version == 1  # a background refresh is not a user edit


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_health_task_round_trip_through_a_real_worker_on_redis():
    require_redis()
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    project = _red_project()
    with celery_worker_process() as (_, queue):
        result = refresh_project_health.apply_async((project.pk,), queue=queue)
        assert result.get(timeout=90) == "red"
    assert Project.objects.get(pk=project.pk).computed_health == "red"
