"""Leicestershire's printed cohort counts met by quota (the county treatment system only).

Where the JSNA chapter prints a count for a cohort that the warehouse measures from the
simulated episodes and TOP reviews, the count is met exactly at scale 1 (and proportionally at
other scales) by deciding *which* members of the measured cohort have the outcome, rather than
by a probability that meets it only in expectation:

* successful completions 2017-18 by substance group (Table 13: the printed count) and sex (the
  printed shares): of the people in drug treatment in the year whose latest discharge in it
  closes their treatment, exactly that many leave as completed (a completion swapped for a
  drop-out, or the reverse; never an early unplanned exit of the year's new presentations).
  Where one sex has too few people closing treatment (non-opiate & alcohol women: half of them
  complete), completers of the other sex and people of its own still in treatment change places;
* TOP outcomes 2017-18 by drug (Table 12) and injecting stopped: of the start and six-month
  review pairs the warehouse counts (the latest review 150-240 days after a start in the same
  journey, one pair a person and year, in the year of the review), exactly the printed number
  use the drug at start with a review recording it (the denominator: the printed count over the
  printed share), are abstinent at review, and have at most halved their days;
* new presentations 2017-18 at start: regular employment, an urgent housing need (opiate
  group), any housing problem, living with children, Other White ethnicity; people citing a POM
  or OTC medicine (more or fewer: ``treatment_quota_citations.pom_otc_people``); people in
  residential rehabilitation (a recovery house in its place, or the reverse);
* people in drug treatment 2017-18 by sex and age band (Table 3): birth dates moved so that
  each sex has the printed shares aged 18-29, 30-39 and 40-49 (the older rest 50-59 / 60-69 as
  printed), never making a first referral younger than 16;
* new presentations aged under 25 and the drugs new presentations cite by age group (the
  chapter's presenting substances, 2009-10 to 2017-18): ``treatment_quota_citations``;
* the county's history: opiate new presentations with an urgent housing need in 2009-10 (8 %),
  and hepatitis C testing of people in drug treatment who have injected in 2012-13 (90.8 %,
  ``treatment_quota_profile``, with Indian new presentations 2017-18: at least the printed 9).

The quotas change values only, never the number of episodes or TOP rows, so the identifiers of
every other area's records stay as they were; the draws are on the streams
``county-tx-quotas`` and ``county-attribute-quotas``. Birth dates, sex and ethnicity are set
after attributors are drawn (``county_attributes``), so no other area's attributors move.
The cohorts are worked out here as the dbt models measure them (``int_treatment_person_periods``,
``int_treatment_journeys_chained``, ``int_treatment_top_outcomes``).
"""

from __future__ import annotations

import numpy as np

from smw_demo import areas as geo
from smw_demo import targets
from smw_demo import timeline as tl
from smw_demo.codes import CodeLists
from smw_demo.people import SEX_FEMALE, SEX_MALE, PersonRegistry
from smw_demo.sampling import allocate, top_k
from smw_demo.table import Table
from smw_demo.treatment_quota_ages import age_bands, in_drug_treatment
from smw_demo.treatment_quota_citations import (
    cited_drugs,
    older_presentations,
    pom_otc_people,
    younger_presentations,
)
from smw_demo.treatment_quota_exits import early_exits, early_window
from smw_demo.treatment_quota_groups import group_quotas, over_40_swaps, unmet_need_quotas
from smw_demo.treatment_quota_profile import hcv_tested, indian_presentations
from smw_demo.treatment_systems import GROUPS, NON_OPIATE, NON_OPIATE_ALCOHOL, OPIATE

_AREA = geo.COUNTY_INDEX[[a.code for a in geo.COUNTY_AREAS].index("E10000018")]
_YEAR = 2017 - tl.FIRST_FY  # 2017-18
_DRUG_GROUPS = (OPIATE, NON_OPIATE, NON_OPIATE_ALCOHOL)
#: An episode referred within this many days of a transfer out continues it (no new presentation).
CHAIN_DAYS = 21
_FAR = np.int64(2**40)
#: the years whose new presentations the under-25 and presenting-substance quotas read: from
#: the chapter's baseline (2009-10, the county's first year) to its year
_CITATION_YEARS = tuple(range(2009, 2018))


_SEXES = (SEX_MALE, SEX_FEMALE)  # the order of the completions' cohorts
_NAME = {g: GROUPS[g].replace("_", "-") for g in _DRUG_GROUPS}


def _t13(group: int, sex: str) -> float:
    return targets.published(f"leic-2017-18-t13-completions-share-{_NAME[group]}-{sex}")


