"""The Spark engine's plain parts: choosing the engine and the raw Parquet export (no JVM)."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.lib import spark, spec


def test_engine_comes_from_the_argument_then_the_environment(monkeypatch):
    monkeypatch.delenv(spark.ENGINE_ENV, raising=False)
    assert spark.selected_engine() == "duckdb"
    monkeypatch.setenv(spark.ENGINE_ENV, "spark")
    assert spark.selected_engine() == "spark"
    assert spark.selected_engine("duckdb") == "duckdb"
    monkeypatch.setenv(spark.ENGINE_ENV, "sparkk")
    with pytest.raises(ValueError, match="SMW_DBT_TARGET.*duckdb, spark"):
        spark.selected_engine()


def _raw_warehouse(path, skip=()):
    con = duckdb.connect(str(path))
    con.execute("create schema raw")
    for source in spec.SOURCES:
        if source.name in skip:
            continue
        con.execute(
            f"create table raw.{source.name} (record_id varchar, _load_id bigint, _extra json)"
        )
        con.execute(
            f"insert into raw.{source.name} values ('a', 1, null), ('b''s', 2, '{{\"x\": 1}}')"
        )
    con.close()


def test_export_writes_every_raw_table_as_parquet_with_json_as_text(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _raw_warehouse(db)
    out = tmp_path / "raw"
    rows = spark.export_raw(db, out)
    assert rows == {s.name: 2 for s in spec.SOURCES}
    con = duckdb.connect()
    for source in spec.SOURCES:
        files = list((out / source.name).glob("*.parquet"))
        assert len(files) == 1, source.name
        types = dict(
            con.execute(f"describe select * from '{files[0]}'").fetchall()[i][:2] for i in range(3)
        )
        assert types == {"record_id": "VARCHAR", "_load_id": "BIGINT", "_extra": "VARCHAR"}
        assert con.execute(f"select record_id, _extra from '{files[0]}' order by 1").fetchall() == [
            ("a", None),
            ("b's", '{"x": 1}'),
        ]
    # a second export replaces the first, leaving no staging folders behind
    spark.export_raw(db, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(s.name for s in spec.SOURCES)


def test_export_names_a_missing_raw_table(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _raw_warehouse(db, skip={"population"})
    with pytest.raises(RuntimeError, match=r"raw\.population is missing"):
        spark.export_raw(db, tmp_path / "raw")
