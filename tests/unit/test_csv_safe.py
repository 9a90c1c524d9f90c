"""CSV written by smw neutralises spreadsheet formulas (issue 22, OWASP CSV injection)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import sys

import duckdb

from orchestration.lib.csv_safe import neutralise_cell, write_csv


def test_formula_text_gets_an_apostrophe():
    for text in ('=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise_cell(text) == "'" + text
    for text in ("Sefton", "", "a=b", " =x", "'already"):
        assert neutralise_cell(text) == text


def test_numbers_dates_and_nulls_are_unchanged():
    for value in (-3, -0.5, 0, 12.25, True, None, dt.date(2020, 4, 1)):
        assert neutralise_cell(value) is value


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_write_csv_neutralises_cells_and_header_unless_raw():
    rows = [("=cmd|'/c calc'!A0", -4, "ok")]
    out = io.StringIO()
    write_csv(out, ["@name", "n", "label"], rows)
    assert _rows(out.getvalue()) == [["'@name", "n", "label"], ["'=cmd|'/c calc'!A0", "-4", "ok"]]
    out = io.StringIO()
    write_csv(out, ["@name", "n", "label"], rows, raw=True)
    assert _rows(out.getvalue()) == [["@name", "n", "label"], ["=cmd|'/c calc'!A0", "-4", "ok"]]


def test_smw_query_csv_neutralises(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    con = duckdb.connect(str(home / "serving.duckdb"))
    con.execute("create table t as select '=1+2' as label, -5 as n, '+44 151' as phone")
    con.close()
    smw = [sys.executable, "-m", "orchestration.cli"]

    def query(*flags: str) -> list[list[str]]:
        result = subprocess.run(
            [*smw, "query", "--home", str(home), *flags, "select * from t"],
            capture_output=True,
            text=True,
            check=True,
        )
        return _rows(result.stdout)

    assert query("--csv") == [["label", "n", "phone"], ["'=1+2", "-5", "'+44 151"]]
    assert query("--csv", "--raw") == [["label", "n", "phone"], ["=1+2", "-5", "+44 151"]]
