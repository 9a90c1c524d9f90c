"""Leicestershire's early unplanned exits 2017-18 (Table 11) met by quota; see ``treatment_quotas``.

The warehouse counts a new presentation's presenting episode (its first new-presentation episode
of the year) as an early unplanned exit when it is discharged unplanned within 84 days of the
start of treatment (first intervention, else triage, else referral:
``int_treatment_new_presentations_measured``). Of each drug group's presenting episodes exactly
the printed number (scaled) end that way:

* too many: the surplus, at random, completed treatment instead (a planned exit within 12 weeks);
* too few: presenting episodes that ended unplanned later are discharged within the 84 days
  instead, at random among those whose shortened episode leaves everything else as it was: no
  TOP row of the episode after its new discharge date (no TOP row moves or goes), no episode of
  the person referred within 21 days of the old discharge (no journey splits) and a discharge
  still in a later month than the referral (the episode's rows are sent as before). Where fewer
  such episodes exist than are short, the count stays short by the rest.

Values only: no episode or TOP row is added or removed, so no other area's identifiers move.
"""

from __future__ import annotations

import numpy as np

from smw_demo import timeline as tl
from smw_demo.codes import CodeLists
from smw_demo.sampling import top_k
from smw_demo.table import Table

#: The early window: discharged within this many days of the start of treatment.
EARLY_DAYS = 84
_GAP_DAYS = 21


def treatment_start(eps: Table) -> np.ndarray:
    """Start of treatment of each episode as the warehouse takes it: first intervention, else
    triage, else referral."""
    fi = eps["first_int"].astype(np.int64)
    tri = eps["triage"].astype(np.int64)
    ref = eps["referral"].astype(np.int64)
    return np.where(fi != tl.NO_DATE, fi, np.where(tri != tl.NO_DATE, tri, ref))


def early_window(eps: Table, lo: int) -> np.ndarray:
    """Episodes referred from day ``lo`` on that are discharged within 90 days of referral or
    within the early window of the start of treatment: the episodes whose discharge reason
    decides an early exit (the completions quota leaves them alone)."""
    ref = eps["referral"].astype(np.int64)
    dis = eps["discharge"].astype(np.int64)
    closed = dis != tl.NO_DATE
    return (ref >= lo) & closed & ((dis - ref <= 90) | (dis - treatment_start(eps) <= EARLY_DAYS))


def early_exits(
    rng: np.random.Generator,
    eps: Table,
    top: Table,
    codes: CodeLists,
    presenting: np.ndarray,
    wants: dict[int, int],
) -> None:
    """Exactly ``wants[group]`` of the ``presenting`` episodes of each group end unplanned within
    the early window (as far as episodes that can be shortened allow); in place."""
    dr = "discharge_reason"
    unplanned = codes.indices(dr, codes.in_category(dr, "unplanned"))
    ref = eps["referral"].astype(np.int64)
    dis = eps["discharge"].astype(np.int64)
    closed = dis != tl.NO_DATE
    start = treatment_start(eps)
    reason = eps["reason"]
    is_unplanned = np.isin(reason, unplanned)
    early = closed & (dis - start <= EARLY_DAYS) & is_unplanned
    # the latest TOP row of each episode, and the person's next referral after each episode
    last_top = np.full(len(eps), np.iinfo(np.int64).min, np.int64)
    np.maximum.at(last_top, top["episode"].astype(np.int64), top["review"].astype(np.int64))
    person = eps["person"]
    order = np.lexsort((ref, person))
    next_ref = np.full(len(eps), np.iinfo(np.int64).max, np.int64)
    same = person[order[1:]] == person[order[:-1]]
    next_ref[order[:-1][same]] = ref[order[1:][same]]
    month_after_ref = _first_day_of_next_month(ref)
    for g, want in wants.items():
        pres = presenting[eps["group"][presenting] == g]
        have = pres[early[pres]]
        if len(have) > want:
            pick = have[top_k(rng.random(len(have)), len(have) - want)]
            reason[pick] = codes.index(dr, "completed_drug_free")
        elif len(have) < want:
            lo_day = np.maximum.reduce([start + 7, last_top, month_after_ref])
            can = pres[
                closed[pres]
                & is_unplanned[pres]
                & (dis[pres] - start[pres] > EARLY_DAYS)
                & (lo_day[pres] <= start[pres] + EARLY_DAYS)
                & (next_ref[pres] - dis[pres] > _GAP_DAYS)
            ]
            pick = can[top_k(rng.random(len(can)), min(want - len(have), len(can)))]
            span = start[pick] + EARLY_DAYS - lo_day[pick] + 1
            new_dis = lo_day[pick] + (rng.random(len(pick)) * span).astype(np.int64)
            eps["discharge"][pick] = new_dis.astype(eps["discharge"].dtype)


def _first_day_of_next_month(day: np.ndarray) -> np.ndarray:
    """The first day of the month after the month of each day (day numbers)."""
    month = np.asarray(day).astype("datetime64[D]").astype("datetime64[M]")
    return (month + 1).astype("datetime64[D]").astype(np.int64)
