"""Area profile reports on the session demo warehouse (issue 8): the serving data they need, and
the pages themselves opened in headless Chromium.

Every page is opened once (module fixture) to collect console errors, chart sizes, every number
marked as a count, every standalone number from one to four in the rendered text, and the data
tables; a screenshot of each is saved under ``test-artifacts/reports/``.
"""

from __future__ import annotations

import re
import shutil
import stat
from pathlib import Path

import pytest

from orchestration.lib import spec
from orchestration.lib.paths import REPO_ROOT
from orchestration.lib.reports import generate_reports
from orchestration.lib.reports.browser import Chromium, find_chromium
from orchestration.lib.reports.content import REPORTS
from orchestration.lib.reports.render import SUBJECT_PERIODS
from tests.conftest import once_per_session
from tests.db import rows
from tests.demo_areas import COUNTY_AREAS, OWN_YEARS_AREAS, REGION_AREAS, WITHOUT_REGION

pytestmark = pytest.mark.slow

ARTIFACTS = REPO_ROOT / "test-artifacts" / "reports"
REGION = "E54000008"

#: Collected from each rendered page (the DOM after layout, SVG included).
PAGE_FACTS_JS = r"""
(() => {
  const kindOf = (node) => {
    let el = node.nodeType === 1 ? node : node.parentElement;
    while (el) {
      if (el.getAttribute && el.getAttribute('data-kind')) return el.getAttribute('data-kind');
      el = el.parentElement;
    }
    return null;
  };
  const figures = [...document.querySelectorAll('figure.chart')].map((f) => {
    const svg = f.querySelector('svg');
    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    return {
      id: f.id,
      width: box.width,
      height: box.height,
      marks: svg ? svg.querySelectorAll('path, rect, line, polyline, polygon').length : 0,
      elements: svg ? svg.querySelectorAll('*').length : 0,
      texts: svg ? svg.querySelectorAll('text').length : 0,
      alt: svg && svg.querySelector('title') ? svg.querySelector('title').textContent : '',
      labelled: svg ? svg.getAttribute('role') === 'img' && !!svg.getAttribute('aria-labelledby') : false,
      hasTable: !!f.querySelector('details table tbody tr'),
    };
  });
  const counts = [...document.querySelectorAll('[data-kind="count"]')].map((e) => e.textContent.trim());
  const chartCounts = [...document.querySelectorAll('svg g[id*="-count-"]')].map((e) => e.textContent.trim());
  const hits = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const small = /(^|[^\w.,%+\-\u2013\/:|])([1-4])(?![\w.,%+\-\u2013\/:|])/g;
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent;
    small.lastIndex = 0;
    let m;
    while ((m = small.exec(text))) {
      // a duration in a title ("under 3 weeks") is not a count
      if (/^\s*(weeks?|days?|months?|years?)\b/.test(text.slice(m.index + m[0].length))) continue;
      hits.push({text: text.trim().slice(0, 120), kind: kindOf(node)});
    }
  }
  const tables = [...document.querySelectorAll('table')].map((t) => ({
    caption: t.caption ? t.caption.textContent.trim() : '',
    header: [...t.querySelectorAll('thead th')].map((c) => c.textContent.trim()),
    rows: [...t.querySelectorAll('tbody tr')].map((r) => [...r.children].map((c) => ({
      text: c.textContent.trim(),
      kind: c.getAttribute('data-kind'),
      suppressed: c.getAttribute('data-suppressed') === 'true',
      footnoted: !!c.querySelector('a[href="#note-suppressed"]'),
    }))),
  }));
  // what runs past the right edge of the page's column: a table may only scroll inside it
  const main = document.querySelector('main');
  const edge = main ? main.getBoundingClientRect().right + 1 : window.innerWidth;
  const overflowing = [...document.querySelectorAll('main table, main figure, main p')]
    .filter((e) => {
      const scroller = e.closest('.table-wrap');
      const box = (scroller || e).getBoundingClientRect();
      return box.width > 0 && box.right > edge;
    })
    .map((e) => (e.caption ? e.caption.textContent : e.textContent).trim().slice(0, 80));
  const note = document.getElementById('note-suppressed');
  return {
    overflowing,
    pageWidth: document.documentElement.scrollWidth,
    viewWidth: window.innerWidth,
    figures, counts, chartCounts, hits, tables,
    declaredFigures: Number(document.body.getAttribute('data-figures') || 0),
    suppressedNote: note ? note.textContent : '',
    links: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')),
    externalResources: performance.getEntriesByType('resource').map((r) => r.name),
  };
})()
"""


