"""smw calibrate's figures file and comparison rules, on a hand-made serving database."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.calibration import (
    FIGURES_PATH,
    CalibrationError,
    calibrate,
    load_figures,
    write_outputs,
)
from orchestration.lib.calibration.check import COLUMNS, REPORTS, STATISTICS, STATUSES

REGION = "E54000008"


def _serving(path: Path, rows: list[tuple]) -> Path:
    con = duckdb.connect(str(path))
    con.execute(
        """create table rpt_indicator_values (
            indicator_code varchar, period varchar, area_code varchar, area_type varchar,
            breakdown_type varchar, breakdown varchar, numerator double, denominator double,
            value double, change_absolute double, change_relative double, is_suppressed boolean)"""
    )
    con.executemany(
        "insert into rpt_indicator_values values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
    )
    con.close()
    return path


def _figures(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in COLUMNS})
    return path


def _figure(fid: str, **kw: str) -> dict[str, str]:
    base = {
        "figure_id": fid,
        "report": "IMS",
        "reference": "Client cohorts",
        "measure": "cohort size",
        "label": fid,
        "indicator_code": "ims_cohort_size",
        "area_code": REGION,
        "period": "2020-21",
        "breakdown_type": "cohort",
        "breakdown": "bi_only",
        "statistic": "count",
        "published": "1000",
        "status": "compare",
    }
    base.update(kw)
    return base


@pytest.fixture
def serving(tmp_path: Path) -> Path:
    row = ("ims_cohort_size", "2020-21", REGION, "region", "cohort")
    age = ("ims_cohort_age_share", "2020-21", REGION, "region", "cohort_age_band")
    return _serving(
        tmp_path / "serving.duckdb",
        [
            (*row, "bi_only", 1040.0, None, 1040.0, -400.0, -0.2778, False),
            (*row, "pwid_iped", 60.0, None, 60.0, None, None, False),
            ("ims_cohort_size", "2020-21", "E92000001", "country", "cohort", "bi_only")
            + (9e4, None, 9e4, None, None, False),
            (*age, "bi_only|30-34", 300.0, 1000.0, 0.3, None, None, False),
            (*age, "bi_only|35-39", 330.0, 1000.0, 0.33, None, None, False),
            (*age, "bi_only|40-44", None, None, None, None, None, True),
            (
                "nsp_clients",
                "2020-21",
                "E1",
                "la",
                "cohort",
                "pwid_iped",
                5,
                None,
                5,
                -2,
                -0.3,
                False,
            ),
            (
                "nsp_clients",
                "2020-21",
                "E2",
                "la",
                "cohort",
                "pwid_iped",
                5,
                None,
                5,
                1,
                0.2,
                False,
            ),
            (
                "nsp_clients",
                "2020-21",
                "E3",
                "la",
                "cohort",
                "pwid_iped",
                5,
                None,
                5,
                -1,
                -0.1,
                False,
            ),
        ],
    )


def test_the_project_figures_file_reads_and_says_why_for_every_figure_not_compared() -> None:
    figures = load_figures(FIGURES_PATH)
    assert len({f.figure_id for f in figures}) == len(figures)
    assert {f.report for f in figures} <= set(REPORTS)
    for f in figures:
        assert f.status in STATUSES
        if f.status != "compare":
            assert f.note, f.figure_id
        else:
            assert f.statistic in STATISTICS and f.published is not None, f.figure_id
            if f.statistic == "share":
                assert 0 <= f.published <= 1, f"{f.figure_id}: shares are proportions"
            if (
                f.statistic == "change_relative"
            ):  # a proportion: a rise may double, a fall ends at -1
                assert f.published >= -1, f"{f.figure_id}: changes are proportions"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"published": "12%"}, "line 2: field 'published' is not a number: '12%'"),
        ({"published": "inf"}, "line 2: field 'published' is not finite"),
        ({"status": "maybe"}, "line 2: field 'status' must be one of"),
        (
            {"status": "out_of_scope"},
            "line 2: field 'note' is empty: a out_of_scope figure says why",
        ),
        ({"statistic": "mean"}, "line 2: field 'statistic' must be one of"),
        ({"breakdown": ""}, "line 2: field 'breakdown' is empty"),
        ({"report": "XYZ"}, "line 2: field 'report' must be one of"),
        ({"tolerance": "-1"}, "line 2: field 'tolerance' is negative"),
    ],
)
def test_a_bad_figure_is_named_by_line_and_field(
    tmp_path: Path, change: dict[str, str], message: str
) -> None:
    path = _figures(tmp_path / "figures.csv", [_figure("a", **change)])
    with pytest.raises(CalibrationError, match=message.replace("(", r"\(").replace("%", "%")):
        load_figures(path)


def test_repeated_ids_and_wrong_columns_are_refused(tmp_path: Path) -> None:
    path = _figures(tmp_path / "f.csv", [_figure("a"), _figure("a")])
    with pytest.raises(CalibrationError, match="line 3: field 'figure_id' repeats line 2"):
        load_figures(path)
    bad = tmp_path / "g.csv"
    bad.write_text("figure_id,report\nx,IMS\n", encoding="utf-8")
    with pytest.raises(CalibrationError, match="line 1: the columns must be"):
        load_figures(bad)


def test_counts_shares_sums_changes_and_areas(tmp_path: Path, serving: Path) -> None:
    path = _figures(
        tmp_path / "figures.csv",
        [
            _figure("count-within", published="1000"),  # +4 %
            _figure("count-outside", published="980"),  # +6.1 %
            _figure("count-own-tolerance", published="980", tolerance="0.07"),
            _figure(
                "age-sum",
                indicator_code="ims_cohort_age_share",
                breakdown_type="cohort_age_band",
                breakdown="bi_only|30-34 + bi_only|35-39",
                statistic="share",
                published="0.64",
            ),
            _figure(
                "suppressed",
                indicator_code="ims_cohort_age_share",
                breakdown_type="cohort_age_band",
                breakdown="bi_only|40-44",
                statistic="share",
                published="0.1",
            ),
            _figure("no-row", breakdown="pwid_psychoactive"),
            _figure("change", statistic="change_count", published="-400"),
            _figure("change-pct", statistic="change_relative", published="-0.30"),
            _figure(
                "areas",
                indicator_code="nsp_clients",
                breakdown="pwid_iped",
                statistic="areas_falling",
                published="2",
            ),
            _figure("elsewhere", status="not_in_demo", note="the demo does not cover it"),
            _figure("scope", status="out_of_scope", note="no such measure", indicator_code=""),
        ],
    )
    summary = calibrate(serving, load_figures(path), scale=1.0)
    got = {o.figure.figure_id: o for o in summary.outcomes}
    assert got["count-within"].verdict == "within"
    assert got["count-within"].difference == pytest.approx(0.04)
    assert got["count-outside"].verdict == "outside"
    assert got["count-own-tolerance"].verdict == "within"
    assert got["age-sum"].smw == pytest.approx(0.63) and got["age-sum"].verdict == "within"
    assert got["suppressed"].verdict == "missing"
    assert got["suppressed"].detail == "suppressed in serving"
    assert got["no-row"].verdict == "missing"
    assert got["change"].verdict == "within"
    assert got["change-pct"].difference == pytest.approx(0.0222) and got["change-pct"].verdict == (
        "outside"
    )
    assert got["areas"].smw == 2 and got["areas"].verdict == "within"
    assert got["elsewhere"].verdict == "not_in_demo" and got["scope"].verdict == "out_of_scope"
    assert {o.figure.figure_id for o in summary.failures} == {
        "count-outside",
        "suppressed",
        "no-row",
        "change-pct",
    }
    page, md = write_outputs(summary, tmp_path / "home")
    text = page.read_text(encoding="utf-8")
    assert "OUTSIDE tolerance" in text and "the demo does not cover it" in text
    assert "| IMS | 11 | 5 | 2 | 2 | 0 | 1 | 0 | 0 | 1 |" in md.read_text(encoding="utf-8")


def test_a_small_demo_is_compared_at_scale_one_within_its_sampling_error(
    tmp_path: Path, serving: Path
) -> None:
    """At scale 0.06 the 1,040 counted stand for 17,333: far off 1,000 whatever the noise;
    60 stand for 1,000, and a sample of 60 cannot tell 1,000 from 1,100 (three standard errors
    of 60 are 39%)."""
    path = _figures(
        tmp_path / "figures.csv",
        [_figure("big"), _figure("small", breakdown="pwid_iped", published="1100")],
    )
    summary = calibrate(serving, load_figures(path), scale=0.06)
    got = {o.figure.figure_id: o for o in summary.outcomes}
    assert got["big"].verdict == "outside"
    assert not [o for o in summary.outcomes if o.verdict == "too_small"]
    assert got["small"].smw == pytest.approx(1000)
    assert got["small"].verdict == "within"
    assert got["small"].tolerance == pytest.approx(3 / math.sqrt(1100 * 0.06))


def test_missing_serving_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CalibrationError, match="does not exist: build"):
        calibrate(tmp_path / "nothing.duckdb", [], 1.0)


def test_a_figure_suppressed_in_a_small_demo_is_too_small_not_a_failure(
    tmp_path: Path, serving: Path
) -> None:
    path = _figures(
        tmp_path / "figures.csv",
        [
            _figure(
                "band",
                indicator_code="ims_cohort_age_share",
                breakdown_type="cohort_age_band",
                breakdown="bi_only|40-44",
                statistic="share",
                published="0.1",
            )
        ],
    )
    small = calibrate(serving, load_figures(path), scale=0.03)
    assert small.outcomes[0].verdict == "too_small" and not small.failures
    full = calibrate(serving, load_figures(path), scale=1.0)
    assert full.outcomes[0].verdict == "missing" and full.failures


def test_england_rows_are_reference_data_never_scaled_and_absent_rows_are_too_small(
    tmp_path: Path, serving: Path
) -> None:
    path = _figures(
        tmp_path / "figures.csv",
        [
            _figure("england", area_code="E92000001", published="90000"),
            _figure("absent", breakdown="pwid_psychoactive"),
        ],
    )
    got = {o.figure.figure_id: o for o in calibrate(serving, load_figures(path), 0.03).outcomes}
    assert got["england"].smw == 90000 and got["england"].tolerance == 0.05
    assert got["absent"].verdict == "too_small"


def test_a_population_denominator_is_never_scaled_and_its_rate_is(tmp_path: Path) -> None:
    """prev_rate: the estimate scales with the demo, the resident population does not, so at
    scale 0.03 the rate per 1,000 is 3% of the real one and is divided by the scale; a change of
    a proportion (change_share) is compared in points, never divided by the scale."""
    county = "E10000018"
    serving = _serving(
        tmp_path / "serving.duckdb",
        [
            ("prev_rate", "2014-15", county, "la", "drug_group", "ocu")
            + (81.0, 427_200.0, 81.0 / 427_200 * 1000, None, None, False),
            ("tx_wait_under_3w", "2017-18", county, "la", "all", "all")
            + (60.0, 61.0, 60 / 61, 0.02, 0.02, False),
        ],
    )
    prev = {"indicator_code": "prev_rate", "area_code": county, "period": "2014-15"}
    prev |= {"breakdown_type": "drug_group", "breakdown": "ocu", "report": "LEIC"}
    path = _figures(
        tmp_path / "figures.csv",
        [
            _figure("estimate", **prev, published="2700"),
            _figure("population", **prev, statistic="denominator", published="427200"),
            _figure("rate", **prev, statistic="rate", published="6.32"),
            _figure(
                "change",
                report="LEIC",
                indicator_code="tx_wait_under_3w",
                area_code=county,
                period="2017-18",
                breakdown_type="all",
                breakdown="all",
                statistic="change_share",
                published="0.02",
            ),
        ],
    )
    got = {o.figure.figure_id: o for o in calibrate(serving, load_figures(path), 0.03).outcomes}
    assert got["estimate"].smw == pytest.approx(2700)
    assert got["population"].smw == 427_200 and got["population"].verdict == "within"
    assert got["rate"].smw == pytest.approx(2700 / 427_200 * 1000)
    assert got["rate"].verdict == "within"
    assert got["change"].smw == pytest.approx(0.02) and got["change"].verdict == "within"
    # at scale 1 the same rows are a rate 33 times too small: outside
    assert calibrate(serving, load_figures(path), 1.0).failures


def test_a_not_calibrated_figure_is_listed_not_compared_and_says_why(
    tmp_path: Path, serving: Path
) -> None:
    gap = _figure("gap", status="not_calibrated", published="5000", note="the demo gives 4,000")
    path = _figures(tmp_path / "figures.csv", [gap])
    got = calibrate(serving, load_figures(path), 1.0)
    assert got.outcomes[0].verdict == "not_calibrated" and not got.failures
    bare = _figures(tmp_path / "bare.csv", [{**gap, "note": ""}])
    with pytest.raises(CalibrationError, match="line 2: field 'note' is empty"):
        load_figures(bare)


def test_a_row_with_an_unquoted_comma_is_refused(tmp_path: Path) -> None:
    path = _figures(tmp_path / "figures.csv", [_figure("ok", status="compare")])
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + ",extra\n", encoding="utf-8")
    with pytest.raises(CalibrationError, match="line 2: more fields than the header's 15"):
        load_figures(path)


def test_the_change_of_a_sum_is_its_rows_changes_over_their_previous_values(
    tmp_path: Path,
) -> None:
    """The report's all-agency caseload fell by 15 %: 1,000 + 200 people now, against 1,150 +
    250 the year before, is -14.3 %, not the mean of the rows' changes (-13.0 % and -20.0 %)."""
    row = ("provider_flows", "2007-08", "E08000006", "la", "provider_measure")
    serving = _serving(
        tmp_path / "serving.duckdb",
        [
            (*row, "A|in_treatment", 1000.0, None, 1000.0, -150.0, -0.1304, False),
            (*row, "B|in_treatment", 200.0, None, 200.0, -50.0, -0.2, False),
            (*row, "C|in_treatment", None, None, None, None, None, True),
        ],
    )
    fig = {
        "indicator_code": "provider_flows",
        "area_code": "E08000006",
        "period": "2007-08",
        "breakdown_type": "provider_measure",
        "statistic": "change_relative",
        "published": "-0.15",
    }
    path = _figures(
        tmp_path / "figures.csv",
        [
            _figure("sum", breakdown="A|in_treatment + B|in_treatment", **fig),
            _figure("hidden", breakdown="A|in_treatment + C|in_treatment", **fig),
        ],
    )
    got = {o.figure.figure_id: o for o in calibrate(serving, load_figures(path)).outcomes}
    assert got["sum"].smw == pytest.approx(-200 / 1400)
    assert got["sum"].verdict == "within"
    assert got["hidden"].verdict == "missing" and got["hidden"].detail == "suppressed in serving"


