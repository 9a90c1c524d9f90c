"""Per-provider data-quality feedback pages, from the scorecard and volume marts.

``<out>/index.html`` lists every provider with what it failed; ``<out>/<provider>.html`` is one
page per provider, ready to send: for each source it supplies, the rules its records failed
(field, rule, what to fix), how many records failed in its latest month and over all months,
the trend, and up to five example *source record ids* to look up. Record ids are the supplier's
own keys (transaction, episode, contact ids); the scorecard holds nothing else about a record,
so no value, pseudonym or identifier can reach a page.

Read-only: the warehouse file is opened read-only and closed before the pages are written.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

#: Rows of ``marts.fct_quality_scorecard`` summarised per provider, source, field and rule.
_RULES_SQL = """
with scorecard as (
    select * from marts.fct_quality_scorecard
),
latest as (
    select
        provider_type, provider_id, source_name, field_name, rule_kind,
        month_start as latest_month, records_checked as latest_checked,
        records_failing as latest_failing, trend
    from scorecard
    where is_latest_month
),
recent_failure as (
    select
        provider_type, provider_id, source_name, field_name, rule_kind,
        month_start as last_failing_month, example_record_keys,
        row_number() over (
            partition by provider_type, provider_id, source_name, field_name, rule_kind
            order by month_start desc
        ) as recency
    from scorecard
    where records_failing > 0
),
totals as (
    select
        provider_type, provider_id, source_name, field_name, rule_kind,
        max(rule) as rule, max(what_to_fix) as what_to_fix,
        sum(records_failing) as failing, sum(records_checked) as checked,
        count(*) filter (where records_failing > 0) as failing_months
    from scorecard
    group by all
)
select
    totals.provider_type, totals.provider_id, totals.source_name, totals.field_name,
    totals.rule_kind, totals.rule, totals.what_to_fix, totals.failing, totals.checked,
    totals.failing_months, latest.latest_month, latest.latest_checked, latest.latest_failing,
    latest.trend, recent_failure.last_failing_month, recent_failure.example_record_keys
from totals
left join latest using (provider_type, provider_id, source_name, field_name, rule_kind)
left join recent_failure
    on recent_failure.recency = 1
    and recent_failure.provider_type = totals.provider_type
    and recent_failure.provider_id = totals.provider_id
    and recent_failure.source_name = totals.source_name
    and recent_failure.field_name = totals.field_name
    and recent_failure.rule_kind = totals.rule_kind
where totals.failing > 0
order by totals.provider_type, totals.provider_id, totals.source_name,
    recent_failure.last_failing_month desc, totals.failing desc, totals.field_name
"""

#: The provider's latest month per source, from ``marts.fct_provider_volumes``.
_VOLUMES_SQL = """
select
    provider_type, provider_id, source_name, month_start, records, baseline_records,
    volume_status
from marts.fct_provider_volumes
where is_latest_month and volume_level = 'provider'
order by provider_type, provider_id, source_name
"""

_VOLUME_WORDS = {
    "silent": "no records this month (it usually sends some): check the extract is still sent",
    "low": "under a third of its usual monthly volume: check records are not missing",
    "surge": "over three times its usual monthly volume: check for duplicates",
    "within_bounds": "within its usual range",
    "not_assessed": "too few records a month to judge",
    "first_seen": "first month with records",
    "closed": "closed (no records expected)",
}

_PROVIDER_TYPES = {
    "agency": "IMS agency",
    "treatment_provider": "treatment provider",
    "cjit": "criminal justice intervention team",
    "custody_suite": "custody suite",
    "reference": "reference data supplier",
}


@dataclass(frozen=True)
class RuleFinding:
    """One rule a provider's records failed (in one source), summarised over its months."""

    source_name: str
    field_name: str
    rule_kind: str
    rule: str
    what_to_fix: str
    failing: int  # records failing, all months
    checked: int  # records checked, all months
    failing_months: int
    latest_month: dt.date | None
    latest_checked: int | None
    latest_failing: int | None
    trend: str | None
    last_failing_month: dt.date | None
    example_record_ids: tuple[str, ...]


@dataclass(frozen=True)
class Volume:
    source_name: str
    month_start: dt.date
    records: int
    baseline_records: float | None
    volume_status: str


@dataclass
class ProviderFeedback:
    provider_type: str
    provider_id: str
    findings: list[RuleFinding] = field(default_factory=list)
    volumes: list[Volume] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return _slug(f"{self.provider_type}-{self.provider_id}")

    @property
    def failing_records(self) -> int:
        return sum(f.failing for f in self.findings)

    @property
    def volume_flags(self) -> list[Volume]:
        return [v for v in self.volumes if v.volume_status in ("silent", "low", "surge")]


@dataclass(frozen=True)
class FeedbackIndex:
    index_html: Path
    pages: dict[str, Path]  # "<provider_type>|<provider_id>" -> page
    providers: int
    findings: int


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "provider"