def _reason_sets(codes: CodeLists) -> tuple[np.ndarray, np.ndarray]:
    dr = "discharge_reason"
    completed = codes.indices(dr, codes.in_category(dr, "completed"))
    transferred = codes.indices(dr, codes.in_category(dr, "transferred"))
    return completed, transferred


def split_by_shares(total: int, sizes: list[int], shares: list[float]) -> np.ndarray:
    """``total`` split between two cohorts of ``sizes`` people so that the worse of the two
    shares (part / size) is as close to its printed share as whole people allow; of equally
    close splits, the one nearest the split in proportion to share x size (largest remainder)."""
    weights = np.array([s * n for s, n in zip(shares, sizes, strict=True)], float)
    proportional = allocate(total, weights)
    best: tuple[float, int, int] | None = None
    for first in range(max(0, total - sizes[1]), min(total, sizes[0]) + 1):
        parts = (first, total - first)
        off = max(
            abs(k / n - s) if n else 0.0 for k, n, s in zip(parts, sizes, shares, strict=True)
        )
        cand = (round(off, 12), abs(first - int(proportional[0])), first)
        if best is None or cand < best:
            best = cand
    if best is None:  # more completions than people: in proportion
        return proportional
    return np.array([best[2], total - best[2]], np.int64)


def _completions(
    rng: np.random.Generator, scale: float, eps: Table, sex_of: np.ndarray, codes: CodeLists
) -> None:
    """Table 13: successful completions 2017-18 by substance group (the printed count) and sex
    (the printed shares), exactly."""
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
    sex = sex_of[uniq]
    early = early_window(eps, lo)
    for g in _DRUG_GROUPS:
        # the group's printed count (scaled), split between the sexes as close to their printed
        # shares of the demo's own men and women in treatment as whole people allow
        cohorts = [(area_latest == _AREA) & (group == g) & ((sex == SEX_MALE) == m) for m in (1, 0)]
        total = int(round(targets.count(f"leic-2017-18-t13-completions-count-{_NAME[g]}") * scale))
        wants = split_by_shares(
            total, [int(c.sum()) for c in cohorts], [_t13(g, "male"), _t13(g, "female")]
        )
        # a sex with fewer people closing their treatment than its completions: as many of the
        # other sex's completers and of its own people still in treatment change places (sex),
        # so that each sex keeps its number of people
        closing = (latest >= 0) & ~open_end & ~later
        last = np.maximum(latest, 0)
        early_new = early[last]
        can_complete = closing & (
            np.isin(eps["reason"][last], completed)
            | (np.isin(eps["reason"][last], unplanned_ok) & ~early_new)
        )
        for a, b in ((0, 1), (1, 0)):
            cap = int((cohorts[a] & can_complete).sum())
            if wants[a] <= cap:
                continue
            done = closing & np.isin(eps["reason"][np.maximum(latest, 0)], completed)
            give = np.flatnonzero(cohorts[b] & done)
            take = np.flatnonzero(cohorts[a] & ~closing)
            k = min(int(wants[a]) - cap, len(give), len(take))
            give = give[rng.permutation(len(give))[:k]]
            take = take[rng.permutation(len(take))[:k]]
            sex[give], sex[take] = _SEXES[a], _SEXES[b]
            sex_of[uniq[give]], sex_of[uniq[take]] = _SEXES[a], _SEXES[b]
            cohorts[a][give], cohorts[b][give] = True, False
            cohorts[a][take], cohorts[b][take] = False, True
        for cohort, want in zip(cohorts, wants, strict=True):
            closing = cohort & (latest >= 0) & ~open_end & ~later
            ep = latest[closing]
            reason = eps["reason"][ep]
            is_comp = np.isin(reason, completed)
            # early unplanned exits of the year's new presentations stay as they are
            free = ~early[ep]
            have = int(is_comp.sum())
            if have > want:
                pool = ep[is_comp & free]
                pick = pool[top_k(rng.random(len(pool)), have - want)]
                eps["reason"][pick] = codes.index("discharge_reason", "dropped_out")
            elif have < want:
                pool = ep[np.isin(reason, unplanned_ok) & free]
                pick = pool[top_k(rng.random(len(pool)), int(want) - have)]
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
        elif prior_max >= ref[e] or prior_tr == prior_max or ref[e] - prior_max <= CHAIN_DAYS:
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


