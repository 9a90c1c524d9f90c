"""``smw``: the command line. ``smw build`` runs the Dagster job of ``orchestration.definitions``
in-process: one definition of the pipeline, whether started here, by the schedule, the sensor
or from the Dagster UI."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestration.lib.exit_codes import Exit, disk_full_message, is_disk_full
from orchestration.lib.paths import DEFAULT_HOME, DEFAULT_LANDING, Home
from orchestration.lib.pseudonym import LinkageKeyError

log = logging.getLogger("smw")


# --------------------------------------------------------------------------------------------
# build


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
        print(f"  note    {interrupted}", file=sys.__stderr__ or sys.stderr)
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


# --------------------------------------------------------------------------------------------
# commands


def cmd_generate(args: argparse.Namespace) -> int:
    from orchestration.lib.demo import generate

    out = Path(args.out)
    if args.if_empty and _has_extracts(out):
        print(f"{out} already holds extract files: not generating")
        return 0
    manifest = generate(out, scale=args.scale, seed=args.seed)
    d = manifest.to_dict()
    files = d.get("files") or d.get("sources") or {}
    print(
        f"generated demo extracts in {out} (scale {args.scale}, seed {args.seed}); manifest {out / '.demo-manifest.json'}"
    )
    if isinstance(files, dict):
        print(f"  {len(files)} sources")
    return 0


def _has_extracts(landing: Path) -> bool:
    from orchestration.lib.landing import discover

    files, _ = discover(landing)
    return bool(files)


def cmd_build(args: argparse.Namespace) -> int:
    from orchestration.lib.runlock import BuildLockedError

    try:
        summary = run_build(
            Path(args.home),
            Path(args.landing),
            verbose=args.verbose,
            full_refresh=getattr(args, "full_refresh", False),
            wait_seconds=getattr(args, "wait", 0.0),
            engine=getattr(args, "engine", None),
            reports=not getattr(args, "no_reports", False),
        )
    except BuildLockedError as e:
        print(f"smw build: {e}; not starting a second one (use --wait SECONDS to queue)")
        return Exit.BUSY
    print_summary(summary)
    if not summary.success:
        return _failed_build_code(summary)
    if args.strict and summary.files.get("quarantined", 0):
        return Exit.QUARANTINED
    return Exit.OK


def _failed_build_code(summary: BuildSummary) -> Exit:
    """The exit code of a failed build: a linkage key that is not the warehouse's, a full disk
    (with one line naming where and how much to free), or any other failure."""
    if any(kind in ("LinkageKeyMismatch", "LinkageKeyError") for kind in summary.failure_kinds):
        return Exit.KEY_MISMATCH
    texts = [*summary.failures, summary.failure_message]
    full = next((t for t in texts if is_disk_full(t)), None)
    if full is not None:
        found = re.search(r"No space left on device: '([^']+)'", full)
        print(disk_full_message("build", Path(summary.home), found.group(1) if found else None))
        return Exit.DISK_FULL
    return Exit.FAILED


def cmd_demo(args: argparse.Namespace) -> int:
    """Generate demo extracts if nothing waits and nothing was ever landed, then build."""
    landing, home = Path(args.landing), Home.at(args.home)
    if not _has_extracts(landing) and not _ever_landed(home):
        from orchestration.lib.demo import generate

        print(
            f"landing folder {landing} is empty: generating demo extracts (scale {args.scale}) ..."
        )
        generate(landing, scale=args.scale, seed=args.seed)
    code = cmd_build(
        argparse.Namespace(home=args.home, landing=args.landing, strict=False, verbose=args.verbose)
    )
    if code == Exit.OK:
        # The demo's numbers beside the seed reports' own figures; informative here (smw
        # calibrate is the command whose exit code holds the line).
        _calibrate(home, landing, None, None, quiet=True)
    return code


def _calibrate(
    home: Home, landing: Path, scale: float | None, figures_file: str | None, quiet: bool = False
) -> int:
    from orchestration.lib.calibration import (
        FIGURES_PATH,
        CalibrationError,
        calibrate,
        demo_scale,
        load_figures,
        write_outputs,
    )
    from orchestration.lib.outputs import write_outputs_index

    where = "the --scale option"
    if scale is None:
        scale = demo_scale(landing)
        where = f"{landing / '.demo-manifest.json'}"
    if scale is None:
        scale, where = 1.0, f"no demo manifest in {landing}: assumed"
    try:
        figures = load_figures(Path(figures_file) if figures_file else FIGURES_PATH)
        summary = calibrate(home.serving_db, figures, scale)
    except CalibrationError as e:
        print(f"smw calibrate: {e}", file=sys.stderr)
        return Exit.USAGE
    page, md = write_outputs(summary, home.root)
    write_outputs_index(home)
    totals = summary.totals
    compared = totals["within"] + totals["outside"] + totals["missing"]
    small = f", {totals['too_small']} withheld at this scale" if totals["too_small"] else ""
    print(
        f"calibration (scale {scale:g}, from {where}): {totals['within']} of {compared} "
        f"figures compared are within tolerance{small}; {totals['not_in_demo']} not in the demo yet, "
        f"{totals['not_calibrated']} not calibrated yet, "
        f"{totals['not_reproducible']} not reproducible, {totals['out_of_scope']} out of scope "
        f"({len(summary.outcomes)} figures, {summary.measures} measures)"
    )
    print(f"  page {page}\n  table {md}")
    if not quiet:
        for o in summary.failures:
            f = o.figure
            print(
                f"  {o.verdict.upper()} {f.figure_id} (line {f.line}): published {f.published:g}, "
                f"smw {'-' if o.smw is None else format(o.smw, '.4g')}"
                + (f" ({o.detail})" if o.detail else "")
            )
    return Exit.FAILED if summary.failures else Exit.OK


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Compare serving with the seed reports' published figures; exit 1 when a figure is
    outside its tolerance or missing from serving."""
    scale = args.scale
    if scale is not None and scale <= 0:
        print("smw calibrate: --scale must be above 0", file=sys.stderr)
        return Exit.USAGE
    return _calibrate(Home.at(args.home), Path(args.landing), scale, args.figures)


