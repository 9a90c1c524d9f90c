"""The calibration page (HTML) and its markdown table, written into the warehouse home."""

from __future__ import annotations

import html
import math
import os
from datetime import UTC, datetime
from pathlib import Path

from orchestration.lib.calibration.check import REPORTS, STATUSES, VERDICTS, Outcome, Summary

CALIBRATION_DIR = "calibration"
PAGE_NAME = "index.html"
MARKDOWN_NAME = "calibration.md"

_VERDICT_TEXT = {
    "within": "within tolerance",
    "outside": "OUTSIDE tolerance",
    "missing": "not in serving",
    "too_small": "withheld at this scale",
    "not_in_demo": "not in the demo yet",
    "not_calibrated": "not calibrated yet",
    "not_reproducible": "not reproducible",
    "out_of_scope": "out of scope",
}


def _fmt(value: float | None, statistic: str) -> str:
    if value is None:
        return ""
    if not math.isfinite(value):
        return str(value)
    if statistic in ("share", "change_relative", "change_share"):
        return f"{value * 100:.1f}%"
    if statistic == "rate":
        return f"{value:,.2f}"
    return f"{value:,.0f}"


def _amount(o: Outcome, amount: float, sign: str) -> str:
    """A difference or tolerance in the figure's sense: areas, % of the figure (relative) or
    percentage points; ``sign`` is "+" (a signed difference) or "±" (a tolerance)."""
    signed = "+" if sign == "+" else ""
    prefix = "" if sign == "+" else sign
    if o.figure.statistic == "areas_falling":
        return f"{prefix}{amount:{signed}.0f}"
    unit = "%" if o.figure.relative else " pts"
    if abs(amount) < 0.0005:
        return f"{prefix}0.0{unit}"
    return f"{prefix}{amount * 100:{signed}.1f}{unit}"


def _difference(o: Outcome) -> str:
    if o.difference is None:
        return ""
    if not math.isfinite(o.difference):
        return str(o.difference)
    return _amount(o, o.difference, "+")


def _tolerance(o: Outcome) -> str:
    if o.tolerance is None:
        return ""
    if not math.isfinite(o.tolerance):
        return "any (too few at this scale)"
    return _amount(o, o.tolerance, "±")


def _why(o: Outcome) -> str:
    if o.verdict in ("not_in_demo", "not_calibrated", "not_reproducible", "out_of_scope"):
        return o.figure.note
    parts = [o.detail] if o.detail else []
    if o.figure.note:
        parts.append(o.figure.note)
    return "; ".join(parts)


def _where(o: Outcome) -> str:
    f = o.figure
    if not f.indicator_code:
        return ""
    return f"{f.indicator_code} · {f.area_code} · {f.period} · {f.breakdown_type}={f.breakdown}"


def markdown(summary: Summary) -> str:
    """The summary table (report × verdict) and every figure, grouped by report."""
    lines = [
        f"# Calibration: the demo against the seed reports (scale {summary.scale:g})",
        "",
        "| report | figures | " + " | ".join(_VERDICT_TEXT[v] for v in VERDICTS) + " |",
        "|---|---:|" + "---:|" * len(VERDICTS),
    ]
    for report, counts in summary.by_report.items():
        total = sum(counts.values())
        lines.append(
            f"| {report} | {total} | " + " | ".join(str(counts[v]) for v in VERDICTS) + " |"
        )
    totals = summary.totals
    lines.append(
        f"| **all** | **{sum(totals.values())}** | "
        + " | ".join(f"**{totals[v]}**" for v in VERDICTS)
        + " |"
    )
    for report, title in REPORTS.items():
        rows = [o for o in summary.outcomes if o.figure.report == report]
        if not rows:
            continue
        lines += ["", f"## {report}: {title}", ""]
        lines += [
            "| figure | published | smw | difference | tolerance | verdict | why |",
            "|---|---:|---:|---:|---:|---|---|",
        ]
        for o in rows:
            f = o.figure
            label = f"{f.reference}: {f.label}".replace("|", "/")
            lines.append(
                f"| {label} | {_fmt(f.published, f.statistic)} | {_fmt(o.smw, f.statistic)} | "
                f"{_difference(o)} | {_tolerance(o)} | {_VERDICT_TEXT[o.verdict]} | "
                f"{_why(o).replace('|', '/')} |"
            )
    return "\n".join(lines) + "\n"


