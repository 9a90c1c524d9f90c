"""Indicator marts and their published (suppressed) form on the session demo warehouse (issue 5)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from orchestration.lib import spec
from tests.db import rows
from tests.demo_areas import HISTORY_AREAS, OWN_YEARS_AREAS, SEEDS, areas_of, indicator_sources
from tests.integration.test_support_pack import TOP_CODES, TREATMENT_CODES
from tests.methods import comparison, count_interval, wilson_interval

pytestmark = pytest.mark.slow

REGION = "E54000008"
ENGLAND = "E92000001"


def test_every_indicator_for_every_area_and_covered_year(demo_build):
    db = demo_build.home.warehouse_db
    catalogue = {r[0] for r in rows(db, "select indicator_code from marts.dim_indicators")}
    got = rows(
        db,
        "select distinct indicator_code, area_code, period from marts.fct_indicator_values "
        "where period_type in ('year', 'ytd')",
    )
    # urgent housing need at a TOP start with a six-month review is rare: at the test scale some
    # small areas have none in any year (at scale 1 every area has rows)
    sparse = {"top_housing_resolved"}
    sources = indicator_sources()
    for code in catalogue:
        areas = {a for c, a, _ in got if c == code}
        # the window's years everywhere but in areas with years of their own or a history, and
        # England (a benchmark row of the county's history, 2009-10)
        elsewhere = OWN_YEARS_AREAS.keys() | HISTORY_AREAS.keys() | {ENGLAND}
        periods = {p for c, a, p in got if c == code and a not in elsewhere}
        history_years = {y for years in HISTORY_AREAS.values() for y in years}
        assert {p for c, a, p in got if c == code and a == ENGLAND} <= periods | history_years
        # an area in the demo for years of its own (Salford) has rows in those years only
        for own_area, own_years in OWN_YEARS_AREAS.items():
            assert {p for c, a, p in got if c == code and a == own_area} <= set(own_years), code
        expected = areas_of(sources[code])
        if code in sparse:
            assert REGION in areas and len(areas & expected) >= len(expected) / 2
        else:
            assert expected | {REGION} <= areas, code
        # a demo area its sources do not describe has no rows (no IMS or DIP for the county),
        # and a region with one demo member (East Midlands) is not rolled up
        assert not areas & (set(spec.DEMO_AREAS) - expected), code
        assert "E12000004" not in areas, code
        assert "E12000002" not in areas, code  # nor North West, Salford its only member
        assert periods == set(spec.DEMO_PERIODS), code
        # the county's treatment history: its years before the window, then the window's
        for area, history in HISTORY_AREAS.items():
            mine = {p for c, a, p in got if c == code and a == area}
            assert mine <= set(history) | periods, code
    # every year of the history has the county's treatment counts (measures that need reference
    # data, as unmet need, start with the window's prevalence estimates)
    for area, history in HISTORY_AREAS.items():
        for code in ("tx_in_treatment", "tx_new_presentations", "tx_successful_completion"):
            assert set(history) <= {p for c, a, p in got if c == code and a == area}, code
    england = {c for c, a, _ in got if a == ENGLAND}
    assert england == {
        "tx_successful_completion",
        "tx_non_representation",
        "tx_wait_under_3w",
        "tx_wait_over_6w",
        "tx_early_unplanned_exit",
        "tx_penetration",
        # the support pack and TOP outcomes (second release): every one is benchmarked
        *TREATMENT_CODES,
        *TOP_CODES,
        # the county chapter's national columns (sex, age bands, under-25s' and 40+ citations)
        "tx_sex_share",
        "tx_age_band_share",
        "tx_new_citations",
    }


def test_values_and_intervals_use_the_methods(demo_build):
    """Spot-check the SQL against the Python twins of the methods (themselves oracle-tested)."""
    for code, num, den, value, lo, hi, unit in rows(
        demo_build.home.warehouse_db,
        "select indicator_code, numerator, denominator, value, lower_95, upper_95, unit from marts.fct_indicator_values "
        "where method in ('wilson', 'count_exact_byar') and numerator is not null using sample 300 rows",
    ):
        if unit == "proportion":
            if not den:
                continue
            expected = wilson_interval(num, den, 0.95)
            assert value == pytest.approx(num / den)
        else:
            expected = count_interval(num, 0.95)
            assert value == num
        assert (lo, hi) == pytest.approx(expected, rel=1e-9, abs=1e-12), (code, num, den)


def test_comparison_follows_polarity(demo_build):
    for value, lo, hi, comp, polarity, result in rows(
        demo_build.home.warehouse_db,
        "select value, lower_95, upper_95, comparator_value, polarity, comparison from marts.fct_indicator_values "
        "where unit = 'proportion' and comparator_value is not null using sample 300 rows",
    ):
        assert result == comparison(value, lo, hi, comp, polarity)


def test_treatment_indicators_reconcile_with_the_cohort_mart(demo_build):
    db = demo_build.home.warehouse_db
    cohort = dict(
        ((a, p), (n, c))
        for a, p, n, c in rows(
            db,
            "select area_code, period, count(*), sum(case when is_successful_completion then 1 else 0 end) "
            "from marts.fct_treatment_cohorts where is_drug_treatment group by 1, 2",
        )
    )
    indicator = rows(
        db,
        "select area_code, period, numerator, denominator from marts.fct_indicator_values "
        "where indicator_code = 'tx_successful_completion' and breakdown = 'all' and area_type = 'la' "
        "and period_type = 'year'",
    )
    assert indicator
    for area, period, num, den in indicator:
        assert (den, num) == cohort[(area, period)]


WINDOW_CODES = {
    "tx_in_treatment", "tx_successful_completion", "nsp_clients", "nsp_visits", "nsp_needles",
    "dip_contacts", "dip_assessed", "dip_further_required", "dip_caseload",
}  # fmt: skip


def _windows_against_years(db, period_type: str) -> list[tuple]:
    """(code, area, window, financial year, numerator, denominator, the year's numerator and
    denominator) for the windows of period_type with their financial year published."""
    return rows(
        db,
        "select windows.indicator_code, windows.area_code, windows.period, "
        "periods.financial_year, windows.numerator, windows.denominator, "
        "years.numerator, years.denominator "
        "from marts.fct_indicator_counts_periods as windows "
        "inner join marts.dim_reporting_periods as periods on windows.period = periods.period "
        "inner join marts.fct_indicator_values as years "
        "on years.indicator_code = windows.indicator_code "
        "and years.area_code = windows.area_code and years.breakdown_type = 'all' "
        "and years.period = periods.financial_year and years.period_type = 'year' "
        "where windows.breakdown_type = 'all' and periods.period_type = ? "
        "and (periods.period_type = 'quarter' or periods.quarter_number = 4)",
        [period_type],
    )


def test_the_rolling_twelve_months_ending_march_count_what_the_year_counts(demo_build):
    """Windows are counted apart from the year (transactions a quarter at a time, episodes per
    person and window: issue 19), by the same rules: the twelve months ending March are the
    financial year, every count the same, in every area."""
    compared = _windows_against_years(demo_build.home.warehouse_db, "rolling_12m")
    assert {row[0] for row in compared} == WINDOW_CODES
    for code, area, window, year, num, den, year_num, year_den in compared:
        assert (num, den) == (year_num, year_den), (code, area, window, year)


def test_quarters_add_up_to_the_year(demo_build):
    """Transactions, needles and DIP contacts of a year's four quarters add up to the year's;
    a year's clients are at least the busiest quarter's and at most the quarters' sum."""
    quarters: dict[tuple, list] = {}
    for code, area, _, year, num, _, year_num, _ in _windows_against_years(
        demo_build.home.warehouse_db, "quarter"
    ):
        quarters.setdefault((code, area, year, year_num), []).append(num)
    whole = {key: nums for key, nums in quarters.items() if len(nums) == 4}
    assert {key[0] for key in whole} == WINDOW_CODES
    for (code, area, year, year_num), nums in whole.items():
        if code in {"nsp_visits", "nsp_needles", "dip_contacts"}:
            assert sum(nums) == year_num, (code, area, year)
        elif code == "nsp_clients":
            assert max(nums) <= year_num <= sum(nums), (area, year)


