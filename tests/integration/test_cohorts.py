"""Cohort marts on the session demo warehouse reproduce the published shapes (issue 4).

The demo is generated at DEMO_SCALE, so published counts are compared proportionally; shares
are compared with tolerances suited to the small numbers.
"""

from __future__ import annotations

import pytest

from orchestration.lib import spec
from tests.conftest import DEMO_SCALE
from tests.db import rows
from tests.demo_areas import OWN_YEARS_AREAS, REGION_AREAS

pytestmark = pytest.mark.slow

#: IMS overview 2020-21 (source document 000): cohort sizes, % male, share in the age range.
IMS_2020_21 = {
    "pwid_psychoactive": (6361, 0.82, (35, 54), 0.71),
    "pwid_iped": (3773, 0.96, (25, 44), 0.75),
    "bi_only": (4713, 0.60, (30, 54), 0.63),
}
#: Sefton DIP activity profile 2015-16 (source document 003).
SEFTON = "E08000014"
SEFTON_2015_16 = {
    "contacts": 510,
    "assessed": 504,
    "further_intervention_required": 380,
    "taken_onto_caseload": 279,
    "transferred_out": 92,
}


def test_ims_cohort_sizes_and_profiles_2020_21(demo_build):
    got = {
        r[0]: r[1:]
        for r in rows(
            demo_build.home,
            """
            select cohort, count(*),
                   avg(case when sex = 'M' then 1.0 else 0 end),
                   avg(case when age_at_midpoint between 35 and 54 then 1.0 else 0 end),
                   avg(case when age_at_midpoint between 25 and 44 then 1.0 else 0 end),
                   avg(case when age_at_midpoint between 30 and 54 then 1.0 else 0 end)
            from marts.fct_ims_client_cohorts where period = '2020-21' group by cohort
            """,
        )
    }
    for cohort, (published, male, (lo, _), share) in IMS_2020_21.items():
        n, got_male, a35_54, a25_44, a30_54 = got[cohort]
        expected = published * DEMO_SCALE
        assert abs(n - expected) <= max(3, 0.05 * expected), (cohort, n, expected)
        assert abs(got_male - male) < 0.10, (cohort, got_male)
        got_share = {35: a35_54, 25: a25_44, 30: a30_54}[lo]
        assert abs(got_share - share) < 0.12, (cohort, got_share)


def test_each_client_is_in_one_cohort_per_year_and_cohorts_partition_all_ims(demo_build):
    dup = rows(
        demo_build.home,
        "select count(*) from (select person_id, period from marts.fct_ims_client_cohorts group by 1, 2 having count(*) > 1)",
    )
    assert dup == [(0,)]
    linked = rows(
        demo_build.home,
        """
        select count(*) from (
            select distinct person_id, period from intermediate.int_person_records_unioned
            where source in ('nsp', 'intervention') and person_id is not null and period is not null
        )
        """,
    )[0][0]
    assert (
        rows(demo_build.home, "select count(*) from marts.fct_ims_client_cohorts")[0][0] == linked
    )


def test_sefton_dip_funnel_is_shaped_like_the_published_profile(demo_build):
    stages = dict(
        rows(
            demo_build.home,
            "select stage, sum(contacts) from marts.fct_dip_funnel where cjit_code = ? and period = '2015-16' group by stage",
            [SEFTON],
        )
    )
    for stage, published in SEFTON_2015_16.items():
        expected = published * DEMO_SCALE
        assert abs(stages[stage] - expected) <= max(2, 0.1 * expected), (
            stage,
            stages[stage],
            expected,
        )


def test_every_funnel_sums_and_never_grows(demo_build):
    funnels = rows(
        demo_build.home,
        """
        select cjit_code, period,
            sum(contacts) filter (where stage = 'contacts'),
            sum(contacts) filter (where stage = 'assessed'),
            sum(contacts) filter (where stage = 'further_intervention_required'),
            sum(contacts) filter (where stage = 'taken_onto_caseload'),
            coalesce(sum(contacts) filter (where stage = 'not_taken_onto_caseload'), 0),
            coalesce(sum(contacts) filter (where stage = 'transferred_out'), 0)
        from marts.fct_dip_funnel group by 1, 2
        """,
    )
    routes = dict(
        ((c, p), n)
        for c, p, n in rows(
            demo_build.home,
            "select cjit_code, period, sum(contacts) from marts.fct_dip_funnel where stage = 'contacts' group by 1, 2",
        )
    )
    transfers = dict(
        ((c, p), (t, o))
        for c, p, t, o in rows(
            demo_build.home,
            "select cjit_code, period, sum(contacts) filter (where is_transferred), sum(contacts) filter (where not is_transferred) from marts.fct_dip_transfers_out group by 1, 2",
        )
    )
    assert len(funnels) >= len(REGION_AREAS) * len(spec.DEMO_PERIODS)
    for cjit, period, contacts, assessed, further, caseload, not_taken, transferred in funnels:
        assert contacts == routes[(cjit, period)]  # contacts = sum over routes
        assert contacts >= (assessed or 0) >= (further or 0) >= (caseload or 0)
        assert not_taken == (further or 0) - (caseload or 0)
        t, o = transfers.get((cjit, period), (0, 0))
        assert not_taken == (t or 0) + (o or 0)  # not taken on = transferred + other
        assert transferred == (t or 0)


def test_bullseye_rings_sum_to_the_prevalence_estimate(demo_build):
    cells = rows(
        demo_build.home,
        """
        select area_code, period, age_band, sum(people), max(prevalence_estimate),
               sum(people) filter (where ring <> 'not_known'), min(people)
        from marts.fct_treatment_bullseye group by 1, 2, 3
        """,
    )
    own_years = sum(len(years) for years in OWN_YEARS_AREAS.values())  # Salford's 2006-07, 2007-08
    assert len(cells) == (len(spec.DEMO_AREAS) * len(spec.DEMO_PERIODS) + own_years) * 4
    for area, period, band, total, estimate, known, smallest in cells:
        assert smallest >= 0
        if known <= estimate:
            assert total == pytest.approx(estimate), (area, period, band)
        else:  # more people known than estimated: the not-known ring is zero, never negative
            assert total == known


def test_treatment_substance_groups_like_the_county_jsna(demo_build):
    shares = dict(
        rows(
            demo_build.home,
            "select substance_group, count(*) * 1.0 / sum(count(*)) over () from marts.fct_treatment_cohorts where period = '2017-18' group by 1",
        )
    )
    for group, published in {
        "opiate": 0.54,
        "non_opiate": 0.06,
        "non_opiate_alcohol": 0.09,
        "alcohol_only": 0.31,
    }.items():
        assert abs(shares[group] - published) < 0.05, (group, shares[group])


def test_cross_source_linkage_finds_people_known_to_treatment(demo_build):
    share = rows(
        demo_build.home,
        "select avg(case when is_known_ever then 1.0 else 0 end) from marts.fct_known_to_treatment where source = 'nsp' and period = '2020-21'",
    )[0][0]
    assert 0.2 < share < 0.9
