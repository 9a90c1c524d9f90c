"""Dagster's SQLite storages for a warehouse home, with connections kept open and WAL commits that
do not wait for the disk.

Dagster's own SQLite storages open a new engine with ``NullPool`` for every statement: every event
of a run costs two or three SQLite connections, each committed with a disk sync and closed. The
close of the last connection to a WAL database checkpoints the WAL into the database and deletes it
(two more syncs), and the next commit re-creates it. On a busy disk a build spent about 30 s of a
150 s demo build writing its 1,700 events.

These subclasses keep Dagster's schema, files and layout (``<home>/dagster/history/runs.db``,
``history/runs/<run_id>.db``, ``history/runs/index.db``, ``schedules``), so Dagster's default
storage reads and writes the same databases. The home's ``dagster.yaml`` names
:class:`SmwSqliteStorage`, so the Dagster UI, the daemon and the runs the daemon launches
(schedules, sensors) use it as ``smw build`` does. They differ from Dagster's in two ways only:

- one pooled engine per database (SQLAlchemy's default ``QueuePool`` for a file database), so a
  statement reuses an open connection and no close checkpoints the WAL between events;
- ``PRAGMA synchronous=NORMAL`` on every connection. The databases are in WAL mode (Dagster creates
  them so), where NORMAL commits without syncing the WAL and syncs at checkpoints. A transaction is
  still all or nothing: a killed process loses nothing that was committed (the operating system
  holds the WAL), and a power cut can at most lose the last commits, never corrupt a database
  (https://www.sqlite.org/pragma.html#pragma_synchronous, https://www.sqlite.org/wal.html).

Closing the instance (:meth:`dispose`) closes every pooled connection, which checkpoints the WAL
into the database files as before.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as db
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from dagster._serdes import ConfigurableClassData
from dagster._utils import mkdir_p
from sqlalchemy.engine import Connection, Engine

#: Set on every connection these storages open (see the module docstring).
CONNECTION_PRAGMAS: tuple[str, ...] = ("PRAGMA synchronous=NORMAL",)
#: Engines kept open by one event-log storage: the index and the runs being written or read.
MAX_OPEN_SHARDS = 4


def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in CONNECTION_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def pooled_engine(conn_string: str) -> Engine:
    """An engine whose connections stay open between statements and carry the pragmas."""
    engine = db.create_engine(conn_string, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
    db.event.listen(engine, "connect", _set_pragmas)
    return engine


class SmwSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's run-sharded SQLite event log with one pooled engine per open shard."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(  # ty: ignore[invalid-method-override]
        cls, inst_data: ConfigurableClassData | None, config_value: Any
    ) -> SmwSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.get(shard)
        if engine is None:
            engine = pooled_engine(self.conn_string_for_shard(shard))
            self._engines[shard] = engine
            while len(self._engines) > MAX_OPEN_SHARDS:
                _, oldest = self._engines.popitem(last=False)
                oldest.dispose()
        else:
            self._engines.move_to_end(shard)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # As SqliteEventLogStorage._connect (one connection at a time per storage, the shard's
        # database created on first use), with the engine kept rather than made for each call.
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _dispose_engines(self) -> None:
        with self._db_lock:
            while self._engines:
                _, engine = self._engines.popitem()
                engine.dispose()

    def wipe(self) -> None:
        self._dispose_engines()  # the shard files are deleted
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self._dispose_engines()


class SmwSqliteRunStorage(SqliteRunStorage):
    """Dagster's SQLite run storage (``runs.db``) with one pooled engine."""

    def __init__(self, conn_string: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(conn_string, inst_data=inst_data)
        self._pooled: Engine | None = None

    @classmethod
    def from_config_value(  # ty: ignore[invalid-method-override]
        cls, inst_data: ConfigurableClassData | None, config_value: Any
    ) -> SmwSqliteRunStorage:
        return cls.from_local(inst_data=inst_data, **config_value)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        if self._pooled is None:
            self._pooled = pooled_engine(self._conn_string)
        with self._pooled.connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        super().dispose()
        if self._pooled is not None:
            self._pooled.dispose()
            self._pooled = None


class SmwSqliteStorage(DagsterSqliteStorage):
    """Dagster's default SQLite storage of an instance folder, with the two storages above."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        # DagsterSqliteStorage.__init__ builds Dagster's own classes; build ours in the same places.
        self.base_dir = base_dir
        self._run_storage = SmwSqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = SmwSqliteEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = SqliteScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        super(DagsterSqliteStorage, self).__init__()

    @classmethod
    def config_type(cls) -> Any:
        # base_dir may be left out of dagster.yaml: the instance folder (DAGSTER_HOME) is meant,
        # so a home keeps working when its folder is moved
        from dagster import Field, StringSource

        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(  # ty: ignore[invalid-method-override]
        cls, inst_data: ConfigurableClassData | None, config_value: Any
    ) -> SmwSqliteStorage:
        base_dir = config_value.get("base_dir") or os.environ.get("DAGSTER_HOME")
        if not base_dir:
            raise ValueError(
                "SmwSqliteStorage needs base_dir in dagster.yaml or DAGSTER_HOME set to the "
                "instance folder (<home>/dagster)"
            )
        mkdir_p(base_dir)
        return cls(base_dir, inst_data=inst_data)


def storage_data(instance_dir: str) -> ConfigurableClassData:
    """What an :class:`InstanceRef` carries to open :class:`SmwSqliteStorage` on ``instance_dir``."""
    import yaml

    return ConfigurableClassData(
        __name__, SmwSqliteStorage.__name__, yaml.dump({"base_dir": instance_dir})
    )


__all__ = [
    "CONNECTION_PRAGMAS",
    "SmwSqliteEventLogStorage",
    "SmwSqliteRunStorage",
    "SmwSqliteStorage",
    "storage_data",
]
