"""Writes and business operations on projects; each runs in one transaction."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from projects.models import Project
from projects.selectors import project_performance


@transaction.atomic
def project_health_refresh(*, project_id: int, as_of: date | None = None) -> str:
    """Recompute and store a project's computed health (CPI/SPI against its portfolio's
    thresholds). Written with a plain UPDATE so it never bumps the edit version and never
    races a manager's edit of other fields."""
    project = Project.objects.select_related("portfolio").get(pk=project_id)
    performance = project_performance(project=project, as_of=as_of or timezone.localdate())
    Project.objects.filter(pk=project.pk).update(
        computed_health=performance.computed_health, health_computed_at=timezone.now()
    )
    return performance.computed_health
