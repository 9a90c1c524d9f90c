"""Write the report pages and their index as static HTML (and PDF where Chromium can print).

Templates are Jinja2 with autoescaping on: every value, label and definition is escaped, so
supplier text (a CJIT's name, say) can never become markup. The only markup not escaped is what
this package makes itself: the charts' SVG (matplotlib escapes the text in it) and prose built
with :class:`markupsafe.Markup`, whose arguments are escaped.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from orchestration.lib.reports.charts import cache as chart_cache
from orchestration.lib.reports.content import REPORTS, build_page
from orchestration.lib.reports.data import ServingData, load_serving
from orchestration.lib.reports.model import Page

log = logging.getLogger(__name__)

TEMPLATES = Path(str(resources.files("orchestration.lib.reports") / "templates"))


@dataclass(frozen=True)
class ReportPage:
    report: str
    title: str
    area_code: str
    area_name: str
    period: str
    html: Path
    figures: int
    pdf: Path | None = None


@dataclass
class ReportIndex:
    """What :func:`generate_reports` wrote."""

    out_dir: Path
    index_html: Path
    pages: list[ReportPage]
    periods: dict[str, str]  # report -> financial year
    pdf_note: str = ""  # why there are no PDFs, when there are none
    skipped: list[str] = field(default_factory=list)

    @property
    def pdfs(self) -> list[Path]:
        return [p.pdf for p in self.pages if p.pdf]


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


#: The year a seed report is about, for the area it is about: without ``period``, that area's page
#: of that report is written for that year (the Leicestershire JSNA chapter is 2017-18; its
#: treatment profile holds the support pack; the Salford needs assessment, with its DIP contacts,
#: is 2007-08) and every other page for the report's latest year.
SUBJECT_PERIODS: dict[tuple[str, str], str] = {
    ("treatment", "E10000018"): "2017-18",
    ("treatment", "E08000006"): "2007-08",
    ("needs", "E08000006"): "2007-08",
    ("dip", "E08000006"): "2007-08",
}


def page_path(out_dir: Path, area_code: str, report: str) -> Path:
    return out_dir / area_code / f"{report}.html"


def chart_cache_dir(out_dir: Path) -> Path:
    """Where the charts drawn for ``out_dir``'s pages are kept between runs (charts/cache.py)."""
    return out_dir / ".chart-cache"


def generate_reports(
    serving_db: Path,
    out_dir: Path,
    areas: list[str] | None = None,
    period: str | None = None,
    *,
    pdf: bool = True,
    reports: list[str] | None = None,
) -> ReportIndex:
    """Write the area profile reports from ``serving_db`` (opened read-only) into ``out_dir``.

    One page per area (each local authority and the region) and report, plus ``index.html``
    linking them; a PDF beside each page when headless Chromium is available (``pdf=False``
    skips them). ``period`` (YYYY-YY) defaults to each report's latest published year (or, for an
    area a seed report is about, that report's year: ``SUBJECT_PERIODS``). An area whose data
    hold no row of a report's headline indicator in any year (the county has no IMS or DIP data)
    gets no page of that report, and the index says so.
    Charts drawn by an earlier run into ``out_dir`` with the same data are read back
    (``chart_cache_dir``); a run of every page removes those it no longer uses.
    Raises ``ValueError`` for an unknown area, report or period."""
    started = chart_cache.now()
    data = load_serving(Path(serving_db))
    out_dir = Path(out_dir).resolve()
    all_areas = data.report_areas()
    known = {a.code: a for a in all_areas}
    if areas:
        unknown = [a for a in areas if a not in known]
        if unknown:
            raise ValueError(
                f"unknown area {', '.join(unknown)}: choose from "
                + ", ".join(f"{a.code} ({a.name})" for a in all_areas)
            )
        chosen = [known[a] for a in areas]
    else:
        chosen = all_areas
    kinds = [r for r in REPORTS if not reports or r.slug in reports]
    if reports and len(kinds) != len(set(reports)):
        raise ValueError(
            f"unknown report in {reports}: choose from {', '.join(r.slug for r in REPORTS)}"
        )
    if period is not None and period not in data.periods:
        raise ValueError(
            f"no published values for {period}: published years are {', '.join(data.periods) or 'none'}"
        )

    periods: dict[str, str] = {}
    skipped: list[str] = []
    jobs: list[tuple[str, str, str]] = []  # (report, area code, period), in index order
    for kind in kinds:
        chosen_period = period or data.latest_period(kind.headline)
        if chosen_period is None or not data.has_period(kind.headline, chosen_period):
            skipped.append(
                f"{kind.title}: no published {kind.headline} for {chosen_period or 'any year'}"
            )
            continue
        periods[kind.slug] = chosen_period
        for area in chosen:
            if not any(data.has_rows(kind.headline, area.code, p) for p in data.periods):
                skipped.append(f"{kind.title}: no {kind.headline} data for {area.name}")
                continue
            if kind.slug == "compare" and area.kind == "la" and data.region_of(area.code) is None:
                skipped.append(
                    f"{kind.title}: {area.name} has no other local authority of its region in "
                    "the data to compare with"
                )
                continue
            subject = SUBJECT_PERIODS.get((kind.slug, area.code))
            own = subject if period is None and subject in data.periods else chosen_period
            jobs.append((kind.slug, area.code, own))
    context = _PageContext(
        data,
        [k.slug for k in kinds],
        [a.code for a in chosen],
        out_dir,
        frozenset((slug, code) for slug, code, _ in jobs),
        chart_cache_dir(out_dir),
    )
    pages = _write_all_pages(context, jobs)
    if areas is None and reports is None and period is None:
        chart_cache.prune(context.chart_cache, started)
    for page in pages:
        log.info("wrote %s", page.html)

    env = _environment()
    css = _css()
    pdf_note = ""
    if pdf and pages:
        pages, pdf_note = _print_pdfs(pages)
    index_html = out_dir / "index.html"
    index = ReportIndex(out_dir, index_html, pages, periods, pdf_note, skipped)
    _write(index_html, _render_index(env, css, data, index, kinds, chosen))
    return index


