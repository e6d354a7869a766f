"""Writes of the portfolio's strategy: objectives and their weights, the contribution
matrix, scoring criteria and project scores, candidate intake, and stage-gate decisions.

Each function is keyword-only, checks the caller's right itself (so the browser views and
the API share the rule; PermissionDenied is the 403), validates, and writes in one
transaction. Reads and the gate rules live in portfolio.strategy."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from core import access, events
from core.concurrency import save_versioned
from portfolio import strategy
from portfolio.models import (
    GATE_STAGES,
    CriterionStatus,
    GateCriterion,
    GateCriterionAssessment,
    GateDecision,
    GateOutcome,
    ObjectiveContribution,
    Portfolio,
    ProjectScore,
    RankingSnapshot,
    ScoringCriterion,
    StrategicObjective,
    Synergy,
)
from portfolio.selectors import active_on
from projects.events import project_ref
from projects.models import Project
from projects.querysets import Stage
from resources.models import Allocation, AllocationStatus, AllocationUnit

HUNDRED = Decimal("100")
# Who takes go / no-go decisions at a stage gate: the PMO, portfolio managers
# and executives of the portfolio, and PMO admins. A project's manager proposes, not decides.
INTAKE_STAGES = (Stage.IDEA, Stage.CANDIDATE)


class SetValidationError(ValidationError):
    """A set of rows edited together (objectives, criteria, role requests) was refused.

    The error's own messages concern the set as a whole and are keyed by the field they are
    about (e.g. "weight" when the weights do not add up to 100); `field_hints[field]` is a
    short form of that message to mark the field on each row; `row_errors[i]` holds row i's
    own field errors."""

    def __init__(
        self,
        message,
        *,
        row_errors: dict[int, dict[str, list[str]]] | None = None,
        field_hints: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.row_errors = row_errors or {}
        self.field_hints = field_hints or {}


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def _require_manager(user, portfolio: Portfolio, what: str):
    access.require(
        access.can_manage_portfolio(user, portfolio),
        f"Only the portfolio's PMO and portfolio managers may change {what}.",
    )


def _row_errors(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}


# --- Strategic objectives --------------------------------------------------------------------

OBJECTIVE_FIELDS = ("name", "description", "weight", "active_from", "active_until")


def _check_unique_names(
    named: Iterable[tuple[int, str]], row_errors: dict, *, kept: Iterable[str] = ()
) -> None:
    """`named`: (row index, name) pairs; a repeated name is an error on the later row, and so
    is the name of a row `kept` as it is (not sent: the pages send every row, an API client
    may send only the rows it changes)."""
    taken = {(name or "").strip().casefold() for name in kept}
    seen = {}
    for index, raw_name in named:
        name = (raw_name or "").strip().casefold()
        if name in seen:
            row_errors.setdefault(index, {}).setdefault("name", []).append(
                "Another row has the same name."
            )
        elif name in taken:
            row_errors.setdefault(index, {}).setdefault("name", []).append(
                "Another one that stays as it is has this name."
            )
        seen[name] = index


@transaction.atomic
def objectives_save(
    *, portfolio: Portfolio, rows: list[dict], by, as_of: date | None = None
) -> list[StrategicObjective]:
    """Save the portfolio's objectives as one set.

    Each row is a dict of OBJECTIVE_FIELDS plus `id` (None for a new objective) and
    `deactivate` (True: the objective stops being active yesterday; one that had not started
    yet starts and ends yesterday). The objectives active on `as_of` (default today) after
    the save must weigh 100 % together; a set with none active is allowed (no strategy yet)."""
    _require_manager(by, portfolio, "strategic objectives")
    today = as_of or timezone.localdate()
    yesterday = today - timedelta(days=1)
    existing = {
        o.pk: o for o in StrategicObjective.objects.select_for_update().filter(portfolio=portfolio)
    }
    objectives, row_errors = [], {}
    for index, row in enumerate(rows):
        objective = (
            existing.get(row.get("id"))
            if row.get("id")
            else StrategicObjective(portfolio=portfolio)
        )
        if objective is None:
            raise ValidationError("An objective of another portfolio was submitted.")
        for name in OBJECTIVE_FIELDS:
            if name in row:
                setattr(objective, name, row[name])
        if row.get("deactivate"):
            objective.active_until = yesterday
            if objective.active_from and objective.active_from > yesterday:
                objective.active_from = yesterday
        try:
            objective.full_clean(exclude=["portfolio"], validate_unique=False)
        except ValidationError as error:
            row_errors[index] = _row_errors(error)
        objectives.append(objective)
    submitted = {o.pk for o in objectives if o.pk}
    kept = [o for pk, o in existing.items() if pk not in submitted]
    _check_unique_names(
        enumerate(o.name for o in objectives), row_errors, kept=(o.name for o in kept)
    )
    if row_errors:
        raise SetValidationError("Some objectives need correcting.", row_errors=row_errors)
    active = [
        o
        for o in [*objectives, *kept]
        if o.active_from <= today and (o.active_until is None or o.active_until >= today)
    ]
    total = sum((Decimal(o.weight) for o in active), Decimal("0"))
    if active and total != HUNDRED:
        raise SetValidationError(
            {
                "weight": (
                    f"The weights of the active objectives add up to {_percent(total)}; "
                    "they must add up to 100%."
                )
            },
            field_hints={"weight": f"Active weights total {_percent(total)}, not 100%."},
        )
    for objective in objectives:
        objective.save()
    return objectives


# --- Contribution matrix ---------------------------------------------------------------------


@transaction.atomic
def contributions_save(*, portfolio: Portfolio, levels: dict[tuple[int, int], int], by) -> int:
    """Store each (project id, objective id) → contribution level (0–3) in one bulk upsert.

    The projects must be the portfolio's ranked projects, the objectives its active ones.
    Returns the number of cells written. Constant queries, whatever the number of cells."""
    _require_manager(by, portfolio, "the contribution matrix")
    project_ids = {project_id for project_id, _ in levels}
    objective_ids = {objective_id for _, objective_id in levels}
    known_projects = set(
        strategy.ranked_scope(portfolio).filter(pk__in=project_ids).values_list("pk", flat=True)
    )
    known_objectives = set(
        StrategicObjective.objects.filter(
            active_on(timezone.localdate()), portfolio=portfolio, pk__in=objective_ids
        ).values_list("pk", flat=True)
    )
    if project_ids - known_projects or objective_ids - known_objectives:
        raise ValidationError(
            "Some cells are for projects or objectives that are not (or no longer) in this "
            "portfolio's matrix; reload the page and try again."
        )
    bad = sorted(
        cell for cell, level in levels.items() if level not in range(strategy.MAX_CONTRIBUTION + 1)
    )
    if bad:
        raise ValidationError(
            {
                strategy.matrix_field_name(*cell): "Choose none, low, medium or high (0–3)."
                for cell in bad
            }
        )
    ObjectiveContribution.objects.bulk_create(
        [
            ObjectiveContribution(
                project_id=project_id, objective_id=objective_id, contribution=level
            )
            for (project_id, objective_id), level in sorted(levels.items())
        ],
        update_conflicts=True,
        unique_fields=["project", "objective"],
        update_fields=["contribution"],
    )
    return len(levels)


# --- Scoring ----------------------------------------------------------------------------------

ANCHOR_LEVELS = ("1", "2", "3", "4", "5")
CRITERION_FIELDS = ("name", "description", "weight", "direction", "anchors")


def _snapshot_ranking_before_scoring(*, portfolio: Portfolio, by, reason: str) -> None:
    """Keep the ranking as it stands before the day's first scoring change (a scoring round),
    so the ranked list can show how ranks moved since. Later changes the same day belong to
    the same round and keep the snapshot; a racing first save is harmless (one wins)."""
    today = timezone.localdate()
    if RankingSnapshot.objects.filter(portfolio=portfolio, taken_on=today).exists():
        return
    ranks = strategy.portfolio_ranks(portfolio=portfolio)
    try:
        with transaction.atomic():
            RankingSnapshot.objects.create(
                portfolio=portfolio,
                taken_on=today,
                taken_by=by,
                reason=reason[:200],
                ranks={str(pk): rank for pk, rank in ranks.items()},
            )
    except IntegrityError:
        pass


def _clean_anchors(anchors) -> dict[str, str]:
    anchors = anchors or {}
    return {level: str(anchors[level]).strip() for level in ANCHOR_LEVELS if anchors.get(level)}


@transaction.atomic
def criteria_save(
    *, portfolio: Portfolio, rows: list[dict], by, delete_ids: Iterable[int] = ()
) -> list[ScoringCriterion]:
    """Save the portfolio's scoring criteria as one set: rows of CRITERION_FIELDS plus `id`
    (None for a new criterion); `delete_ids` removes criteria with their scores. The criteria
    left must weigh 100 % together (or there may be none)."""
    _require_manager(by, portfolio, "scoring criteria")
    existing = {
        c.pk: c for c in ScoringCriterion.objects.select_for_update().filter(portfolio=portfolio)
    }
    delete_ids = set(delete_ids)
    if delete_ids - set(existing):
        raise ValidationError("A criterion of another portfolio was submitted.")
    criteria, row_errors = [], {}
    for index, row in enumerate(rows):
        criterion = (
            existing.get(row.get("id")) if row.get("id") else ScoringCriterion(portfolio=portfolio)
        )
        if criterion is None:
            raise ValidationError("A criterion of another portfolio was submitted.")
        if criterion.pk in delete_ids:
            continue
        for name in CRITERION_FIELDS:
            if name in row:
                setattr(criterion, name, row[name])
        criterion.anchors = _clean_anchors(criterion.anchors)
        try:
            criterion.full_clean(exclude=["portfolio"], validate_unique=False)
        except ValidationError as error:
            row_errors[index] = _row_errors(error)
        criteria.append((index, criterion))
    submitted = {c.pk for _, c in criteria if c.pk} | delete_ids
    kept = [c for pk, c in existing.items() if pk not in submitted]
    _check_unique_names(
        ((index, c.name) for index, c in criteria), row_errors, kept=(c.name for c in kept)
    )
    if row_errors:
        raise SetValidationError("Some criteria need correcting.", row_errors=row_errors)
    total = sum((Decimal(c.weight) for _, c in criteria), Decimal("0")) + sum(
        (c.weight for c in kept), Decimal("0")
    )
    if (criteria or kept) and total != HUNDRED:
        raise SetValidationError(
            {
                "weight": (
                    f"The weights of the scoring criteria add up to {_percent(total)}; "
                    "they must add up to 100%."
                )
            },
            field_hints={"weight": f"Weights total {_percent(total)}, not 100%."},
        )
    _snapshot_ranking_before_scoring(portfolio=portfolio, by=by, reason="Scoring criteria changed")
    ScoringCriterion.objects.filter(portfolio=portfolio, pk__in=delete_ids).delete()
    for _, criterion in criteria:
        criterion.save()
    return [criterion for _, criterion in criteria]


def score_field_name(criterion_id: int) -> str:
    return f"criterion_{criterion_id}"


@transaction.atomic
def project_scores_save(*, project: Project, scores: dict[int, int | None], by) -> Project:
    """Score `project` against its portfolio's criteria: criterion id → 1–5, or None to clear.
    Scores outside 1–5 are refused, each on its criterion's field (`criterion_<id>`)."""
    portfolio = project.portfolio
    _require_manager(by, portfolio, "project scores")
    criteria = set(
        ScoringCriterion.objects.filter(portfolio=portfolio).values_list("pk", flat=True)
    )
    if set(scores) - criteria:
        raise ValidationError("A criterion of another portfolio was submitted.")
    errors = {}
    for criterion_id, score in scores.items():
        if score is None:
            continue
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            errors[score_field_name(criterion_id)] = (
                f"Scores run from 1 to 5; {score!r} is off the scale."
            )
    if errors:
        raise ValidationError(errors)
    _snapshot_ranking_before_scoring(
        portfolio=portfolio, by=by, reason=f"Scores of {project.code} changed"
    )
    cleared = [criterion_id for criterion_id, score in scores.items() if score is None]
    if cleared:
        ProjectScore.objects.filter(project=project, criterion_id__in=cleared).delete()
    given = {criterion_id: score for criterion_id, score in scores.items() if score is not None}
    if given:
        ProjectScore.objects.bulk_create(
            [
                ProjectScore(project=project, criterion_id=criterion_id, score=score, scored_by=by)
                for criterion_id, score in sorted(given.items())
            ],
            update_conflicts=True,
            unique_fields=["project", "criterion"],
            update_fields=["score", "scored_by", "scored_at"],
        )
    return project


