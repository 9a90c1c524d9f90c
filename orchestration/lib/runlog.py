"""What ``smw status`` reads about runs: small JSON files in ``<home>/state/``.

- ``last_run.json``: the summary of the last ``smw build`` (written by the CLI).
- ``runs.jsonl``: one line per finished ``smw build``, newest last.
- ``last_failure.json``: the last failure of any run (CLI, schedule, sensor or the Dagster UI),
  written by the job's failure hook and the run-failure sensor, and for a build that was killed,
  by the next build when it finds the dead build's lock record (``lib/runlock.py``).

Every file is replaced atomically (write a temporary file, then rename), so a reader never sees
half a record.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from orchestration.lib.paths import Home

LAST_RUN = "last_run.json"
RUNS_LOG = "runs.jsonl"
LAST_FAILURE = "last_failure.json"


def write_json_atomic(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    staged.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(staged, path)


def read_json(path: Path) -> Any | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def append_run(home: Home, record: dict[str, Any]) -> None:
    """Add one finished run to ``runs.jsonl`` (a line is written whole or not at all)."""
    path = home.state_dir / RUNS_LOG
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, default=str) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def published_version(home: Home) -> dict[str, Any] | None:
    """Run id and time of the version in serving.duckdb, or None if nothing is published."""
    if not home.serving_db.exists():
        return None
    try:
        con = duckdb.connect(str(home.serving_db), read_only=True)
    except duckdb.Error:
        return None
    try:
        row = con.execute("select max(run_id), max(published_at) from _publication").fetchone()
    except duckdb.Error:
        return None
    finally:
        con.close()
    if not row or row[0] is None:
        return None
    return {"run_id": row[0], "published_at": f"{row[1]:%Y-%m-%d %H:%M:%S} UTC"}


def record_failure(
    home: Home,
    *,
    run_id: str,
    message: str,
    step: str | None = None,
    job: str | None = None,
    recorded_by: str,
    log_file: str | None = None,
    kind: str = "failed",
) -> dict[str, Any]:
    """Write ``last_failure.json``: what failed, where, and what readers still see."""
    existing = read_json(home.state_dir / LAST_FAILURE)
    if (
        isinstance(existing, dict)
        and existing.get("run_id") == run_id
        and existing.get("step")
        and not step
    ):
        # The hook already named the failed step; the run-level report adds nothing clearer.
        existing.setdefault("also_reported_by", []).append(recorded_by)
        write_json_atomic(home.state_dir / LAST_FAILURE, existing)
        return existing
    published = published_version(home)
    record = {
        "kind": kind,
        "run_id": run_id,
        "job": job,
        "step": step,
        "message": message,
        "failed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "recorded_by": recorded_by,
        "log_file": log_file,
        "serving": (
            f"serving.duckdb still holds run {published['run_id'][:8]}, published "
            f"{published['published_at']}"
            if published
            else "nothing has been published yet"
        ),
    }
    write_json_atomic(home.state_dir / LAST_FAILURE, record)
    return record


def read_last_failure(home: Home) -> dict[str, Any] | None:
    value = read_json(home.state_dir / LAST_FAILURE)
    return value if isinstance(value, dict) else None


#: What dagster-dbt puts before the errors it found in dbt's output.
_DBT_ERRORS = "Errors parsed from dbt logs:"

#: dbt's DuckDB memory limit when SMW_DUCKDB_MEMORY_LIMIT is not set: the default in
#: dbt_project/profiles.yml (a unit test keeps the two equal).
DUCKDB_MEMORY_LIMIT_DEFAULT = "3GB"


def dbt_failure(text: str) -> str | None:
    """The first model dbt could not build and why, from dagster-dbt's error text (whose
    first line only says that "the dbt CLI process" failed); a hint when DuckDB ran out of
    its memory limit."""
    if _DBT_ERRORS not in text:
        return None
    lines = [line.strip() for line in text.split(_DBT_ERRORS, 1)[1].splitlines()]
    for i, line in enumerate(lines):
        if " Error in " in line and i + 1 < len(lines) and lines[i + 1]:
            message = f"dbt: {line.split(' (', 1)[0]}: {lines[i + 1]}"
            if "Out of Memory Error" in lines[i + 1]:
                message += (
                    " (dbt's DuckDB may use SMW_DUCKDB_MEMORY_LIMIT, by default"
                    f" {DUCKDB_MEMORY_LIMIT_DEFAULT}: raise it, e.g. SMW_DUCKDB_MEMORY_LIMIT=6GB or"
                    " 80% of RAM)"
                )
            return message
    return None


def failure_message(record: dict[str, Any]) -> str:
    """One clear line for the run log and the terminal."""
    run = str(record.get("run_id") or "unknown")[:8]
    readers = f"Readers: {record.get('serving', '')}."
    if record.get("kind") == "interrupted":
        return f"build {run} did not finish: {record.get('message', '')}. {readers}"
    where = f" at step {record['step']}" if record.get("step") else ""
    return f"smw build failed{where} (run {run}): {str(record.get('message', '')).rstrip('.')}. {readers}"


def record_interrupted(home: Home, interrupted: dict[str, Any]) -> dict[str, Any]:
    """Record a build that died holding the build lock (found by the next build)."""
    return record_failure(
        home,
        run_id=str(interrupted.get("run_id") or "unknown"),
        message=(
            f"{interrupted.get('command', 'a build')} (pid {interrupted.get('pid', '?')}, "
            f"started {interrupted.get('started_at', '?')}) was killed or the machine stopped; "
            "the next build cleaned up after it"
        ),
        recorded_by="next build",
        kind="interrupted",
    )