def _css() -> Markup:
    return Markup((TEMPLATES / "style.css").read_text(encoding="utf-8"))  # our own file, not data


@dataclass(frozen=True)
class _PageContext:
    """What every page needs: the serving data read once (workers get a copy, never a second
    read of serving.duckdb, which a publish may have replaced meanwhile), the reports and
    areas chosen, and where to write."""

    data: ServingData
    report_slugs: list[str]
    area_codes: list[str]
    out_dir: Path
    #: (report, area code) of every page this run writes: links go to these only (an area
    #: with no data for a report, or no region to compare with, has no page of it)
    written: frozenset[tuple[str, str]]
    #: the charts kept between runs (None: draw every chart)
    chart_cache: Path | None = None


def _write_pages(context: _PageContext, jobs: list[tuple[str, str, str]]) -> list[ReportPage]:
    """Build, render and write the pages of ``jobs`` (in a worker process or in this one)."""
    data, out_dir = context.data, context.out_dir
    kinds = [k for slug in context.report_slugs for k in REPORTS if k.slug == slug]
    areas = {a.code: a for a in data.report_areas()}
    chosen = [areas[code] for code in context.area_codes]
    env, css = _environment(), _css()
    written = []
    for slug, area_code, period in jobs:
        with chart_cache.kept_in(context.chart_cache):  # the charts are drawn as the page is built
            page = build_page(data, slug, area_code, period)
        path = page_path(out_dir, area_code, slug)
        _write(
            path,
            _render_page(env, css, data, page, kinds, chosen, out_dir, path, context.written),
        )
        written.append(
            ReportPage(
                slug, page.title, area_code, areas[area_code].name, period, path, len(page.figures)
            )
        )
    return written


#: Pages per worker below which one process draws them all (a worker costs ~1 s to start).
_PAGES_PER_WORKER = 8


