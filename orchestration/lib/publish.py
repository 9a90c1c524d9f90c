"""Publish: copy the serving layer into a new DuckDB file, check it, swap it in atomically.

Readers (BI tools, analysts) only ever open ``<home>/serving.duckdb``. It is replaced with one
``rename``: a reader either opens the old complete file or the new complete file, never half of
a build, and a reader that already has the old file open keeps reading it undisturbed. The
previous version stays beside it as ``serving.previous.duckdb`` for rollback, and the Parquet
exports (``lib/exports.py``) follow the serving file.

Crash safety. Every temporary name starts with ``.serving.``; a crash (even SIGKILL) at any
point leaves ``serving.duckdb`` a complete version, and :func:`recover`, which every publish and
rollback runs first under the build lock, removes what a crash left behind and finishes a
rotation that was cut short. A rotation (publish or rollback) is:

1. ``link(serving.duckdb, .serving.outgoing.duckdb)``: a second name for the current version;
2. ``rename(incoming, serving.duckdb)``: the one atomic step readers can observe;
3. ``rename(.serving.outgoing.duckdb, serving.previous.duckdb)``.

If ``.serving.outgoing.duckdb`` is still there, the crash fell between 1 and 3: when it is the
same file as ``serving.duckdb`` step 2 never happened (drop the extra name), otherwise step 2
happened (finish step 3).
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.lib import exports
from orchestration.lib.paths import Home
from orchestration.lib.runlock import writer_lock
from orchestration.lib.serving_docs import comment_statements, serving_docs

log = logging.getLogger(__name__)

SERVING_SCHEMA = "serving"
PUBLICATION_TABLE = "_publication"
STAGED_PREFIX = ".serving."
OUTGOING = ".serving.outgoing.duckdb"
ROLLBACK_INCOMING = ".serving.rollback.duckdb"
#: Checksums are sums of DuckDB row hashes folded into a BIGINT (compare with the same DuckDB).
CHECKSUM_MODULUS = 9223372036854775783


class PublishError(RuntimeError):
    pass


@dataclass(frozen=True)
class PublishResult:
    path: Path
    tables: dict[str, int]  # table -> rows
    published_at: datetime
    run_id: str
    checksums: dict[str, int] = field(default_factory=dict)
    exports: Path | None = None
    seconds: float = 0.0


def checksum_sql(relation: str) -> str:
    """A query returning one order-independent checksum of every row of ``relation``.

    Readers can run it to check that what they read is what was published (``_publication``)."""
    return f"select coalesce((sum(hash(t)) % {CHECKSUM_MODULUS})::bigint, 0) from {relation} as t"


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


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    if row is None or row[0] is None:
        raise PublishError(f"no result from {sql}")
    return int(row[0])


def build_serving_file(
    home: Home, run_id: str, target: Path
) -> tuple[dict[str, int], dict[str, int]]:
    """Write every serving-schema table of the warehouse into a fresh DuckDB file.

    Returns row counts and checksums per table, both checked against the warehouse."""
    tables = serving_tables(home.warehouse_db)
    if not tables:
        raise PublishError(
            f"no tables in schema {SERVING_SCHEMA} of {home.warehouse_db}: nothing to publish"
        )
    target.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    checksums: dict[str, int] = {}
    con = duckdb.connect(str(target))
    try:
        con.execute(f"attach {_sql_string(str(home.warehouse_db))} as warehouse (read_only)")
        published_at = datetime.now(UTC).replace(tzinfo=None)
        for t in tables:
            source = f'warehouse.{SERVING_SCHEMA}."{t}"'
            copy = f'main."{t}"'
            con.execute(f"create table {copy} as select * from {source}")
            src_rows = _scalar(con, f"select count(*) from {source}")
            dst_rows = _scalar(con, f"select count(*) from {copy}")
            src_sum = _scalar(con, checksum_sql(source))
            dst_sum = _scalar(con, checksum_sql(copy))
            if src_rows != dst_rows or src_sum != dst_sum:
                raise PublishError(
                    f"{t} differs after copy: {src_rows} rows (checksum {src_sum}) in the "
                    f"warehouse, {dst_rows} rows (checksum {dst_sum}) in {target.name}"
                )
            counts[t] = dst_rows
            checksums[t] = dst_sum
        con.execute(
            f"create table main.{PUBLICATION_TABLE} (table_name varchar, row_count bigint, "
            "checksum bigint, run_id varchar, published_at timestamp)"
        )
        con.executemany(
            f"insert into main.{PUBLICATION_TABLE} values (?, ?, ?, ?, ?)",
            [[t, counts[t], checksums[t], run_id, published_at] for t in tables],
        )
        con.execute("detach warehouse")
        _comment_tables(con, [*tables, PUBLICATION_TABLE])
        con.execute("checkpoint")
    finally:
        con.close()
    # Published files are read-only: a tool that tries to open one read-write gets an error
    # instead of locking it (renames and unlinks need only the folder to be writable).
    target.chmod(0o444)
    _fsync(target)
    return counts, checksums


def _comment_tables(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    """Table and column comments from the dbt docs, for BI tools (lib/serving_docs.py)."""
    try:
        docs = serving_docs()
    except FileNotFoundError as e:
        log.warning("published without table and column comments: %s", e)
        return
    for t in tables:
        columns = [
            r[0]
            for r in con.execute(
                "select column_name from duckdb_columns() where database_name = "
                "current_database() and schema_name = 'main' and table_name = ? "
                "order by column_index",
                [t],
            ).fetchall()
        ]
        for statement in comment_statements(t, docs.get(t), columns, schema="main"):
            con.execute(statement)


def check_serving_file(path: Path, counts: dict[str, int], checksums: dict[str, int]) -> None:
    """Open a serving file as a reader would; every table must be there, complete and equal to
    what ``_publication`` records."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        recorded = {
            t: (n, c)
            for t, n, c in con.execute(
                f"select table_name, row_count, checksum from {PUBLICATION_TABLE}"
            ).fetchall()
        }
        expected = {t: (counts[t], checksums[t]) for t in counts}
        if recorded != expected:
            raise PublishError(f"{path.name}: {PUBLICATION_TABLE} does not match the copy")
        for t, (n, c) in expected.items():
            got = (
                _scalar(con, f'select count(*) from main."{t}"'),
                _scalar(con, checksum_sql(f'main."{t}"')),
            )
            if got != (n, c):
                raise PublishError(f"staged serving file is incomplete: {t} {got} != {(n, c)}")
    finally:
        con.close()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _rotate_in(home: Home, incoming: Path) -> None:
    """Make ``incoming`` the serving database; the current one becomes the previous version."""
    current = home.serving_db
    outgoing = home.root / OUTGOING
    damage = exports.serving_damage(current)
    if damage:  # never keep a damaged file as the version to roll back to
        log.warning("replacing a damaged %s (%s); the previous version is kept", current, damage)
    if current.exists() and not damage:
        outgoing.unlink(missing_ok=True)
        os.link(current, outgoing)
        _fsync(home.root)
    os.replace(incoming, current)  # atomic: readers see old or new, never a mix
    _fsync(home.root)
    if outgoing.exists():
        os.replace(outgoing, home.previous_serving_db)
        _fsync(home.root)


