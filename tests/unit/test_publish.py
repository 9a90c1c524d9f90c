"""Publish: serving.duckdb is replaced atomically and the previous version is kept."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.lib import publish
from orchestration.lib.paths import Home


def make_warehouse(home: Home, rows: int, extra_schema_table: bool = True) -> None:
    home.ensure()
    con = duckdb.connect(str(home.warehouse_db))
    con.execute("create schema if not exists serving")
    con.execute("create schema if not exists marts")
    con.execute("create or replace table serving.rpt_a as select range as n from range(?)", [rows])
    con.execute("create or replace table serving.rpt_b as select 'x' as label")
    if extra_schema_table:
        con.execute("create or replace table marts.fct_restricted as select 1 as person_count")
    con.close()


def read(path: Path, sql: str):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_publishes_only_the_serving_schema(tmp_path):
    home = Home.at(tmp_path)
    make_warehouse(home, 3)
    result = publish.publish(home, "run-1")
    assert result.tables == {"rpt_a": 3, "rpt_b": 1}
    tables = {
        r[0] for r in read(home.serving_db, "select table_name from information_schema.tables")
    }
    assert tables == {"rpt_a", "rpt_b", "_publication"}
    assert read(home.serving_db, "select count(*), min(run_id) from _publication") == [(2, "run-1")]
    assert not list(tmp_path.glob(".serving*")), "staging files must be cleaned up"


def test_keeps_previous_version_and_rolls_back(tmp_path):
    home = Home.at(tmp_path)
    make_warehouse(home, 3)
    publish.publish(home, "run-1")
    make_warehouse(home, 5)
    publish.publish(home, "run-2")
    assert read(home.serving_db, "select count(*) from rpt_a") == [(5,)]
    assert read(home.previous_serving_db, "select count(*) from rpt_a") == [(3,)]
    publish.rollback(home)
    assert read(home.serving_db, "select count(*) from rpt_a") == [(3,)]
    assert read(home.previous_serving_db, "select count(*) from rpt_a") == [(5,)]


def test_a_reader_holding_the_old_file_keeps_a_complete_view(tmp_path):
    home = Home.at(tmp_path)
    make_warehouse(home, 3)
    publish.publish(home, "run-1")
    reader = duckdb.connect(str(home.serving_db), read_only=True)
    try:
        make_warehouse(home, 7)
        publish.publish(home, "run-2")
        assert reader.execute("select count(*) from rpt_a").fetchall() == [(3,)]
    finally:
        reader.close()
    assert read(home.serving_db, "select count(*) from rpt_a") == [(7,)]


def test_failed_publish_leaves_serving_unchanged(tmp_path, monkeypatch):
    home = Home.at(tmp_path)
    make_warehouse(home, 3)
    publish.publish(home, "run-1")
    before = home.serving_db.read_bytes()
    make_warehouse(home, 9)

    def broken(*a, **k):
        raise publish.PublishError("simulated failure while checking the staged file")

    monkeypatch.setattr(publish, "_check_readable", broken)
    with pytest.raises(publish.PublishError):
        publish.publish(home, "run-2")
    assert home.serving_db.read_bytes() == before
    assert not list(tmp_path.glob(".serving*"))


def test_nothing_to_publish_is_an_error(tmp_path):
    home = Home.at(tmp_path)
    home.ensure()
    duckdb.connect(str(home.warehouse_db)).close()
    with pytest.raises(publish.PublishError, match="nothing to publish"):
        publish.publish(home, "run-1")
    assert not home.serving_db.exists()
