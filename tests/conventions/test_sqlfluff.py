"""sqlfluff holds the dbt models at zero violations (the repository's `.sqlfluff`: dbt templater,
duckdb dialect, house style). `make lint` runs the same command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.lib.paths import DBT_PROJECT_DIR, REPO_ROOT


# Two to three minutes of one core (160 s measured, --persist-timing): templating with dbt is
# about a tenth, parsing the compiled SQL and the layout rules (LT01, LT05, LT02, LT14) the rest.
# The jinja templater cannot render the dbt.*/adapter.dispatch macros the models call.
@pytest.mark.slow
def test_sqlfluff_finds_no_violations_in_the_dbt_models(tmp_path: Path):
    # The dbt templater compiles the project: an empty scratch warehouse and its own target and
    # log folders, so it never touches dbt_project/target that other tests read.
    env = {
        **os.environ,
        "SMW_DBT_TARGET": "duckdb",
        "SMW_WAREHOUSE_PATH": str(tmp_path / "lint.duckdb"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sqlfluff",
            "lint",
            str(DBT_PROJECT_DIR / "models"),
            "--format",
            "json",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        # A guard against a hang, not a speed target: 405 s beside one other test, over 900 s
        # beside a scale-10 build on the 2-core machine.
        timeout=1800,
    )
    assert result.stdout.strip(), f"sqlfluff printed no report:\n{result.stderr[-3000:]}"
    files = json.loads(result.stdout)
    assert len(files) >= 60, f"sqlfluff linted only {len(files)} files"
    problems = [
        f"{Path(f['filepath']).relative_to(REPO_ROOT) if Path(f['filepath']).is_absolute() else f['filepath']}"
        f":{v['start_line_no']}:{v['start_line_pos']} {v['code']} {v['description']}"
        for f in files
        for v in f["violations"]
    ]
    assert not problems, "sqlfluff violations (fix or `sqlfluff fix`):\n" + "\n".join(problems)
    assert result.returncode == 0, result.stderr[-3000:]
