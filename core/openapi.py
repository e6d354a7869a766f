"""The API's OpenAPI schema is the truth: every operation documents every status
code it can answer, so a client, Swagger UI and schemathesis (tests/test_api_schemathesis.py)
see what the server does.

`AutoSchema` (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]) adds to what drf-spectacular infers the
error responses that Django REST framework itself produces, worked out from the operation,
so a new viewset is covered without any per-view declaration:

| code | when | body |
|------|------|------|
| 400 | a request body, or query/header parameters other than the page number | `ValidationError` |
| 401 | the view authenticates (no, unknown, expired or revoked token) | `Error` |
| 403 | always (a read-only token writing, a role that may not, a CSRF failure) | `Error` |
| 404 | a path parameter (not found or not visible), or a paginated list (no such page) | `Error` |
| 406 | always (an `Accept` header naming no JSON) | `Error` |
| 415 | a request body (an unsupported `Content-Type`) | `Error` |
| 429 | the view throttles (with `Retry-After`) | `Error` |

A code the view documents itself (with `extend_schema(responses=…)`) is kept as it is.

`nullable_to_type_list` (a post-processing hook) rewrites OpenAPI 3.0's `nullable: true`,
which some schemas still carry (DRF's own paginated envelope: `next`, `previous`), into
OpenAPI 3.1's `type: [..., "null"]`: under 3.1 `nullable` means nothing, and a `null` would
break the schema."""

from __future__ import annotations

import re

from django.core import validators
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django_filters import NumberFilter
from drf_spectacular import openapi
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.drainage import has_override
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Every error answer but a validation error's."""

    detail = serializers.CharField(help_text="What went wrong, in a sentence.")


VALIDATION_ERROR = "ValidationError"
VALIDATION_ERROR_SCHEMA = {
    "description": (
        "What is wrong with the request: each field (or `non_field_errors` for the whole "
        "object) lists its messages, a nested object's errors nest the same way; a body or "
        "query that cannot be read at all gets `detail`."
    ),
    "anyOf": [
        {
            "type": "object",
            "additionalProperties": {
                "anyOf": [
                    {"type": "string"},
                    {"type": "array"},
                    {"type": "object"},
                ]
            },
        },
        {"type": "array", "items": {"type": "string"}},
    ],
    "example": {"amount": ["A valid number is required."]},
}

WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": "The scheme to authenticate with: `Bearer`.",
        "schema": {"type": "string"},
    }
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before the budget allows another request.",
        "schema": {"type": "string", "pattern": r"^\d+$"},
    }
}

# code → (the component under #/components/responses/, its description)
RESPONSES = {
    "400": ("BadRequest", "The request is invalid: the errors name each field or parameter."),
    "401": (
        "Unauthorized",
        "No credentials, or an unknown, expired or revoked access token, or a disabled account.",
    ),
    "403": (
        "Forbidden",
        "Not allowed: the user's role may not do this, a read-only token tried to write, or "
        "the browser session's CSRF check failed.",
    ),
    "404": (
        "NotFound",
        "No such object, or one the user may not see (or no such page of the list).",
    ),
    "406": (
        "NotAcceptable",
        "The `Accept` header names no media type the API answers in (JSON).",
    ),
    "415": (
        "UnsupportedMediaType",
        "The request body's `Content-Type` is not one the operation reads.",
    ),
    "429": (
        "TooManyRequests",
        "Too many requests for this token or user: wait `Retry-After` seconds.",
    ),
}


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for code in self.error_codes(operation):
            if code not in responses:
                responses[code] = self._error_response(code)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if _blank_model_field(field):
            # A read-only field of a ModelSerializer loses the model's `blank=True` (DRF drops
            # `allow_blank` for read-only fields), yet "" is what it answers for a blank value;
            # drf-spectacular then documents the blank (a `BlankEnum` beside a choice's enum,
            # a `maxLength: 0` string beside a `format: uri`).
            field.allow_blank = True
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # drf-spectacular's pattern for a decimal string lets "" and "-" through (`\d{0,n}`),
        # which the field refuses: a number has at least one digit before its point.
        if isinstance(field, serializers.DecimalField) and field.max_whole_digits:
            pattern = schema.get("pattern", "")
            schema["pattern"] = re.sub(r"^\^-\?\\d\{0,", r"^-?\\d{1,", pattern)
        return schema

    def error_codes(self, operation: dict) -> list[str]:
        """The error status codes DRF may answer this operation with (the table above)."""
        parameters = operation.get("parameters", [])
        has_body = "requestBody" in operation
        paginated = self.method == "GET" and self._is_list_view() and self._get_paginator()
        page_parameters = set()
        if paginated:
            page_parameters = {
                parameter["name"]
                for parameter in self._get_paginator().get_schema_operation_parameters(self.view)
            }
        inputs = [
            parameter
            for parameter in parameters
            if parameter["in"] in ("query", "header") and parameter["name"] not in page_parameters
        ]
        codes = []
        # A DELETE's service may refuse it (a confirmed allocation, an object still in use).
        if has_body or inputs or self.method == "DELETE":
            codes.append("400")
        if self.view.get_authenticators():
            codes.append("401")
        codes.append("403")
        if paginated or any(parameter["in"] == "path" for parameter in parameters):
            codes.append("404")
        codes.append("406")
        if has_body:
            codes.append("415")
        if self.view.get_throttles():
            codes.append("429")
        return codes

    def _error_response(self, code: str) -> dict:
        """A reference to the shared response of `code`, registered on first use."""
        name, description = RESPONSES[code]
        if code == "400":
            schema = ResolvedComponent(
                name=VALIDATION_ERROR,
                type=ResolvedComponent.SCHEMA,
                object=VALIDATION_ERROR,
                schema=VALIDATION_ERROR_SCHEMA,
            )
            self.registry.register_on_missing(schema)
            body = schema.ref
        else:
            body = self.resolve_serializer(ErrorSerializer(), "response").ref
        response = {
            "description": description,
            "content": {"application/json": {"schema": body}},
        }
        headers = {"401": WWW_AUTHENTICATE, "429": RETRY_AFTER}.get(code)
        if headers:
            response["headers"] = headers
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.RESPONSE, object=name, schema=response
        )
        self.registry.register_on_missing(component)
        return component.ref


