"""Writes on people, roles, capacity adjustments and allocations. Each is one
transaction, checks the caller's right to do it (so views and API share the rule), and
validates with field messages before `full_clean()` and the database constraints.

Who may do what (core/access.py):
- resource managers (a PMO admin, or a `pmo` / `resource_manager` member of any portfolio)
  keep people, roles and capacity adjustments: people are organisation-wide;
- a project's editors (its manager, its portfolio's PMO and portfolio managers) request
  allocations for it and may withdraw a request nobody has decided yet;
- the resource managers of the project's portfolio, and PMO admins, confirm (possibly
  changed) or reject a request, with a reason when they change or reject it, over-allocate
  only on purpose (an override with a reason), and undo a confirmation (with a reason).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from core import access, events
from core.months import add_months, month_end, month_start, months_between
from core.people import person_name
from projects.events import project_ref, rounded_index
from projects.querysets import Stage
from resources.models import (
    Allocation,
    AllocationStatus,
    AllocationUnit,
    CapacityAdjustment,
    Resource,
    Role,
)
from resources.plan_allocations import PlanRoleRequest
from resources.selectors import CONFIRMABLE_FIELDS, confirmation_preview, person_capacity_grid

RESOURCE_FIELDS = (
    "name",
    "email",
    "role",
    "fte",
    "cost_rate",
    "calendar",
    "start_date",
    "end_date",
)
ADJUSTMENT_FIELDS = ("kind", "start_date", "end_date", "hours_per_day", "note")
ROLE_FIELDS = ("name", "description", "default_cost_rate")
REQUEST_FIELDS = ("role", "resource", "start_month", "end_month", "unit", "amount")
CHANGEABLE_FIELDS = CONFIRMABLE_FIELDS
CLOSED_STAGES = (Stage.CLOSED, Stage.CANCELLED)
# A confirmation's over-allocation warning looks at most this many months ahead.
WARNING_MONTHS = 36


def _apply(instance, data: dict, fields):
    for field in fields:
        if field in data:
            setattr(instance, field, data[field])


def _require_resource_manager(user, portfolio=None):
    access.require(
        access.can_manage_resources(user, portfolio),
        "Only resource managers and the PMO may do this."
        if portfolio is None
        else "Only the resource managers of this portfolio and the PMO may decide allocations.",
    )


def _require_project_editor(user, project):
    access.require(
        access.can_edit_project(user, project),
        "Only the project's manager, its portfolio's PMO or portfolio managers may request "
        "or withdraw its allocations.",
    )


def _negative(value, what: str) -> str | None:
    return f"{what} must not be negative." if value is not None and value < 0 else None


def _before_start(start: date | None, end: date | None, what: str) -> str | None:
    if start and end and end < start:
        return f"The {what} must not be before the start ({date_format(start, 'j M Y')})."
    return None


def _clean(instance, problems: dict[str, str | None]):
    """Raise every problem at once: the service's own messages, then `full_clean()` (field
    checks, the model's clean and constraints) on the fields those messages left alone."""
    errors = {field: [message] for field, message in problems.items() if message}
    try:
        instance.full_clean(exclude=list(errors))
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


# People ---------------------------------------------------------------------------------------


def _validate_resource(resource: Resource):
    fte_ok = resource.fte is None or 0 < resource.fte <= 1
    _clean(
        resource,
        {
            "fte": None if fte_ok else "FTE must be more than 0 and at most 1 (1 = full time).",
            "cost_rate": _negative(resource.cost_rate, "The cost rate"),
            "end_date": _before_start(resource.start_date, resource.end_date, "end date"),
        },
    )


def _save_resource(resource: Resource, data: dict) -> Resource:
    _validate_resource(resource)
    resource.save()
    if "skills" in data:
        resource.skills.set(data["skills"])
    return resource


@transaction.atomic
def resource_create(*, data: dict, by) -> Resource:
    _require_resource_manager(by)
    resource = Resource()
    _apply(resource, data, RESOURCE_FIELDS)
    return _save_resource(resource, data)


