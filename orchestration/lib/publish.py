"""Publish: copy the serving layer into a new DuckDB file, check it, swap it in atomically.

Readers (BI tools, analysts) only ever open ``<home>/serving.duckdb``. It is replaced with one
``rename``: a reader either opens the old complete file or the new complete file, never half of
a build, and a reader that already has the old file open keeps reading it undisturbed. The
previous version stays beside it as ``serving.previous.duckdb`` for rollback.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.lib.paths import Home

log = logging.getLogger(__name__)

SERVING_SCHEMA = "serving"
PUBLICATION_TABLE = "_publication"


class PublishError(RuntimeError):
    pass


@dataclass(frozen=True)
class PublishResult:
    path: Path
    tables: dict[str, int]  # table -> rows
    published_at: datetime
    run_id: str


def serving_tables(warehouse_db: Path) -> list[str]:
    con = duckdb.connect(str(warehouse_db), read_only=True)
    try:
        rows = con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
            [SERVING_SCHEMA],
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def build_serving_file(home: Home, run_id: str, target: Path) -> dict[str, int]:
    """Write every serving-schema table of the warehouse into a fresh DuckDB file."""
    tables = serving_tables(home.warehouse_db)
    if not tables:
        raise PublishError(
            f"no tables in schema {SERVING_SCHEMA} of {home.warehouse_db}: nothing to publish"
        )
    target.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    con = duckdb.connect(str(target))
    try:
        con.execute(f"attach {_sql_string(str(home.warehouse_db))} as warehouse (read_only)")
        published_at = datetime.now(UTC).replace(tzinfo=None)
        for t in tables:
            con.execute(
                f'create table main."{t}" as select * from warehouse.{SERVING_SCHEMA}."{t}"'
            )
            src = con.execute(f'select count(*) from warehouse.{SERVING_SCHEMA}."{t}"').fetchone()
            dst = con.execute(f'select count(*) from main."{t}"').fetchone()
            if src is None or dst is None or src[0] != dst[0]:
                raise PublishError(f"row count of {t} differs after copy ({src} vs {dst})")
            counts[t] = int(dst[0])
        con.execute(
            f"create table main.{PUBLICATION_TABLE} (table_name varchar, row_count bigint, "
            "run_id varchar, published_at timestamp)"
        )
        con.executemany(
            f"insert into main.{PUBLICATION_TABLE} values (?, ?, ?, ?)",
            [[t, n, run_id, published_at] for t, n in counts.items()],
        )
        con.execute("detach warehouse")
        con.execute("checkpoint")
    finally:
        con.close()
    return counts


def swap_in(home: Home, new_file: Path) -> None:
    """Make ``new_file`` the serving database; keep the current one as the previous version."""
    current = home.serving_db
    if current.exists():
        staged_previous = home.root / f".serving.previous.{os.getpid()}.duckdb"
        staged_previous.unlink(missing_ok=True)
        os.link(current, staged_previous)  # a second name for the current version
        os.replace(staged_previous, home.previous_serving_db)
    os.replace(new_file, current)  # atomic: readers see old or new, never a mix
    _fsync_dir(home.root)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(home: Home, run_id: str) -> PublishResult:
    home.ensure()
    staged = home.root / f".serving.{run_id}.duckdb"
    try:
        counts = build_serving_file(home, run_id, staged)
        _check_readable(staged, counts)
        swap_in(home, staged)
    finally:
        staged.unlink(missing_ok=True)
        Path(str(staged) + ".wal").unlink(missing_ok=True)
    log.info("published %d tables to %s", len(counts), home.serving_db)
    return PublishResult(home.serving_db, counts, datetime.now(UTC), run_id)


def _check_readable(path: Path, counts: dict[str, int]) -> None:
    """Open the staged file as a reader would and check every table is there and complete."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        for t, n in counts.items():
            row = con.execute(f'select count(*) from main."{t}"').fetchone()
            if row is None or row[0] != n:
                raise PublishError(f"staged serving file is incomplete: {t}")
    finally:
        con.close()


def rollback(home: Home) -> Path:
    """Swap the previous serving version back in (the current one becomes the previous)."""
    prev = home.previous_serving_db
    if not prev.exists():
        raise PublishError(f"no previous serving version at {prev}")
    current = home.serving_db
    staged = home.root / f".serving.rollback.{os.getpid()}.duckdb"
    os.link(prev, staged)
    if current.exists():
        staged_prev = home.root / f".serving.previous.{os.getpid()}.duckdb"
        os.link(current, staged_prev)
        os.replace(staged, current)
        os.replace(staged_prev, prev)
    else:
        os.replace(staged, current)
    _fsync_dir(home.root)
    return current
