"""One writer at a time: the build lock of a warehouse home.

DuckDB allows one writing process per file, and a build writes ``warehouse.duckdb``, the staged
serving file and the exports. Every writer (``smw build``, a Dagster run, ``smw rollback``) holds
an exclusive ``flock`` on ``<home>/state/build.lock`` while it works. The kernel releases the lock
when the holder exits, however it exits (SIGKILL included), so a crashed build never leaves the
warehouse locked. The lock file also records who holds it (pid, command, run, start time): a
reader can say which build is running, and a record whose lock is free is a build that died.

The lock is re-entrant within one process: ``smw build`` takes it before it starts the Dagster
job, and the job's resource takes it again without blocking itself.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestration.lib.paths import Home

LOCK_NAME = "build.lock"


class BuildLockedError(RuntimeError):
    """Another process is building this warehouse."""

    def __init__(self, home: Home, holder: dict[str, Any] | None) -> None:
        self.holder = holder or {}
        super().__init__(f"a build is running on {home.root}: {describe_holder(self.holder)}")


def lock_path(home: Home) -> Path:
    return home.state_dir / LOCK_NAME


def describe_holder(holder: dict[str, Any]) -> str:
    if not holder:
        return "holder unknown"
    parts = [f"pid {holder.get('pid', '?')}"]
    if holder.get("command"):
        parts.append(str(holder["command"]))
    if holder.get("run_id"):
        parts.append(f"run {str(holder['run_id'])[:8]}")
    if holder.get("started_at"):
        parts.append(f"since {holder['started_at']}")
    if holder.get("step"):
        parts.append(f"step {holder['step']} since {holder.get('step_started_at', '?')}")
    return ", ".join(parts)


@dataclass
class _Held:
    fd: int
    depth: int


_held: dict[Path, _Held] = {}
_guard = threading.Lock()


def _read_holder(path: Path) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not text:
        return None
    try:
        # the first record: a build killed between the two calls of _write_holder leaves its
        # new record followed by the tail of the longer one it replaced
        value, _end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _write_holder(fd: int, holder: dict[str, Any]) -> None:
    """Replace the lock's record so that a kill at any point leaves a record to read: the new
    one written over the old, then the file cut to its length (cutting it first left an empty
    record to a build killed as it started a step, and the next build could not say which
    build had died)."""
    data = json.dumps(holder).encode()
    os.pwrite(fd, data, 0)
    os.ftruncate(fd, len(data))
    os.fsync(fd)


@contextmanager
def writer_lock(
    home: Home,
    *,
    command: str,
    run_id: str | None = None,
    wait_seconds: float = 0.0,
    poll_seconds: float = 0.5,
) -> Iterator[dict[str, Any]]:
    """Hold the build lock of ``home``; raise :class:`BuildLockedError` if another process holds
    it for longer than ``wait_seconds``. Yields the holder record; its ``interrupted`` entry is
    the record of an earlier build that died holding the lock, if one did."""
    path = lock_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _guard:
        held = _held.get(path)
        if held is not None:
            held.depth += 1
    if held is not None:
        try:
            yield _read_holder(path) or {}
        finally:
            with _guard:
                held.depth -= 1
        return

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise BuildLockedError(home, _read_holder(path)) from None
                time.sleep(poll_seconds)
    except BaseException:
        os.close(fd)
        raise
    interrupted = _read_holder(path)  # a record under a free lock: that build died
    holder: dict[str, Any] = {
        "pid": os.getpid(),
        "command": command,
        "run_id": run_id,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    _write_holder(fd, holder)
    if interrupted:
        holder = {**holder, "interrupted": interrupted}
    with _guard:
        _held[path] = _Held(fd, 1)
    try:
        yield holder
    finally:
        with _guard:
            entry = _held[path]
            entry.depth -= 1
            last = entry.depth == 0
            if last:
                del _held[path]
        if last:
            os.ftruncate(fd, 0)  # an empty record: the build ended, it did not die
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def record_run_id(home: Home, run_id: str) -> None:
    """Add the Dagster run id to the record of the lock this process holds."""
    path = lock_path(home)
    with _guard:
        held = _held.get(path)
    if held is None:
        return
    holder = _read_holder(path) or {}
    if holder.get("run_id") != run_id:
        holder["run_id"] = run_id
        _write_holder(held.fd, holder)


def record_step(step: str) -> None:
    """Note the step a build of this process has started in the record of every lock it holds,
    so that ``smw status`` can say where a running build is (and since when)."""
    with _guard:
        held = list(_held.items())
    for path, lock in held:
        holder = _read_holder(path) or {}
        holder["step"] = step
        holder["step_started_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        _write_holder(lock.fd, holder)


def running_build(home: Home) -> dict[str, Any] | None:
    """The record of the build running now (in another process), or None when none runs."""
    path = lock_path(home)
    if not path.exists():
        return None
    with _guard:
        if path in _held:
            return _read_holder(path) or {"pid": os.getpid()}
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(path) or {}
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def interrupted_build(home: Home) -> dict[str, Any] | None:
    """The record of a build that died without finishing (killed, crashed, power lost).

    It stays in the lock file until the next build takes the lock."""
    if running_build(home) is not None:
        return None
    return _read_holder(lock_path(home))


def wait_until_writable(
    database: Path,
    *,
    wait_seconds: float,
    on_wait: Callable[[str], None] | None = None,
    poll_seconds: float = 1.0,
) -> None:
    """Wait until no other process has ``database`` open (DuckDB locks the whole file).

    An analyst's read-only session on the restricted warehouse, or a dbt process orphaned by a
    killed build, holds DuckDB's file lock; a build waits up to ``wait_seconds`` for it to go
    rather than failing half-way. Raises :class:`WarehouseInUseError` after that."""
    import duckdb

    deadline = time.monotonic() + wait_seconds
    told = False
    while True:
        try:
            duckdb.connect(str(database)).close()
            return
        except duckdb.IOException as e:
            if "lock" not in str(e).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseInUseError(database, str(e)) from None
            if on_wait is not None and not told:
                on_wait(
                    f"waiting up to {wait_seconds:.0f} s for another process to close "
                    f"{database.name}: {_lock_owner(str(e))}"
                )
                told = True
            time.sleep(poll_seconds)


class WarehouseInUseError(RuntimeError):
    def __init__(self, database: Path, duckdb_message: str) -> None:
        super().__init__(
            f"{database} is open in another process ({_lock_owner(duckdb_message)}); a build "
            "needs it to itself. Close read-only sessions on the restricted warehouse (analysts "
            "can read serving.duckdb at any time) and build again."
        )


def _lock_owner(duckdb_message: str) -> str:
    marker = "Conflicting lock is held in "
    if marker in duckdb_message:
        return "held by " + duckdb_message.split(marker, 1)[1].split(". See")[0]
    return duckdb_message
