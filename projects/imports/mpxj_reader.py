"""Read any plan file MPXJ reads (binary .mpp, Primavera P6 XER and PMXML, MPX, Planner,
GanttProject, Phoenix, Asta, …) into the same ParsedPlan the MS Project XML reader makes, so
the preview, the import, the re-import and the change requests are one code.

MPXJ is a Java library (PyPI `mpxj`, through JPype): it runs in a JVM, which
`projects.imports.jvm` starts once per process. Only the Celery worker calls `read_plan_file`
(services.plan_import_read, queued by the upload); the pages use the plan it keeps.

What is read (MPXJ's names): the project properties' title (else its name, else the file's
name), start and finish, status date (P6's data date; else a current date the file stores),
currency code and GUID (its stable
id: an .mpp and the XML saved from it share it); the project summary task (unique id 0, as
MS Project has it) for % complete, cost, actual cost and baseline 0, else roll-ups over the
tasks; each task's unique id, id, name, outline level, summary and milestone flags, dates,
actual dates, % complete (for P6, the activity's own % complete type: physical, duration or
units), cost, actual cost and baseline 0; work resources, materials and cost resources;
assignments. Money is in currency units."""

from __future__ import annotations

import os
import tempfile
from datetime import date
from decimal import Decimal, InvalidOperation

from projects.imports.jvm import start_jvm
from projects.imports.plan import (
    CENT,
    ParsedPlan,
    PlanAssignment,
    PlanBaseline,
    PlanFileError,
    PlanResource,
    PlanTask,
    ResourceKind,
    rolled_up_baseline,
    rolled_up_percent,
    task_days,
    total,
)

# projects.models.PlanSource values, without importing Django models into a reader.
SOURCE_MPP, SOURCE_PRIMAVERA, SOURCE_OTHER = "mpp", "p6", "mpxj"
HUNDRED = Decimal("100")
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .mpp files are OLE2 containers
XER_HEADER, XER_END = b"ERMHDR", b"%E"

NOT_A_PLAN = (
    "Slate does not recognise this file as a project plan. It reads Microsoft Project files "
    "(.mpp, .mpx, XML), Primavera P6 exports (.xer, PMXML) and the other formats MPXJ reads "
    "(Planner, GanttProject, Phoenix, Asta, …): upload the file your planning tool saves."
)
NO_TASKS = (
    "The file is a {kind} file but holds no project data: it has no tasks (at most the "
    "project's own summary row). Save or export the plan with its tasks and upload that file."
)


def read_plan_file(data: bytes, *, file_name: str = "") -> ParsedPlan:
    """The plan in `data` (a file's bytes). Starts this process's JVM the first time."""
    if not data.strip():
        raise PlanFileError("The file is empty.")
    if data.startswith(XER_HEADER) and not data.rstrip().endswith(XER_END):
        raise PlanFileError(
            "The file is a Primavera P6 export (XER) cut short: it does not end with the "
            "“%E” line every XER file ends with. Export it again and upload the whole file."
        )
    start_jvm()
    projects = _read_projects(data, file_name)
    if len(projects) > 1:
        names = ", ".join(f"“{_project_name(p, '')}”" for p in projects[:5])
        raise PlanFileError(
            f"The file holds {len(projects)} projects ({names}). Export one project per file "
            "and upload each."
        )
    return _Converter(projects[0], file_name).plan()


def _read_projects(data: bytes, file_name: str) -> list:
    from org.mpxj import MPXJException
    from org.mpxj.reader import UniversalProjectReader

    suffix = os.path.splitext(file_name)[1][:10] or ".plan"
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        handle.write(data)
        handle.flush()
        try:
            projects = UniversalProjectReader().readAll(handle.name)
        except MPXJException as error:
            raise PlanFileError(_damaged(error)) from error
        except Exception as error:  # noqa: BLE001 - any Java exception: a file MPXJ chokes on
            raise PlanFileError(_damaged(error)) from error
    if projects is None or projects.isEmpty():
        if data.startswith(OLE2_SIGNATURE):
            raise PlanFileError(
                "The file is a Microsoft Office container, as an .mpp file is, but no plan can "
                "be read from it: it is damaged or cut short, or not a Project file. Save it "
                "again from Microsoft Project and upload the new file."
            )
        if data.startswith(XER_HEADER):
            raise PlanFileError(
                "The file is a Primavera P6 export (XER) but holds no project data: no "
                "project with its activities. Export the project, with its activities, from "
                "P6 and upload that file."
            )
        raise PlanFileError(NOT_A_PLAN)
    return list(projects)