_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}
table.figs{width:100%;table-layout:fixed}
table.figs td{overflow-wrap:anywhere}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tr.outside td,tr.missing td{background:#fde2e1}
span.v{font-weight:600}
tr.within span.v{color:#1a6b2f}
tr.outside span.v,tr.missing span.v{color:#a4161a}
tr.not_in_demo span.v,tr.not_calibrated span.v,tr.not_reproducible span.v,tr.out_of_scope span.v{color:#555}
small{color:#555}
"""


def page(summary: Summary) -> str:
    e = html.escape
    head = "".join(f'<th class="n">{e(_VERDICT_TEXT[v])}</th>' for v in VERDICTS)
    body = []
    for report, counts in summary.by_report.items():
        cells = "".join(f'<td class="n">{counts[v]}</td>' for v in VERDICTS)
        body.append(
            f'<tr><td><a href="#{report.lower()}">{e(report)}</a>: {e(REPORTS[report])}</td>'
            f'<td class="n">{sum(counts.values())}</td>{cells}</tr>'
        )
    totals = summary.totals
    body.append(
        f'<tr><th>all</th><th class="n">{sum(totals.values())}</th>'
        + "".join(f'<th class="n">{totals[v]}</th>' for v in VERDICTS)
        + "</tr>"
    )
    sections = []
    for report, title in REPORTS.items():
        rows = [o for o in summary.outcomes if o.figure.report == report]
        if not rows:
            continue
        trs = []
        for o in rows:
            f = o.figure
            trs.append(
                f'<tr class="{o.verdict}"><td>{e(f.label)}<br><small>{e(f.reference)} · '
                f"{e(f.measure)}</small></td><td><small>{e(_where(o))}</small></td>"
                f'<td class="n">{e(_fmt(f.published, f.statistic))}</td>'
                f'<td class="n">{e(_fmt(o.smw, f.statistic))}</td>'
                f'<td class="n">{e(_difference(o))}</td><td class="n">{e(_tolerance(o))}</td>'
                f'<td><span class="v">{e(_VERDICT_TEXT[o.verdict])}</span></td>'
                f"<td>{e(_why(o))}</td></tr>"
            )
        sections.append(
            f'<h2 id="{report.lower()}">{e(report)}: {e(title)}</h2>'
            '<table class="figs"><colgroup><col style="width:22%"><col style="width:15%">'
            '<col style="width:8%"><col style="width:8%"><col style="width:9%">'
            '<col style="width:9%"><col style="width:9%"><col style="width:20%"></colgroup>'
            '<thead><tr><th>Figure</th><th>smw row</th><th class="n">Published</th>'
            '<th class="n">smw</th><th class="n">Difference</th><th class="n">Tolerance</th>'
            "<th>Verdict</th><th>Why</th></tr></thead><tbody>" + "".join(trs) + "</tbody></table>"
        )
    statuses = "".join(f"<li><b>{e(k)}</b>: {e(v)}</li>" for k, v in STATUSES.items())
    scale_note = (
        ""
        if summary.scale >= 1
        else f" The demo was built at scale {summary.scale:g}: its counts are divided by "
        f"{summary.scale:g} before comparing, and each tolerance is widened to three standard "
        "errors of what a sample that size can show (shown in the Tolerance column)."
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>smw calibration</title>
<style>{_STYLE}</style></head><body>
<p><a href="../index.html">smw outputs</a></p>
<h1>Calibration: the demo against the published reports</h1>
<p>Each figure printed in the five seed reports, as the file
<code>orchestration/lib/calibration/published_figures.csv</code> transcribes it, beside what smw
publishes for the same area, period and breakdown. Counts must be within 5% and shares within 2
percentage points unless the file says otherwise.{e(scale_note)} Written
{e(datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))}.</p>
<table><thead><tr><th>Report</th><th class="n">Figures</th>{head}</tr></thead>
<tbody>{"".join(body)}</tbody></table>
<p>Statuses of the figures file:</p><ul>{statuses}</ul>
{"".join(sections)}
</body></html>
"""


def _write(target: Path, text: str) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)


def write_outputs(summary: Summary, home_root: Path) -> tuple[Path, Path]:
    """Write ``<home>/calibration/index.html`` and ``calibration.md`` (each atomically)."""
    folder = home_root / CALIBRATION_DIR
    folder.mkdir(parents=True, exist_ok=True)
    html_path = folder / PAGE_NAME
    md_path = folder / MARKDOWN_NAME
    _write(html_path, page(summary))
    _write(md_path, markdown(summary))
    return html_path, md_path
