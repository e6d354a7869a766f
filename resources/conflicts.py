"""Resolving capacity conflicts: the options the conflict page offers, each one
transaction that checks who may decide, requires a reason, records a `ConflictResolution` and
stamps the allocation with who decided, when and why.

- Shift: the lower-priority project's allocation moves N months later from the conflict month
  on. An allocation that started before that month keeps its earlier months (they are the
  past, or already agreed) and the rest moves, leaving an N-month gap; one that starts in or
  after the conflict month moves whole. Milestones do not move: the page shows which ones
  would, for the project manager to re-plan.
- Release: take hours from the allocation in the conflict month (it is split around that
  month, the month itself becoming an hours allocation), or reject the allocation outright.
- Reassign: hand the allocation's months from the conflict month on to another person of the
  same role who has those hours free in every one of them (earlier months stay, as for a
  shift).

All refuse, and change nothing, when the month is no longer over-allocated (the conflict was
resolved meanwhile, or the same form was posted twice).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_FLOOR, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import access
from core.months import add_months
from resources import capacity as formulas
from resources import selectors
from resources.models import (
    Allocation,
    AllocationStatus,
    AllocationUnit,
    ConflictAction,
    ConflictResolution,
    Resource,
)

MAX_SHIFT_MONTHS = 24
CENT = Decimal("0.01")


def _locked(allocation: Allocation, month: date) -> Allocation:
    """The allocation, re-read under a row lock, if it still competes in `month`."""
    locked = (
        Allocation.objects.select_for_update(of=("self",))
        .select_related("project__portfolio", "role", "resource")
        .get(pk=allocation.pk)
    )
    if locked.status != AllocationStatus.CONFIRMED:
        raise ValidationError("Only a confirmed allocation can yield; this one is not.")
    if not locked.start_month <= month <= locked.end_month:
        raise ValidationError(f"This allocation no longer covers {month:%B %Y}.")
    return locked


def _check(*, allocation: Allocation, month: date, by, reason: str) -> tuple[Allocation, str]:
    access.require(
        access.can_manage_resources(by, allocation.project.portfolio),
        "Only the portfolio's resource managers and the PMO may resolve capacity conflicts.",
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why, for the record."})
    if month.day != 1:
        raise ValidationError("The conflict month must be the first day of a month.")
    locked = _locked(allocation, month)
    if not selectors.over_allocation_in_month(allocation=locked, month=month):
        raise ValidationError(
            f"{locked.role} is no longer over-allocated in {month:%B %Y}; nothing was changed."
        )
    return locked, reason


def _decide(allocation: Allocation, *, by, at, note: str) -> None:
    allocation.decided_by = by
    allocation.decided_at = at
    allocation.decision_reason = note
    allocation._history_user = by


def _save(*allocations: Allocation) -> None:
    for allocation in allocations:
        allocation.full_clean()
        allocation.save()


def _copy(allocation: Allocation, **changes) -> Allocation:
    fields = {
        field.attname: getattr(allocation, field.attname)
        for field in Allocation._meta.concrete_fields
        if not field.primary_key
    }
    return Allocation(**{**fields, **changes})


def _record(*, allocation: Allocation, month: date, action: str, by, at, reason, **extra):
    extra.setdefault("person", allocation.resource.name if allocation.resource_id else "")
    resolution = ConflictResolution(
        role=allocation.role,
        month=month,
        project=allocation.project,
        allocation=allocation,
        action=action,
        decided_by=by,
        decided_at=at,
        reason=reason,
        **extra,
    )
    resolution.full_clean()
    resolution.save()
    return resolution


@transaction.atomic
def conflict_shift_allocation(
    *, allocation: Allocation, months: int, from_month: date, by, reason: str
) -> ConflictResolution:
    """Move the allocation's months from `from_month` (the conflict month) on `months` later."""
    locked, reason = _check(allocation=allocation, month=from_month, by=by, reason=reason)
    if not 1 <= months <= MAX_SHIFT_MONTHS:
        raise ValidationError(f"Shift by 1 to {MAX_SHIFT_MONTHS} months.")
    now = timezone.now()
    note = (
        f"Shifted {months} month{'s' if months != 1 else ''} later from {from_month:%b %Y} "
        f"to resolve the {locked.role} over-allocation: {reason}"
    )
    new_end = add_months(locked.end_month, months)
    if locked.start_month < from_month:
        moved = _copy(locked, start_month=add_months(from_month, months), end_month=new_end)
        locked.end_month = add_months(from_month, -1)
        _decide(locked, by=by, at=now, note=note)
        _decide(moved, by=by, at=now, note=note)
        _save(locked, moved)
    else:
        locked.start_month = add_months(locked.start_month, months)
        locked.end_month = new_end
        _decide(locked, by=by, at=now, note=note)
        _save(locked)
    return _record(
        allocation=locked,
        month=from_month,
        action=ConflictAction.SHIFT,
        by=by,
        at=now,
        reason=reason,
        months_shifted=months,
    )


