"""Sensor on the landing folder: a new or changed extract file starts a build."""

import hashlib
from pathlib import Path

import dagster as dg

from orchestration.lib.dagster_instance import default_running
from orchestration.lib.landing import discover


def landing_fingerprint(landing: Path) -> tuple[str, int]:
    """A digest of the waiting files (name, size, modification time) and how many there are."""
    files, _ = discover(landing)
    h = hashlib.sha256()
    for _, path in files:
        st = path.stat()
        h.update(f"{path}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest(), len(files)


def build_landing_sensor(job, landing: Path) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_folder_sensor",
        job=job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING
        if default_running("landing_folder_sensor")
        else dg.DefaultSensorStatus.STOPPED,
        description=f"Starts a build when extract files wait in {landing}.",
    )
    def landing_folder_sensor(context: dg.SensorEvaluationContext):
        digest, n = landing_fingerprint(landing)
        if n == 0:
            return dg.SkipReason(f"no extract files waiting in {landing}")
        if digest == context.cursor:
            return dg.SkipReason("the waiting files have already started a build")
        context.update_cursor(digest)
        return dg.RunRequest(
            run_key=digest, tags={"smw/trigger": "landing_sensor", "smw/files": str(n)}
        )

    return landing_folder_sensor
