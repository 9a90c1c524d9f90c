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
