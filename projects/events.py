"""What the project services announce on the event bus (core/events.py): a status report
submitted, and a change of the project's computed health or a new watermelon flag caused by
a report or a cost (docs/decisions.md, "Health events")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from django.urls import reverse

from core import events
from projects.models import Project, StatusReport
from projects.selectors import project_performance

# Indices in payloads as reviews store them (docs/formulas.md: exact in computation, rounded
# for display and storage).
INDEX = Decimal("0.001")


def rounded_index(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(INDEX)


def project_ref(project: Project) -> dict:
    return {
        "id": project.pk,
        "code": project.code,
        "name": project.name,
        "url": events.link(reverse("projects:detail", args=[project.pk])),
    }


def status_report_data(report: StatusReport) -> dict:
    """The `data` of a status_report.submitted event."""
    project = report.project
    return {
        "project": project_ref(project),
        "report": {
            "id": report.pk,
            "period_start": report.period_start,
            "period_end": report.period_end,
            "overall_rag": report.overall_rag,
            "schedule_rag": report.schedule_rag,
            "budget_rag": report.budget_rag,
            "scope_rag": report.scope_rag,
            "quality_rag": report.quality_rag,
            "risk_rag": report.risk_rag,
            "percent_complete": report.percent_complete,
            "forecast_end": report.forecast_end,
            "forecast_cost": report.forecast_cost,
            "summary": report.summary,
            "submitted_by": events.person_ref(report.submitted_by),
            "submitted_at": report.submitted_at,
            "url": events.link(
                reverse("projects:report", args=[project.pk, report.period_start.isoformat()])
            ),
        },
    }


def status_report_submitted(report: StatusReport) -> None:
    events.publish(
        events.STATUS_REPORT_SUBMITTED,
        status_report_data(report),
        portfolio_id=report.project.portfolio_id,
    )


@contextmanager
def health_watch(project: Project, *, as_of: date, cause: str) -> Iterator[None]:
    """Compare the project's computed health and watermelon flag as of `as_of` before and
    after the block, and announce a change of health, or a watermelon that was not one
    before. Nothing is announced when the block raises."""
    before = project_performance(project=project, as_of=as_of)
    yield
    after = project_performance(project=project, as_of=as_of)
    common = {
        "project": project_ref(project),
        "as_of": as_of,
        "status_date": after.status_date,
        "cause": cause,
    }
    if after.computed_health != before.computed_health:
        events.publish(
            events.HEALTH_CHANGED,
            {
                **common,
                "previous": before.computed_health or None,
                "current": after.computed_health or None,
                "cost_performance_index": rounded_index(after.earned_value.cost_performance_index),
                "schedule_performance_index": rounded_index(
                    after.earned_value.schedule_performance_index
                ),
            },
            portfolio_id=project.portfolio_id,
        )
    if after.is_watermelon and not before.is_watermelon:
        report = after.latest_report
        events.publish(
            events.WATERMELON_FLAGGED,
            {
                **common,
                "reported_health": report.overall_rag if report else None,
                "computed_health": after.computed_health or None,
                "dimensions": {
                    name: getattr(report, f"{name}_rag") if report else None
                    for name in ("schedule", "budget", "scope", "quality", "risk")
                },
            },
            portfolio_id=project.portfolio_id,
        )
