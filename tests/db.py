"""One helper for the tests that read a DuckDB file: a read-only query, the connection closed."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.lib.paths import Home


def rows(db: Path | str | Home, sql: str, params: list | None = None) -> list[tuple]:
    """The rows of one query on ``db`` (a DuckDB file, or a home: its warehouse), read-only."""
    path = db.warehouse_db if isinstance(db, Home) else db
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
