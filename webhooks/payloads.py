"""The JSON every delivery carries (docs/webhooks.md): one envelope, whatever the event,

    {"id": event id, "event": name, "occurred_at": ISO 8601, "portfolio": {id, code, name},
     "data": what the event says}

Dates are ISO 8601, money and other decimals are strings (exact), as in the API."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder

from core.events import Event


def envelope(event: Event, portfolio) -> dict:
    return {
        "id": str(event.id),
        "event": event.name,
        "occurred_at": event.occurred_at,
        "portfolio": {"id": portfolio.pk, "code": portfolio.code, "name": portfolio.name},
        "data": event.data,
    }


def encode(document: dict) -> str:
    return json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
