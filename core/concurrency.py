"""Optimistic concurrency for records people edit in forms (projects, milestones, status
reports, risks): each carries a `version`; a save claims the version it was read at with a
conditional UPDATE, so of two people editing the same record the second is refused with what
the first one changed, and nothing is silently overwritten."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import models, transaction
from django.db.models import F


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: object
    after: object


class ConcurrentEditError(Exception):
    def __init__(self, *, current, changes: list[FieldChange], changed_by=None, changed_at=None):
        self.current = current
        self.changes = changes
        self.changed_by = changed_by
        self.changed_at: datetime | None = changed_at
        who = changed_by or "someone else"
        fields = ", ".join(change.label for change in changes) or "this record"
        super().__init__(
            f"{who} saved a newer version while you were editing ({fields} changed). "
            "Your changes were not saved: review theirs below and apply yours again."
        )


def _changes_since(current, base_version: int):
    """What changed between the version the editor started from and the current row,
    read from the model's simple-history records when it has them."""
    history = getattr(current, "history", None)
    if history is None:
        return [], None, None
    latest = history.order_by("-history_date", "-history_id").first()
    base = history.filter(version=base_version).order_by("-history_date", "-history_id").first()
    if latest is None or base is None:
        return [], getattr(latest, "history_user", None), getattr(latest, "history_date", None)
    delta = latest.diff_against(base, excluded_fields=["version", "updated_at"])
    changes = [
        FieldChange(
            field=change.field,
            label=str(current._meta.get_field(change.field).verbose_name),
            before=change.old,
            after=change.new,
        )
        for change in delta.changes
    ]
    return changes, latest.history_user, latest.history_date


def changes_since(current, base_version: int):
    """(changes, changed_by, changed_at) between `base_version` and the row as it is now."""
    return _changes_since(current, base_version)


def save_versioned(instance: models.Model, *, expected_version: int) -> None:
    """Validate and save `instance` if its row is still at `expected_version`; bump it.

    The conditional UPDATE takes the row lock, so a concurrent editor blocks until this
    transaction ends and then finds the version moved on."""
    model = type(instance)
    with transaction.atomic():
        claimed = model.objects.filter(pk=instance.pk, version=expected_version).update(
            version=F("version") + 1
        )
        if not claimed:
            current = model.objects.get(pk=instance.pk)
            changes, changed_by, changed_at = _changes_since(current, expected_version)
            raise ConcurrentEditError(
                current=current, changes=changes, changed_by=changed_by, changed_at=changed_at
            )
        instance.version = expected_version + 1
        instance.full_clean()
        instance.save()
