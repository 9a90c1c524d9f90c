"""Pages that never mislead, and Fingertips' views (issue 17), read in headless Chromium on the
session demo: no provisional or suppressed value carries a comparison colour (chart or table),
no indicator name is cut short, no raw breakdown code shows where a label exists, and the
compare-areas and spine charts are on every page that should have them."""

from __future__ import annotations

import re

import duckdb
import pytest

from orchestration.lib.reports.charts import COMPARISON_COLOURS
from orchestration.lib.reports.content import TREATMENT_PROPORTIONS
from tests.demo_areas import REGION_AREAS
from tests.integration.test_reports import REGION, browser, reports, serving_copy  # noqa: F401

pytestmark = pytest.mark.slow

JUDGED_CSS = {f"cmp-{w}" for w in COMPARISON_COLOURS}

VIEW_FACTS_JS = r"""
(() => {
  const colours = (el) => {
    const found = [];
    for (const node of [el, ...el.querySelectorAll('*')]) {
      const style = getComputedStyle(node);
      found.push(style.fill, style.stroke);
    }
    return found;
  };
  const marked = (kind) => [...document.querySelectorAll(`svg [id*="-${kind}-"]`)]
    .map((el) => ({id: el.id, colours: colours(el)}));
  const svgTexts = [...document.querySelectorAll('figure.chart svg text')].map((t) => t.textContent);
  const figureTexts = [...document.querySelectorAll('figure.chart')].map((f) => ({
    id: f.id,
    section: f.closest('section') ? f.closest('section').id : '',
    text: [...f.querySelectorAll('svg text')].map((t) => t.textContent).join(' '),
    whiskers: f.querySelectorAll('svg [id*="-whisker-"]').length,
    ranges: f.querySelectorAll('svg [id*="-range-"]').length,
  }));
  const cellTexts = [...document.querySelectorAll('table td, table th')].map((c) => c.textContent.trim());
  const tableRows = [...document.querySelectorAll('table tbody tr')].map((r) => {
    const cells = [...r.children];
    const value = cells.find((c) => c.getAttribute('data-kind') === 'percent');
    const comparison = cells.find((c) => c.getAttribute('data-kind') === 'comparison');
    return {
      provisional: !!value && value.getAttribute('data-provisional') === 'true',
      suppressed: !!value && value.getAttribute('data-suppressed') === 'true',
      comparisonClass: comparison ? comparison.className : null,
      comparisonText: comparison ? comparison.textContent.trim() : null,
    };
  });
  const redStars = [...document.querySelectorAll('svg text')].filter(
    (t) => t.textContent.trim() === '*').length;
  return {
    provisional: marked('provisional'), suppressed: marked('suppressed'),
    svgTexts, figureTexts, cellTexts, tableRows, redStars,
  };
})()
"""


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


JUDGED_RGB = {_rgb(c) for c in COMPARISON_COLOURS.values()}


@pytest.fixture(scope="module")
def views(reports, browser) -> dict[str, dict]:  # noqa: F811
    facts = {}
    for p in reports.pages:
        with browser.page(p.html) as page:
            facts[f"{p.area_code}-{p.report}"] = page.evaluate(VIEW_FACTS_JS)
    return facts


def test_no_provisional_or_suppressed_value_carries_a_comparison_colour(views):
    provisional = suppressed = judged_rows = 0
    for name, facts in views.items():
        for kind in ("provisional", "suppressed"):
            for mark in facts[kind]:
                assert not JUDGED_RGB & set(mark["colours"]), (name, mark["id"])
        provisional += len(facts["provisional"])
        suppressed += len(facts["suppressed"])
        # the red * drawn at 0% is gone
        assert facts["redStars"] == 0, name
        for row in facts["tableRows"]:
            if row["comparisonClass"] is None or not row["provisional"] or row["suppressed"]:
                continue
            judged_rows += 1
            assert not JUDGED_CSS & set(row["comparisonClass"].split()), (name, row)
            assert row["comparisonText"].startswith("Provisional to "), (name, row)
    # the demo's latest year is a year to date: there are provisional and suppressed values
    assert provisional > 20 and suppressed > 20 and judged_rows > 20


