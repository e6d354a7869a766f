"""The risk registers as downloads (core/exports.py): the rows and filters of the page, every
page of them, typed (exposure as money, due dates as dates)."""

from __future__ import annotations

from collections.abc import Iterable

from core import exports
from core.people import person_name
from risks.models import Risk

COLUMNS = (
    exports.Column("Risk", width=40),
    exports.Column("Category"),
    exports.Column("Level"),
    exports.Column("Project"),
    exports.Column("Project name", width=30),
    exports.Column("Threatens", width=24),
    exports.Column("Owner", width=20),
    exports.Column("Probability", exports.INTEGER),
    exports.Column("Impact", exports.INTEGER),
    exports.Column("Score", exports.INTEGER),
    exports.Column("Band"),
    exports.Column("Exposure", exports.MONEY),
    exports.Column("Response"),
    exports.Column("Status"),
    exports.Column("Due", exports.DATE),
    exports.Column("Escalated to", width=30),
)


def _row(risk: Risk, *, threatened: bool) -> list:
    project = risk.project if risk.project_id else None
    threatens = (
        ", ".join(p.code for p in risk.threatened_projects.all())
        if threatened and not risk.project_id
        else ""
    )
    return [
        risk.title,
        risk.category,
        "Project" if risk.project_id else "Portfolio",
        project.code if project else "",
        project.name if project else "",
        threatens,
        person_name(risk.owner) if risk.owner_id else "",
        risk.probability,
        risk.impact,
        risk.score,
        str(risk.band).capitalize(),
        risk.exposure,
        risk.get_response_display(),
        risk.get_status_display(),
        risk.due_date,
        risk.escalated_to.title if risk.escalated_to_id else "",
    ]


def risk_register_table(
    risks: Iterable[Risk], *, filename: str, title: str, threatened: bool = False
) -> exports.Table:
    """`threatened`: the risks carry their prefetched `threatened_projects` (the portfolio
    register); a project's register reads each risk's own project."""
    return exports.Table(
        filename, title, COLUMNS, (_row(risk, threatened=threatened) for risk in risks)
    )
