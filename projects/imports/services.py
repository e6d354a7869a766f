"""Writes of a plan import: keep an upload for its preview (`plan_import_upload`: MS Project
XML is read at once by `plan_import_stage`, any other file is read by MPXJ in the Celery
worker, `plan_import_read`) and import it (`plan_import_apply`), all of it or nothing, through
the project services every page uses, so the same rules hold (who may edit, baseline fields
only through change requests, milestone weights, no actual dates in the future)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core import access
from projects import services
from projects.imports.mpxj_reader import read_plan_file
from projects.imports.mspdi import is_ms_project_xml, read_mspdi
from projects.imports.plan import ParsedPlan, PlanFileError, plan_from_json, plan_to_json
from projects.imports.preview import (
    CODE_NEEDED,
    CREATE,
    NEW_PROJECT_STAGE,
    UPDATE,
    ImportPreview,
    actual_cost_key,
    plan_import_preview,
    source_label,
)
from projects.models import CostCategory, PlanImport, PlanImportState, PlanSource, Project
from projects.selectors import status_report_for_period

logger = logging.getLogger(__name__)

MAX_PLAN_BYTES = 5 * 1024 * 1024
STALE_PREVIEW = (
    "The project changed since you saw the preview (someone edited it, or imported a plan): "
    "review the preview again, then import."
)
NOT_READ_YET = "The file is still being read: wait for its preview, then import it."
READER_FAILED = (
    "Slate could not read the file: its reader stopped with an error ({error}). The file may "
    "be damaged, or of a version the reader does not know; save it again from your planning "
    "tool, or save it as Microsoft Project XML, and upload that file."
)


def read_plan(plan_import: PlanImport) -> ParsedPlan:
    """The plan of a kept upload: MS Project XML is read again from the file; a file the
    worker read is the plan it kept (no JVM in a web request)."""
    if plan_import.source == PlanSource.MSPDI:
        return read_mspdi(bytes(plan_import.content))
    if plan_import.state != PlanImportState.READY or plan_import.plan is None:
        raise PlanFileError(NOT_READ_YET)
    return plan_from_json(plan_import.plan)


def _require_importer(user, plan_import: PlanImport) -> None:
    """Into a project: whoever edits it. Into the portfolio (a new project, or the one the
    plan finds there): the portfolio's PMO and portfolio managers."""
    if plan_import.project_id:
        access.require(
            access.can_edit_project(user, plan_import.project),
            "Only the project's manager, its portfolio's PMO or portfolio managers may import "
            "its plan.",
        )
    else:
        access.require(
            access.can_manage_portfolio(user, plan_import.portfolio),
            "Only the portfolio's PMO and portfolio managers may import plans into it.",
        )


def plan_import_stage(
    *,
    portfolio,
    project: Project | None = None,
    file_name: str,
    content: bytes,
    source: str = PlanSource.MSPDI,
    code: str = "",
    name: str = "",
    manager=None,
    by,
) -> tuple[PlanImport, ImportPreview]:
    """Read an uploaded plan and keep it for its preview. A file that cannot be read, or
    whose import would be refused, raises PlanFileError (or a ValidationError on `code`)
    and nothing is written."""
    plan_import = PlanImport(
        portfolio=portfolio,
        project=project,
        code=(code or "").strip(),
        name=(name or "").strip(),
        manager=manager,
        source=source,
        file_name=(file_name or "plan.xml")[:255],
        content=content,
        uploaded_by=by,
    )
    _require_importer(by, plan_import)
    if len(content) > MAX_PLAN_BYTES:
        raise PlanFileError("The file is larger than 5 MB.")
    preview = plan_import_preview(plan_import=plan_import, plan=read_plan(plan_import))
    if CODE_NEEDED in preview.problems:
        raise ValidationError({"code": CODE_NEEDED})
    if preview.problems:
        raise PlanFileError(list(preview.problems))
    plan_import.save()
    return plan_import, preview


