"""Compile dbt macro calls without building anything: one `dbt compile --inline` for many queries
(dbt takes seconds to start), in a scratch target so the project's target/ is untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from orchestration.lib.paths import DBT_PROJECT_DIR

QUERY_SEPARATOR = "\n;-- query: "


def compile_inline(queries: dict[str, str], scratch: Path) -> dict[str, str]:
    """Compiled SQL of each named query (Jinja with the project's macros)."""
    inline = "".join(f"{QUERY_SEPARATOR}{name}\n{sql}" for name, sql in queries.items())
    dbt = Path(sys.executable).with_name("dbt")
    env = {
        **os.environ,
        "SMW_WAREHOUSE_PATH": str(scratch / "warehouse.duckdb"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    result = subprocess.run(
        [
            str(dbt),
            "compile",
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(scratch / "target"),
            "--log-path",
            str(scratch / "logs"),
            "--quiet",
            "--output",
            "json",
            "--inline",
            inline,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-4000:] + result.stderr[-4000:])
    text = json.loads(result.stdout)["compiled"]
    parts = text.split(QUERY_SEPARATOR)[1:]
    return dict(part.split("\n", 1) for part in parts)
