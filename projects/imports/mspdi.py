"""Read Microsoft Project XML (MSPDI: File › Save As › XML in MS Project) into a ParsedPlan.

Pure: the standard library and defusedxml, no Django. The XML is parsed with DTDs refused
outright (MSPDI never has one), so entity expansion ("billion laughs"), external entities and
network fetches cannot happen. Every value that cannot be read is reported, naming the task
and the element, in one PlanFileError.

What MSPDI holds and how it is read (the element names are MS Project's):
- the project: <Title> (else the summary row's <Name>, else the file's <Name>), <StartDate>,
  <FinishDate>, <StatusDate> (else <CurrentDate>), <CurrencyCode>, <GUID> (its stable id);
- the project summary row (the task at <OutlineLevel> 0, UID 0): % complete, <Cost> (cost at
  completion), <ActualCost> and baseline 0 for the whole project; without that row they are
  rolled up from the tasks;
- each task: <UID>, <ID>, <Name>, <OutlineLevel>, <Summary>, <Milestone>, <Start>, <Finish>,
  <ActualStart>, <ActualFinish>, <PercentComplete>, <Cost>, <ActualCost> and its <Baseline>
  elements (<Number> 0 is "Baseline", 1–10 are "Baseline1"…"Baseline10"); blank rows
  (<IsNull> 1) and inactive tasks (<Active> 0) are skipped;
- resources (<Type> 1 work, 0 material, <IsCostResource> 1 cost) and assignments (<Units>
  1 = full time, <Work> as an xsd:duration).
Money is stored in hundredths of the currency unit ("352625" is 3,526.25), as MPXJ reads it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml import ElementTree as SafeElementTree

from projects.imports.plan import (
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
    task_label,
    total,
)

SOURCE = "mspdi"
NAMESPACE = "http://schemas.microsoft.com/project"
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # binary .mpp files are OLE2 containers
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
UNASSIGNED_RESOURCE = "-65535"  # MS Project's "no resource" on an assignment
CENT = Decimal("0.01")
HUNDRED = Decimal("100")
DURATION = re.compile(r"PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?")
SHOWN_VALUE_LENGTH = 40

DOCTYPE_MESSAGE = (
    "The file declares a document type (<!DOCTYPE …>). Microsoft Project XML never does, and "
    "Slate refuses it: a document type can define entities that expand into gigabytes (an "
    "“XML bomb”) or pull in other files."
)
ENTITY_MESSAGE = (
    "The file defines or references XML entities, which Microsoft Project XML never does; "
    "Slate refuses them (they can expand into gigabytes or pull in other files)."
)
MPP_MESSAGE = (
    "This is a binary Microsoft Project file (.mpp). Slate reads Microsoft Project XML: in "
    "Project choose File › Save As, pick “XML Format (*.xml)” and upload that file."
)
XER_MESSAGE = "This is a Primavera P6 export (XER). Slate reads Microsoft Project XML only for now."


def read_mspdi(data: bytes) -> ParsedPlan:
    """The plan in `data` (the file's bytes, any encoding its XML declaration names)."""
    return _Reader(_parse(data)).plan()


def is_ms_project_xml(data: bytes) -> bool:
    """Whether `data` is for this reader: an empty file, anything that starts like XML whose
    root is Microsoft Project's <Project>, and a file too broken to tell (this reader names
    what is wrong). False for other files (binary .mpp, XER) and for well-formed XML of
    another tool (Primavera PMXML, Planner, GanttProject…), which MPXJ reads. XML that
    declares a document type or entities is refused here (PlanFileError), before any reader
    sees it."""
    text = data.removeprefix(UTF8_BOM).lstrip()
    if not text:
        return True
    if not text.startswith((b"<", *UTF16_BOMS)):
        return False
    try:
        root = _parse(data)
    except PlanFileError as error:
        if error.problems[0] in (DOCTYPE_MESSAGE, ENTITY_MESSAGE):
            raise
        return True
    namespace, local = _split(root.tag)
    return local == "Project" and namespace in (NAMESPACE, "")


def _parse(data: bytes) -> ElementTree.Element:
    if not data.strip():
        raise PlanFileError("The file is empty.")
    if data.startswith(OLE2_SIGNATURE):
        raise PlanFileError(MPP_MESSAGE)
    text = data.removeprefix(UTF8_BOM).lstrip()
    if text.startswith(b"ERMHDR"):
        raise PlanFileError(XER_MESSAGE)
    if not text.startswith((b"<", *UTF16_BOMS)):
        raise PlanFileError(
            "The file is not XML: it does not start with an XML declaration or element. "
            "Upload the file MS Project saves with File › Save As › XML."
        )
    try:
        return SafeElementTree.fromstring(data, forbid_dtd=True)
    except DTDForbidden as error:
        raise PlanFileError(DOCTYPE_MESSAGE) from error
    except (EntitiesForbidden, ExternalReferenceForbidden) as error:
        raise PlanFileError(ENTITY_MESSAGE) from error
    except ElementTree.ParseError as error:
        raise PlanFileError(f"The file is not well-formed XML ({error}).") from error


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _shown(text: str) -> str:
    return text if len(text) <= SHOWN_VALUE_LENGTH else text[:SHOWN_VALUE_LENGTH] + "…"


class _Reader:
    def __init__(self, root: ElementTree.Element):
        namespace, local = _split(root.tag)
        if local != "Project" or namespace not in (NAMESPACE, ""):
            where = f" in the namespace “{namespace}”" if namespace else ""
            raise PlanFileError(
                f"The file is XML, but not Microsoft Project XML: its root element is "
                f'<{local}>{where}, where a Project XML file has <Project xmlns="{NAMESPACE}">.'
            )
        self.root = root
        self.prefix = f"{{{namespace}}}" if namespace else ""
        self.problems: list[str] = []

    # Values --------------------------------------------------------------------------------

    def _find(self, element, name):
        return element.find(self.prefix + name)

    def _all(self, element, name):
        return element.findall(self.prefix + name)

    def text(self, element, name) -> str:
        child = self._find(element, name)
        return (child.text or "").strip() if child is not None else ""

    def _problem(self, where: str, name: str, text: str, what: str) -> None:
        self.problems.append(f"{where}: <{name}> “{_shown(text)}” is not {what}.")

    def day(self, element, name, where) -> date | None:
        text = self.text(element, name)
        if not text:
            return None
        try:
            return datetime.fromisoformat(text).date()
        except ValueError:
            self._problem(where, name, text, "a date")
            return None

    def number(self, element, name, where, what="a number") -> Decimal | None:
        text = self.text(element, name)
        if not text:
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            self._problem(where, name, text, what)
            return None
        return value

    def money(self, element, name, where) -> Decimal | None:
        value = self.number(element, name, where, "an amount")
        return None if value is None else (value / HUNDRED).quantize(CENT)

    def flag(self, element, name, default=False) -> bool:
        text = self.text(element, name).lower()
        return default if not text else text in ("1", "true")

    def percent(self, element, name, where) -> Decimal:
        value = self.number(element, name, where, "a percentage")
        if value is None:
            return Decimal("0")
        if not 0 <= value <= 100:
            self._problem(where, name, str(value), "a percentage between 0 and 100")
            return Decimal("0")
        return value

    # The plan ----------------------------------------------------------------------------

    def plan(self) -> ParsedPlan:
        summary, tasks, skipped = self.tasks()
        resources = self.resources()
        assignments = self.assignments({resource.uid for resource in resources})
        root = self.root
        start = self.day(root, "StartDate", "The project")
        finish = self.day(root, "FinishDate", "The project")
        status_date = self.day(root, "StatusDate", "The project")
        status_from = "status date" if status_date else ""
        if status_date is None:
            status_date = self.day(root, "CurrentDate", "The project")
            status_from = "current date" if status_date else ""
        if not tasks and not self.problems:
            self.problems.append(
                "The plan has no tasks: its <Tasks> list holds at most the project's own "
                "summary row."
            )
        dated = [task for task in tasks if not task.is_summary]
        start = start or (summary and summary.start) or min(task_days(dated, "start"), default=None)
        finish = (
            finish or (summary and summary.finish) or max(task_days(dated, "finish"), default=None)
        )
        if tasks and (start is None or finish is None):
            self.problems.append(
                "The plan has no start or finish date (<StartDate>, <FinishDate>)."
            )
        elif start and finish and finish < start:
            self.problems.append(
                f"The plan finishes ({finish:%Y-%m-%d}) before it starts ({start:%Y-%m-%d})."
            )
        if self.problems:
            raise PlanFileError(self.problems)
        return ParsedPlan(
            source=SOURCE,
            external_id=self.text(root, "GUID").strip("{}").upper(),
            name=self.name(summary),
            start=start,
            finish=finish,
            status_date=status_date,
            status_date_from=status_from,
            currency=self.text(root, "CurrencyCode").upper()[:3],
            percent_complete=summary.percent_complete if summary else rolled_up_percent(dated),
            cost=summary.cost if summary else total(dated, "cost"),
            actual_cost=summary.actual_cost if summary else total(dated, "actual_cost"),
            baseline=summary.baseline if summary else rolled_up_baseline(dated),
            tasks=tuple(tasks),
            resources=tuple(resources),
            assignments=tuple(assignments),
            notes=tuple(self.notes(tasks, skipped)),
        )

    def name(self, summary: PlanTask | None) -> str:
        title = self.text(self.root, "Title")
        if title:
            return title
        if summary and summary.name:
            return summary.name
        file_name = self.text(self.root, "Name")
        return re.sub(r"\.xml$", "", file_name, flags=re.IGNORECASE) or "Imported plan"

    def tasks(self) -> tuple[PlanTask | None, list[PlanTask], int]:
        """The project summary row (or None), the other tasks in file order, and how many
        inactive tasks were skipped."""
        container = self._find(self.root, "Tasks")
        if container is None or not self._all(container, "Task"):
            raise PlanFileError("The plan has no tasks: the file has no <Tasks> list.")
        summary, tasks, skipped = None, [], 0
        for element in self._all(container, "Task"):
            if self.flag(element, "IsNull"):
                continue  # a blank row
            if not self.flag(element, "Active", default=True):
                skipped += 1
                continue
            task = self.task(element)
            if task is None:
                continue
            if task.outline_level == 0:
                summary = task
            else:
                tasks.append(task)
        return summary, tasks, skipped

    def task(self, element) -> PlanTask | None:
        uid = self.text(element, "UID")
        row_text = self.text(element, "ID")
        name = self.text(element, "Name")
        row = int(row_text) if row_text.isdigit() else None
        where = task_label(row, name)
        if not uid:
            self.problems.append(f"{where} has no <UID>.")
            return None
        level_text = self.text(element, "OutlineLevel")
        if level_text and not level_text.isdigit():
            self._problem(where, "OutlineLevel", level_text, "a whole number")
        return PlanTask(
            uid=uid,
            row=row,
            name=name,
            outline_level=int(level_text) if level_text.isdigit() else 1,
            is_summary=self.flag(element, "Summary"),
            is_milestone=self.flag(element, "Milestone"),
            start=self.day(element, "Start", where),
            finish=self.day(element, "Finish", where),
            actual_start=self.day(element, "ActualStart", where),
            actual_finish=self.day(element, "ActualFinish", where),
            percent_complete=self.percent(element, "PercentComplete", where),
            cost=self.money(element, "Cost", where),
            actual_cost=self.money(element, "ActualCost", where),
            baseline=self.baseline(element, where),
        )

    def baseline(self, task_element, where) -> PlanBaseline | None:
        for element in self._all(task_element, "Baseline"):
            if self.text(element, "Number") == "0":
                label = f"{where}, baseline 0"
                return PlanBaseline(
                    start=self.day(element, "Start", label),
                    finish=self.day(element, "Finish", label),
                    cost=self.money(element, "Cost", label),
                )
        return None

    def resources(self) -> list[PlanResource]:
        container = self._find(self.root, "Resources")
        resources = []
        for element in self._all(container, "Resource") if container is not None else []:
            uid = self.text(element, "UID")
            if not uid or uid == "0" or self.flag(element, "IsNull"):
                continue  # UID 0 is MS Project's placeholder, not a resource
            name = self.text(element, "Name")
            if self.flag(element, "IsCostResource"):
                kind = ResourceKind.COST
            elif self.text(element, "Type") == "0":
                kind = ResourceKind.MATERIAL
            else:
                kind = ResourceKind.WORK
            resources.append(
                PlanResource(
                    uid=uid,
                    name=name,
                    kind=kind,
                    group=self.text(element, "Group"),
                    max_units=self.number(element, "MaxUnits", f"Resource “{name}”"),
                )
            )
        return resources

    def assignments(self, resource_uids: set[str]) -> list[PlanAssignment]:
        container = self._find(self.root, "Assignments")
        assignments = []
        for element in self._all(container, "Assignment") if container is not None else []:
            resource_uid = self.text(element, "ResourceUID")
            if resource_uid == UNASSIGNED_RESOURCE or resource_uid not in resource_uids:
                continue
            where = f"Assignment {self.text(element, 'UID')}"
            assignments.append(
                PlanAssignment(
                    uid=self.text(element, "UID"),
                    task_uid=self.text(element, "TaskUID"),
                    resource_uid=resource_uid,
                    units=self.number(element, "Units", where) or Decimal("1"),
                    start=self.day(element, "Start", where),
                    finish=self.day(element, "Finish", where),
                    work_hours=_hours(self.text(element, "Work")),
                )
            )
        return assignments

    def notes(self, tasks: list[PlanTask], skipped: int) -> list[str]:
        notes = []
        container = self._find(self.root, "Tasks")
        numbered = sum(
            1
            for task in self._all(container, "Task")
            for element in self._all(task, "Baseline")
            if self.text(element, "Number") not in ("", "0")
        )
        if numbered:
            notes.append(
                f"The file also holds {numbered} task baseline{'s' if numbered != 1 else ''} "
                "numbered 1–10; Slate reads baseline 0 (“Baseline”) only."
            )
        links = sum(1 for _ in self.root.iter(self.prefix + "PredecessorLink"))
        if links:
            notes.append(
                f"{links} link{'s' if links != 1 else ''} between tasks "
                f"{'are' if links != 1 else 'is'} not imported: Slate keeps dependencies "
                "between projects, not between tasks."
            )
        if skipped:
            notes.append(f"{skipped} inactive task{'s were' if skipped != 1 else ' was'} skipped.")
        return notes


def _hours(text: str) -> Decimal | None:
    match = DURATION.fullmatch(text or "")
    if not text or not match:
        return None
    hours, minutes, seconds = (Decimal(part or "0") for part in match.groups())
    return hours + minutes / 60 + seconds / 3600
