"""Writes and business operations on projects. Each is one transaction, checks the caller's
right to do it (so views and API share the rule) and validates before it writes."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from core import access
from core.bounds import amount_problem, in_window, normalise_amount, outside_window_message
from core.concurrency import save_versioned
from core.csv_export import csv_writer
from projects.models import CostCategory, CostEntry, Milestone, Project, ReportState, StatusReport
from projects.periods import period_containing
from projects.querysets import Stage, stage_change_needs_gate
from projects.selectors import project_performance

PROJECT_EDITABLE_FIELDS = (
    "name",
    "description",
    "program",
    "stage",
    "manager",
    "sponsor",
    "start_date",
    "end_date",
    "budget",
    "expected_benefit",
)
STATUS_REPORT_FIELDS = (
    "overall_rag",
    "schedule_rag",
    "budget_rag",
    "scope_rag",
    "quality_rag",
    "risk_rag",
    "percent_complete",
    "forecast_end",
    "forecast_cost",
    "summary",
    "accomplishments",
    "next_steps",
    "escalations",
)


def _require_editor(user, project):
    access.require(
        access.can_edit_project(user, project),
        "Only the project's manager, its portfolio's PMO or portfolio managers may change it.",
    )


def _apply(instance, data: dict, fields):
    for field in fields:
        if field in data:
            setattr(instance, field, data[field])


# Projects -------------------------------------------------------------------------------------


def project_update(*, project: Project, data: dict, expected_version: int, by) -> Project:
    _require_editor(by, project)
    current_stage = Project.objects.values_list("stage", flat=True).get(pk=project.pk)
    new_stage = data.get("stage", current_stage)
    if stage_change_needs_gate(current_stage, new_stage):
        raise ValidationError(
            {
                "stage": (
                    f"Moving from {Stage(current_stage).label} to {Stage(new_stage).label} "
                    "needs a gate decision; ask the PMO to record a go/no-go at the gate."
                )
            }
        )
    _apply(project, data, PROJECT_EDITABLE_FIELDS)
    project._history_user = by
    save_versioned(project, expected_version=expected_version)
    return project


@transaction.atomic
def project_set_baseline(*, project: Project, expected_version: int, by) -> Project:
    """Copy the current plan (project dates, milestone forecasts) to the baseline."""
    _require_editor(by, project)
    project.baseline_start = project.start_date
    project.baseline_end = project.end_date
    project.baseline_set_at = timezone.now()
    project.baseline_set_by = by
    project._history_user = by
    save_versioned(project, expected_version=expected_version)
    for milestone in project.milestones.exclude(forecast_date=None).exclude(
        baseline_date=F("forecast_date")
    ):
        milestone.baseline_date = milestone.forecast_date
        milestone._history_user = by
        save_versioned(milestone, expected_version=milestone.version)
    return project


# Milestones -----------------------------------------------------------------------------------

MILESTONE_FIELDS = (
    "name",
    "weight",
    "baseline_date",
    "forecast_date",
    "actual_date",
    "status",
)


def _check_milestone_weights(project: Project, milestone: Milestone):
    others = project.milestones.exclude(pk=milestone.pk).values_list("weight", flat=True)
    total = sum(others, Decimal("0")) + (milestone.weight or 0)
    if total > 100:
        raise ValidationError(
            {
                "weight": f"Milestone weights of this project would add up to {total:g} %; "
                "they may not exceed 100 %."
            }
        )


def _check_not_future(day: date | None, field: str, what: str):
    if day and day > timezone.localdate():
        raise ValidationError({field: f"{what} cannot be in the future."})
    if day and not in_window(day):
        raise ValidationError({field: outside_window_message(day)})


@transaction.atomic
def milestone_create(*, project: Project, data: dict, by) -> Milestone:
    _require_editor(by, project)
    next_sequence = (project.milestones.aggregate(last=Max("sequence"))["last"] or 0) + 1
    milestone = Milestone(project=project, sequence=next_sequence)
    _apply(milestone, data, MILESTONE_FIELDS)
    _check_not_future(milestone.actual_date, "actual_date", "An actual date")
    _check_milestone_weights(project, milestone)
    milestone.full_clean()
    milestone._history_user = by
    milestone.save()
    return milestone


@transaction.atomic
def milestone_update(*, milestone: Milestone, data: dict, expected_version: int, by) -> Milestone:
    _require_editor(by, milestone.project)
    _apply(milestone, data, MILESTONE_FIELDS)
    _check_not_future(milestone.actual_date, "actual_date", "An actual date")
    _check_milestone_weights(milestone.project, milestone)
    milestone._history_user = by
    save_versioned(milestone, expected_version=expected_version)
    return milestone


@transaction.atomic
def milestone_delete(*, milestone: Milestone, by) -> None:
    _require_editor(by, milestone.project)
    milestone._history_user = by
    milestone.delete()


@transaction.atomic
def milestones_reorder(*, project: Project, ordered_ids: list[int], by) -> None:
    _require_editor(by, project)
    milestones = {m.pk: m for m in project.milestones.select_for_update()}
    if set(ordered_ids) != set(milestones):
        raise ValidationError("The new order must list every milestone of the project once.")
    for sequence, milestone_id in enumerate(ordered_ids, start=1):
        milestone = milestones[milestone_id]
        if milestone.sequence != sequence:
            milestone.sequence = sequence
            milestone._history_user = by
            milestone.save(update_fields=["sequence"])


# Costs ----------------------------------------------------------------------------------------

COST_FIELDS = ("date", "amount", "category", "description")
CSV_COLUMNS = ("project_code", "date", "amount", "category", "description")


def _validate_cost(entry: CostEntry):
    _check_not_future(entry.date, "date", "An actual cost")
    if entry.amount is not None and entry.amount < 0:
        raise ValidationError({"amount": "The amount must not be negative."})
    entry.full_clean()


@transaction.atomic
def cost_entry_create(*, project: Project, data: dict, by) -> CostEntry:
    _require_editor(by, project)
    entry = CostEntry(project=project, created_by=by)
    _apply(entry, data, COST_FIELDS)
    _validate_cost(entry)
    entry.save()
    return entry


@transaction.atomic
def cost_entry_update(*, entry: CostEntry, data: dict, by) -> CostEntry:
    _require_editor(by, entry.project)
    _apply(entry, data, COST_FIELDS)
    _validate_cost(entry)
    entry.save()
    return entry


@transaction.atomic
def cost_entry_delete(*, entry: CostEntry, by) -> None:
    _require_editor(by, entry.project)
    entry.delete()


@dataclass(frozen=True)
class RowError:
    row: int  # line number in the file, the header being line 1
    field: str
    message: str

    def __str__(self):
        return f"Row {self.row}, {self.field}: {self.message}"


class CostImportError(Exception):
    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(f"{len(errors)} problem(s); nothing was imported.")


def cost_csv_template() -> str:
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerow(["PRJ-001", "2026-10-31", "12500.00", "labour", "October developer time"])
    return out.getvalue()


def _parse_cost_row(number: int, row: dict, project: Project, today: date):
    errors, values = [], {}
    code = (row.get("project_code") or "").strip()
    if code and code != project.code:
        errors.append(RowError(number, "project_code", f"“{code}” is not {project.code}."))
    raw_date = (row.get("date") or "").strip()
    try:
        values["date"] = date.fromisoformat(raw_date)
        if values["date"] > today:
            errors.append(RowError(number, "date", f"{raw_date} is in the future."))
        elif not in_window(values["date"]):
            errors.append(RowError(number, "date", outside_window_message(values["date"])))
    except ValueError:
        errors.append(RowError(number, "date", f"“{raw_date}” is not a date (use YYYY-MM-DD)."))
    raw_amount = (row.get("amount") or "").strip().replace(",", "")
    try:
        amount = normalise_amount(Decimal(raw_amount))
        problem = amount_problem(amount)
        if problem:
            errors.append(RowError(number, "amount", f"{raw_amount}: {problem}"))
        elif amount < 0:
            errors.append(RowError(number, "amount", f"{raw_amount} is negative."))
        elif amount >= Decimal("1e12"):
            errors.append(RowError(number, "amount", f"{raw_amount} is out of range."))
        else:
            values["amount"] = amount.quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors.append(RowError(number, "amount", f"“{raw_amount}” is not an amount."))
    category = (row.get("category") or "").strip().lower()
    if category not in CostCategory.values:
        allowed = ", ".join(CostCategory.values)
        errors.append(
            RowError(number, "category", f"“{category}” is not a category (use one of {allowed}).")
        )
    values["category"] = category
    values["description"] = (row.get("description") or "").strip()[:300]
    return values, errors


def _row_shape_errors(number: int, cells: list[str], header: list[str]) -> list[RowError]:
    """A NUL byte, or more or fewer cells than the header (a blank line is no row)."""
    if any("\x00" in value for value in cells):
        return [RowError(number, "file", "The row contains a NUL byte.")]
    blank = not any(value.strip() for value in cells)
    if len(cells) > len(header) or (len(cells) < len(header) and not blank):
        message = f"The row has {len(cells)} columns; the header has {len(header)}."
        return [RowError(number, "file", message)]
    return []


def cost_entries_import_csv(*, project: Project, file, by) -> list[CostEntry]:
    """Import every row or none; every bad row and field is reported at once."""
    _require_editor(by, project)
    try:
        text = file.read().decode("utf-8-sig") if hasattr(file, "read") else file
    except UnicodeDecodeError as error:
        raise CostImportError([RowError(1, "file", "The file is not UTF-8 text.")]) from error
    rows = csv.reader(io.StringIO(text))
    header = [name.strip().lower() for name in next(rows, [])]
    missing = [column for column in ("date", "amount", "category") if column not in header]
    if missing:
        raise CostImportError(
            [RowError(1, column, "This column is missing from the header.") for column in missing]
        )
    today = timezone.localdate()
    entries, errors = [], []
    for number, cells in enumerate(rows, start=2):
        row_errors = _row_shape_errors(number, cells, header)
        if row_errors:
            errors.extend(row_errors)
            continue
        if not any(value.strip() for value in cells):
            continue
        values, row_errors = _parse_cost_row(
            number, dict(zip(header, cells, strict=True)), project, today
        )
        errors.extend(row_errors)
        if not row_errors:
            entries.append(CostEntry(project=project, created_by=by, **values))
    if not entries and not errors:
        errors.append(RowError(2, "file", "The file has no cost rows."))
    if errors:
        raise CostImportError(errors)
    with transaction.atomic():
        return CostEntry.objects.bulk_create(entries)


# Status reports -------------------------------------------------------------------------------


def current_period(project: Project, today: date | None = None) -> tuple[date, date]:
    return period_containing(project.portfolio.reporting_period, today or timezone.localdate())


def _save_report(report: StatusReport, expected_version: int | None, by) -> None:
    report._history_user = by
    if report.pk is None:  # the period's first save: a new row, nothing to conflict with
        report.created_by = by
        with transaction.atomic():
            report.full_clean()
            report.save()
    else:
        save_versioned(report, expected_version=expected_version)


def _require_reportable_period(report: StatusReport) -> None:
    """A report may be written up to the next period: no report for a period further ahead."""
    kind = report.project.portfolio.reporting_period
    _, current_end = period_containing(kind, timezone.localdate())
    next_start, _ = period_containing(kind, current_end + timedelta(days=1))
    if report.period_start > next_start:
        raise ValidationError(
            {"period": f"Reports can be written up to the period starting {next_start:%Y-%m-%d}."}
        )


def status_report_save(
    *, report: StatusReport, data: dict, expected_version: int | None, by
) -> StatusReport:
    """Save a draft (creating the period's report on its first save)."""
    _require_editor(by, report.project)
    _require_reportable_period(report)
    if report.is_submitted:
        raise ValidationError("This report is submitted and read-only; the PMO can reopen it.")
    _apply(report, data, STATUS_REPORT_FIELDS)
    _save_report(report, expected_version, by)
    return report


def status_report_submit(
    *, report: StatusReport, data: dict, expected_version: int | None, by
) -> StatusReport:
    _require_editor(by, report.project)
    _require_reportable_period(report)
    if report.is_submitted:
        raise ValidationError("This report is already submitted.")
    _apply(report, data, STATUS_REPORT_FIELDS)
    missing = {}
    if not (report.summary or "").strip():
        missing["summary"] = "Write a summary before submitting."
    if report.forecast_cost is None:
        missing["forecast_cost"] = "Give the forecast cost at completion before submitting."
    if missing:
        raise ValidationError(missing)
    report.state = ReportState.SUBMITTED
    report.submitted_by = by
    report.submitted_at = timezone.now()
    _save_report(report, expected_version, by)
    return report


def status_report_reopen(*, report: StatusReport, expected_version: int, by) -> StatusReport:
    access.require(
        access.can_manage_portfolio(by, report.project.portfolio),
        "Only the PMO may reopen a submitted status report.",
    )
    if not report.is_submitted:
        raise ValidationError("This report is not submitted.")
    report.state = ReportState.DRAFT
    report._history_user = by
    save_versioned(report, expected_version=expected_version)
    return report


# Health ---------------------------------------------------------------------------------------


@transaction.atomic
def project_health_refresh(*, project_id: int, as_of: date | None = None) -> str:
    """Recompute and store a project's computed health (CPI/SPI against its portfolio's
    thresholds). A plain UPDATE: it never bumps the edit version nor races a manager's edit."""
    project = Project.objects.select_related("portfolio").get(pk=project_id)
    performance = project_performance(project=project, as_of=as_of or timezone.localdate())
    Project.objects.filter(pk=project.pk).update(
        computed_health=performance.computed_health, health_computed_at=timezone.now()
    )
    return performance.computed_health
