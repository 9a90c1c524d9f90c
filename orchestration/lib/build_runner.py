"""The build runner behind ``smw build``: runs the Dagster job in-process under the home's
build lock, records the run (state/last_run.json, the run history, the last failure) with
the seconds of each step, and summarises it for the terminal."""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestration.lib.paths import Home


@dataclass
class BuildSummary:
    run_id: str
    success: bool
    started_at: str
    seconds: float
    home: str
    landing: str
    files: dict[str, int] = field(default_factory=dict)  # status -> count
    rows_loaded: int = 0
    quarantined: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # left in landing for the next build
    landing_warnings: list[str] = field(default_factory=list)  # landed nothing, moved nothing
    models_built: int = 0
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    checks_warned: list[str] = field(default_factory=list)
    published: dict[str, int] = field(default_factory=dict)
    exports: str = ""
    postgres: str = ""  # where the PostgreSQL serving schema was loaded (SMW_POSTGRES_URL)
    failures: list[str] = field(default_factory=list)
    failure_kinds: list[str] = field(default_factory=list)  # the error class of each failure
    failure_message: str = ""  # the one line written to state/last_failure.json
    interrupted_before: str = ""  # a previous build that died, found and cleaned up by this one
    full_refresh: bool = False
    log_file: str = ""
    # Wall-clock seconds per job step (land_extracts, gx_raw_suites, dbt_models, gx_model_suites,
    # data_quality_feedback, published__serving_database, ...), and of the GX steps together:
    # what the benchmark compares (validation time against the dbt build of the marts).
    step_seconds: dict[str, float] = field(default_factory=dict)
    validation_seconds: float = 0.0
    # Seconds per dbt model, as dbt timed it (smw bench lists the ten slowest).
    model_seconds: dict[str, float] = field(default_factory=dict)
    # Seconds per dbt data test (asset check), as dbt timed it: smw bench's dbt profile.
    check_seconds: dict[str, float] = field(default_factory=dict)
    # Seconds per step of landing (landing.PROFILE_STEPS): smw bench's landing profile.
    landing_seconds: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2)


def run_build(
    home: Path,
    landing: Path,
    *,
    tags: dict[str, str] | None = None,
    verbose: bool = False,
    full_refresh: bool = False,
    wait_seconds: float = 0.0,
    engine: str | None = None,
    reports: bool = True,
) -> BuildSummary:
    """Materialise the whole asset graph in-process and summarise what happened.

    Holds the build lock of ``home`` throughout (raises ``BuildLockedError`` if another build
    holds it for more than ``wait_seconds``)."""
    from orchestration.lib.rekey import full_refresh_required
    from orchestration.lib.runlock import writer_lock

    h = Home.at(home).ensure()
    with writer_lock(h, command="smw build", wait_seconds=wait_seconds) as holder:
        # After smw rekey (the dbt step also checks, for scheduled runs): see lib/rekey.py.
        full_refresh = full_refresh or full_refresh_required(h) is not None
        try:
            return _run_build_locked(
                h, landing, holder, tags, verbose, full_refresh, engine, reports
            )
        finally:
            h.restrict()  # what the build created (logs, Data Docs, WAL) is owner-only too


