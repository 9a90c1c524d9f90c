"""The outputs index: one page in the warehouse home linking everything a build produced.

Readers start here: the published database and its Parquet exports, the area reports, the data
quality reports and the run log. Restricted outputs (the warehouse, feedback pages for providers)
are listed with who may use them.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.lib import long_download
from orchestration.lib.paths import Home

INDEX_NAME = "index.html"


@dataclass(frozen=True)
class Output:
    title: str
    path: Path
    audience: str
    description: str

    @property
    def exists(self) -> bool:
        return self.path.exists()


def _published_tables(serving_db: Path) -> list[tuple[str, int, str]]:
    if not serving_db.exists():
        return []
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        rows = con.execute(
            "select table_name, row_count, cast(published_at as varchar) from _publication order by table_name"
        ).fetchall()
    except duckdb.Error:
        rows = []
    finally:
        con.close()
    return [(str(t), int(n), str(p)) for t, n, p in rows]


def outputs_of(home: Home) -> list[Output]:
    last_log = ""
    last_run = home.state_dir / "last_run.json"
    if last_run.exists():
        try:
            last_log = json.loads(last_run.read_text()).get("log_file") or ""
        except (OSError, ValueError):
            last_log = ""
    return [
        Output(
            "Published database",
            home.serving_db,
            "everyone with access to published statistics; BI tools",
            "Suppressed, contract-enforced tables (rpt_*). Connect read-only.",
        ),
        Output(
            "Parquet exports",
            home.exports_dir / "manifest.json",
            "everyone with access to published statistics",
            "Every published table as a Parquet file, with a manifest.",
        ),
        Output(
            "Indicator data download (CSV)",
            home.exports_dir / long_download.CSV_NAME,
            "everyone with access to published statistics; spreadsheets",
            "Every published indicator value, one row each (Fingertips-style long format): "
            "indicator, area, sex, age, category, period, value, 95% limits, count, "
            "denominator, value note, recent trend, compared to England / region.",
        ),
        Output(
            "Indicator data download (Parquet)",
            home.exports_dir / long_download.PARQUET_NAME,
            "everyone with access to published statistics; analysis tools",
            "The same rows as the CSV download, typed.",
        ),
        Output(
            "Indicator data download: column dictionary",
            home.exports_dir / long_download.DICTIONARY_NAME,
            "everyone with access to published statistics",
            "What each column of the indicator data download holds.",
        ),
        Output(
            "Area profile reports",
            home.reports_dir / "index.html",
            "everyone with access to published statistics",
            "Harm-reduction overview, treatment profile and DIP activity profile for each area.",
        ),
        Output(
            "Calibration against the published reports",
            home.root / "calibration" / "index.html",
            "everyone with access to published statistics",
            "Each figure of the seed reports beside what smw publishes for it: within tolerance, "
            "outside, or why it cannot be compared (smw calibrate).",
        ),
        Output(
            "Data quality reports",
            home.data_docs_dir / "index.html",
            "restricted: data-quality engagement lead, warehouse team",
            "Great Expectations Data Docs for every run: which rules failed, how badly, and why.",
        ),
        Output(
            "Provider feedback pages",
            home.root / "data-quality" / "index.html",
            "restricted: data-quality engagement lead (one page per provider, to send to them)",
            "Failing rules per provider with counts, trends and example record ids.",
        ),
        Output(
            "Restricted warehouse",
            home.warehouse_db,
            "restricted: analysts of the intelligence team",
            "Pseudonymised, unsuppressed raw, staging, intermediate and mart tables.",
        ),
        Output(
            "Latest run log",
            Path(last_log) if last_log else home.root / "logs",
            "warehouse team",
            "Everything Dagster and dbt printed during the latest build.",
        ),
    ]


def write_outputs_index(home: Home) -> Path:
    """Write ``<home>/index.html`` (atomically) and return its path."""
    rows = []
    for out in outputs_of(home):
        rel = os.path.relpath(out.path, home.root)
        link = (
            f'<a href="{html.escape(rel)}">{html.escape(out.title)}</a>'
            if out.exists
            else f"{html.escape(out.title)} <em>(not produced yet)</em>"
        )
        rows.append(
            f"<tr><td>{link}</td><td>{html.escape(out.description)}</td>"
            f"<td>{html.escape(out.audience)}</td><td><code>{html.escape(str(out.path))}</code></td></tr>"
        )
    tables = "".join(
        f"<tr><td><code>{html.escape(t)}</code></td><td>{n:,}</td><td>{html.escape(p)}</td></tr>"
        for t, n, p in _published_tables(home.serving_db)
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>smw outputs</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}}</style>
</head><body>
<h1>Substance Misuse Intelligence Warehouse: outputs</h1>
<p>Written {html.escape(datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))}. Published outputs
hold suppressed aggregates only (counts 1-4 withheld, and whatever would let them be worked
back). Restricted outputs hold pseudonymised records: keep them inside the team.</p>
<table><thead><tr><th>Output</th><th>What it is</th><th>Who may use it</th><th>Path</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<h2>Published tables</h2>
<table><thead><tr><th>Table</th><th>Rows</th><th>Published</th></tr></thead><tbody>{tables}</tbody></table>
</body></html>
"""
    target = home.root / INDEX_NAME
    tmp = target.with_name(f".{INDEX_NAME}.{os.getpid()}")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, target)
    return target