# -- serving data the reports need ---------------------------------------------------------


def test_every_indicator_has_its_counts_registered_for_disclosure_control(demo_build):
    """A new indicator must map its numerator (and denominator) to a quantity in
    fct_indicator_value_cells, or its rows would have no disclosure decision."""
    db = demo_build.home.warehouse_db
    unregistered = rows(
        db,
        """
        select distinct v.indicator_code from marts.fct_indicator_values as v
        left join marts.fct_indicator_value_cells as c
            on v.indicator_value_id = c.indicator_value_id and c.role = 'numerator'
        where c.value_cell_id is null
        """,
    )
    assert not unregistered
    missing = rows(
        db,
        """
        select count(*) from marts.fct_indicator_values as v
        left join marts.fct_indicator_disclosure as d using (indicator_value_id)
        where d.indicator_value_id is null
        """,
    )[0][0]
    assert missing == 0


def test_profile_breakdowns_partition_their_totals(demo_build):
    """The DIP profile's breakdowns of all contacts add up to the contacts; shares of those
    recorded add up to their denominator; nested slices add up to their parent slice. This is
    what lets disclosure control treat them as groups with a published total."""
    db = demo_build.home.warehouse_db
    contacts = dict(
        ((a, p), n)
        for a, p, n in rows(
            db,
            "select area_code, period, numerator from marts.fct_indicator_values "
            "where indicator_code = 'dip_contacts' and breakdown_type = 'all'",
        )
    )
    for code, bt in [
        ("dip_route_share", "route_group"),
        ("dip_sex_share", "sex"),
        ("dip_age_share", "age_band"),
        ("dip_ethnicity_share", "ethnicity_group"),
        ("dip_residence_share", "residence"),
        ("dip_offence_share", "offence"),
        ("dip_offender_management_share", "offender_management"),
    ]:
        sums = rows(
            db,
            "select area_code, period, sum(numerator), max(denominator), min(denominator) "
            "from marts.fct_indicator_values where indicator_code = ? and breakdown_type = ? group by 1, 2",
            [code, bt],
        )
        assert sums, code
        for area, period, total, den_max, den_min in sums:
            assert total == contacts[(area, period)] == den_max == den_min, (code, area, period)
    for code in (
        "dip_drug_route_share",
        "dip_injecting_share",
        "dip_drug_mention_share",
        "dip_transfer_destination_share",
    ):
        bad = rows(
            db,
            "select area_code, period from marts.fct_indicator_values where indicator_code = ? "
            "group by 1, 2 having sum(numerator) <> max(denominator) or max(denominator) <> min(denominator)",
            [code],
        )
        assert not bad, code
    for code in (
        "dip_route_share",
        "dip_age_share",
        "dip_drinking_days_share",
        "dip_daily_units_share",
        "ims_main_substance_share",
        "ims_second_substance_share",
    ):
        bad = rows(
            db,
            "select area_code, period, split_part(breakdown, '|', 1) from marts.fct_indicator_values "
            "where indicator_code = ? and breakdown like '%|%' group by 1, 2, 3 "
            "having sum(numerator) <> max(denominator) or max(denominator) <> min(denominator)",
            [code],
        )
        assert not bad, code
    # recorded for N people: the recorded count is the shares' denominator
    bad = rows(
        db,
        """
        select r.area_code, r.period, r.breakdown from marts.fct_indicator_values as r
        inner join marts.fct_indicator_values as s
            on s.indicator_code = 'ims_main_substance_share' and s.area_code = r.area_code
            and s.period = r.period and split_part(s.breakdown, '|', 1) = r.breakdown
        where r.indicator_code = 'ims_main_substance_recorded' and s.denominator <> r.numerator
        """,
    )
    assert not bad


def test_no_published_group_leaves_a_suppressed_cell_recoverable(demo_build):
    """The dbt data test, restated here over the new groups: nested, cross and funnel groups."""
    db = demo_build.home.warehouse_db
    kinds = {
        r[0]
        for r in rows(
            db,
            "select distinct split_part(group_id, '|', 1) || ':' || "
            "case when group_id like '%=%' then 'nested' else 'flat' end from marts.fct_disclosure_group_members",
        )
    }
    assert {"area:flat", "breakdown:flat", "breakdown:nested", "stage:flat"} <= kinds
    exposed = rows(
        db,
        """
        select m.group_id from marts.fct_disclosure_group_members as m
        inner join marts.fct_disclosure_cells as c using (cell_id)
        group by m.group_id
        having sum(case when c.is_suppressed and not m.is_total then 1 else 0 end) = 1
            and max(case when m.is_total and not c.is_suppressed then 1 else 0 end) = 1
        """,
    )
    assert not exposed


