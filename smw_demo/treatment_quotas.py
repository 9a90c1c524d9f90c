"""Leicestershire's printed cohort counts met by quota (the county treatment system only).

Where the JSNA chapter prints a count for a cohort that the warehouse measures from the
simulated episodes and TOP reviews, the count is met exactly at scale 1 (and proportionally at
other scales) by deciding *which* members of the measured cohort have the outcome, rather than
by a probability that meets it only in expectation:

* successful completions 2017-18 by substance group and sex (Table 13): of the people in drug
  treatment in the year whose latest discharge in it closes their treatment, exactly the
  printed share of each group and sex leave as completed (swapping a completion for a drop-out,
  or the reverse, on episodes longer than 12 weeks, so early unplanned exits stay as they are);
* TOP outcomes 2017-18 by drug (Table 12) and injecting stopped: of the start and six-month
  review pairs the warehouse counts (the latest review 150-240 days after a start in the same
  journey, one pair a person and year, in the year of the review), exactly the printed number
  use the drug at start with a review recording it (the denominator: the printed count over the
  printed share), are abstinent at review, and have at most halved their days.

The quotas change values only, never the number of episodes or TOP rows, so the identifiers of
every other area's records stay as they were; the draws are on the stream ``county-tx-quotas``.
The cohorts are worked out here as the dbt models measure them (``int_treatment_person_periods``,
``int_treatment_journeys_chained``, ``int_treatment_top_outcomes``).
"""

from __future__ import annotations

import numpy as np

from smw_demo import areas as geo
from smw_demo import targets
from smw_demo import timeline as tl
from smw_demo.codes import CodeLists
from smw_demo.people import SEX_MALE, PersonRegistry
from smw_demo.sampling import top_k
from smw_demo.table import Table
from smw_demo.treatment_systems import GROUPS, NON_OPIATE, NON_OPIATE_ALCOHOL, OPIATE

_AREA = geo.COUNTY_INDEX[[a.code for a in geo.COUNTY_AREAS].index("E10000018")]
_YEAR = 2017 - tl.FIRST_FY  # 2017-18
_DRUG_GROUPS = (OPIATE, NON_OPIATE, NON_OPIATE_ALCOHOL)
_CHAIN_DAYS = 21
_FAR = np.int64(2**40)


def _t13(group: int, sex: str) -> float:
    name = GROUPS[group].replace("_", "-")
    return targets.published(f"leic-2017-18-t13-completions-share-{name}-{sex}")


def _reason_sets(codes: CodeLists) -> tuple[np.ndarray, np.ndarray]:
    dr = "discharge_reason"
    completed = codes.indices(dr, codes.in_category(dr, "completed"))
    transferred = codes.indices(dr, codes.in_category(dr, "transferred"))
    return completed, transferred


