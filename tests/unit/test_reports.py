"""Report rendering on a tiny hand-made serving database: escaping, * for withheld values,
small changes, and PDFs skipped gracefully without Chromium."""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.reports import charts, generate_reports
from orchestration.lib.reports.charts.base import Point
from orchestration.lib.reports.data import CATALOGUE_COLUMNS, LABEL_COLUMNS, VALUE_COLUMNS, Value
from orchestration.lib.reports.model import change_cell, change_text, count_cell

LA, REGION = "E08000014", "E54000008"
EVIL = '<script>alert("x")</script> & $x$'


def value(
    code, area, period, bt="all", b="all", n=10.0, d=None, suppressed=False, unit=None, **kw
) -> dict:
    unit = unit or ("proportion" if d else "count")
    v = None if suppressed else (n / d if d else n)
    row = {
        "indicator_code": code,
        "period": period,
        "area_code": area,
        "area_name": "Sefton" if area == LA else "Cheshire and Merseyside",
        "area_type": "la" if area == LA else "region",
        "breakdown_type": bt,
        "breakdown": b,
        "numerator": None if suppressed else n,
        "denominator": None if suppressed else d,
        "value": v,
        "lower_95": None if suppressed else (v or 0) * 0.8,
        "upper_95": None if suppressed else (v or 0) * 1.2,
        "unit": unit,
        "polarity": "no_judgement",
        "comparator_area_code": REGION if area == LA else None,
        "comparator_value": None,
        "comparison": "suppressed" if suppressed else "not_compared",
        "change_absolute": None,
        "change_relative": None,
        "trend": "suppressed" if suppressed else "not_applicable",
        "is_provisional": False,
        "is_suppressed": suppressed,
        "suppression": "primary" if suppressed else None,
        "disclosure_policy": "under5",
    }
    row.update(kw)
    return row


@pytest.fixture()
def serving(tmp_path: Path) -> Path:
    rows = []
    for period in ("2019-20", "2020-21"):
        for area in (LA, REGION):
            rows.append(value("dip_contacts", area, period, n=40.0 if area == LA else 400.0))
            rows.append(value("dip_transferred_out", area, period, n=10.0, d=12.0))
            rows.append(
                value(
                    "dip_transfer_destination_share",
                    area,
                    period,
                    "transfer_destination",
                    EVIL,
                    n=6.0,
                    d=10.0,
                )
            )
            rows.append(
                value(
                    "dip_transfer_destination_share",
                    area,
                    period,
                    "transfer_destination",
                    "HMP Liverpool",
                    suppressed=True,
                )
            )
            rows.append(
                value("dip_drug_mention_share", area, period, "drug", "heroin", n=30.0, d=50.0)
            )
            rows.append(
                value("dip_drug_mention_share", area, period, "drug", "crack", suppressed=True)
            )
            rows.append(
                value(
                    "nsp_clients", area, period, n=20.0, change_absolute=-3.0, change_relative=-0.13
                )
            )
            rows.append(value("tx_in_treatment", area, period, n=25.0))
    catalogue = [
        dict(
            zip(
                CATALOGUE_COLUMNS,
                [
                    code,
                    f"Title of {code} <i>",
                    "Definition & more",
                    "num",
                    "den",
                    "count",
                    1.0,
                    "no_judgement",
                    "wilson",
                    "dip",
                    0,
                    "all",
                    "region",
                    "2019-20",
                    "2020-21",
                ],
                strict=True,
            )
        )
        for code in {r["indicator_code"] for r in rows}
    ]
    labels = [
        dict(
            zip(
                LABEL_COLUMNS,
                [
                    "drug",
                    "heroin",
                    "Heroin <img src=x onerror=alert(1)>",
                    None,
                    None,
                    None,
                    "heroin",
                    "Heroin <img src=x onerror=alert(1)>",
                    1,
                ],
                strict=True,
            )
        ),
        dict(
            zip(
                LABEL_COLUMNS,
                ["drug", "crack", "Crack", None, None, None, "crack", "Crack", 2],
                strict=True,
            )
        ),
    ]
    db = tmp_path / "serving.duckdb"
    con = duckdb.connect(str(db))
    for table, columns, data in (
        ("rpt_indicator_values", VALUE_COLUMNS, rows),
        ("rpt_indicator_catalogue", CATALOGUE_COLUMNS, catalogue),
        ("rpt_breakdown_labels", LABEL_COLUMNS, labels),
    ):
        types = {
            c: "double"
            for c in (
                "numerator",
                "denominator",
                "value",
                "lower_95",
                "upper_95",
                "comparator_value",
                "change_absolute",
                "change_relative",
                "multiplier",
            )
        }
        types.update(
            {
                "is_provisional": "boolean",
                "is_suppressed": "boolean",
                "follow_up_days": "integer",
                "parent_sort_order": "integer",
                "item_sort_order": "integer",
            }
        )
        defs = ", ".join(f"{c} {types.get(c, 'varchar')}" for c in columns)
        con.execute(f"create table {table} ({defs})")
        con.executemany(
            f"insert into {table} values ({', '.join('?' for _ in columns)})",
            [[r[c] for c in columns] for r in data],
        )
    con.close()
    return db