def _run_build_locked(
    h: Home,
    landing: Path,
    holder: dict[str, Any],
    tags: dict[str, str] | None,
    verbose: bool,
    full_refresh: bool,
    engine: str | None = None,
    reports: bool = True,
) -> BuildSummary:
    import dagster as dg

    from orchestration.definitions import BUILD_JOB, FULL_REFRESH_RUN_CONFIG, build_definitions
    from orchestration.defs.outputs import NO_REPORTS_RUN_CONFIG
    from orchestration.defs.progress import progress_totals
    from orchestration.lib import runlog
    from orchestration.lib.dagster_instance import mark_run_interrupted, open_instance
    from orchestration.lib.runlock import record_run_id

    started = datetime.now(UTC)
    t0 = time.monotonic()
    run_id = str(uuid.uuid4())  # the Dagster run id, known before the run starts
    record_run_id(h, run_id)
    interrupted = ""
    if holder.get("interrupted"):
        interrupted = runlog.failure_message(runlog.record_interrupted(h, holder["interrupted"]))
        (sys.__stderr__ or sys.stderr).write(f"  note    {interrupted}\n")
    defs = build_definitions(h.root, landing, engine)
    job = defs.resolve_job_def(BUILD_JOB)
    logs = h.root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_file = logs / f"build-{started:%Y%m%dT%H%M%S}-{run_id[:8]}.log"
    loggers: dict[str, Any] = {"console": {"config": {"log_level": "DEBUG" if verbose else "INFO"}}}
    # Progress lines on the terminal; with --verbose the full logs are shown instead, and the
    # progress logger only records each step for smw status.
    loggers["terminal_progress"] = {"config": {"totals": progress_totals(defs), "quiet": verbose}}
    run_config: dict[str, Any] = {"loggers": loggers}
    if full_refresh:
        run_config["ops"] = {**run_config.get("ops", {}), **FULL_REFRESH_RUN_CONFIG["ops"]}
    if not reports:
        run_config["ops"] = {**run_config.get("ops", {}), **NO_REPORTS_RUN_CONFIG["ops"]}
    run_tags = {**(tags or {}), "smw/trigger": (tags or {}).get("smw/trigger", "cli")}
    if full_refresh:
        run_tags["smw/full_refresh"] = "true"
    # The home's persistent instance: the Dagster UI (smw dagster-dev) shows this run.
    with open_instance(h) as instance, _run_output(log_file, verbose):
        if holder.get("interrupted"):
            mark_run_interrupted(
                instance, str(holder["interrupted"].get("run_id") or ""), interrupted
            )
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            tags=run_tags,
            run_config=run_config,
            run_id=run_id,
        )
        step_seconds = _step_seconds(instance, result.run_id)
    summary = BuildSummary(
        run_id=result.run_id,
        success=result.success,
        started_at=started.isoformat(timespec="seconds"),
        seconds=round(time.monotonic() - t0, 1),
        home=str(h.root),
        landing=str(Path(landing).resolve()),
        interrupted_before=interrupted,
        full_refresh=full_refresh,
        step_seconds=step_seconds,
        validation_seconds=round(sum(v for k, v in step_seconds.items() if k.startswith("gx_")), 2),
    )
    _summarise_landing(h, summary)
    for ev in result.get_asset_materialization_events():
        key = ev.asset_key
        if key is None:
            continue
        if key.path[0] in ("staging", "intermediate", "marts", "serving", "reference"):
            summary.models_built += 1
            duration = ev.step_materialization_data.materialization.metadata.get(
                "Execution Duration"
            )
            if duration is not None:
                summary.model_seconds[key.to_user_string()] = round(float(duration.value), 3)
        if key.path == ["published", "serving_database"]:
            md = ev.step_materialization_data.materialization.metadata
            summary.published = {
                k.split("/", 1)[1]: int(v.value) for k, v in md.items() if k.startswith("rows/")
            }
            if "exports" in md:
                summary.exports = str(md["exports"].value)
        if key.path == ["published", "postgres_serving"]:
            md = ev.step_materialization_data.materialization.metadata
            summary.postgres = f"{md['url'].value} schema {md['schema'].value}"
    for ev in result.get_asset_check_evaluations():
        name = f"{ev.asset_key.to_user_string()}:{ev.check_name}"
        duration = ev.metadata.get("Execution Duration")  # dbt's data tests carry their time
        if duration is not None:
            summary.check_seconds[name] = round(float(duration.value), 3)
        if ev.passed:
            summary.checks_passed += 1
        elif ev.severity == dg.AssetCheckSeverity.WARN:
            summary.checks_warned.append(name)
        else:
            summary.checks_failed.append(name)
    for ev in result.all_events:
        if ev.is_step_failure:
            data = ev.step_failure_data
            err = data.error if data else None
            while (
                err is not None and err.cause is not None
            ):  # the user error, not Dagster's wrapper
                err = err.cause
            msg = (
                (runlog.dbt_failure(err.message) or err.message.strip().splitlines()[0])
                if err
                else "failed"
            )
            summary.failures.append(f"{ev.step_key}: {msg}")
            summary.failure_kinds.append(err.cls_name if err else "")
    summary.log_file = str(log_file)
    if not summary.success:
        failure = runlog.read_last_failure(h)
        if failure is None or failure.get("run_id") != summary.run_id:
            # A failure outside any step (the failure hook did not run): say so anyway.
            failure = runlog.record_failure(
                h,
                run_id=summary.run_id,
                job=BUILD_JOB,
                message="; ".join(summary.failures) or "the run failed",
                recorded_by="smw build",
                log_file=str(log_file),
            )
        elif not failure.get("log_file"):
            failure["log_file"] = str(log_file)
            runlog.write_json_atomic(h.state_dir / runlog.LAST_FAILURE, failure)
        summary.failure_message = runlog.failure_message(failure)
    runlog.write_json_atomic(h.state_dir / runlog.LAST_RUN, summary.__dict__)
    runlog.append_run(
        h,
        {
            "run_id": summary.run_id,
            "success": summary.success,
            "started_at": summary.started_at,
            "seconds": summary.seconds,
            "published": bool(summary.published),
            "full_refresh": full_refresh,
            "failure": summary.failure_message or None,
            "log_file": summary.log_file,
            "step_seconds": summary.step_seconds,
            "validation_seconds": summary.validation_seconds,
        },
    )
    return summary


