"""Finding the files waiting in the landing folder, and leaving those still being copied in
for the next build."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from orchestration.lib import spec


def discover(
    landing: Path, problems: list[str] | None = None
) -> tuple[list[tuple[spec.Source, Path]], list[str]]:
    """Files waiting in ``<landing>/<source>/``, in landing order, and what was ignored.

    Within a source, files land in name order (suppliers name extracts by date), so a record
    re-sent in a later file replaces the earlier version. Dotfiles are ignored silently
    (editor and tool droppings); anything else outside a known source folder is reported.
    A symbolic link to a file lands as that file (and is archived as its content); a link that
    leads nowhere is added to ``problems``, naming it and where it points.
    """
    found: list[tuple[spec.Source, Path]] = []
    ignored: list[str] = []
    if not landing.exists():
        return found, ignored
    for entry in sorted(landing.iterdir()):
        if entry.name.startswith("."):
            continue
        if not entry.is_dir():
            ignored.append(f"{entry.name}: not inside a source folder")
            continue
        if entry.name not in spec.SOURCES_BY_NAME:
            ignored.append(f"{entry.name}/: not a known source folder")
            continue
        src = spec.SOURCES_BY_NAME[entry.name]
        for f in sorted(entry.rglob("*")):
            if any(p.startswith(".") for p in f.relative_to(entry).parts):
                continue
            if f.is_file():
                found.append((src, f))
            elif f.is_symlink() and problems is not None:
                problems.append(_dangling(f, landing))
    return found, ignored


def _dangling(link: Path, landing: Path) -> str:
    try:
        target = os.readlink(link)
    except OSError:
        target = "?"
    return (
        f"{link.relative_to(landing)}: a symbolic link to {target}, which does not exist or "
        "cannot be followed (a dangling link); nothing landed from it. Put the file itself in "
        "the landing folder, or remove the link"
    )


# --------------------------------------------------------------------------------------------
# Files still being copied in

SETTLE_ENV = "SMW_LANDING_SETTLE_SECONDS"
#: A file changed less than this many seconds ago may still be being copied in.
DEFAULT_SETTLE_SECONDS = 5.0


def settle_seconds() -> float:
    """How long a file must be unchanged before it lands: ``SMW_LANDING_SETTLE_SECONDS``, else 5."""
    configured = os.environ.get(SETTLE_ENV, "").strip()
    if not configured:
        return DEFAULT_SETTLE_SECONDS
    try:
        seconds = float(configured)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:
        raise ValueError(
            f"{SETTLE_ENV}={configured!r}: expected a number of seconds from 0 to 3600"
        )
    return seconds


def _changed_at(st: os.stat_result) -> float:
    """When the file last changed: its ctime too, which a copy that keeps the sender's mtime
    (``cp -p``, Windows Explorer) cannot set back."""
    return max(st.st_mtime, st.st_ctime)


def _fingerprint(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def settle_files(
    files: list[tuple[spec.Source, Path]],
    landing: Path,
    seconds: float,
    *,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> tuple[list[tuple[spec.Source, Path, tuple[int, int, int]]], list[str]]:
    """Files unchanged for ``seconds``, with their size and times, and the ones still being
    written (one line each, for the report).

    A file that changed less than ``seconds`` ago is watched until it is that old (one wait for
    the whole batch, at most ``seconds``): unchanged by then, it lands; changed again, it is
    left in the landing folder for the next build, never landed half-copied.
    """
    clock = clock or time.time
    sleep = sleep or time.sleep
    first: dict[Path, os.stat_result] = {}
    waiting: list[str] = []
    for _, path in files:
        try:
            first[path] = os.stat(path)
        except OSError as e:  # removed or renamed since it was listed
            waiting.append(f"{path.relative_to(landing)}: gone while listed ({e.strerror})")
    if seconds > 0 and first:
        wait = seconds - (clock() - max(map(_changed_at, first.values())))
        if wait > 0:
            sleep(wait + 0.05)
    ready: list[tuple[spec.Source, Path, tuple[int, int, int]]] = []
    for src, path in files:
        if path not in first:
            continue
        try:
            st = os.stat(path)
        except OSError as e:
            waiting.append(f"{path.relative_to(landing)}: gone while listed ({e.strerror})")
            continue
        age = clock() - _changed_at(st)
        if _fingerprint(st) != _fingerprint(first[path]) or age < seconds:
            waiting.append(
                f"{path.relative_to(landing)}: still being written (changed {max(age, 0):.1f} s "
                f"ago, size {st.st_size:,} bytes); left for the next build"
            )
            continue
        ready.append((src, path, _fingerprint(st)))
    return ready, waiting
