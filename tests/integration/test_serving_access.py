"""Read-only access for analysts and BI tools, and one writer at a time.

- serving.duckdb is readable at any time, through DuckDB or SQLAlchemy (duckdb-engine), and
  read-only connections cannot write;
- the restricted warehouse is readable while no build runs; during a build the analyst gets a
  clear message naming the build, not a lock error;
- a second build is refused with a clear message; a build that died is noticed by the next;
- a build waits for read-only sessions on the warehouse to close, then says who held it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import duckdb
import pytest
import sqlalchemy as sa

from orchestration.cli import main
from orchestration.lib import publish
from orchestration.lib.paths import REPO_ROOT, Home
from orchestration.lib.readers import (
    WarehouseBusyError,
    connect_restricted,
    connect_serving,
    sqlalchemy_url,
)
from orchestration.lib.runlock import (
    BuildLockedError,
    WarehouseInUseError,
    interrupted_build,
    running_build,
    wait_until_writable,
    writer_lock,
)
from tests.unit.test_publish import make_warehouse

HOLD_LOCK = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from orchestration.lib.paths import Home
from orchestration.lib.runlock import record_run_id, writer_lock
with writer_lock(Home.at(sys.argv[2]), command="smw build"):
    record_run_id(Home.at(sys.argv[2]), "run-in-progress")
    print("locked", flush=True)
    time.sleep(600)
"""

HOLD_DATABASE = r"""
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
print("open", flush=True)
time.sleep(float(sys.argv[3]))
con.close()
"""


@pytest.fixture
def home(tmp_path) -> Home:
    home = Home.at(tmp_path / "home")
    make_warehouse(home, 3)
    publish.publish(home, "run-1")
    return home


def start(script: str, *args: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # wait until it holds what it holds
    return proc


def test_serving_through_duckdb_and_sqlalchemy_is_read_only(home):
    con = connect_serving(home)
    try:
        assert con.execute("select count(*) from rpt_a").fetchall() == [(3,)]
        with pytest.raises(duckdb.Error):
            con.execute("create table oops (x int)")
    finally:
        con.close()
    engine = sa.create_engine(sqlalchemy_url(home.serving_db), poolclass=sa.pool.NullPool)
    with engine.connect() as c:
        assert c.execute(sa.text("select count(*) from rpt_a")).scalar() == 3
        with pytest.raises(sa.exc.DBAPIError):
            c.execute(sa.text("create table oops (x int)"))


def test_the_restricted_warehouse_is_refused_clearly_while_a_build_runs(home, capsys):
    con = connect_restricted(home)  # no build: fine
    con.close()
    builder = start(HOLD_LOCK, str(REPO_ROOT), str(home.root))
    try:
        holder = running_build(home)
        assert holder and holder["pid"] == builder.pid and holder["run_id"] == "run-in-progress"
        with pytest.raises(WarehouseBusyError, match="being written by a build") as e:
            connect_restricted(home)
        assert f"pid {builder.pid}" in str(e.value) and str(home.serving_db) in str(e.value)
        assert main(["query", "--home", str(home.root), "--restricted", "select 1"]) == 2
        assert "being written by a build" in capsys.readouterr().err
        # the published tables stay readable
        assert (
            main(["query", "--home", str(home.root), "--csv", "select count(*) n from rpt_a"]) == 0
        )
        assert capsys.readouterr().out.splitlines() == ["n", "3"]
        # and a second build is refused, saying which build runs
        assert main(["build", "--home", str(home.root), "--landing", str(home.root)]) == 4
        assert f"pid {builder.pid}" in capsys.readouterr().out
        with pytest.raises(BuildLockedError):
            publish.rollback(home)
    finally:
        builder.send_signal(signal.SIGKILL)
        builder.wait()
    # the kernel freed the lock; the record says a build died
    assert running_build(home) is None
    assert interrupted_build(home)["run_id"] == "run-in-progress"
    with writer_lock(home, command="next build") as holder:
        assert holder["interrupted"]["pid"] == builder.pid
    assert interrupted_build(home) is None, "a build that ends normally leaves no record"
    connect_restricted(home).close()


def test_a_writer_session_outside_smw_gives_the_same_clear_message(home):
    writer = start(HOLD_DATABASE, str(home.warehouse_db), "rw", "600")
    try:
        with pytest.raises(WarehouseBusyError, match="being written by a build"):
            connect_restricted(home)
    finally:
        writer.kill()
        writer.wait()


def test_a_build_waits_for_readers_then_names_who_holds_the_warehouse(home):
    reader = start(HOLD_DATABASE, str(home.warehouse_db), "ro", "1.5")
    said: list[str] = []
    t0 = time.monotonic()
    wait_until_writable(home.warehouse_db, wait_seconds=30, on_wait=said.append, poll_seconds=0.1)
    assert time.monotonic() - t0 >= 0.5, "it waited for the reader to close"
    assert said and f"PID {reader.pid}" in said[0]
    reader.wait()
    reader = start(HOLD_DATABASE, str(home.warehouse_db), "ro", "600")
    try:
        with pytest.raises(WarehouseInUseError, match=f"PID {reader.pid}"):
            wait_until_writable(home.warehouse_db, wait_seconds=0.3, poll_seconds=0.1)
    finally:
        reader.kill()
        reader.wait()


def test_rollback_command_says_what_is_published_now(home, capsys):
    make_warehouse(home, 5)
    publish.publish(home, "run-2")
    assert main(["rollback", "--home", str(home.root)]) == 0
    out = capsys.readouterr().out
    assert "now holds run run-1" in out
    assert main(["query", "--home", str(home.root), "--csv", "select count(*) n from rpt_a"]) == 0
    assert capsys.readouterr().out.splitlines() == ["n", "3"]
