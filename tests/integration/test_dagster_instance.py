"""The home's persistent Dagster instance holds every build: run, materializations with their
metadata, asset check results; `smw status` says whether the schedules are on."""

from __future__ import annotations

import os
from unittest import mock

import dagster as dg
from dagster._core.instance.ref import InstanceRef

from orchestration.cli import main
from orchestration.definitions import BUILD_JOB, DAILY_SCHEDULE


def _instance(home) -> dg.DagsterInstance:
    # What `dagster dev` opens: DAGSTER_HOME=<home>/dagster and the dagster.yaml there alone.
    with mock.patch.dict(os.environ, {"DAGSTER_HOME": str(home.dagster_dir)}):
        return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home.dagster_dir)))


def test_the_build_is_recorded_in_the_home_instance(demo_build):
    summary = demo_build.summary
    assert summary.success
    assert (demo_build.home.dagster_dir / "dagster.yaml").is_file()
    with _instance(demo_build.home) as instance:
        run = instance.get_run_by_id(summary.run_id)
        assert run is not None, "the build's run is not in <home>/dagster"
        assert run.job_name == BUILD_JOB
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert run.tags.get("smw/trigger") == "cli"

        mats = instance.get_records_for_run(
            summary.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=10_000
        ).records
        keys = {r.event_log_entry.dagster_event.asset_key.to_user_string() for r in mats}
        assert "published/serving_database" in keys
        assert "raw/ims_interventions" in keys
        assert len(keys) >= summary.models_built

        # What the UI shows on each asset: the latest materialization and its metadata.
        published = instance.get_latest_materialization_event(
            dg.AssetKey(["published", "serving_database"])
        )
        assert published is not None and published.run_id == summary.run_id
        md = published.asset_materialization.metadata
        rows = {k.split("/", 1)[1]: int(v.value) for k, v in md.items() if k.startswith("rows/")}
        assert rows == summary.published and rows
        raw = instance.get_latest_materialization_event(dg.AssetKey(["raw", "ims_interventions"]))
        assert raw.asset_materialization.metadata["dagster/row_count"].value > 0

        checks = instance.get_records_for_run(
            summary.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=10_000
        ).records
        evaluations = [r.event_log_entry.dagster_event.event_specific_data for r in checks]
        n_expected = summary.checks_passed + len(summary.checks_warned)
        assert len(evaluations) == n_expected + len(summary.checks_failed)
        assert sum(e.passed for e in evaluations) == summary.checks_passed
        names = {e.check_name for e in evaluations}
        assert "extract_freshness" in names
        assert any(n.startswith("gx_") for n in names)
        # The UI's per-check status comes from the check execution records.
        freshness = dg.AssetCheckKey(dg.AssetKey(["raw", "ims_interventions"]), "extract_freshness")
        latest = instance.event_log_storage.get_latest_asset_check_execution_by_key([freshness])
        assert latest[freshness].run_id == summary.run_id


def test_status_says_whether_schedules_are_on(demo_build, capsys):
    main(["status", "--home", str(demo_build.home.root)])
    out = capsys.readouterr().out
    assert f"Dagster    {demo_build.home.dagster_dir} (DAGSTER_HOME)" in out
    assert f"{DAILY_SCHEDULE} off (default)" in out
    assert "landing_folder_sensor on (default)" in out
    assert "daemon     not running" in out
    assert "dagster schedule start daily_build" in out
