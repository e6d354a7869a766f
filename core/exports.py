"""Every table a page shows can be downloaded as CSV or Excel (XLSX) through this one module:
the page builds a `Table` (typed columns and the same rows, filters and permissions it
shows) and `table_response` writes it in the format asked for by `?format=csv|xlsx`.

XLSX cells are typed: money, numbers and percentages are numbers with a number format,
dates are real dates. Text is always a text cell: one that starts like a formula (= + - @,
a tab or a carriage return) is stored as a string with Excel's "quote prefix" (the style an
apostrophe typed in Excel gives), so `=HYPERLINK(…)` in a project's name shows as text and
never runs. The CSV goes through `core.csv_export.csv_writer`, which prefixes such a cell with
an apostrophe (docs/decisions.md, "Spreadsheet exports")."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.csv_export import FORMULA_START, csv_writer

CSV, XLSX = "csv", "xlsx"
FORMATS = (CSV, XLSX)
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Column kinds: how a value is written (XLSX number format; CSV text).
TEXT, MONEY, NUMBER, INTEGER, RATIO, PERCENT, DATE, MONTH = (
    "text",
    "money",
    "number",
    "integer",
    "ratio",
    "percent",
    "date",
    "month",  # a date standing for its month: 2027-02 in CSV, a date shown yyyy-mm in XLSX
)
NUMBER_FORMATS = {
    MONEY: "#,##0.00",
    NUMBER: "#,##0.00",
    INTEGER: "0",
    RATIO: "0.00",
    PERCENT: "0.0%",  # the value is a percentage (45 for 45 %); the cell holds 0.45
    DATE: "yyyy-mm-dd",
    MONTH: "yyyy-mm",
}
# Characters XML 1.0 cannot hold: dropped from text cells (openpyxl refuses them).
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
SHEET_TITLE_MAX = 31
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = TEXT
    width: int | None = None  # characters; by default from the header and the kind


@dataclass(frozen=True)
class Table:
    """A downloadable table: `filename` without its extension, `title` the sheet's name."""

    filename: str
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence]


def requested_format(request) -> str | None:
    """`csv` or `xlsx` when the page is asked for a download (`?format=`), else None."""
    value = request.GET.get("format", "")
    return value if value in FORMATS else None


def table_response(table: Table, fmt: str) -> HttpResponse:
    if fmt == XLSX:
        response = HttpResponse(_xlsx_bytes(table), content_type=XLSX_CONTENT_TYPE)
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        writer = csv_writer(response)
        writer.writerow([column.header for column in table.columns])
        for row in table.rows:
            writer.writerow(
                [_csv_value(v, c.kind) for v, c in zip(row, table.columns, strict=True)]
            )
    response["Content-Disposition"] = f'attachment; filename="{table.filename}.{fmt}"'
    return response


# CSV ---------------------------------------------------------------------------------------


def _csv_value(value, kind: str):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value.tzinfo else value
    if isinstance(value, date):
        return f"{value:%Y-%m}" if kind == MONTH else value.isoformat()
    if kind in (MONEY, NUMBER, RATIO, PERCENT) and isinstance(value, Decimal | float | int):
        places = "0.0001" if kind == RATIO else "0.01"
        return str(Decimal(str(value)).quantize(Decimal(places)))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


# XLSX --------------------------------------------------------------------------------------


def _sheet_title(title: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", title).strip() or "Sheet"
    return cleaned[:SHEET_TITLE_MAX]


def _width(column: Column) -> int:
    if column.width:
        return column.width
    floor = {DATE: 12, MONEY: 14, NUMBER: 12, TEXT: 14}.get(column.kind, 9)
    return min(max(len(column.header) + 2, floor), 60)


def text_cell(sheet, value: str) -> WriteOnlyCell:
    """A text cell that can never run: a formula-looking text is a string with quote prefix."""
    value = ILLEGAL_XML.sub("", value)
    cell = WriteOnlyCell(sheet, value)
    if value.startswith(FORMULA_START):
        cell.data_type = "s"  # openpyxl would otherwise store "=…" as a formula
        cell.quotePrefix = True
    return cell


def _xlsx_cell(sheet, value, kind: str):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return text_cell(sheet, "yes" if value else "no")
    if isinstance(value, datetime):
        local = timezone.localtime(value) if value.tzinfo else value
        cell = WriteOnlyCell(sheet, local.replace(tzinfo=None))
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = NUMBER_FORMATS[MONTH if kind == MONTH else DATE]
        return cell
    if isinstance(value, Decimal | int | float):
        number = Decimal(str(value))
        if kind == PERCENT:
            number = number / HUNDRED
        cell = WriteOnlyCell(sheet, number)
        cell.number_format = NUMBER_FORMATS.get(kind, NUMBER_FORMATS[NUMBER])
        return cell
    return text_cell(sheet, str(value))


def _xlsx_bytes(table: Table) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(table.title))
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _width(column)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in table.columns:
        cell = text_cell(sheet, column.header)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        sheet.append(
            [_xlsx_cell(sheet, v, c.kind) for v, c in zip(row, table.columns, strict=True)]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