def exact_counts(
    rng: np.random.Generator, values: np.ndarray, want: dict[int, int], rest: int = -1
) -> np.ndarray:
    """``values`` changed as little as possible so that exactly ``want[c]`` hold code ``c``: the
    surplus of each wanted code (and of codes not wanted, when the wanted total needs them), at
    random, takes the codes short; a surplus left over takes code ``rest``."""
    out = values.copy()
    short: list[int] = []
    pool: list[np.ndarray] = []
    for c, k in want.items():
        pos = np.flatnonzero(out == c)
        if len(pos) > k:
            pool.append(pos[rng.permutation(len(pos))[: len(pos) - k]])
        short.extend([c] * max(k - len(pos), 0))
    spare = np.concatenate(pool) if pool else np.zeros(0, np.int64)
    if len(spare) < len(short):
        others = np.flatnonzero(~np.isin(out, list(want)))
        extra = others[rng.permutation(len(others))[: len(short) - len(spare)]]
        spare = np.concatenate([spare, extra])
    spare = spare[rng.permutation(len(spare))]
    fill = np.array(short, dtype=out.dtype)[rng.permutation(len(short))]
    n = min(len(fill), len(spare))
    out[spare[:n]] = fill[:n]
    out[spare[n:]] = rest
    return out


def continues_transfer(eps: Table, codes: CodeLists, rows: np.ndarray | None = None) -> np.ndarray:
    """Whether each episode (of ``rows``; default all) continues a transfer: another episode of
    the person was discharged as transferred in the ``CHAIN_DAYS`` before its referral."""
    return transfer_predecessors(eps, codes, rows) >= 0


def transfer_predecessors(
    eps: Table, codes: CodeLists, rows: np.ndarray | None = None
) -> np.ndarray:
    """The episode each episode (of ``rows``; default all) continues: the person's latest other
    episode discharged as transferred in the ``CHAIN_DAYS`` before its referral, or -1."""
    _, transferred = _reason_sets(codes)
    rows = np.arange(len(eps)) if rows is None else np.asarray(rows, np.int64)
    ref = eps["referral"].astype(np.int64)
    dis = eps["discharge"].astype(np.int64)
    person = eps["person"]
    transfers: dict[int, list[tuple[int, int]]] = {}
    for e in np.flatnonzero(np.isin(eps["reason"], transferred) & (dis != tl.NO_DATE)):
        transfers.setdefault(int(person[e]), []).append((int(e), int(dis[e])))
    out = np.full(len(rows), -1, np.int64)
    for i, e in enumerate(rows.tolist()):
        r = int(ref[e])
        before = [
            (d, o)
            for o, d in transfers.get(int(person[e]), ())
            if o != e and r - CHAIN_DAYS <= d <= r
        ]
        if before:
            out[i] = max(before)[1]
    return out


def new_presentations(
    eps: Table,
    codes: CodeLists,
    year: int = _YEAR,
    groups: tuple[int, ...] = _DRUG_GROUPS,
    area: int = _AREA,
    days: tuple[int, int] | None = None,
) -> np.ndarray:
    """The presenting episode of each new presentation in drug treatment (of ``groups``)
    resident in ``area`` (Leicestershire) in 2017-18 (the year index ``year``, or the first and
    last of ``days``): the first episode referred in the year that continues no transfer (no
    episode of the person discharged as transferred in the 21 days before its referral)."""
    lo, hi = days or tl.fy_bounds(year)
    ref = eps["referral"].astype(np.int64)
    person = eps["person"]
    cand = np.flatnonzero(
        (ref >= lo) & (ref <= hi) & (eps["la"] == area) & np.isin(eps["group"], groups)
    )
    cand = cand[~continues_transfer(eps, codes, cand)]
    first: dict[int, tuple[int, int]] = {}
    for e in cand:
        r = int(ref[e])
        p = int(person[e])
        if p not in first or (r, int(e)) < first[p]:
            first[p] = (r, int(e))
    return np.array(sorted(e for _, e in first.values()), np.int64)


