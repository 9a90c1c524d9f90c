"""`smw status` on the session demo warehouse: per source, files landed, duplicates, rejected
files, rows, row problems and the newest data date; and what is published."""

from __future__ import annotations

import pytest

from orchestration.lib import spec
from tests.db import rows as query

pytestmark = pytest.mark.slow


def test_status_reports_landing_per_source(demo_build, capsys):
    from orchestration.cli import main

    assert main(["status", "--home", str(demo_build.home.root)]) == 0
    out = capsys.readouterr().out
    db = demo_build.home.warehouse_db
    audit = {
        (s, st): n
        for s, st, n in query(db, "select source, status, count(*) from audit.loads group by all")
    }
    problems = dict(
        query(db, "select source_name, count(*) from marts.fct_row_problems group by 1")
    )
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("  ")}
    for src in spec.SOURCES:
        cells = lines[src.name]
        rows = query(db, f"select count(*) from raw.{src.name}")[0][0]
        assert cells[1:6] == [
            f"{audit.get((src.name, 'loaded'), 0):,}",
            f"{audit.get((src.name, 'duplicate'), 0):,}",
            f"{audit.get((src.name, 'quarantined'), 0):,}",
            f"{rows:,}",
            f"{problems.get(src.name, 0):,}",
        ], src.name
        if src.date_column:
            assert cells[6] == "2021-03-31" or cells[6].startswith("2021-03"), cells
    assert "row problems: marts.fct_row_problems" in out
    assert "Published" in out
