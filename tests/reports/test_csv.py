"""The CSV files: RFC 4180 quoting, UTF-8 with a byte-order mark, formulas disarmed, numbers kept."""

from __future__ import annotations

import csv
import io

import pytest

from extdesk.reports.csv_export import render, safe_cell

pytestmark = pytest.mark.database_independent


# The last four: the full-width forms, which some spreadsheet applications take for the ASCII ones.
@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "\n=1",
                                  '=HYPERLINK("http://evil.example")',
                                  "\uff1d1+1", "\uff0b1", "\uff0d1", "\uff20SUM(A1)"])
def test_a_text_that_would_be_a_formula_gets_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Billing", "a=b", "", " =1", "Ελληνικά", "日本語", 0, -5, 2.5, None])
def test_other_cells_are_unchanged(value):
    assert safe_cell(value) == value


def test_render_quotes_escapes_and_marks_the_encoding():
    data = render(["name", "tickets"], [['He said "hi", then left\nfor good', 3], ["=cmd|' /C calc'!A0", -2],
                                        ["Ελληνικά", None]])
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.endswith("\r\n") and text.split("\r\n")[0] == "name,tickets"
    assert list(csv.reader(io.StringIO(text))) == [
        ["name", "tickets"], ['He said "hi", then left\nfor good', "3"], ["'=cmd|' /C calc'!A0", "-2"],
        ["Ελληνικά", ""]]
