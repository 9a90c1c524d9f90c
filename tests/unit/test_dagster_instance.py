"""The persistent instance of a home: created whole, killed runs marked failed, status text."""

from __future__ import annotations

import dagster as dg

from orchestration.lib.dagster_instance import (
    describe_status,
    ensure_dagster_home,
    instance_status,
    mark_run_interrupted,
    open_instance,
)
from orchestration.lib.paths import Home


def test_instance_is_created_whole_and_leftovers_of_a_killed_creation_go(tmp_path):
    home = Home.at(tmp_path / "home")
    home.root.mkdir()
    stale = home.root / ".dagster-init-999999999-deadbeef"  # no such process
    (stale / "storage").mkdir(parents=True)
    (stale / "storage" / "index.db").write_bytes(b"half written")
    assert describe_status(home, instance_status(home)).startswith("Dagster    no instance yet")
    path = ensure_dagster_home(home)
    assert path == home.dagster_dir and (path / "dagster.yaml").is_file()
    assert not stale.exists()
    assert not list(home.root.glob(".dagster-init-*"))
    with open_instance(home) as instance:
        assert instance.get_runs_count() == 0
        assert not instance.is_ephemeral


def test_a_run_left_started_by_a_killed_build_is_marked_failed(tmp_path):
    home = Home.at(tmp_path / "home")

    @dg.op
    def noop() -> None:
        pass

    @dg.job
    def small():
        noop()

    with open_instance(home) as instance:
        run = instance.create_run_for_job(small, status=dg.DagsterRunStatus.STARTED)
        assert mark_run_interrupted(instance, run.run_id, "killed")
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
        assert not mark_run_interrupted(instance, run.run_id, "again")  # finished: left alone
        assert not mark_run_interrupted(instance, "", "no run id")
    status = instance_status(home)
    assert status is not None and status.runs == 1 and status.last_run.endswith("FAILURE")
    assert not status.daemon_running
    assert [a.name for a in status.automation if a.running] == [
        "landing_folder_sensor",
        "record_run_failure",
    ]


def _default_storage_instance(home: Home) -> dg.DagsterInstance:
    """The home opened with Dagster's own SQLite storage (what a dagster.yaml without smw's
    storage lines gives): it must read what smw's storage wrote."""
    from dagster._core.instance.ref import InstanceRef
    from dagster._serdes import ConfigurableClassData

    ref = InstanceRef.from_dir(str(home.dagster_dir))
    default = ConfigurableClassData(
        "dagster._core.storage.sqlite_storage",
        "DagsterSqliteStorage",
        f"base_dir: {home.dagster_dir}\n",
    )
    return dg.DagsterInstance.from_ref(ref._replace(storage_data=default))


def _small_job() -> dg.JobDefinition:
    @dg.asset
    def thing() -> None:
        pass

    return dg.Definitions(assets=[thing]).resolve_implicit_global_asset_job_def()


def test_smw_opens_the_instance_with_pooled_connections_that_do_not_sync_each_commit(tmp_path):
    from orchestration.lib.dagster_sqlite import SmwSqliteEventLogStorage, SmwSqliteRunStorage

    home = Home.at(tmp_path / "home")
    with open_instance(home) as instance:
        events = instance.event_log_storage
        assert isinstance(events, SmwSqliteEventLogStorage)
        assert isinstance(instance.run_storage, SmwSqliteRunStorage)
        result = _small_job().execute_in_process(instance=instance)
        assert result.success
        # every database smw writes: WAL mode, synchronous=NORMAL (1) rather than FULL (2)
        for connection in (
            events.index_connection(),
            events.run_connection(result.run_id),
            instance.run_storage.connect(),
        ):
            with connection as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1
        # a connection is kept open and reused, not opened and closed for each event
        with events.index_connection() as a:
            first = a.connection.dbapi_connection
        with events.index_connection() as b:
            assert b.connection.dbapi_connection is first
    # closed: the WAL is checkpointed into the databases, and Dagster's own storage reads them
    assert not list(home.dagster_dir.rglob("*.db-wal"))
    with _default_storage_instance(home) as default:
        assert default.get_run_by_id(result.run_id).is_success
        assert default.get_latest_materialization_event(dg.AssetKey("thing")) is not None