@transaction.atomic
def resource_update(*, resource: Resource, data: dict, by) -> Resource:
    _require_resource_manager(by)
    new_role = data.get("role")
    if new_role is not None and new_role.pk != resource.role_id:
        # An allocation names a role and the person holding it; moving the person to
        # another role would leave their open allocations naming the wrong one.
        open_allocations = resource.allocations.exclude(status=AllocationStatus.REJECTED).count()
        if open_allocations:
            raise ValidationError(
                {
                    "role": f"{resource.name} has {open_allocations} requested or confirmed "
                    f"allocation{'s' if open_allocations != 1 else ''} as "
                    f"{resource.role}; reassign or withdraw them before changing the role."
                }
            )
    _apply(resource, data, RESOURCE_FIELDS)
    return _save_resource(resource, data)


# Capacity adjustments -------------------------------------------------------------------------


@transaction.atomic
def capacity_adjustment_create(*, resource: Resource, data: dict, by) -> CapacityAdjustment:
    _require_resource_manager(by)
    adjustment = CapacityAdjustment(resource=resource)
    _apply(adjustment, data, ADJUSTMENT_FIELDS)
    hours, hours_problem = adjustment.hours_per_day, None
    day_hours = resource.calendar.hours_per_day if resource.calendar else Decimal("8")
    if hours is not None and not (0 < hours <= day_hours):
        hours_problem = (
            f"Give more than 0 and at most {day_hours:g} hours (a working day on this "
            "person's calendar), or leave it blank for whole days."
        )
    _clean(
        adjustment,
        {
            "end_date": _before_start(adjustment.start_date, adjustment.end_date, "last day"),
            "hours_per_day": hours_problem,
        },
    )
    adjustment.save()
    return adjustment


@transaction.atomic
def capacity_adjustment_delete(*, adjustment: CapacityAdjustment, by) -> None:
    _require_resource_manager(by)
    adjustment.delete()


# Roles ----------------------------------------------------------------------------------------


def _save_role(role: Role, data: dict) -> Role:
    _apply(role, data, ROLE_FIELDS)
    _clean(role, {"default_cost_rate": _negative(role.default_cost_rate, "The default cost rate")})
    role.save()
    return role


@transaction.atomic
def role_create(*, data: dict, by) -> Role:
    _require_resource_manager(by)
    return _save_role(Role(), data)


@transaction.atomic
def role_update(*, role: Role, data: dict, by) -> Role:
    _require_resource_manager(by)
    return _save_role(role, data)


# Allocations ----------------------------------------------------------------------------------


def _validate_allocation(allocation: Allocation, problems: dict[str, str] | None = None):
    """Field messages first (with the caller's `problems`), then the model's own checks and
    constraints."""
    project = allocation.project
    if project.stage in CLOSED_STAGES:
        raise ValidationError(
            f"{project.code} is {project.get_stage_display().lower()}: "
            "it takes no new or changed allocations."
        )
    errors = dict(problems or {})
    months_given = allocation.start_month and allocation.end_month
    if months_given and allocation.end_month < allocation.start_month:
        errors["end_month"] = "The last month must not be before the first month."
    if allocation.amount is not None:
        if allocation.amount <= 0:
            errors["amount"] = "The amount must be more than 0."
        elif allocation.unit == AllocationUnit.FTE and allocation.amount > 1:
            errors["amount"] = (
                "An FTE allocation is at most 1 (one person full time); "
                "ask for more in hours per month, or make several requests."
            )
    person = allocation.resource if allocation.resource_id else None
    if person and allocation.role_id and person.role_id != allocation.role_id:
        errors["resource"] = f"{person.name} holds the role {person.role}, not {allocation.role}."
    if errors:
        raise ValidationError(errors)
    allocation.full_clean()


def _month(day: date) -> str:
    return date_format(day, "M Y")


def _utilisation(cell) -> str:
    return "no capacity" if cell.utilisation is None else f"{cell.utilisation:.0f} %"


def _months_over(over) -> str:
    """ "Mar 2027 (110 %)", or for many months "11 months, Jun 2026 – Apr 2027, up to 234 %
    in Dec 2026" so the message stays one line."""
    if len(over) <= 3:
        return ", ".join(f"{_month(month)} ({_utilisation(cell)})" for month, cell in over)
    peak_month, peak = max(over, key=lambda pair: pair[1].utilisation or Decimal("Infinity"))
    return (
        f"{len(over)} months, {_month(over[0][0])} – {_month(over[-1][0])}, up to "
        f"{_utilisation(peak)} in {_month(peak_month)}"
    )


