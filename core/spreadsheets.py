"""Reading an uploaded spreadsheet (XLSX or CSV) into a header row and data rows, with the
row numbers people see in Excel (the header is usually row 1). Plumbing only: what the
columns mean is the importer's business.

Limits keep a web request small: 5 MB of file, 5,000 data rows, 100 columns, and for XLSX
(a zip) 100 MB once unpacked, so a zip bomb is refused before it is read. openpyxl parses the
workbook's XML with defusedxml when it is installed (it is: a Slate dependency)."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import load_workbook

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 100
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 (.xls) and other OLE files
NOT_A_SPREADSHEET = (
    "This is not a spreadsheet Slate can read: save it as an Excel workbook (.xlsx) or as CSV."
)


class SpreadsheetError(Exception):
    """The file cannot be read as a table; `problems` says why, for the person uploading."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__(" ".join(self.problems))


@dataclass(frozen=True)
class SheetRow:
    number: int  # the row number the spreadsheet shows
    cells: tuple  # one value per header: str, int, float, bool, date, datetime or None


@dataclass(frozen=True)
class Sheet:
    headers: tuple[str, ...]
    rows: tuple[SheetRow, ...]
    sheet_name: str = ""


def read_sheet(*, file_name: str, content: bytes) -> Sheet:
    """The first worksheet of an XLSX file, or a CSV file (UTF-8, else Windows-1252; comma,
    semicolon or tab separated)."""
    if not content:
        raise SpreadsheetError("The file is empty.")
    if len(content) > MAX_BYTES:
        raise SpreadsheetError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    if content.startswith(OLE_MAGIC):
        raise SpreadsheetError(
            "This is an Excel 97-2003 workbook (.xls) or another old Office file: save it as "
            "an Excel workbook (.xlsx) or as CSV."
        )
    if content.startswith(ZIP_MAGIC):
        rows, name = _xlsx_rows(content)
    else:
        rows, name = _csv_rows(content), ""
    return _table(rows, name)


# XLSX --------------------------------------------------------------------------------------


def _xlsx_rows(content: bytes):
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise SpreadsheetError("The workbook unpacks to more than 100 MB.")
            if "xl/workbook.xml" not in archive.namelist():
                raise SpreadsheetError(NOT_A_SPREADSHEET)
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except SpreadsheetError:
        raise
    except Exception as error:  # a damaged zip or workbook: openpyxl raises many kinds
        raise SpreadsheetError(
            "The workbook cannot be read (it may be damaged or password-protected): open it in "
            "Excel and save it again as .xlsx, or save it as CSV."
        ) from error
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise SpreadsheetError("The workbook has no worksheet.")
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if len(rows) > MAX_ROWS + 1:
                break
            rows.append((number, tuple(values)))
        return rows, sheet.title
    finally:
        workbook.close()


# CSV ---------------------------------------------------------------------------------------


def _decode(content: bytes) -> str:
    if b"\x00" in content:
        raise SpreadsheetError(NOT_A_SPREADSHEET)
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    """Comma, semicolon (Excel in many locales) or tab: the one the header line uses most."""
    first_line = text.split("\n", 1)[0]
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(content: bytes):
    text = _decode(content)
    try:
        rows = []
        reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
        for number, cells in enumerate(reader, start=1):
            if len(rows) > MAX_ROWS + 1:
                break
            rows.append((number, tuple(cells)))
    except csv.Error as error:
        raise SpreadsheetError(f"The CSV cannot be read: {error}.") from error
    return rows


# Both --------------------------------------------------------------------------------------


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_text(value) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip() if value is not None else ""


def _table(rows, sheet_name: str) -> Sheet:
    rows = [(number, cells) for number, cells in rows if not all(_blank(v) for v in cells)]
    if not rows:
        raise SpreadsheetError("The file has no rows: the first row should name the columns.")
    header_number, header_cells = rows[0]
    headers = [_header_text(v) for v in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise SpreadsheetError("The first row names no column.")
    if len(headers) > MAX_COLUMNS:
        raise SpreadsheetError(f"The file has more than {MAX_COLUMNS} columns.")
    problems = []
    for index, header in enumerate(headers):
        if not header:
            problems.append(f"Row {header_number}: column {_letter(index)} has no name.")
    seen = {}
    for index, header in enumerate(headers):
        key = header.casefold()
        if header and key in seen:
            problems.append(
                f"Row {header_number}: two columns are named “{header}” "
                f"({_letter(seen[key])} and {_letter(index)})."
            )
        seen.setdefault(key, index)
    data = rows[1:]
    if len(data) > MAX_ROWS:
        problems.append(f"The file has more than {MAX_ROWS:,} rows: split it.")
    if not data:
        problems.append("The file has a header row but no data rows.")
    if problems:
        raise SpreadsheetError(problems)
    width = len(headers)
    sheet_rows = []
    for number, cells in data:
        extra = [v for v in cells[width:] if not _blank(v)]
        if extra:
            raise SpreadsheetError(
                f"Row {number} has values beyond the last named column ({_letter(width - 1)})."
            )
        padded = tuple(cells[:width]) + (None,) * (width - len(cells))
        sheet_rows.append(SheetRow(number, padded))
    return Sheet(tuple(headers), tuple(sheet_rows), sheet_name)


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
