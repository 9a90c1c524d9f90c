"""The warehouse side: the raw and audit tables, the SQL that turns a file into raw rows,
DuckDB's CSV errors in words a supplier can act on, and the linkage key check."""

from __future__ import annotations

import json
import re

import duckdb

from orchestration.lib import spec
from orchestration.lib.landing.model import (
    MAX_LINE_BYTES,
    FileProblem,
)
from orchestration.lib.landing.reading import (
    HeaderMap,
)
from orchestration.lib.pseudonym import (
    KEY_ENV,
    LinkageKey,
    LinkageKeyMismatch,
    sql_hmac,
    sql_pseudonymise,
)

_AUDIT_COLUMNS = (
    "load_id",
    "run_id",
    "source",
    "file_name",
    "status",
    "sha256",
    "bytes",
    "rows",
    "encoding",
    "extra_columns",
    "error",
    "duplicate_of",
    "key_fingerprint",
    "stored_at",
    "landed_at",
    "dropped_columns",
)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw and audit tables, or add the columns a newer specification gained.

    One catalogue query decides what is missing, so landing a single small file stays cheap."""
    existing: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_schema || '.' || table_name, column_name from information_schema.columns "
        "where table_schema in ('raw', 'audit')"
    ).fetchall():
        existing.setdefault(table, set()).add(column)
    if "audit.loads" not in existing:
        con.execute("create schema if not exists raw")
        con.execute("create schema if not exists audit")
        con.execute("create sequence if not exists audit.load_id_seq start 1")
        con.execute(
            """
            create table if not exists audit.loads (
                load_id bigint primary key,
                run_id varchar,
                source varchar not null,
                file_name varchar not null,
                status varchar not null,
                sha256 varchar,
                bytes bigint,
                rows bigint,
                encoding varchar,
                extra_columns varchar,
                error varchar,
                duplicate_of bigint,
                key_fingerprint varchar,
                stored_at varchar,
                landed_at timestamp not null,
                dropped_columns varchar
            )
            """
        )
    elif "dropped_columns" not in existing["audit.loads"]:
        con.execute("alter table audit.loads add column dropped_columns varchar")
    for src in spec.SOURCES:
        have = existing.get(f"raw.{src.name}")
        if have is None:
            cols = [f"{c} varchar" for c in src.raw_columns]
            cols += [
                "_load_id bigint not null",
                "_file_name varchar not null",
                "_row_number bigint not null",
                "_extra json",
            ]
            con.execute(f"create table raw.{src.name} ({', '.join(cols)})")
            continue
        for c in src.raw_columns:
            if c not in have:  # the spec gained an optional column
                con.execute(f"alter table raw.{src.name} add column {c} varchar")


def _select_for(source: spec.Source, hm: HeaderMap) -> str:
    """The SELECT list turning file columns c0..cn into raw columns (identifiers replaced)."""

    def col(name: str) -> str:
        return f"c{hm.positions[name]}" if name in hm.positions else "null"

    parts: list[str] = []
    for c in source.column_names:
        if c in spec.IDENTIFYING_FIELDS:
            continue
        parts.append(f"{col(c)} as {c}")
    if source.person_level:  # computed by sql_pseudonymise in the FROM clause (_from_for)
        parts.append(f"{sql_hmac('_attributor_message', '$ipad', '$opad')} as person_id")
        parts.append("_birth_month as birth_month")
        parts.append("_attributor_status as attributor_status")
    parts.append("$load_id as _load_id")
    parts.append("$file_name as _file_name")
    parts.append("ordinality as _row_number")
    if hm.extra:
        # The extract spec is an allow-list: a column it does not name is dropped. Only its
        # *name* is kept (a JSON array, the same on every row of the file), so that data quality
        # can tell the supplier; its values, which may identify people, are never stored.
        names = json.dumps(sorted(hm.extra)).replace("'", "''")
        parts.append(f"cast('{names}' as json) as _extra")
    else:
        parts.append("null as _extra")
    return ",\n    ".join(parts)


def _from_for(source: spec.Source, hm: HeaderMap, read: str) -> str:
    """The FROM clause: the CSV scan, with the attributor's derivatives for person-level data."""
    scan = f"{read} with ordinality"
    if not source.person_level:
        return scan

    def col(name: str) -> str:
        return f"c{hm.positions[name]}" if name in hm.positions else "null"

    return sql_pseudonymise(scan, *(col(c) for c in spec.ATTRIBUTOR_FIELDS))


