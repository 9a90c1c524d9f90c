"""Failures, said clearly: in the run log and in ``<home>/state/last_failure.json`` for
``smw status``.

- ``record_step_failure`` is a failure hook on the build job: it runs in the run itself (also
  under ``smw build``'s in-process execution) as soon as a step fails, blocking checks included.
- ``record_run_failure`` is a run-failure sensor for runs started by the Dagster daemon
  (schedule, landing sensor, UI): it also catches runs that die before any step fails.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration.lib import runlog
from orchestration.lib.dagster_instance import default_running
from orchestration.lib.paths import Home


def _first_line(error: BaseException | None) -> str:
    while error is not None and error.__cause__ is not None:
        error = error.__cause__  # the user's error, not Dagster's wrapper
    if error is None:
        return "failed"
    dbt = runlog.dbt_failure(str(error))
    if dbt:
        return dbt
    lines = []
    for line in str(error).strip().splitlines():  # the message, up to the stack trace
        if not line.strip() or line.startswith("Stack Trace"):
            break
        lines.append(line.strip())
    text = " ".join(lines)
    return text if type(error).__name__ in text else f"{type(error).__name__}: {text}"


@dg.failure_hook(name="record_step_failure", required_resource_keys={"warehouse"})
def record_step_failure(context: dg.HookContext) -> None:
    home: Home = context.resources.warehouse.home_dir
    record = runlog.record_failure(
        home,
        run_id=context.run_id,
        job=context.job_name,
        step=context.step_key,
        message=_first_line(context.op_exception),
        recorded_by="failure hook",
    )
    context.log.error(runlog.failure_message(record))


def build_run_failure_sensor(home: Path) -> dg.SensorDefinition:
    # No monitored_jobs: every job of the code location, including the asset jobs Dagster
    # makes when someone materializes assets by hand in the UI (the failure hook is not on those).
    @dg.run_failure_sensor(
        name="record_run_failure",
        default_status=dg.DefaultSensorStatus.RUNNING
        if default_running("record_run_failure")
        else dg.DefaultSensorStatus.STOPPED,
        description=f"Writes every failed run to {home}/state/last_failure.json for smw status.",
    )
    def record_run_failure(context: dg.RunFailureSensorContext) -> None:
        message = context.failure_event.message or "the run failed"
        record = runlog.record_failure(
            Home.at(home),
            run_id=context.dagster_run.run_id,
            job=context.dagster_run.job_name,
            message=message.strip().splitlines()[0],
            recorded_by="run failure sensor",
        )
        context.log.error(runlog.failure_message(record))

    return record_run_failure
