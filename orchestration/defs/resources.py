"""Resources shared by the assets: where the warehouse lives and where extracts land."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import PrivateAttr

from orchestration.lib import runlog
from orchestration.lib.paths import Home
from orchestration.lib.pseudonym import LinkageKey, load_key
from orchestration.lib.runlock import record_run_id, wait_until_writable, writer_lock


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse home folder and the landing folder of one deployment.

    While a run uses it, the run holds the build lock of the home (one writer at a time; with
    the job's in-process executor that is the whole run), and it first waits for other
    processes to close the restricted warehouse."""

    home: str
    landing: str
    #: dbt target: duckdb, or spark (raw exported as Parquet, built by Spark, marts and
    #: serving read back into the DuckDB warehouse; orchestration/lib/spark.py)
    engine: str = "duckdb"
    lock_wait_seconds: float = 3600.0  # a scheduled run queues behind a running build
    reader_wait_seconds: float = 300.0  # and waits for read-only sessions to close

    _lock: AbstractContextManager[dict[str, Any]] | None = PrivateAttr(default=None)

    @property
    def home_dir(self) -> Home:
        return Home.at(self.home)

    @property
    def landing_dir(self) -> Path:
        return Path(self.landing).resolve()

    def linkage_key(self) -> LinkageKey:
        # A key file is created only for a warehouse that holds no pseudonyms yet.
        return load_key(self.home_dir.key_file, may_create=not _holds_people(self.home_dir))

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        home = self.home_dir.ensure()
        run_id = context.run.run_id if context.run else None
        lock = writer_lock(
            home, command="dagster run", run_id=run_id, wait_seconds=self.lock_wait_seconds
        )
        holder = lock.__enter__()
        self._lock = lock
        if holder.get("interrupted"):
            record = runlog.record_interrupted(home, holder["interrupted"])
            context.log.warning(runlog.failure_message(record))
        if run_id:
            record_run_id(home, run_id)
        wait_until_writable(
            home.warehouse_db,
            wait_seconds=self.reader_wait_seconds,
            on_wait=context.log.warning,
        )

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.__exit__(None, None, None)

    @contextmanager
    def dbt_env(self) -> Iterator[None]:
        """Point the in-repo dbt profile at this warehouse (and engine) for a dbt call."""
        from orchestration.lib import spark

        values = {"SMW_WAREHOUSE_PATH": str(self.home_dir.warehouse_db)}
        values[spark.ENGINE_ENV] = spark.selected_engine(self.engine)
        if values[spark.ENGINE_ENV] == "spark":
            local = spark.local_dirs(self.home_dir.root)
            # a cluster reads raw Parquet where it was uploaded; locally, from the export
            values[spark.RAW_LOCATION_ENV] = os.environ.get(spark.RAW_LOCATION_ENV) or str(
                local.raw_dir
            )
            values[spark.WAREHOUSE_DIR_ENV] = str(local.warehouse_dir)
        before = {name: os.environ.get(name) for name in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for name, value in before.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def _holds_people(home: Home) -> bool:
    """Whether the warehouse has landed any file (so its people carry the key's pseudonyms)."""
    import duckdb

    from orchestration.lib.landing import warehouse_key_fingerprint

    if not home.warehouse_db.exists():
        return False
    con = duckdb.connect(str(home.warehouse_db), read_only=True)
    try:
        return warehouse_key_fingerprint(con) is not None
    finally:
        con.close()
