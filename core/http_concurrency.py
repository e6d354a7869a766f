"""Optimistic concurrency and idempotent creates as HTTP, for every API viewset (RFC 9110
conditional requests, RFC 6585's 428, the IETF draft's `Idempotency-Key`).

The names below are stable: other apps' `api/` packages build on them.

`ConcurrencyMixin` — for a viewset of a *versioned* model (a `version` field that is the
optimistic-lock counter, saved through `core.concurrency.save_versioned`; not for a model whose
`version` means something else, such as `projects.Baseline`'s baseline number):
  * `ETag`: every 2xx answer that is not a list and whose body has `id` and `version` (a detail
    GET, the answer of a create, an update or an object action) carries the strong entity tag
    `"<model>-<id>-v<version>"` (`etag_for(obj)`, `etag_value(...)`).
  * `If-Match`: PUT, PATCH, DELETE and every other unsafe method on a detail route (object
    actions such as `escalate`) must send the ETag read. Missing → 428 with a body saying so;
    no tag matching the current version (strong comparison: weak tags never match) → 412
    with the current version, its ETag and what changed since the tagged version (from the
    model's history when it has one); `If-Match: *` matches whatever version exists.
    The checks run in `get_object()`, after the object permission checks and after the hook
    `check_write_permission(obj)` (default: nothing), so a reader is told 403, not 428.
    The version matched is then `self.expected_version`: hand it to the service as its
    `expected_version`, so a write that races in between the check and the save is a 412 too.
  * A `ConcurrentEditError` raised while handling a request that sent `If-Match` is a 412;
    without `If-Match` (the writes that carry the version read in their body, such as the
    status-report upsert POST) it stays the 409 it always was, with the same body shape.

`IdempotentCreateMixin` — for a viewset with a `create` (and any collection action listed in
`idempotent_actions`): an optional `Idempotency-Key` header (1–255 printable ASCII
characters). The first 2xx response of a key is stored (`core.models.IdempotencyKey`, unique per
user and key) for `SLATE_IDEMPOTENCY_KEY_HOURS` hours; a retry by the same user with the same
key to the same endpoint with the same body is answered with that status and body (header
`Idempotent-Replayed: true`) and creates nothing. The same key with another body or endpoint
is a 422 naming the problem. Error answers are not stored: a corrected retry may reuse its key.
Two concurrent retries cannot both create: the key row is inserted in the create's transaction,
so the second INSERT waits for the first request and then fails, and the second request replays.
Expired keys are ignored and replaced when met, and purged hourly (`core.tasks`).

`service_errors()` — a context manager for the call of a service: its Django ValidationError
becomes DRF's 400 with the same field → messages body (`error_detail(error)`).

`HttpConcurrencyAutoSchema` — the drf-spectacular schema class (`DEFAULT_SCHEMA_CLASS`): on the
operations of views using the mixins it documents the `If-Match` / `Idempotency-Key` request
headers, the `ETag` / `Idempotent-Replayed` response headers and the 412, 428 and 422
answers, so no viewset has to repeat them. `PreconditionFailedSerializer`,
`PreconditionRequiredSerializer` and `IdempotencyKeyErrorSerializer` are those bodies.
"""

from __future__ import annotations

import hashlib
import json
import re
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.encoders import JSONEncoder

from core.concurrency import ConcurrentEditError, changes_since
from core.models import IdempotencyKey
from core.openapi import AutoSchema

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
_KEY_PATTERN = re.compile(r"^[\x21-\x7e][\x20-\x7e]*$")
_ENTITY_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')
_OUR_TAG = re.compile(r"^(?P<model>[a-z0-9_]+)-(?P<pk>\d+)-v(?P<version>\d+)$")


# Service errors -------------------------------------------------------------------------------


def error_detail(error: ValidationError, *, rows_field: str = "rows") -> dict:
    """A service's ValidationError as DRF's 400 body: field → messages. A set service's
    refusal (one with `row_errors`, e.g. `portfolio.services.SetValidationError`) adds
    `rows_field`: row index → field → messages, so a client finds the row and field each
    message is about."""
    if not hasattr(error, "error_dict"):
        detail = {api_settings.NON_FIELD_ERRORS_KEY: error.messages}
    else:
        detail = {
            api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field: messages
            for field, messages in error.message_dict.items()
        }
    row_errors = getattr(error, "row_errors", None)
    if row_errors:
        if not hasattr(error, "error_dict"):
            detail.pop(api_settings.NON_FIELD_ERRORS_KEY)  # "Some rows need correcting"
        detail[rows_field] = {
            str(index): {
                api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field: list(
                    messages
                )
                for field, messages in fields.items()
            }
            for index, fields in sorted(row_errors.items())
        }
    return detail


