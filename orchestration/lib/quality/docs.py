"""Data Docs: GX's own site plus our index of every run, under one folder of the warehouse home.

Layout of ``docs_dir`` (normally ``<home>/data-docs``; generated, never committed)::

    index.html          our page: every run, newest first, pass/fail counts per severity,
                        links into GX's pages, and how to read them
    gx/                 GX's Data Docs site (its own index.html, validations/, expectations/)
    gx-results/         GX's validation results (JSON) that the site is built from
    runs/*.json         one summary per run, from which index.html is rebuilt

GX's site index is built from its validation-results store, and GX deletes pages whose results
the store no longer holds; that store therefore lives here on disk, not in memory, so the pages
of earlier runs survive.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier
from great_expectations.render.renderer.site_builder import DefaultSiteIndexBuilder

if TYPE_CHECKING:
    from great_expectations.data_context import AbstractDataContext
    from great_expectations.data_context.types.resource_identifiers import (
        ValidationResultIdentifier,
    )

    from orchestration.lib.quality.results import SuiteResult

SITE_NAME = "smw_data_docs"


def site_dir(docs_dir: Path) -> Path:
    return docs_dir / "gx"


def results_dir(docs_dir: Path) -> Path:
    return docs_dir / "gx-results"


def runs_dir(docs_dir: Path) -> Path:
    return docs_dir / "runs"


def site_config(docs_dir: Path) -> dict[str, Any]:
    """GX's local Data Docs site config (GX: only ``base_directory`` is meant to be changed)."""
    return {
        "class_name": "SiteBuilder",
        # GX's "how to" call-to-action buttons are aimed at GX developers, not our readers.
        "show_how_to_buttons": False,
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(site_dir(docs_dir)),
        },
        "site_index_builder": {
            "class_name": "KeepingSiteIndexBuilder",
            "module_name": "orchestration.lib.quality.docs",
        },
    }


class KeepingSiteIndexBuilder(DefaultSiteIndexBuilder):
    """GX's index builder, without its clean-up: by default GX deletes every rules page whose
    suite is not in the (in-memory) context, so validating the model suites deleted the raw
    suites' rules pages linked from earlier runs. Every page on disk stays."""

    def build(self, skip_and_clean_missing: bool = True, build_index: bool = True) -> Any:
        return super().build(skip_and_clean_missing=False, build_index=build_index)


def _page(context: AbstractDataContext, key: Any) -> Path | None:
    for site in context.get_docs_sites_urls(resource_identifier=key, site_name=SITE_NAME):
        url = site.get("site_url")
        if url:
            path = Path(unquote(urlparse(url).path))
            if path.is_file():
                return path
    return None


def build_gx_site(
    context: AbstractDataContext,
    results: Mapping[str, ValidationResultIdentifier],
    rules_only: Sequence[str] = (),
) -> dict[str, tuple[Path | None, Path | None]]:
    """Render this run's pages and GX's index.

    ``results`` maps GX suite name → the key of its stored validation result; ``rules_only``
    names suites in the context whose rules page is rendered without a result (a raw suite
    validated in parts on an incremental run). Returns suite name → (its validation page for
    this run, its expectation-suite page listing every rule and note).
    """
    if not results and not rules_only:  # an empty list would make GX re-render every result
        return {}
    names = [*results, *(n for n in rules_only if n not in results)]
    suites = {name: ExpectationSuiteIdentifier(name=name) for name in names}
    # Only this run's resources: pages of earlier runs are already rendered.
    context.build_data_docs(
        site_names=[SITE_NAME], resource_identifiers=[*suites.values(), *results.values()]
    )
    return {
        name: (_page(context, results[name]) if name in results else None, _page(context, ident))
        for name, ident in suites.items()
    }


def _relative(path: Path | str | None, docs_dir: Path) -> str | None:
    if not path:
        return None
    return Path(os.path.relpath(Path(path), docs_dir)).as_posix()


