"""The dbt project on Spark: raw tables as Parquet in, every layer as Parquet tables out.

Landing does not change with the engine. It validates, pseudonymises and audits every file into
``<home>/warehouse.duckdb`` (schema ``raw``) exactly as before: that step is about files, not
scale, and it is where the one-transaction-per-file and no-identifiers guarantees live. When
Spark is the engine, the raw tables are then written as Parquet, one folder per source
(:func:`export_raw`), and the dbt project runs with the ``spark`` target: the on-run-start hook
``register_raw_sources`` (``dbt_project/macros/engines/spark_sources.sql``) registers each
folder as the external table ``raw.<source>``, so ``source()`` means the same on both engines. Spark writes every model it
builds as a Parquet table under its warehouse folder; :func:`read_layer` lets DuckDB read them,
and :func:`import_layers` copies the layers that quality checks and publishing read (marts and
serving) into the DuckDB warehouse, so everything after dbt is the same for both engines.

Local mode (the dbt profile's ``spark`` target, method ``session``) starts Spark inside dbt's
process with an in-memory catalogue: a build starts from an empty Spark folder and leaves only
Parquet behind. A real cluster uses the thrift or http (Databricks) settings documented in
``dbt_project/profiles.yml`` and the README, with ``SMW_SPARK_RAW_LOCATION`` pointing at the
uploaded raw Parquet (object storage the cluster reads).

Callers: ``smw build --engine spark`` runs dbt through the Dagster dbt asset, between
:func:`prepare_local_build` and :func:`import_layers`; the engine comparison test calls
:func:`build_on_spark` (raw Parquet in, a :class:`SparkBuild` out); the benchmark calls
:func:`bench_spark_build` (a landed warehouse in, export and build times out).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.lib import spec
from orchestration.lib.dbt_launcher import BUILD_EXCLUDES, launcher_script
from orchestration.lib.paths import DBT_PROJECT_DIR

log = logging.getLogger(__name__)

#: dbt profile targets, chosen with SMW_DBT_TARGET (``smw build --engine`` sets it).
ENGINES = ("duckdb", "spark")
ENGINE_ENV = "SMW_DBT_TARGET"
#: Where the on-run-start hook finds raw Parquet (a folder here; a URI on a cluster).
RAW_LOCATION_ENV = "SMW_SPARK_RAW_LOCATION"
#: Spark's warehouse folder in local mode: every table dbt builds, as Parquet.
WAREHOUSE_DIR_ENV = "SMW_SPARK_WAREHOUSE_DIR"
#: The layers copied back into DuckDB after a Spark build (what checks and publishing read).
IMPORTED_LAYERS = ("marts", "serving")


class SparkBuildError(RuntimeError):
    """dbt on Spark failed; the message carries the end of dbt's output."""


@dataclass(frozen=True)
class SparkDirs:
    """One local Spark build's folders: ``raw/`` (the Parquet export, one folder per source)
    and ``spark-warehouse/`` (every table dbt builds, ``<schema>.db/<table>/*.parquet``)."""

    root: Path

    @property
    def raw_dir(self) -> Path:
        return self.root / "raw"

    @property
    def warehouse_dir(self) -> Path:
        return self.root / "spark-warehouse"

    def table_dir(self, schema: str, table: str) -> Path:
        return self.warehouse_dir / f"{schema}.db" / table

    def tables(self, schema: str) -> list[str]:
        folder = self.warehouse_dir / f"{schema}.db"
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.exists() else []


@dataclass
class SparkBuild:
    """One dbt build on Spark: where its tables are and how long it took."""

    dirs: SparkDirs
    seconds: float
    success: bool
    log_path: Path
    results: list[dict] = field(default_factory=list)
    #: time to write the raw Parquet export, when the build made it (bench_spark_build)
    export_seconds: float = 0.0


def local_dirs(home_root: Path) -> SparkDirs:
    """The Spark folders of a warehouse home: ``<home>/spark`` (restricted, like the home)."""
    return SparkDirs(Path(home_root) / "spark")