@contextmanager
def service_errors(*, rows_field: str = "rows"):
    """`with service_errors(): services.x(...)`: a ValidationError is a 400 naming its fields
    (by row under `rows_field` for a set); PermissionDenied is already a 403 and Http404 a 404
    in DRF."""
    try:
        yield
    except ValidationError as error:
        raise exceptions.ValidationError(error_detail(error, rows_field=rows_field)) from error


# Entity tags ----------------------------------------------------------------------------------


def etag_value(model_name: str, pk, version) -> str:
    """The strong entity tag of version `version` of the object `pk` of `model_name`."""
    return f'"{model_name}-{pk}-v{version}"'


def etag_for(obj) -> str:
    return etag_value(obj._meta.model_name, obj.pk, obj.version)


def _parse_if_match(value: str) -> list[tuple[bool, str]] | None:
    """`If-Match`'s entity tags as (weak, opaque tag) pairs; None if it is not a list of tags."""
    tags, position = [], 0
    value = value.strip()
    while position < len(value):
        match = _ENTITY_TAG.match(value, position)
        if not match:
            return None
        tags.append((bool(match.group(1)), match.group(2)))
        position = match.end()
    return tags or None


def _conflict_body(*, detail: str, current, changes, changed_by, changed_at) -> dict:
    return {
        "detail": detail,
        "current_version": current.version,
        "etag": etag_for(current),
        "changed_by": str(changed_by) if changed_by else None,
        "changed_at": changed_at,
        "changes": [
            {
                "field": change.field,
                "label": change.label,
                "before": None if change.before is None else str(change.before),
                "after": None if change.after is None else str(change.after),
            }
            for change in changes
        ],
    }


class _PreconditionRequired(Exception):
    pass


class _PreconditionFailed(Exception):
    def __init__(self, body: dict, etag: str):
        super().__init__(body["detail"])
        self.body, self.etag = body, etag


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    before = serializers.CharField(allow_null=True)
    after = serializers.CharField(allow_null=True)


class PreconditionFailedSerializer(serializers.Serializer):
    """The 412 body (and the 409 body of a stale body `version`): nothing was saved."""

    detail = serializers.CharField()
    current_version = serializers.IntegerField()
    etag = serializers.CharField(help_text="The current version's ETag.")
    changed_by = serializers.CharField(allow_null=True)
    changed_at = serializers.DateTimeField(allow_null=True)
    changes = FieldChangeSerializer(many=True, help_text="What changed since your version.")


class PreconditionRequiredSerializer(serializers.Serializer):
    """The 428 body: the write did not say which version it was made against."""

    detail = serializers.CharField()


class IdempotencyKeyErrorSerializer(serializers.Serializer):
    """The 422 body: the Idempotency-Key was used for another request."""

    detail = serializers.CharField()
    idempotency_key = serializers.CharField()
    first_used_for = serializers.CharField(help_text='"METHOD path" of the first request.')
    first_used_at = serializers.DateTimeField()