def allocation_warnings(allocation: Allocation) -> list[str]:
    """What a request or decision should draw attention to without refusing it: a named
    person not active for all of its months; once confirmed, months in which the person is
    over-allocated (confirmed demand strictly above capacity: docs/formulas.md, "Capacity,
    demand, utilisation")."""
    person = allocation.resource
    if person is None:
        return []
    warnings = []
    first, last = allocation.start_month, month_end(allocation.end_month)
    if person.start_date > first:
        warnings.append(
            f"{person.name} starts on {date_format(person.start_date, 'j M Y')}, after the "
            f"start of {_month(allocation.start_month)}."
        )
    if person.end_date and person.end_date < last:
        warnings.append(
            f"{person.name} leaves on {date_format(person.end_date, 'j M Y')}, before the end "
            f"of {_month(allocation.end_month)}."
        )
    if allocation.status == AllocationStatus.CONFIRMED:
        months = len(months_between(allocation.start_month, allocation.end_month))
        grid = person_capacity_grid(
            role=person.role,
            first_month=allocation.start_month,
            month_count=min(months, WARNING_MONTHS),
        )
        row = next((row for row in grid.rows if row.key == person.pk), None)
        over = [
            (month, cell)
            for month, cell in zip(grid.months, row.cells if row else [], strict=False)
            if cell.is_conflict
        ]
        if over:
            warnings.append(f"{person.name} is now over-allocated in {_months_over(over)}.")
    return warnings


@transaction.atomic
def allocation_request(*, project, data: dict, by) -> Allocation:
    """A project editor asks for a role, optionally a named person of it, over a month
    range, in FTE or hours per month."""
    _require_project_editor(by, project)
    allocation = Allocation(project=project, requested_by=by, status=AllocationStatus.REQUESTED)
    _apply(allocation, data, REQUEST_FIELDS)
    _validate_allocation(allocation)
    allocation.save()
    return allocation


@transaction.atomic
def allocations_request_from_plan(
    *, project, requests: list[PlanRoleRequest], roles: dict[str, Role | None], by
) -> list[Allocation]:
    """Request an allocation of the role the user mapped to each of a plan's people (`roles`:
    plan resource id → role, None for "do not request"). A request made for the same plan
    resource before is updated while nobody has decided it; a decided one stays as it is.
    Every problem is reported, by the resource's name, and then nothing is saved."""
    _require_project_editor(by, project)
    saved, errors = [], {}
    for request in requests:
        role = roles.get(request.resource.uid)
        if role is None or request.is_decided:
            continue
        allocation = request.existing or Allocation(
            project=project,
            requested_by=by,
            status=AllocationStatus.REQUESTED,
            external_id=request.key,
        )
        allocation.project = project
        allocation.role, allocation.resource = role, None
        allocation.start_month, allocation.end_month = request.first_month, request.last_month
        allocation.unit, allocation.amount = request.unit, request.amount
        try:
            _validate_allocation(allocation)
        except ValidationError as error:
            errors[request.resource.name or request.resource.uid] = error.messages
            continue
        allocation._history_user = by
        allocation.save()
        saved.append(allocation)
    if errors:
        raise ValidationError(
            [f"{name}: {message}" for name, messages in errors.items() for message in messages]
        )
    return saved


@transaction.atomic
def allocations_move(*, project, months: int, by) -> list[Allocation]:
    """Move the project's requested and confirmed allocations by whole `months`, with its
    start (a committed scenario's start month). A confirmed one goes back to requested: its
    person was confirmed for the old months, so the resource manager confirms it again."""
    _require_project_editor(by, project)
    if not months:
        return []
    moved = []
    for allocation in (
        Allocation.objects.select_for_update(of=("self",))
        .filter(project=project)
        .exclude(status=AllocationStatus.REJECTED)
        .select_related("project", "resource", "role")
        .order_by("pk")
    ):
        allocation.start_month = add_months(allocation.start_month, months)
        allocation.end_month = add_months(allocation.end_month, months)
        if allocation.status == AllocationStatus.CONFIRMED:
            allocation.status = AllocationStatus.REQUESTED
            allocation.decided_by, allocation.decided_at = None, None
            allocation.override_reason = ""
        _validate_allocation(allocation)
        allocation._history_user = by
        allocation.save()
        moved.append(allocation)
    return moved


