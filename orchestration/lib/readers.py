"""Read-only access for people and tools (the README's "Reading the warehouse").

- ``serving.duckdb`` can be read at any time: a build never opens it, it replaces it with one
  rename, so a reader sees one complete version and never waits.
- The restricted warehouse (``warehouse.duckdb``) can be read while no build runs. DuckDB lets
  one process write a file or many processes read it, not both; during a build it is locked,
  and :func:`connect_restricted` says so clearly instead of failing with a lock error.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.lib.paths import Home
from orchestration.lib.runlock import describe_holder, running_build


class WarehouseBusyError(RuntimeError):
    """A build holds the restricted warehouse."""


def sqlalchemy_url(database: Path) -> str:
    """The SQLAlchemy URL for a read-only connection, as BI tools take it: smw's dialect
    (duckdb-engine with reflection that works, ``lib/sqlalchemy_duckdb.py``)."""
    return f"duckdb+smw:///{Path(database).resolve()}?access_mode=read_only"


def connect_serving(home: Home) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published serving database."""
    if not home.serving_db.exists():
        raise FileNotFoundError(f"nothing is published yet: {home.serving_db} does not exist")
    return duckdb.connect(str(home.serving_db), read_only=True)


def _busy_message(home: Home, detail: str) -> str:
    return (
        f"the restricted warehouse {home.warehouse_db} is being written by a build ({detail}); "
        "it can be read again when the build ends (smw status shows it). "
        f"The published tables can be read now: {home.serving_db}"
    )


def connect_restricted(home: Home) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the restricted warehouse, if no build is running.

    Close it soon: while it is open a new build waits for it (and fails after a while)."""
    if not home.warehouse_db.exists():
        raise FileNotFoundError(f"no warehouse at {home.warehouse_db}: run smw build first")
    holder = running_build(home)
    if holder is not None:
        raise WarehouseBusyError(_busy_message(home, describe_holder(holder)))
    try:
        return duckdb.connect(str(home.warehouse_db), read_only=True)
    except duckdb.IOException as e:
        if "lock" in str(e).lower():
            raise WarehouseBusyError(_busy_message(home, str(e).split(". See")[0])) from None
        raise