def test_comparator_value_is_the_comparators_published_value(demo_build):
    db = demo_build.home.serving_db
    mismatched = rows(
        db,
        """
        select v.indicator_value_id from rpt_indicator_values as v
        left join rpt_indicator_values as c
            on c.indicator_code = v.indicator_code and c.period = v.period
            and c.area_code = v.comparator_area_code
            and c.breakdown_type = v.breakdown_type and c.breakdown = v.breakdown
        where v.comparator_value is distinct from c.value
        """,
    )
    assert not mismatched
    # and a withheld comparator gives no comparator value
    assert (
        rows(
            db,
            """
        select count(*) from rpt_indicator_values as v
        inner join rpt_indicator_values as c
            on c.indicator_code = v.indicator_code and c.period = v.period
            and c.area_code = v.comparator_area_code
            and c.breakdown_type = v.breakdown_type and c.breakdown = v.breakdown
        where c.is_suppressed and v.comparator_value is not null
        """,
        )[0][0]
        == 0
    )


def test_every_published_breakdown_has_a_label(demo_build):
    db = demo_build.home.serving_db
    unlabelled = rows(
        db,
        """
        select distinct v.breakdown_type, v.breakdown from rpt_indicator_values as v
        left join rpt_breakdown_labels as l using (breakdown_type, breakdown)
        where l.label is null
        """,
    )
    assert not unlabelled
    coded = rows(
        db,
        "select count(*) from rpt_breakdown_labels where item_label = item_code and breakdown_type "
        "in ('cohort', 'route_group', 'route', 'drug', 'offence', 'substance_group', 'residence', 'category')",
    )[0][0]
    assert coded == 0  # these all have words, not codes


# -- the pages ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def serving_copy(demo_build, tmp_path_factory) -> Path:
    """serving.duckdb alone in a folder, read-only: reports need nothing else."""
    folder = tmp_path_factory.mktemp("serving-only")
    db = folder / "serving.duckdb"
    shutil.copy(demo_build.home.serving_db, db)
    db.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    return db


@pytest.fixture(scope="module")
def reports(demo_build, tmp_path_factory):
    """The area reports of serving.duckdb alone in a folder, read-only, written once for this
    module and test_reports_views (whichever worker runs first; the other reads them)."""

    def write(folder: Path):
        db = folder / "serving-only" / "serving.duckdb"
        db.parent.mkdir(exist_ok=True)
        shutil.copy(demo_build.home.serving_db, db)
        db.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        return generate_reports(db, folder / "reports", pdf=False)

    return once_per_session(tmp_path_factory, "demo-reports", write)


@pytest.fixture(scope="module")
def browser():
    executable = find_chromium()
    if executable is None:
        pytest.skip(
            "Chromium is not installed here: .ci/run installs the Debian chromium package; "
            "locally run `apt-get install chromium` (or set SMW_CHROMIUM) to run the page checks"
        )
    with Chromium(executable) as b:
        yield b


@pytest.fixture(scope="module")
def rendered(reports, browser) -> dict[str, dict]:
    """Open the index and every page once: facts from the DOM, console errors, a screenshot."""
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    pages = [("index", reports.index_html)] + [
        (f"{p.area_code}-{p.report}", p.html) for p in reports.pages
    ]
    facts = {}
    for name, path in pages:
        with browser.page(path) as page:
            found = page.evaluate(PAGE_FACTS_JS)
            shot = page.screenshot(ARTIFACTS / f"{name}.png")
        found["console_errors"] = page.console_errors
        found["screenshot"] = shot
        found["path"] = path
        facts[name] = found
    return facts