def recover(home: Home) -> list[str]:
    """Finish or undo what a crash interrupted; remove temporary files. Returns what was done.

    Call with the build lock held (publish and rollback do)."""
    done: list[str] = []
    current, outgoing = home.serving_db, home.root / OUTGOING
    if outgoing.exists():
        if current.exists() and os.path.samefile(outgoing, current):
            outgoing.unlink()
            done.append("an interrupted swap had not replaced serving.duckdb: kept it")
        elif not current.exists():
            os.replace(outgoing, current)
            done.append("serving.duckdb was missing: restored the version being replaced")
        else:
            os.replace(outgoing, home.previous_serving_db)
            done.append("finished an interrupted swap: kept the replaced version as previous")
    for p in sorted(home.root.glob(STAGED_PREFIX + "*")):
        p.unlink(missing_ok=True)
        done.append(f"removed {p.name}")
    if done:
        _fsync(home.root)
    exports.prune(home)
    before = exports.current_export(home)
    after = exports.sync(home)
    if after is not None and (before is None or before.run_id != after.run_id):
        done.append(f"exports now match serving.duckdb (run {after.run_id[:8]})")
    for line in done:
        log.warning("recovery: %s", line)
    return done


def _previous_tables(home: Home) -> set[str]:
    if not home.serving_db.exists() or exports.serving_damage(home.serving_db):
        return set()
    con = duckdb.connect(str(home.serving_db), read_only=True)
    try:
        rows = con.execute(f"select table_name from {PUBLICATION_TABLE}").fetchall()
    except duckdb.Error:
        return set()
    finally:
        con.close()
    return {r[0] for r in rows}


def publish(home: Home, run_id: str, *, export: bool = True) -> PublishResult:
    """Build, check and swap in a new serving.duckdb (and its Parquet exports)."""
    t0 = time.monotonic()
    home.ensure()
    with writer_lock(home, command="publish", run_id=run_id):
        recover(home)
        staged = home.root / f"{STAGED_PREFIX}{run_id}.duckdb"
        folder: Path | None = None
        swapped = False
        try:
            counts, checksums = build_serving_file(home, run_id, staged)
            check_serving_file(staged, counts, checksums)
            gone = _previous_tables(home) - set(counts)
            if gone:
                log.warning("no longer published (no model builds them): %s", ", ".join(gone))
            export_set = None
            if export:
                folder = exports.new_version_folder(home, run_id)
                export_set = exports.write_export_set(staged, folder)
            _rotate_in(home, staged)
            swapped = True
            if export_set is not None:
                exports.swap_in(home, export_set.path)
                exports.prune(home)
        finally:
            for p in (staged, Path(f"{staged}.wal")):
                p.unlink(missing_ok=True)
            if folder is not None and not swapped and folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
    log.info("published %d tables to %s", len(counts), home.serving_db)
    return PublishResult(
        home.serving_db,
        counts,
        datetime.now(UTC),
        run_id,
        checksums,
        export_set.path if export_set else None,
        round(time.monotonic() - t0, 2),
    )


def rollback(home: Home) -> Path:
    """Swap the previous serving version back in (the current one becomes the previous)."""
    with writer_lock(home, command="rollback"):
        recover(home)
        prev = home.previous_serving_db
        if not prev.exists():
            raise PublishError(f"no previous serving version at {prev}")
        incoming = home.root / ROLLBACK_INCOMING
        incoming.unlink(missing_ok=True)
        os.link(prev, incoming)
        _rotate_in(home, incoming)
        exports.sync(home)
        exports.prune(home)
    return home.serving_db
