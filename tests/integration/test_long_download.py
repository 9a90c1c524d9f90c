"""The long indicator data download (issue 17) on the session demo: written with the publish
beside the exports, one row per published indicator row with serving's numbers, linked from
the outputs index with its column dictionary, and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import math
import shutil

import duckdb
import pytest

from orchestration.lib import long_download
from orchestration.lib.exports import read_manifest

pytestmark = pytest.mark.slow

SERVING_SQL = (
    "select indicator_code, area_code, period, value, lower_95, upper_95, numerator, denominator "
    "from rpt_indicator_values "
    "order by indicator_code, area_type desc, area_code, breakdown_type, breakdown, period"
)


def _num(text: str) -> float | None:
    return None if text == "" else float(text)


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


@pytest.fixture(scope="module")
def published(demo_build):
    con = duckdb.connect(str(demo_build.home.serving_db), read_only=True)
    try:
        return con.execute(SERVING_SQL).fetchall()
    finally:
        con.close()


def test_download_rows_and_values_are_the_published_rows(demo_build, published):
    folder = demo_build.home.exports_dir
    with (folder / long_download.CSV_NAME).open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == [c[0] for c in long_download.COLUMNS]
        rows = list(reader)
    assert len(rows) == len(published) > 1000
    suppressed = 0
    for i, (row, pub) in enumerate(zip(rows, published, strict=True)):
        code, area, period, value, lower, upper, numerator, denominator = pub
        assert (row["indicator_id"], row["area_code"], row["time_period"]) == (
            code,
            area,
            period,
        ), i
        for column, expected in (
            ("value", value),
            ("lower_ci95_limit", lower),
            ("upper_ci95_limit", upper),
            ("count", numerator),
            ("denominator", denominator),
        ):
            assert _same(_num(row[column]), expected), (i, column, row[column], expected)
        if value is None and row["value_note"].startswith("Suppressed"):
            suppressed += 1
        assert row["indicator_name"] and row["area_name"] and row["sex"] and row["age"], i
        # a provisional value is never judged against England or the region
        if "Provisional" in row["value_note"] and row["value"]:
            assert row["compared_to_england"] in ("", "Not compared (provisional)"), i
            assert row["compared_to_region"] in ("", "Not compared (provisional)"), i
    assert suppressed > 0

    con = duckdb.connect()
    try:
        parquet = con.execute(
            "select indicator_id, area_code, time_period, value, lower_ci95_limit, "
            "upper_ci95_limit, count, denominator from read_parquet(?)",
            [str(folder / long_download.PARQUET_NAME)],
        ).fetchall()
    finally:
        con.close()
    assert len(parquet) == len(published)
    for got, pub in zip(parquet, published, strict=True):
        assert got[:3] == pub[:3]
        assert all(_same(a, b) for a, b in zip(got[3:], pub[3:], strict=True)), (got, pub)

    manifest = read_manifest(folder.resolve())
    assert manifest is not None
    assert {d["file"]: d["rows"] for d in manifest["downloads"]} == {
        long_download.CSV_NAME: len(published),
        long_download.PARQUET_NAME: len(published),
    }


def test_download_and_dictionary_are_linked_from_the_outputs_index(demo_build):
    index = (demo_build.home.root / "index.html").read_text(encoding="utf-8")
    for name in (long_download.CSV_NAME, long_download.PARQUET_NAME, long_download.DICTIONARY_NAME):
        assert f'href="exports/{name}"' in index, name
    with (demo_build.home.exports_dir / long_download.DICTIONARY_NAME).open(
        encoding="utf-8", newline=""
    ) as f:
        documented = [r["column"] for r in csv.DictReader(f)]
    assert documented == [c[0] for c in long_download.COLUMNS]


def test_download_csv_neutralises_formulas(demo_build, tmp_path):
    """An area name that a spreadsheet would run is written with a leading apostrophe in the
    CSV, and as it is in the Parquet file."""
    db = tmp_path / "serving.duckdb"
    shutil.copy(demo_build.home.serving_db, db)
    db.chmod(0o644)
    con = duckdb.connect(str(db))
    try:
        con.execute(
            "update rpt_indicator_values set area_name = '=HYPERLINK(\"x\")' "
            "where area_type = 'region'"
        )
    finally:
        con.close()
    out = tmp_path / "out"
    out.mkdir()
    rows = long_download.write_long_download(db, out)
    with (out / long_download.CSV_NAME).open(encoding="utf-8", newline="") as f:
        names = {r["area_name"] for r in csv.DictReader(f)}
    assert '\'=HYPERLINK("x")' in names and '=HYPERLINK("x")' not in names
    con = duckdb.connect()
    try:
        found = con.execute(
            "select count(*) from read_parquet(?) where area_name = '=HYPERLINK(\"x\")'",
            [str(out / long_download.PARQUET_NAME)],
        ).fetchone()
    finally:
        con.close()
    assert found is not None and 0 < found[0] < rows