def test_a_page_for_every_area_and_report_linked_from_the_index(reports, rendered):
    # the county (treatment only, no region of its own in the data) has no IMS, DIP or compare page
    region_only = {"harm-reduction", "dip", "compare"}
    assert {(p.area_code, p.report) for p in reports.pages} == {
        (a, r.slug)
        for r in REPORTS
        for a in (REGION_AREAS if r.slug in region_only else REGION_AREAS | COUNTY_AREAS) | {REGION}
    } | {(a, slug) for a in OWN_YEARS_AREAS for slug in ("treatment", "needs", "dip")}
    # Salford's treatment profile, needs assessment and DIP contacts are for 2007-08, the city's
    # own report
    salford = {p.report: p.period for p in reports.pages if p.area_code in OWN_YEARS_AREAS}
    assert salford == {"treatment": "2007-08", "needs": "2007-08", "dip": "2007-08"}, salford
    leicestershire = {p.report: p for p in reports.pages if p.area_code == "E10000018"}
    assert leicestershire["treatment"].period == "2017-18"  # the JSNA chapter's year
    assert leicestershire["needs"].period == spec.DEMO_PERIODS[-1]
    # methods describe only what the page shows: no drug-test or DIP measures for the county
    county_needs = leicestershire["needs"].html.read_text()
    assert "Code: tx_penetration." in county_needs
    assert "Code: mdt_positive_share." not in county_needs
    assert "Code: known_to_treatment." not in county_needs
    assert set(reports.periods.values()) == {spec.DEMO_PERIODS[-1]}
    index_links = set(rendered["index"]["links"])
    for p in reports.pages:
        assert f"{p.area_code}/{p.report}.html" in index_links
        # a local authority's compare page has one spine chart per source (treatment and DIP);
        # the county's needs page has prevalence and treatment but no drug tests or DIP
        small = (p.report == "compare" and p.area_code != REGION) or (
            p.report == "needs" and p.area_code in WITHOUT_REGION
        )
        least = 2 if small else 4
        assert p.figures >= least, (p.area_code, p.report)


def test_pages_open_without_console_errors_and_every_chart_renders(rendered):
    for name, facts in rendered.items():
        assert facts["console_errors"] == [], name
        assert not [
            u for u in facts["externalResources"] if not u.startswith(("file:", "data:"))
        ], name
        assert facts["screenshot"].stat().st_size > 10_000, name
        if name == "index":
            continue
        assert len(facts["figures"]) == facts["declaredFigures"] > 0, name
        for fig in facts["figures"]:
            assert fig["width"] > 300 and fig["height"] > 80, (name, fig["id"])
            # drawn: axes, ticks and bars, or at least the * of a withheld value
            assert fig["marks"] >= 2 and fig["elements"] > 10 and fig["texts"] >= 1, (
                name,
                fig["id"],
            )
            assert fig["labelled"] and len(fig["alt"]) > 30, (name, fig["id"])
            assert fig["hasTable"], (name, fig["id"])


def test_nothing_runs_past_the_page_column(rendered):
    """A wide table (the needs assessment's provider flows has a dozen columns) scrolls inside
    the column; nothing is cut off at the page's edge or makes the whole page scroll sideways."""
    for name, facts in rendered.items():
        assert facts["overflowing"] == [], name
        assert facts["pageWidth"] <= facts["viewWidth"], name


def _is_published_count(text: str) -> bool:
    text = text.replace("\u2020", "").replace(",", "").strip()
    if text in ("", "*"):
        return True
    return text.isdigit() and (int(text) == 0 or int(text) >= 5)


def test_no_report_shows_a_count_from_one_to_four(rendered):
    checked = 0
    for name, facts in rendered.items():
        shown = facts["counts"] + facts["chartCounts"]
        assert all(_is_published_count(c) for c in shown), (
            name,
            [c for c in shown if not _is_published_count(c)],
        )
        checked += len(shown)
        # any standalone 1-4 anywhere in the rendered text (tables, prose, charts, alt text) must
        # be a number of areas ("fell in 3 of 9 areas"), never a count of people or events
        stray = [h for h in facts["hits"] if h["kind"] != "areas"]
        assert not stray, (name, stray[:5])
    assert checked > 1000


def test_suppressed_cells_show_a_star_with_the_footnote(rendered):
    suppressed = 0
    for name, facts in rendered.items():
        cells = [c for t in facts["tables"] for r in t["rows"] for c in r if c["suppressed"]]
        for c in cells:
            assert c["text"].rstrip("\u2020") == "*", (name, c)
            assert c["footnoted"], (name, c)
        if cells:
            assert "Suppressed to protect confidentiality" in " ".join(
                facts["suppressedNote"].split()
            ), name
        suppressed += len(cells)
    assert suppressed > 50  # the small demo has many withheld cells