# --- Candidate intake -----------------------------------------------------------------------

# A candidate's timing: the months it may start in and its market window (projects.models).
TIMING_FIELDS = (
    "earliest_start",
    "latest_start",
    "target_launch",
    "value_decay_percent",
    "value_deadline",
)
CANDIDATE_FIELDS = (
    "name",
    "description",
    "program",
    "stage",
    "annual_benefit",
    "annual_cost",
    "budget",
    "expected_benefit",
    "start_date",
    "end_date",
    "is_mandatory",
    *TIMING_FIELDS,
)


def _codes(projects) -> str:
    return ", ".join(sorted(p.code for p in projects))


def requires_cycle(*, project_id: int, requires_ids: Iterable[int], edges) -> list[int] | None:
    """The project ids of a "requires" cycle through `project_id` if it required
    `requires_ids` (with the other projects' `edges`, (from, to) pairs), first id repeated at
    the end; None when there is none."""
    graph: dict[int, set[int]] = {}
    for source, target in edges:
        if source != project_id:
            graph.setdefault(source, set()).add(target)
    graph[project_id] = set(requires_ids)
    # Depth-first search from the project for a path back to it.
    stack = [(project_id, [project_id])]
    seen = set()
    while stack:
        node, path = stack.pop()
        for target in sorted(graph.get(node, ()), reverse=True):
            if target == project_id:
                return [*path, project_id]
            if target not in seen:
                seen.add(target)
                stack.append((target, [*path, target]))
    return None