def prepare_local_build(home_root: Path) -> SparkDirs:
    """Before dbt runs on Spark for this home: export raw as Parquet and empty Spark's
    warehouse folder (the in-memory catalogue starts empty, and tables left by an earlier
    build would block Spark's create-table-as-select)."""
    dirs = local_dirs(home_root)
    export_raw(Path(home_root) / "warehouse.duckdb", dirs.raw_dir)
    shutil.rmtree(dirs.warehouse_dir, ignore_errors=True)
    return dirs


def selected_engine(engine: str | None = None) -> str:
    """The engine asked for (argument, else SMW_DBT_TARGET, else duckdb), checked."""
    chosen = engine or os.environ.get(ENGINE_ENV) or "duckdb"
    if chosen not in ENGINES:
        raise ValueError(
            f"unknown engine {chosen!r} (from {'--engine' if engine else ENGINE_ENV}): "
            f"choose one of {', '.join(ENGINES)}"
        )
    return chosen


def spark_available() -> str | None:
    """None when local-mode Spark can run here, else what is missing."""
    try:
        import dbt.adapters.spark  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as e:
        return f"dbt-spark[session] is not installed ({e.name}): pip install -r requirements.lock"
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "Spark needs Java 17 or 21 (no java on PATH and JAVA_HOME unset)"
    return None


def export_raw(warehouse_db: Path, raw_dir: Path) -> dict[str, int]:
    """Write every raw table of the DuckDB warehouse as Parquet, ``<raw_dir>/<source>/``.

    The raw tables hold pseudonyms and birth months only (landing never stores initials or
    dates of birth), so the Parquet holds no more than the restricted warehouse does, and lives
    beside it. Each source is written to a temporary folder and renamed into place, so a
    reader sees the previous export or this one. Returns rows per source."""
    raw_dir.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    con = duckdb.connect(str(warehouse_db), read_only=True)
    try:
        for source in spec.SOURCES:
            columns = con.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = 'raw' and table_name = ? order by ordinal_position",
                [source.name],
            ).fetchall()
            if not columns:
                raise RuntimeError(
                    f"{warehouse_db}: table raw.{source.name} is missing; land extracts first"
                )
            # JSON (the _extra column) becomes plain text: Spark has no JSON type.
            select = ", ".join(
                f'cast("{c}" as varchar) as "{c}"' if t == "JSON" else f'"{c}"' for c, t in columns
            )
            final = raw_dir / source.name
            staged = raw_dir / f".{source.name}.{os.getpid()}"
            shutil.rmtree(staged, ignore_errors=True)
            staged.mkdir()
            con.execute(
                f"copy (select {select} from raw.{source.name}) to '{staged / 'part-0.parquet'}'"
                " (format parquet)"
            )
            rows[source.name] = con.execute(f"select count(*) from raw.{source.name}").fetchone()[0]
            old = raw_dir / f".{source.name}.old.{os.getpid()}"
            if final.exists():
                os.replace(final, old)
            os.replace(staged, final)
            shutil.rmtree(old, ignore_errors=True)
    finally:
        con.close()
    return rows


def spark_env(raw_location: Path | str, dirs: SparkDirs) -> dict[str, str]:
    """The environment of a dbt call on the local-mode ``spark`` target."""
    env = dict(os.environ)
    env[ENGINE_ENV] = "spark"
    env[RAW_LOCATION_ENV] = str(raw_location)
    env[WAREHOUSE_DIR_ENV] = str(dirs.warehouse_dir)
    # any Python worker Spark starts uses this interpreter (the venv's), not whatever is on PATH
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    return env


