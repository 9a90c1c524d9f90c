"""The PostgreSQL peer: the landed raw tables copied from the DuckDB warehouse into a
PostgreSQL database, and the same dbt project built there with ``dbt build``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.lib.dbt_launcher import BUILD_EXCLUDES
from orchestration.lib.paths import DBT_PROJECT_DIR

from .postgres import PostgresServer

#: DuckDB column types of the raw and audit tables and what PostgreSQL calls them.
_PG_TYPES = {"VARCHAR": "text", "BIGINT": "bigint", "INTEGER": "integer", "JSON": "jsonb"}


def raw_tables(warehouse_db: Path) -> dict[str, list[tuple[str, str]]]:
    """The raw tables of a warehouse: name -> [(column, DuckDB type)]."""
    con = duckdb.connect(str(warehouse_db), read_only=True)
    try:
        rows = con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = 'raw' order by table_name, ordinal_position"
        ).fetchall()
    finally:
        con.close()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, []).append((column, data_type))
    return tables


def copy_raw_to_postgres(warehouse_db: Path, server: PostgresServer, work_dir: Path) -> int:
    """Export every ``raw.*`` table to CSV with DuckDB and ``COPY`` it into PostgreSQL's
    ``raw`` schema (then ANALYZE, as a DBA would after a bulk load). Returns the rows copied."""
    tables = raw_tables(warehouse_db)
    work_dir.mkdir(parents=True, exist_ok=True)
    src = duckdb.connect(str(warehouse_db), read_only=True)
    pg = server.connect()
    total = 0
    try:
        with pg.cursor() as cur:
            cur.execute("create schema if not exists raw")
            for table, columns in tables.items():
                csv_path = work_dir / f"{table}.csv"
                names = ", ".join(f'"{c}"' for c, _ in columns)
                src.execute(
                    f"copy (select {names} from raw.{table}) to '{csv_path}' (format csv, header false)"
                )
                ddl = ", ".join(f'"{c}" {_PG_TYPES.get(t.upper(), "text")}' for c, t in columns)
                cur.execute(f"drop table if exists raw.{table}")
                cur.execute(f"create table raw.{table} ({ddl})")
                with open(csv_path, encoding="utf-8") as f:
                    cur.copy_expert(f"copy raw.{table} ({names}) from stdin with (format csv)", f)
                total += cur.rowcount if cur.rowcount and cur.rowcount > 0 else 0
                csv_path.unlink()
            cur.execute("analyze")
        pg.commit()
    finally:
        pg.close()
        src.close()
    return total


@dataclass
class DbtRun:
    engine: str
    seconds: float
    success: bool
    target_path: str
    log_tail: str


def dbt_executable() -> str:
    return str(Path(sys.executable).parent / "dbt")


def run_dbt_build(engine: str, env: dict[str, str], target_path: Path, log_path: Path) -> DbtRun:
    """``dbt build`` of the whole project in a subprocess, as ``smw build`` runs it."""
    cmd = [
        dbt_executable(),
        "build",
        *BUILD_EXCLUDES,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target_path),
        "--log-path",
        str(log_path.parent),
        "--no-partial-parse",
    ]
    full_env = {**os.environ, **env}
    t0 = time.monotonic()
    with open(log_path, "w", encoding="utf-8") as out:
        r = subprocess.run(cmd, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    seconds = time.monotonic() - t0
    tail = log_path.read_text(errors="replace").splitlines()[-30:]
    return DbtRun(engine, round(seconds, 2), r.returncode == 0, str(target_path), "\n".join(tail))


def slowest_models(target_path: Path, n: int = 10) -> list[dict[str, object]]:
    """The ``n`` slowest models of a dbt run, from its ``run_results.json``."""
    import json

    results_file = Path(target_path) / "run_results.json"
    if not results_file.exists():
        return []
    results = json.loads(results_file.read_text())["results"]
    models = [
        {"model": r["unique_id"].split(".")[-1], "seconds": round(float(r["execution_time"]), 2)}
        for r in results
        if r["unique_id"].startswith("model.")
    ]
    return sorted(models, key=lambda m: -float(m["seconds"]))[:n]  # type: ignore[arg-type]