def _report_workers(pages: int) -> int:
    """Processes drawing the pages: ``SMW_REPORT_WORKERS`` if set (1: all in this process),
    else one per core (at most four), fewer when there are few pages. Charts are matplotlib,
    which holds the GIL: threads would not help."""
    configured = os.environ.get("SMW_REPORT_WORKERS", "").strip()
    if configured:
        try:
            wanted = int(configured)
        except ValueError:
            wanted = 0
        if wanted < 1:
            raise ValueError(
                f"SMW_REPORT_WORKERS={configured!r}: expected a whole number of processes (1 or more)"
            )
        return max(1, min(wanted, pages))
    return max(1, min(os.cpu_count() or 1, 4, pages // _PAGES_PER_WORKER))


def _write_all_pages(context: _PageContext, jobs: list[tuple[str, str, str]]) -> list[ReportPage]:
    """Every page, in ``jobs`` order; drawn by several processes when there are many (the
    charts are the cost: ~0.05 s each, hundreds in a run). Worker processes come from a fork
    server (a clean process, not a fork of a build with threads running)."""
    workers = _report_workers(len(jobs))
    if workers == 1:
        return _write_pages(context, jobs)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    mp_context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    shares = [jobs[i::workers] for i in range(workers)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp_context) as pool:
        results = list(pool.map(_write_pages, [context] * workers, shares))
    by_job = {(p.report, p.area_code): p for result in results for p in result}
    return [by_job[(slug, area_code)] for slug, area_code, _ in jobs]


def _relative(target: Path, start: Path) -> str:
    return Path(os.path.relpath(target, start.parent)).as_posix()


def _render_page(
    env,
    css,
    data: ServingData,
    page: Page,
    kinds,
    chosen,
    out_dir: Path,
    path: Path,
    written: frozenset[tuple[str, str]],
) -> str:
    others = [
        {"href": _relative(page_path(out_dir, page.area_code, k.slug), path), "title": k.title}
        for k in kinds
        if k.slug != page.report and (k.slug, page.area_code) in written
    ]
    area_links = [
        {
            "href": _relative(page_path(out_dir, a.code, page.report), path),
            "name": a.name,
            "current": a.code == page.area_code,
        }
        for a in chosen
        if (page.report, a.code) in written
    ]
    return env.get_template("report.html").render(
        page=page,
        css=css,
        others=others,
        area_links=area_links,
        published_at=data.published_at,
        run_id=data.run_id,
        policy=_policy_words(data.disclosure_policy),
    )


def _render_index(env, css, data: ServingData, index: ReportIndex, kinds, chosen) -> str:
    by_key = {(p.area_code, p.report): p for p in index.pages}
    rows = []
    for a in chosen:
        links = []
        for k in kinds:
            p = by_key.get((a.code, k.slug))
            links.append(
                {
                    "html": _relative(p.html, index.index_html),
                    "pdf": _relative(p.pdf, index.index_html) if p.pdf else None,
                    "title": f"{k.title}, {a.name}",
                    # a page written for its own year (SUBJECT_PERIODS) says which
                    "period": p.period if p.period != index.periods.get(k.slug) else None,
                }
                if p
                else None
            )
        rows.append({"name": a.name, "links": links})
    notes = list(index.skipped)
    if index.pdf_note:
        notes.append(index.pdf_note)
    return env.get_template("index.html").render(
        css=css,
        reports=[
            {"title": k.title, "description": k.description, "period": index.periods.get(k.slug)}
            for k in kinds
        ],
        rows=rows,
        notes=notes,
        published_at=data.published_at,
        run_id=data.run_id,
        policy=_policy_words(data.disclosure_policy),
    )


def _policy_words(policy: str) -> str:
    return {
        "under5": "counts from one to four suppressed, with secondary suppression (under5)",
        "nhs_1to7": "counts from one to seven suppressed, others rounded to the nearest five (nhs_1to7)",
    }.get(policy, policy)


def _print_pdfs(pages: list[ReportPage]) -> tuple[list[ReportPage], str]:
    from orchestration.lib.reports.browser import BrowserError, find_chromium, print_pdfs

    executable = find_chromium()
    if executable is None:
        note = "PDFs skipped: Chromium was not found (install the Debian chromium package, or set SMW_CHROMIUM)."
        log.warning(note)
        return pages, note
    try:
        print_pdfs([(p.html, p.html.with_suffix(".pdf")) for p in pages], executable)
    except (BrowserError, OSError) as exc:
        note = f"PDFs skipped: Chromium could not print ({exc})."
        log.warning(note)
        return pages, note
    return [
        ReportPage(
            p.report,
            p.title,
            p.area_code,
            p.area_name,
            p.period,
            p.html,
            p.figures,
            p.html.with_suffix(".pdf"),
        )
        for p in pages
    ], ""