def write_run_summary(
    docs_dir: Path,
    run_id: str,
    run_time: dt.datetime,
    results: Sequence[SuiteResult],
    rules_pages: Mapping[str, Path | None],
) -> Path:
    """Record this run for the index (counts and failed rule names; no data values)."""
    summary = {
        "run_id": run_id,
        "run_time": run_time.isoformat(),
        "suites": [
            {
                "suite": r.suite,
                "table": r.table,
                "success": r.success,
                "error": r.error,
                "seconds": r.seconds,
                "coverage": r.coverage,
                "new_loads": list(r.new_loads) if r.new_loads is not None else None,
                "counts": r.counts(),
                "page": _relative(r.docs_page, docs_dir),
                "rules_page": _relative(rules_pages.get(r.suite), docs_dir),
                "failed": [
                    {
                        "rule": e.rule,
                        "severity": e.severity,
                        "column": e.column,
                        "unexpected_count": e.unexpected_count,
                        "unexpected_percent": e.unexpected_percent,
                        "not_evaluated": e.exception is not None,
                        "in_new_loads": e.new_unexpected_count
                        if e.scope == "loads" and r.new_loads is not None
                        else None,
                        "notes": e.notes,
                    }
                    for e in r.expectations
                    if not e.success
                ],
            }
            for r in results
        ],
    }
    folder = runs_dir(docs_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{run_time:%Y%m%dT%H%M%S%fZ}_{run_id}.json"
    _write_atomically(path, json.dumps(summary, indent=2, default=str))
    return path


def _write_atomically(path: Path, text: str) -> None:
    # Readers (a browser, a file server) never see a half-written page.
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _load_runs(docs_dir: Path) -> list[dict[str, Any]]:
    runs = []
    for path in runs_dir(docs_dir).glob("*.json"):
        try:
            runs.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError):
            continue  # a damaged summary should not hide every other run
    return sorted(runs, key=lambda r: r.get("run_time", ""), reverse=True)


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; max-width: 75rem; color: #222; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2rem; font-size: 1.15rem; }
table { border-collapse: collapse; width: 100%; margin-top: .5rem; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } .num { text-align: right; white-space: nowrap; }
.status { display: inline-block; padding: .1rem .5rem; border-radius: .3rem; font-weight: 600; }
.blocked { background: #fdd; color: #900; } .warned { background: #fff1c2; color: #7a5200; }
.passed { background: #dfd; color: #060; } .guide { background: #f7f7f7; padding: .5rem 1rem; }
code { background: #eee; padding: 0 .2rem; } small { color: #666; }
"""

_GUIDE = """
<div class="guide">
<p><b>How to read this page.</b> Each run checked the warehouse against the reviewed rules in
<code>expectations/suites/</code>. Every rule has a severity:</p>
<ul>
<li><b>error</b> (blocking): if any error rule fails, the run is <span class="status blocked">blocked</span>
and nothing is published until the data (or the rule) is fixed.</li>
<li><b>warning</b>: the data is still published, but the failure is reported here and in the
data-quality scorecards, for the supplier or the team to fix.</li>
</ul>
<p>For each suite (one table) the counts show how many rules passed and failed at each severity;
the failed rules are listed by name (hover over a name for why the rule exists and what to fix).
"not evaluated" means the rule could not run (for example a
missing column) and counts as failed. <i>results</i> opens Great Expectations' page for that
table in that run: every rule, its result, how many records failed and a sample of the failing
values (values that could identify a person are never shown); its status line shows the same
verdict as this page (a suite whose only failures are warnings <i>passed with warnings</i>).
<i>rules</i> opens the suite: every rule with its notes. All pages work offline.
On an incremental build a raw suite's per-row and per-file rules read only the files landed
since the last validation; their counts add the stored results of the earlier files still in
the table (so an earlier file's failure still shows, and still blocks), and say how many failing
rows are in this run's new files. Its <i>results</i> page shows the new files' rows only.
<a href="gx/index.html">All Great Expectations pages</a>.</p>

</div>
"""


#: The per-provider feedback pages (orchestration/lib/quality/feedback.py), beside this folder.
FEEDBACK_INDEX = Path("..") / "data-quality" / "index.html"
_FEEDBACK_LINK = f"""
<p>What each provider's records failed, month by month, with example record ids to send back to
the provider: <a href="{FEEDBACK_INDEX.as_posix()}">data-quality feedback by provider</a>
(from the scorecard mart <code>marts.fct_quality_scorecard</code>).</p>
"""


def _run_status(run: Mapping[str, Any]) -> tuple[str, str]:
    blocking = sum(s["counts"]["error"]["failed"] for s in run["suites"])
    warned = sum(s["counts"]["warning"]["failed"] for s in run["suites"])
    if blocking:
        return "blocked", f"Blocked: {blocking} error rule(s) failed; publishing stops"
    if warned:
        return "warned", f"Passed with {warned} warning(s): published, warnings reported"
    return "passed", "All rules passed"


def _failed_rules(suite: Mapping[str, Any]) -> str:
    if suite.get("error"):
        return f"<b>suite did not run:</b> {html.escape(str(suite['error']))}"
    items = []
    for f in suite["failed"]:
        detail = "not evaluated" if f.get("not_evaluated") else ""
        if f.get("unexpected_count") is not None:
            pct = f.get("unexpected_percent")
            detail = f"{f['unexpected_count']:,} rows" + (
                f" ({pct:.2f}%)" if pct is not None else ""
            )
            if f.get("in_new_loads") is not None:
                detail += f", {f['in_new_loads']:,} in this run's new loads"
        items.append(
            f'<code title="{html.escape(f.get("notes") or "")}">{html.escape(f["rule"])}</code> '
            f"<small>{html.escape(f['severity'])}"
            f"{'; ' + html.escape(detail) if detail else ''}</small>"
        )
    return "<br>".join(items) or "&mdash;"


def render_index(docs_dir: Path) -> str:
    """Our index page, from every recorded run."""
    runs = _load_runs(docs_dir)
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Data quality: validation runs</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Data quality: validation runs</h1>",
        f"<p><small>{len(runs)} run(s), newest first.</small></p>",
        _GUIDE,
    ]
    if (docs_dir / FEEDBACK_INDEX).is_file():  # linked once the feedback pages exist
        parts.append(_FEEDBACK_LINK)
    if not runs:
        parts.append("<p>No validation has run yet.</p>")
    for run in runs:
        css, label = _run_status(run)
        parts.append(
            f"<h2>Run <code>{html.escape(run['run_id'])}</code> "
            f"<small>{html.escape(run['run_time'])}</small> "
            f'<span class="status {css}">{html.escape(label)}</span></h2>'
        )
        parts.append(
            "<table><tr><th>Suite</th><th>Table</th><th class=num>Error rules passed</th>"
            "<th class=num>Error rules failed</th><th class=num>Warning rules passed</th>"
            "<th class=num>Warning rules failed</th><th>Failed rules</th><th>Details</th></tr>"
        )
        for s in run["suites"]:
            c = s["counts"]
            page = s.get("page")
            links = [
                f'<a href="{html.escape(href)}">{label}</a>'
                for href, label in ((page, "results"), (s.get("rules_page"), "rules"))
                if href
            ]
            link = " &middot; ".join(links) or "&mdash;"
            v_css, v_label = suite_verdict(c, s.get("error"))
            parts.append(
                f"<tr><td>{html.escape(s['suite'])}<br>"
                f'<span class="status {v_css}">{html.escape(v_label)}</span>'
                + (f"<br><small>{html.escape(s['coverage'])}</small>" if s.get("coverage") else "")
                + "</td>"
                f"<td><code>{html.escape(s['table'])}</code></td>"
                f"<td class=num>{c['error']['passed']}</td><td class=num>{c['error']['failed']}</td>"
                f"<td class=num>{c['warning']['passed']}</td><td class=num>{c['warning']['failed']}</td>"
                f"<td>{_failed_rules(s)}</td><td>{link}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_index(docs_dir: Path) -> Path:
    path = docs_dir / "index.html"
    _write_atomically(path, render_index(docs_dir))
    return path


# --- one verdict per suite, and GX's pages offline ----------------------------------------------


def suite_verdict(counts: Mapping[str, Mapping[str, int]], error: str | None) -> tuple[str, str]:
    """smw's verdict on one suite in one run (css class, words), the same on every page:
    only error-severity failures fail a suite; warning-only failures pass it with warnings."""
    if error:
        return "blocked", "Did not run"
    blocking, warned = counts["error"]["failed"], counts["warning"]["failed"]
    if blocking:
        return "blocked", f"Failed: {blocking} error rule(s)"
    if warned:
        return "warned", f"Passed with {warned} warning(s)"
    return "passed", "Passed"


#: smw's stylesheet for GX's pages (written for smw; replaces the CDN bootstrap, font-awesome
#: and bootstrap-table that GX's templates load, so the pages read the same with no network).
_GX_OFFLINE_STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; color: #222; line-height: 1.4; }
a { color: #0b57a4; } .container-fluid { padding: 1rem 2rem; }
.row { display: flex; flex-wrap: wrap; gap: 1rem; }
.col-12, .col-md-12 { flex: 1 1 100%; } .col-md-2 { flex: 0 0 15rem; }
.col-md-8, .col-md-9, .col-md-10 { flex: 1 1 0; min-width: 0; }
.navbar { display: flex; align-items: center; gap: 1rem; padding: .5rem 2rem;
  border-bottom: 1px solid #ddd; background: #f7f7f7; }
.navbar img { max-height: 2rem; } .card { border: 1px solid #ddd; border-radius: .3rem;
  margin: 0 0 1rem; } .card-header { background: #f3f3f3; padding: .5rem 1rem; }
.card-body { padding: .5rem 1rem; } .table { border-collapse: collapse; width: 100%; }
.table th, .table td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left;
  vertical-align: top; } .table th { background: #f3f3f3; }
.show-scrollbars { overflow-x: auto; max-width: 60rem; }
.badge { display: inline-block; padding: 0 .35rem; border-radius: .25rem; background: #e5e5e5;
  font-size: .85em; } .text-danger { color: #b00; } .text-success { color: #060; }
.text-warning { color: #7a5200; } .sticky { position: sticky; top: 0; }
.nav, .list-group, ul.nav { list-style: none; padding-left: 0; }
.list-group-item, .nav-item { padding: .15rem 0; } .btn-group, .btn, .ge-cta-footer,
.ge-training-or-new-feature-banner, footer { display: none; }
.fa-times::before { content: "\\2717 "; } .fa-check-circle::before, .fa-check::before {
  content: "\\2713 "; } .fa-exclamation-triangle::before { content: "\\26A0 "; }
.smw-verdict { display: inline-block; padding: .1rem .5rem; border-radius: .3rem;
  font-weight: 600; } .smw-blocked { background: #fdd; color: #900; }
.smw-warned { background: #fff1c2; color: #7a5200; } .smw-passed { background: #dfd;
  color: #060; }
"""

_REMOTE = r"""["']\s*(?:https?:)?//[^"']*["']"""
_REMOTE_LINK = re.compile(rf"<link\b[^>]*\bhref\s*=\s*{_REMOTE}[^>]*>\s*", re.I)
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>\s*", re.I | re.S)
_REMOTE_IMG = re.compile(rf"<img\b[^>]*\bsrc\s*=\s*{_REMOTE}[^>]*>", re.I)
_ICON = re.compile(r'<link\b[^>]*\brel="shortcut icon"[^>]*>', re.I)
_REMOTE_CSS_URL = re.compile(r"url\(\s*['\"]?(?:https?:)?//[^)]*\)", re.I)
_GX_STATUS = re.compile(
    r'(<span class="h6"\s*>Status:</span>)\s*<i\b[^>]*></i>\s*(?:Failed|Succeeded)'
)
_GX_PROMO = re.compile(
    r"<a\b[^>]*\bhref=\"https?://greatexpectations\.io[^\"]*\"[^>]*>(.*?)</a>", re.S
)
_OFFLINE_MARK = "<!-- smw: offline -->"


def _offline_html(text: str, page: Path, site: Path) -> str:
    """GX's page with no network resource: CDN stylesheets and every script dropped (the
    pages read without them), remote images dropped, the favicon pointed at GX's copy (GX's
    template counts the folders wrongly for dotted suite names), smw's stylesheet inlined."""
    if _OFFLINE_MARK in text:
        return text
    text = _REMOTE_LINK.sub("", text)
    text = _SCRIPT.sub("", text)
    text = _REMOTE_IMG.sub("", text)
    text = _REMOTE_CSS_URL.sub("none", text)  # GX's inline styles: a logo from S3
    text = _GX_PROMO.sub(r"\1", text)  # GX's newsletter and home page: not for our readers
    icon = Path(os.path.relpath(site / "static" / "images" / "favicon.ico", page.parent))
    text = _ICON.sub(
        f'<link rel="icon" href="{icon.as_posix()}" type="image/x-icon">', text, count=1
    )
    style = f"{_OFFLINE_MARK}<style>{_GX_OFFLINE_STYLE}</style>"
    head_end = text.lower().find("</head>")
    if head_end < 0:
        return style + text
    return text[:head_end] + style + text[head_end:]


def _set_gx_verdict(page: Path, css: str, label: str) -> None:
    text = page.read_text(encoding="utf-8")
    verdict = f'\\1 <span class="smw-verdict smw-{css}">{html.escape(label)}</span>'
    new, n = _GX_STATUS.subn(verdict, text, count=1)
    if n:
        _write_atomically(page, new)


def _page_verdicts(docs_dir: Path) -> dict[str, tuple[str, str]]:
    """GX validation page (relative to ``docs_dir``) → smw's verdict, from every run summary."""
    out = {}
    for run in _load_runs(docs_dir):
        for s in run["suites"]:
            if s.get("page"):
                out[s["page"]] = suite_verdict(s["counts"], s.get("error"))
    return out


def finish_gx_site(docs_dir: Path, results: Sequence[SuiteResult]) -> None:
    """After GX has rendered: smw's verdict on this run's validation pages, every GX page
    offline, and GX's index (a table filled by CDN scripts) replaced by a static list."""
    site = site_dir(docs_dir)
    for r in results:
        if r.docs_page and Path(r.docs_page).is_file():
            _set_gx_verdict(Path(r.docs_page), *suite_verdict(r.counts(), r.error))
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        new = _offline_html(text, page, site)
        if new != text:
            _write_atomically(page, new)
    for sheet in (site / "static" / "styles").glob("*.css"):
        text = sheet.read_text(encoding="utf-8")
        new = _REMOTE_CSS_URL.sub("none", text)
        if new != text:
            _write_atomically(sheet, new)
    site.mkdir(parents=True, exist_ok=True)
    _write_atomically(site / "index.html", render_gx_index(docs_dir))


def render_gx_index(docs_dir: Path) -> str:
    """Every GX page on disk: the rules of each suite, and its validation pages newest first,
    each with smw's verdict."""
    site = site_dir(docs_dir)
    verdicts = _page_verdicts(docs_dir)
    suites: dict[str, list[Path]] = {}
    for page in sorted((site / "validations").rglob("*.html")):
        rel = page.relative_to(site)
        suites.setdefault(".".join(rel.parts[1:3]), []).append(rel)
    for page in (site / "expectations").rglob("*.html"):
        suites.setdefault(
            page.relative_to(site / "expectations").with_suffix("").as_posix().replace("/", "."), []
        )
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Great Expectations pages</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Great Expectations pages</h1>",
        '<p><a href="../index.html">Data quality: validation runs</a> (smw\'s index: every run '
        "with its counts per severity).</p>",
        "<table><tr><th>Suite</th><th>Rules</th><th>Validation pages, newest first</th></tr>",
    ]
    for suite in sorted(suites):
        rules = site / "expectations" / (suite.replace(".", "/", 1) + ".html")
        rules_link = (
            f'<a href="{html.escape(rules.relative_to(site).as_posix())}">rules</a>'
            if rules.is_file()
            else "&mdash;"
        )
        runs = []
        for rel in sorted(suites[suite], key=lambda r: r.parts[-2], reverse=True):
            css, label = verdicts.get((Path("gx") / rel).as_posix(), ("", "verdict not recorded"))
            runs.append(
                f'<a href="{html.escape(rel.as_posix())}">{html.escape(rel.parts[-3])}</a> '
                f"<small>{html.escape(rel.parts[-2])}</small> "
                f'<span class="status {css}">{html.escape(label)}</span>'
            )
        parts.append(
            f"<tr><td><code>{html.escape(suite)}</code></td><td>{rules_link}</td>"
            f"<td>{'<br>'.join(runs) or '&mdash;'}</td></tr>"
        )
    parts.append("</table></body></html>")
    return "\n".join(parts)