def _damaged(error) -> str:
    message = str(error.getMessage() if hasattr(error, "getMessage") else error) or ""
    detail = f" (the reader says: {message.strip()[:200]})" if message.strip() else ""
    return (
        "The file cannot be read: it looks like a project plan, but it is damaged or cut "
        f"short{detail}. Save it again from your planning tool and upload the new file."
    )


def _project_name(project, file_name: str) -> str:
    properties = project.getProjectProperties()
    for value in (properties.getProjectTitle(), properties.getName()):
        if value is not None and str(value).strip():
            return str(value).strip()
    stem = os.path.splitext(file_name)[0]
    return stem or "Imported plan"


def _day(value) -> date | None:
    if value is None:
        return None
    return date(int(value.getYear()), int(value.getMonthValue()), int(value.getDayOfMonth()))


def _decimal(value) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(repr(float(value)))  # a java.lang.Number or a Python float
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def _money(value) -> Decimal | None:
    number = _decimal(value)
    return None if number is None else number.quantize(CENT)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _uid(value) -> str:
    return "" if value is None else str(int(value))


class _Converter:
    def __init__(self, project, file_name: str):
        self.project = project
        self.properties = project.getProjectProperties()
        self.file_name = file_name
        application = _text(self.properties.getFileApplication())
        file_type = _text(self.properties.getFileType())
        self.kind = " ".join(part for part in (application, file_type) if part) or "plan"
        if file_type.upper().startswith("MPP"):
            self.source = SOURCE_MPP
        elif application.lower().startswith("primavera"):
            self.source = SOURCE_PRIMAVERA
        else:
            self.source = SOURCE_OTHER

    def plan(self) -> ParsedPlan:
        summary, tasks, skipped = self.tasks()
        if not tasks:
            raise PlanFileError(NO_TASKS.format(kind=self.kind))
        dated = [task for task in tasks if not task.is_summary]
        properties = self.properties
        start = (
            _day(properties.getStartDate())
            or (summary and summary.start)
            or min(task_days(dated, "start"), default=None)
        )
        finish = (
            _day(properties.getFinishDate())
            or (summary and summary.finish)
            or max(task_days(dated, "finish"), default=None)
        )
        if start is None or finish is None:
            raise PlanFileError("The plan has no start or finish date, nor any dated task.")
        if finish < start:
            raise PlanFileError(
                f"The plan finishes ({finish:%Y-%m-%d}) before it starts ({start:%Y-%m-%d})."
            )
        status_date, status_from = _day(properties.getStatusDate()), "status date"
        current = properties.getCurrentDate()
        # MPXJ gives "now" (to the nanosecond) as the current date of a file that stores none;
        # plan tools keep dates to the minute.
        if status_date is None and current is not None and not current.getSecond():
            status_date, status_from = _day(current), "current date"
        resources = self.resources()
        guid = properties.getGUID()
        return ParsedPlan(
            source=self.source,
            external_id=str(guid).upper() if guid is not None else "",
            name=_project_name(self.project, self.file_name)[:200],
            start=start,
            finish=finish,
            status_date=status_date,
            status_date_from=status_from if status_date else "",
            currency=_text(properties.getCurrencyCode()).upper()[:3],
            percent_complete=summary.percent_complete if summary else rolled_up_percent(dated),
            cost=summary.cost if summary else total(dated, "cost"),
            actual_cost=summary.actual_cost if summary else total(dated, "actual_cost"),
            baseline=(summary.baseline if summary else None) or rolled_up_baseline(dated),
            tasks=tuple(tasks),
            resources=tuple(resources),
            assignments=tuple(self.assignments({r.uid for r in resources})),
            notes=tuple(self.notes(skipped)),
        )

    def tasks(self) -> tuple[PlanTask | None, list[PlanTask], int]:
        summary, tasks, skipped = None, [], 0
        for java_task in self.project.getTasks():
            if java_task.getNull():
                continue  # a blank row
            if not java_task.getActive():
                skipped += 1
                continue
            task = self.task(java_task)
            if task.uid == "0" or task.outline_level == 0:
                summary = task  # MS Project's project summary row
            else:
                tasks.append(task)
        return summary, tasks, skipped

    def task(self, java_task) -> PlanTask:
        level = java_task.getOutlineLevel()
        row = java_task.getID()
        baseline = PlanBaseline(
            start=_day(java_task.getBaselineStart()),
            finish=_day(java_task.getBaselineFinish()),
            cost=_money(java_task.getBaselineCost()),
        )
        return PlanTask(
            uid=_uid(java_task.getUniqueID()),
            row=int(row) if row is not None else None,
            name=_text(java_task.getName()),
            outline_level=int(level) if level is not None else 1,
            is_summary=bool(java_task.getSummary()),
            is_milestone=bool(java_task.getMilestone()),
            start=_day(java_task.getStart()),
            finish=_day(java_task.getFinish()),
            actual_start=_day(java_task.getActualStart()),
            actual_finish=_day(java_task.getActualFinish()),
            percent_complete=self.percent_complete(java_task),
            cost=_money(java_task.getCost()),
            actual_cost=_money(java_task.getActualCost()),
            baseline=baseline if (baseline.start or baseline.finish) else None,
        )

    def percent_complete(self, java_task) -> Decimal:
        """MS Project's % complete (by duration); for a P6 activity, the % complete of the
        activity's own type, as P6 shows it."""
        value = java_task.getPercentageComplete()
        kind = _text(java_task.getPercentCompleteType()).upper()
        if kind == "PHYSICAL":
            value = java_task.getPhysicalPercentComplete()
        elif kind == "UNITS":
            value = java_task.getPercentageWorkComplete()
        number = _decimal(value) or Decimal("0")
        return min(max(number, Decimal("0")), HUNDRED).quantize(CENT)

    def resources(self) -> list[PlanResource]:
        resources = []
        for java_resource in self.project.getResources():
            uid, name = _uid(java_resource.getUniqueID()), _text(java_resource.getName())
            if not uid or (uid == "0" and not name) or java_resource.getNull():
                continue  # MS Project's placeholder resource
            kind = _text(java_resource.getType()).upper()
            max_units = _decimal(java_resource.getMaxUnits())
            resources.append(
                PlanResource(
                    uid=uid,
                    name=name,
                    kind={"MATERIAL": ResourceKind.MATERIAL, "COST": ResourceKind.COST}.get(
                        kind, ResourceKind.WORK
                    ),
                    group=_text(java_resource.getGroup()),
                    max_units=None if max_units is None else max_units / HUNDRED,
                )
            )
        return resources

    def assignments(self, resource_uids: set[str]) -> list[PlanAssignment]:
        from org.mpxj import TimeUnit

        assignments = []
        for java_assignment in self.project.getResourceAssignments():
            resource_uid = _uid(java_assignment.getResourceUniqueID())
            if resource_uid not in resource_uids:
                continue  # unassigned, or a placeholder
            units = _decimal(java_assignment.getUnits())
            work = java_assignment.getWork()
            hours = None
            if work is not None:
                hours = _decimal(work.convertUnits(TimeUnit.HOURS, self.properties).getDuration())
            assignments.append(
                PlanAssignment(
                    uid=_uid(java_assignment.getUniqueID()),
                    task_uid=_uid(java_assignment.getTaskUniqueID()),
                    resource_uid=resource_uid,
                    units=Decimal("1") if units is None else units / HUNDRED,
                    start=_day(java_assignment.getStart()),
                    finish=_day(java_assignment.getFinish()),
                    work_hours=hours,
                )
            )
        return assignments

    def notes(self, skipped: int) -> list[str]:
        notes = []
        if self.source == SOURCE_PRIMAVERA:
            notes.append(
                "Primavera P6: baseline 0 is the activities' planned dates (P6's default "
                "project baseline is the project itself; an assigned baseline project is not "
                "in an export)."
            )
        links = sum(int(task.getPredecessors().size()) for task in self.project.getTasks())
        if links:
            notes.append(
                f"{links} link{'s' if links != 1 else ''} between tasks "
                f"{'are' if links != 1 else 'is'} not imported: Slate keeps dependencies "
                "between projects, not between tasks."
            )
        if skipped:
            notes.append(f"{skipped} inactive task{'s were' if skipped != 1 else ' was'} skipped.")
        return notes