def _check_links(project: Project, requires: list[Project], excludes: list[Project]) -> None:
    errors = {}
    foreign = [p for p in [*requires, *excludes] if p.portfolio_id != project.portfolio_id]
    if foreign:
        errors["requires"] = f"{_codes(foreign)} belong to another portfolio."
    if project.pk and any(p.pk == project.pk for p in requires):
        errors["requires"] = "A project cannot require itself."
    if project.pk and any(p.pk == project.pk for p in excludes):
        errors["excludes"] = "A project cannot exclude itself."
    required_by = set(project.required_by.values_list("pk", flat=True)) if project.pk else set()
    both = [p for p in excludes if p in requires or p.pk in required_by]
    if both:
        errors["excludes"] = (
            f"{project.code or 'This project'} cannot both require and exclude "
            f"{_codes(both)}: a project it needs, or one that needs it, cannot also rule it out."
        )
    if errors:
        raise ValidationError(errors)
    if project.pk and requires:
        edges = Project.requires.through.objects.filter(
            from_project__portfolio_id=project.portfolio_id
        ).values_list("from_project_id", "to_project_id")
        cycle = requires_cycle(
            project_id=project.pk, requires_ids={p.pk for p in requires}, edges=edges
        )
        if cycle:
            codes = dict(Project.objects.filter(pk__in=cycle).values_list("pk", "code"))
            path = " → ".join(codes[pk] for pk in cycle)
            raise ValidationError(
                {"requires": f"These links would make a “requires” cycle: {path}."}
            )