def build_on_spark(
    raw_dir: Path,
    work_dir: Path,
    *,
    dbt_args: Iterable[str] = (),
    dbt_executable: Path | None = None,
    timeout: float | None = None,
) -> SparkBuild:
    """``dbt build`` of the whole project on local-mode Spark, reading raw Parquet from
    ``raw_dir`` (as :func:`export_raw` writes it); tables go to ``work_dir/spark-warehouse``.

    The work folder is emptied first: the in-memory catalogue starts empty every time, so
    tables left by an earlier build would block Spark's create-table-as-select. dbt runs in
    its own process (so does Spark's JVM): nothing stays in the caller's memory. This is the
    function the benchmark times; ``seconds`` is the wall time of the dbt call (JVM start,
    seeds, models and data tests). Raises :class:`SparkBuildError` when dbt fails."""
    problem = spark_available()
    if problem:
        raise SparkBuildError(problem)
    work_dir = Path(work_dir).resolve()
    shutil.rmtree(work_dir, ignore_errors=True)
    (work_dir / "target").mkdir(parents=True)
    dirs = SparkDirs(work_dir)
    # dbt (and Spark's JVM under it) dies with this process (lib/dbt_launcher.py)
    dbt = dbt_executable or launcher_script(
        Path(sys.executable), Path(sys.executable).parent / "dbt", work_dir / "target"
    )
    log_path = work_dir / "dbt.log"
    command = [
        str(dbt),
        "build",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir),
        *dbt_args,
    ]
    started = time.monotonic()
    with log_path.open("w") as out:
        proc = subprocess.run(
            command,
            cwd=work_dir,  # Spark's scratch files (and any metastore) stay in the work folder
            env=spark_env(Path(raw_dir).resolve(), dirs),
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=timeout,
        )
    seconds = time.monotonic() - started
    results = _run_results(work_dir / "target" / "run_results.json")
    build = SparkBuild(dirs, seconds, proc.returncode == 0, log_path, results)
    if not build.success:
        failed = [r["unique_id"] for r in results if r.get("status") in ("error", "fail")]
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-40:])
        raise SparkBuildError(
            f"dbt build on Spark failed (exit {proc.returncode}); failed: {failed or 'see log'}; "
            f"full log {log_path}\n{tail}"
        )
    log.info("dbt build on Spark: %.1f s, %d results", seconds, len(results))
    return build


def bench_spark_build(
    warehouse_db: Path, work_dir: Path, *, data_tests: bool = True, timeout: float | None = None
) -> SparkBuild:
    """For the benchmark (``smw bench``): the raw tables of a landed DuckDB warehouse, built
    by the whole dbt project on local-mode Spark. Exports raw to ``work_dir/raw`` (timed as
    ``export_seconds``), then ``dbt build`` into ``work_dir/build`` (``seconds``: JVM start,
    seeds, models and, with ``data_tests``, the data tests, as a production DuckDB build runs
    them). Nothing is written to the warehouse."""
    work_dir = Path(work_dir).resolve()
    started = time.monotonic()
    export_raw(Path(warehouse_db), work_dir / "raw")
    export_seconds = time.monotonic() - started
    skip_tests = list(BUILD_EXCLUDES)  # as every production build
    skip_tests += [] if data_tests else ["--exclude-resource-type", "test"]
    build = build_on_spark(
        work_dir / "raw", work_dir / "build", dbt_args=skip_tests, timeout=timeout
    )
    build.export_seconds = export_seconds
    return build


def _run_results(path: Path) -> list[dict]:
    try:
        return json.loads(path.read_text())["results"]
    except (OSError, ValueError, KeyError):
        return []


def read_layer(dirs: SparkDirs, schema: str) -> Mapping[str, str]:
    """DuckDB SQL that reads each Parquet table of a Spark layer: {table: 'read_parquet(...)'}."""
    return {
        table: f"read_parquet('{dirs.table_dir(schema, table)}/*.parquet')"
        for table in dirs.tables(schema)
    }


def import_layers(
    dirs: SparkDirs, warehouse_db: Path, layers: Iterable[str] = IMPORTED_LAYERS
) -> dict[str, int]:
    """Replace the DuckDB warehouse's tables of ``layers`` by those Spark built, in one
    transaction, so data-quality checks, publishing, exports and reports read the Spark build
    exactly as they read a DuckDB one. Returns rows per ``schema.table``."""
    rows: dict[str, int] = {}
    con = duckdb.connect(str(warehouse_db))
    try:
        con.execute("begin")
        for schema in layers:
            con.execute(f"create schema if not exists {schema}")
            tables = read_layer(dirs, schema)
            if not tables:
                raise RuntimeError(f"Spark built no {schema} tables under {dirs.warehouse_dir}")
            for table, reader in tables.items():
                con.execute(f"create or replace table {schema}.{table} as select * from {reader}")
                rows[f"{schema}.{table}"] = con.execute(
                    f"select count(*) from {schema}.{table}"
                ).fetchone()[0]
        con.execute("commit")
    finally:
        con.close()
    return rows
