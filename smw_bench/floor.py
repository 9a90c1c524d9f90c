"""The floor: the least a build can do with the same files, bare DuckDB ``read_csv`` of every
extract into one table per source (no checks, no pseudonyms, no lineage, no models)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb


@dataclass
class FloorResult:
    seconds: float
    files: int
    rows: int
    #: files bare read_csv cannot read at all (the build quarantines these too)
    unreadable: list[str] = field(default_factory=list)


def extract_files(landing: Path) -> dict[str, list[Path]]:
    """``<landing>/<source>/*.csv[.gz]`` by source, in name order."""
    files: dict[str, list[Path]] = {}
    for source_dir in sorted(p for p in landing.iterdir() if p.is_dir()):
        found = sorted(
            p for p in source_dir.iterdir() if p.name.endswith((".csv", ".csv.gz")) and p.is_file()
        )
        if found:
            files[source_dir.name] = found
    return files


def _read_sql(paths: list[Path], encoding: str) -> str:
    listed = ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths)
    return (
        f"select * from read_csv([{listed}], header = true, all_varchar = true, "
        f"union_by_name = true, encoding = '{encoding}')"
    )


def load_floor(landing: Path, db_path: Path) -> FloorResult:
    """Read every extract under ``landing`` into ``db_path``: one table per source, every
    column text, all of a source's files in one ``read_csv``. When that fails (a file that is
    not UTF-8, or not CSV at all) the source's files are read one at a time, as UTF-8 or else
    Latin-1; a file unreadable either way is listed and skipped."""
    sources = extract_files(landing)
    db_path.unlink(missing_ok=True)
    t0 = time.monotonic()
    con = duckdb.connect(str(db_path))
    unreadable: list[str] = []
    try:
        for source, paths in sources.items():
            table = f'"{source}"'
            try:
                con.execute(f"create table {table} as {_read_sql(paths, 'utf-8')}")
                continue
            except duckdb.Error:
                con.execute(f"drop table if exists {table}")
            parts: list[str] = []
            for i, path in enumerate(paths):
                part = f'"_floor_{source}_{i}"'
                for encoding in ("utf-8", "latin-1"):
                    try:
                        con.execute(f"create table {part} as {_read_sql([path], encoding)}")
                        parts.append(part)
                        break
                    except duckdb.Error:
                        continue
                else:
                    unreadable.append(f"{source}/{path.name}")
            if parts:
                union = " union all by name ".join(f"select * from {p}" for p in parts)
                con.execute(f"create table {table} as {union}")
                for part in parts:
                    con.execute(f"drop table {part}")
        rows = sum(
            int(con.execute(f'select count(*) from "{s}"').fetchone()[0])  # type: ignore[index]
            for s in sources
            if con.execute(
                "select count(*) from information_schema.tables where table_name = ?", [s]
            ).fetchone()[0]  # type: ignore[index]
        )
        con.execute("checkpoint")
    finally:
        con.close()
    files = sum(len(p) for p in sources.values())
    return FloorResult(round(time.monotonic() - t0, 2), files, rows, unreadable)