# Fields of a business case that only the portfolio's PMO and portfolio managers may set:
# whether the selection must take the project.
PORTFOLIO_MANAGER_FIELDS = ("is_mandatory",)


def _check_manager_fields(project: Project, data: dict, by) -> None:
    """Refuse a change to a portfolio manager's field by anyone else (a forged POST, an API
    call); sending the current value is not a change."""
    if access.can_manage_portfolio(by, project.portfolio_id):
        return
    if project.pk:
        current = Project.objects.filter(pk=project.pk).values(*PORTFOLIO_MANAGER_FIELDS).get()
    else:
        current = {name: Project._meta.get_field(name).default for name in PORTFOLIO_MANAGER_FIELDS}
    errors = {
        name: "Only the portfolio's PMO and portfolio managers may change this."
        for name in PORTFOLIO_MANAGER_FIELDS
        if name in data and data[name] != current[name]
    }
    if errors:
        raise ValidationError(errors)


def _links_with_hidden(project: Project, field: str, chosen: list[Project], by) -> list[Project]:
    """The links to save: the ones chosen among the projects `by` may see, and the project's
    current links to projects `by` may not see (kept as they are: he cannot judge them).
    Choosing a project `by` may not see is refused."""
    visible = Project.objects.visible_to(by)
    visible_ids = set(visible.filter(pk__in=[p.pk for p in chosen]).values_list("pk", flat=True))
    if any(p.pk not in visible_ids for p in chosen):
        raise ValidationError({field: "Choose among the projects you can open."})
    if not project.pk:
        return chosen
    hidden = getattr(project, field).exclude(pk__in=visible.values("pk"))
    return [*chosen, *hidden]


def _validate_candidate(project: Project) -> None:
    errors = {}
    if project.stage not in INTAKE_STAGES:
        errors["stage"] = "A proposal is an idea or a candidate; later stages pass a gate."
    for name in ("annual_benefit", "annual_cost", "expected_benefit"):
        value = getattr(project, name)
        if value is not None and value < 0:
            errors[name] = "Must not be negative."
    code_taken = (
        Project.objects.filter(portfolio_id=project.portfolio_id, code=project.code)
        .exclude(pk=project.pk)
        .exists()
    )
    if code_taken:
        errors["code"] = f"The code {project.code} is already used in this portfolio."
    if errors:
        raise ValidationError(errors)


def _first_of_month(day: date) -> date:
    return day.replace(day=1)


def _role_allocations(project: Project, role_requests: list[dict], by) -> list[Allocation]:
    """Requested allocations (role × months × FTE) for the project, validated row by row."""
    allocations, row_errors = [], {}
    dated = project.start_date and project.end_date and project.start_date <= project.end_date
    first = _first_of_month(project.start_date) if dated else None
    last = _first_of_month(project.end_date) if dated else None
    for index, request in enumerate(role_requests):
        allocation = Allocation(
            project=project,
            role=request.get("role"),
            start_month=request.get("start_month"),
            end_month=request.get("end_month"),
            unit=AllocationUnit.FTE,
            amount=request.get("fte"),
            status=AllocationStatus.REQUESTED,
            requested_by=by,
        )
        errors = {}
        try:
            allocation.full_clean(exclude=["project"])
        except ValidationError as error:
            errors = _row_errors(error)
        start, end = allocation.start_month, allocation.end_month
        if dated and start and end and not errors and (start < first or end > last):
            errors["start_month"] = [
                f"The months must fall within the project's dates ({first:%b %Y} – {last:%b %Y})."
            ]
        if errors:
            row_errors[index] = {
                "fte" if name == "amount" else name: messages for name, messages in errors.items()
            }
        allocations.append(allocation)
    if row_errors:
        raise SetValidationError("Some role requests need correcting.", row_errors=row_errors)
    return allocations


