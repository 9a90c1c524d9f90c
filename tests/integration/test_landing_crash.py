"""Exactly once under SIGKILL: a landing process killed mid-file leaves nothing of the file, the
warehouse opens and is consistent, and the next run lands the file exactly once; killed after
the commit and before archiving, the next run finishes the move without landing it again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.lib import landing
from orchestration.lib.paths import REPO_ROOT, Home
from orchestration.lib.pseudonym import LinkageKey

pytestmark = pytest.mark.slow

KEY = b"crash-test-linkage-key-0123456789abcdef"
NSP = "ims_nsp_transactions"
HEADER = (
    "transaction_id,agency_code,transaction_date,first_initial,surname_initial,"
    "date_of_birth,sex,substance_injected,needles_issued\n"
)
#: Enough rows that the insert takes a second or more (it logs "inserting" as it starts).
BIG_ROWS = 800_000

LANDER = textwrap.dedent(
    """
    import logging, os, signal, sys
    from pathlib import Path
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    from orchestration.lib import landing
    from orchestration.lib.paths import Home
    from orchestration.lib.pseudonym import LinkageKey
    if sys.argv[3] == "kill-before-archive":
        def die(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)
        landing.Lander._archive = die
    landing.land(Path(sys.argv[1]), Home.at(sys.argv[2]), LinkageKey(KEY, "test"), "crash")
    """
).replace("KEY", repr(KEY))


def write_nsp(path: Path, rows: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        f.write(HEADER)
        f.writelines(
            f"T{i:08d},AG{i % 97:03d},2020-{1 + i % 12:02d}-{1 + i % 28:02d},"
            f"{chr(65 + i % 26)},{chr(65 + i % 23)},19{50 + i % 50}-0{1 + i % 9}-1{i % 10},"
            f"{'MF'[i % 2]},heroin,{i % 50}\n"
            for i in range(rows)
        )


def start_lander(landing_dir: Path, home: Home, log: Path, mode: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.Popen(
        [sys.executable, "-c", LANDER, str(landing_dir), str(home.root), mode],
        stdout=subprocess.DEVNULL,
        stderr=open(log, "w"),  # noqa: SIM115 - closed by the child's exit
        env=env,
        cwd=REPO_ROOT,
    )


def wait_for(log: Path, text: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text():
            return
        if proc.poll() is not None:
            pytest.fail(f"landing ended before '{text}': {log.read_text()[-2000:]}")
        time.sleep(0.02)
    proc.kill()
    pytest.fail(f"'{text}' not logged within {timeout} s")


def query(home: Home, sql: str) -> list[tuple]:
    # read-write: opening replays the write-ahead log the killed process left behind
    con = duckdb.connect(str(home.warehouse_db))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_sigkill_mid_insert_leaves_nothing_and_the_next_run_lands_once(tmp_path: Path):
    landing_dir, home = tmp_path / "landing", Home.at(tmp_path / "home")
    small = landing_dir / NSP / "2020-01.csv"
    write_nsp(small, 10)
    big = landing_dir / NSP / "2020-02.csv"
    write_nsp(big, BIG_ROWS)
    log = tmp_path / "landing.log"

    proc = start_lander(landing_dir, home, log, "normal")
    wait_for(log, f"landing {NSP}/2020-02.csv (load 2): {BIG_ROWS} records, inserting", proc)
    time.sleep(0.25)  # inside the insert (it logs "inserting" just before it begins)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    assert "landed ims_nsp_transactions/2020-02.csv" not in log.read_text(), "killed too late"

    # consistent: the first file complete, nothing of the second, which still waits in landing
    assert query(home, "select file_name, status, rows from audit.loads order by load_id") == [
        ("2020-01.csv", "loaded", 10)
    ]
    assert query(home, f"select _file_name, count(*) from raw.{NSP} group by 1") == [
        ("2020-01.csv", 10)
    ]
    assert big.exists() and not small.exists()
    assert query(home, "pragma database_size")  # opens and answers

    report = landing.land(landing_dir, home, LinkageKey(KEY, "test"), "after-crash")
    assert [(o.file_name, o.status, o.rows) for o in report.outcomes] == [
        ("2020-02.csv", "loaded", BIG_ROWS)
    ]
    assert query(
        home,
        f"select count(*), count(distinct _row_number), count(distinct transaction_id) "
        f"from raw.{NSP} where _file_name = '2020-02.csv'",
    ) == [(BIG_ROWS, BIG_ROWS, BIG_ROWS)]
    assert query(home, "select status, count(*), sum(rows) from audit.loads group by 1") == [
        ("loaded", 2, BIG_ROWS + 10)
    ]
    assert not big.exists()


def test_sigkill_after_commit_before_archiving_is_finished_not_repeated(tmp_path: Path):
    landing_dir, home = tmp_path / "landing", Home.at(tmp_path / "home")
    path = landing_dir / NSP / "2020-01.csv"
    write_nsp(path, 25)
    log = tmp_path / "landing.log"

    proc = start_lander(landing_dir, home, log, "kill-before-archive")
    assert proc.wait(timeout=60) == -signal.SIGKILL
    assert query(home, "select status, rows from audit.loads") == [("loaded", 25)]
    assert path.exists()  # committed, not yet archived

    report = landing.land(landing_dir, home, LinkageKey(KEY, "test"), "after-crash")
    [outcome] = report.outcomes
    assert (outcome.status, outcome.load_id) == ("loaded", 1)  # the same load, finished
    assert Path(outcome.stored_at).read_bytes().startswith(HEADER.encode())
    assert not path.exists()
    assert query(home, f"select count(*) from raw.{NSP}") == [(25,)]
    assert query(home, "select status, count(*) from audit.loads group by 1") == [("loaded", 1)]
