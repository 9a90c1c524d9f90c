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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

if TYPE_CHECKING:
    from great_expectations.data_context import AbstractDataContext
    from great_expectations.data_context.types.resource_identifiers import (
        ValidationResultIdentifier,
    )

    from orchestration.lib.quality.runner import SuiteResult

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
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }


def _page(context: AbstractDataContext, key: Any) -> Path | None:
    for site in context.get_docs_sites_urls(resource_identifier=key, site_name=SITE_NAME):
        url = site.get("site_url")
        if url:
            path = Path(unquote(urlparse(url).path))
            if path.is_file():
                return path
    return None


def build_gx_site(
    context: AbstractDataContext, results: Mapping[str, ValidationResultIdentifier]
) -> dict[str, tuple[Path | None, Path | None]]:
    """Render this run's pages and GX's index.

    ``results`` maps suite name → the key of its stored validation result. Returns suite name →
    (its validation page for this run, its expectation-suite page listing every rule and note).
    """
    if not results:  # an empty list would make GX re-render every stored result
        return {}
    suites = {name: ExpectationSuiteIdentifier(name=name) for name in results}
    # Only this run's resources: pages of earlier runs are already rendered.
    context.build_data_docs(
        site_names=[SITE_NAME], resource_identifiers=[*suites.values(), *results.values()]
    )
    return {
        name: (_page(context, key), _page(context, suites[name])) for name, key in results.items()
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
values (values that could identify a person are never shown). <i>rules</i> opens the suite:
every rule with its notes.
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
            parts.append(
                f"<tr><td>{html.escape(s['suite'])}</td><td><code>{html.escape(s['table'])}</code></td>"
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
