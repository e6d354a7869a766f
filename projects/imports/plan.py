"""A project plan as read from a file: the structure every reader produces and the import
reads. Plain frozen dataclasses with dates (no times: Slate plans by the day), amounts in
currency units as Decimal, and ids as the source tool keeps them (strings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


class PlanFileError(Exception):
    """The file cannot be read as a plan. `problems` names each thing that is wrong, in words
    for the person who uploaded it; nothing has been written."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__(" ".join(self.problems))


@dataclass(frozen=True)
class PlanBaseline:
    """One saved baseline of a task or of the whole project (Slate reads baseline 0)."""

    start: date | None
    finish: date | None
    cost: Decimal | None


def task_label(row: int | None, name: str) -> str:
    """How an error or the preview names a task: its row and its name."""
    name = name or "(no name)"
    return f"Task {row} “{name}”" if row is not None else f"Task “{name}”"


@dataclass(frozen=True)
class PlanTask:
    uid: str  # the tool's stable id: survives re-ordering and renaming (MS Project's UID)
    row: int | None  # the row number people see (MS Project's ID)
    name: str
    outline_level: int
    is_summary: bool
    is_milestone: bool
    start: date | None
    finish: date | None
    actual_start: date | None
    actual_finish: date | None
    percent_complete: Decimal
    cost: Decimal | None
    actual_cost: Decimal | None
    baseline: PlanBaseline | None

    @property
    def label(self) -> str:
        return task_label(self.row, self.name)


class ResourceKind:
    WORK = "work"
    MATERIAL = "material"
    COST = "cost"


@dataclass(frozen=True)
class PlanResource:
    uid: str
    name: str
    kind: str  # a ResourceKind
    group: str
    max_units: Decimal | None  # 1 = one full-time person


@dataclass(frozen=True)
class PlanAssignment:
    uid: str
    task_uid: str
    resource_uid: str
    units: Decimal  # 1 = full time on the task
    start: date | None
    finish: date | None
    work_hours: Decimal | None


@dataclass(frozen=True)
class ParsedPlan:
    source: str  # a projects.models.PlanSource value
    external_id: str  # the plan's own id (MS Project's project GUID); "" when it has none
    name: str
    start: date
    finish: date
    status_date: date | None  # as of when % complete and actual cost are given
    status_date_from: str  # which field it came from, for the preview ("" when none)
    currency: str  # ISO code, "" when the file does not say
    percent_complete: Decimal | None  # the whole project's
    cost: Decimal | None  # the whole project's scheduled cost at completion
    actual_cost: Decimal | None  # the whole project's actual cost to date
    baseline: PlanBaseline | None  # the whole project's baseline 0
    tasks: tuple[PlanTask, ...]  # every task but the project's own summary row
    resources: tuple[PlanResource, ...] = ()
    assignments: tuple[PlanAssignment, ...] = ()
    notes: tuple[str, ...] = ()  # what the reader saw but Slate does not import

    @property
    def milestones(self) -> tuple[PlanTask, ...]:
        return tuple(task for task in self.tasks if task.is_milestone and not task.is_summary)

    @property
    def assigned_people(self) -> tuple[PlanResource, ...]:
        """The work resources (people) that have assignments: what allocations are asked for."""
        assigned = {assignment.resource_uid for assignment in self.assignments}
        return tuple(r for r in self.resources if r.kind == ResourceKind.WORK and r.uid in assigned)

    @property
    def summary_task_count(self) -> int:
        return sum(1 for task in self.tasks if task.is_summary)