def _ever_landed(home: Home) -> bool:
    return home.archive_dir.exists() and any(home.archive_dir.rglob("*.csv*"))


def cmd_status(args: argparse.Namespace) -> int:
    """Last run, landing per source (files, rows, rejects, row problems, newest data), and
    what is published and when."""
    from orchestration.lib.runlock import describe_holder, running_build

    h = Home.at(args.home)
    last = h.state_dir / "last_run.json"
    running = running_build(h) if h.state_dir.exists() else None
    if running is not None:
        print(f"Running    a build is in progress now: {describe_holder(running)}")
    if not last.exists() and not h.warehouse_db.exists():
        print(f"no build has run in {h.root} yet")
        return Exit.FAILED
    ok = True
    if last.exists():
        s = json.loads(last.read_text())
        ok = bool(s["success"])
        print(
            f"Last run   {s['run_id'][:8]} at {s['started_at']}: {'succeeded' if ok else 'FAILED'}"
        )
        for c in s.get("checks_failed", []):
            print(f"  blocking failure: {c}")
        for f in s.get("failures", []):
            print(f"  failure: {f}")
    else:
        print(f"Last run   none recorded in {h.root} (files were landed without a build)")
    from orchestration.lib.rekey import full_refresh_required

    pending = full_refresh_required(h)
    if pending is not None:
        print(
            f"Next build rebuilds every model from scratch: {pending.get('reason', 'required')}"
            f"{' (since ' + pending['at'] + ')' if pending.get('at') else ''}"
        )
    print(_landing_status(h))
    print(_published_status(h))
    print(_dagster_status(h))
    return Exit.OK if ok else Exit.FAILED


def _dagster_status(h: Home) -> str:
    """The persistent Dagster instance: runs, schedules and sensors on or off, the daemon."""
    from orchestration.lib.dagster_instance import describe_status, instance_status

    try:
        return describe_status(h, instance_status(h))
    except Exception as e:  # noqa: BLE001 - status reports, it never fails on this
        return f"Dagster    cannot read {h.dagster_dir}: {str(e).splitlines()[0]}"


