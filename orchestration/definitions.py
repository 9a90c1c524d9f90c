"""The one Dagster ``Definitions`` of smw: landing → dbt → checks → publish → reports.

``dagster dev`` loads ``defs`` (paths from SMW_HOME and SMW_LANDING); ``smw build`` calls
:func:`build_definitions` with its own paths and runs the same job in-process. Both record into
the home's persistent Dagster instance, ``<home>/dagster`` (``lib/dagster_instance.py``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.defs.feedback import data_quality_feedback
from orchestration.defs.freshness import raw_extract_freshness, with_raw_freshness
from orchestration.defs.hooks import build_run_failure_sensor, record_step_failure
from orchestration.defs.landing import land_extracts
from orchestration.defs.outputs import area_reports
from orchestration.defs.progress import terminal_progress
from orchestration.defs.publish import build_publish_asset, postgres_serving_schema
from orchestration.defs.quality import build_gx_checks
from orchestration.defs.resources import WarehouseResource
from orchestration.defs.sensors import build_landing_sensor
from orchestration.defs.transform import DBT_PROJECT, build_dbt_assets, ensure_manifest
from orchestration.lib.dagster_instance import default_running
from orchestration.lib.dbt_launcher import launcher_script
from orchestration.lib.paths import DEFAULT_HOME, DEFAULT_LANDING
from orchestration.lib.spark import selected_engine

BUILD_JOB = "build_warehouse"
DAILY_SCHEDULE = "daily_build"
MONTHLY_FULL_REFRESH_SCHEDULE = "monthly_full_refresh"
# The dbt next to this Python (the venv's, whatever PATH says), started so that it dies with
# the build that started it (lib/dbt_launcher.py).
DBT_EXECUTABLE = str(
    launcher_script(
        Path(sys.executable),
        Path(sys.executable).parent / "dbt",
        Path(DBT_PROJECT.project_dir) / "target",
    )
)
#: Run config that rebuilds every dbt model from scratch (incremental models included).
FULL_REFRESH_RUN_CONFIG = {"ops": {"dbt_models": {"config": {"full_refresh": True}}}}


def _schedule_status(name: str) -> dg.DefaultScheduleStatus:
    running = default_running(name)
    return dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED


def build_definitions(
    home: Path | str | None = None,
    landing: Path | str | None = None,
    engine: str | None = None,
) -> dg.Definitions:
    home = Path(home or os.environ.get("SMW_HOME") or DEFAULT_HOME).resolve()
    landing = Path(landing or os.environ.get("SMW_LANDING") or DEFAULT_LANDING).resolve()
    dbt_models = build_dbt_assets(ensure_manifest())
    raw_keys = {k for spec in land_extracts.specs for k in [spec.key]}
    gx_checks, gated_keys = build_gx_checks(raw_keys | set(dbt_models.keys))
    serving_keys = [k for k in dbt_models.keys if k.path[0] == "serving"]
    # Publish waits for every serving model and for every model a blocking suite checks.
    publish = build_publish_asset(sorted(set(serving_keys) | set(gated_keys), key=lambda k: k.path))
    job = dg.define_asset_job(
        BUILD_JOB,
        selection=dg.AssetSelection.all(),
        description="Land new extracts, build the dbt project, validate, publish serving.duckdb.",
        # One process runs the steps one after another: DuckDB has one writer per file, and
        # the run holds the warehouse's build lock from start to end (WarehouseResource).
        executor_def=dg.in_process_executor,
        hooks={record_step_failure},
    )
    return dg.Definitions(
        assets=[
            with_raw_freshness(land_extracts),
            dbt_models,
            publish,
            postgres_serving_schema,
            data_quality_feedback,
            area_reports,
        ],
        asset_checks=[*gx_checks, raw_extract_freshness],
        jobs=[job],
        schedules=[
            dg.ScheduleDefinition(
                name=DAILY_SCHEDULE,
                job=job,
                cron_schedule="0 6 * * *",
                execution_timezone="Europe/London",
                description="Every morning: land whatever arrived overnight and rebuild.",
                default_status=_schedule_status(DAILY_SCHEDULE),
            ),
            dg.ScheduleDefinition(
                name=MONTHLY_FULL_REFRESH_SCHEDULE,
                job=job,
                cron_schedule="0 2 1 * *",
                execution_timezone="Europe/London",
                run_config=FULL_REFRESH_RUN_CONFIG,
                tags={"smw/full_refresh": "true"},
                default_status=_schedule_status(MONTHLY_FULL_REFRESH_SCHEDULE),
                description="First of the month, 02:00: rebuild every dbt model from scratch "
                "(dbt build --full-refresh), then validate and publish as usual.",
            ),
        ],
        sensors=[build_landing_sensor(job, landing), build_run_failure_sensor(home)],
        # Also for runs started by hand from the UI (Dagster's implicit asset jobs).
        executor=dg.in_process_executor,
        loggers={"console": dg.colored_console_logger, "terminal_progress": terminal_progress},
        resources={
            "warehouse": WarehouseResource(
                home=str(home), landing=str(landing), engine=selected_engine(engine)
            ),
            "dbt": DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=DBT_EXECUTABLE),
        },
    )


defs = build_definitions()
