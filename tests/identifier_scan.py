"""Scan a DuckDB file for attributor identifiers that must never be stored (extract spec)."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from orchestration.lib import spec

CODE_COLUMNS = {c.name for s in spec.SOURCES for c in s.columns if c.type == "code"} | {
    "code",
    "sex",
}


def write_sent(sent: list[tuple], path: Path) -> None:
    """(source, file, row number, dob form, first initial, surname initial) rows, as CSV.

    DuckDB's executemany is slow for 100k rows; read_csv is not.
    """
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(sent)


def find_identifier_leaks(db: Path, sent_csv: Path) -> list[str]:
    """Where identifiers sent in extracts appear in ``db``; empty when none do.

    Looks for: a column named after an identifier; a column most of whose distinct values are
    dates of birth that were sent; a free-text column made only of single letters (initials);
    and, in tables with landing lineage, a record holding its own date of birth anywhere.
    """
    leaks: list[str] = []
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute(
            "create temp table sent as select * from read_csv(?, header = false, "
            "columns = {'source': 'varchar', 'file_name': 'varchar', 'row_number': 'bigint', "
            "'dob': 'varchar', 'fi': 'varchar', 'si': 'varchar'})",
            [str(sent_csv)],
        )
        # Base tables only: views store nothing, so a view can only show what tables hold.
        cols = con.execute(
            "select c.table_schema, c.table_name, c.column_name, c.data_type "
            "from information_schema.columns as c join information_schema.tables as t "
            "on t.table_schema = c.table_schema and t.table_name = c.table_name "
            "and t.table_catalog = c.table_catalog "
            "where t.table_type = 'BASE TABLE' and c.table_catalog = current_database() "
            "and c.table_schema not in ('information_schema', 'pg_catalog')"
        ).fetchall()
        by_table: dict[tuple[str, str], dict[str, str]] = {}
        for schema, table, column, dtype in cols:
            by_table.setdefault((schema, table), {})[column] = dtype
        for (schema, table), columns in by_table.items():
            rel = f'"{schema}"."{table}"'
            for column, dtype in columns.items():
                where = f"{schema}.{table}.{column}"
                if column in spec.IDENTIFYING_FIELDS:
                    leaks.append(f"identifier column {where}")
                if dtype not in ("VARCHAR", "JSON", "DATE"):
                    continue
                text = (
                    f"strftime(\"{column}\", '%Y-%m-%d')"
                    if dtype == "DATE"
                    else f'cast("{column}" as varchar)'
                )
                n, hits = con.execute(
                    f"select count(distinct {text}), count(distinct {text}) filter "
                    f"(where {text} in (select dob from sent)) from {rel}"
                ).fetchone()
                if n >= 20 and hits > n / 2:
                    leaks.append(f"dates of birth in {where}")
                if dtype == "VARCHAR" and column not in CODE_COLUMNS:
                    n, single = con.execute(
                        f'select count("{column}"), count(*) filter '
                        f"(where regexp_full_match(\"{column}\", '[A-Za-z]')) from {rel}"
                    ).fetchone()
                    if n and single == n:
                        leaks.append(f"initials-like values in {where}")
            if "_file_name" in columns and "_row_number" in columns:
                text_cols = [c for c, d in columns.items() if d in ("VARCHAR", "JSON", "DATE")]
                checks = " or ".join(
                    f"strftime(t.\"{c}\", '%Y-%m-%d') = s.dob"
                    if columns[c] == "DATE"
                    else f'strpos(cast(t."{c}" as varchar), s.dob) > 0'
                    for c in text_cols
                )
                n = con.execute(
                    f"select count(*) from {rel} as t join sent as s on s.file_name = t._file_name "
                    f"and s.row_number = t._row_number and s.dob <> '' where {checks}"
                ).fetchone()[0]
                if n:
                    leaks.append(f"{n} records of {schema}.{table} hold their own date of birth")
    finally:
        con.close()
    return leaks
