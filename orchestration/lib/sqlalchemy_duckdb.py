"""SQLAlchemy reflection of DuckDB files for BI tools: ``duckdb+smw:///<home>/serving.duckdb``.

duckdb-engine (``duckdb://``) runs queries fine, but it reflects through PostgreSQL's catalog
queries, and SQLAlchemy 2.1's ask for ``pg_catalog.pg_collation`` and the ``REGCLASS`` type,
which DuckDB does not have (and DuckDB does not let a database add to ``pg_catalog``). So
``inspect(engine).get_columns`` fails there, and with it every tool that lists columns.

This dialect is duckdb-engine with reflection answered from DuckDB's own catalog functions
(``duckdb_tables()``, ``duckdb_columns()``, ``duckdb_constraints()``, ``duckdb_indexes()``):
tables, views, columns with their types, nullability, defaults and comments (smw publishes the
dbt docs as comments), keys, unique and check constraints, indexes. smw registers it with
SQLAlchemy as ``duckdb+smw`` (``pyproject.toml`` entry point), so any Python tool in an
environment where smw is installed (pandas, Superset, Jupyter) can use it::

    engine = create_engine("duckdb+smw:////srv/warehouse/serving.duckdb",
                           connect_args={"read_only": True})
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from duckdb_engine import Dialect as DuckDBEngineDialect
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import reflection
from sqlalchemy.engine.default import DefaultDialect

_DECIMAL = re.compile(r"^(?:DECIMAL|NUMERIC)\((\d+),\s*(\d+)\)$", re.IGNORECASE)
_VARCHAR = re.compile(r"^VARCHAR\((\d+)\)$", re.IGNORECASE)
#: DuckDB type names SQLAlchemy's PostgreSQL names do not cover.
_DUCKDB_TYPES: dict[str, Any] = {
    "double": sa.Double,
    "float": sa.Float,
    "blob": sa.LargeBinary,
    "bool": sa.Boolean,
    "timestamp with time zone": postgresql.TIMESTAMP(timezone=True),
    "time with time zone": postgresql.TIME(timezone=True),
}


def reflect_type(dialect: DefaultDialect, data_type: str) -> sa.types.TypeEngine:
    """A SQLAlchemy type for a DuckDB type name as ``duckdb_columns()`` spells it."""
    text = data_type.strip()
    if text.endswith("[]"):
        return postgresql.ARRAY(reflect_type(dialect, text[:-2]))
    if m := _DECIMAL.match(text):
        return sa.Numeric(int(m.group(1)), int(m.group(2)))
    if m := _VARCHAR.match(text):
        return sa.String(int(m.group(1)))
    name = text.lower()
    found = _DUCKDB_TYPES.get(name) or dialect.ischema_names.get(name)
    if found is None:
        return sa.types.NullType()
    return found() if isinstance(found, type) else found


class SmwDuckDBDialect(DuckDBEngineDialect):
    """duckdb-engine with reflection from DuckDB's catalog functions."""

    driver = "smw"
    supports_statement_cache = False
    supports_comments = True

    # One table at a time (SQLAlchemy's generic loop over the methods below), not PostgreSQL's
    # catalog-wide queries.
    get_multi_columns = DefaultDialect.get_multi_columns
    get_multi_pk_constraint = DefaultDialect.get_multi_pk_constraint
    get_multi_foreign_keys = DefaultDialect.get_multi_foreign_keys
    get_multi_unique_constraints = DefaultDialect.get_multi_unique_constraints
    get_multi_check_constraints = DefaultDialect.get_multi_check_constraints
    get_multi_table_comment = DefaultDialect.get_multi_table_comment
    get_multi_indexes = DefaultDialect.get_multi_indexes
    get_multi_table_options = DefaultDialect.get_multi_table_options

    def get_table_options(self, connection, table_name, schema=None, **kw):  # type: ignore[no-untyped-def]
        return {}  # no PostgreSQL storage options in DuckDB

    def get_materialized_view_names(self, connection, schema=None, **kw):  # type: ignore[no-untyped-def]
        return []  # DuckDB has none

    def get_temp_view_names(self, connection, schema=None, **kw):  # type: ignore[no-untyped-def]
        return []

    def _where(self, schema: str | None) -> tuple[str, dict[str, Any]]:
        """database and schema filter: None is the current ones; "db.schema" names both."""
        database, schema_name = (None, schema)
        if schema and "." in schema:
            database, schema_name = schema.split(".", 1)
        sql = (
            "database_name = coalesce(:database, current_database()) "
            "and schema_name = coalesce(:schema, current_schema())"
        )
        return sql, {"database": database, "schema": schema_name}

    def _rows(self, connection, sql: str, params: dict[str, Any]) -> list[Any]:  # type: ignore[no-untyped-def]
        return list(connection.execute(sa.text(sql), params).mappings())

    def _constraints(self, connection, table_name: str, schema: str | None, kind: str):  # type: ignore[no-untyped-def]
        where, params = self._where(schema)
        return self._rows(
            connection,
            "select constraint_name, constraint_column_names as columns, expression, "
            "referenced_table, referenced_column_names from duckdb_constraints() "
            f"where {where} and table_name = :table and constraint_type = :kind "
            "order by constraint_index",
            {**params, "table": table_name, "kind": kind},
        )

    def _require_table(self, connection, table_name: str, schema: str | None) -> None:  # type: ignore[no-untyped-def]
        if not self.has_table(connection, table_name, schema):
            raise sa.exc.NoSuchTableError(f"{schema}.{table_name}" if schema else table_name)

    @reflection.cache
    def get_columns(self, connection, table_name, schema=None, **kw):  # type: ignore[no-untyped-def]
        where, params = self._where(schema)
        rows = self._rows(
            connection,
            "select column_name, data_type, is_nullable, column_default, comment "
            f"from duckdb_columns() where {where} and table_name = :table order by column_index",
            {**params, "table": table_name},
        )
        if not rows:
            raise sa.exc.NoSuchTableError(f"{schema}.{table_name}" if schema else table_name)
        return [
            {
                "name": r["column_name"],
                "type": reflect_type(self, r["data_type"]),
                "nullable": bool(r["is_nullable"]),
                "default": r["column_default"],
                "autoincrement": False,
                "comment": r["comment"] or None,
            }
            for r in rows
        ]

    @reflection.cache
    def get_pk_constraint(self, connection, table_name, schema=None, **kw):  # type: ignore[no-untyped-def]
        self._require_table(connection, table_name, schema)
        rows = self._constraints(connection, table_name, schema, "PRIMARY KEY")
        if not rows:
            return {"constrained_columns": [], "name": None}
        return {"constrained_columns": list(rows[0]["columns"]), "name": rows[0]["constraint_name"]}

    @reflection.cache
    def get_foreign_keys(self, connection, table_name, schema=None, **kw):  # type: ignore[no-untyped-def]
        self._require_table(connection, table_name, schema)
        return [
            {
                "name": r["constraint_name"],
                "constrained_columns": list(r["columns"]),
                "referred_schema": schema,
                "referred_table": r["referenced_table"],
                "referred_columns": list(r["referenced_column_names"]),
                "options": {},
            }
            for r in self._constraints(connection, table_name, schema, "FOREIGN KEY")
        ]

    @reflection.cache
    def get_unique_constraints(self, connection, table_name, schema=None, **kw):  # type: ignore[no-untyped-def]
        self._require_table(connection, table_name, schema)
        return [
            {"name": r["constraint_name"], "column_names": list(r["columns"])}
            for r in self._constraints(connection, table_name, schema, "UNIQUE")
        ]

    @reflection.cache
    def get_check_constraints(self, connection, table_name, schema=None, **kw):  # type: ignore[no-untyped-def]
        self._require_table(connection, table_name, schema)
        return [
            {"name": r["constraint_name"], "sqltext": r["expression"]}
            for r in self._constraints(connection, table_name, schema, "CHECK")
        ]

    @reflection.cache
    def get_indexes(self, connection, table_name, schema=None, **kw):  # type: ignore[no-untyped-def]
        self._require_table(connection, table_name, schema)
        where, params = self._where(schema)
        rows = self._rows(
            connection,
            "select index_name, is_unique, expressions from duckdb_indexes() "
            f"where {where} and table_name = :table and not is_primary order by index_name",
            {**params, "table": table_name},
        )
        out = []
        for r in rows:
            exprs = [e.strip().strip('"') for e in (r["expressions"] or "").strip("[]").split(",")]
            out.append(
                {"name": r["index_name"], "column_names": exprs, "unique": bool(r["is_unique"])}
            )
        return out

    @reflection.cache
    def get_table_comment(self, connection, table_name, schema=None, **kw):  # type: ignore[no-untyped-def]
        where, params = self._where(schema)
        rows = self._rows(
            connection,
            f"select comment from duckdb_tables() where {where} and table_name = :table "
            f"union all select comment from duckdb_views() where {where} and view_name = :table",
            {**params, "table": table_name},
        )
        if not rows:
            raise sa.exc.NoSuchTableError(f"{schema}.{table_name}" if schema else table_name)
        return {"text": rows[0]["comment"] or None}


dialect = SmwDuckDBDialect