def _step_seconds(instance: Any, run_id: str) -> dict[str, float]:
    """Seconds from each step's start to its success or failure, from the run's event log."""
    import dagster as dg

    started: dict[str, float] = {}
    seconds: dict[str, float] = {}
    ends = {dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
    for entry in instance.all_logs(run_id):
        ev = entry.dagster_event
        if ev is None or not ev.step_key:
            continue
        if ev.event_type == dg.DagsterEventType.STEP_START:
            started[ev.step_key] = entry.timestamp
        elif ev.event_type in ends and ev.step_key in started:
            seconds[ev.step_key] = round(entry.timestamp - started[ev.step_key], 2)
    return seconds


@contextmanager
def _run_output(log_file: Path, verbose: bool) -> Iterator[None]:
    """Send Dagster's and dbt's output to ``log_file`` (and to the terminal when verbose)."""
    if verbose:
        yield
        return
    root = logging.getLogger()
    dagster_logger = logging.getLogger("dagster")
    saved = (list(root.handlers), dagster_logger.propagate)
    with open(log_file, "a", encoding="utf-8") as f, redirect_stdout(f), redirect_stderr(f):
        handler = logging.StreamHandler(f)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.handlers = [handler]
        dagster_logger.addHandler(handler)
        dagster_logger.propagate = False
        try:
            yield
        finally:
            dagster_logger.removeHandler(handler)
            root.handlers, dagster_logger.propagate = saved


def _summarise_landing(h: Home, summary: BuildSummary) -> None:
    import duckdb

    from orchestration.lib.landing import read_notes

    notes = read_notes(h, summary.run_id)
    if notes:
        summary.ignored = list(notes.get("ignored", []))
        summary.waiting = list(notes.get("waiting", []))
        summary.landing_warnings = list(notes.get("warnings", []))
        summary.landing_seconds = dict(notes.get("seconds", {}))
    if not h.warehouse_db.exists():
        return
    try:
        con = duckdb.connect(str(h.warehouse_db), read_only=True)
    except duckdb.Error as e:  # pragma: no cover - the file is ours and closed by now
        summary.failures.append(f"cannot read the warehouse audit: {e}")
        return
    try:
        has_audit = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'audit' and table_name = 'loads'"
        ).fetchone()
        if not has_audit or not has_audit[0]:
            return
        for status, n, rows in con.execute(
            "select status, count(*), coalesce(sum(rows), 0) from audit.loads where run_id = ? group by status",
            [summary.run_id],
        ).fetchall():
            summary.files[status] = int(n)
            if status == "loaded":
                summary.rows_loaded = int(rows)
        summary.quarantined = [
            f"{s}/{f}: {e}"
            for s, f, e in con.execute(
                "select source, file_name, error from audit.loads where run_id = ? and status = 'quarantined' "
                "order by load_id",
                [summary.run_id],
            ).fetchall()
        ]
    finally:
        con.close()


