"""Allocation tables as downloads (core/exports.py): a project's allocations and the resource
managers' request queue, one line per allocation with its months as dates and its amount as a
number. (The capacity heat map builds its table in resources/views/capacity.py.)"""

from __future__ import annotations

from collections.abc import Iterable

from core import exports
from core.people import person_name
from resources.models import Allocation

COLUMNS = (
    exports.Column("Project"),
    exports.Column("Project name", width=30),
    exports.Column("Role", width=22),
    exports.Column("Person", width=20),
    exports.Column("Status"),
    exports.Column("From", exports.MONTH),
    exports.Column("To", exports.MONTH),
    exports.Column("Amount", exports.NUMBER),
    exports.Column("Unit"),
    exports.Column("Requested by", width=20),
    exports.Column("Decided by", width=20),
    exports.Column("Decided at", exports.DATE, width=17),
    exports.Column("Reason", width=30),
)


def _row(allocation: Allocation, project) -> list:
    return [
        project.code,
        project.name,
        allocation.role.name,
        allocation.resource.name if allocation.resource_id else "",
        allocation.get_status_display(),
        allocation.start_month,
        allocation.end_month,
        allocation.amount,
        allocation.get_unit_display(),
        person_name(allocation.requested_by) if allocation.requested_by_id else "",
        person_name(allocation.decided_by) if allocation.decided_by_id else "",
        allocation.decided_at,
        allocation.decision_reason,
    ]


def allocation_table(
    allocations: Iterable[Allocation], *, filename: str, title: str, project=None
) -> exports.Table:
    """`project`: every allocation is that project's (its page); else each carries its own,
    joined."""
    rows = (_row(a, project or a.project) for a in allocations)
    return exports.Table(filename, title, COLUMNS, rows)
