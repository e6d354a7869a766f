"""A tiny in-process event bus: domain services announce what happened in a portfolio, and
whoever listens (the `webhooks` app, above every domain app) reacts, without the domain apps
importing it.

`publish` calls each listener at once, inside the caller's transaction, so what a listener
writes (the webhooks app's delivery rows) commits or rolls back with the business write that
caused it; listeners defer anything that leaves the database (HTTP, Celery) with
`transaction.on_commit`, so a rolled-back write sends nothing. A listener that fails is
logged and undone (a savepoint) without undoing the business write.

Payloads are plain dicts of JSON-able values (dates, decimals and UUIDs are encoded by the
listener); the catalogue of event names below is the one the webhooks pages and docs offer.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.people import person_name

logger = logging.getLogger(__name__)

STATUS_REPORT_SUBMITTED = "status_report.submitted"
HEALTH_CHANGED = "project.health_changed"
WATERMELON_FLAGGED = "project.watermelon_flagged"
GATE_DECIDED = "gate.decided"
SCENARIO_COMMITTED = "scenario.committed"
REVIEW_COMPLETED = "review.completed"
ALLOCATION_CONFLICT = "allocation.conflict"

# name -> what a person reads on the subscription form
EVENTS = {
    STATUS_REPORT_SUBMITTED: "Status report submitted",
    HEALTH_CHANGED: "Computed health changed",
    WATERMELON_FLAGGED: "Watermelon flagged",
    GATE_DECIDED: "Gate decided",
    SCENARIO_COMMITTED: "Scenario committed",
    REVIEW_COMPLETED: "Review completed",
    ALLOCATION_CONFLICT: "Allocation conflict",
}


@dataclass(frozen=True)
class Event:
    name: str
    portfolio_id: int
    data: dict
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=timezone.now)


Listener = Callable[[Event], object]
_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    """Register `listener` (an AppConfig.ready calls this; registering twice is harmless)."""
    if listener not in _listeners:
        _listeners.append(listener)


def unlisten(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def person_ref(user) -> dict | None:
    """How a payload names a person: their username and the name pages show."""
    if user is None:
        return None
    return {"username": user.get_username(), "name": person_name(user)}


def link(path: str) -> str:
    """`path` as an absolute link for a receiver outside Slate (on settings.SITE_URL)."""
    return settings.SITE_URL.rstrip("/") + path


def publish(name: str, data: dict, *, portfolio_id: int) -> Event:
    """Announce `name` in portfolio `portfolio_id` to every listener (see the module
    docstring for when what they do takes effect)."""
    if name not in EVENTS:
        raise ValueError(f"Unknown event {name!r}")
    event = Event(name=name, portfolio_id=portfolio_id, data=data)
    for listener in list(_listeners):
        try:
            with transaction.atomic():
                listener(event)
        except Exception:
            logger.exception("event listener failed event=%s id=%s", name, event.id)
    return event
