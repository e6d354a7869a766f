"""What importing a plan would do, worked out before anything is written: the preview page
shows it, and the import (services.plan_import_apply) works it out again under lock and does
exactly that, refusing when it no longer matches what was shown (the fingerprint).

Which project: the one the file was uploaded to; from the portfolio, the project imported
from the same plan before (its stored external id), else the project with the code given,
else a new candidate with that code. Then (docs/decisions.md, "Importing project plans"):
- the project's dates are the plan's start and finish; its BAC, while it has no baseline, is
  the plan's baseline 0 cost (else its cost at completion);
- milestone tasks become milestones, matched by task id (else, once, by name);
- the plan's baseline 0 becomes the project's first baseline when it has none, and a change
  request when it differs from the approved one (never a silent edit);
- % complete, forecast finish and cost at completion go to a draft status report of the
  period of the status date;
- the actual cost to the status date becomes one cost entry dated at the status date (the
  increase since the entries imported for earlier status dates)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import timezone

from core.bounds import in_window, outside_window_message
from projects.imports.plan import ParsedPlan, PlanTask
from projects.models import (
    ChangeRequest,
    ChangeRequestStatus,
    CostEntry,
    Milestone,
    MilestoneStatus,
    PlanImport,
    PlanSource,
    Project,
    StatusReport,
    same_plan_id_sources,
)
from projects.periods import period_containing, period_label
from projects.querysets import Stage
from projects.selectors import has_baseline, status_report_for_period

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
MONEY_LIMIT = Decimal("1e12")  # MONEY fields hold 12 digits before the point
ACTUAL_COST_KEY = "plan-actual-cost:{day}"  # CostEntry.external_id of an imported actual
NEW_PROJECT_STAGE = Stage.CANDIDATE
CODE_NEEDED = (
    "No project of this portfolio was imported from this plan: give the new project a code "
    "(or the code of the project it belongs to)."
)


@dataclass(frozen=True)
class Change:
    label: str
    old: object
    new: object


@dataclass(frozen=True)
class ProjectStep:
    action: str  # CREATE or UPDATE
    matched_by: str  # "this project", "plan id", "code" or "" (a new project)
    project: Project | None
    code: str
    name: str
    values: dict  # what is written: start_date, end_date and, before a baseline, budget
    changes: tuple[Change, ...]
    links_plan: bool  # the project's external id is set by this import


@dataclass(frozen=True)
class MilestoneStep:
    action: str  # CREATE, UPDATE or UNCHANGED
    matched_by: str  # "task id", "name" or ""
    milestone: Milestone | None
    task: PlanTask
    values: dict
    changes: tuple[Change, ...]
    proposed_baseline: date | None  # for the change request (a project with a baseline)


@dataclass(frozen=True)
class BaselineStep:
    # "set" (the first baseline), "propose" (a change request), "pending" (the same change
    # request already awaits a decision), UNCHANGED, or "absent" (the file has no baseline 0)
    action: str
    start: date | None = None
    end: date | None = None
    budget: Decimal | None = None
    changes: tuple[Change, ...] = ()
    pending: ChangeRequest | None = None


@dataclass(frozen=True)
class ReportStep:
    # CREATE, UPDATE, UNCHANGED, "submitted" (kept as it is) or "none" (no status date)
    action: str
    period_start: date | None = None
    period_end: date | None = None
    period: str = ""
    report: StatusReport | None = None
    values: dict = field(default_factory=dict)
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class CostStep:
    action: str  # CREATE, UPDATE, UNCHANGED, "none" or "skipped"
    day: date | None = None
    amount: Decimal | None = None
    entry: CostEntry | None = None
    actual_to_date: Decimal | None = None
    imported_before: Decimal = Decimal("0")


@dataclass(frozen=True)
class ImportPreview:
    plan: ParsedPlan
    project: ProjectStep
    milestones: tuple[MilestoneStep, ...]
    baseline: BaselineStep
    report: ReportStep
    cost: CostStep
    warnings: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def can_import(self) -> bool:
        return not self.problems

    @property
    def milestone_counts(self) -> dict[str, int]:
        counts = dict.fromkeys((CREATE, UPDATE, UNCHANGED), 0)
        for step in self.milestones:
            counts[step.action] += 1
        return counts

    @property
    def fingerprint(self) -> str:
        """A digest of everything the import would write and of the values it replaces: the
        confirm form carries the one the user saw, and the import refuses to go on when it
        differs (someone changed the project meanwhile)."""
        project, baseline, report, cost = self.project, self.baseline, self.report, self.cost
        essentials = (
            (project.action, project.project and project.project.pk, project.code),
            sorted(project.values.items()),
            project.changes,
            [
                (step.action, step.milestone and step.milestone.pk, step.task.uid)
                + (sorted(step.values.items()), step.changes, step.proposed_baseline)
                for step in self.milestones
            ],
            (baseline.action, baseline.start, baseline.end, baseline.budget, baseline.changes),
            (report.action, report.period_start, sorted(report.values.items()), report.changes),
            (cost.action, cost.day, cost.amount, cost.entry and cost.entry.pk),
        )
        return hashlib.sha256(repr(essentials).encode()).hexdigest()[:32]


def plan_budget(plan: ParsedPlan) -> Decimal | None:
    """The BAC a plan proposes: its baseline 0 cost, else (never baselined) its cost at
    completion."""
    if plan.baseline and plan.baseline.cost is not None:
        return plan.baseline.cost
    return plan.cost


def actual_cost_key(day: date) -> str:
    return ACTUAL_COST_KEY.format(day=day.isoformat())


class _Problems(list):
    def date(self, day: date | None, what: str) -> None:
        if day is not None and not in_window(day):
            self.append(f"{what}: {outside_window_message(day)}")

    def money(self, amount: Decimal | None, what: str) -> None:
        if amount is not None and abs(amount) >= MONEY_LIMIT:
            self.append(f"{what}: {amount:,.2f} is more than Slate can store.")


def plan_import_preview(
    *, plan_import: PlanImport, plan: ParsedPlan, lock: bool = False
) -> ImportPreview:
    """What importing `plan` as `plan_import` says would do now. With `lock` (inside the
    import's transaction) the matched project's row is locked first."""
    problems, warnings = _Problems(), []
    project, matched_by = _match_project(plan_import, plan, problems, warnings, lock=lock)
    baselined = project is not None and has_baseline(project)
    project_step = _project_step(plan_import, plan, project, matched_by, baselined, problems)
    milestones = _milestone_steps(plan, project, baselined, problems, warnings)
    baseline = _baseline_step(plan, project, baselined, milestones, problems)
    report = _report_step(plan_import, plan, project, problems)
    cost = _cost_step(plan, project, warnings, problems)
    warnings.extend(_plan_warnings(plan_import, plan, baseline, report))
    return ImportPreview(
        plan=plan,
        project=project_step,
        milestones=tuple(milestones),
        baseline=baseline,
        report=report,
        cost=cost,
        warnings=tuple(warnings),
        problems=tuple(problems),
    )


# Which project ---------------------------------------------------------------------------


def _projects(lock: bool):
    projects = Project.objects.select_related("portfolio")
    return projects.select_for_update(of=("self",)) if lock else projects


def _match_project(plan_import, plan, problems, warnings, *, lock):
    portfolio_projects = _projects(lock).filter(portfolio_id=plan_import.portfolio_id)
    same_plan = (
        portfolio_projects.filter(
            external_source__in=same_plan_id_sources(plan.source), external_id=plan.external_id
        ).first()
        if plan.external_id
        else None
    )
    if plan_import.project_id:
        project = _projects(lock).get(pk=plan_import.project_id)
        if same_plan and same_plan.pk != project.pk:
            problems.append(
                f"This plan was imported as {same_plan.code} “{same_plan.name}”: import it "
                "there, not here."
            )
        _check_same_plan(project, plan, problems, warnings)
        return project, "this project"
    if same_plan:
        code = plan_import.code.strip()
        if code and code != same_plan.code:
            warnings.append(
                f"This plan was imported before as {same_plan.code}, which it updates; the "
                f"code you gave ({code}) is not used."
            )
        return same_plan, "plan id"
    code = plan_import.code.strip()
    if not code:
        problems.append(CODE_NEEDED)
        return None, ""
    project = portfolio_projects.filter(code=code).first()
    if project:
        _check_same_plan(project, plan, problems, warnings)
        return project, "code"
    return None, ""


def _check_same_plan(project, plan, problems, warnings):
    if not project.external_id:
        return
    if not plan.external_id:
        warnings.append(
            f"{project.code} was imported from a plan with an id; this file carries none, so "
            "Slate cannot check that it is the same plan."
        )
    elif (
        project.external_source not in same_plan_id_sources(plan.source)
        or project.external_id != plan.external_id
    ):
        problems.append(
            f"{project.code} was imported from another plan (id {project.external_id}); this "
            f"file is the plan with id {plan.external_id}."
        )


# The project -----------------------------------------------------------------------------


def _project_step(plan_import, plan, project, matched_by, baselined, problems) -> ProjectStep:
    problems.date(plan.start, "The plan's start")
    problems.date(plan.finish, "The plan's finish")
    values = {"start_date": plan.start, "end_date": plan.finish}
    budget = plan_budget(plan)
    if not baselined and budget is not None:
        values["budget"] = budget
        problems.money(budget, "The plan's cost")
    links_plan = bool(plan.external_id) and (
        project is None or project.external_id != plan.external_id
    )
    if project is None:
        code = plan_import.code.strip()
        name = (plan_import.name.strip() or plan.name)[:200]
        values.setdefault("budget", Decimal("0"))
        changes = (
            Change("Code", None, code),
            Change("Name", None, name),
            Change("Stage", None, NEW_PROJECT_STAGE.label),
            Change("Start", None, plan.start),
            Change("End", None, plan.finish),
            Change("Budget (BAC)", None, values["budget"]),
        )
        return ProjectStep(CREATE, "", None, code, name, values, changes, links_plan)
    labels = {"start_date": "Start", "end_date": "End", "budget": "Budget (BAC)"}
    changes = tuple(
        Change(labels[name], getattr(project, name), value)
        for name, value in values.items()
        if getattr(project, name) != value
    )
    return ProjectStep(
        UPDATE, matched_by, project, project.code, project.name, values, changes, links_plan
    )


# Milestones ------------------------------------------------------------------------------

MILESTONE_LABELS = {
    "name": "Name",
    "baseline_date": "Baseline",
    "forecast_date": "Forecast",
    "actual_date": "Actual",
    "status": "Status",
}


def _milestone_values(task: PlanTask, baselined: bool) -> dict:
    done = task.percent_complete >= 100 or task.actual_finish is not None
    if done:
        status, actual = MilestoneStatus.DONE, task.actual_finish or task.finish
    elif task.percent_complete > 0:
        status, actual = MilestoneStatus.IN_PROGRESS, None
    else:
        status, actual = MilestoneStatus.PLANNED, None
    values = {
        "name": (task.name or f"Milestone (task {task.row})")[:200],
        "forecast_date": task.finish,
        "actual_date": actual,
        "status": status,
    }
    if not baselined and task.baseline and task.baseline.finish:
        values["baseline_date"] = task.baseline.finish
    return values


def _milestone_steps(plan, project, baselined, problems, warnings) -> list[MilestoneStep]:
    existing = list(project.milestones.all()) if project else []
    by_task = {m.external_id: m for m in existing if m.external_id}
    unlinked = [m for m in existing if not m.external_id]
    names = [m.name.casefold() for m in unlinked]
    by_name = {m.name.casefold(): m for m in unlinked if names.count(m.name.casefold()) == 1}
    today = timezone.localdate()
    steps = []
    for task in plan.milestones:
        values = _milestone_values(task, baselined)
        for name in ("baseline_date", "forecast_date", "actual_date"):
            problems.date(values.get(name), f"{task.label}, {MILESTONE_LABELS[name].lower()}")
        if values["actual_date"] and values["actual_date"] > today:
            problems.append(f"{task.label}: its actual finish is in the future.")
        milestone, matched_by = by_task.get(task.uid), "task id"
        if milestone is None:
            milestone, matched_by = by_name.pop(values["name"].casefold(), None), "name"
        proposed = None
        if baselined and task.baseline and task.baseline.finish:
            current = milestone.baseline_date if milestone else None
            proposed = task.baseline.finish if task.baseline.finish != current else None
        if milestone is None:
            changes = tuple(
                Change(MILESTONE_LABELS[name], None, value) for name, value in values.items()
            )
            steps.append(MilestoneStep(CREATE, "", None, task, values, changes, proposed))
            continue
        changes = tuple(
            Change(MILESTONE_LABELS[name], getattr(milestone, name), value)
            for name, value in values.items()
            if getattr(milestone, name) != value
        )
        action = UPDATE if changes or matched_by == "name" else UNCHANGED
        steps.append(MilestoneStep(action, matched_by, milestone, task, values, changes, proposed))
    matched = {step.milestone.pk for step in steps if step.milestone}
    kept = [m.name for m in existing if m.pk not in matched]
    if kept:
        warnings.append(
            f"{len(kept)} of the project's milestones {'are' if len(kept) != 1 else 'is'} not in "
            f"the plan and stay as {'they are' if len(kept) != 1 else 'it is'}: "
            + ", ".join(f"“{name}”" for name in kept[:5])
            + ("…" if len(kept) > 5 else "")
            + "."
        )
    return steps


# Baseline --------------------------------------------------------------------------------


def _baseline_step(plan, project, baselined, milestones, problems) -> BaselineStep:
    baseline = plan.baseline
    if baseline is None or baseline.start is None or baseline.finish is None:
        return BaselineStep("absent")
    problems.date(baseline.start, "The plan's baseline start")
    problems.date(baseline.finish, "The plan's baseline finish")
    if baseline.finish < baseline.start:
        problems.append(
            f"The plan's baseline 0 finishes ({baseline.finish:%Y-%m-%d}) before it starts "
            f"({baseline.start:%Y-%m-%d})."
        )
    if not baselined:
        return BaselineStep(
            "set", start=baseline.start, end=baseline.finish, budget=plan_budget(plan)
        )
    budget = baseline.cost if baseline.cost is not None else project.budget
    problems.money(budget, "The plan's baseline cost")
    proposed = {
        "budget": None if budget == project.budget else budget,
        "baseline_start": None if baseline.start == project.baseline_start else baseline.start,
        "baseline_end": None if baseline.finish == project.baseline_end else baseline.finish,
    }
    labels = {"budget": "BAC", "baseline_start": "Baseline start", "baseline_end": "Baseline end"}
    changes = [
        Change(labels[name], getattr(project, name), value)
        for name, value in proposed.items()
        if value is not None
    ]
    changes += [
        Change(
            f"“{step.values['name']}” baseline",
            step.milestone.baseline_date if step.milestone else None,
            step.proposed_baseline,
        )
        for step in milestones
        if step.proposed_baseline
    ]
    step_values = {"start": baseline.start, "end": baseline.finish, "budget": budget}
    if not changes:
        return BaselineStep(UNCHANGED, **step_values)
    pending = _same_pending_request(project, proposed, milestones)
    action = "pending" if pending else "propose"
    return BaselineStep(action, changes=tuple(changes), pending=pending, **step_values)


def _same_pending_request(project, proposed, milestones) -> ChangeRequest | None:
    if any(step.proposed_baseline and step.milestone is None for step in milestones):
        return None  # a new milestone's date cannot be in a request yet
    dates = {
        str(step.milestone.pk): step.proposed_baseline.isoformat()
        for step in milestones
        if step.proposed_baseline
    }
    wanted = (proposed["budget"], proposed["baseline_start"], proposed["baseline_end"], dates)
    for request in project.change_requests.filter(status=ChangeRequestStatus.PROPOSED):
        held = (request.budget, request.baseline_start, request.baseline_end)
        if (*held, request.milestone_dates) == wanted:
            return request
    return None


# Status report and actual cost -----------------------------------------------------------


def _report_step(plan_import, plan, project, problems) -> ReportStep:
    day = plan.status_date
    if day is None:
        return ReportStep("none")
    problems.date(day, "The plan's status date")
    if day > timezone.localdate():
        problems.append(
            f"The plan's status date ({day:%Y-%m-%d}) is after today: Slate records progress "
            "and actual costs up to today. Set the status date in Project to today or earlier "
            "and save the file again."
        )
        return ReportStep("none")
    kind = plan_import.portfolio.reporting_period
    start, end = period_containing(kind, day)
    values = {"forecast_end": plan.finish}
    if plan.percent_complete is not None:
        values["percent_complete"] = plan.percent_complete.quantize(Decimal("0.01"))
    if plan.cost is not None:
        values["forecast_cost"] = plan.cost
        problems.money(plan.cost, "The plan's cost at completion")
    period = period_label(kind, start)
    report = status_report_for_period(project=project, day=day) if project else None
    labels = {
        "percent_complete": "% complete",
        "forecast_end": "Forecast finish",
        "forecast_cost": "Forecast cost",
    }
    if report is None or report.pk is None:
        changes = tuple(Change(labels[name], None, value) for name, value in values.items())
        return ReportStep(CREATE, start, end, period, None, values, changes)
    if report.is_submitted:
        return ReportStep("submitted", start, end, period, report)
    changes = tuple(
        Change(labels[name], getattr(report, name), value)
        for name, value in values.items()
        if getattr(report, name) != value
    )
    return ReportStep(UPDATE if changes else UNCHANGED, start, end, period, report, values, changes)


def _cost_step(plan, project, warnings, problems) -> CostStep:
    day, actual = plan.status_date, plan.actual_cost
    if day is None or actual is None or day > timezone.localdate():
        return CostStep("none", actual_to_date=actual)
    problems.money(actual, "The plan's actual cost")
    imported = list(project.cost_entries.exclude(external_id="")) if project else []
    earlier = sum((e.amount for e in imported if e.date < day), Decimal("0"))
    same = next((e for e in imported if e.external_id == actual_cost_key(day)), None)
    later = [e for e in imported if e.date > day]
    context = {"day": day, "actual_to_date": actual, "imported_before": earlier}
    if later:
        warnings.append(
            f"Actual costs were already imported from a plan with a later status date "
            f"({max(e.date for e in later):%Y-%m-%d}): this file's actual cost is not imported."
        )
        return CostStep("skipped", **context)
    amount = actual - earlier
    if amount < 0:
        warnings.append(
            f"The plan's actual cost to {day:%Y-%m-%d} ({actual:,.2f}) is less than the "
            f"{earlier:,.2f} imported for earlier status dates: it is not imported. Correct the "
            "earlier cost entries by hand if the plan corrected them."
        )
        return CostStep("skipped", **context)
    if same:
        action = UNCHANGED if same.amount == amount else UPDATE
        return CostStep(action, amount=amount, entry=same, **context)
    if amount == 0:
        return CostStep("none", **context)
    return CostStep(CREATE, amount=amount, **context)


def _plan_warnings(plan_import, plan, baseline, report) -> list[str]:
    warnings = []
    currency = plan_import.portfolio.currency
    if plan.currency and plan.currency != currency:
        warnings.append(
            f"The plan's amounts are in {plan.currency}, the portfolio's in {currency}: they "
            "are imported as they are, not converted."
        )
    if baseline.action == "absent":
        warnings.append(
            "The plan has no baseline 0: nothing is proposed for the baseline, and the BAC of "
            "a project without a baseline is the plan's cost at completion."
        )
    if report.action == "submitted":
        warnings.append(
            f"The {report.period} report is already submitted: its figures are not changed "
            "(the PMO can reopen it)."
        )
    if plan.status_date is None:
        warnings.append(
            "The plan has no status date: no status report and no actual cost are imported."
        )
    elif plan.status_date_from == "current date":
        warnings.append(
            f"The plan has no status date; its current date ({plan.status_date:%Y-%m-%d}) is "
            "taken as the status date."
        )
    others = len(plan.tasks) - len(plan.milestones)
    if others:
        warnings.append(
            f"Slate keeps the plan's milestones, not its other {others} task"
            f"{'s' if others != 1 else ''}: they give the project's dates, % complete and costs."
        )
    return [*warnings, *plan.notes]


def source_label(source: str) -> str:
    return PlanSource(source).label