_KILLED_WRITER = """
import os, sys, time
import dagster as dg
from orchestration.lib.dagster_instance import open_instance
from orchestration.lib.paths import Home

with open_instance(Home.at(sys.argv[1])) as instance:
    run = instance.create_run_for_job(
        dg.GraphDefinition("small", node_defs=[]).to_job(), status=dg.DagsterRunStatus.STARTED
    )
    for i in range(50):
        instance.report_engine_event(f"event {i}", run)
    print(run.run_id, flush=True)
    time.sleep(600)  # killed here, connections open and the WAL not checkpointed
"""


def test_a_build_killed_with_connections_open_leaves_every_committed_event(tmp_path):
    import signal
    import subprocess
    import sys

    home = Home.at(tmp_path / "home")
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(home.root)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        run_id = proc.stdout.readline().strip()
        assert run_id, "the writer died before writing"
        assert list(home.dagster_dir.rglob("*.db-wal")), "the WAL is checkpointed only on close"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with _default_storage_instance(home) as default:
        messages = [e.message for e in default.all_logs(run_id)]
        assert [m for m in messages if m.startswith("event ")] == [f"event {i}" for i in range(50)]
        assert mark_run_interrupted(default, run_id, "killed")
    with open_instance(home) as instance:
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE


def test_the_daemon_and_ui_open_the_home_with_smws_storage(tmp_path, monkeypatch):
    """`dagster dev`, `dagster-daemon run` and the runs the daemon launches open the instance
    from DAGSTER_HOME's dagster.yaml alone: it names smw's storage, so schedule and sensor runs
    get the same pooled connections as `smw build`."""
    from orchestration.lib.dagster_sqlite import SmwSqliteEventLogStorage, SmwSqliteRunStorage

    home = Home.at(tmp_path / "home")
    path = ensure_dagster_home(home)
    monkeypatch.setenv("DAGSTER_HOME", str(path))
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, SmwSqliteEventLogStorage)
        assert isinstance(instance.run_storage, SmwSqliteRunStorage)
        assert _small_job().execute_in_process(instance=instance).success
    # the folder moved (a home copied elsewhere): the file names no path, so it still opens
    moved = Home.at(tmp_path / "moved")
    home.root.rename(moved.root)
    monkeypatch.setenv("DAGSTER_HOME", str(moved.dagster_dir))
    with dg.DagsterInstance.get() as instance:
        assert instance.get_runs_count() == 1


def test_an_earlier_homes_dagster_yaml_is_brought_up_to_date_unless_edited(tmp_path):
    from orchestration.lib.dagster_instance import DAGSTER_YAML

    # exactly what smw wrote before the storage lines (written out, not derived from the code)
    earlier = (
        "# The persistent Dagster instance of this smw warehouse home (DAGSTER_HOME).\n"
        "# Written by smw (orchestration/lib/dagster_instance.py); storage is SQLite in this folder.\n"
        "telemetry:\n  enabled: false\nnux:\n  enabled: false\n"
    )
    assert "SmwSqliteStorage" in DAGSTER_YAML
    home = Home.at(tmp_path / "home")
    config = ensure_dagster_home(home) / "dagster.yaml"
    config.write_text(earlier, encoding="utf-8")  # as smw wrote it before
    ensure_dagster_home(home)
    assert config.read_text(encoding="utf-8") == DAGSTER_YAML
    edited = earlier + "run_monitoring:\n  enabled: true\n"  # somebody's own settings
    config.write_text(edited, encoding="utf-8")
    ensure_dagster_home(home)
    assert config.read_text(encoding="utf-8") == edited
    with open_instance(home) as instance:  # smw's builds still get smw's storage
        assert type(instance.event_log_storage).__name__ == "SmwSqliteEventLogStorage"