def test_supplier_text_and_labels_are_escaped_in_tables_and_charts(serving, tmp_path, monkeypatch):
    monkeypatch.setenv("SMW_CHROMIUM", str(tmp_path / "no-such-chromium"))
    index = generate_reports(serving, tmp_path / "out", reports=["dip"])
    html = (tmp_path / "out" / LA / "dip.html").read_text()
    assert "<script" not in html and "<img" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; $x$" in html  # the table cell
    assert "Heroin &lt;img src=x onerror=alert(1)&gt;" in html  # the chart's SVG text
    # no PDFs without Chromium, and the index says why
    assert index.pdfs == [] and "Chromium was not found" in index.pdf_note
    assert "Chromium was not found" in index.index_html.read_text()


def test_withheld_values_are_stars_and_small_changes_are_percentages(serving, tmp_path):
    generate_reports(serving, tmp_path / "out", reports=["harm-reduction", "dip"], pdf=False)
    dip = (tmp_path / "out" / LA / "dip.html").read_text()
    assert 'data-kind="count" data-suppressed="true"><a class="supp" href="#note-suppressed"' in dip
    assert 'id="note-suppressed"' in dip
    hr = (tmp_path / "out" / LA / "harm-reduction.html").read_text()
    assert "a 13% decrease in people" in hr and "3 fewer" not in hr


def test_cells_and_change_words():
    withheld = Value(*[None] * len(VALUE_COLUMNS))  # type: ignore[arg-type]
    withheld = withheld.__class__(
        **{**withheld.__dict__, "is_suppressed": True, "is_provisional": False}
    )
    assert count_cell(withheld).text == "*" and count_cell(withheld).suppressed
    assert change_text(-2735, "people", -0.42) == "2,735 fewer people (42% decrease)"
    assert change_text(-3, "people", -0.2) == "a 20% decrease in people"
    assert change_text(0.0, "visits", 0.0) == "no change in visits"
    small = withheld.__class__(
        **{
            **withheld.__dict__,
            "is_suppressed": False,
            "change_absolute": 4.0,
            "change_relative": 0.5,
        }
    )
    assert change_cell(small).text == "+50%"


def test_unknown_area_and_period_are_refused(serving, tmp_path):
    with pytest.raises(ValueError, match="unknown area E0"):
        generate_reports(serving, tmp_path / "out", areas=["E0"], pdf=False)
    with pytest.raises(ValueError, match="no published values for 2030-31"):
        generate_reports(serving, tmp_path / "out", period="2030-31", pdf=False)


def test_pages_drawn_by_worker_processes_are_the_ones_drawn_in_process(
    serving, tmp_path, monkeypatch
):
    written = {}
    for workers in ("1", "2"):
        monkeypatch.setenv("SMW_REPORT_WORKERS", workers)
        index = generate_reports(serving, tmp_path / workers, pdf=False)
        assert len(index.pages) >= 2
        written[workers] = (
            [(p.report, p.area_code, p.title, p.figures) for p in index.pages],
            {
                p.relative_to(tmp_path / workers): p.read_bytes()
                for p in sorted((tmp_path / workers).rglob("*.html"))
            },
        )
    assert written["1"][0] == written["2"][0]  # same pages, same order
    assert written["1"][1] == written["2"][1]  # byte for byte, index included


def test_report_workers_setting_is_checked(monkeypatch):
    from orchestration.lib.reports.render import _report_workers

    monkeypatch.setenv("SMW_REPORT_WORKERS", "3")
    assert _report_workers(100) == 3 and _report_workers(2) == 2
    monkeypatch.setenv("SMW_REPORT_WORKERS", "many")
    with pytest.raises(ValueError, match="SMW_REPORT_WORKERS='many'"):
        _report_workers(10)
    monkeypatch.delenv("SMW_REPORT_WORKERS")
    assert _report_workers(3) == 1  # a few pages: no worker processes


def _x_tick_labels(svg: str) -> list[list[str]]:
    """The tick labels of each x axis of a chart, in order (y axes hold the row labels)."""
    axes = re.split(r'<g id="matplotlib\.axis_\d+">', svg)[1:]
    found = [re.findall(r"<text[^>]*>([^<]*)</text>", a.split("</g>\n   </g>")[0]) for a in axes]
    return [ticks for ticks in found if ticks and all(t.endswith("%") for t in ticks)]