_name = person_name


def _lock_pending(allocation: Allocation) -> Allocation:
    """Lock the row and make sure nobody decided or withdrew it in the meantime (two
    resource managers deciding the same request: the second one is told, not obeyed)."""
    current = (
        Allocation.objects.select_for_update(of=("self",))
        .select_related("decided_by")
        .filter(pk=allocation.pk)
        .first()
    )
    if current is None:
        raise ValidationError("This request was withdrawn in the meantime.")
    if current.status != AllocationStatus.REQUESTED:
        who = _name(current.decided_by) if current.decided_by else "someone"
        raise ValidationError(
            f"This request was already {current.get_status_display().lower()} by {who}."
        )
    return current


def _decide(allocation: Allocation, *, status: str, by, reason: str):
    allocation.status = status
    allocation.decided_by = by
    allocation.decided_at = timezone.now()
    allocation.decision_reason = reason
    allocation._history_user = by


def _month_span(first: date, last: date) -> str:
    return _month(first) if first == last else f"{_month(first)} – {_month(last)}"


def _over_message(preview) -> str:
    """ "Confirming puts Elena Kowalski over capacity in …": the months and resulting %."""
    over = [(month.month, month) for month in preview.over]
    return (
        f"Confirming puts {preview.label} over capacity in {_months_over(over)}. Tick "
        "“Over-allocate anyway” and say why, or change the request."
    )


def _lock_capacity_holder(allocation: Allocation):
    """Lock the person (else the role) whose capacity the decision uses, so two decisions
    for the same person cannot both pass the over-allocation check on the same numbers."""
    if allocation.resource_id:
        Resource.objects.select_for_update().filter(pk=allocation.resource_id).first()
    else:
        Role.objects.select_for_update().filter(pk=allocation.role_id).first()


@transaction.atomic
def allocation_confirm(
    *,
    allocation: Allocation,
    by,
    reason: str = "",
    changes: dict | None = None,
    override: bool = False,
    override_reason: str = "",
    today: date | None = None,
) -> Allocation:
    """Confirm a request as asked, or with `changes` (person, first and last month, amount);
    a change needs a reason, which the requester sees.

    A confirmation promises months from this month on: months of the request that have passed
    are left out (the allocation starts this month, and the note says so), and a request
    wholly in the past cannot be confirmed. If the result puts the named person (else the
    role) over capacity in any month, it is refused unless `override` with a reason, which is
    recorded on the allocation (docs/formulas.md, "Capacity, demand, utilisation")."""
    _require_resource_manager(by, allocation.project.portfolio_id)
    _lock_pending(allocation)
    today = today or timezone.localdate()
    reason = (reason or "").strip()
    override_reason = (override_reason or "").strip()
    changed = [
        field
        for field in CHANGEABLE_FIELDS
        if field in (changes or {}) and changes[field] != getattr(allocation, field)
    ]
    problems = {}
    if changed and not reason:
        problems["reason"] = "Say why you changed the request: the requester sees it."
    _apply(allocation, changes or {}, changed)
    _validate_allocation(allocation, problems)
    _lock_capacity_holder(allocation)
    preview = confirmation_preview(allocation=allocation, today=today)
    if not preview.months:
        raise ValidationError(
            {
                "start_month" if changes else NON_FIELD_ERRORS: (
                    f"All of its months ({_month_span(preview.passed_from, preview.passed_to)}) "
                    f"have passed: confirm months from {_month(month_start(today))} on, "
                    "or reject it."
                )
            }
        )
    if preview.over and not override:
        raise ValidationError({"override": _over_message(preview)})
    if preview.over and not override_reason:
        raise ValidationError(
            {"override_reason": f"Say why you over-allocate {preview.label}: it is recorded."}
        )
    notes = [reason] if reason else []
    if preview.passed_from:
        allocation.start_month = preview.first_month
        notes.insert(
            0,
            f"Confirmed from {_month(preview.first_month)}: "
            f"{_month_span(preview.passed_from, preview.passed_to)} had passed.",
        )
    _decide(allocation, status=AllocationStatus.CONFIRMED, by=by, reason=" ".join(notes))
    allocation.override_reason = override_reason if preview.over else ""
    allocation.save()
    if preview.over:
        _announce_conflict(allocation, preview, by)
    return allocation