def plan_import_upload(
    *,
    portfolio,
    project: Project | None = None,
    file_name: str,
    content: bytes,
    code: str = "",
    name: str = "",
    manager=None,
    by,
) -> PlanImport:
    """Keep an uploaded plan for its preview. MS Project XML is read now (`plan_import_stage`:
    refused at once, nothing kept, when it cannot be imported). Any other file is kept
    `reading` and read by MPXJ in the Celery worker (`read_uploaded_plan`, queued once this
    commits), which makes it ready for its preview or failed with what is wrong."""
    if is_ms_project_xml(content):
        plan_import, _ = plan_import_stage(
            portfolio=portfolio,
            project=project,
            file_name=file_name,
            content=content,
            code=code,
            name=name,
            manager=manager,
            by=by,
        )
        return plan_import
    plan_import = PlanImport(
        portfolio=portfolio,
        project=project,
        code=(code or "").strip(),
        name=(name or "").strip(),
        manager=manager,
        source=PlanSource.MPXJ,  # until the worker knows which tool wrote it
        state=PlanImportState.READING,
        file_name=(file_name or "plan")[:255],
        content=content,
        uploaded_by=by,
    )
    _require_importer(by, plan_import)
    if len(content) > MAX_PLAN_BYTES:
        raise PlanFileError("The file is larger than 5 MB.")
    with transaction.atomic():
        plan_import.save()
        transaction.on_commit(lambda: read_uploaded_plan.delay(plan_import.pk))
    return plan_import


def plan_import_read(*, plan_import_id: int) -> str:
    """Read a kept upload in this worker (MPXJ, in this process's JVM) and keep the plan: the
    upload is then ready for its preview, or failed with every reason it cannot be imported
    (the reader's, or the preview's, as the upload of MS Project XML is refused), its file
    dropped. An upload no longer being read is left alone (a task delivered twice). Returns
    the state."""
    plan_import = (
        PlanImport.objects.select_related("portfolio", "project").filter(pk=plan_import_id).first()
    )
    if plan_import is None or plan_import.state != PlanImportState.READING:
        return plan_import.state if plan_import else ""
    plan = None
    try:
        plan = read_plan_file(bytes(plan_import.content), file_name=plan_import.file_name)
    except PlanFileError as error:
        problems = error.problems
    except Exception as error:  # noqa: BLE001 - the reader's own failure: shown, not stuck
        logger.exception("reading plan import %s failed", plan_import_id)
        problems = [READER_FAILED.format(error=str(error)[:200] or type(error).__name__)]
    else:
        plan_import.source = plan.source
        problems = list(plan_import_preview(plan_import=plan_import, plan=plan).problems)
    with transaction.atomic():
        locked = PlanImport.objects.select_for_update().get(pk=plan_import_id)
        if locked.state != PlanImportState.READING:
            return locked.state
        locked.read_at = timezone.now()
        if problems:
            locked.state, locked.problems, locked.content = PlanImportState.FAILED, problems, b""
        else:
            locked.state, locked.source = PlanImportState.READY, plan.source
            locked.plan = plan_to_json(plan)
        locked.save(update_fields=["state", "problems", "content", "plan", "source", "read_at"])
    return locked.state


@shared_task(name="projects.read_uploaded_plan")
def read_uploaded_plan(plan_import_id: int) -> str:
    """Celery entry point, queued by `plan_import_upload` (registered through projects.tasks)."""
    return plan_import_read(plan_import_id=plan_import_id)


def _uploader_only(plan_import: PlanImport, user) -> None:
    if plan_import.uploaded_by_id != getattr(user, "pk", None):
        raise PermissionDenied("Only the person who uploaded this plan may import it.")


def plan_import_current_preview(*, plan_import: PlanImport, by) -> ImportPreview:
    """The preview of a kept upload as things stand now (for its page)."""
    _uploader_only(plan_import, by)
    _require_importer(by, plan_import)
    return plan_import_preview(plan_import=plan_import, plan=read_plan(plan_import))