def test_one_indicators_breakdowns_share_one_scale_and_separate_indicators_do_not():
    """On a scale of its own each row, 7% and 37% look alike with intervals the same width; the
    breakdowns of one indicator are drawn on one scale so they can be compared by eye."""
    rows = [
        ("Opiate", Point(0.072, lower=0.058, upper=0.088), "similar", {"England": 0.065}),
        ("Non-opiate", Point(0.37, lower=0.29, upper=0.46), "similar", {"England": 0.39}),
    ]
    own = _x_tick_labels(str(charts.intervals("own", rows, "alt")))
    shared = _x_tick_labels(str(charts.intervals("shared", rows, "alt", shared_scale=True)))
    assert len(own) == len(shared) == 2
    assert own[0] != own[1]
    assert shared[0] == shared[1] and shared[0][0] == "0%"


def test_dip_contacts_by_year_leave_out_a_year_the_dip_data_do_not_cover(serving, tmp_path):
    """An area published for a year by another source only (Salford's treatment in 2006-07,
    its DIP contacts from 2007-08) has no DIP row that year: the DIP page's by-year table and
    chart start at the first year with contacts, rather than drawing a year of none."""
    con = duckdb.connect(str(serving))
    row = value("tx_in_treatment", LA, "2018-19", n=25.0)
    con.execute(
        f"insert into rpt_indicator_values values ({', '.join('?' for _ in VALUE_COLUMNS)})",
        [row[c] for c in VALUE_COLUMNS],
    )
    con.close()
    generate_reports(serving, tmp_path / "out", areas=[LA], reports=["dip"], pdf=False)
    html = (tmp_path / "out" / LA / "dip.html").read_text()
    table = html[html.index("DIP contacts by year") :]
    table = table[: table.index("</table>")]
    assert "2019-20" in table and "2020-21" in table
    assert "2018-19" not in table


def test_charts_drawn_before_are_read_back_and_the_unused_removed(serving, tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    from orchestration.lib.reports.charts import cache
    from orchestration.lib.reports.render import chart_cache_dir

    monkeypatch.setenv("SMW_REPORT_WORKERS", "1")
    out = tmp_path / "out"
    generate_reports(serving, out, pdf=False)
    kept = chart_cache_dir(out)
    charts_drawn = sorted(p.name for p in kept.glob("*.svg"))
    assert charts_drawn, "the run kept its charts"
    pages = {p: p.read_bytes() for p in sorted(out.rglob("*.html"))}
    # an entry no run uses any more
    stale = kept / ("0" * 64 + ".svg")
    stale.write_text("<svg/>")
    old = 1_000_000_000.0
    os.utime(stale, (old, old))

    def not_drawn(*args, **kwargs):
        raise AssertionError("a chart was drawn again")

    monkeypatch.setattr(Figure, "savefig", not_drawn)
    generate_reports(serving, out, areas=[LA], pdf=False)
    assert stale.exists(), "a run of some pages removes nothing"
    generate_reports(serving, out, pdf=False)
    assert {p: p.read_bytes() for p in sorted(out.rglob("*.html"))} == pages, "read back as drawn"
    assert not stale.exists(), "a run of every page removes the charts it did not use"
    assert sorted(p.name for p in kept.glob("*.svg")) == charts_drawn
    monkeypatch.undo()

    # other data, another chart: drawn and kept beside the first
    with cache.kept_in(tmp_path / "charts"):
        first = charts.funnel("f", [("Seen", Point(10.0), "10")], "A funnel")
        again = charts.funnel("f", [("Seen", Point(10.0), "10")], "A funnel")
        other = charts.funnel("f", [("Seen", Point(11.0), "11")], "A funnel")
    assert first == again and first != other
    assert len(list((tmp_path / "charts").glob("*.svg"))) == 2
    # outside a run nothing is kept
    charts.funnel("g", [("Seen", Point(12.0), "12")], "A funnel")
    assert len(list((tmp_path / "charts").glob("*.svg"))) == 2
    # a damaged entry is drawn again and replaced; a folder that cannot be written costs the
    # cache, never the chart
    entry = (
        tmp_path
        / "charts"
        / (cache.key("funnel", "f", ([("Seen", Point(10.0), "10")], "A funnel"), {}) + ".svg")
    )
    assert entry.read_text() == str(first)
    entry.write_text(str(first)[:100])
    with cache.kept_in(tmp_path / "charts"):
        assert charts.funnel("f", [("Seen", Point(10.0), "10")], "A funnel") == first
    assert entry.read_text() == str(first)

    # an argument that does not show its state (the default repr, an address) is never kept
    class Opaque:
        pass

    assert cache.key("funnel", "f", (Opaque(),), {}) is None
    assert cache.key("funnel", "f", (Point(1.0),), {}) is not None
    # pruning skips what it cannot or must not remove
    (tmp_path / "charts" / "a-folder").mkdir()
    assert cache.prune(tmp_path / "charts", since=4_000_000_000.0) == 2
    assert (tmp_path / "charts" / "a-folder").is_dir()
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    with cache.kept_in(blocked):
        assert charts.funnel("f", [("Seen", Point(10.0), "10")], "A funnel") == first