def _landing_status(h: Home) -> str:
    """Per source: files landed, duplicates, rejected, rows, row problems and newest data."""
    import duckdb

    from orchestration.lib import spec

    if not h.warehouse_db.exists():
        return "Landed     nothing yet"
    try:
        con = duckdb.connect(str(h.warehouse_db), read_only=True)
    except duckdb.Error as e:  # a build holds the write lock
        return f"Landed     (the warehouse is busy, try again when the build ends: {str(e).splitlines()[0]})"
    try:
        tables = {
            f"{schema}.{name}"
            for schema, name in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        if "audit.loads" not in tables:
            return "Landed     nothing yet"
        files = {
            (source, status): (n, last)
            for source, status, n, last in con.execute(
                "select source, status, count(*), max(landed_at) from audit.loads group by all"
            ).fetchall()
        }
        has_problems = "marts.fct_row_problems" in tables
        problems = (
            dict(
                con.execute(
                    "select source_name, count(*) from marts.fct_row_problems group by all"
                ).fetchall()
            )
            if has_problems
            else {}
        )
        rows_out = []
        for src in spec.SOURCES:
            rows = newest = None
            if f"raw.{src.name}" in tables:
                rows = con.execute(f"select count(*) from raw.{src.name}").fetchone()[0]
                if src.date_column:
                    c = f"trim({src.date_column})"
                    newest = con.execute(
                        "select max(d) from (select coalesce(try_strptime("
                        f"{c}, '%Y-%m-%d'), try_strptime({c}, '%d/%m/%Y'))::date as d "
                        f"from raw.{src.name}) where d <= current_date"
                    ).fetchone()[0]
                elif {"period", "year"} & set(src.column_names):  # reference data
                    col = "period" if "period" in src.column_names else "year"
                    latest = con.execute(
                        f"select max(trim({col})) from raw.{src.name} "
                        f"where regexp_full_match(trim({col}), '[0-9]{{4}}(-[0-9]{{2}})?')"
                    ).fetchone()[0]
                    newest = f"{col} {latest}" if latest else None
            loaded, last = files.get((src.name, "loaded"), (0, None))
            if isinstance(newest, str):
                newest_text = newest
            elif newest is not None:
                newest_text = f"{newest:%Y-%m-%d}"
            elif last is not None:
                newest_text = f"no event date; last file {last:%Y-%m-%d}"
            else:
                newest_text = "-"
            rows_out.append(
                (
                    src.name,
                    f"{loaded:,}",
                    f"{files.get((src.name, 'duplicate'), (0, None))[0]:,}",
                    f"{files.get((src.name, 'quarantined'), (0, None))[0]:,}",
                    f"{rows or 0:,}",
                    f"{problems.get(src.name, 0):,}" if has_problems else "not built",
                    newest_text,
                )
            )
        rejected = con.execute(
            "select source, file_name, error, stored_at from audit.loads "
            "where status = 'quarantined' order by load_id desc limit 10"
        ).fetchall()
        n_rejected = sum(n for (_, status), (n, _) in files.items() if status == "quarantined")
    finally:
        con.close()
    head = ("source", "landed", "duplicate", "rejected", "rows", "row problems", "newest data")
    widths = [max(len(r[i]) for r in [head, *rows_out]) for i in range(len(head))]

    def line(r: tuple[str, ...]) -> str:
        cells = [r[0].ljust(widths[0])] + [r[i].rjust(widths[i]) for i in range(1, 6)]
        return "  " + "  ".join([*cells, r[6]])

    out = [f"Landed     {h.warehouse_db} (files per source; rows as landed, every version)"]
    out += [line(head), *(line(r) for r in rows_out)]
    if has_problems:
        out.append("  row problems: marts.fct_row_problems (latest version of each record)")
    else:
        out.append("  row problems: not built yet (run smw build)")
    if rejected:
        out.append(f"Rejected   {n_rejected} file(s) in {h.quarantine_dir}, latest first:")
        out += [f"  {s}/{f}: {e}" for s, f, e, _ in rejected]
        if n_rejected > len(rejected):
            out.append(f"  ... and {n_rejected - len(rejected)} more (audit.loads)")
    from orchestration.lib.landing import read_notes

    notes = read_notes(h) or {}
    for label, lines in (("Waiting", notes.get("waiting")), ("Warning", notes.get("warnings"))):
        if lines:
            out.append(f"{label:<10} at the last landing ({notes.get('at', '?')}):")
            out += [f"  {line}" for line in lines]
    return "\n".join(out)


def _published_status(h: Home) -> str:
    import duckdb

    from orchestration.lib.exports import serving_damage

    if not h.serving_db.exists():
        return "Published  nothing yet"
    damage = serving_damage(h.serving_db)
    if damage:
        previous = h.previous_serving_db
        fix = (
            f"smw rollback puts the previous version back ({previous.name})"
            if previous.exists() and not serving_damage(previous)
            else "there is no readable previous version: the next smw build publishes a new one"
        )
        return f"Published  {h.serving_db} is DAMAGED and cannot be read ({damage}); {fix}"
    con = duckdb.connect(str(h.serving_db), read_only=True)
    try:
        rows = con.execute(
            "select table_name, row_count, published_at from _publication order by table_name"
        ).fetchall()
        periods = _published_periods(con)
    finally:
        con.close()
    lines = [f"Published  {h.serving_db}"]
    lines += [f"  {t}: {n:,} rows (published {p:%Y-%m-%d %H:%M} UTC)" for t, n, p in rows]
    return "\n".join(lines + periods)


def _published_periods(con) -> list[str]:
    """The periods published (whole years, quarters, rolling twelve months) and which year is
    only year to date, for which indicators, and to when: a part-year is never passed off as a
    whole one."""
    columns = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_name = 'rpt_indicator_values'"
        ).fetchall()
    }
    if "period_type" not in columns:
        return []
    lines = ["Periods"]
    for period_type, first, last, n in con.execute(
        "select period_type, min(period), max(period), count(distinct period) from rpt_indicator_values "
        "where period_type <> 'ytd' group by period_type order by period_type"
    ).fetchall():
        lines.append(f"  {period_type}: {n} periods, {first} to {last}")
    for period, data_to, codes in con.execute(
        "select period, cast(data_to as varchar), string_agg(distinct indicator_code, ', ' order by indicator_code) "
        "from rpt_indicator_values where period_type = 'ytd' group by period, data_to order by period, data_to"
    ).fetchall():
        lines.append(f"  {period} is year to date (provisional), data to {data_to}: {codes}")
    return lines