def _presentations(
    rng: np.random.Generator, scale: float, eps: Table, codes: CodeLists
) -> np.ndarray:
    """New presentations' circumstances at start, 2017-18: regular employment 27 % (with
    unemployed or inactive 27 % and long-term sick 41 %) of those recorded, 248 self-referrals
    (the criminal-justice routes unchanged; the rest another route or other), an urgent housing
    need for 16 % of the opiate group (in place of a housing problem), any housing problem for
    107 (a housing problem more or fewer, so the urgent ones stay) and 91 living with children.
    Returns the presenting episodes."""
    pres = new_presentations(eps, codes)
    emp = eps["employment"]
    rec = pres[emp[pres] >= 0]
    es = "employment_status"
    shares = {
        k: targets.published(f"leic-2017-18-np-employment-{k.replace('_', '-')}")
        for k in ("regular_employment", "unemployed_inactive", "long_term_sick")
    }
    want = {codes.index(es, k): int(round(v * len(rec))) for k, v in shares.items()}
    emp[rec] = exact_counts(rng, emp[rec], want, rest=codes.index(es, "other"))
    # self-referrals of those recorded (Table 10: 248), the criminal-justice routes as they are
    rs, src = eps["referral_source"], "referral_source"
    rec = pres[rs[pres] >= 0]
    keep = {
        int(c): int((rs[rec] == c).sum())
        for c in codes.indices(src, codes.in_category(src, "criminal_justice"))
    }
    want = {
        codes.index(src, "self"): int(round(targets.count("leic-2017-18-t10-self-count") * scale))
    }
    rs[rec] = exact_counts(rng, rs[rec], {**want, **keep}, rest=codes.index(src, "other"))
    an = "accommodation_need"
    acc = eps["accommodation"]
    urgent, problem = codes.index(an, "urgent_problem"), codes.index(an, "housing_problem")
    _opiate_urgent_housing(rng, eps, pres, "leic-2017-18-np-opiate-urgent-housing", codes)
    # any problem (urgent or not) of all those recorded: 107, a housing problem more or fewer
    rec = pres[acc[pres] >= 0]
    k = int(round(targets.count("leic-2017-18-np-housing-any-problem-count") * scale))
    gap = k - int(np.isin(acc[rec], [urgent, problem]).sum())
    none = codes.index(an, "no_problem")
    pos = rec[acc[rec] == (problem if gap < 0 else none)]
    acc[pos[rng.permutation(len(pos))[: abs(gap)]]] = none if gap < 0 else problem
    par = eps["parental"]
    living = codes.index("parental_status", "living_with_children")
    k = int(round(targets.count("leic-2017-18-np-parents-count") * scale))
    rec = pres[par[pres] >= 0]
    have = np.flatnonzero(par[rec] == living)
    if len(have) > k:  # the rest are parents not living with their children
        drop = rec[have[rng.permutation(len(have))[: len(have) - k]]]
        par[drop] = codes.index("parental_status", "parent_not_living_with_children")
    elif len(have) < k:
        other = rec[par[rec] != living]
        par[other[rng.permutation(len(other))[: k - len(have)]]] = living
    return pres


def _opiate_urgent_housing(
    rng: np.random.Generator, eps: Table, pres: np.ndarray, figure: str, codes: CodeLists
) -> None:
    """Of the opiate new presentations ``pres`` whose accommodation need is recorded, the
    printed share (``figure``) with an urgent housing problem, exactly: a housing problem made
    urgent or the reverse, so the number with either stays where it can."""
    an = "accommodation_need"
    acc = eps["accommodation"]
    opiate = pres[(eps["group"][pres] == OPIATE) & (acc[pres] >= 0)]
    urgent, problem = codes.index(an, "urgent_problem"), codes.index(an, "housing_problem")
    either = int(np.isin(acc[opiate], [urgent, problem]).sum())
    k = int(round(targets.published(figure) * len(opiate)))
    acc[opiate] = exact_counts(rng, acc[opiate], {urgent: k, problem: max(either - k, 0)})


def _residential(rng: np.random.Generator, scale: float, eps: Table, codes: CodeLists) -> None:
    """People in drug treatment in 2017-18 with an episode in residential rehabilitation: 18,
    exactly. The residential unit's episodes are in residential rehabilitation or a recovery
    house (``treatment_episodes``): a person over the count has their episodes of the year at
    the unit in a recovery house, and one short has one of theirs in residential rehab."""
    here = in_drug_treatment(eps, _AREA, _DRUG_GROUPS)
    setting = eps["setting"]
    rehab, house = codes.index("setting", "residential"), codes.index("setting", "recovery_house")
    person = eps["person"]
    have = np.unique(person[here & (setting == rehab)])
    k = int(round(targets.count("leic-2017-18-residential-rehab-count") * scale))
    if len(have) > k:
        drop = have[rng.permutation(len(have))[: len(have) - k]]
        setting[here & (setting == rehab) & np.isin(person, drop)] = house
    elif len(have) < k:
        rows = np.flatnonzero(here & (setting == house) & ~np.isin(person, have))
        _, first = np.unique(person[rows], return_index=True)
        rows = rows[first]
        setting[rows[rng.permutation(len(rows))[: k - len(have)]]] = rehab


