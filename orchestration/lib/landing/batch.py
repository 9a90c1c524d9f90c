"""Landing a batch: every waiting file through one connection, and the notes of what moved
nothing (``state/last_landing.json``)."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.lib.landing.discovery import (
    _fingerprint,
    discover,
    settle_files,
    settle_seconds,
)
from orchestration.lib.landing.encoding import (
    remove_stale_transcodes,
)
from orchestration.lib.landing.lander import Lander
from orchestration.lib.landing.model import (
    MEMORY_LIMIT,
    FileOutcome,
    LandingReport,
    NotStored,
)
from orchestration.lib.landing.reading import (
    StrictReading,
    read_strictly,
)
from orchestration.lib.landing.storage import (
    remove_partial_moves,
)
from orchestration.lib.paths import Home
from orchestration.lib.pseudonym import (
    LinkageKey,
)

#: DuckDB's write-ahead log size that makes it checkpoint while landing (see ``connect``).
CHECKPOINT_THRESHOLD = "256MB"
#: One logger for all of landing (its name is the package's).
log = logging.getLogger("orchestration.lib.landing")


def connect(home: Home) -> duckdb.DuckDBPyConnection:
    """The landing connection: bounded memory; row order need not be kept (rows carry their
    file and record number), which lets DuckDB stream inserts without buffering. DuckDB
    checkpoints once its write-ahead log passes ``CHECKPOINT_THRESHOLD`` (its default, 16 MB,
    checkpointed every few files: at scale 10 the commits took 84 of landing's 220 s, 44 s at
    256 MB, no less at 2 GB); a commit is durable in the log either way, and the batch ends with
    a checkpoint."""
    tmp = home.state_dir / "duckdb-tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    os.chmod(tmp, 0o700)
    con = duckdb.connect(
        str(home.warehouse_db),
        config={
            "memory_limit": MEMORY_LIMIT,
            "preserve_insertion_order": False,
            "temp_directory": str(tmp),
            "checkpoint_threshold": CHECKPOINT_THRESHOLD,
        },
    )
    con.execute("set enable_progress_bar = false")  # long inserts would draw on the terminal
    os.chmod(home.warehouse_db, 0o600)  # restricted from the moment it exists
    return con


def land(
    landing: Path,
    home: Home,
    key: LinkageKey,
    run_id: str,
    progress: Callable[[int, int, FileOutcome], None] | None = None,
    settle: float | None = None,
) -> LandingReport:
    """Land every waiting file; returns what happened to each. ``settle``: seconds a file must
    be unchanged (default :func:`settle_seconds`)."""
    home.ensure()
    for stale in remove_stale_transcodes(home.state_dir / "tmp"):
        log.warning("removed %s, a transcoded copy left by a landing that was killed", stale.name)
    for stale in remove_partial_moves(home):
        log.warning("removed %s, a partial copy left by a move that was killed", stale)
    dangling: list[str] = []
    found, ignored = discover(landing, dangling)
    files, waiting = settle_files(found, landing, settle_seconds() if settle is None else settle)
    report = LandingReport(ignored=ignored, waiting=waiting, warnings=dangling)
    for line in dangling:
        log.warning("%s", line)
    started = time.perf_counter()
    con = connect(home)
    lander: Lander | None = None
    try:
        lander = Lander(con, home, key, run_id)
        # The strict reading of the next file (Python) runs beside this file's insert (DuckDB,
        # which releases the GIL): the two readings of a file no longer add up. It only reads.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="smw-strict-read") as ahead:
            upcoming = ahead.submit(_read_timed, files[0][1]) if files else None
            for i, (src, path, settled) in enumerate(files, 1):
                assert upcoming is not None
                with lander.timed("waiting for the strict reading"):
                    reading, seconds = upcoming.result()
                lander.seconds["strict reading"] += seconds
                if i < len(files):
                    upcoming = ahead.submit(_read_timed, files[i][1])
                try:
                    changed = _fingerprint(os.stat(path)) != settled
                except OSError:
                    changed = True
                if changed:  # written to while it was read: what was read may be half of it
                    report.waiting.append(
                        f"{path.relative_to(landing)}: still being written (changed while it "
                        "was read); left for the next build"
                    )
                    continue
                try:
                    outcome = lander.land_file(src, path, reading)
                except NotStored as e:
                    report.warnings.append(f"{path.relative_to(landing)}: {e}")
                    log.warning("%s: %s", path.relative_to(landing), e)
                    continue
                report.outcomes.append(outcome)
                if outcome.move_error:
                    report.warnings.append(f"{path.relative_to(landing)}: {outcome.move_error}")
                if progress:
                    progress(i, len(files), outcome)
        with lander.timed("checkpoint"):
            con.execute("checkpoint")
    finally:
        con.close()
        if lander is not None:
            report.seconds = _profile(lander.seconds, time.perf_counter() - started)
        _write_notes(home, run_id, report)
    for line in report.waiting:
        log.warning("waiting: %s", line)
    return report


def _read_timed(path: Path) -> tuple[StrictReading, float]:
    started = time.perf_counter()
    reading = read_strictly(path)
    return reading, time.perf_counter() - started


#: The steps of landing a batch, as ``smw bench`` lists them. The strict reading runs in a
#: thread beside the inserts: its own seconds overlap the others; only the wait for it adds.
PROFILE_STEPS = (
    ("strict reading", "strict reading (Python; beside the inserts)"),
    ("waiting for the strict reading", "waiting for the strict reading"),
    ("history", "history lookup (audit.loads)"),
    ("check", "readers-agree check (DuckDB read)"),
    ("insert", "insert (DuckDB read, pseudonymise, write)"),
    ("commit", "commit, one per file (with DuckDB's checkpoints: rows compressed and written)"),
    ("archive", "archive move"),
    ("checkpoint", "checkpoint"),
)


def _profile(seconds: dict[str, float], total: float) -> dict[str, float]:
    """The batch's seconds per step, ``total`` and ``other`` (what no step covers: discovery,
    settling, hashing of duplicates, quarantine, audit rows)."""
    out = {step: round(seconds.get(step, 0.0), 4) for step, _label in PROFILE_STEPS}
    timed = sum(v for k, v in out.items() if k != "strict reading")
    out["other"] = round(max(total - timed, 0.0), 4)
    out["total"] = round(total, 4)
    return out


LAST_LANDING = "last_landing.json"


def _write_notes(home: Home, run_id: str, report: LandingReport) -> None:
    """What the build summary and ``smw status`` show beside ``audit.loads``: files ignored,
    waiting, and problems that moved nothing (``state/last_landing.json``)."""
    path = home.state_dir / LAST_LANDING
    staged = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    notes = {
        "run_id": run_id,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "ignored": report.ignored,
        "waiting": report.waiting,
        "warnings": report.warnings,
        "seconds": report.seconds,
    }
    staged.write_text(json.dumps(notes, indent=2) + "\n", encoding="utf-8")
    os.replace(staged, path)


def read_notes(home: Home, run_id: str | None = None) -> dict | None:
    """The notes of the last landing (of ``run_id`` when given), or None."""
    try:
        notes = json.loads((home.state_dir / LAST_LANDING).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if run_id is not None and notes.get("run_id") != run_id:
        return None
    return notes
