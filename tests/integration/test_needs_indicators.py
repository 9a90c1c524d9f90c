"""Needs-assessment and criminal-justice indicators (domain: Indicators, second release, third
table) published on the session demo warehouse (issue 16)."""

from __future__ import annotations

import pytest

from orchestration.lib import spec
from tests.db import rows

pytestmark = pytest.mark.slow

REGION = "E54000008"

#: The codes of the domain's third table.
NEEDS_CODES = (
    "prev_rate",
    "tx_unmet_need",
    "bullseye_people",
    "known_to_treatment",
    "dip_entered_treatment",
    "mdt_tests",
    "mdt_positive_share",
    "mdt_repeat_testers",
    "provider_flows",
)


def test_every_needs_code_is_catalogued_and_published_for_most_areas(demo_build):
    db = demo_build.home.serving_db
    catalogued = {r[0] for r in rows(db, "select indicator_code from rpt_indicator_catalogue")}
    assert set(NEEDS_CODES) <= catalogued, set(NEEDS_CODES) - catalogued
    published = rows(
        db,
        "select indicator_code, area_code from rpt_indicator_values "
        "where not is_suppressed and value is not null group by indicator_code, area_code",
    )
    areas = set(spec.DEMO_AREAS) | {REGION}
    for code in NEEDS_CODES:
        got = {a for c, a in published if c == code}
        assert len(got & areas) > len(areas) / 2, (code, sorted(got))


def test_needs_codes_publish_no_count_of_1_to_4(demo_build):
    small = rows(
        demo_build.home.serving_db,
        "select indicator_code, area_code, period, breakdown, numerator, denominator "
        "from rpt_indicator_values where indicator_code in ("
        + ", ".join("?" for _ in NEEDS_CODES)
        + ") and (numerator between 1 and 4 or denominator between 1 and 4)",
        list(NEEDS_CODES),
    )
    assert small == []


def test_bullseye_rings_add_up_to_the_estimate_where_it_is_not_exceeded(demo_build):
    """The four published rings of an area-year sum to the OCU estimate (prev_rate's numerator)
    unless the known rings exceed it (not_known is then 0)."""
    got = rows(
        demo_build.home.warehouse_db,
        "select rings.area_code, rings.period, sum(rings.numerator), max(estimate.numerator), "
        "max(case when rings.breakdown = 'not_known' then rings.numerator end) "
        "from marts.fct_indicator_values as rings "
        "inner join marts.fct_indicator_values as estimate "
        "on estimate.indicator_code = 'prev_rate' and estimate.breakdown = 'ocu' "
        "and rings.area_code = estimate.area_code and rings.period = estimate.period "
        "where rings.indicator_code = 'bullseye_people' group by rings.area_code, rings.period",
    )
    assert got
    for area, period, total, estimate, not_known in got:
        if not_known > 0:
            assert total == pytest.approx(estimate), (area, period)
        else:
            assert total >= estimate, (area, period)
