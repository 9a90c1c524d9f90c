"""Dagster around serving: schedules, freshness, the failure hook and sensor, progress output,
and ``dagster definitions validate`` on the one Definitions."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from orchestration.definitions import (
    BUILD_JOB,
    DAILY_SCHEDULE,
    FULL_REFRESH_RUN_CONFIG,
    MONTHLY_FULL_REFRESH_SCHEDULE,
    build_definitions,
)
from orchestration.defs.hooks import build_run_failure_sensor, record_step_failure
from orchestration.defs.progress import LOG_RECORD_META, ProgressHandler
from orchestration.defs.publish import PUBLISH_KEY
from orchestration.defs.resources import WarehouseResource
from orchestration.lib import runlog, spec
from orchestration.lib.paths import REPO_ROOT, Home


@pytest.fixture(scope="module")
def defs(tmp_path_factory) -> dg.Definitions:
    root = tmp_path_factory.mktemp("defs")
    return build_definitions(root / "home", root / "landing")


def test_schedules_daily_build_and_monthly_full_refresh(defs):
    job = defs.resolve_job_def(BUILD_JOB)
    daily = defs.resolve_schedule_def(DAILY_SCHEDULE)
    monthly = defs.resolve_schedule_def(MONTHLY_FULL_REFRESH_SCHEDULE)
    assert daily.job_name == monthly.job_name == BUILD_JOB
    assert monthly.cron_schedule == "0 2 1 * *"
    with dg.build_schedule_context(scheduled_execution_time=None) as ctx:
        request = monthly.evaluate_tick(ctx).run_requests[0]
    assert request.run_config == FULL_REFRESH_RUN_CONFIG
    assert request.tags["smw/full_refresh"] == "true"
    assert dg.validate_run_config(job, FULL_REFRESH_RUN_CONFIG)
    # one process, one step at a time (DuckDB has one writer), failures recorded
    assert job.executor_def.name == "in_process"
    assert defs.resolve_implicit_global_asset_job_def().executor_def.name == "in_process"
    assert {h.name for h in job.hook_defs} == {"record_step_failure"}
    assert {s.name for s in defs.sensors} == {"landing_folder_sensor", "record_run_failure"}


def test_freshness_policies_and_checks_for_the_raw_sources(defs):
    graph = defs.resolve_asset_graph()
    for s in spec.SOURCES:
        node = graph.get(dg.AssetKey(["raw", s.name]))
        assert isinstance(node.freshness_policy, dg.FreshnessPolicy), s.name
        assert node.group_name == "landing"
    assert graph.get(PUBLISH_KEY).freshness_policy is not None
    freshness = {c for c in graph.asset_check_keys if c.name == "extract_freshness"}
    assert {c.asset_key.path[1] for c in freshness} == {s.name for s in spec.SOURCES}
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert {"landing", "staging", "marts", "serving", "publish"} <= groups


@dg.op
def land_something() -> None:
    raise ValueError("extract folder unreadable: /no/such/landing")


def test_a_failed_step_is_written_to_the_run_log_and_state_for_smw_status(tmp_path):
    home = Home.at(tmp_path / "home")
    job = dg.GraphDefinition(name="tiny", node_defs=[land_something]).to_job(
        hooks={record_step_failure},
        resource_defs={"warehouse": WarehouseResource(home=str(home.root), landing=str(tmp_path))},
    )
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        assert not result.success
        record = runlog.read_last_failure(home)
        assert record["run_id"] == result.run_id and record["step"] == "land_something"
        assert record["message"] == "ValueError: extract folder unreadable: /no/such/landing"
        assert record["serving"] == "nothing has been published yet"
        logged = [
            e.message
            for e in instance.all_logs(result.run_id)
            if e.level == logging.ERROR and "smw build failed" in (e.message or "")
        ]
        assert logged and "at step land_something" in logged[0]
        # the run-failure sensor (daemon runs) adds to the same record rather than blur it
        sensor = build_run_failure_sensor(home.root)
        run = instance.get_run_by_id(result.run_id)
        failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
        ctx = dg.build_run_status_sensor_context(
            sensor_name=sensor.name,
            dagster_event=failure,
            dagster_instance=instance,
            dagster_run=run,
        ).for_run_failure()
        sensor(ctx)
    again = runlog.read_last_failure(home)
    assert again["step"] == "land_something"
    assert again["also_reported_by"] == ["run failure sensor"]
    assert (home.state_dir / "build.lock").read_text() == "", "the run released the lock"


class FakeEvent:
    def __init__(self, kind: str, data=None) -> None:
        self.event_type_value = kind
        self.event_specific_data = data


def record(step: str, kind: str | None = None, message: str = "", level=logging.INFO):
    rec = logging.LogRecord("smw", level, __file__, 0, message, None, None)
    setattr(
        rec,
        LOG_RECORD_META,
        {
            "step_key": step,
            "dagster_event": FakeEvent(kind) if kind else None,
            "orig_message": message,
        },
    )
    return rec


def test_progress_shows_files_and_assets_without_flooding():
    out = io.StringIO()
    handler = ProgressHandler(
        out, totals={"dbt_models": {"assets": 300, "checks": 0}}, interval=3600, tty=False
    )
    handler.handle_record(record("land_extracts", "STEP_START"))
    for i in range(1, 101):
        handler.handle_record(record("land_extracts", message=f"[{i}/100] src/f{i}.csv: loaded"))
    handler.handle_record(record("land_extracts", "STEP_SUCCESS"))
    handler.handle_record(record("dbt_models", "STEP_START"))
    for _ in range(300):
        handler.handle_record(record("dbt_models", "ASSET_MATERIALIZATION"))
    handler.handle_record(record("dbt_models", "STEP_SUCCESS"))
    lines = out.getvalue().splitlines()
    assert len(lines) == 4, lines  # a long interval: start and done lines only
    assert "100 files" in lines[1] and "300 assets" in lines[3]

    out = io.StringIO()
    handler = ProgressHandler(out, totals={"dbt_models": {"assets": 3}}, interval=0, tty=False)
    handler.handle_record(record("dbt_models", "STEP_START"))
    handler.handle_record(record("dbt_models", "ASSET_MATERIALIZATION"))
    assert out.getvalue().splitlines()[-1] == "  ...     dbt_models: assets 1/3"

    tty = io.StringIO()
    handler = ProgressHandler(tty, totals={"dbt_models": {"assets": 3}}, tty=True)
    handler.handle_record(record("dbt_models", "STEP_START"))
    for _ in range(3):
        handler.handle_record(record("dbt_models", "ASSET_MATERIALIZATION"))
    handler.handle_record(record("dbt_models", "STEP_SUCCESS"))
    text = tty.getvalue()
    assert text.count("\n") == 2, "one line rewritten in place, then the done line"
    assert "\r\x1b[K  ...     dbt_models: assets 3/3" in text


@pytest.mark.slow
def test_dagster_definitions_validate(tmp_path):
    env = dict(os.environ, SMW_HOME=str(tmp_path / "home"), SMW_LANDING=str(tmp_path / "l"))
    dagster = Path(sys.executable).parent / "dagster"
    res = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "orchestration.definitions"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "Validation successful" in res.stdout + res.stderr