def _completions(
    rng: np.random.Generator, eps: Table, people: PersonRegistry, codes: CodeLists
) -> None:
    """Table 13: successful completions 2017-18 by substance group and sex, exactly."""
    lo, hi = int(tl.FY_START[_YEAR]), int(tl.FY_START[_YEAR + 1]) - 1
    ref = eps["referral"].astype(np.int64)
    dis = eps["discharge"].astype(np.int64)
    open_ = dis == tl.NO_DATE
    dis_or_far = np.where(open_, _FAR, dis)
    overlap = (ref <= hi) & (dis_or_far >= lo)
    idx = np.flatnonzero(overlap)
    person = eps["person"][idx]
    # per person in the year: open at the end, latest discharge in the year
    uniq, inv = np.unique(person, return_inverse=True)
    open_end = np.zeros(len(uniq), bool)
    np.logical_or.at(open_end, inv, dis_or_far[idx] > hi)
    in_year = (dis[idx] >= lo) & (dis[idx] <= hi) & ~open_[idx]
    latest = np.full(len(uniq), -1, np.int64)
    latest_day = np.full(len(uniq), -1, np.int64)
    # order by discharge then episode position: the last written wins
    order = np.lexsort((idx, np.where(in_year, dis[idx], -1)))
    for k in order:
        if in_year[k]:
            latest[inv[k]] = idx[k]
            latest_day[inv[k]] = dis[idx[k]]
    # later treatment in the year after that discharge cancels a completion
    later = np.zeros(len(uniq), bool)
    np.logical_or.at(later, inv, (ref[idx] > latest_day[inv]) & (latest_day[inv] >= 0))
    area_latest = np.full(len(uniq), -1, np.int64)
    order_r = np.lexsort((idx, ref[idx]))
    area_latest[inv[order_r]] = eps["la"][idx[order_r]]
    group = np.full(len(uniq), -1, np.int64)
    np.maximum.at(group, inv, eps["group"][idx].astype(np.int64))
    completed, transferred = _reason_sets(codes)
    unplanned_ok = codes.indices(
        "discharge_reason", ["dropped_out", "withdrawn_by_provider", "declined_treatment", "other"]
    )
    sex = people.sex[uniq]
    for g in _DRUG_GROUPS:
        for male, name in ((True, "male"), (False, "female")):
            cohort = (area_latest == _AREA) & (group == g) & ((sex == SEX_MALE) == male)
            want = int(round(_t13(g, name) * int(cohort.sum())))
            closing = cohort & (latest >= 0) & ~open_end & ~later
            ep = latest[closing]
            reason = eps["reason"][ep]
            is_comp = np.isin(reason, completed)
            # only episodes past 12 weeks change: early unplanned exits stay
            long_ = (dis[ep] - ref[ep]) > 90
            have = int(is_comp.sum())
            if have > want:
                pool = ep[is_comp & long_]
                pick = pool[top_k(rng.random(len(pool)), have - want)]
                eps["reason"][pick] = codes.index("discharge_reason", "dropped_out")
            elif have < want:
                pool = ep[np.isin(reason, unplanned_ok) & long_]
                pick = pool[top_k(rng.random(len(pool)), want - have)]
                eps["reason"][pick] = codes.index("discharge_reason", "completed_drug_free")


def _journeys(eps: Table, codes: CodeLists) -> np.ndarray:
    """Journey number of every episode (unique across people), chained as the warehouse does."""
    _, transferred = _reason_sets(codes)
    ref = eps["referral"].astype(np.int64)
    dis = eps["discharge"].astype(np.int64)
    dis_far = np.where(dis == tl.NO_DATE, _FAR, dis)
    is_tr = np.isin(eps["reason"], transferred) & (dis != tl.NO_DATE)
    order = np.lexsort((np.arange(len(eps)), ref, eps["person"]))
    journey = np.zeros(len(eps), np.int64)
    j = -1
    prev_person = None
    prior_max = prior_tr = None
    for e in order:
        p = eps["person"][e]
        if p != prev_person:
            starts = True
            prior_max, prior_tr = -1, None
        elif prior_max >= ref[e] or prior_tr == prior_max or ref[e] - prior_max <= _CHAIN_DAYS:
            starts = False
        else:
            starts = True
        if starts:
            j += 1
        journey[e] = j
        prev_person = p
        if dis_far[e] > prior_max:
            prior_max = dis_far[e]
        if is_tr[e] and (prior_tr is None or dis[e] > prior_tr):
            prior_tr = int(dis[e])
    return journey


def _top_pairs(eps: Table, top: Table, codes: CodeLists) -> tuple[np.ndarray, np.ndarray]:
    """The (start row, review row) pairs the warehouse counts for the county in 2017-18."""
    journey = _journeys(eps, codes)
    start_code, review_code, exit_code = codes.indices("top_stage", ["start", "review", "exit"])
    ep = top["episode"].astype(np.int64)
    day = top["review"].astype(np.int64)
    stage = top["stage"]
    # the row order of TOP identifiers: review date, episode, stage
    rank = np.empty(len(top), np.int64)
    rank[np.lexsort((stage, ep, day))] = np.arange(len(top))
    is_start = stage == start_code
    is_rev = (stage == review_code) | (stage == exit_code)
    rev = np.flatnonzero(is_rev)
    key = journey[ep[rev]]
    by_j: dict[int, list[int]] = {}
    for r, k in zip(rev, key, strict=True):
        by_j.setdefault(int(k), []).append(int(r))
    lo, hi = int(tl.FY_START[_YEAR]), int(tl.FY_START[_YEAR + 1]) - 1
    best: dict[int, tuple[int, int, int, int, int]] = {}  # person -> (rev day, start day, rank..)
    for s in np.flatnonzero(is_start):
        e = ep[s]
        if eps["la"][e] != _AREA or eps["group"][e] not in _DRUG_GROUPS:
            continue
        cands = [r for r in by_j.get(int(journey[e]), ()) if 150 <= day[r] - day[s] <= 240]
        if not cands:
            continue
        r = max(cands, key=lambda r: (day[r], rank[r]))
        if not lo <= day[r] <= hi:
            continue
        p = int(eps["person"][e])
        cand = (int(day[r]), int(day[s]), int(rank[s]), int(s), int(r))
        if p not in best or cand[:3] > best[p][:3]:
            best[p] = cand
    pairs = np.array([(v[3], v[4]) for v in best.values()], np.int64).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]