def test_year_tables_match_the_published_rows(rendered, serving_copy):
    """Each page's by-year table shows exactly the published count, or * where it is withheld."""
    published = {
        (code, area, period): (suppressed, numerator)
        for code, area, period, suppressed, numerator in rows(
            serving_copy,
            "select indicator_code, area_code, period, is_suppressed, numerator from rpt_indicator_values "
            "where breakdown_type = 'all' and indicator_code in ('nsp_clients', 'dip_contacts', 'tx_in_treatment', 'mdt_tests')",
        )
    }
    tables = {
        "harm-reduction": ("People using needle and syringe programmes by year", "nsp_clients", 1),
        "dip": ("DIP contacts by year", "dip_contacts", 1),
        "treatment": ("People in treatment by substance group", "tx_in_treatment", 4),
        "needs": ("Drug tests by year", "mdt_tests", 1),
    }
    checked = expected = 0
    for name, facts in rendered.items():
        if name == "index":
            continue
        area, report = name.split("-", 1)
        if report == "compare":  # no by-year table: every area side by side in one year
            continue
        if report == "needs" and area in WITHOUT_REGION:  # no drug testing data for them
            continue
        # a page written for its report's own year (SUBJECT_PERIODS) has the years up to it
        # that its source publishes (Salford's DIP contacts: 2007-08 only)
        years = OWN_YEARS_AREAS.get(area, spec.DEMO_PERIODS)
        own = SUBJECT_PERIODS.get((report, area), years[-1])
        caption, code, column = tables[report]
        expected += sum((code, area, y) in published for y in years[: years.index(own) + 1])
        table = next(t for t in facts["tables"] if t["caption"] == caption)
        for row in table["rows"]:
            period = row[0]["text"]
            suppressed, numerator = published[(code, area, period)]
            cell = row[column]
            assert cell["kind"] == "count"
            checked += 1
            if suppressed:
                assert cell["suppressed"] and cell["text"] == "*", (name, period)
            else:
                # a year to date carries the provisional dagger
                assert cell["text"].rstrip("\u2020") == f"{round(numerator):,}", (name, period)
    # Every page's by-year table was read (whether the small demo withholds a whole year's
    # count, drawn as *, depends on its draws; test_no_report_shows_a_count_from_one_to_four
    # checks the withheld cells of every table).
    assert checked >= expected > 0


def test_supplier_text_is_escaped_in_pages(rendered):
    """Transfer destinations are supplier free text: they appear as text, never as markup."""
    dip = rendered[f"{REGION}-dip"]
    table = next(t for t in dip["tables"] if t["caption"].startswith("Transferred to"))
    names = {r[0]["text"] for r in table["rows"]}
    assert names and all(re.fullmatch(r"[\w .,'()&-]+", n) for n in names)
    html = dip["path"].read_text()
    assert "<script" not in html.lower()


def test_cli_writes_one_area_with_pdfs(demo_build, tmp_path, capsys):
    if find_chromium() is None:
        pytest.skip("Chromium is not installed: no PDFs to check")
    from orchestration.cli import main

    out = tmp_path / "out"
    assert (
        main(["report", "--home", str(demo_build.home.root), "--area", REGION, "--out", str(out)])
        == 0
    )
    said = capsys.readouterr().out
    n = len(REPORTS)
    assert f"{n} pages for 1 area in" in said and f"PDFs       {n} written" in said
    for report in REPORTS:
        pdf = out / REGION / f"{report.slug}.pdf"
        assert pdf.read_bytes()[:5] == b"%PDF-", pdf
        assert pdf.stat().st_size > 20_000
    index = (out / "index.html").read_text()
    assert f"{REGION}/dip.pdf" in index
    assert (
        main(
            [
                "report",
                "--home",
                str(demo_build.home.root),
                "--area",
                "E00000000",
                "--out",
                str(out),
            ]
        )
        == 2
    )


SUPPORT_PACK_SECTIONS = (
    "access",
    "routes",
    "who",
    "engagement",
    "top-outcomes",
    "completions",
    "health-protection",
    "safeguarding-housing",
)


def test_treatment_pages_are_a_support_pack(reports, rendered):
    """Every treatment page has the support pack's sections, each with a figure or table, and
    the region's page shows England beside its own values in the TOP outcomes."""
    pages = [p for p in reports.pages if p.report == "treatment"]
    assert pages
    for page in pages:
        html = page.html.read_text()
        for section in SUPPORT_PACK_SECTIONS:
            start = html.find(f'<section id="{section}">')
            assert start >= 0, (page.area_code, section)
            body = html[start : html.find("</section>", start)]
            if section == "top-outcomes" and page.area_code in OWN_YEARS_AREAS:
                continue  # no TOP for Salford in 2006-08: the section says what it would show
            assert "<table" in body, (page.area_code, section)
        # a page compares with the region only where the area has one (never the county)
        key = html[html.find('<section id="key-indicators">') :]
        key = key[: key.find("</section>")]
        mentions_region = "the region" in key
        assert mentions_region == (page.area_code in REGION_AREAS), page.area_code
    region = rendered[f"{REGION}-treatment"]
    top = next(t for t in region["tables"] if t["caption"].startswith("Abstinent at review"))
    assert top["rows"] and "England" in top["header"], top["header"]