def _blank_model_field(field) -> bool:
    """A read-only ModelSerializer field whose model field is a `blank=True` string."""
    if not field.read_only or not isinstance(
        field, serializers.CharField | serializers.ChoiceField
    ):
        return False
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source:
        return False
    try:
        model_field = model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return False
    return bool(getattr(model_field, "blank", False)) and isinstance(
        model_field, models.CharField | models.TextField
    )


class BoundedDjangoFilterExtension(DjangoFilterExtension):
    """django-filter's query parameters, with the bounds their form fields check (a
    `NumberFilter`'s `min_value`/`max_value`, its default maximum of 1e50, a `max_length`) as
    `minimum`/`maximum`/`maxLength`: a value the filter refuses is outside the schema."""

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        bounds = {}
        for validator in filter_field.field.validators:
            limit = getattr(validator, "limit_value", None)
            if callable(limit) or not isinstance(limit, (int, float)):
                continue
            if isinstance(limit, float) and limit.is_integer():
                limit = int(limit)  # 1e50 as the float the filter compares with, exactly
            if isinstance(validator, validators.MinValueValidator):
                bounds["minimum"] = max(limit, bounds.get("minimum", limit))
            elif isinstance(validator, validators.MaxValueValidator):
                bounds["maximum"] = min(limit, bounds.get("maximum", limit))
            elif isinstance(validator, validators.MaxLengthValidator):
                bounds["maxLength"] = min(limit, bounds.get("maxLength", limit))
        number = isinstance(filter_field, NumberFilter) and not has_override(filter_field, "field")
        for parameter in parameters:
            schema = parameter["schema"]
            if number and schema.get("type") == "integer":
                schema["type"] = "number"  # the filter reads any number (0.5 rounds)
            if schema.get("type") in ("integer", "number"):
                schema.update({key: value for key, value in bounds.items() if key != "maxLength"})
            elif schema.get("type") == "string" and "maxLength" in bounds:
                schema["maxLength"] = bounds["maxLength"]
        return parameters


def nullable_to_type_list(result, generator, request, public):
    """A drf-spectacular post-processing hook: `nullable: true` → `type: [..., "null"]`."""

    def visit(node):
        if isinstance(node, dict):
            if node.get("nullable") is True:
                del node["nullable"]
                kind = node.get("type")
                if isinstance(kind, str):
                    node["type"] = [kind, "null"]
                elif isinstance(kind, list) and "null" not in kind:
                    node["type"] = [*kind, "null"]
                elif kind is None and ("$ref" in node or "allOf" in node or "oneOf" in node):
                    node_copy = dict(node)
                    node.clear()
                    node["oneOf"] = [node_copy, {"type": "null"}]
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(result)
    return result
