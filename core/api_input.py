"""The API reads JSON bodies with the types its schema declares (core/openapi.py): Django
REST framework's own fields are lenient where the schema is not, reading a number as a
string (`"description": 0` → "0"), 0 or 1 as a boolean, and a JSON number as an amount the
schema gives as a decimal string (a float in transit). `install()` (from `CoreConfig.ready`)
makes every `CharField` (and its subclasses: e-mail, URL, slug, regex) refuse anything but a
string, every `BooleanField` refuse a number, and every `DecimalField` read as a string refuse
a number, with DRF's own messages: a client's type mistake is a 400 naming the field, not a
silent conversion.

Strings stay as DRF reads them otherwise ("true" is a boolean, "12" an integer): a query
string has nothing else, and the API's bodies are JSON only (REST_FRAMEWORK's parsers)."""

from __future__ import annotations

from rest_framework import fields
from rest_framework.settings import api_settings

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    read_string = fields.CharField.to_internal_value
    read_boolean = fields.BooleanField.to_internal_value
    read_decimal = fields.DecimalField.to_internal_value

    def string_only(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return read_string(self, data)

    def no_number(self, data):
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            self.fail("invalid", input=data)
        return read_boolean(self, data)

    def decimal_string(self, data):
        as_string = getattr(self, "coerce_to_string", None)
        if as_string is None:
            as_string = api_settings.COERCE_DECIMAL_TO_STRING
        if as_string and not isinstance(data, str):
            self.fail("invalid")
        return read_decimal(self, data)

    fields.CharField.to_internal_value = string_only
    fields.DecimalField.to_internal_value = decimal_string
    fields.BooleanField.to_internal_value = no_number
    _installed = True