@transaction.atomic
def plan_import_apply(*, plan_import: PlanImport, fingerprint: str, by) -> ImportPreview:
    """Import the plan as previewed: everything the preview listed, or nothing. Refused when
    the preview, worked out again now under lock, differs from the one the user confirmed."""
    plan_import = (
        PlanImport.objects.select_for_update(of=("self",))
        .select_related("portfolio", "project")
        .get(pk=plan_import.pk)
    )
    _uploader_only(plan_import, by)
    _require_importer(by, plan_import)
    if plan_import.is_applied:
        applied = timezone.localtime(plan_import.applied_at)
        raise ValidationError(f"This file was already imported, on {applied:%Y-%m-%d %H:%M}.")
    if plan_import.state == PlanImportState.READING:
        raise ValidationError(NOT_READ_YET)
    if plan_import.state == PlanImportState.FAILED:
        raise ValidationError(list(plan_import.problems) or "This file cannot be imported.")
    preview = plan_import_preview(plan_import=plan_import, plan=read_plan(plan_import), lock=True)
    if preview.problems:
        raise ValidationError(list(preview.problems))
    if preview.fingerprint != fingerprint:
        raise ValidationError(STALE_PREVIEW)
    project = _write_project(plan_import, preview, by)
    milestones = _write_milestones(project, preview, by)
    _write_baseline(plan_import, project, preview, milestones, by)
    _write_report(project, preview, by)
    _write_cost(plan_import, project, preview, by)
    plan_import.applied_at = timezone.now()
    plan_import.applied_project = project
    plan_import.save(update_fields=["applied_at", "applied_project"])
    return preview


def _write_project(plan_import: PlanImport, preview: ImportPreview, by) -> Project:
    step, plan = preview.project, preview.plan
    if step.action == CREATE:
        project = Project(
            portfolio=plan_import.portfolio,
            code=step.code,
            name=step.name,
            stage=NEW_PROJECT_STAGE,
            manager=plan_import.manager,
            external_source=plan.source,
            external_id=plan.external_id,
            **step.values,
        )
        project.full_clean()
        project._history_user = by
        project.save()
        return project
    project = step.project
    if step.links_plan:
        # Saved with the plan's dates by project_update below (it saves the whole row).
        project.external_source, project.external_id = plan.source, plan.external_id
    if step.changes or step.links_plan:
        services.project_update(
            project=project, data=step.values, expected_version=project.version, by=by
        )
    return project


def _write_milestones(project: Project, preview: ImportPreview, by) -> dict:
    """Create and update the milestones; returns task id → milestone."""
    by_task = {}
    for step in preview.milestones:
        if step.action == CREATE:
            milestone = services.milestone_create(project=project, data=step.values, by=by)
        elif step.action == UPDATE:
            milestone = step.milestone
            milestone.project = project
            milestone.external_id = step.task.uid  # saved with the values below
            services.milestone_update(
                milestone=milestone, data=step.values, expected_version=milestone.version, by=by
            )
        else:
            milestone = step.milestone
        if not milestone.external_id:
            milestone.external_id = step.task.uid
            milestone.save(update_fields=["external_id"])
        by_task[step.task.uid] = milestone
    return by_task


def _write_baseline(plan_import, project: Project, preview: ImportPreview, milestones, by):
    step = preview.baseline
    if step.action == "set":
        services.project_set_baseline_to(
            project=project, start=step.start, end=step.end, expected_version=project.version, by=by
        )
    elif step.action == "propose":
        services.change_request_propose(
            project=project,
            data={
                "budget": step.budget,
                "baseline_start": step.start,
                "baseline_end": step.end,
                "milestone_dates": {
                    milestones[s.task.uid].pk: s.proposed_baseline
                    for s in preview.milestones
                    if s.proposed_baseline
                },
                "reason": (
                    f"Imported from {plan_import.file_name} ({source_label(plan_import.source)}): "
                    "the plan's baseline 0 differs from the approved baseline."
                ),
            },
            by=by,
        )


def _write_report(project: Project, preview: ImportPreview, by) -> None:
    step = preview.report
    if step.action not in (CREATE, UPDATE):
        return
    report = status_report_for_period(project=project, day=step.period_start)
    services.status_report_save(
        report=report,
        data=step.values,
        expected_version=report.version if report.pk else None,
        by=by,
    )


def _write_cost(plan_import, project: Project, preview: ImportPreview, by) -> None:
    step = preview.cost
    if step.action not in (CREATE, UPDATE):
        return
    data = {
        "date": step.day,
        "amount": step.amount,
        "category": CostCategory.OTHER,
        "description": (
            f"Actual cost to {step.day:%Y-%m-%d} from the plan {plan_import.file_name}"
        )[:300],
    }
    if step.action == CREATE:
        services.cost_entry_create(
            project=project, data=data, external_id=actual_cost_key(step.day), by=by
        )
    else:
        entry = step.entry
        entry.project = project
        services.cost_entry_update(entry=entry, data=data, by=by)