def test_follow_up_indicators_are_provisional_only_for_the_latest_year(demo_build):
    """Follow-up windows (re-presentation, early exit, DIP caseload entering treatment) make
    the latest year provisional; so does a year the data do not cover to its end (ytd: the demo's
    drug tests end on 30 March)."""
    got = rows(
        demo_build.home.warehouse_db,
        "select indicator_code, period, bool_or(period_type = 'ytd'), bool_or(is_provisional) "
        "from marts.fct_indicator_values where period_type in ('year', 'ytd') group by 1, 2",
    )
    # an area's own last year (Salford's 2007-08, complete to 31 March 2008) is provisional for
    # every indicator with a follow-up window, as no later data close it
    with (SEEDS / "indicator_catalogue.csv").open(encoding="utf-8") as handle:
        follow_up = {
            r["indicator_code"] for r in csv.DictReader(handle) if r["follow_up_days"] != "0"
        }
    own_last = {years[-1] for years in OWN_YEARS_AREAS.values()}
    for code, period, ytd, provisional in got:
        expected = (
            ytd
            or (
                code
                in ("tx_non_representation", "tx_early_unplanned_exit", "dip_entered_treatment")
                and period == spec.DEMO_PERIODS[-1]
            )
            or (code in follow_up and period in own_last)
        )
        assert provisional == expected, (code, period)


