"""Start dbt so that it dies with the process that started it.

dagster-dbt runs dbt as a child process. If the build is killed (SIGKILL, the OOM killer, a
Dagster run worker that dies), an ordinary child would carry on writing the warehouse for a
while, holding DuckDB's lock, and the next build would have to wait for it. On Linux the
launcher asks the kernel to kill dbt when its parent dies (``PR_SET_PDEATHSIG``), then becomes
dbt (``exec``). Elsewhere it just becomes dbt, and the next build waits for the lock instead.

dagster-dbt wants an executable file, so the launcher is a two-line shell script written next
to the dbt project's build output (``dbt_project/target/``, never committed).
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

_PDEATHSIG = r"""import ctypes, os, signal, sys
parent = os.getppid()
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
except (OSError, AttributeError):
    pass  # not Linux: dbt outlives a killed build; the next build waits for DuckDB's lock
if os.getppid() != parent:
    sys.exit("smw: the build that started dbt has already stopped")
os.execv(sys.argv[1], sys.argv[1:])
"""


#: What every production ``dbt build`` leaves out, on every engine (``smw build`` and the
#: benchmark's peers): dbt unit tests check the SQL against fixed inputs; they run once in the
#: test suite (tests/integration/test_dbt_unit_tests.py), not in every build.
BUILD_EXCLUDES = ("--exclude-resource-type", "unit_test")


def launcher_script(python: Path, dbt: Path, folder: Path) -> Path:
    """Write (if needed) and return the launcher for ``dbt`` run by ``python``."""
    text = (
        "#!/bin/sh\n"
        "# Written by smw (orchestration/lib/dbt_launcher.py): dbt that dies with its parent.\n"
        f'exec {shlex.quote(str(python))} -c {shlex.quote(_PDEATHSIG)} {shlex.quote(str(dbt))} "$@"\n'
    )
    path = folder / "smw-dbt"
    try:
        if path.read_text() == text and os.access(path, os.X_OK):
            return path
    except FileNotFoundError:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    staged = folder / f".smw-dbt.{os.getpid()}"
    staged.write_text(text)
    staged.chmod(0o755)
    os.replace(staged, path)
    return path