def _candidate_problems(
    project: Project,
    data: dict,
    requires: list[Project],
    excludes: list[Project],
    role_requests: list[dict] | None,
    by,
) -> tuple[dict, dict, list[Allocation], list[Project], list[Project]]:
    """Every problem of a business case at once: its fields' errors, each role request's row
    errors (when `role_requests` is not None), and the allocations and links to save."""
    errors: dict[str, list[str]] = {}
    links = {"requires": requires, "excludes": excludes}

    def run(check):
        try:
            return check()
        except ValidationError as error:
            for name, messages in _row_errors(error).items():
                errors.setdefault(name, []).extend(messages)
            return None

    run(lambda: _check_manager_fields(project, data, by))
    for name in CANDIDATE_FIELDS:
        if name in data:
            setattr(project, name, data[name])
    for field in ("requires", "excludes"):
        kept = run(lambda field=field: _links_with_hidden(project, field, links[field], by))
        if kept is not None:
            links[field] = kept
    run(lambda: _validate_candidate(project))
    run(lambda: _check_links(project, links["requires"], links["excludes"]))
    run(lambda: project.full_clean(exclude=["version", *errors]))
    row_errors, allocations = {}, []
    if role_requests is not None:
        try:
            allocations = _role_allocations(project, list(role_requests), by)
        except SetValidationError as error:
            row_errors = error.row_errors
    return errors, row_errors, allocations, links["requires"], links["excludes"]


def _refuse(errors: dict, row_errors: dict) -> None:
    if errors or row_errors:
        raise SetValidationError(
            errors or "Some role requests need correcting.", row_errors=row_errors
        )


def candidate_check(
    *,
    portfolio: Portfolio,
    code: str = "",
    data: dict,
    requires: Iterable[Project] = (),
    excludes: Iterable[Project] = (),
    role_requests: list[dict] | None = None,
    project: Project | None = None,
    by,
) -> None:
    """What candidate_propose (or, given the `project`, candidate_update) would refuse in
    this input, as one SetValidationError; writes nothing. The candidate pages call it when
    their forms already have errors of their own (input they could not parse), so that one
    submit shows every problem (docs/decisions.md, "i14-gates")."""
    if project is None:
        project = Project(portfolio=portfolio, code=(code or "").strip(), manager=by)
    else:
        project = copy.copy(project)
    errors, row_errors, *_ = _candidate_problems(
        project, data, list(requires), list(excludes), role_requests, by
    )
    _refuse(errors, row_errors)


@transaction.atomic
def candidate_propose(
    *,
    portfolio: Portfolio,
    code: str,
    data: dict,
    requires: Iterable[Project] = (),
    excludes: Iterable[Project] = (),
    role_requests: list[dict] = (),
    by,
) -> Project:
    """Propose a project (an idea or a candidate) with its business case; the proposer
    becomes its manager. `role_requests` rows (role, start_month, end_month, fte) become
    requested FTE allocations. A refusal is a SetValidationError carrying the business case's
    field errors and each role request's `row_errors` together."""
    access.require(
        access.can_propose(by, portfolio),
        "Only the portfolio's PMO, portfolio managers and project managers may propose.",
    )
    project = Project(portfolio=portfolio, code=(code or "").strip(), manager=by)
    errors, row_errors, allocations, requires, excludes = _candidate_problems(
        project, data, list(requires), list(excludes), list(role_requests), by
    )
    _refuse(errors, row_errors)
    project._history_user = by
    project.save()
    project.requires.set(requires)
    project.excludes.set(excludes)
    for allocation in allocations:
        allocation.project = project
        allocation.save()
    return project


@transaction.atomic
def candidate_update(
    *,
    project: Project,
    data: dict,
    requires: Iterable[Project],
    excludes: Iterable[Project],
    expected_version: int,
    by,
) -> Project:
    """Edit an idea's or candidate's business case and its "requires" / "excludes" links.
    A "requires" cycle is refused naming it; excludes are symmetric. Every problem is
    reported at once."""
    access.require(
        access.can_edit_project(by, project),
        "Only the project's manager, its portfolio's PMO or portfolio managers may change it.",
    )
    current_stage = Project.objects.values_list("stage", flat=True).get(pk=project.pk)
    if current_stage not in INTAKE_STAGES:
        raise ValidationError(
            "Only ideas and candidates are edited here; an approved project's plan is edited "
            "on its plan page."
        )
    errors, _, _, requires, excludes = _candidate_problems(
        project, data, list(requires), list(excludes), None, by
    )
    _refuse(errors, {})
    project._history_user = by
    save_versioned(project, expected_version=expected_version)
    project.requires.set(requires)
    project.excludes.set(excludes)
    return project


