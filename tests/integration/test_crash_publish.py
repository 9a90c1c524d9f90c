"""SIGKILL at every file-system step of publish and rollback.

A child process runs ``publish`` (or ``rollback``) and kills itself with SIGKILL just before its
k-th rename, link or symlink (the steps that change what a name points at), for k = 1, 2, ... until one run gets through. After each
kill, serving.duckdb must be a complete version (the old one, or the new one if the swap had
happened), and the next publish's recovery must leave a consistent home: serving, previous and
exports complete and in agreement, no temporary files.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.lib import exports, publish
from orchestration.lib.paths import REPO_ROOT, Home
from tests.unit.test_publish import make_warehouse

CHILD = r"""
import os, signal, sys
sys.path.insert(0, sys.argv[1])
from orchestration.lib import publish
from orchestration.lib.paths import Home

home, op, kill_at = Home.at(sys.argv[2]), sys.argv[3], int(sys.argv[4])
calls = 0

def crashing(fn):
    def step(*args, **kwargs):
        global calls
        calls += 1
        if calls == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return fn(*args, **kwargs)
    return step

for name in ("link", "replace", "rename", "symlink"):
    setattr(os, name, crashing(getattr(os, name)))

if op == "publish":
    publish.publish(home, "run-3")
else:
    publish.rollback(home)
print("finished after", calls, "file-system steps")
"""


def version(path: Path) -> str:
    """The run id of a serving file, after checking it is complete (counts and checksums)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute(
            "select table_name, row_count, checksum, run_id from _publication"
        ).fetchall()
        for table, n, checksum, _ in rows:
            assert con.execute(f"select count(*) from {table}").fetchone()[0] == n
            assert con.execute(publish.checksum_sql(table)).fetchone()[0] == checksum
    finally:
        con.close()
    (run_id,) = {r[3] for r in rows}
    return run_id


def assert_consistent(home: Home) -> None:
    assert not sorted(home.root.glob(".serving.*")), "temporary files left behind"
    assert not (home.root / ".exports.link").exists()
    current = version(home.serving_db)
    assert version(home.previous_serving_db) != current
    export = exports.current_export(home)
    assert export is not None and export.run_id == current
    for table, rows in export.tables.items():
        got = duckdb.sql(f"select count(*) from '{export.path / (table + '.parquet')}'").fetchall()
        assert got == [(rows,)]
    folders = list(exports.versions_dir(home).iterdir())
    assert all(exports.read_manifest(f) for f in folders), "incomplete export folder left"
    assert len(folders) <= 2


@pytest.fixture
def template(tmp_path) -> Home:
    """A home with run-1 as previous, run-2 as current, and a warehouse ready for run-3."""
    home = Home.at(tmp_path / "template")
    make_warehouse(home, 3)
    publish.publish(home, "run-1")
    make_warehouse(home, 5)
    publish.publish(home, "run-2")
    make_warehouse(home, 8)
    return home


@pytest.mark.parametrize(
    ("op", "before", "after"),
    [("publish", "run-2", "run-3"), ("rollback", "run-2", "run-1")],
)
def test_sigkill_at_every_step_leaves_a_complete_version(template, tmp_path, op, before, after):
    kills = 0
    for kill_at in range(1, 60):
        home = Home.at(tmp_path / f"{op}-{kill_at}")
        shutil.copytree(template.root, home.root, symlinks=True)
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(REPO_ROOT), str(home.root), op, str(kill_at)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if child.returncode == 0:
            assert "finished" in child.stdout
            assert version(home.serving_db) == after
            assert_consistent(home)
            break
        assert child.returncode == -9, child.stderr
        kills += 1
        # Readers see a complete version at once, before any recovery ...
        seen = version(home.serving_db)
        assert seen in (before, after), f"kill {kill_at}: serving holds {seen}"
        export = exports.current_export(home)
        assert export is not None and export.run_id in (before, after)
        # ... and the next writer's recovery leaves everything consistent.
        if op == "publish":
            publish.publish(home, "run-4")
            assert version(home.serving_db) == "run-4"
            assert version(home.previous_serving_db) == seen
        else:
            publish.recover(home)
            assert version(home.serving_db) == seen
        assert_consistent(home)
        shutil.rmtree(home.root)
    else:
        pytest.fail("the operation never finished")
    assert kills >= 5, f"only {kills} kill points: the test no longer reaches the swap"