def test_a_change_from_an_empty_or_suppressed_year_is_withheld_below_scale_1(
    tmp_path: Path,
) -> None:
    """A small agency can have nobody in the year before at a small scale: its change has no
    value, which a small demo withholds and a full-scale one reports as missing."""
    row = ("provider_flows", "2007-08", "E08000006", "la", "provider_measure")
    serving = _serving(
        tmp_path / "serving.duckdb",
        [
            (*row, "A|referrals", 3.0, None, 3.0, 3.0, None, False),  # nobody the year before
            (*row, "B|referrals", 4.0, None, 4.0, None, None, False),  # the year before hidden
            (*row, "C|referrals", 2.0, None, 2.0, 2.0, None, False),
        ],
    )
    fig = {
        "indicator_code": "provider_flows",
        "area_code": "E08000006",
        "period": "2007-08",
        "breakdown_type": "provider_measure",
        "statistic": "change_relative",
        "published": "-0.75",
    }
    path = _figures(
        tmp_path / "figures.csv",
        [
            _figure("empty", breakdown="A|referrals", **fig),
            _figure("hidden", breakdown="B|referrals", **fig),
            _figure("sum", breakdown="A|referrals + C|referrals", **fig),
        ],
    )
    small = {o.figure.figure_id: o for o in calibrate(serving, load_figures(path), 0.03).outcomes}
    assert {o.verdict for o in small.values()} == {"too_small"}
    assert "the year before is empty or suppressed at scale 0.03" in small["empty"].detail
    full = {o.figure.figure_id: o for o in calibrate(serving, load_figures(path)).outcomes}
    assert {o.verdict for o in full.values()} == {"missing"}
