"""Writes and business operations on projects. Each is one transaction, checks the caller's
right to do it (so views and API share the rule) and validates before it writes."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from core import access
from core.bounds import amount_problem, in_window, normalise_amount, outside_window_message
from core.concurrency import save_versioned
from core.csv_export import csv_writer
from core.months import shift_months
from projects.events import health_watch, status_report_submitted
from projects.models import (
    Baseline,
    ChangeRequest,
    ChangeRequestStatus,
    CostCategory,
    CostEntry,
    Milestone,
    Project,
    ReportState,
    StatusReport,
)
from projects.periods import period_containing
from projects.querysets import Stage, stage_change_needs_gate
from projects.selectors import envelope_impact, has_baseline, project_performance

PROJECT_EDITABLE_FIELDS = (
    "name",
    "description",
    "program",
    "stage",
    "manager",
    "sponsor",
    "start_date",
    "end_date",
    "expected_benefit",
)
# Editable directly only while the project has no baseline yet (it is still being planned);
# afterwards they change through an approved change request.
PLANNING_FIELDS = ("budget",)
# The approved baseline: never written by project_update (see BASELINE_MESSAGE).
BASELINE_FIELDS = (
    "budget",
    "baseline_start",
    "baseline_end",
    "baseline_set_at",
    "baseline_set_by",
    "baseline_version",
)
BASELINE_MESSAGE = (
    "The {label} is part of the project's approved baseline: propose a change request to change it."
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


def plan_fields(project: Project) -> tuple[str, ...]:
    """The fields the plan form and project_update write for this project."""
    if has_baseline(project):
        return PROJECT_EDITABLE_FIELDS
    return (*PROJECT_EDITABLE_FIELDS, *PLANNING_FIELDS)


def _refuse_baseline_fields(project: Project, data: dict, fields=BASELINE_FIELDS) -> None:
    allowed = set(plan_fields(project))
    refused = [name for name in fields if name in data and name not in allowed]
    if refused:
        raise ValidationError(
            {
                name: BASELINE_MESSAGE.format(
                    label="BAC" if name == "budget" else name.replace("_", " ")
                )
                for name in refused
            }
        )


# A new project's fields: the plan form's, its code and its budget (no baseline yet).
PROJECT_CREATE_FIELDS = ("code", *PROJECT_EDITABLE_FIELDS, *PLANNING_FIELDS)


@transaction.atomic
def project_create(*, portfolio, data: dict, by) -> Project:
    """Record a project that already exists outside Slate (the onboarding import): at the
    stage it has reached, with its BAC and no baseline yet (its manager sets one on the plan
    page). Only the portfolio's PMO and portfolio managers (and PMO admins) may; an idea or
    candidate proposed by anyone else goes through `candidate_propose`."""
    access.require(
        access.can_manage_portfolio(by, portfolio),
        "Only the portfolio's PMO and portfolio managers may add projects to it.",
    )
    project = Project(portfolio=portfolio)
    _apply(project, data, PROJECT_CREATE_FIELDS)
    project.code = (project.code or "").strip()
    project.full_clean(exclude=["version"])
    project._history_user = by
    project.save()
    return project


def project_update(*, project: Project, data: dict, expected_version: int, by) -> Project:
    """Edit the plan. BAC and baseline fields are refused once the project has a baseline:
    they change through `change_request_approve` (docs/formulas.md, "Change control")."""
    _require_editor(by, project)
    _refuse_baseline_fields(project, data)
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
    _apply(project, data, plan_fields(project))
    project._history_user = by
    save_versioned(project, expected_version=expected_version)
    return project


def _milestone_baseline_dates(project: Project) -> dict[str, str]:
    return {
        str(pk): day.isoformat()
        for pk, day in project.milestones.exclude(baseline_date=None).values_list(
            "pk", "baseline_date"
        )
    }


def _record_baseline(project: Project, *, by, change_request=None) -> Baseline:
    return Baseline.objects.create(
        project=project,
        version=project.baseline_version,
        budget=project.budget,
        start=project.baseline_start,
        end=project.baseline_end,
        milestone_dates=_milestone_baseline_dates(project),
        change_request=change_request,
        created_by=by,
    )


def _set_first_baseline(project: Project, *, start, end, expected_version: int, by) -> None:
    _require_editor(by, project)
    if has_baseline(project):
        raise ValidationError(
            "This project already has a baseline; propose a change request to change it."
        )
    project.baseline_start = start
    project.baseline_end = end
    project.baseline_set_at = timezone.now()
    project.baseline_set_by = by
    project._history_user = by
    save_versioned(project, expected_version=expected_version)


@transaction.atomic
def project_set_baseline(*, project: Project, expected_version: int, by) -> Project:
    """Set the first baseline (version 0) from the current plan: project dates, BAC and
    milestone forecasts. Once set, the baseline changes only through a change request."""
    _set_first_baseline(
        project,
        start=project.start_date,
        end=project.end_date,
        expected_version=expected_version,
        by=by,
    )
    for milestone in project.milestones.exclude(forecast_date=None).exclude(
        baseline_date=F("forecast_date")
    ):
        milestone.baseline_date = milestone.forecast_date
        milestone._history_user = by
        save_versioned(milestone, expected_version=milestone.version)
    Baseline.objects.filter(project=project).delete()  # a baseline cleared by an admin
    _record_baseline(project, by=by)
    return project


@transaction.atomic
def project_set_baseline_to(*, project: Project, start, end, expected_version: int, by) -> Project:
    """Set the first baseline (version 0) to given dates, with the BAC and milestone baseline
    dates the project holds: an imported plan's own baseline 0, which need not be its
    current dates. Once set, it changes only through a change request."""
    _set_first_baseline(project, start=start, end=end, expected_version=expected_version, by=by)
    Baseline.objects.filter(project=project).delete()
    _record_baseline(project, by=by)
    return project


# Change requests ------------------------------------------------------------------------------

CHANGE_REQUEST_FIELDS = ("budget", "baseline_start", "baseline_end", "milestone_dates", "reason")


def _require_decider(user, project: Project):
    access.require(
        access.can_manage_portfolio(user, project.portfolio),
        "Only the portfolio's PMO or portfolio managers decide change requests.",
    )


def _changed_milestone_dates(project: Project, proposed: dict) -> dict[str, str]:
    """Proposed milestone baseline dates that differ from the current ones, as ISO strings;
    a milestone of another project is refused."""
    current = dict(project.milestones.values_list("pk", "baseline_date"))
    changed = {}
    for key, day in (proposed or {}).items():
        pk = int(key) if str(key).isdigit() else None  # a key that is no id names no milestone
        if pk not in current:
            raise ValidationError({"milestone_dates": "Choose milestones of this project."})
        if day is not None and day != current[pk]:
            changed[str(pk)] = day.isoformat()
    return changed


@transaction.atomic
def change_request_propose(*, project: Project, data: dict, by) -> ChangeRequest:
    """Propose a new BAC, baseline start/end and/or milestone baseline dates, with a reason.
    A value equal to the current one is not a change and is not recorded."""
    _require_editor(by, project)
    if not has_baseline(project):
        raise ValidationError(
            "This project has no baseline yet: set its BAC and first baseline on the plan."
        )
    change = ChangeRequest(project=project, proposed_by=by, reason=(data.get("reason") or ""))
    change.reason = change.reason.strip()
    for name, current in (
        ("budget", project.budget),
        ("baseline_start", project.baseline_start),
        ("baseline_end", project.baseline_end),
    ):
        value = data.get(name)
        setattr(change, name, None if value == current else value)
    change.milestone_dates = _changed_milestone_dates(project, data.get("milestone_dates"))
    errors = {}
    if not change.reason:
        errors["reason"] = "Say why the baseline should change."
    if (
        change.budget is None
        and change.baseline_start is None
        and change.baseline_end is None
        and not change.milestone_dates
    ):
        errors[NON_FIELD_ERRORS] = (
            "Nothing would change: propose a new BAC, baseline dates or milestone dates."
        )
    start = change.baseline_start or project.baseline_start
    end = change.baseline_end or project.baseline_end
    if end < start:
        errors["baseline_end"] = "The baseline end must be on or after the baseline start."
    if errors:
        raise ValidationError(errors)
    change.full_clean()
    change.save()
    return change


def _locked_pending(change_request: ChangeRequest) -> ChangeRequest:
    change = ChangeRequest.objects.select_for_update().get(pk=change_request.pk)
    if not change.is_pending:
        raise ValidationError(f"This change request is already {change.get_status_display()}.")
    return change


def _envelope_message(project: Project, impact) -> str:
    portfolio = project.portfolio
    return (
        f"Approving it would commit {portfolio.currency} {impact.committed_after:,.0f} in "
        f"{portfolio.name}, {portfolio.currency} {-impact.headroom_after:,.0f} beyond its "
        f"budget envelope of {portfolio.currency} {impact.envelope:,.0f}. Reject it, or a PMO "
        "admin may approve it with an override reason."
    )


@transaction.atomic
def change_request_approve(
    *, change_request: ChangeRequest, by, note: str = "", override_reason: str = ""
) -> ChangeRequest:
    """Apply the change as the next baseline version (docs/formulas.md, "Change control").
    Beyond the portfolio's budget envelope it is refused unless a PMO admin gives an override
    reason, which is recorded."""
    _require_decider(by, change_request.project)
    change = _locked_pending(change_request)
    project = (
        Project.objects.select_for_update().select_related("portfolio").get(pk=change.project_id)
    )
    impact = envelope_impact(change_request=change, project=project)
    override_reason = (override_reason or "").strip()
    if impact.exceeds:
        if not override_reason:
            raise ValidationError({"override_reason": _envelope_message(project, impact)})
        if not access.is_pmo_admin(by):
            raise ValidationError(
                {"override_reason": "Only a PMO admin may approve beyond the budget envelope."}
            )
    else:
        override_reason = ""
    if not Baseline.objects.filter(project=project, version=0).exists():
        _record_baseline(project, by=project.baseline_set_by)  # the original, kept as it was
    if change.budget is not None:
        project.budget = change.budget
    project.baseline_start = change.baseline_start or project.baseline_start
    project.baseline_end = change.baseline_end or project.baseline_end
    project.baseline_version += 1
    project.baseline_set_at = timezone.now()
    project.baseline_set_by = by
    project.full_clean(exclude=["portfolio", "program", "manager", "sponsor", "code"])
    project._history_user = by
    save_versioned(project, expected_version=project.version)
    for milestone in project.milestones.filter(pk__in=[int(k) for k in change.milestone_dates]):
        milestone.baseline_date = date.fromisoformat(change.milestone_dates[str(milestone.pk)])
        milestone._history_user = by
        save_versioned(milestone, expected_version=milestone.version)
    change.status = ChangeRequestStatus.APPROVED
    change.decided_by, change.decided_at = by, timezone.now()
    change.decision_note = (note or "").strip()
    change.envelope_override_reason = override_reason
    change.save()
    _record_baseline(project, by=by, change_request=change)
    return change


@transaction.atomic
def change_request_reject(*, change_request: ChangeRequest, by, note: str) -> ChangeRequest:
    _require_decider(by, change_request.project)
    change = _locked_pending(change_request)
    if not (note or "").strip():
        raise ValidationError({"note": "Say why the change request is rejected."})
    change.status = ChangeRequestStatus.REJECTED
    change.decided_by, change.decided_at = by, timezone.now()
    change.decision_note = note.strip()
    change.save()
    return change


# Moving a plan ----------------------------------------------------------------------------------


@transaction.atomic
def project_move_start(*, project: Project, months: int, by, reason: str) -> ChangeRequest | None:
    """Move the project's plan by whole `months` (later when positive), as when a committed
    scenario starts it in another month: its start and end dates and its milestones' forecast
    dates (and their baseline dates while it has no baseline) move through `project_update`
    and `milestone_update`; done milestones stay. A baselined project's baseline moves by a
    change request with the same shift and `reason`, for the portfolio to decide (returned).
    Its allocations are moved by `resources.services.allocations_move` (resources is above
    projects)."""
    if not months:
        return None
    _require_editor(by, project)
    current = Project.objects.select_for_update().get(pk=project.pk)
    baselined = has_baseline(current)
    project_update(
        project=current,
        data={
            "start_date": shift_months(current.start_date, months),
            "end_date": shift_months(current.end_date, months),
        },
        expected_version=current.version,
        by=by,
    )
    baseline_dates = {}
    for milestone in current.milestones.all():
        if milestone.baseline_date:
            baseline_dates[milestone.pk] = shift_months(milestone.baseline_date, months)
        if milestone.actual_date:
            continue
        data = {}
        if milestone.forecast_date:
            data["forecast_date"] = shift_months(milestone.forecast_date, months)
        if milestone.baseline_date and not baselined:
            data["baseline_date"] = baseline_dates[milestone.pk]
        if data:
            milestone_update(
                milestone=milestone, data=data, expected_version=milestone.version, by=by
            )
    change = None
    if baselined:
        change = change_request_propose(
            project=current,
            data={
                "baseline_start": shift_months(current.baseline_start, months),
                "baseline_end": shift_months(current.baseline_end, months),
                "milestone_dates": baseline_dates,
                "reason": reason,
            },
            by=by,
        )
    for name in ("start_date", "end_date", "version"):
        setattr(project, name, getattr(current, name))
    return change


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


def _refuse_milestone_baseline(project: Project, data: dict) -> None:
    if "baseline_date" in data and has_baseline(project):
        raise ValidationError(
            {"baseline_date": BASELINE_MESSAGE.format(label="milestone's baseline date")}
        )


def milestone_fields(project: Project) -> tuple[str, ...]:
    """What the milestone form edits: its baseline date only before the project's baseline."""
    if has_baseline(project):
        return tuple(name for name in MILESTONE_FIELDS if name != "baseline_date")
    return MILESTONE_FIELDS