def test_change_vs_previous_period(demo_build):
    for value, prev, absolute, relative in rows(
        demo_build.home.warehouse_db,
        "select value, previous_value, change_absolute, change_relative from marts.fct_indicator_values "
        "where previous_value is not null and value is not null using sample 200 rows",
    ):
        assert absolute == pytest.approx(value - prev)
        if prev:
            assert relative == pytest.approx((value - prev) / prev)


COUNT_COLUMNS = {
    "rpt_indicator_values": ["numerator", "denominator"],
    "rpt_indicator_latest": ["numerator", "denominator"],
    "rpt_nsp_activity": ["clients", "visits", "needles"],
}


def test_serving_has_no_count_from_1_to_4_outside_a_suppressed_row(demo_build):
    db = demo_build.home.serving_db
    for table, columns in COUNT_COLUMNS.items():
        for column in columns:
            extra = " and unit <> 'count'" if column == "denominator" else ""
            n = rows(
                db,
                f"select count(*) from {table} where {column} between 1 and 4 and not is_suppressed{extra}",
            )[0][0]
            assert n == 0, (table, column)
        # a withheld row shows no number derived from its counts
        n = rows(
            db,
            f"select count(*) from {table} where is_suppressed and ({' is not null or '.join(columns)} is not null)",
        )[0][0]
        assert n == 0, table


def test_published_values_hide_everything_derived_from_suppressed_counts(demo_build):
    n = rows(
        demo_build.home.serving_db,
        "select count(*) from rpt_indicator_values where is_suppressed and (value is not null or lower_95 is not null "
        "or upper_95 is not null or change_absolute is not null or comparison <> 'suppressed')",
    )[0][0]
    assert n == 0
    suppressed = rows(
        demo_build.home.serving_db, "select count(*) from rpt_indicator_values where is_suppressed"
    )[0][0]
    assert suppressed > 0, "the small demo must exercise disclosure control"


