"""Every CSV Slate hands out goes through `csv_writer`: a cell that a spreadsheet would run as
a formula (starting with = + - @, a tab or a carriage return) is prefixed with an apostrophe,
so a role or project named `=HYPERLINK(…)` is shown as text, never run (OWASP "CSV
injection"). Plain numbers, negative ones included, are left as they are."""

from __future__ import annotations

import csv
import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        if PLAIN_NUMBER.fullmatch(value):
            return value
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, out, **kwargs):
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(out, **kwargs) -> _SafeWriter:
    """`csv.writer(out)` whose every cell goes through `safe_cell`."""
    return _SafeWriter(out, **kwargs)
