"""PostgreSQL serving: the published tables on a PostgreSQL server, for BI tools on other machines.

With ``SMW_POSTGRES_URL`` set (``postgresql://user:password@host:5432/dbname``), every build
that publishes also loads what it published (serving.duckdb, every table and ``_publication``)
into one schema of that database (``SMW_POSTGRES_SCHEMA``, default ``serving``);
``smw publish --postgres URL`` loads the version published now. Without it smw stays DuckDB-only.

- **One transaction.** Every table is emptied and refilled (``DELETE`` + ``COPY``; a table whose
  columns changed is dropped and created again) and ``_publication`` is replaced in one
  transaction, after the row counts are checked inside it: a reader sees the old version or the
  new one, never half, and a load that fails (server gone, a value PostgreSQL refuses, a
  count that does not match) leaves the previous version as it was.
- **A read-only role.** ``smw_reader`` (created if missing; its password set from
  ``SMW_POSTGRES_READER_PASSWORD`` when given) gets ``USAGE`` on the schema and ``SELECT`` on its
  tables, nothing else; its sessions are read-only by default too. BI tools connect as it.
- **Descriptions.** Table and column comments come from serving.duckdb, where publish wrote the
  dbt docs (``lib/serving_docs.py``).

The user in the URL needs to create the schema and tables (and the role, unless it exists).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import duckdb

from orchestration.lib.serving_docs import TableDoc, comment_statements

URL_ENV = "SMW_POSTGRES_URL"
SCHEMA_ENV = "SMW_POSTGRES_SCHEMA"
READER_PASSWORD_ENV = "SMW_POSTGRES_READER_PASSWORD"
DEFAULT_SCHEMA = "serving"
READER_ROLE = "smw_reader"
#: How long the load waits for a lock (a reader's long transaction on a table being replaced).
LOCK_TIMEOUT = "5min"
#: Seconds to wait for the server to answer (an unreachable host fails the step, never hangs it).
CONNECT_TIMEOUT = 15

_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")
#: DuckDB column types as PostgreSQL types (what the serving tables use, and a little more).
_PG_TYPES = {
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "numeric(38,0)",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20,0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "INTERVAL": "interval",
    "UUID": "uuid",
    "BLOB": "bytea",
}


class PostgresServingError(RuntimeError):
    """The load into PostgreSQL failed; the previous version there is unchanged."""


@dataclass(frozen=True)
class PostgresLoad:
    url: str  # without the password
    schema: str
    tables: dict[str, int]  # table -> rows
    run_id: str
    seconds: float


@dataclass(frozen=True)
class _Column:
    name: str
    duckdb_type: str
    pg_type: str
    comment: str | None


def configured_url() -> str | None:
    return os.environ.get(URL_ENV) or None


def configured_schema() -> str:
    return os.environ.get(SCHEMA_ENV) or DEFAULT_SCHEMA


def libpq_url(url: str) -> str:
    """A libpq URL from a SQLAlchemy-style one (``postgresql+psycopg2://`` works too)."""
    scheme, rest = url.split("://", 1) if "://" in url else ("", url)
    if scheme.split("+", 1)[0] not in ("postgresql", "postgres"):
        raise PostgresServingError(
            f"{URL_ENV} must be a postgresql:// URL (postgresql://user:password@host:5432/db), "
            f"not {redact(url)}"
        )
    return f"postgresql://{rest}"


def redact(url: str) -> str:
    """The URL without its password, for logs and messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if parts.password is not None:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    query = re.sub(r"(?i)(^|&)(password)=[^&]*", r"\1\2=***", parts.query)
    return urlunsplit(parts._replace(query=query))


def _scrub(message: str, url: str) -> str:
    """A driver message with the URL's password (if it ever echoes it) replaced by ***."""
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    secret = os.environ.get(READER_PASSWORD_ENV)
    for p in (password, secret):
        if p:
            message = message.replace(p, "***")
    return message


def _one_line(error: BaseException) -> str:
    """A driver message on one line (libpq adds hints on lines of their own)."""
    return " ".join(line.strip() for line in str(error).strip().splitlines() if line.strip())


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def pg_type(duckdb_type: str, where: str) -> str:
    text = duckdb_type.strip().upper()
    if m := _DECIMAL.match(text):
        return f"numeric({m.group(1)},{m.group(2)})"
    if text.endswith("[]"):
        return pg_type(text[:-2], where) + "[]"
    found = _PG_TYPES.get(text)
    if found is None:
        raise PostgresServingError(f"{where}: DuckDB type {duckdb_type} has no PostgreSQL type")
    return found


def _read_serving(serving_db: Path) -> tuple[dict[str, list[_Column]], dict[str, int], str]:
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        tables: dict[str, list[_Column]] = {}
        for table, column, dtype, comment in con.execute(
            "select table_name, column_name, data_type, comment from duckdb_columns() "
            "where database_name = current_database() and schema_name = 'main' "
            "order by table_name, column_index"
        ).fetchall():
            tables.setdefault(table, []).append(
                _Column(column, dtype, pg_type(dtype, f"{serving_db}: {table}.{column}"), comment)
            )
        counts = {
            t: int(con.execute(f"select count(*) from main.{_ident(t)}").fetchone()[0])
            for t in tables
        }
        run = con.execute("select max(run_id) from _publication").fetchone()
    finally:
        con.close()
    if "_publication" not in tables:
        raise PostgresServingError(f"{serving_db} has no _publication table: not a published file")
    return tables, counts, str(run[0] if run else "")


def _export_csv(serving_db: Path, tables: list[str], folder: Path) -> dict[str, Path]:
    """Every table as CSV (NULL empty, empty strings quoted: what PostgreSQL's COPY reads)."""
    con = duckdb.connect(str(serving_db), read_only=True)
    files = {}
    try:
        for t in tables:
            path = folder / f"{t}.csv"
            con.execute(
                f"copy (select * from main.{_ident(t)}) to {_literal(str(path))} "
                "(format csv, header false)"
            )
            files[t] = path
    finally:
        con.close()
    return files


def _table_comment(serving_db: Path) -> dict[str, str]:
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        return {
            t: c
            for t, c in con.execute(
                "select table_name, comment from duckdb_tables() "
                "where database_name = current_database() and schema_name = 'main'"
            ).fetchall()
            if c
        }
    finally:
        con.close()


def _ensure_reader(cur, schema: str) -> None:  # type: ignore[no-untyped-def]
    password = os.environ.get(READER_PASSWORD_ENV)
    cur.execute("select 1 from pg_roles where rolname = %s", (READER_ROLE,))
    if cur.fetchone() is None:
        cur.execute(f"create role {READER_ROLE} login")
        cur.execute(f"alter role {READER_ROLE} set default_transaction_read_only = on")
    if password:
        cur.execute(f"alter role {READER_ROLE} password {_literal(password)}")
    cur.execute(f"grant usage on schema {_ident(schema)} to {READER_ROLE}")
    # SELECT only, even for a role someone created with more: no CREATE, no writes.
    cur.execute(f"revoke create on schema {_ident(schema)} from {READER_ROLE}")
    cur.execute(f"revoke all on all tables in schema {_ident(schema)} from {READER_ROLE}")
    cur.execute(f"grant select on all tables in schema {_ident(schema)} to {READER_ROLE}")


def _existing_columns(cur, schema: str) -> dict[str, list[tuple[str, str]]]:  # type: ignore[no-untyped-def]
    cur.execute(
        "select c.relname, a.attname, format_type(a.atttypid, a.atttypmod) "
        "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped "
        "where n.nspname = %s and c.relkind = 'r' order by c.relname, a.attnum",
        (schema,),
    )
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, ctype in cur.fetchall():
        out.setdefault(table, []).append((column, ctype))
    return out


def _same_type(existing: str, wanted: str) -> bool:
    aliases = {"timestamp": "timestamp without time zone", "time": "time without time zone"}
    aliases["timestamptz"] = "timestamp with time zone"
    return existing == aliases.get(wanted, wanted)


def load_serving(serving_db: Path, url: str, schema: str = DEFAULT_SCHEMA) -> PostgresLoad:
    """Load every table of a published serving.duckdb into ``schema``, in one transaction."""
    import psycopg2

    t0 = time.monotonic()
    try:
        tables, counts, run_id = _read_serving(serving_db)
        table_comments = _table_comment(serving_db)
    except duckdb.Error as e:
        raise PostgresServingError(
            f"cannot read {serving_db}: {str(e).splitlines()[0]}; nothing loaded into PostgreSQL"
        ) from None  # the message carries the driver's; smw's summary shows it
    order = sorted(t for t in tables if t != "_publication") + ["_publication"]
    try:
        con = psycopg2.connect(libpq_url(url), connect_timeout=CONNECT_TIMEOUT)
    except psycopg2.Error as e:
        raise PostgresServingError(
            "PostgreSQL load failed: "
            f"cannot connect to PostgreSQL at {redact(url)}: {_scrub(_one_line(e), url)}"
        ) from None  # the message carries the driver's; smw's summary shows it
    current = ""
    try:
        with tempfile.TemporaryDirectory(prefix="smw-pg-load-") as tmp:
            files = _export_csv(serving_db, order, Path(tmp))
            with con:  # one transaction: commit at the end, roll back on any error
                with con.cursor() as cur:
                    cur.execute(f"set local lock_timeout = {_literal(LOCK_TIMEOUT)}")
                    cur.execute(f"create schema if not exists {_ident(schema)}")
                    existing = _existing_columns(cur, schema)
                    for t in order:
                        current = t
                        cols = tables[t]
                        rel = f"{_ident(schema)}.{_ident(t)}"
                        same = len(existing.get(t, [])) == len(cols) and all(
                            name == c.name and _same_type(ctype, c.pg_type)
                            for (name, ctype), c in zip(existing.get(t, []), cols, strict=True)
                        )
                        if same:
                            cur.execute(f"delete from {rel}")
                        else:
                            cur.execute(f"drop table if exists {rel}")
                            columns = ", ".join(f"{_ident(c.name)} {c.pg_type}" for c in cols)
                            cur.execute(f"create table {rel} ({columns})")
                        with open(files[t], encoding="utf-8") as f:
                            cur.copy_expert(f"copy {rel} from stdin with (format csv)", f)
                        cur.execute(f"select count(*) from {rel}")
                        got = cur.fetchone()[0]
                        if got != counts[t]:
                            raise PostgresServingError(
                                f"{t}: {got} rows loaded into PostgreSQL, {counts[t]} published"
                            )
                        cur.execute(f"comment on table {rel} is null")
                        for statement in comment_statements(
                            t,
                            _doc(table_comments.get(t), cols),
                            [c.name for c in cols],
                            schema=schema,
                        ):
                            cur.execute(statement)
                    current = ""
                    for gone in sorted(set(existing) - set(order)):  # no longer published
                        cur.execute(f"drop table {_ident(schema)}.{_ident(gone)}")
                    _ensure_reader(cur, schema)
    except psycopg2.Error as e:
        where = f" loading {current}" if current else ""
        raise PostgresServingError(
            f"PostgreSQL load into {redact(url)} schema {schema} failed{where}: "
            f"{_scrub(str(e).strip().splitlines()[0], url)}; the previous version there is "
            "unchanged"
        ) from None  # the message carries the driver's; smw's summary shows it
    except PostgresServingError as e:
        raise PostgresServingError(
            f"PostgreSQL load into {redact(url)} schema {schema} failed: {e}; "
            "the previous version there is unchanged"
        ) from None
    finally:
        con.close()
    return PostgresLoad(
        redact(url),
        schema,
        {t: counts[t] for t in order},
        run_id,
        round(time.monotonic() - t0, 2),
    )


def _doc(table_comment: str | None, cols: list[_Column]) -> TableDoc:
    return TableDoc(table_comment or "", {c.name: c.comment for c in cols if c.comment})
