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

#: Provider names and closing dates, from the reference data (the IMS agency file; CJIT names
#: from the areas seed). Treatment providers and custody suites have no reference file: code only.
_NAMES_SQL = """
select 'agency' as provider_type, agency_code as provider_id, agency_name, closed_date
from marts.dim_agencies
union all
select 'cjit', cjit_code, cjit_name, cast(null as date) from marts.dim_cjits
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

#: Index groups within each source, most urgent first.
_SEVERITIES = (
    ("action", "Needs action: failing in the latest month, or a volume flag or silence"),
    ("earlier", "Failed in earlier months only"),
    ("closed", "Closed providers (records from before closing)"),
    ("fine", "Nothing to report"),
)

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
    name: str | None = None  # from the reference data, where the provider type has one
    closed_date: dt.date | None = None

    @property
    def closed(self) -> bool:
        """Closed before its latest month: no records are expected, no bounds apply."""
        latest = max((v.month_start for v in self.volumes), default=None)
        return self.closed_date is not None and (latest is None or self.closed_date < latest)

    @property
    def silent_sources(self) -> list[str]:
        """Sources this (open) provider usually sends records for (ten or more a month) but
        sent none of in the latest month: the volume mart's 'silent'. A small provider's empty
        month is chance, not a sign that its extract stopped, and is not flagged."""
        if self.closed:
            return []
        return sorted({v.source_name for v in self.volumes if v.volume_status == "silent"})

    @property
    def failing_in_latest_month(self) -> bool:
        return any(f.latest_failing for f in self.findings)

    @property
    def severity(self) -> str:
        """How urgent: the index groups providers by this (most urgent first)."""
        if self.closed:
            return "closed"
        if self.failing_in_latest_month or self.volume_flags or self.silent_sources:
            return "action"
        if self.findings:
            return "earlier"
        return "fine"

    @property
    def sources(self) -> list[str]:
        return sorted(
            {f.source_name for f in self.findings} | {v.source_name for v in self.volumes}
        )

    def volume_summary(self) -> str:
        """The index's volume column: closed, silent, flags, or within bounds."""
        if self.closed:
            return f"closed {self.closed_date:%d %b %Y}"
        words = [f"silent in {s}" for s in self.silent_sources]
        words += [
            f"{v.source_name}: {v.volume_status}"
            for v in self.volume_flags
            if v.volume_status != "silent"
        ]
        if words:
            return "; ".join(words)
        if any(v.volume_status == "within_bounds" for v in self.volumes):
            return "within bounds"
        return "not assessed"

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
        names = {(k, i): (n, c) for k, i, n, c in con.execute(_NAMES_SQL).fetchall()}
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
        # A provider with only volume rows is listed when the mart flags it (silent: usually ten
        # or more records a month, none in the latest), or when it sent nothing at all.
        if (kind, pid) in providers or status in ("silent", "low", "surge") or records == 0:
            provider(kind, pid).volumes.append(
                Volume(source, month, int(records), baseline, status)
            )
    for (kind, pid), p in providers.items():
        p.name, p.closed_date = names.get((kind, pid), (None, None))
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
    kind = _PROVIDER_TYPES.get(p.provider_type, p.provider_type)
    return f"{p.name} ({kind} {p.provider_id})" if p.name else f"{kind} {p.provider_id}"


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
    if p.closed:
        body.append(
            f'<p><span class="flag">Closed {p.closed_date:%d %B %Y}</span>: no records are '
            "expected after this date; the failures below are from before it.</p>"
        )
    elif p.silent_sources:
        body.append(
            f'<p><span class="flag">Silent</span>: no records in the latest month from '
            f"{_e(', '.join(p.silent_sources))}. Check the extract is still being sent.</p>"
        )
    if p.volume_flags and not p.closed:
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
        "provider whose latest month is under a third or over three times its recent average, "
        "<i>silent</i> one that usually sends ten or more records a month but sent none in the "
        "latest month (a smaller provider's empty month is chance), and <i>closed</i> one "
        "that closed (IMS agency file) before it: no bounds apply to a closed provider. "
        "Providers are grouped by source, then by how urgent. '(not recorded)' collects records that named no provider. The numbers come "
        "from <code>marts.fct_quality_scorecard</code> and "
        "<code>marts.fct_provider_volumes</code> in the restricted warehouse.</p>"
        + (
            f'<p>Rule-by-rule validation results of every run: <a href="{_e(data_docs)}">Data Docs</a>.</p>'
            if data_docs
            else ""
        )
        + "</div>",
    ]
    by_source: dict[str, list[ProviderFeedback]] = {}
    for p in providers:
        for source in p.sources or ["(no source)"]:
            by_source.setdefault(source, []).append(p)
    for source in sorted(by_source):
        body.append(f'<h2 id="{_e(_slug(source))}">{_e(source)}</h2>')
        for severity, heading in _SEVERITIES:
            group = [p for p in by_source[source] if p.severity == severity]
            if not group:
                continue
            body.append(
                f"<h3>{_e(heading)} <small>({len(group)})</small></h3>"
                "<table><tr><th>Provider</th><th>Type</th><th class=num>Rules failed</th>"
                "<th class=num>Failing records</th><th>Volume</th></tr>"
            )
            for p in sorted(
                group, key=lambda p: (-p.failing_records, p.provider_type, p.provider_id)
            ):
                findings = [f for f in p.findings if f.source_name == source]
                label = f"{p.name} ({p.provider_id})" if p.name else p.provider_id
                volume = p.volume_summary()
                flagged = volume not in ("within bounds", "not assessed")
                body.append(
                    f'<tr><td><a href="{_e(pages[(p.provider_type, p.provider_id)])}">'
                    f"{_e(label)}</a></td>"
                    f"<td>{_e(_PROVIDER_TYPES.get(p.provider_type, p.provider_type))}</td>"
                    f"<td class=num>{len(findings)}</td>"
                    f"<td class=num>{sum(f.failing for f in findings):,}</td>"
                    f"<td>{'<span class=flag>' + _e(volume) + '</span>' if flagged else _e(volume)}</td></tr>"
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