class ConcurrencyMixin:
    """ETag on reads and writes of a versioned object; If-Match required on its changes."""

    expected_version: int | None = None

    def check_write_permission(self, obj) -> None:
        """Raise PermissionDenied for a user who may not change `obj` (before If-Match is
        looked at, so a reader gets 403 rather than 428). The services check again."""

    def requires_if_match(self) -> bool:
        """Whether the object being fetched is about to change (`get_object` serves only the
        routes of one object, so any unsafe method)."""
        return self.request.method not in SAFE_METHODS

    def get_object(self):
        obj = super().get_object()
        if self.requires_if_match() and hasattr(obj, "version"):
            self.check_write_permission(obj)
            self.expected_version = self.check_if_match(obj)
        return obj

    def check_if_match(self, obj) -> int:
        """The version `If-Match` names (the current one for `*`), or 428 / 412."""
        header = self.request.headers.get("If-Match")
        if header is None or not header.strip():
            raise _PreconditionRequired()
        current = etag_for(obj)
        if header.strip() == "*":
            return obj.version
        tags = _parse_if_match(header) or []
        if any(not weak and f'"{tag}"' == current for weak, tag in tags):
            return obj.version
        base_version = None
        for _weak, tag in tags:
            ours = _OUR_TAG.match(tag)
            if ours and ours["model"] == obj._meta.model_name and int(ours["pk"]) == obj.pk:
                base_version = int(ours["version"])
        changes, changed_by, changed_at = (
            changes_since(obj, base_version) if base_version else ([], None, None)
        )
        if not tags:
            detail = (
                f"If-Match must be '*' or a list of quoted entity tags, such as {current}; "
                f"got {header!r}. Nothing was saved."
            )
        else:
            detail = (
                f"This {obj._meta.verbose_name} is now at version {obj.version} ({current}), "
                f"not the one your If-Match names: someone saved it since you read it. "
                f"Nothing was saved: read it again, apply your change and send the new ETag."
            )
        body = _conflict_body(
            detail=detail,
            current=obj,
            changes=changes,
            changed_by=changed_by,
            changed_at=changed_at,
        )
        raise _PreconditionFailed(body, current)

    def handle_exception(self, exc):
        if isinstance(exc, _PreconditionRequired):
            return Response(
                {
                    "detail": (
                        "This write must be conditional: send If-Match with the ETag of the "
                        "version you read (GET it first), or If-Match: * to overwrite "
                        "whatever version is current."
                    )
                },
                status=status.HTTP_428_PRECONDITION_REQUIRED,
            )
        if isinstance(exc, _PreconditionFailed):
            return Response(
                exc.body, status=status.HTTP_412_PRECONDITION_FAILED, headers={"ETag": exc.etag}
            )
        if isinstance(exc, ConcurrentEditError):
            conditional = "If-Match" in self.request.headers
            body = _conflict_body(
                detail=str(exc),
                current=exc.current,
                changes=exc.changes,
                changed_by=exc.changed_by,
                changed_at=exc.changed_at,
            )
            return Response(
                body,
                status=(
                    status.HTTP_412_PRECONDITION_FAILED if conditional else status.HTTP_409_CONFLICT
                ),
                headers={"ETag": body["etag"]},
            )
        return super().handle_exception(exc)

    def etag_for_response(self, response) -> str | None:
        """The ETag of a response's object: from its body's `id` and `version`."""
        data = response.data
        if not isinstance(data, dict) or getattr(self, "action", None) == "list":
            return None
        pk, version = data.get("id"), data.get("version")
        if not isinstance(pk, int) or not isinstance(version, int):
            return None
        model = getattr(getattr(self, "queryset", None), "model", None) or getattr(
            self, "etag_model", None
        )
        if model is None:
            try:
                model = self.get_queryset().model
            except Exception:  # noqa: BLE001 — no queryset, no tag; never a failed response
                return None
        return etag_value(model._meta.model_name, pk, version)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if (
            200 <= response.status_code < 300
            and not response.has_header("ETag")
            and getattr(response, "data", None) is not None
        ):
            etag = self.etag_for_response(response)
            if etag:
                response["ETag"] = etag
        return response


# Idempotency-Key ------------------------------------------------------------------------------


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


def _fingerprint(request) -> str:
    data = request.data
    if isinstance(data, QueryDict):
        data = {key: data.getlist(key) for key in sorted(data)}
    try:
        text = json.dumps(data, sort_keys=True, cls=JSONEncoder, default=str)
    except (TypeError, ValueError):
        text = repr(data)
    return hashlib.sha256(text.encode()).hexdigest()


def _jsonable(data):
    return json.loads(json.dumps(data, cls=JSONEncoder))


def idempotency_key_lifetime() -> timedelta:
    return timedelta(hours=getattr(settings, "SLATE_IDEMPOTENCY_KEY_HOURS", 24))


class IdempotentCreateMixin:
    """A create with an `Idempotency-Key` runs once per user and key."""

    idempotent_actions: tuple[str, ...] = ("create",)

    def is_idempotent_request(self) -> bool:
        return self.request.method == "POST" and getattr(self, "action", None) in (
            self.idempotent_actions
        )

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # The handler is looked up after `initial` (APIView.dispatch): wrap it here, once, so a
        # viewset's own `create` (with or without super()) runs inside the key's transaction.
        key = request.headers.get(IDEMPOTENCY_KEY_HEADER)
        if key is not None and self.is_idempotent_request():
            handler = getattr(self, request.method.lower())
            setattr(self, request.method.lower(), self._idempotent(handler, key))

    def _idempotent(self, handler, key: str):
        def run(request, *args, **kwargs):
            if len(key) > MAX_KEY_LENGTH or not _KEY_PATTERN.match(key):
                raise exceptions.ValidationError(
                    {
                        IDEMPOTENCY_KEY_HEADER: [
                            f"An {IDEMPOTENCY_KEY_HEADER} is 1 to {MAX_KEY_LENGTH} printable "
                            "ASCII characters (a UUID is a good choice)."
                        ]
                    }
                )
            endpoint = f"{request.method} {request.path}"[:600]
            fingerprint = _fingerprint(request)
            with transaction.atomic():
                record = self._claim(request.user, key, endpoint, fingerprint)
                if record is not None:
                    return self._replay(record, key, endpoint, fingerprint)
                response = handler(request, *args, **kwargs)
                if 200 <= response.status_code < 300:
                    IdempotencyKey.objects.filter(user=request.user, key=key).update(
                        status_code=response.status_code,
                        response_body=_jsonable(response.data),
                    )
                else:  # an error is not remembered: a corrected retry may use the key again
                    IdempotencyKey.objects.filter(user=request.user, key=key).delete()
                return response

        return run

    def _claim(self, user, key: str, endpoint: str, fingerprint: str) -> IdempotencyKey | None:
        """Insert the key (None: this request runs the create) or return the earlier record.
        A concurrent request's INSERT blocks on the unique index until this transaction ends."""
        now = timezone.now()
        for _attempt in range(2):
            try:
                with transaction.atomic():
                    IdempotencyKey.objects.create(
                        user=user,
                        key=key,
                        endpoint=endpoint,
                        fingerprint=fingerprint,
                        status_code=0,
                        expires_at=now + idempotency_key_lifetime(),
                    )
                return None
            except IntegrityError:
                record = IdempotencyKey.objects.filter(user=user, key=key).first()
                if record is None:  # the other request failed and dropped the key: run
                    continue
                if record.expires_at <= now:
                    record.delete()
                    continue
                return record
        raise exceptions.APIException("The Idempotency-Key could not be recorded; try again.")

    def _replay(self, record: IdempotencyKey, key: str, endpoint: str, fingerprint: str):
        if record.endpoint != endpoint or record.fingerprint != fingerprint:
            what = "another endpoint" if record.endpoint != endpoint else "a different body"
            raise IdempotencyKeyReused(
                {
                    "detail": (
                        f"The {IDEMPOTENCY_KEY_HEADER} {key!r} was already used for "
                        f"{record.endpoint} with {what}: a retry must repeat the same request. "
                        "Send a new key for a new request. Nothing was created."
                    ),
                    "idempotency_key": key,
                    "first_used_for": record.endpoint,
                    "first_used_at": record.created_at.isoformat(),
                }
            )
        return Response(
            record.response_body, status=record.status_code, headers={REPLAYED_HEADER: "true"}
        )