def _check_not_future(day: date | None, field: str, what: str):
    if day and day > timezone.localdate():
        raise ValidationError({field: f"{what} cannot be in the future."})
    if day and not in_window(day):
        raise ValidationError({field: outside_window_message(day)})


@transaction.atomic
def milestone_create(*, project: Project, data: dict, by) -> Milestone:
    _require_editor(by, project)
    _refuse_milestone_baseline(project, data)
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
    _refuse_milestone_baseline(milestone.project, data)
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


def _cost_health_watch(project: Project, cause: str):
    """Costs change the project's health as of today (docs/decisions.md, "Health events")."""
    return health_watch(project, as_of=timezone.localdate(), cause=cause)


def _validate_cost(entry: CostEntry):
    _check_not_future(entry.date, "date", "An actual cost")
    if entry.amount is not None and entry.amount < 0:
        raise ValidationError({"amount": "The amount must not be negative."})
    entry.full_clean()


@transaction.atomic
def cost_entry_create(*, project: Project, data: dict, by, external_id: str = "") -> CostEntry:
    """`external_id` marks an entry a plan import wrote, which the next import updates."""
    _require_editor(by, project)
    entry = CostEntry(project=project, created_by=by, external_id=external_id)
    _apply(entry, data, COST_FIELDS)
    _validate_cost(entry)
    with _cost_health_watch(project, "cost_entry.created"):
        entry.save()
    return entry


@transaction.atomic
def cost_entry_update(*, entry: CostEntry, data: dict, by) -> CostEntry:
    _require_editor(by, entry.project)
    _apply(entry, data, COST_FIELDS)
    _validate_cost(entry)
    with _cost_health_watch(entry.project, "cost_entry.updated"):
        entry.save()
    return entry


@transaction.atomic
def cost_entry_delete(*, entry: CostEntry, by) -> None:
    _require_editor(by, entry.project)
    with _cost_health_watch(entry.project, "cost_entry.deleted"):
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
    with transaction.atomic(), _cost_health_watch(project, "cost_entry.imported"):
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


@transaction.atomic
def status_report_submit(
    *, report: StatusReport, data: dict, expected_version: int | None, by
) -> StatusReport:
    """Submit the period's report (creating it on a first save); announced on the event bus
    with any change of health it makes (docs/decisions.md, "Health events")."""
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
    # A report counts from its period's end (the status date), so an early report is
    # compared as of that day.
    as_of = max(timezone.localdate(), report.period_end)
    with health_watch(report.project, as_of=as_of, cause="status_report.submitted"):
        _save_report(report, expected_version, by)
        status_report_submitted(report)
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
