"""One table of exit codes, shared by every ``smw`` command (README: "Exit codes").

Scripts and schedulers can act on the code without reading the output: 1 means the command ran
and found something wrong (look at its output), the others say what to do next.
"""

from __future__ import annotations

import errno
import shutil
from enum import IntEnum
from pathlib import Path


class Exit(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    QUARANTINED = 3
    BUSY = 4
    KEY_MISMATCH = 5
    DISK_FULL = 6
    ARCHIVE_INCOMPLETE = 7


#: What each code means and what the operator does: the README table is checked against it.
MEANING: dict[Exit, tuple[str, str]] = {
    Exit.OK: ("success", "nothing"),
    Exit.FAILED: (
        "the command ran and something failed: a build step or blocking check, a verify "
        "discrepancy, a calibration figure outside its tolerance, a query error, the last build "
        "failed (status)",
        "read the output and the run log it names; serving is unchanged by a failed build",
    ),
    Exit.USAGE: (
        "bad arguments, or an input the command needs is missing (no serving.duckdb yet, an "
        "unreadable option)",
        "correct the command, or build first",
    ),
    Exit.QUARANTINED: (
        "smw build --strict: the build succeeded but files were quarantined",
        "read the .error.txt beside each file in quarantine/, correct and re-send it",
    ),
    Exit.BUSY: (
        "another build holds the warehouse",
        "wait for it (smw status shows it) or use --wait SECONDS",
    ),
    Exit.KEY_MISMATCH: (
        "the linkage key in use is not the key that built the warehouse; nothing was landed",
        "restore the warehouse's key (the message names both fingerprints)",
    ),
    Exit.DISK_FULL: (
        "no space left on the device; the message names the path and the space to free",
        "free space on that file system and run the command again; serving is unchanged",
    ),
    Exit.ARCHIVE_INCOMPLETE: (
        "smw rekey: the archive cannot re-derive the warehouse: an archived file it was landed "
        "from is missing, changed or no longer readable, or raw holds rows of a load no archived "
        "file accounts for (the message names the file and record, or the load); nothing was "
        "changed",
        "restore the file named into archive/ from backup, or resolve what smw verify reports, "
        "and run smw rekey again",
    ),
}


def is_disk_full(error: BaseException | str) -> bool:
    """An OSError for a full device (ENOSPC, EDQUOT), or the text of one."""
    if isinstance(error, OSError):
        return error.errno in (errno.ENOSPC, errno.EDQUOT)
    text = str(error)
    return "No space left on device" in text or "Disk quota exceeded" in text


def disk_full_message(command: str, home: Path, path: str | None = None) -> str:
    """One line: where the write failed, how much is free there and about how much a build
    needs (twice the warehouse, which a build rewrites, plus the landing files)."""
    where = Path(path) if path else home
    probe = where if where.exists() else home
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    warehouse = home / "warehouse.duckdb"
    needed = 2 * warehouse.stat().st_size if warehouse.exists() else 0
    need_text = (
        f"; a build needs about {_mb(needed)} free (twice warehouse.duckdb)" if needed else ""
    )
    return (
        f"smw {command}: no space left on the device writing {where} "
        f"({_mb(free)} free there{need_text}); free space and run it again. "
        "Serving is unchanged."
    )


def _mb(n: int) -> str:
    return f"{n / 1_000_000:,.0f} MB"