# The schema -----------------------------------------------------------------------------------

IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description=(
        "The `ETag` of the version you read (or `*` for whatever version is current). "
        "Missing: 428; another version is current: 412, nothing saved."
    ),
)
IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_KEY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (a UUID) of 1–255 printable ASCII characters. A retry with the same "
        "key, body and endpoint returns the first response and creates nothing; the same key "
        "with another body is a 422."
    ),
)


def _etag_header(codes):
    return OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=codes,
        description="The object's strong entity tag: send it back in `If-Match` to change it.",
    )


def _replayed_header(codes):
    return OpenApiParameter(
        REPLAYED_HEADER,
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=codes,
        description="`true` when this is the stored response of an earlier request with the "
        "same Idempotency-Key.",
    )


class HttpConcurrencyAutoSchema(AutoSchema):
    """Documents the mixins' headers and answers on every operation of a view using them."""

    def _view_action(self):
        return getattr(self.view, "action", None)

    def _is_object_route(self) -> bool:
        detail = getattr(self.view, "detail", None)
        if detail is not None:
            return bool(detail)
        lookup = getattr(self.view, "lookup_url_kwarg", None) or getattr(
            self.view, "lookup_field", "pk"
        )
        names = {str(lookup), "id"} if lookup == "pk" else {str(lookup)}
        return any("{" + name + "}" in self.path for name in names)

    def _is_conditional_write(self) -> bool:
        return (
            isinstance(self.view, ConcurrencyMixin)
            and self.method not in SAFE_METHODS
            and self._is_object_route()
        )

    def _is_idempotent_create(self) -> bool:
        return (
            isinstance(self.view, IdempotentCreateMixin)
            and self.method == "POST"
            and self._view_action() in self.view.idempotent_actions
        )

    def _is_versioned_read(self) -> bool:
        return (
            isinstance(self.view, ConcurrencyMixin)
            and self.method == "GET"
            and self._is_object_route()
        )

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._is_conditional_write():
            parameters += [IF_MATCH_PARAMETER, _etag_header(["200", "201", "412"])]
        elif self._is_versioned_read():
            parameters.append(_etag_header(["200"]))
        if self._is_idempotent_create():
            parameters += [IDEMPOTENCY_KEY_PARAMETER, _replayed_header(["200", "201"])]
            if isinstance(self.view, ConcurrencyMixin):
                parameters.append(_etag_header(["200", "201"]))
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        extra = {}
        if self._is_conditional_write():
            extra["412"] = OpenApiResponse(
                PreconditionFailedSerializer,
                "Precondition failed: If-Match names another version than the current one "
                "(someone saved it since). Nothing was saved.",
            )
            extra["428"] = OpenApiResponse(
                PreconditionRequiredSerializer,
                "Precondition required: the If-Match header is missing. Nothing was saved.",
            )
        if self._is_idempotent_create():
            extra["422"] = OpenApiResponse(
                IdempotencyKeyErrorSerializer,
                "The Idempotency-Key was already used for another request (another body or "
                "endpoint). Nothing was created.",
            )
        for code, response in extra.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
