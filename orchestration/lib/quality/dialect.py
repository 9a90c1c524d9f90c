"""A read-only, fully buffered SQLAlchemy dialect for DuckDB, so Great Expectations works on it.

Why this exists (verified on great_expectations 1.24, duckdb-engine 0.17, SQLAlchemy 2.1):

* duckdb-engine's cursor is the DuckDB connection itself, so a statement's result rows live on
  the connection. GX executes a metric query inside ``with engine.connect()`` and fetches the rows
  *after* the block has returned the connection to SQLAlchemy's pool, whose reset-on-return
  rollback discards them. Every bundled metric then comes back empty and GX fails with
  ``IndexError`` in ``resolve_metric_bundle`` (great_expectations issues #10738 and #11579).
  The execution context below reads all rows in ``post_exec`` into SQLAlchemy's
  ``FullyBufferedCursorFetchStrategy`` (the strategy SQLAlchemy itself uses when "a result is to
  be delivered after the database conversation can not be continued"). Metric queries return one
  row, and the example queries GX issues are limited, so buffering costs nothing that matters.
* SQLAlchemy 2.1's PostgreSQL column reflection, which duckdb-engine inherits, joins
  ``pg_catalog.pg_collation``, which DuckDB does not have; GX then falls back to
  ``SELECT * FROM <table>`` *without the schema*, which fails for every table outside ``main``.
  Column reflection is answered here from DuckDB's own ``information_schema`` instead.
* Connections are opened read-only, so validation never takes DuckDB's write lock: it can run
  beside other readers, and it cannot change the warehouse.

The dialect is registered with SQLAlchemy as ``duckdb.buffered``; SQLAlchemy URLs spell a
registry name ``a.b`` as ``a+b``, so the connection string is ``duckdb+buffered:////abs/file``
(see :func:`connection_url`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from duckdb_engine import Dialect as DuckDBDialect
from sqlalchemy.dialects import postgresql, registry
from sqlalchemy.engine.cursor import FullyBufferedCursorFetchStrategy
from sqlalchemy.engine.url import URL

#: The name under which the dialect is registered with SQLAlchemy's dialect registry.
DIALECT_NAME = "duckdb.buffered"
#: The URL scheme for :data:`DIALECT_NAME` (SQLAlchemy maps ``+`` in a scheme to ``.``).
URL_SCHEME = "duckdb+buffered"

# DuckDB type names (as information_schema reports them, parameters stripped) → SQLAlchemy types.
# GX uses these for `table.column_types` and type expectations; unknown types reflect as NullType,
# which GX tolerates.
_TYPES: dict[str, Callable[[], sa.types.TypeEngine[Any]]] = {
    # SQL-standard (upper-case) classes, so `expect_column_values_to_be_of_type` accepts the type
    # names DuckDB shows (VARCHAR, BIGINT, DATE, ...).
    "VARCHAR": sa.VARCHAR,
    "TEXT": sa.VARCHAR,
    "JSON": sa.JSON,
    "BOOLEAN": sa.BOOLEAN,
    "TINYINT": sa.SMALLINT,
    "SMALLINT": sa.SMALLINT,
    "INTEGER": sa.INTEGER,
    "BIGINT": sa.BIGINT,
    "HUGEINT": sa.NUMERIC,
    "UTINYINT": sa.SMALLINT,
    "USMALLINT": sa.INTEGER,
    "UINTEGER": sa.BIGINT,
    "UBIGINT": sa.NUMERIC,
    "DECIMAL": sa.NUMERIC,
    "FLOAT": sa.REAL,
    "REAL": sa.REAL,
    "DOUBLE": sa.DOUBLE,
    "DATE": sa.DATE,
    "TIME": sa.TIME,
    "TIMESTAMP": sa.TIMESTAMP,
    "TIMESTAMP WITH TIME ZONE": lambda: sa.TIMESTAMP(timezone=True),
    "INTERVAL": sa.Interval,
    "BLOB": sa.LargeBinary,
    "UUID": sa.UUID,
}


def _sa_type(duckdb_type: str) -> sa.types.TypeEngine[Any]:
    base = re.sub(r"\(.*\)$", "", duckdb_type.strip()).upper()
    if base.endswith("[]") or base.startswith(("STRUCT", "MAP", "UNION", "LIST")):
        return sa.types.NullType()
    if base == "DECIMAL":
        m = re.search(r"\((\d+)\s*,\s*(\d+)\)", duckdb_type)
        if m:
            return sa.NUMERIC(int(m.group(1)), int(m.group(2)))
    return _TYPES.get(base, sa.types.NullType)()


class BufferedDuckDBExecutionContext(DuckDBDialect.execution_ctx_cls):  # type: ignore[misc,name-defined]
    """Reads every result row as soon as the statement has run (see the module docstring)."""

    def post_exec(self) -> None:
        super().post_exec()
        description = self.cursor.description
        if description is not None:
            # Capture the description with the rows: both belong to the DuckDB connection and
            # would be lost together when it goes back to the pool.
            self.cursor_fetch_strategy = FullyBufferedCursorFetchStrategy(
                self.cursor, alternate_description=description
            )


class BufferedDuckDBDialect(DuckDBDialect):
    """duckdb-engine, with buffered results, DuckDB-native column reflection, and read-only files."""

    # `name` stays "duckdb" so SQL compilation and anything keyed on the dialect name behave as
    # for duckdb-engine; only the driver differs.
    driver = "buffered"
    execution_ctx_cls = BufferedDuckDBExecutionContext
    supports_statement_cache = False

    def create_connect_args(self, url: URL) -> tuple[tuple[Any, ...], dict[str, Any]]:
        args, kwargs = super().create_connect_args(url)
        database = kwargs.get("database")
        if database and database != ":memory:":
            # Validation only reads. Read-only takes a shared lock, so it never blocks (or is
            # blocked by) other readers, and it cannot alter the warehouse by accident.
            kwargs["read_only"] = True
        return args, kwargs

    def get_multi_columns(  # type: ignore[override]
        self,
        connection: sa.Connection,
        schema: str | None = None,
        filter_names: Iterable[str] | None = None,
        scope: Any = None,
        kind: Any = None,
        **kw: Any,
    ) -> list[tuple[tuple[str | None, str], list[dict[str, Any]]]]:
        query = (
            "select table_name, column_name, data_type, is_nullable, column_default "
            "from information_schema.columns where table_schema = $1"
        )
        params: list[Any] = [schema or "main"]
        names = list(filter_names) if filter_names is not None else None
        if names is not None:
            query += " and list_contains($2, table_name)"
            params.append([str(n) for n in names])
        query += " order by table_name, ordinal_position"
        rows = connection.exec_driver_sql(query, tuple(params)).fetchall()
        tables: dict[tuple[str | None, str], list[dict[str, Any]]] = {}
        for table_name, column_name, data_type, is_nullable, default in rows:
            tables.setdefault((schema, table_name), []).append(
                {
                    "name": column_name,
                    "type": _sa_type(data_type),
                    "nullable": is_nullable == "YES",
                    "default": default,
                    "autoincrement": False,
                    "comment": None,
                }
            )
        return list(tables.items())

    def get_pk_constraint(
        self,
        connection: sa.Connection,
        table_name: str,
        schema: str | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        # PostgreSQL's constraint reflection also reaches catalog tables DuckDB lacks; DuckDB
        # knows its own primary keys.
        row = connection.exec_driver_sql(
            "select constraint_column_names from duckdb_constraints() "
            "where constraint_type = 'PRIMARY KEY' and schema_name = $1 and table_name = $2",
            (schema or "main", str(table_name)),
        ).first()
        return {"constrained_columns": list(row[0]) if row else [], "name": None}


def adapt_gx_execution_engine(execution_engine: Any) -> None:
    """Let GX evaluate LIKE and regular-expression conditions on DuckDB.

    GX picks the SQL for like-pattern and regex expectations from the execution engine's
    ``dialect_module``, which it only sets for dialect names it knows; for "duckdb" it is None and
    every such expectation raises "Like patterns are not supported for dialect duckdb" (regex
    likewise). DuckDB implements PostgreSQL's ``LIKE``, ``~`` and ``!~`` with the same
    (partial-match) semantics, and duckdb-engine is a PostgreSQL-derived dialect, so we give GX
    the module it uses for PostgreSQL. The attribute is only read by map-metric conditions (to
    choose operators) and by type comparisons (PostgreSQL's type names), so nothing else changes.
    Call this on ``datasource.get_execution_engine()`` once all assets are added (the datasource
    rebuilds its engine if its configuration changes).
    """
    execution_engine.dialect_module = postgresql


def register() -> None:
    """Register the dialect with SQLAlchemy (idempotent: re-registering replaces the entry)."""
    registry.register(DIALECT_NAME, __name__, BufferedDuckDBDialect.__name__)


def connection_url(db_path: Path | str) -> str:
    """The SQLAlchemy URL of a DuckDB file for this dialect: ``duckdb+buffered:////abs/path``."""
    return f"{URL_SCHEME}:///{Path(db_path).resolve()}"


register()