def print_summary(s: BuildSummary, out=sys.stdout) -> None:
    h = Home.at(s.home)
    ok = "succeeded" if s.success else "FAILED"
    w = out.write
    w(f"\nsmw build {ok} in {s.seconds:.0f} s (run {s.run_id[:8]})\n")
    loaded, dup, quar = (s.files.get(k, 0) for k in ("loaded", "duplicate", "quarantined"))
    w(
        f"  Landed     {loaded} files, {s.rows_loaded:,} rows; {dup} duplicate files skipped; {quar} quarantined\n"
    )
    for q in s.quarantined:
        w(f"             quarantined {q}\n")
    for q in s.waiting:
        w(f"             waiting     {q}\n")
    for q in s.landing_warnings:
        w(f"             WARNING     {q}\n")
    for q in s.ignored:
        w(f"             ignored     {q}\n")
    w(f"  Built      {s.models_built} dbt models and seeds\n")
    if s.step_seconds:
        dbt_s = s.step_seconds.get("dbt_models")
        w(
            f"  Validated  in {s.validation_seconds:.1f} s (Great Expectations)"
            + (f"; dbt build {dbt_s:.1f} s" if dbt_s is not None else "")
            + "\n"
        )
    w(
        f"  Checks     {s.checks_passed} passed, {len(s.checks_warned)} warnings, "
        f"{len(s.checks_failed)} blocking failures\n"
    )
    for c in s.checks_failed:
        w(f"             BLOCKING {c}\n")
    for c in s.checks_warned:
        w(f"             warning  {c}\n")
    if s.published:
        tables = ", ".join(f"{t} ({n:,} rows)" for t, n in s.published.items())
        w(f"  Published  {h.serving_db} : {tables}\n")
        if s.exports:
            w(f"             Parquet exports in {h.exports_dir} (-> {s.exports})\n")
        if s.postgres:
            w(f"             PostgreSQL {s.postgres} (read-only role smw_reader)\n")
    else:
        w(f"  Published  nothing this run; serving stays as it was ({h.serving_db})\n")
    for f in s.failures:
        w(f"  Failure    {f}\n")
    if s.failure_message:
        w(f"  Why        {s.failure_message}\n")
    if s.interrupted_before:
        w(f"  Note       {s.interrupted_before}\n")
    w(f"  Outputs    start here: {h.root / 'index.html'}\n")
    w(f"    run log                 {s.log_file}\n")
    w(f"    warehouse (restricted)  {h.warehouse_db}\n")
    w(f"    serving (published)     {h.serving_db}\n")
    w(f"    exports (Parquet)       {h.exports_dir}\n")
    w(f"    area reports            {h.reports_dir / 'index.html'}\n")
    w(f"    data quality docs       {h.data_docs_dir / 'index.html'}\n")
    w(f"    data quality feedback   {h.data_quality_dir / 'index.html'}\n")
    w(f"    quarantine              {h.quarantine_dir}\n")
    w(f"    archive (restricted)    {h.archive_dir}\n")
