"""A project plan as read from a file: the structure every reader produces and the import
reads. Plain frozen dataclasses with dates (no times: Slate plans by the day), amounts in
currency units as Decimal, and ids as the source tool keeps them (strings)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

CENT = Decimal("0.01")


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


# Roll-ups for a plan without a project summary row ----------------------------------------


def task_days(tasks, field) -> list[date]:
    return [getattr(task, field) for task in tasks if getattr(task, field)]


def total(tasks, field) -> Decimal | None:
    values = [getattr(task, field) for task in tasks if getattr(task, field) is not None]
    return sum(values, Decimal("0")) if values else None


def rolled_up_percent(tasks) -> Decimal | None:
    """Without a summary row: % complete weighted by each task's length in days (as MS
    Project weights by duration), over the tasks that are not summaries."""
    weighted = [
        (task.percent_complete, Decimal((task.finish - task.start).days + 1))
        for task in tasks
        if task.start and task.finish
    ]
    days = sum((length for _, length in weighted), Decimal("0"))
    if not days:
        return None
    return (sum((percent * length for percent, length in weighted), Decimal("0")) / days).quantize(
        CENT
    )


def rolled_up_baseline(tasks) -> PlanBaseline | None:
    baselines = [task.baseline for task in tasks if task.baseline]
    if not baselines:
        return None
    costs = [baseline.cost for baseline in baselines if baseline.cost is not None]
    return PlanBaseline(
        start=min((b.start for b in baselines if b.start), default=None),
        finish=max((b.finish for b in baselines if b.finish), default=None),
        cost=sum(costs, Decimal("0")) if costs else None,
    )


# Kept as JSON -------------------------------------------------------------------------------
# A plan read in the Celery worker (projects/imports/mpxj_reader.py) is kept on its PlanImport
# as JSON, so that the preview and the import, in web requests, never start a JVM.

_NESTED = {"baseline": PlanBaseline}
_SEQUENCES = {"tasks": PlanTask, "resources": PlanResource, "assignments": PlanAssignment}


def plan_to_json(plan: ParsedPlan) -> dict:
    return _encode(plan)


def _encode(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | list):
        return [_encode(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _encode(getattr(value, f.name)) for f in fields(value)}
    return value


def plan_from_json(data: dict) -> ParsedPlan:
    """The ParsedPlan `plan_to_json` kept (raises KeyError or ValueError on anything else)."""
    return _decode(ParsedPlan, data)


def _decode(cls, data: dict):
    values = {}
    for f in fields(cls):
        if f.name not in data:
            continue  # a field with a default, kept before it existed
        raw, kind = data[f.name], str(f.type)
        if raw is None:
            value = None
        elif f.name in _NESTED:
            value = _decode(_NESTED[f.name], raw)
        elif f.name in _SEQUENCES:
            value = tuple(_decode(_SEQUENCES[f.name], item) for item in raw)
        elif f.name == "notes":
            value = tuple(raw)
        elif kind.startswith("date"):
            value = date.fromisoformat(raw)
        elif kind.startswith("Decimal"):
            value = Decimal(raw)
        else:
            value = raw
        values[f.name] = value
    return cls(**values)