def _announce_conflict(allocation: Allocation, preview, by) -> None:
    """A confirmation on purpose over capacity: the only way a confirmed allocation makes a
    conflict (requests never count, and a plain confirmation over capacity is refused)."""
    project = allocation.project
    events.publish(
        events.ALLOCATION_CONFLICT,
        {
            "project": project_ref(project),
            "allocation": {
                "id": allocation.pk,
                "resource": allocation.resource.name if allocation.resource_id else None,
                "role": allocation.role.name if allocation.role_id else None,
                "start_month": allocation.start_month,
                "end_month": allocation.end_month,
                "unit": allocation.unit,
                "amount": allocation.amount,
            },
            "over_capacity": preview.label,
            "for_person": preview.for_person,
            "months": [
                {
                    "month": month.month,
                    "capacity_hours": month.capacity,
                    "demand_hours": month.resulting,
                    "utilisation": rounded_index(month.utilisation),
                }
                for month in preview.over
            ],
            "override_reason": allocation.override_reason,
            "confirmed_by": events.person_ref(by),
        },
        portfolio_id=project.portfolio_id,
    )


@transaction.atomic
def allocation_undo_confirmation(
    *, allocation: Allocation, by, reason: str, today: date | None = None
) -> Allocation:
    """Take a confirmation back: the allocation is a request again, waiting in the queue,
    with who undid it, when and why (the confirmation stays in its history). As a
    confirmation only promises months from this month on, undoing it leaves months that have
    passed confirmed: those are split off and stay as they were. Returns the request."""
    _require_resource_manager(by, allocation.project.portfolio_id)
    current = (
        Allocation.objects.select_for_update(of=("self",))
        .select_related("project", "role", "resource")
        .filter(pk=allocation.pk)
        .first()
    )
    if current is None or current.status != AllocationStatus.CONFIRMED:
        raise ValidationError("This allocation is not confirmed (any more): nothing to undo.")
    project = current.project
    if project.stage in CLOSED_STAGES:
        raise ValidationError(
            f"{project.code} is {project.get_stage_display().lower()}: "
            "its allocations are no longer changed."
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why you undo the confirmation: it is recorded."})
    this_month = month_start(today or timezone.localdate())
    if current.end_month < this_month:
        raise ValidationError(
            f"All of its months ({_month_span(current.start_month, current.end_month)}) have "
            "passed: there is nothing left to undo."
        )
    request = current
    if current.start_month < this_month:
        request = Allocation(
            **{
                field.attname: getattr(current, field.attname)
                for field in Allocation._meta.concrete_fields
                if not field.primary_key
            }
        )
        request.start_month = this_month
        current.end_month = add_months(this_month, -1)
        current._history_user = by
        current.full_clean()
        current.save()
    _decide(
        request,
        status=AllocationStatus.REQUESTED,
        by=by,
        reason=f"Confirmation undone by {_name(by)}: {reason}",
    )
    request.override_reason = ""
    request.full_clean()
    request.save()
    return request


@transaction.atomic
def allocation_reject(*, allocation: Allocation, by, reason: str) -> Allocation:
    _require_resource_manager(by, allocation.project.portfolio_id)
    _lock_pending(allocation)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why you reject the request: the requester sees it."})
    _decide(allocation, status=AllocationStatus.REJECTED, by=by, reason=reason)
    allocation.full_clean()
    allocation.save()
    return allocation


@transaction.atomic
def allocation_withdraw(*, allocation: Allocation, by) -> None:
    """The project's editors take back a request nobody has decided yet (it is deleted: a
    decided one stays, with its decision)."""
    _require_project_editor(by, allocation.project)
    _lock_pending(allocation)
    allocation.delete()