def read_feedback(warehouse_db: Path) -> list[ProviderFeedback]:
    """Every provider with a failing rule or a volume of its latest month, from the marts."""
    con = duckdb.connect(str(warehouse_db), read_only=True)
    try:
        rules = con.execute(_RULES_SQL).fetchall()
        volumes = con.execute(_VOLUMES_SQL).fetchall()
    finally:
        con.close()
    providers: dict[tuple[str, str], ProviderFeedback] = {}

    def provider(kind: str, pid: str) -> ProviderFeedback:
        return providers.setdefault((kind, pid), ProviderFeedback(kind, pid))

    for row in rules:
        (kind, pid, source, fld, rule_kind, rule, fix, failing, checked, months) = row[:10]
        (latest_month, latest_checked, latest_failing, trend, last_failing, examples) = row[10:]
        provider(kind, pid).findings.append(
            RuleFinding(
                source_name=source,
                field_name=fld,
                rule_kind=rule_kind,
                rule=rule or "",
                what_to_fix=fix or "",
                failing=int(failing),
                checked=int(checked),
                failing_months=int(months),
                latest_month=latest_month,
                latest_checked=None if latest_checked is None else int(latest_checked),
                latest_failing=None if latest_failing is None else int(latest_failing),
                trend=trend,
                last_failing_month=last_failing,
                example_record_ids=tuple(
                    k.strip() for k in (examples or "").split(";") if k.strip()
                )[:5],
            )
        )
    for kind, pid, source, month, records, baseline, status in volumes:
        if (kind, pid) in providers or status in ("silent", "low", "surge"):
            provider(kind, pid).volumes.append(
                Volume(source, month, int(records), baseline, status)
            )
    return sorted(providers.values(), key=lambda p: (p.provider_type, p.provider_id))


