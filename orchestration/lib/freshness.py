"""How fresh each raw source is: rows held, files landed, when the newest file arrived, and the
latest event date in the data. Plain Python for the Dagster metadata, checks and ``smw status``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from orchestration.lib import spec
from orchestration.lib.sql_parsing import parse_date_sql

#: How often a supplier sends each kind of extract, with slack: monthly transaction extracts
#: (sources with an event date) and yearly reference or snapshot files.
MONTHLY_EXTRACT_DAYS = 45
YEARLY_EXTRACT_DAYS = 400


def expected_every(source: spec.Source) -> timedelta:
    return timedelta(days=MONTHLY_EXTRACT_DAYS if source.date_column else YEARLY_EXTRACT_DAYS)


@dataclass(frozen=True)
class SourceState:
    source: str
    rows: int
    files_loaded: int
    last_landed_at: datetime | None  # UTC, naive as DuckDB stores it
    last_data_date: date | None  # newest event date not in the future

    def age(self, now: datetime | None = None) -> timedelta | None:
        if self.last_landed_at is None:
            return None
        now = now or datetime.now(UTC).replace(tzinfo=None)
        return now - self.last_landed_at

    def is_fresh(self, source: spec.Source, now: datetime | None = None) -> bool:
        age = self.age(now)
        return age is not None and age <= expected_every(source)


def source_states(warehouse_db: Path) -> dict[str, SourceState]:
    """The state of every raw source (empty when nothing has landed yet)."""
    if not warehouse_db.exists():
        return {}
    con = duckdb.connect(str(warehouse_db), read_only=True)
    try:
        have = {
            (s, t)
            for s, t in con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_schema in ('raw', 'audit')"
            ).fetchall()
        }
        loads: dict[str, tuple[int, datetime | None]] = {}
        if ("audit", "loads") in have:
            loads = {
                s: (int(n), at)
                for s, n, at in con.execute(
                    "select source, count(*), max(landed_at) from audit.loads "
                    "where status = 'loaded' group by source"
                ).fetchall()
            }
        states: dict[str, SourceState] = {}
        for src in spec.SOURCES:
            if ("raw", src.name) not in have:
                continue
            last_date_sql = (
                f"max(case when {parse_date_sql(src.date_column)} <= current_date "
                f"then {parse_date_sql(src.date_column)} end)"
                if src.date_column
                else "null"
            )
            row = con.execute(f"select count(*), {last_date_sql} from raw.{src.name}").fetchone()
            rows, last_date = (int(row[0]), row[1]) if row else (0, None)
            files, landed_at = loads.get(src.name, (0, None))
            states[src.name] = SourceState(src.name, rows, files, landed_at, last_date)
        return states
    finally:
        con.close()