def _top_outcomes(
    rng: np.random.Generator, scale: float, eps: Table, top: Table, codes: CodeLists
) -> None:
    """Table 12 (abstinent and reduced use by drug) and injecting stopped, exactly."""
    starts, reviews = _top_pairs(eps, top, codes)
    for drug in ("opiates", "crack", "cannabis", "alcohol"):
        col = top[f"days_{drug}"]
        abst_n = targets.published(f"leic-2017-18-t12-abstinent-count-{drug}")
        abst_share = targets.published(f"leic-2017-18-t12-abstinent-share-{drug}")
        red_n = targets.published(f"leic-2017-18-t12-reduced-count-{drug}")
        denom = int(round(abst_n / abst_share * scale))
        n_abst, n_red = int(round(abst_n * scale)), int(round(red_n * scale))
        counted = (col[starts] > 0) & (col[reviews] >= 0)
        pos = np.flatnonzero(counted)
        if len(pos) > denom:  # the review of the rest does not record the drug
            drop = pos[top_k(rng.random(len(pos)), len(pos) - denom)]
            col[reviews[drop]] = -1
        elif len(pos) < denom:  # more users of the drug at start (alcohol: drinkers)
            extra = np.flatnonzero(~counted & (col[starts] >= 0))
            add = extra[top_k(rng.random(len(extra)), denom - len(pos))]
            col[starts[add]] = np.clip(np.round(rng.normal(14, 6, len(add))), 2, 28)
            col[reviews[add]] = col[starts[add]]
        pos = np.flatnonzero((col[starts] > 0) & (col[reviews] >= 0))
        at_start = col[starts[pos]].astype(np.int64)
        # reduced needs at least two days at start; abstinent first among completed exits
        order = rng.permutation(len(pos))
        can_reduce = at_start[order] >= 2
        red_pos = order[can_reduce][:n_red]
        rest = np.setdiff1d(order, red_pos, assume_unique=True)
        rest = rest[rng.permutation(len(rest))]
        abst_pos = rest[:n_abst]
        same_pos = rest[n_abst:]
        s = at_start
        col[reviews[pos[abst_pos]]] = 0
        half = s[red_pos] // 2
        col[reviews[pos[red_pos]]] = 1 + (rng.random(len(red_pos)) * half).astype(np.int64)
        lo = s[same_pos] // 2 + 1
        col[reviews[pos[same_pos]]] = np.minimum(
            28, lo + (rng.random(len(same_pos)) * (s[same_pos] - lo + 3)).astype(np.int64)
        )
    # injecting stopped: injected at start, not at the review
    n_stop = targets.published("leic-2017-18-top-injecting-stopped-count")
    share = targets.published("leic-2017-18-top-injecting-stopped-share")
    denom = int(round(n_stop / share * scale))
    n_stop = int(round(n_stop * scale))
    yes, no = codes.index("yes_no", "Y"), codes.index("yes_no", "N")
    inj = top["injected"]
    pos = np.flatnonzero((inj[starts] == yes) & (inj[reviews] >= 0))
    if len(pos) > denom:
        drop = pos[top_k(rng.random(len(pos)), len(pos) - denom)]
        inj[reviews[drop]] = -1
        pos = np.setdiff1d(pos, drop)
    pos = pos[rng.permutation(len(pos))]
    inj[reviews[pos[:n_stop]]] = no
    inj[reviews[pos[n_stop:]]] = yes


def county_quotas(
    rng: np.random.Generator,
    scale: float,
    eps: Table,
    top: Table,
    people: PersonRegistry,
    codes: CodeLists,
) -> None:
    """Meet the county's printed cohort counts in place (episode reasons, TOP values)."""
    _completions(rng, eps, people, codes)
    _top_outcomes(rng, scale, eps, top, codes)