# --- HTML ---------------------------------------------------------------------------------------

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; max-width: 72rem; color: #222; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; width: 100%; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; } td.num { text-align: right; white-space: nowrap; }
.flag { background: #fff1c2; padding: .1rem .4rem; border-radius: .3rem; }
.note { background: #f7f7f7; padding: .5rem 1rem; } code { background: #eee; padding: 0 .2rem; }
small { color: #555; }
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _month(value: dt.date | None) -> str:
    return value.strftime("%b %Y") if value else "&mdash;"


def _pct(part: int | None, whole: int | None) -> str:
    if part is None or not whole:
        return "&mdash;"
    return f"{100 * part / whole:.1f}%"


def _page(title: str, body: Iterable[str]) -> str:
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>",
            *body,
            "</body></html>",
        ]
    )


def _provider_name(p: ProviderFeedback) -> str:
    return f"{_PROVIDER_TYPES.get(p.provider_type, p.provider_type)} {p.provider_id}"


def render_provider_page(p: ProviderFeedback, generated: dt.datetime) -> str:
    body = [
        f"<h1>Data quality feedback: {_e(_provider_name(p))}</h1>",
        f"<p><small>Generated {generated:%d %B %Y %H:%M} UTC from the warehouse's "
        "data-quality scorecard.</small></p>",
        '<div class="note"><p>This page lists the checks your records did not pass, so that '
        "they can be corrected at source. For each rule it shows how many records failed in "
        "your latest month and over every month you sent, whether the latest month is better "
        "or worse than the month before, and up to five <b>record ids</b> (your own "
        "transaction, episode, contact or test ids) to look up. It contains no personal "
        "details. Corrected records can be re-sent with the same record id in your next "
        "extract: the latest version replaces the earlier one.</p></div>",
    ]
    if p.volume_flags:
        body.append("<h2>Volumes</h2><ul>")
        for v in p.volume_flags:
            base = f"{v.baseline_records:.0f}" if v.baseline_records is not None else "&mdash;"
            body.append(
                f'<li><span class="flag">{_e(v.source_name)}</span> {_month(v.month_start)}: '
                f"{v.records:,} records against a recent average of {base} a month: "
                f"{_e(_VOLUME_WORDS.get(v.volume_status, v.volume_status))}.</li>"
            )
        body.append("</ul>")
    if not p.findings:
        body.append("<p>No record failed a check.</p>")
    by_source: dict[str, list[RuleFinding]] = {}
    for f in p.findings:
        by_source.setdefault(f.source_name, []).append(f)
    for source, findings in by_source.items():
        body.append(f"<h2>{_e(source)}</h2>")
        body.append(
            "<table><tr><th>Field</th><th>Rule</th><th>What to fix</th>"
            "<th class=num>Latest month</th><th class=num>Failing in latest month</th>"
            "<th>Trend</th><th class=num>Failing, all months</th>"
            "<th>Most recent failure</th><th>Example record ids</th></tr>"
        )
        for f in findings:
            latest = (
                f"{f.latest_failing:,} of {f.latest_checked:,} ({_pct(f.latest_failing, f.latest_checked)})"
                if f.latest_checked
                else "&mdash;"
            )
            body.append(
                f"<tr><td><code>{_e(f.field_name)}</code></td>"
                f"<td>{_e(f.rule)} <small>({_e(f.rule_kind)})</small></td>"
                f"<td>{_e(f.what_to_fix)}</td>"
                f"<td class=num>{_month(f.latest_month)}</td><td class=num>{latest}</td>"
                f"<td>{_e(f.trend or '')}</td>"
                f"<td class=num>{f.failing:,} of {f.checked:,} ({_pct(f.failing, f.checked)}) "
                f"<small>in {f.failing_months} month(s)</small></td>"
                f"<td>{_month(f.last_failing_month)}</td>"
                f"<td>{_e(', '.join(f.example_record_ids)) or '&mdash;'}</td></tr>"
            )
        body.append("</table>")
    body.append('<p><a href="index.html">All providers</a></p>')
    return _page(f"Data quality feedback: {_provider_name(p)}", body)


def render_index(
    providers: Sequence[ProviderFeedback],
    pages: Mapping[tuple[str, str], str],
    generated: dt.datetime,
    data_docs: str | None,
) -> str:
    body = [
        "<h1>Data quality feedback by provider</h1>",
        f"<p><small>Generated {generated:%d %B %Y %H:%M} UTC.</small></p>",
        '<div class="note"><p><b>How to read this.</b> One page per provider (agency, treatment '
        "provider, CJIT, custody suite; the reference extracts together), ready to send: the "
        "checks its records failed, with counts and example record ids (never personal "
        "details). <i>Failing records</i> counts every record (latest version) that failed a "
        "rule in any month; a record failing two rules counts twice. <i>Volume</i> flags a "
        "provider whose latest month is silent, under a third or over three times its recent "
        "average. '(not recorded)' collects records that named no provider. The numbers come "
        "from <code>marts.fct_quality_scorecard</code> and "
        "<code>marts.fct_provider_volumes</code> in the restricted warehouse.</p>"
        + (
            f'<p>Rule-by-rule validation results of every run: <a href="{_e(data_docs)}">Data Docs</a>.</p>'
            if data_docs
            else ""
        )
        + "</div>",
        "<table><tr><th>Provider</th><th>Type</th><th class=num>Rules failed</th>"
        "<th class=num>Failing records</th><th>Sources</th><th>Volume</th></tr>",
    ]
    for p in sorted(providers, key=lambda p: (-p.failing_records, p.provider_type, p.provider_id)):
        sources = sorted({f.source_name for f in p.findings} | {v.source_name for v in p.volumes})
        flags = ", ".join(f"{v.source_name}: {v.volume_status}" for v in p.volume_flags)
        body.append(
            f'<tr><td><a href="{_e(pages[(p.provider_type, p.provider_id)])}">'
            f"{_e(p.provider_id)}</a></td>"
            f"<td>{_e(_PROVIDER_TYPES.get(p.provider_type, p.provider_type))}</td>"
            f"<td class=num>{len(p.findings)}</td><td class=num>{p.failing_records:,}</td>"
            f"<td>{_e(', '.join(sources))}</td>"
            f"<td>{'<span class=flag>' + _e(flags) + '</span>' if flags else 'within bounds'}</td></tr>"
        )
    body.append("</table>")
    if not providers:
        body.append("<p>No provider has a failing check.</p>")
    return _page("Data quality feedback by provider", body)


def _write(path: Path, text: str) -> None:
    staged = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    staged.write_text(text, encoding="utf-8")
    os.replace(staged, path)


def write_feedback_pages(
    warehouse_db: Path, out_dir: Path, data_docs_index: Path | None = None
) -> FeedbackIndex:
    """Write ``out_dir/index.html`` and one page per provider; pages of providers that no
    longer have anything to report are removed."""
    providers = read_feedback(warehouse_db)
    out_dir.mkdir(parents=True, exist_ok=True)
    generated = dt.datetime.now(dt.UTC)
    names: dict[tuple[str, str], str] = {}
    used: set[str] = {"index"}
    for p in providers:
        slug, n = p.slug, 2
        while slug in used:  # two providers whose codes differ only in punctuation or case
            slug, n = f"{p.slug}-{n}", n + 1
        used.add(slug)
        names[(p.provider_type, p.provider_id)] = f"{slug}.html"
    pages: dict[str, Path] = {}
    for p in providers:
        path = out_dir / names[(p.provider_type, p.provider_id)]
        _write(path, render_provider_page(p, generated))
        pages[f"{p.provider_type}|{p.provider_id}"] = path
    for stale in out_dir.glob("*.html"):
        if stale.name != "index.html" and stale not in pages.values():
            stale.unlink()
    docs = (
        Path(os.path.relpath(data_docs_index, out_dir)).as_posix()
        if data_docs_index is not None
        else None
    )
    index = out_dir / "index.html"
    _write(index, render_index(providers, names, generated, docs))
    return FeedbackIndex(
        index_html=index,
        pages=pages,
        providers=len(providers),
        findings=sum(len(p.findings) for p in providers),
    )
