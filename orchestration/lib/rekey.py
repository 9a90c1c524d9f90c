"""``smw rekey``: re-pseudonymise the whole warehouse with a new linkage key (issue 22 §3).

Raw never holds identifiers, so new pseudonyms can only come from the files as received, which
the archive keeps. Every loaded file of a person-level source is read again from the archive by
landing's own code (strict reading, transcoding, the two readers agreeing, the pseudonymising
scan: :meth:`landing.Lander.read_for_insert` and :meth:`landing.Lander.rows_sql`), and its raw
rows get the new ``person_id``, ``birth_month`` and ``attributor_status`` by load id and record
number. All of it is one DuckDB transaction, with ``audit.loads`` taking the new key's
fingerprint and ``audit.rekeys`` a record of the change: either every raw row carries the new
pseudonyms, or nothing changed. The new key file replaces ``secrets/linkage.key`` only after the
commit (it is written, owner-only, beside it first, so a key whose pseudonyms were committed is
never lost).

Before anything is changed the archive is checked: every file ``audit.loads`` records as loaded
must be there with the content it had when it landed. A file that can no longer be read, or no
longer gives the rows raw holds, stops the rekey naming the file and the record.

The next build rebuilds every dbt model from scratch (``state/full_refresh_required.json``):
incremental models keep rows by load id and would otherwise keep the old pseudonyms.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.lib import landing, spec
from orchestration.lib.paths import Home
from orchestration.lib.pseudonym import LinkageKey, install_key_file, stage_key_file
from orchestration.lib.verify import stored_path

log = logging.getLogger(__name__)

FULL_REFRESH_FLAG = "full_refresh_required.json"
#: How many missing files the refusal lists by name (the count is always given).
_LIST_AT_MOST = 20


class RekeyError(RuntimeError):
    """The archive cannot re-derive the warehouse (a file missing, changed or unreadable), or
    there is nothing to re-key. Nothing was changed."""


@dataclass
class RekeyResult:
    old_fingerprint: str
    new_fingerprint: str
    files: int  # person-level files re-read from the archive
    rows: int  # raw rows that received new pseudonyms
    committed: bool  # false for a dry run
    key_file: Path | None  # where the new key was written (None: dry run, or key only in env)


@dataclass(frozen=True)
class _Load:
    load_id: int
    source: str
    file_name: str
    sha256: str
    rows: int
    path: Path


def full_refresh_required(home: Home) -> dict | None:
    """Why the next build must rebuild every dbt model from scratch, or None."""
    try:
        return json.loads((home.state_dir / FULL_REFRESH_FLAG).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"reason": f"{FULL_REFRESH_FLAG} is unreadable; rebuilding to be safe"}


def require_full_refresh(home: Home, reason: str) -> Path:
    path = home.state_dir / FULL_REFRESH_FLAG
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    record = {"reason": reason, "at": datetime.now(UTC).isoformat(timespec="seconds")}
    staged.write_text(json.dumps(record) + "\n", encoding="utf-8")
    os.chmod(staged, 0o600)
    os.replace(staged, path)
    return path


def clear_full_refresh(home: Home) -> None:
    (home.state_dir / FULL_REFRESH_FLAG).unlink(missing_ok=True)


def _loaded_files(con: duckdb.DuckDBPyConnection, home: Home) -> list[_Load]:
    rows = con.execute(
        "select load_id, source, file_name, sha256, rows, stored_at from audit.loads "
        "where status = 'loaded' order by load_id"
    ).fetchall()
    loads = []
    for load_id, source, file_name, sha, n, stored_at in rows:
        if not stored_at:
            raise RekeyError(
                f"audit.loads records load {load_id} ({source}/{file_name}) as loaded but not "
                "where it was archived; the archive cannot re-derive it. Nothing was changed."
            )
        loads.append(
            _Load(
                int(load_id),
                source,
                file_name,
                sha or "",
                int(n or 0),
                stored_path(home, stored_at),
            )
        )
    return loads


def _missing(loads: list[_Load], home: Home) -> None:
    missing = [ld for ld in loads if not ld.path.is_file()]
    if not missing:
        return
    named = "; ".join(
        f"{ld.path.relative_to(home.root)} (load {ld.load_id}, {ld.source}/{ld.file_name})"
        for ld in missing[:_LIST_AT_MOST]
    )
    more = f" and {len(missing) - _LIST_AT_MOST} more" if len(missing) > _LIST_AT_MOST else ""
    raise RekeyError(
        f"{len(missing)} archived file(s) that audit.loads records as landed are missing: "
        f"{named}{more}. Without them their people cannot be re-pseudonymised. Restore them "
        "into the archive from backup (smw verify lists what is missing) and run smw rekey "
        "again. Nothing was changed."
    )


def _where(home: Home, ld: _Load) -> str:
    return f"{ld.path.relative_to(home.root)} (load {ld.load_id}, {ld.source}/{ld.file_name})"


def _rederive(lander: landing.Lander, home: Home, ld: _Load) -> int:
    """Give the raw rows of one archived file their new pseudonyms; returns the rows updated."""
    source = spec.SOURCES_BY_NAME[ld.source]
    con = lander.con
    reading = landing.read_strictly(ld.path)
    try:
        sha = reading.hashed()[0]
    except OSError as e:
        raise RekeyError(
            f"{_where(home, ld)} cannot be read ({e.strerror or e}). Nothing was changed."
        ) from None
    if ld.sha256 and sha != ld.sha256:
        raise RekeyError(
            f"{_where(home, ld)} is not the file that landed: its content hash is {sha[:16]}..., "
            f"audit.loads records {ld.sha256[:16]}.... Restore the original from backup. "
            "Nothing was changed."
        )
    try:
        with lander.read_for_insert(source, ld.path, reading) as (
            readable,
            compression,
            header,
            hm,
            scan,
        ):
            lander.check_readers_agree(readable, compression, header, scan)
            params = lander.params(source, readable, ld.load_id, ld.file_name)
            derived = lander.rows_sql(source, hm, len(header), compression)
            try:
                res = con.execute(
                    f"update raw.{source.name} as r set person_id = n.person_id, "
                    "birth_month = n.birth_month, attributor_status = n.attributor_status "
                    f"from ({derived}) as n "
                    "where r._load_id = $load_id and r._row_number = n._row_number",
                    params,
                ).fetchone()
            except duckdb.InvalidInputException as e:
                raise landing._friendly_duckdb_error(e) from None
            updated = int(res[0]) if res else 0
            held = con.execute(
                f"select count(*) from raw.{source.name} where _load_id = ?", [ld.load_id]
            ).fetchone()
            held_rows = int(held[0]) if held else 0
            if updated != held_rows or held_rows != ld.rows:
                first = con.execute(
                    f"select min(_row_number) from raw.{source.name} where _load_id = $load_id "
                    f"and _row_number not in (select _row_number from ({derived}))",
                    params,
                ).fetchone()
                row = (
                    f"; raw record {first[0]} has no record in the file"
                    if first and first[0] is not None
                    else ""
                )
                raise RekeyError(
                    f"{_where(home, ld)} gives {scan.records:,} record(s) but raw holds "
                    f"{held_rows:,} rows of it and audit.loads records {ld.rows:,}{row}; "
                    "smw verify reconciles them. Nothing was changed."
                )
    except landing.FileProblem as p:
        raise RekeyError(
            f"{_where(home, ld)} can no longer be read as it was when it landed: {p.problem}. "
            "Nothing was changed."
        ) from None
    return updated


def _no_rows_left_behind(con: duckdb.DuckDBPyConnection, todo: list[_Load]) -> None:
    """Raw rows of a load that ``audit.loads`` does not record as loaded would keep the old
    pseudonyms (raw and the audit disagree: ``smw verify`` names it)."""
    done = {ld.load_id for ld in todo}
    for source in spec.SOURCES:
        if not source.person_level:
            continue
        for load_id, n in con.execute(
            f"select _load_id, count(*) from raw.{source.name} group by _load_id order by 1"
        ).fetchall():
            if int(load_id) not in done:
                raise RekeyError(
                    f"raw.{source.name} holds {n:,} rows of load {load_id}, which audit.loads "
                    "does not record as loaded, so no archived file can re-pseudonymise them; "
                    "run smw verify and resolve it first. Nothing was changed."
                )


def rekey(
    home: Home,
    new_key: LinkageKey,
    *,
    dry_run: bool = False,
    write_key_file: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
) -> RekeyResult:
    """Re-pseudonymise every raw row with ``new_key`` from the archive, in one transaction;
    then (``write_key_file``) put the new key in ``secrets/linkage.key``. Hold the build lock
    while calling. Raises :class:`RekeyError` with nothing changed."""
    if not home.warehouse_db.exists():
        raise RekeyError(f"{home.warehouse_db} does not exist: nothing to re-key")
    con = landing.connect(home)
    staged: Path | None = None
    flag_was_there = full_refresh_required(home) is not None
    flag_written = False
    committed = False
    try:
        old = landing.warehouse_key_fingerprint(con)
        if old is None:
            raise RekeyError(
                "the warehouse holds no landed file, so no pseudonym: nothing to re-key "
                "(the first build creates the key, or uses SMW_LINKAGE_KEY)"
            )
        if old == new_key.fingerprint:
            raise RekeyError(
                f"the new key is the key the warehouse already uses (fingerprint {old}): "
                "nothing to re-key"
            )
        loads = _loaded_files(con, home)
        _missing(loads, home)
        run_id = f"rekey-{uuid.uuid4()}"
        lander = landing.Lander(con, home, new_key, run_id, check_key=False)
        todo = [ld for ld in loads if spec.SOURCES_BY_NAME[ld.source].person_level]
        if not dry_run:
            if write_key_file:
                staged = stage_key_file(home.key_file, new_key)
            require_full_refresh(home, f"smw rekey to key {new_key.fingerprint}")
            flag_written = True
        rows = 0
        con.execute("begin transaction")
        try:
            for i, ld in enumerate(todo, 1):
                rows += _rederive(lander, home, ld)
                if progress:
                    progress(i, len(todo), f"{ld.source}/{ld.file_name}")
            _no_rows_left_behind(con, todo)
            con.execute(
                "update audit.loads set key_fingerprint = ? where key_fingerprint is not null",
                [new_key.fingerprint],
            )
            con.execute(
                "create table if not exists audit.rekeys (rekeyed_at timestamp not null, "
                "run_id varchar not null, old_fingerprint varchar not null, "
                "new_fingerprint varchar not null, files bigint not null, rows bigint not null)"
            )
            con.execute(
                "insert into audit.rekeys values (?, ?, ?, ?, ?, ?)",
                [
                    datetime.now(UTC).replace(tzinfo=None),
                    run_id,
                    old,
                    new_key.fingerprint,
                    len(todo),
                    rows,
                ],
            )
            if dry_run:
                con.execute("rollback")
            else:
                con.execute("commit")
                committed = True
        except BaseException:
            if not committed:
                con.execute("rollback")
            raise
        if not dry_run:
            if staged is not None:
                try:
                    install_key_file(staged, home.key_file)
                except OSError as e:
                    raise RekeyError(
                        f"the warehouse now uses the new key (fingerprint {new_key.fingerprint}) "
                        f"but it could not be put in {home.key_file} ({e.strerror or e}); it is "
                        f"in {staged}: move it there (mode 600) before the next build"
                    ) from e
                staged = None
            con.execute("checkpoint")
        log.info(
            "rekey: %d files, %d rows, key %s -> %s", len(todo), rows, old, new_key.fingerprint
        )
        return RekeyResult(
            old,
            new_key.fingerprint,
            len(todo),
            rows,
            committed=not dry_run,
            key_file=home.key_file if write_key_file and not dry_run else None,
        )
    except BaseException:
        if not committed:  # nothing changed: the staged key and the flag go too
            if staged is not None:
                staged.unlink(missing_ok=True)
            if flag_written and not flag_was_there:
                clear_full_refresh(home)
        raise
    finally:
        con.close()
