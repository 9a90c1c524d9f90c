"""Running a command as a subprocess while measuring its wall time and memory.

Memory is read from ``/proc`` (Linux): every ``interval`` seconds the resident set sizes of
the process and all its descendants (a build starts dbt as a child) are summed; the peak of
that sum is the build's footprint. The largest single process, from ``wait4``'s
``ru_maxrss``, is reported beside it."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Measured:
    seconds: float
    returncode: int
    peak_rss_mb: float  # the process tree, sampled
    max_process_rss_mb: float  # the largest single process (ru_maxrss)


def _tree_rss_bytes(root: int) -> int:
    """Resident bytes of ``root`` and its descendants (one scan of /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
        except OSError:
            continue
        # the command name is in parentheses and may hold spaces: fields follow the last ')'
        fields = stat[stat.rfind(")") + 2 :].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        rss[pid] = int(fields[21]) * _PAGE
    total, frontier = 0, [root]
    seen: set[int] = set()
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    while frontier:
        pid = frontier.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += rss.get(pid, 0)
        frontier.extend(children.get(pid, []))
    return total


def run_measured(
    cmd: list[str],
    *,
    env: dict[str, str],
    log_path: Path,
    cwd: Path | None = None,
    interval: float = 0.2,
) -> Measured:
    """Run ``cmd`` (output to ``log_path``) and return its time and peak memory."""
    peak = 0
    done = threading.Event()
    with open(log_path, "w", encoding="utf-8") as out:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss_bytes(proc.pid))
                done.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - t0
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return Measured(
        seconds=round(seconds, 2),
        returncode=proc.returncode,
        peak_rss_mb=round(peak / 2**20, 1),
        max_process_rss_mb=round(usage.ru_maxrss / 1024, 1),
    )
