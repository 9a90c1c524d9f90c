"""Parquet exports of the published serving tables, for analysts and tools that prefer files.

Each published version is exported into its own folder, ``<home>/export-versions/<version>/``
(one ``<table>.parquet`` per serving table, the long indicator download
``indicator_data_long.csv``/``.parquet`` with its column dictionary
(:mod:`orchestration.lib.long_download`), and a ``manifest.json`` written last).
``<home>/exports`` is a symbolic link to the current version's folder and is replaced with one
``rename``: whoever opens ``exports/`` sees one complete set, the old one or the new one, never
a mix. The previous version's folder is kept until the next publish, so a reader that resolved
the link just before a swap can finish reading it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from orchestration.lib import long_download
from orchestration.lib.long_download import write_long_download
from orchestration.lib.paths import Home

log = logging.getLogger(__name__)

VERSIONS_DIR = "export-versions"
MANIFEST = "manifest.json"
PUBLICATION_TABLE = "_publication"
_LINK_STAGING = ".exports.link"
LEGACY_PREFIX = "legacy-"


class ExportError(RuntimeError):
    pass


@dataclass(frozen=True)
class ExportSet:
    path: Path  # the version folder
    run_id: str
    published_at: str
    tables: dict[str, int]  # table -> rows


def versions_dir(home: Home) -> Path:
    return home.root / VERSIONS_DIR


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
        return None


def current_export(home: Home) -> ExportSet | None:
    """The export set ``<home>/exports`` points at now, if there is one."""
    folder = home.exports_dir
    manifest = read_manifest(folder)
    if manifest is None:
        return None
    return ExportSet(
        folder.resolve(),
        manifest["run_id"],
        manifest["published_at"],
        {t["table"]: t["rows"] for t in manifest["tables"]},
    )


def new_version_folder(home: Home, run_id: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    folder = versions_dir(home) / f"{stamp}-{run_id[:8]}"
    folder.parent.mkdir(parents=True, exist_ok=True)
    return folder


def write_export_set(serving_file: Path, folder: Path) -> ExportSet:
    """Export every table of a serving file to ``folder`` (which must not exist yet)."""
    folder.mkdir(parents=True)
    con = duckdb.connect(str(serving_file), read_only=True)
    try:
        pub = con.execute(
            f"select table_name, row_count, run_id, published_at from {PUBLICATION_TABLE} "
            "order by table_name"
        ).fetchall()
        if not pub:
            raise ExportError(f"{serving_file} records no published tables")
        run_ids = {r[2] for r in pub}
        if len(run_ids) != 1:
            raise ExportError(f"{serving_file} mixes runs in {PUBLICATION_TABLE}: {run_ids}")
        run_id = pub[0][2]
        published_at = pub[0][3].replace(tzinfo=UTC).isoformat(timespec="seconds")
        tables: list[dict[str, Any]] = []
        for table, rows, _, _ in pub:
            target = folder / f"{table}.parquet"
            con.execute(
                f'copy (select * from main."{table}") to {_sql_string(str(target))} '
                "(format parquet, compression zstd)"
            )
            written = con.execute(
                f"select count(*) from read_parquet({_sql_string(str(target))})"
            ).fetchone()
            if written is None or written[0] != rows:
                raise ExportError(f"{target} holds {written} rows, {rows} were published")
            columns = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'main' and table_name = ? order by ordinal_position",
                [table],
            ).fetchall()
            tables.append(
                {
                    "table": table,
                    "file": target.name,
                    "rows": int(rows),
                    "columns": [{"name": n, "type": t} for n, t in columns],
                }
            )
            target.chmod(0o444)
            _fsync(target)
    finally:
        con.close()
    downloads = []
    if "rpt_indicator_values" in {t["table"] for t in tables}:
        long_rows = write_long_download(serving_file, folder)
        for name in (long_download.CSV_NAME, long_download.PARQUET_NAME):
            _fsync(folder / name)
            downloads.append(
                {"file": name, "rows": long_rows, "columns": long_download.DICTIONARY_NAME}
            )
    manifest = {
        "run_id": run_id,
        "published_at": published_at,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tables": tables,
        "downloads": downloads,
    }
    staged = folder / f".{MANIFEST}.tmp"
    staged.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    _fsync(staged)
    os.replace(staged, folder / MANIFEST)  # the manifest marks the set complete
    _fsync(folder)
    return ExportSet(folder, run_id, published_at, {t["table"]: t["rows"] for t in tables})


def swap_in(home: Home, folder: Path) -> None:
    """Point ``<home>/exports`` at ``folder`` with one atomic rename of a symbolic link."""
    if read_manifest(folder) is None:
        raise ExportError(f"{folder} is not a complete export set (no {MANIFEST})")
    link = home.exports_dir
    if link.exists() and not link.is_symlink():
        # An exports folder from before versioned exports: keep it as a version of its own.
        versions_dir(home).mkdir(parents=True, exist_ok=True)
        link.rename(versions_dir(home) / f"{LEGACY_PREFIX}{datetime.now(UTC):%Y%m%dT%H%M%S}")
    staged = home.root / _LINK_STAGING
    staged.unlink(missing_ok=True)
    os.symlink(os.path.relpath(folder, home.root), staged)
    os.replace(staged, link)
    _fsync(home.root)


def prune(home: Home) -> None:
    """Keep the current export folder and the newest other complete one (what a reader may still
    be reading); delete the rest, including folders without a manifest (exports a crash
    interrupted). Call with the build lock held."""
    root = versions_dir(home)
    (home.root / _LINK_STAGING).unlink(missing_ok=True)
    if not root.exists():
        return
    current = home.exports_dir.resolve() if home.exports_dir.is_symlink() else None
    others = sorted(
        (p for p in root.iterdir() if p.is_dir() and p != current and read_manifest(p) is not None),
        key=lambda p: p.name,
    )
    kept = {p for p in (current, *others[-1:]) if p is not None}
    for p in root.iterdir():
        if p in kept or p.name.startswith(LEGACY_PREFIX):  # never delete what smw did not write
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()


def serving_damage(serving_file: Path) -> str | None:
    """Why a published serving file cannot be read (truncated, overwritten, not DuckDB), or None
    when it opens and holds its publication record (or does not exist)."""
    if not serving_file.exists():
        return None
    try:
        con = duckdb.connect(str(serving_file), read_only=True)
        try:
            con.execute(f"select count(*) from {PUBLICATION_TABLE}").fetchall()
        finally:
            con.close()
    except duckdb.Error as e:
        return str(e).splitlines()[0]
    return None


def publication_run_id(serving_file: Path) -> str | None:
    """The run that published ``serving_file``; None when there is none or it is damaged."""
    if not serving_file.exists():
        return None
    try:
        con = duckdb.connect(str(serving_file), read_only=True)
        try:
            row = con.execute(f"select max(run_id) from {PUBLICATION_TABLE}").fetchone()
        finally:
            con.close()
    except duckdb.Error as e:
        log.warning("%s cannot be read (%s)", serving_file, str(e).splitlines()[0])
        return None
    return row[0] if row else None


def sync(home: Home) -> ExportSet | None:
    """Make ``exports`` match the published ``serving.duckdb`` (after a rollback, or when a crash
    fell between swapping serving and swapping exports). Call with the build lock held."""
    run_id = publication_run_id(home.serving_db)
    if run_id is None:
        return None
    current = current_export(home)
    if current is not None and current.run_id == run_id:
        return current
    reuse = [
        p
        for p in (versions_dir(home).iterdir() if versions_dir(home).exists() else [])
        if p.is_dir() and (read_manifest(p) or {}).get("run_id") == run_id
    ]
    if reuse:
        folder = sorted(reuse, key=lambda p: p.name)[-1]
        swap_in(home, folder)
        log.info("exports now point at %s (run %s)", folder, run_id)
        return current_export(home)
    folder = new_version_folder(home, run_id)
    export = write_export_set(home.serving_db, folder)
    swap_in(home, folder)
    log.info("re-exported serving run %s to %s", run_id, folder)
    return export
