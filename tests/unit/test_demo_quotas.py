"""Leicestershire's quotas (smw_demo/treatment_quotas.py): exact counts by reassignment, and the
cohorts worked out as the warehouse measures them (journeys chained within 21 days or across a
transfer; a new presentation continues no transfer)."""

from __future__ import annotations

import numpy as np

from smw_demo import timeline as tl
from smw_demo.codes import load_code_lists
from smw_demo.table import Table
from smw_demo.treatment_quotas import _AREA, _exact, _journeys, _new_presentations
from smw_demo.treatment_systems import OPIATE


def test_exact_meets_every_wanted_count_and_moves_no_more_than_it_must() -> None:
    rng = np.random.default_rng(1)
    values = np.array([0] * 10 + [1] * 2 + [2] * 8)
    out = _exact(rng, values, {0: 6, 1: 6}, rest=2)
    assert (out == 0).sum() == 6 and (out == 1).sum() == 6
    assert (out != values).sum() == 4  # four of the surplus zeros become ones
    out = _exact(rng, values, {0: 4, 1: 2}, rest=2)  # a surplus nobody is short of: to rest
    assert (out == 0).sum() == 4 and (out == 2).sum() == 14


def _episodes(rows: list[tuple[int, str, str | None, str]]) -> Table:
    codes = load_code_lists()
    n = len(rows)
    return Table(
        person=np.array([r[0] for r in rows], np.int32),
        la=np.full(n, _AREA, np.int8),
        referral=np.array([tl.to_day(r[1]) for r in rows], np.int32),
        discharge=np.array([tl.to_day(r[2]) if r[2] else tl.NO_DATE for r in rows], np.int32),
        reason=np.array(
            [codes.index("discharge_reason", r[3]) if r[3] else -1 for r in rows], np.int16
        ),
        group=np.full(n, OPIATE, np.int8),
    )


def test_journeys_chain_within_21_days_or_across_a_transfer() -> None:
    eps = _episodes(
        [
            (1, "2017-05-01", "2017-06-01", "dropped_out"),
            (1, "2017-06-22", "2017-08-01", "dropped_out"),  # 21 days: same journey
            (1, "2017-08-23", "2017-09-01", "dropped_out"),  # 22 days: a new journey
            (2, "2017-05-01", "2017-06-01", "transferred_not_in_custody"),
            (2, "2017-07-01", None, ""),  # 30 days after a transfer: the same journey
        ]
    )
    j = _journeys(eps, load_code_lists())
    assert j[0] == j[1] != j[2]
    assert j[3] == j[4] != j[2]


def test_a_new_presentation_continues_no_transfer_within_21_days() -> None:
    eps = _episodes(
        [
            (1, "2017-05-01", "2017-06-01", "transferred_not_in_custody"),
            (1, "2017-06-15", "2017-09-01", "completed_drug_free"),  # a continuation
            (2, "2017-05-01", "2017-06-01", "transferred_not_in_custody"),
            (2, "2017-06-25", None, ""),  # 24 days after: a new presentation (not the first)
            (3, "2016-05-01", "2017-04-20", "transferred_in_custody"),
            (3, "2017-05-01", None, ""),  # 11 days after a transfer: a continuation
        ]
    )
    assert _new_presentations(eps, load_code_lists()).tolist() == [0, 2]