def county_attributes(
    rng: np.random.Generator,
    scale: float,
    quotas: tuple[np.ndarray, ...],
    people: PersonRegistry,
    codes: CodeLists,
) -> None:
    """Once attributors are drawn: the birth dates ``_ages`` chose (initials redrawn where one
    would then share date of birth, sex and initials with someone else), the sex ``_completions``
    swapped, sex recorded for everyone in drug treatment in 2017-18, and Other White new
    presentations 2017-18: 8, exactly (the rest of another group, White British unchanged)."""
    presenting_people, moved, dob, swapped, sex, cohort = quotas
    people.dob[moved] = dob
    people.sex[swapped] = sex
    # the chapter's tables by sex count everyone in drug treatment as male or female
    sex_list = codes.of("sex")
    male = people.sex[cohort] == SEX_MALE
    people.sex_code[cohort] = np.where(male, sex_list.index("M"), sex_list.index("F"))
    people.make_unique(rng, only=np.union1d(np.union1d(moved, swapped), cohort))
    others = codes.indices("ethnicity", ["B", "C"])
    eth = people.ethnicity
    pos = presenting_people[np.isin(eth[presenting_people], others)]
    k = int(round(targets.count("leic-2017-18-np-ethnicity-other-white-count") * scale))
    if len(pos) > k:  # the others of an ethnic group other than White (White British unchanged)
        drop = pos[rng.permutation(len(pos))[: len(pos) - k]]
        eth[drop] = codes.indices("ethnicity", list("DEFGHJKLMNPRS"))[
            rng.integers(0, 13, len(drop))
        ]
    elif len(pos) < k:
        wb = presenting_people[eth[presenting_people] == codes.index("ethnicity", "A")]
        eth[wb[rng.permutation(len(wb))[: k - len(pos)]]] = codes.index("ethnicity", "C")
    indian_presentations(rng, scale, presenting_people, eth, codes)


def county_quotas(
    rng: np.random.Generator,
    scale: float,
    eps: Table,
    top: Table,
    people: PersonRegistry,
    codes: CodeLists,
) -> tuple[np.ndarray, ...]:
    """Meet the county's printed cohort counts in place (episode values, TOP values); returns
    what ``county_attributes`` sets once attributors are drawn: the people presenting in
    2017-18, the people whose age moves with their new birth dates, and the people whose sex
    changes places (completions)."""
    sex_of = people.sex.copy()
    every = tuple(range(len(GROUPS)))
    presenting = tuple(
        eps["person"][new_presentations(eps, codes, y, every)] for y in (_YEAR - 1, _YEAR)
    )
    here = eps["la"] == _AREA
    group_quotas(rng, scale, eps, here, presenting, people.dob, _journeys(eps, codes), codes)
    unmet_need_quotas(rng, scale, eps, here, people.dob, codes)
    wants = {
        g: int(round(targets.count(f"leic-2017-18-t11-early-exit-count-{_NAME[g]}") * scale))
        for g in _DRUG_GROUPS
    }
    early_exits(rng, eps, top, codes, new_presentations(eps, codes), wants)
    _completions(rng, scale, eps, sex_of, codes)
    _top_outcomes(rng, scale, eps, top, codes)
    pom_otc_people(rng, scale, eps, _AREA, codes)
    _residential(rng, scale, eps, codes)
    moved, dob, cohort = age_bands(rng, eps, people, sex_of, _AREA, _DRUG_GROUPS)
    swapped = np.flatnonzero(sex_of != people.sex)
    earlier = presenting[0]
    presenting = eps["person"][_presentations(rng, scale, eps, codes)]
    births = people.dob.copy()
    births[moved] = dob
    births = over_40_swaps(rng, scale, eps, presenting, earlier, cohort, births, sex_of)
    years = {y: new_presentations(eps, codes, y - tl.FIRST_FY, every) for y in _CITATION_YEARS}
    births = younger_presentations(rng, scale, eps, years, cohort, births)
    births = older_presentations(rng, scale, eps, years, cohort, births)
    cited_drugs(rng, scale, eps, years, births, codes)
    _opiate_urgent_housing(rng, eps, years[2009], "leic-2009-10-np-opiate-urgent-housing", codes)
    hcv_tested(rng, eps, _AREA, _DRUG_GROUPS, codes)
    moved = np.flatnonzero(births != people.dob)
    return presenting, moved, births[moved], swapped, sex_of[swapped], cohort