def test_no_suppressed_cell_is_recoverable_by_subtraction_in_serving(demo_build):
    """Independent of the dbt test and its groups: from published rows only, within each
    region (the areas seed's parent_code, not the dbt model's group ids), a published region
    total minus its published local counts never isolates one withheld local count. A local
    authority of another region (Leicestershire) is not part of the region's total, so a
    withheld county count does not protect a withheld North West one."""
    with (SEEDS / "areas.csv").open(encoding="utf-8") as handle:
        region_of = {
            r["area_code"]: r["area_code"] if r["area_type"] == "region" else r["parent_code"]
            for r in csv.DictReader(handle)
        }
    got = rows(
        demo_build.home.serving_db,
        """
        select indicator_code, period, breakdown_type, breakdown, area_code, area_type, is_suppressed
        from rpt_indicator_values where area_type in ('la', 'region')
        """,
    )
    groups: dict[tuple, list[int]] = {}
    for code, period, breakdown_type, breakdown, area, area_type, is_suppressed in got:
        hidden_and_total = groups.setdefault(
            (code, period, breakdown_type, breakdown, region_of[area]), [0, 0]
        )
        if area_type == "la" and is_suppressed:
            hidden_and_total[0] += 1
        if area_type == "region" and not is_suppressed:
            hidden_and_total[1] = 1
    exposed = [group for group, (hidden, total) in groups.items() if hidden == 1 and total]
    assert not exposed


def test_catalogue_describes_every_published_indicator(demo_build):
    db = demo_build.home.serving_db
    published = {r[0] for r in rows(db, "select distinct indicator_code from rpt_indicator_values")}
    catalogue = rows(
        db,
        "select indicator_code, title, definition, unit, polarity, first_period from rpt_indicator_catalogue",
    )
    assert {r[0] for r in catalogue} == published
    # the window's first year, or one of an area's own years (Salford's treatment from 2006-07,
    # its drug tests from 2007-08) or of the county's history (its TOP pairs from 2010-11)
    firsts = {
        spec.DEMO_PERIODS[0],
        *(y for years in OWN_YEARS_AREAS.values() for y in years),
        *(y for years in HISTORY_AREAS.values() for y in years),
    }
    for code, title, definition, unit, polarity, first in catalogue:
        assert (
            title
            and definition
            and unit in ("proportion", "count", "rate")
            and polarity
            and first in firsts
        ), code


def test_nhs_1to7_policy_suppresses_1_to_7_and_rounds_to_5(demo_build, tmp_path):
    """Rebuild disclosure and serving on a copy of the demo warehouse with the other policy."""
    import shutil
    import subprocess
    import sys

    from orchestration.lib.paths import DBT_PROJECT_DIR

    db = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_build.home.warehouse_db, db)
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            "build",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
            "--select",
            "fct_disclosure_cells+",
            "--vars",
            "{disclosure_policy: nhs_1to7}",
            "--quiet",
        ],
        env={**os.environ, "SMW_WAREHOUSE_PATH": str(db)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    policies = rows(db, "select distinct disclosure_policy from serving.rpt_indicator_values")
    assert policies == [("nhs_1to7",)]
    n = rows(
        db,
        "select count(*) from serving.rpt_indicator_values where not is_suppressed and "
        "((numerator between 1 and 7) or (unit = 'proportion' and denominator between 1 and 7 and indicator_code <> 'tx_penetration') "
        "or numerator % 5 <> 0)",
    )[0][0]
    assert n == 0
    # values are recomputed from the rounded counts, so no exact count can be worked back
    for num, den, value in rows(
        db,
        "select numerator, denominator, value from serving.rpt_indicator_values "
        "where not is_suppressed and unit = 'proportion' and indicator_code <> 'tx_penetration' and denominator > 0 using sample 100 rows",
    ):
        assert value == pytest.approx(num / den)
    more = rows(db, "select count(*) from serving.rpt_indicator_values where is_suppressed")[0][0]
    assert (
        more
        > rows(
            demo_build.home.serving_db,
            "select count(*) from rpt_indicator_values where is_suppressed",
        )[0][0]
    )
