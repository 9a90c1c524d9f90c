"""The same dbt project on Spark (local mode) gives the same serving tables as on DuckDB.

The DuckDB side is the session's demo build; the Spark side builds the same raw data (exported
as Parquet, as ``smw build --engine spark`` does) with the ``spark`` target. Data tests are
left out of the Spark build: they ran on DuckDB, and here the question is whether the two
engines compute the same rows. Every row of every serving (and mart) table must match: text, integers and
booleans exactly, floating point numbers to 1e-9.
"""

from __future__ import annotations

import math
import time

import duckdb
import pytest

from orchestration.lib import spark

pytestmark = pytest.mark.slow

FLOAT_TOLERANCE = 1e-9


def _rows(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[list[str], list[tuple]]:
    cursor = con.execute(f"select * from {relation}")
    columns = [d[0] for d in cursor.description]
    return columns, cursor.fetchall()


def _sort_key(row: tuple) -> tuple:
    # floats may differ in the last bits between engines: order by them rounded
    return tuple(
        (v is None, round(v, 6) if isinstance(v, float) else v if v is not None else 0) for v in row
    )


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(a, b, rel_tol=FLOAT_TOLERANCE, abs_tol=FLOAT_TOLERANCE)
    return a == b


@pytest.fixture(scope="module")
def spark_build(demo_build, tmp_path_factory):
    problem = spark.spark_available()
    if problem:
        pytest.fail(f"Spark cannot run here: {problem}")
    root = tmp_path_factory.mktemp("spark")
    started = time.monotonic()
    # what smw bench measures: export raw as Parquet, then the dbt build on Spark
    build = spark.bench_spark_build(demo_build.home.warehouse_db, root, data_tests=False)
    print(f"\nSpark local-mode build of the demo: {time.monotonic() - started:.0f} s")
    assert build.seconds > 0 and build.export_seconds > 0  # the figures smw bench reports
    return build


@pytest.mark.parametrize("layer", ["serving", "marts"])
def test_every_row_is_the_same_on_spark(demo_build, spark_build, layer):
    """Serving is what is published; marts are what checks and reports read after a Spark
    build (smw build --engine spark reads both back into DuckDB)."""
    duck = duckdb.connect(str(demo_build.home.warehouse_db), read_only=True)
    try:
        duck_tables = sorted(
            r[0]
            for r in duck.execute(
                "select table_name from information_schema.tables where table_schema = ?",
                [layer],
            ).fetchall()
        )
        spark_tables = spark.read_layer(spark_build.dirs, layer)
        assert sorted(spark_tables) == duck_tables
        mem = duckdb.connect()
        for table in duck_tables:
            columns, expected = _rows(duck, f"{layer}.{table}")
            spark_columns, got = _rows(mem, spark_tables[table])
            assert spark_columns == columns, table
            assert len(got) == len(expected), f"{table}: {len(got)} rows on Spark, {len(expected)}"
            assert expected, f"{table} is empty: the comparison would prove nothing"
            for want, have in zip(
                sorted(expected, key=_sort_key), sorted(got, key=_sort_key), strict=True
            ):
                differ = [
                    (c, w, h)
                    for c, w, h in zip(columns, want, have, strict=True)
                    if not _same(w, h)
                ]
                assert not differ, f"{table}: row {want} differs on Spark: {differ}"
    finally:
        duck.close()