def cmd_rollback(args: argparse.Namespace) -> int:
    from orchestration.lib.publish import PublishError, rollback
    from orchestration.lib.runlock import BuildLockedError
    from orchestration.lib.runlog import published_version

    home = Home.at(args.home)
    try:
        path = rollback(home)
    except (PublishError, BuildLockedError) as e:
        print(f"smw rollback: {e}", file=sys.stderr)
        return Exit.FAILED
    now = published_version(home) or {}
    print(
        f"rolled back: {path} now holds run {str(now.get('run_id', '?'))[:8]} "
        f"(published {now.get('published_at', '?')}); the version it replaced is "
        f"{home.previous_serving_db.name} (smw rollback again to undo); exports follow"
    )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Reconcile archive, audit.loads, raw and serving; exit 1 on a discrepancy (after
    ``--reland``, on one that remains)."""
    from orchestration.lib import verify
    from orchestration.lib.runlock import BuildLockedError, writer_lock

    home = Home.at(args.home)
    report = verify.verify(home)
    print(verify.format_report(report))
    if args.reland and any(f.reland for f in report.findings):
        from orchestration.defs.resources import _holds_people
        from orchestration.lib.pseudonym import load_key

        try:
            with writer_lock(home, command="smw verify --reland"):
                key = load_key(home.key_file, may_create=not _holds_people(home))
                done = verify.reland(home, key, f"verify-{uuid.uuid4()}", report)
        except BuildLockedError as e:
            print(f"smw verify: {e}; not re-landing while it runs", file=sys.stderr)
            return Exit.BUSY
        for line in done:
            print(f"relanded {line}")
        report = verify.verify(home)
        print(verify.format_report(report))
    elif any(f.reland for f in report.findings):
        print("         smw verify --reland lands the archived files raw does not hold")
    return Exit.OK if report.clean else Exit.FAILED


def cmd_rekey(args: argparse.Namespace) -> int:
    """Re-pseudonymise every person in the warehouse with a new linkage key, from the archive,
    in one transaction; the new key file replaces the old one only after the commit."""
    import os

    from orchestration.lib import rekey
    from orchestration.lib.pseudonym import (
        KEY_ENV,
        LinkageKey,
        load_key,
        new_key_value,
        read_key_file,
    )
    from orchestration.lib.runlock import (
        BuildLockedError,
        WarehouseInUseError,
        wait_until_writable,
        writer_lock,
    )

    home = Home.at(args.home)
    in_env = os.environ.get(KEY_ENV) is not None
    chosen = [
        flag
        for flag, on in (
            ("--new-key-file", args.new_key_file),
            ("--generate-key", args.generate_key),
        )
        if on
    ]
    if in_env and chosen:
        print(
            f"smw rekey: {KEY_ENV} is set, and it would override the new key given by "
            f"{chosen[0]} in every build; unset {KEY_ENV}, or put the new key in it and leave "
            f"out {chosen[0]}",
            file=sys.stderr,
        )
        return Exit.USAGE
    if len(chosen) > 1:
        print("smw rekey: give --new-key-file or --generate-key, not both", file=sys.stderr)
        return Exit.USAGE
    try:
        if args.new_key_file:
            new_key = read_key_file(Path(args.new_key_file))
        elif args.generate_key:
            new_key = LinkageKey(new_key_value().encode(), "generated")
        elif in_env:
            new_key = load_key(home.key_file, may_create=False)  # the environment's value
        else:
            print(
                f"smw rekey: which new key? Set {KEY_ENV} to it, or give --new-key-file PATH "
                "(owner-only, at least 32 characters) or --generate-key",
                file=sys.stderr,
            )
            return Exit.USAGE
    except (LinkageKeyError, OSError) as e:
        print(f"smw rekey: the new key cannot be used: {e}", file=sys.stderr)
        return Exit.USAGE
    # A key only in the environment stays there: the key file is replaced only where one is.
    write_file = not in_env or home.key_file.exists()
    if not args.dry_run and not args.yes:
        question = (
            f"Re-pseudonymise every person in {home.warehouse_db} with the key "
            f"{new_key.fingerprint} ({new_key.origin}); the old key will no longer work. "
            "Type yes to go on: "
        )
        if not sys.stdin.isatty():
            print("smw rekey: add --yes to re-key without a question", file=sys.stderr)
            return Exit.USAGE
        if input(question).strip().lower() != "yes":
            print("smw rekey: nothing changed")
            return Exit.USAGE
    try:
        with writer_lock(home, command="smw rekey", wait_seconds=args.wait):
            if home.warehouse_db.exists():
                wait_until_writable(home.warehouse_db, wait_seconds=args.wait)
            result = rekey.rekey(home, new_key, dry_run=args.dry_run, write_key_file=write_file)
    except BuildLockedError as e:
        print(f"smw rekey: {e}; not re-keying while it runs (use --wait SECONDS)", file=sys.stderr)
        return Exit.BUSY
    except WarehouseInUseError as e:
        print(f"smw rekey: {e}", file=sys.stderr)
        return Exit.BUSY
    except rekey.RekeyError as e:
        print(f"smw rekey: {e}", file=sys.stderr)
        nothing_to_do = "nothing to re-key" in str(e)
        return Exit.USAGE if nothing_to_do else Exit.ARCHIVE_INCOMPLETE
    what = "would re-pseudonymise" if args.dry_run else "re-pseudonymised"
    print(
        f"{what} {result.rows:,} rows of {result.files:,} archived files: key fingerprint "
        f"{result.old_fingerprint} -> {result.new_fingerprint}"
    )
    if args.dry_run:
        print("dry run: nothing changed (the transaction was rolled back)")
    elif result.key_file is not None:
        print(
            f"the new key is in {result.key_file} (mode 600): back it up now; "
            "the next build rebuilds every model (--full-refresh) and publishes"
        )
    else:
        print(
            f"the new key stays in {KEY_ENV} only (no key file in this home); the next build "
            "rebuilds every model (--full-refresh) and publishes"
        )
    return Exit.OK


def cmd_publish(args: argparse.Namespace) -> int:
    """Load the version published now (serving.duckdb) into a PostgreSQL schema for BI tools."""
    from orchestration.lib import postgres_serving as pg
    from orchestration.lib.runlock import BuildLockedError, writer_lock

    home = Home.at(args.home)
    url = args.postgres or pg.configured_url()
    if not url:
        print(f"smw publish: give --postgres URL or set {pg.URL_ENV}", file=sys.stderr)
        return Exit.USAGE
    if not home.serving_db.exists():
        print(
            f"smw publish: nothing is published yet in {home.root} (run smw build)", file=sys.stderr
        )
        return Exit.USAGE
    try:
        with writer_lock(home, command="smw publish", wait_seconds=args.wait):
            load = pg.load_serving(home.serving_db, url, args.schema or pg.configured_schema())
    except BuildLockedError as e:
        print(f"smw publish: {e} (use --wait SECONDS to queue)", file=sys.stderr)
        return Exit.BUSY
    except pg.PostgresServingError as e:
        print(f"smw publish: {e}", file=sys.stderr)
        return Exit.FAILED
    rows = ", ".join(f"{t} ({n:,} rows)" for t, n in load.tables.items())
    print(
        f"Published  run {load.run_id[:8]} to {load.url} schema {load.schema} in {load.seconds:.1f} s"
    )
    print(f"  {rows}")
    print(f"  read-only role: {pg.READER_ROLE} (SELECT on {load.schema} only)")
    return Exit.OK


def cmd_query(args: argparse.Namespace) -> int:
    """Run one read-only SQL query on serving.duckdb (or, with --restricted, the warehouse)."""
    import duckdb

    from orchestration.lib.readers import WarehouseBusyError, connect_restricted, connect_serving

    home = Home.at(args.home)
    try:
        con = connect_restricted(home) if args.restricted else connect_serving(home)
    except (WarehouseBusyError, FileNotFoundError) as e:
        print(f"smw query: {e}", file=sys.stderr)
        return Exit.USAGE
    try:
        rel = con.sql(args.sql)
        if rel is None:
            return 0
        if args.csv or args.raw:
            from orchestration.lib.csv_safe import write_csv

            write_csv(sys.stdout, rel.columns, rel.fetchall(), raw=args.raw)
        else:
            rel.show(max_rows=args.max_rows, max_width=200)
    except duckdb.Error as e:
        print(f"smw query: {e}", file=sys.stderr)
        return Exit.FAILED
    finally:
        con.close()
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Write the area profile reports (HTML, and PDF where Chromium can print) from serving.duckdb."""
    from orchestration.lib.reports import generate_reports
    from orchestration.lib.reports.data import ServingDataError

    home = Home.at(args.home)
    out = Path(args.out) if args.out else home.reports_dir
    try:
        index = generate_reports(
            home.serving_db,
            out,
            areas=args.area or None,
            period=args.period,
            pdf=not args.no_pdf,
        )
    except (ServingDataError, ValueError) as e:
        print(f"smw report: {e}", file=sys.stderr)
        return Exit.USAGE
    areas = len({p.area_code for p in index.pages})
    plural = "s" if areas != 1 else ""
    print(f"Reports    {len(index.pages)} pages for {areas} area{plural} in {index.out_dir}")
    for report, period in index.periods.items():
        print(f"           {report}: {period}")
    if index.pdfs:
        print(f"PDFs       {len(index.pdfs)} written beside the pages")
    elif index.pdf_note:
        print(f"PDFs       {index.pdf_note}")
    for note in index.skipped:
        print(f"Skipped    {note}")
    print(f"Index      {index.index_html}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Floor, full and incremental build, PostgreSQL peer, serving latency and memory."""
    from orchestration.lib.bench import run_bench
    from orchestration.lib.bench.postgres import PostgresUnavailable

    try:
        scales = [float(s) for s in args.scale.split(",") if s.strip()]
    except ValueError:
        print(f"smw bench: --scale takes numbers separated by commas, not {args.scale!r}")
        return Exit.USAGE
    out = Path(args.out)
    # SIGTERM unwinds like Ctrl-C, so the throwaway PostgreSQL server is stopped and deleted
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        report = run_bench(
            scales,
            out,
            seed=args.seed,
            postgres=not args.no_postgres,
            incremental=not args.no_incremental,
            spark=not args.no_spark,
            keep=args.keep,
            progress=lambda msg: print(f"  bench   {msg}", flush=True),
        )
    except PostgresUnavailable as e:
        print(f"smw bench: {e} (or run with --no-postgres)", file=sys.stderr)
        return Exit.USAGE
    except RuntimeError as e:
        print(f"smw bench: {e}", file=sys.stderr)
        return Exit.FAILED
    print()
    print((out / "bench.md").read_text())
    print(f"Results    {out / 'bench.json'} and {out / 'bench.md'}")
    missed = [
        f"scale {s['scale']:g}: {t['target']} ({t['value']})"
        for s in report["scales"]
        for t in s["targets"].values()
        if t["met"] is False
    ]
    for m in missed:
        print(f"Not met    {m}")
    return 0


def cmd_dagster_dev(args: argparse.Namespace) -> int:
    """The Dagster UI and daemon on the home's persistent instance (every build's runs)."""
    from orchestration.lib.dagster_instance import ensure_dagster_home

    home = Home.at(args.home)
    env = dict(
        os.environ,
        SMW_HOME=str(home.root),
        SMW_LANDING=str(Path(args.landing).resolve()),
        DAGSTER_HOME=str(ensure_dagster_home(home)),
    )
    exe = Path(sys.executable).parent / "dagster"
    argv = [str(exe), "dev", "-m", "orchestration.definitions", "--port", str(args.port)]
    if args.host:
        argv += ["--host", args.host]
    print(
        f"Dagster UI on http://{args.host or 'localhost'}:{args.port}, instance {env['DAGSTER_HOME']}"
    )
    sys.stdout.flush()
    os.execve(str(exe), argv, env)
    return 0  # pragma: no cover


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="smw", description="Substance Misuse Intelligence Warehouse")
    p.add_argument("-v", "--verbose", action="store_true", help="show pipeline logs")
    sub = p.add_subparsers(dest="command", required=True)

    def paths(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--home", default=str(DEFAULT_HOME), help="warehouse home folder (default ./warehouse)"
        )
        sp.add_argument(
            "--landing", default=str(DEFAULT_LANDING), help="landing folder (default ./landing)"
        )

    g = sub.add_parser("generate", help="write demo extracts for every source")
    g.add_argument("--out", required=True)
    g.add_argument("--scale", type=float, default=1.0)
    g.add_argument("--seed", type=int, default=2021)
    g.add_argument(
        "--if-empty", action="store_true", help="do nothing if the folder already holds extracts"
    )
    g.set_defaults(func=cmd_generate)

    b = sub.add_parser("build", help="land new files, build, validate, publish")
    paths(b)
    b.add_argument(
        "--strict", action="store_true", help="exit non-zero (3) when any file was quarantined"
    )
    b.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every dbt model from scratch (what the monthly schedule does)",
    )
    b.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="if another build is running, wait this long for it (default: exit 4 at once)",
    )
    b.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        help="where dbt builds: duckdb (default) or spark (local mode unless profiles.yml "
        "points the spark target at a cluster); default from SMW_DBT_TARGET",
    )
    b.add_argument(
        "--no-reports",
        action="store_true",
        help="publish without writing the area reports (smw report writes them later)",
    )
    b.set_defaults(func=cmd_build)

    d = sub.add_parser(
        "demo", help="generate demo extracts if the landing folder is empty, then build"
    )
    paths(d)
    d.add_argument("--scale", type=float, default=1.0)
    d.add_argument("--seed", type=int, default=2021)
    d.set_defaults(func=cmd_demo)

    s = sub.add_parser("status", help="last run, what is published and when")
    s.add_argument("--home", default=str(DEFAULT_HOME))
    s.set_defaults(func=cmd_status)

    r = sub.add_parser("rollback", help="put the previous published serving database back")
    r.add_argument("--home", default=str(DEFAULT_HOME))
    r.set_defaults(func=cmd_rollback)

    v = sub.add_parser(
        "verify", help="reconcile archive, audit.loads, raw and serving (exit 1 on a discrepancy)"
    )
    v.add_argument("--home", default=str(DEFAULT_HOME))
    v.add_argument(
        "--reland",
        action="store_true",
        help="land again the archived files raw does not hold (under the build lock)",
    )
    v.set_defaults(func=cmd_verify)

    cal = sub.add_parser(
        "calibrate",
        help="the published numbers against the seed reports' own figures (exit 1 when one is "
        "outside its tolerance)",
    )
    cal.add_argument("--home", default=str(DEFAULT_HOME))
    cal.add_argument(
        "--landing",
        default=str(DEFAULT_LANDING),
        help="where the demo was generated: its manifest gives the scale (default ./landing)",
    )
    cal.add_argument(
        "--scale", type=float, default=None, help="the demo's scale, instead of the manifest's"
    )
    cal.add_argument(
        "--figures", default=None, help="another figures file (default: the project's own)"
    )
    cal.set_defaults(func=cmd_calibrate)

    rk = sub.add_parser(
        "rekey",
        help="re-pseudonymise everyone from the archive with a new linkage key (one transaction)",
    )
    rk.add_argument("--home", default=str(DEFAULT_HOME))
    rk.add_argument(
        "--new-key-file",
        metavar="PATH",
        help="the new key: a file holding it (owner-only, at least 32 characters); "
        "default SMW_LINKAGE_KEY",
    )
    rk.add_argument("--generate-key", action="store_true", help="the new key: a new random one")
    rk.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    rk.add_argument(
        "--dry-run",
        action="store_true",
        help="re-read every archived file and re-derive every pseudonym, then roll back",
    )
    rk.add_argument(
        "--wait", type=float, default=0.0, metavar="SECONDS", help="wait for a running build"
    )
    rk.set_defaults(func=cmd_rekey)

    pb = sub.add_parser(
        "publish",
        help="load what is published now (serving.duckdb) into a PostgreSQL schema for BI tools",
    )
    pb.add_argument("--home", default=str(DEFAULT_HOME))
    pb.add_argument(
        "--postgres",
        metavar="URL",
        help="postgresql://user:password@host:5432/dbname (default SMW_POSTGRES_URL)",
    )
    pb.add_argument(
        "--schema", help="the PostgreSQL schema (default SMW_POSTGRES_SCHEMA or serving)"
    )
    pb.add_argument(
        "--wait", type=float, default=0.0, metavar="SECONDS", help="wait for a running build"
    )
    pb.set_defaults(func=cmd_publish)

    q = sub.add_parser(
        "query", help="run one read-only SQL query on serving.duckdb (or the restricted warehouse)"
    )
    q.add_argument("sql", help='the SQL to run, e.g. "select * from rpt_nsp_activity limit 5"')
    q.add_argument("--home", default=str(DEFAULT_HOME))
    q.add_argument(
        "--restricted",
        action="store_true",
        help="query the restricted warehouse (only while no build runs)",
    )
    q.add_argument(
        "--csv",
        action="store_true",
        help="write CSV to stdout instead of a table; text that a spreadsheet would run as a "
        "formula (starting =, +, -, @, tab, CR) gets a leading ' (numbers stay numbers)",
    )
    q.add_argument(
        "--raw", action="store_true", help="with --csv: write every value exactly as it is"
    )
    q.add_argument("--max-rows", type=int, default=40)
    q.set_defaults(func=cmd_query)

    rp = sub.add_parser(
        "report", help="write the area profile reports (HTML and PDF) from serving.duckdb"
    )
    rp.add_argument("--home", default=str(DEFAULT_HOME))
    rp.add_argument(
        "--area",
        action="append",
        metavar="CODE",
        help="only this area (repeatable; default every local authority and the region)",
    )
    rp.add_argument("--period", metavar="YYYY-YY", help="financial year (default: the latest)")
    rp.add_argument("--out", metavar="DIR", help="output folder (default <home>/reports)")
    rp.add_argument("--no-pdf", action="store_true", help="HTML only, even if Chromium is here")
    rp.set_defaults(func=cmd_report)

    bn = sub.add_parser(
        "bench",
        help="benchmark: floor, full and incremental build, PostgreSQL peer, serving, memory",
    )
    bn.add_argument(
        "--scale", default="1", help="demo scales, comma-separated (default 1; e.g. 1,10)"
    )
    bn.add_argument(
        "--out", default="bench-results", help="output folder (default ./bench-results)"
    )
    bn.add_argument("--seed", type=int, default=2021)
    bn.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL peer")
    bn.add_argument("--no-spark", action="store_true", help="skip the Spark (local mode) build")
    bn.add_argument(
        "--no-incremental", action="store_true", help="skip the incremental build (two builds)"
    )
    bn.add_argument(
        "--keep", action="store_true", help="keep the built warehouses under --out (large)"
    )
    bn.set_defaults(func=cmd_bench)

    dd = sub.add_parser("dagster-dev", help="open the Dagster UI on the same definitions")
    paths(dd)
    dd.add_argument("--port", type=int, default=3000, help="the UI's port (default 3000)")
    dd.add_argument("--host", help="the address to listen on (default localhost)")
    dd.set_defaults(func=cmd_dagster_dev)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        result: Any = args.func(args)
    except OSError as e:
        if not is_disk_full(e):
            raise
        print(disk_full_message(args.command, Path(getattr(args, "home", ".")), e.filename))
        return Exit.DISK_FULL
    except LinkageKeyError as e:
        print(f"smw {args.command}: {e}", file=sys.stderr)
        return Exit.KEY_MISMATCH
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