@transaction.atomic
def conflict_release_allocation(
    *, allocation: Allocation, hours_or_none: Decimal | None, month: date, by, reason: str
) -> ConflictResolution:
    """Take `hours_or_none` hours from the allocation in `month`, or (None) reject it."""
    locked, reason = _check(allocation=allocation, month=month, by=by, reason=reason)
    now = timezone.now()
    if hours_or_none is None:
        locked.status = AllocationStatus.REJECTED
        _decide(
            locked,
            by=by,
            at=now,
            note=f"Rejected to resolve the {locked.role} over-allocation in "
            f"{month:%b %Y}: {reason}",
        )
        _save(locked)
        return _record(
            allocation=locked,
            month=month,
            action=ConflictAction.REJECT,
            by=by,
            at=now,
            reason=reason,
        )

    if hours_or_none <= 0:
        raise ValidationError({"hours": "Release a positive number of hours."})
    month_hours = selectors.allocation_hours_in_month(allocation=locked, month=month)
    released = min(hours_or_none, month_hours)
    # Whole cents, rounded down, so what is left never exceeds what the page promised.
    left = max(month_hours - released, formulas.ZERO).quantize(CENT, rounding=ROUND_FLOOR)
    note = (
        f"{released:.2f} h released in {month:%b %Y} to resolve the {locked.role} "
        f"over-allocation: {reason}"
    )
    pieces = []
    if locked.start_month < month:
        pieces.append({"start_month": locked.start_month, "end_month": add_months(month, -1)})
    if left > 0:
        pieces.append(
            {"start_month": month, "end_month": month, "unit": AllocationUnit.HOURS, "amount": left}
        )
    if locked.end_month > month:
        pieces.append({"start_month": add_months(month, 1), "end_month": locked.end_month})
    if not pieces:  # a one-month allocation released in full
        locked.status = AllocationStatus.REJECTED
        _decide(locked, by=by, at=now, note=note)
        _save(locked)
    else:
        first, *rest = pieces
        copies = [_copy(locked, **piece) for piece in rest]
        for field, value in first.items():
            setattr(locked, field, value)
        for row in (locked, *copies):
            _decide(row, by=by, at=now, note=note)
        _save(locked, *copies)
    return _record(
        allocation=locked,
        month=month,
        action=ConflictAction.REDUCE,
        by=by,
        at=now,
        reason=reason,
        hours_released=released.quantize(CENT),
    )


def _hours(value: Decimal) -> str:
    return f"{value.normalize():f}"


@transaction.atomic
def conflict_reassign_allocation(
    *, allocation: Allocation, to_person: Resource, month: date, by, reason: str
) -> ConflictResolution:
    """Hand the allocation's months from `month` (the conflict month) on to `to_person`, who
    must hold its role and have its hours free (capacity − confirmed demand, FTE on their
    calendar) in every one of those months, checked again here under a lock on them."""
    locked, reason = _check(allocation=allocation, month=month, by=by, reason=reason)
    to_person = (
        Resource.objects.select_for_update(of=("self",)).select_related("role").get(pk=to_person.pk)
    )
    if to_person.pk == locked.resource_id:
        raise ValidationError({"person": f"{to_person.name} already holds this allocation."})
    if to_person.role_id != locked.role_id:
        raise ValidationError(
            {"person": f"{to_person.name} holds the role {to_person.role}, not {locked.role}."}
        )
    candidate = selectors.reassignment_check(
        allocation=locked, to_person=to_person, from_month=month
    )
    if not candidate.fits:
        short = ", ".join(
            f"{moved:%b %Y} ({_hours(free)} h free, {_hours(needed)} h needed)"
            for moved, free, needed in candidate.short_months
        )
        raise ValidationError(
            {"person": f"{to_person.name} does not have the hours free in {short}."}
        )
    now = timezone.now()
    previous = locked.resource.name if locked.resource_id else ""
    note = (
        f"Reassigned from {previous or f'any {locked.role}'} to {to_person.name} from "
        f"{month:%b %Y} to resolve the over-allocation: {reason}"
    )
    if locked.start_month < month:
        moved = _copy(locked, start_month=month)
        locked.end_month = add_months(month, -1)
        _decide(locked, by=by, at=now, note=note)
        _save(locked)
    else:
        moved = locked
    moved.resource = to_person
    _decide(moved, by=by, at=now, note=note)
    _save(moved)
    return _record(
        allocation=moved,
        month=month,
        action=ConflictAction.REASSIGN,
        by=by,
        at=now,
        reason=reason,
        person=previous,
        reassigned_to=to_person.name,
    )