# --- Synergies ----------------------------------------------------------------------------------

SYNERGY_FIELDS = ("name", "reason", "value_bonus", "cost_saving")
# A synergy joins projects the selection may still fund or keeps funding.
SYNERGY_STAGES_REFUSED = (Stage.CLOSED, Stage.CANCELLED)


def _synergy_problems(synergy: Synergy, members: list[Project]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    foreign = [p for p in members if p.portfolio_id != synergy.portfolio_id]
    if foreign:
        add("members", f"{_codes(foreign)} belong to another portfolio.")
    if len({p.pk for p in members}) < 2:
        add("members", "Choose at least two projects: a synergy is between projects.")
    finished = [p for p in members if p.stage in SYNERGY_STAGES_REFUSED]
    if finished:
        add("members", f"{_codes(finished)} are closed or cancelled: no selection chooses them.")
    if not synergy.name:
        add("name", "Give the synergy a name.")
    elif (
        Synergy.objects.filter(portfolio_id=synergy.portfolio_id, name__iexact=synergy.name)
        .exclude(pk=synergy.pk)
        .exists()
    ):
        add("name", f"The portfolio already has a synergy named “{synergy.name}”.")
    if not synergy.reason:
        add("reason", "Say why these projects are worth more together.")
    for field in ("value_bonus", "cost_saving"):
        value = getattr(synergy, field)
        if value is None:
            setattr(synergy, field, Decimal("0"))
        elif value < 0:
            add(field, "Must not be negative.")
    amounts_given = not errors.get("value_bonus") and not errors.get("cost_saving")
    if amounts_given and not synergy.value_bonus and not synergy.cost_saving:
        add("value_bonus", "Give a value bonus, a cost saving, or both.")
    try:
        synergy.full_clean(exclude=["portfolio", *errors], validate_constraints=False)
    except ValidationError as error:
        for field, messages in _row_errors(error).items():
            errors.setdefault(field, []).extend(messages)
    return errors


@transaction.atomic
def synergy_save(
    *,
    portfolio: Portfolio,
    data: dict,
    members: Iterable[Project],
    by,
    synergy: Synergy | None = None,
) -> Synergy:
    """Create (`synergy` None) or change a synergy group of the portfolio: its name, reason,
    value bonus and cost saving (`data`) and its member projects, at least two, all of this
    portfolio and not closed or cancelled. Only the portfolio's PMO and portfolio managers.
    Every problem is reported at once, and nothing is written then."""
    _require_manager(by, portfolio, "its synergies")
    if synergy is None:
        synergy = Synergy(portfolio=portfolio, created_by=by)
    elif synergy.portfolio_id != portfolio.pk:
        raise ValidationError("This synergy belongs to another portfolio.")
    for field in SYNERGY_FIELDS:
        if field in data:
            setattr(synergy, field, data[field])
    synergy.name = (synergy.name or "").strip()
    synergy.reason = (synergy.reason or "").strip()
    members = list(members)
    errors = _synergy_problems(synergy, members)
    if errors:
        raise ValidationError(errors)
    synergy._history_user = by
    synergy.save()
    synergy.members.set(members)
    return synergy


@transaction.atomic
def synergy_delete(*, synergy: Synergy, by) -> None:
    _require_manager(by, synergy.portfolio_id, "its synergies")
    synergy._history_user = by
    synergy.delete()


# --- Stage gates ------------------------------------------------------------------------------


GATE_CRITERION_FIELDS = ("name", "description")
GATE_VALUES = tuple(value for value, _ in GATE_STAGES)
ASSESSMENT_FIELDS = ("status", "evidence", "evidence_link")


def assessment_field_name(criterion_id: int, field: str) -> str:
    """The form field of one criterion's status, evidence or link on the decision form (a
    refusal names it, so the error lands beside the criterion)."""
    return f"criterion_{criterion_id}_{field}"


@transaction.atomic
def gate_criteria_save(
    *, portfolio: Portfolio, gate: str, rows: list[dict], by, delete_ids: Iterable[int] = ()
) -> list[GateCriterion]:
    """Save the checklist of one gate of the portfolio as a set: rows of
    GATE_CRITERION_FIELDS plus `id` (None for a new criterion) and `position` (the order to
    show them in; ties keep the rows' order, and positions are stored as 1, 2, 3…);
    `delete_ids` removes criteria (decisions already taken keep their assessments, which
    copy the name). Names are unique within the gate, ignoring case."""
    _require_manager(by, portfolio, "gate criteria")
    if gate not in GATE_VALUES:
        raise ValidationError({"gate": "Choose one of the portfolio's gates."})
    existing = {
        c.pk: c
        for c in GateCriterion.objects.select_for_update().filter(portfolio=portfolio, gate=gate)
    }
    saved_names = {pk: c.name for pk, c in existing.items()}
    delete_ids = set(delete_ids)
    if delete_ids - set(existing):
        raise ValidationError("A criterion of another gate or portfolio was submitted.")
    kept, row_errors = [], {}
    for index, row in enumerate(rows):
        criterion = (
            existing.get(row.get("id"))
            if row.get("id")
            else GateCriterion(portfolio=portfolio, gate=gate)
        )
        if criterion is None:
            raise ValidationError("A criterion of another gate or portfolio was submitted.")
        if criterion.pk in delete_ids:
            continue
        for name in GATE_CRITERION_FIELDS:
            if name in row:
                setattr(criterion, name, (row[name] or "").strip())
        try:
            criterion.full_clean(exclude=["portfolio", "position"], validate_unique=False)
        except ValidationError as error:
            row_errors[index] = _row_errors(error)
        kept.append((index, row.get("position"), criterion))
    submitted = {c.pk for _, _, c in kept if c.pk} | delete_ids
    untouched = [c for pk, c in existing.items() if pk not in submitted]
    _check_unique_names(
        ((index, c.name) for index, _, c in kept), row_errors, kept=(c.name for c in untouched)
    )
    if row_errors:
        raise SetValidationError("Some gate criteria need correcting.", row_errors=row_errors)
    ordered = sorted(
        [(position if position is not None else 10_000, index, c) for index, position, c in kept]
        + [(c.position, 100_000 + c.position, c) for c in untouched],
        key=lambda item: (item[0], item[1]),
    )
    GateCriterion.objects.filter(portfolio=portfolio, gate=gate, pk__in=delete_ids).delete()
    # Names may swap between rows: clear the saved names first so that the unique constraint
    # only ever sees the final set.
    renamed = [c.pk for _, _, c in kept if c.pk and c.name != saved_names[c.pk]]
    if renamed:
        GateCriterion.objects.filter(pk__in=renamed).update(
            name=Concat(Value("~"), Cast("pk", output_field=CharField()))
        )
    saved = []
    for position, (_, _, criterion) in enumerate(ordered, start=1):
        criterion.position = position
        criterion._history_user = by
        criterion.save()
        saved.append(criterion)
    return saved


def _gate_assessments(
    criteria: list[GateCriterion], assessments: dict[int, dict]
) -> tuple[list[GateCriterionAssessment], dict[str, list[str]]]:
    """The assessment of each criterion of the gate (a criterion not assessed is not met),
    validated; errors keyed by assessment_field_name."""
    known = {c.pk for c in criteria}
    if set(assessments) - known:
        raise ValidationError("A criterion of another gate or portfolio was submitted.")
    rows, errors = [], {}
    for position, criterion in enumerate(criteria, start=1):
        given = assessments.get(criterion.pk) or {}
        assessment = GateCriterionAssessment(
            criterion=criterion,
            criterion_name=criterion.name,
            status=given.get("status") or CriterionStatus.NOT_MET,
            evidence=(given.get("evidence") or "").strip(),
            evidence_link=(given.get("evidence_link") or "").strip(),
            position=position,
        )
        try:
            assessment.full_clean(exclude=["decision", "criterion"])
        except ValidationError as error:
            for name, messages in _row_errors(error).items():
                key = (
                    assessment_field_name(criterion.pk, name)
                    if name in ASSESSMENT_FIELDS
                    else ("__all__")
                )
                errors.setdefault(key, []).extend(messages)
        rows.append(assessment)
    return rows, errors


def unmet_criteria_message(names: list[str]) -> str:
    listed = ", ".join(f"“{name}”" for name in names)
    count = len(names)
    return (
        f"{count} of the gate's criteria {'is' if count == 1 else 'are'} neither met nor waived "
        f"({listed}). A go needs an override reason; or mark {'it' if count == 1 else 'them'} "
        "met or waived, or choose another outcome."
    )


@transaction.atomic
def record_gate_decision(
    *,
    project: Project,
    to_stage: str,
    outcome: str,
    decided_on: date,
    rationale: str,
    conditions: str = "",
    by,
    expected_version: int | None = None,
    assessments: dict[int, dict] | None = None,
    override_reason: str = "",
) -> GateDecision:
    """Record a go / no-go / hold / recycle decision at the gate from the project's stage to
    `to_stage`, and move the project where the decision leaves it
    (strategy.gate_result_stage). The stage is written with a versioned save, so the edit
    history records who moved it; with `expected_version`, a project that changed since the
    decider opened the page is refused.

    `assessments` maps each criterion of the portfolio's checklist for the gate (its id) to
    {"status": met / not_met / waived, "evidence": note, "evidence_link": URL}; they are
    stored with the decision. A criterion left out is not met. A go while any criterion is
    not met (nor waived) needs `override_reason`, stored with the decision; without it the
    decision is refused and nothing is written."""
    access.require(
        access.can_decide_gate(by, project.portfolio_id),
        "Only the portfolio's PMO, portfolio managers and executives take gate decisions.",
    )
    current = Project.objects.select_for_update().get(pk=project.pk)
    if expected_version is not None and current.version != expected_version:
        raise ValidationError(
            f"{current.code} changed while you were deciding (it is now "
            f"{current.get_stage_display().lower()}); review it and decide again."
        )
    errors = {}
    if to_stage not in strategy.gate_targets(current.stage):
        allowed = ", ".join(Stage(s).label for s in strategy.gate_targets(current.stage))
        errors["to_stage"] = (
            f"From {current.get_stage_display().lower()} the gate leads to "
            f"{allowed.lower() or 'no further stage'}."
        )
    if outcome not in GateOutcome.values:
        errors["outcome"] = "Choose go, no-go, hold or recycle."
    if not (rationale or "").strip():
        errors["rationale"] = "Give the rationale for the decision."
    if decided_on is None:
        errors["decided_on"] = "Give the date of the decision."
    elif decided_on > timezone.localdate():
        errors["decided_on"] = "A decision cannot be dated in the future."
    criteria = (
        strategy.gate_checklist(portfolio_id=current.portfolio_id, gate=to_stage)
        if "to_stage" not in errors
        else []
    )
    rows, assessment_errors = _gate_assessments(criteria, assessments or {})
    errors.update(assessment_errors)
    unmet = [row.criterion_name for row in rows if row.status == CriterionStatus.NOT_MET]
    overridden = outcome == GateOutcome.GO and bool(unmet)
    override_reason = (override_reason or "").strip()
    if overridden and not override_reason:
        errors["override_reason"] = unmet_criteria_message(unmet)
    if errors:
        raise ValidationError(errors)
    decision = GateDecision(
        project=current,
        from_stage=current.stage,
        to_stage=to_stage,
        outcome=outcome,
        decided_by=by,
        decided_on=decided_on,
        rationale=rationale.strip(),
        conditions=(conditions or "").strip(),
        override_reason=override_reason if overridden else "",
    )
    decision.full_clean()
    decision.save()
    for row in rows:
        row.decision = decision
    GateCriterionAssessment.objects.bulk_create(rows)
    result = strategy.gate_result_stage(
        from_stage=current.stage, to_stage=to_stage, outcome=outcome
    )
    if result != current.stage:
        # The row is locked (select_for_update), so the version bump cannot race; saving the
        # instance (not a queryset update) lets django-simple-history record who moved it.
        current.stage = result
        current.version += 1
        current._history_user = by
        fields = ["stage", "version", "updated_at"]
        if current.start_is_fixed and (current.earliest_start or current.latest_start):
            # Approved (or past it): its start is decided, so its start window goes.
            current.earliest_start = current.latest_start = None
            project.earliest_start = project.latest_start = None
            fields += ["earliest_start", "latest_start"]
        current.save(update_fields=fields)
        project.stage, project.version = current.stage, current.version
    events.publish(
        events.GATE_DECIDED,
        {
            "project": project_ref(current),
            "decision": {
                "id": decision.pk,
                "from_stage": decision.from_stage,
                "to_stage": decision.to_stage,
                "outcome": decision.outcome,
                "decided_on": decision.decided_on,
                "decided_by": events.person_ref(by),
                "rationale": decision.rationale,
                "conditions": decision.conditions,
                "override_reason": decision.override_reason,
                "criteria": {
                    status: sum(row.status == status for row in rows)
                    for status in CriterionStatus.values
                },
            },
            "stage": current.stage,
        },
        portfolio_id=current.portfolio_id,
    )
    return decision


# --- Portfolios -------------------------------------------------------------------------------

PORTFOLIO_FIELDS = (
    "name",
    "description",
    "currency",
    "budget_envelope",
    "fiscal_year_start_month",
    "reporting_period",
)


def _require_pmo_admin(user) -> None:
    access.require(access.is_pmo_admin(user), "Only PMO admins may create or change portfolios.")


@transaction.atomic
def portfolio_create(*, code: str, data: dict, by) -> Portfolio:
    """A new portfolio (PMO admins only, as in the admin site)."""
    _require_pmo_admin(by)
    portfolio = Portfolio(code=(code or "").strip())
    for name in PORTFOLIO_FIELDS:
        if name in data:
            setattr(portfolio, name, data[name])
    portfolio.full_clean()
    portfolio.save()
    return portfolio


@transaction.atomic
def portfolio_update(*, portfolio: Portfolio, data: dict, by) -> Portfolio:
    """Change a portfolio's name, description, currency, envelope, fiscal year or reporting
    period (PMO admins only)."""
    _require_pmo_admin(by)
    portfolio = Portfolio.objects.select_for_update().get(pk=portfolio.pk)
    for name in PORTFOLIO_FIELDS:
        if name in data:
            setattr(portfolio, name, data[name])
    portfolio.full_clean()
    portfolio.save()
    return portfolio