def _read_csv_sql(n_cols: int, compression: str) -> str:
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n_cols))
    return (
        "read_csv($path, header = true, auto_detect = false, delim = ',', quote = '\"', "
        f"escape = '\"', columns = {{{columns}}}, compression = '{compression}', "
        f"max_line_size = {MAX_LINE_BYTES}, strict_mode = true, null_padding = false)"
    )


def _chars_sql(n_cols: int) -> str:
    """Characters in one record as DuckDB read it (an empty field reads as NULL: 0)."""
    return " + ".join(f"coalesce(length(c{i}), 0)" for i in range(n_cols))


#: DuckDB's own explanations that may be repeated. Its messages also quote the offending line
#: ("Original Line: ...") which holds identifiers, so nothing else of them is ever kept.
_DUCKDB_REASONS = (
    (re.compile(r"unterminated quote", re.I), "a quoted value is not closed"),
    (re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)"), None),
    (re.compile(r"maximum line size", re.I), "the line is too long"),
    (re.compile(r"invalid state", re.I), "the line does not follow the CSV rules"),
    (re.compile(r"unicode|utf-?8", re.I), "the line holds bytes that are not valid text"),
)


def _friendly_duckdb_error(e: duckdb.Error) -> FileProblem:
    """A file problem from DuckDB's CSV reader refusing the file. Only its invalid-input errors
    are the file's fault; others (out of memory, disk full) stop the run instead of
    quarantining a good file, and the next run lands it."""
    msg = str(e)
    line = re.search(r"CSV Error on Line: (\d+)", msg)
    where = f" at line {line[1]}" if line else ""
    reason = "the file does not follow the CSV rules"
    for pattern, text in _DUCKDB_REASONS:
        m = pattern.search(msg)
        if m:
            reason = text or f"a record has {m[2]} fields where {m[1]} were expected"
            break
    return FileProblem(
        f"the CSV is malformed: DuckDB's CSV reader stopped{where}: {reason}",
        "check that line: every row needs as many fields as the header, quotes must be closed, "
        "and every line must end the same way; export again from the source system",
    )


def warehouse_key_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    """The fingerprint of the linkage key the warehouse's people were pseudonymised with (the
    latest landed file's), or None for a warehouse that has landed nothing."""
    has_audit = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'audit' and table_name = 'loads'"
    ).fetchall()[0][0]
    if not has_audit:
        return None
    rows = con.execute(
        "select key_fingerprint from audit.loads where status = 'loaded' "
        "and key_fingerprint is not null order by load_id desc limit 1"
    ).fetchall()
    return rows[0][0] if rows else None


def check_key_matches(con: duckdb.DuckDBPyConnection, key: LinkageKey) -> None:
    """Refuse to land with a key other than the warehouse's: everyone would silently become a
    new person (issue 22). Nothing is landed; the message says which key is in use, which the
    warehouse expects, and how to restore it."""
    expected = warehouse_key_fingerprint(con)
    if expected is not None and expected != key.fingerprint:
        raise LinkageKeyMismatch(
            f"the linkage key in use (fingerprint {key.fingerprint}, from "
            f"{KEY_ENV if key.origin == 'environment' else key.origin}) is not "
            f"the key this warehouse was built with (fingerprint {expected}); landing nothing, "
            "so that no person becomes a new person. Restore the original key (the backup of "
            f"secrets/linkage.key, or the value of {KEY_ENV} used before) and build again; "
            "to change the key on purpose, run smw rekey (it re-pseudonymises from the archive)."
        )