def test_no_indicator_name_is_cut_short(views, serving_copy):  # noqa: F811
    con = duckdb.connect(str(serving_copy), read_only=True)
    try:
        titles = dict(
            con.execute("select indicator_code, title from rpt_indicator_catalogue").fetchall()
        )
    finally:
        con.close()
    for name, facts in views.items():
        assert not [t for t in facts["svgTexts"] if "\u2026" in t], name
    for name, facts in views.items():
        if not name.endswith("-treatment"):
            continue
        shown = " ".join(" ".join(f["text"] for f in facts["figureTexts"]).split())
        for code in TREATMENT_PROPORTIONS:
            # every headline indicator's full title is drawn (wrapped over lines, never cut)
            assert titles[code] in shown, (name, code)


def test_no_raw_breakdown_code_where_a_label_exists(views, serving_copy):  # noqa: F811
    con = duckdb.connect(str(serving_copy), read_only=True)
    try:
        labelled = con.execute(
            "select breakdown, item_code, label, item_label from rpt_breakdown_labels"
        ).fetchall()
    finally:
        con.close()
    codes = {
        code
        for breakdown, item, label, item_label in labelled
        for code, words in ((breakdown, label), (item, item_label))
        if "_" in code and code != words
    }
    assert "under_15" in codes or len(codes) > 20
    for name, facts in views.items():
        words = set()
        for text in facts["svgTexts"] + facts["cellTexts"]:
            words |= set(re.findall(r"[A-Za-z0-9_|]+", text))
        assert not words & codes, (name, sorted(words & codes)[:5])


def test_compare_areas_and_spine_charts_are_on_every_page(views, reports):  # noqa: F811
    las = {p.area_code for p in reports.pages if p.area_code != REGION}
    region = views[f"{REGION}-treatment"]
    compare = [f for f in region["figureTexts"] if f["section"] == "compare-areas"]
    assert len(compare) == len(TREATMENT_PROPORTIONS)
    for fig in compare:
        assert fig["whiskers"] > 0 or "suppressed" in fig["text"], fig["id"]
    assert sum(f["whiskers"] for f in compare) >= 2 * len(compare)
    # an authority with no other of its region in the data (the county) has no compare page and
    # no spine: a spine of one area would set it against itself
    with_region = {p.area_code for p in reports.pages if p.report == "compare"} - {REGION}
    assert with_region and with_region < las
    for area in las:
        spines = [f for f in views[f"{area}-treatment"]["figureTexts"] if f["section"] == "spine"]
        assert len(spines) == (1 if area in with_region else 0), area
        if spines:
            assert spines[0]["ranges"] >= len(TREATMENT_PROPORTIONS) - 1, area


def test_the_compare_page_shows_every_proportion_for_every_area(
    views,
    reports,  # noqa: F811
    serving_copy,  # noqa: F811
) -> None:
    """Every proportion published for the whole population in the region's year has a
    compare-areas chart on the region's compare page, and a spine row on each local
    authority's compare page wherever the area has a row (issue 17: the views for every area
    and indicator)."""
    period = next(p.period for p in reports.pages if p.report == "compare")
    # the region's authorities: each has a compare page (the county has none, no region)
    las = {p.area_code for p in reports.pages if p.report == "compare" and p.area_code != REGION}
    assert las == REGION_AREAS
    con = duckdb.connect(str(serving_copy), read_only=True)
    try:
        rows = con.execute(
            "select v.indicator_code, v.area_code, v.value from rpt_indicator_values v "
            "join rpt_indicator_catalogue c using (indicator_code) "
            "where c.unit = 'proportion' and v.breakdown_type = 'all' and v.period = ?",
            [period],
        ).fetchall()
    finally:
        con.close()
    codes = {code for code, area, _ in rows if area == REGION}
    assert len(codes) >= 15
    region = views[f"{REGION}-compare"]
    charts = [f for f in region["figureTexts"] if f["section"].startswith("compare-")]
    assert len(charts) == len(codes)
    published = {(code, area) for code, area, value in rows if value is not None}
    for area in las:
        # a row for each indicator the area has, when some area of the region has a value
        expected = {
            code
            for code, a, _ in rows
            if a == area and code in codes and any((code, o) in published for o in las)
        }
        spines = [
            f for f in views[f"{area}-compare"]["figureTexts"] if f["section"].startswith("spine-")
        ]
        assert sum(f["ranges"] for f in spines) == len(expected), area
