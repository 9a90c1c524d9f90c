"""The persistent Dagster instance of a warehouse home: ``<home>/dagster`` (``DAGSTER_HOME``).

``smw build``, the schedules and sensors and ``smw dagster-dev`` all use it, so the Dagster UI
shows every build's run, its materializations with their metadata and its check results.

Storage is SQLite in WAL mode under ``<home>/dagster/storage`` and ``<home>/dagster/history``,
Dagster's files and schema, opened through :mod:`orchestration.lib.dagster_sqlite` with connections
kept open and ``synchronous=NORMAL``, so an event costs no disk sync (it cost two to four, about a
fifth of a demo build on a busy disk). ``dagster.yaml`` names that storage, so the Dagster UI, the
daemon and the runs it launches use it too; :func:`instance_ref` opens it on the folder itself. A build killed at any point must not leave the instance unusable:

- the instance is created in a temporary folder and renamed into place once its databases exist
  (Dagster creates the event-log index only when the file is missing, so a half-created index
  would otherwise stay broken);
- every later write is a SQLite transaction, which a killed process cannot leave half done
  (with ``synchronous=NORMAL`` in WAL mode a committed transaction survives a killed process, and a
  power cut can lose the last ones but never corrupts a database);
- a run whose build was killed stays "started" in the instance; the next build marks it failed
  (:func:`mark_run_interrupted`), so the UI never shows it running forever.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.lib.paths import Home

if TYPE_CHECKING:
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

DAGSTER_YAML = """\
# The persistent Dagster instance of this smw warehouse home (DAGSTER_HOME).
# Written by smw (orchestration/lib/dagster_instance.py); storage is SQLite in this folder.
telemetry:
  enabled: false
nux:
  enabled: false
# Dagster's SQLite files and schema in this folder, opened with pooled connections that do not
# sync each commit (orchestration/lib/dagster_sqlite.py): smw build, the Dagster UI, the daemon
# and the runs it launches all use it. Delete these lines to use Dagster's default storage.
storage:
  custom:
    module: orchestration.lib.dagster_sqlite
    class: SmwSqliteStorage
    config: {}
"""
#: What smw wrote before the storage lines; a home whose dagster.yaml is exactly this (nobody
#: edited it) is brought up to date, so its daemon and UI use the same storage as its builds.
_EARLIER_DAGSTER_YAML = DAGSTER_YAML.split("# Dagster's SQLite files")[0]
_INIT_PREFIX = ".dagster-init-"
#: Storages smw opens on the instance folder itself, whatever ``base_dir`` the file gives
#: (Dagster's default for a folder without storage lines, and smw's own).
SQLITE_STORAGES = frozenset({"DagsterSqliteStorage", "SmwSqliteStorage"})

#: Which schedules and sensors run unless someone turns them on or off in the Dagster UI (or with
#: ``dagster schedule start``): the schedules are off, the two sensors on. Either only fires while
#: a Dagster daemon runs on the home (``smw dagster-dev`` starts one).
AUTOMATION_DEFAULTS: dict[str, tuple[str, bool]] = {
    "daily_build": ("schedule", False),
    "monthly_full_refresh": ("schedule", False),
    "landing_folder_sensor": ("sensor", True),
    "record_run_failure": ("sensor", True),
}
#: A daemon whose last heartbeat is older than this is taken as stopped.
DAEMON_HEARTBEAT_SECONDS = 120


def default_running(name: str) -> bool:
    return AUTOMATION_DEFAULTS[name][1]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_dead_inits(home: Home) -> None:
    """Folders left by an instance creation that was killed before its rename."""
    for stale in home.root.glob(f"{_INIT_PREFIX}*"):
        try:
            pid = int(stale.name[len(_INIT_PREFIX) :].split("-", 1)[0])
        except ValueError:
            pid = -1
        if pid <= 0 or not _pid_alive(pid):
            shutil.rmtree(stale, ignore_errors=True)


def ensure_dagster_home(home: Home) -> Path:
    """``<home>/dagster`` with its ``dagster.yaml`` and databases, created whole or not at all."""
    target = home.dagster_dir
    config = target / "dagster.yaml"
    if config.is_file():
        if config.read_text(encoding="utf-8") == _EARLIER_DAGSTER_YAML:
            scratch = target / f".dagster.yaml.{os.getpid()}.tmp"
            scratch.write_text(DAGSTER_YAML, encoding="utf-8")
            scratch.replace(config)
        return target
    from dagster import DagsterInstance

    home.root.mkdir(parents=True, exist_ok=True)
    _remove_dead_inits(home)
    if target.exists():  # an older layout or a hand-made folder without dagster.yaml
        (target / "dagster.yaml").write_text(DAGSTER_YAML, encoding="utf-8")
        return target
    staging = home.root / f"{_INIT_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        (staging / "dagster.yaml").write_text(DAGSTER_YAML, encoding="utf-8")
        with DagsterInstance.from_ref(instance_ref(staging)) as instance:
            instance.get_runs(limit=1)  # run, event-log index and schedule databases exist
            instance.all_instigator_state()
        try:
            staging.rename(target)
        except OSError:
            if not (target / "dagster.yaml").is_file():  # not another process's instance
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def instance_ref(path: Path) -> InstanceRef:
    """How smw opens the instance in ``path``: ``dagster.yaml`` as written, with the storages of
    :mod:`orchestration.lib.dagster_sqlite` (same files and schema as Dagster's default SQLite
    storage, which the Dagster UI and daemon use; pooled connections and WAL commits without a
    disk sync, each still a whole transaction)."""
    from dagster._core.instance.ref import InstanceRef

    from orchestration.lib.dagster_sqlite import storage_data

    ref = InstanceRef.from_dir(str(path))
    if ref.storage_data is None or ref.storage_data.class_name not in SQLITE_STORAGES:
        return ref  # a dagster.yaml that names other storage: used as it is
    return ref._replace(storage_data=storage_data(str(path)))


@contextmanager
def open_instance(home: Home) -> Iterator[DagsterInstance]:
    """The home's persistent instance (created on first use)."""
    from dagster import DagsterInstance

    path = ensure_dagster_home(home)
    with DagsterInstance.from_ref(instance_ref(path)) as instance:
        yield instance


