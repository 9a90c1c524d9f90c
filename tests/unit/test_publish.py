"""Publish: serving.duckdb is replaced atomically, the previous version is kept, and the Parquet
exports follow it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest

from orchestration.lib import exports, publish
from orchestration.lib.paths import Home
from orchestration.lib.runlock import BuildLockedError, writer_lock


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
    assert home.serving_db.stat().st_mode & 0o777 == 0o444, "published files are read-only"
    if os.geteuid() != 0:  # root may open anything read-write
        with pytest.raises(duckdb.Error):
            duckdb.connect(str(home.serving_db))


def test_publication_records_checksums_readers_can_verify(tmp_path):
    home = Home.at(tmp_path)
    make_warehouse(home, 4)
    result = publish.publish(home, "run-1")
    con = duckdb.connect(str(home.serving_db), read_only=True)
    try:
        for table, rows, checksum in con.execute(
            "select table_name, row_count, checksum from _publication"
        ).fetchall():
            assert con.execute(f"select count(*) from {table}").fetchone()[0] == rows
            assert con.execute(publish.checksum_sql(table)).fetchone()[0] == checksum
            assert result.checksums[table] == checksum
    finally:
        con.close()


def test_exports_every_table_to_parquet_with_a_manifest(tmp_path):
    home = Home.at(tmp_path)
    make_warehouse(home, 3)
    result = publish.publish(home, "run-1")
    assert home.exports_dir.is_symlink()
    assert home.exports_dir.resolve() == result.exports
    manifest = json.loads((home.exports_dir / "manifest.json").read_text())
    assert manifest["run_id"] == "run-1" and manifest["published_at"]
    by_table = {t["table"]: t for t in manifest["tables"]}
    assert set(by_table) == {"rpt_a", "rpt_b"}
    assert by_table["rpt_a"]["rows"] == 3
    assert by_table["rpt_a"]["columns"] == [{"name": "n", "type": "BIGINT"}]
    got = duckdb.sql(
        f"select count(*) from read_parquet('{home.exports_dir / 'rpt_a.parquet'}')"
    ).fetchall()
    assert got == [(3,)]


def test_exports_swap_as_a_set_and_keep_the_previous_set(tmp_path):
    home = Home.at(tmp_path)
    folders = []
    for i, rows in enumerate((3, 5, 7, 9), 1):
        make_warehouse(home, rows)
        folders.append(publish.publish(home, f"run-{i}").exports)
    kept = sorted(exports.versions_dir(home).iterdir())
    assert kept == sorted(folders[-2:]), "current and previous export sets only"
    assert exports.current_export(home).tables == {"rpt_a": 9, "rpt_b": 1}
    assert not (tmp_path / ".exports.link").exists()


def test_a_legacy_exports_folder_is_kept_and_replaced_by_the_link(tmp_path):
    home = Home.at(tmp_path)
    home.exports_dir.mkdir(parents=True)
    (home.exports_dir / "old.csv").write_text("x\n")
    make_warehouse(home, 3)
    publish.publish(home, "run-1")
    assert home.exports_dir.is_symlink()
    assert list(exports.versions_dir(home).glob("legacy-*/old.csv"))


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
    assert exports.current_export(home).run_id == "run-1", "exports follow the rollback"
    publish.rollback(home)  # and rolling back again undoes it
    assert read(home.serving_db, "select min(run_id) from _publication") == [("run-2",)]
    assert exports.current_export(home).run_id == "run-2"
    assert not list(tmp_path.glob(".serving*"))


def test_rollback_without_a_previous_version_is_an_error(tmp_path):
    home = Home.at(tmp_path)
    make_warehouse(home, 3)
    publish.publish(home, "run-1")
    with pytest.raises(publish.PublishError, match="no previous serving version"):
        publish.rollback(home)
    assert read(home.serving_db, "select count(*) from rpt_a") == [(3,)]


def test_publish_and_rollback_wait_for_no_one_while_another_process_builds(tmp_path):
    home = Home.at(tmp_path)
    make_warehouse(home, 3)
    publish.publish(home, "run-1")
    make_warehouse(home, 4)
    publish.publish(home, "run-2")
    # another process holds the build lock: simulate it with a second open file description
    import fcntl

    from orchestration.lib.runlock import lock_path

    fd = os.open(lock_path(home), os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(BuildLockedError):
            publish.rollback(home)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    with writer_lock(home, command="test"):  # the same process may nest (smw build does)
        publish.rollback(home)
    assert read(home.serving_db, "select min(run_id) from _publication") == [("run-1",)]


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

    monkeypatch.setattr(publish, "check_serving_file", broken)
    with pytest.raises(publish.PublishError):
        publish.publish(home, "run-2")
    assert home.serving_db.read_bytes() == before
    assert not list(tmp_path.glob(".serving*"))
    assert exports.current_export(home).run_id == "run-1"
    assert len(list(exports.versions_dir(home).iterdir())) == 1, "no half export set left"


def test_nothing_to_publish_is_an_error(tmp_path):
    home = Home.at(tmp_path)
    home.ensure()
    duckdb.connect(str(home.warehouse_db)).close()
    with pytest.raises(publish.PublishError, match="nothing to publish"):
        publish.publish(home, "run-1")
    assert not home.serving_db.exists()


def _truncate(path: Path, size: int) -> None:
    path.chmod(0o644)
    with open(path, "r+b") as f:
        f.truncate(size)
    path.chmod(0o444)


def test_a_truncated_serving_file_is_reported_rolled_back_and_replaced(tmp_path):
    """Issue 22: a truncated serving.duckdb does not crash status, rollback or the next publish."""
    from orchestration.cli import _published_status

    home = Home.at(tmp_path)
    make_warehouse(home, 3)
    publish.publish(home, "run-1")
    make_warehouse(home, 5)
    publish.publish(home, "run-2")
    _truncate(home.serving_db, 12_288)  # the headers survive, every block is gone
    assert exports.serving_damage(home.serving_db)
    status = _published_status(home)
    assert "DAMAGED" in status and "smw rollback" in status, status
    publish.rollback(home)  # the previous, readable version comes back
    assert exports.serving_damage(home.serving_db) is None
    assert read(home.serving_db, "select max(run_id) from _publication") == [("run-1",)]
    # (after a rollback serving and previous share one file: damage a fresh copy instead)
    home.serving_db.unlink()
    home.serving_db.write_bytes(b"copied over by accident")
    assert exports.serving_damage(home.serving_db)
    make_warehouse(home, 7)
    publish.publish(home, "run-3")  # the next publish replaces the damaged file
    assert read(home.serving_db, "select count(*) from rpt_a") == [(7,)]
    assert exports.serving_damage(home.previous_serving_db) is None  # damage never kept
    assert "DAMAGED" not in _published_status(home)


def test_status_shows_a_build_in_progress(tmp_path, capsys):
    """Issue 22: smw status says a build is running: pid, command, run id, since when."""
    import argparse

    from orchestration.cli import cmd_status

    home = Home.at(tmp_path)
    make_warehouse(home, 2)
    with writer_lock(home, command="smw build", run_id="feedc0de-1234"):
        cmd_status(argparse.Namespace(home=str(tmp_path)))
    out = capsys.readouterr().out
    assert "Running    a build is in progress now" in out, out
    assert f"pid {os.getpid()}" in out and "run feedc0de" in out and "since " in out
    cmd_status(argparse.Namespace(home=str(tmp_path)))
    assert "Running" not in capsys.readouterr().out