def mark_run_interrupted(instance: DagsterInstance, run_id: str, message: str) -> bool:
    """Mark a run of a killed build as failed (it would stay "started" for ever otherwise)."""
    if not run_id:
        return False
    run = instance.get_run_by_id(run_id)
    if run is None or run.is_finished:
        return False
    instance.report_run_failed(run, message=message)
    return True


@dataclass(frozen=True)
class AutomationState:
    name: str
    kind: str  # schedule | sensor
    running: bool
    changed: bool  # turned on or off by someone, rather than the code's default


@dataclass(frozen=True)
class InstanceStatus:
    path: Path
    runs: int
    last_run: str  # "1a2b3c4d SUCCESS", or "" when none
    automation: list[AutomationState]
    daemon_running: bool


def instance_status(home: Home) -> InstanceStatus | None:
    """What ``smw status`` says about Dagster: runs held, schedules and sensors on or off, and
    whether a daemon (which fires them) is running. None before the first build."""
    if not (home.dagster_dir / "dagster.yaml").is_file():
        return None
    from dagster import DagsterInstance
    from dagster._core.scheduler.instigation import InstigatorStatus

    with DagsterInstance.from_ref(instance_ref(home.dagster_dir)) as instance:
        stored = {s.instigator_name: s.status for s in instance.all_instigator_state()}
        runs = instance.get_runs_count()
        last = instance.get_runs(limit=1)
        beats = instance.get_daemon_heartbeats()
    automation = []
    for name, (kind, default) in AUTOMATION_DEFAULTS.items():
        status = stored.get(name)
        if status in (InstigatorStatus.RUNNING, InstigatorStatus.STOPPED):
            running, changed = status == InstigatorStatus.RUNNING, True
        else:
            running, changed = default, False
        automation.append(AutomationState(name, kind, running, changed))
    now = time.time()
    daemon = any(now - b.timestamp < DAEMON_HEARTBEAT_SECONDS for b in beats.values())
    last_run = f"{last[0].run_id[:8]} {last[0].status.value}" if last else ""
    return InstanceStatus(home.dagster_dir, runs, last_run, automation, daemon)


def describe_status(home: Home, status: InstanceStatus | None) -> str:
    """The ``Dagster`` block of ``smw status``."""
    if status is None:
        return f"Dagster    no instance yet in {home.dagster_dir} (the first smw build creates it)"
    lines = [
        f"Dagster    {status.path} (DAGSTER_HOME): {status.runs} run(s)"
        + (f", latest {status.last_run}" if status.last_run else "")
    ]
    for kind in ("schedule", "sensor"):
        items = [a for a in status.automation if a.kind == kind]
        text = ", ".join(
            f"{a.name} {'on' if a.running else 'off'}{'' if a.changed else ' (default)'}"
            for a in items
        )
        lines.append(f"  {kind}s{' ' * (10 - len(kind))}{text}")
    if status.daemon_running:
        lines.append("  daemon     running: schedules and sensors that are on fire")
    else:
        lines.append(
            "  daemon     not running: nothing fires until `smw dagster-dev` (or "
            f"`DAGSTER_HOME={status.path} dagster-daemon run`) runs"
        )
    if not all(a.running for a in status.automation if a.kind == "schedule"):
        lines.append(
            "  turn on    the Dagster UI (smw dagster-dev, Automation), or "
            f"`DAGSTER_HOME={status.path} SMW_HOME={home.root} dagster schedule start "
            "daily_build -m orchestration.definitions`"
        )
    return "\n".join(lines)
