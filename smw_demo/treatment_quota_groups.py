"""Leicestershire's new presentations by substance group, 2016-17 and 2017-18 (Table 2), met by
quota; see ``treatment_quotas``.

The county's careers give about the printed number of people in treatment in each group but too
few opiate and too many non-opiate (and non-opiate & alcohol) new presentations: its opiate
careers run long and its non-opiate & alcohol ones short. The quota does not add or remove
careers (that would move other areas' identifiers); it changes *which substances* some of the
county's people cite, and so their substance group, in every episode of theirs:

* people are told apart by a pattern: a new presentation in 2016-17, in treatment in 2016-17, a
  new presentation in 2017-18, in treatment in 2017-18, in treatment two years or more at the
  end of 2016-17, a new presentation aged 40 or over in 2016-17, and in 2017-18;
* one person at a time (or two, where only two moves together bring them nearer), the move of a
  pattern from one group to another that brings the counts nearest the printed ones, as shares
  of them, is made (the new presentations of each drug group in each year, which weigh most;
  the people in treatment of each drug group in each year and the alcohol-only people in
  treatment in 2017-18, the opiate people of 2017-18 weighing double; the opiate and non-opiate & alcohol people in treatment two years or
  more in 2016-17, as the printed shares; the opiate new presentations aged 40 or over, the
  chapter's over-40 opiate citations), the person drawn at random among those of the pattern,
  until no move brings them nearer. No move adds long-term opiate people, so where the printed
  opiate people in treatment would put their share more than a point below print, the target
  is fewer people;
* the substances change as little as the new group allows: to opiate, heroin is cited first (the
  others follow, the third dropped); to non-opiate & alcohol, opiates are dropped and alcohol or
  cannabis added where missing; to non-opiate, opiates and alcohol are dropped (cannabis where no
  drug is left); to alcohol only, alcohol alone.

Values only (substance columns), on the ``county-tx-quotas`` stream; the quotas that follow
(early exits, completions, TOP outcomes, POM/OTC, ages, new presentations' circumstances) are met
on the new groups. The people's OCU type (the county's OCU pool and prevalence) is left as drawn.
"""

from __future__ import annotations

import numpy as np

from smw_demo import targets
from smw_demo import timeline as tl
from smw_demo.codes import CodeLists
from smw_demo.table import Table
from smw_demo.treatment_quota_ages import first_referrals
from smw_demo.treatment_systems import ALCOHOL_ONLY, GROUPS, NON_OPIATE, NON_OPIATE_ALCOHOL, OPIATE

_YEARS = ("2016-17", "2017-18")
_DRUG = (OPIATE, NON_OPIATE, NON_OPIATE_ALCOHOL)
#: how much being off a printed count weighs (as a share of it): new presentations, people in
#: treatment
_W_NEW, _W_IN = 10.0, 1.0


def _name(g: int) -> str:
    return GROUPS[g].replace("_", "-")


#: the measures of a person (bits of their pattern), in order
_MEASURES = ("new 2016-17", "in 2016-17", "new 2017-18", "in 2017-18", "two years+ 2016-17")
_MEASURES += ("new 2016-17 aged 40+", "new 2017-18 aged 40+")
_N = len(_MEASURES)


def _targets(scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Printed counts (scaled) per group and measure (``_MEASURES``), with their weights (0: no
    printed count)."""
    want = np.zeros((len(GROUPS), _N))
    weight = np.zeros((len(GROUPS), _N))
    for g in _DRUG:
        for y, year in enumerate(_YEARS):
            want[g, 2 * y] = targets.count(f"leic-{year}-t2-new-presentations-{_name(g)}") * scale
            want[g, 2 * y + 1] = targets.count(f"leic-{year}-t2-in-treatment-{_name(g)}") * scale
            weight[g, 2 * y], weight[g, 2 * y + 1] = _W_NEW, _W_IN
    want[ALCOHOL_ONLY, 3] = targets.count("leic-2017-18-t1-in-treatment-alcohol-only") * scale
    weight[ALCOHOL_ONLY, 3] = _W_IN
    # the chapter's year's opiate people in treatment weigh double: as shares, one alcohol-only
    # person weighs more than one opiate person, so the opiate count would give way first
    weight[OPIATE, 3] = 2 * _W_IN
    # in treatment two years or more at the end of 2016-17 (the printed share of the printed
    # people in treatment; the non-opiate group's 1 % is a single person, left as it falls)
    for g in (OPIATE, NON_OPIATE_ALCOHOL):
        share = targets.published(f"leic-2016-17-long-term-{_name(g)}")
        want[g, 4], weight[g, 4] = share * want[g, 1], _W_IN
    # opiate new presentations aged 40 or over (citations of opiates)
    want[OPIATE, 5] = targets.count("leic-2016-17-cit-o40-opiates-peak") * scale
    want[OPIATE, 6] = targets.count("leic-2017-18-cit-o40-opiates") * scale
    weight[OPIATE, 5:7] = _W_IN
    return np.round(want), weight


def _patterns(
    eps: Table,
    here: np.ndarray,
    new_people: tuple[np.ndarray, np.ndarray],
    dob: np.ndarray,
    journey: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The county's people, their group and their pattern (a bit per measure of ``_MEASURES``)."""
    person = eps["person"][here]
    people, first = np.unique(person, return_index=True)
    group = eps["group"][here][first].astype(np.int64)
    bits = np.zeros(len(people), np.int64)
    far = np.iinfo(np.int64).max
    dis = eps["discharge"][here].astype(np.int64)
    dis = np.where(dis == tl.NO_DATE, far, dis)
    ref = eps["referral"][here].astype(np.int64)
    for y, year in enumerate(_YEARS):
        fy = int(year[:4]) - tl.FIRST_FY
        lo, hi = int(tl.FY_START[fy]), int(tl.FY_START[fy + 1]) - 1
        new = np.isin(people, new_people[y])
        bits |= new.astype(np.int64) << (2 * y)
        inyear = (ref <= hi) & (dis >= lo)
        bits |= np.isin(people, np.unique(person[inyear])).astype(np.int64) << (2 * y + 1)
        old = tl.years_between(dob[people], int(tl.FY_MID[fy])) >= 40
        bits |= (new & old).astype(np.int64) << (5 + y)
    # the latest journey in 2016-17 lasting two years or more at the year end (or its end)
    fy = 2016 - tl.FIRST_FY
    lo, hi = int(tl.FY_START[fy]), int(tl.FY_START[fy + 1]) - 1
    j = journey[here]
    _, jinv = np.unique(j, return_inverse=True)
    j_start = np.full(jinv.max() + 1, far, np.int64)
    np.minimum.at(j_start, jinv, ref)
    j_end = np.full(jinv.max() + 1, -1, np.int64)
    np.maximum.at(j_end, jinv, dis)
    inyear = (ref <= hi) & (dis >= lo)
    latest = np.full(len(people), -1, np.int64)
    pi = np.searchsorted(people, person)
    order = np.lexsort((j_start[jinv],))
    for k in order[inyear[order]]:
        latest[pi[k]] = jinv[k]
    has = latest >= 0
    days = np.minimum(j_end[latest[has]], hi) - j_start[latest[has]]
    long_term = np.zeros(len(people), bool)
    long_term[has] = days >= 730
    bits |= long_term.astype(np.int64) << 4
    return people, group, bits


def group_quotas(
    rng: np.random.Generator,
    scale: float,
    eps: Table,
    here: np.ndarray,
    new_people: tuple[np.ndarray, np.ndarray],
    dob: np.ndarray,
    journey: np.ndarray,
    codes: CodeLists,
) -> int:
    """Move people between substance groups until the county's counts are nearest the printed
    ones (``here``: the county's episodes; ``new_people``: the people presenting in 2016-17 and
    in 2017-18; ``journey``: each episode's journey, chained as the warehouse does); in place.
    Returns the number of people moved."""
    want, weight = _targets(scale)
    weight = weight / np.maximum(want, 1)  # a person off weighs as a share of the printed count
    people, group, bits = _patterns(eps, here, new_people, dob, journey)
    n_groups = len(GROUPS)
    patterns = np.unique(bits)
    vec = ((patterns[:, None] >> np.arange(_N)) & 1).astype(float)
    pat = np.searchsorted(patterns, bits)
    have = np.zeros((n_groups, _N))
    np.add.at(have, group, vec[pat])
    # no move adds opiate people in treatment two years or more: where the printed people in
    # treatment would put their share more than a point below print, fewer (2017-18 as printed
    # against 2016-17)
    share = targets.published("leic-2016-17-long-term-opiate")
    cap = np.floor(have[OPIATE, 4] / (share - 0.01))
    if want[OPIATE, 1] > cap:
        change = targets.published("leic-2017-18-t2-in-treatment-change-opiate")
        want[OPIATE, 1], want[OPIATE, 3] = cap, np.round(cap * (1 + change))
        want[OPIATE, 4] = np.round(share * cap)
    moved = np.zeros(len(people), bool)
    target_of = np.full(len(people), -1, np.int64)
    # people not yet moved, per group and pattern
    free = np.zeros((n_groups, len(patterns)), np.int64)
    np.add.at(free, (group, pat), 1)
    while True:
        # every move of one person of a pattern from a group to another; where none pays, every
        # two moves together (a move may only pay with another: in treatment in one year, out
        # in another)
        moves = [
            (p, a, b)
            for p in range(len(patterns))
            if patterns[p]
            for a in range(n_groups)
            if free[a, p] > 0
            for b in range(n_groups)
            if b != a
        ]
        if not moves:
            break
        delta = np.zeros((len(moves), n_groups, _N))
        for k, (p, a, b) in enumerate(moves):
            delta[k, a] -= vec[p]
            delta[k, b] += vec[p]
        loss = (weight * np.abs(have - want)).sum()
        single = loss - (weight * np.abs(have + delta - want)).sum(axis=(1, 2))
        k1 = int(np.argmax(single))
        if single[k1] > 1e-9:
            chosen = [moves[k1]]
        else:
            both = have + delta[:, None] + delta[None, :]
            pair = loss - (weight * np.abs(both - want)).sum(axis=(2, 3))
            src = np.array([(a << 16) | p for p, a, _ in moves])
            short = np.array([free[a, p] < 2 for p, a, _ in moves])
            pair[(src[:, None] == src[None, :]) & short[:, None]] = -np.inf
            k2 = np.unravel_index(int(np.argmax(pair)), pair.shape)
            if pair[k2] <= 1e-9:
                break
            chosen = [moves[int(k2[0])], moves[int(k2[1])]]
        for p, a, b in chosen:
            pool = np.flatnonzero((group == a) & (pat == p) & ~moved)
            i = pool[int(rng.integers(len(pool)))]
            moved[i] = True
            free[a, p] -= 1
            target_of[i] = b
            group[i] = b
            have[a] -= vec[p]
            have[b] += vec[p]
    for i in np.flatnonzero(moved):
        _rewrite(eps, np.flatnonzero(eps["person"] == people[i]), int(target_of[i]), codes)
    return int(moved.sum())


def _rewrite(eps: Table, rows: np.ndarray, g: int, codes: CodeLists) -> None:
    """The substances of episodes ``rows`` (one person's) changed as little as group ``g``
    allows."""
    ts = "treatment_substance"
    opiates = codes.indices(ts, codes.in_category(ts, "opiate"))
    alcohol = codes.index(ts, "alcohol")
    heroin, cannabis = codes.index(ts, "heroin"), codes.index(ts, "cannabis")
    for r in rows:
        subs = [int(eps[c][r]) for c in ("s1", "s2", "s3") if eps[c][r] >= 0]
        drugs = [s for s in subs if s not in opiates and s != alcohol]
        if g == OPIATE:
            new = [heroin, *(s for s in subs if s != heroin)]
        elif g == NON_OPIATE_ALCOHOL:
            new = [s for s in subs if s not in opiates]
            new += [alcohol] if alcohol not in new else []
            new += [cannabis] if not drugs else []
        elif g == NON_OPIATE:
            new = drugs or [cannabis]
        else:
            new = [alcohol]
        new = (new + [-1, -1, -1])[:3]
        for c, s in zip(("s1", "s2", "s3"), new, strict=True):
            eps[c][r] = s
        eps["group"][r] = g


def unmet_need_quotas(
    rng: np.random.Generator,
    scale: float,
    eps: Table,
    here: np.ndarray,
    dob: np.ndarray,
    codes: CodeLists,
) -> tuple[int, int, int]:
    """Table 4, 2014-15: people aged 15-64 in treatment in the year citing opiates, crack, and
    either (OCU), as many as the printed estimate less the printed unmet need (2,285 x 49 %,
    1,478 x 32 % and 2,700 x 43 %). The people added are alcohol-only clients in treatment in
    2014-15 and in neither 2016-17 nor 2017-18 (so no figure of those years moves), at random:
    some now cite heroin, some crack, some both (before alcohol); in place. Returns how many of
    each (opiate only, both, crack only)."""
    ts = "treatment_substance"
    opiates = codes.indices(ts, codes.in_category(ts, "opiate"))
    crack = codes.index(ts, "crack")
    fy = 2014 - tl.FIRST_FY
    lo, hi = int(tl.FY_START[fy]), int(tl.FY_START[fy + 1]) - 1
    ref = eps["referral"].astype(np.int64)
    dis = eps["discharge"].astype(np.int64)
    dis = np.where(dis == tl.NO_DATE, np.iinfo(np.int64).max, dis)
    person = eps["person"]
    age = tl.years_between(dob[person], int(tl.FY_MID[fy]))
    inyear = here & (ref <= hi) & (dis >= lo) & (age >= 15) & (age <= 64)
    subs = np.stack([eps["s1"], eps["s2"], eps["s3"]], axis=1)
    cites_op = np.isin(subs, opiates).any(axis=1)
    cites_cr = (subs == crack).any(axis=1)
    have = {
        k: len(np.unique(person[inyear & m]))
        for k, m in (("opiate", cites_op), ("crack", cites_cr), ("ocu", cites_op | cites_cr))
    }
    want = {
        k: targets.count(f"leic-2014-15-t4-prevalence-{k}")
        * (1 - targets.published(f"leic-2014-15-t4-unmet-need-{k}"))
        * scale
        for k in have
    }
    d_op, d_cr, d_ocu = (max(want[k] - have[k], 0.0) for k in ("opiate", "crack", "ocu"))
    both = int(round(min(max(d_op + d_cr - d_ocu, 0.0), d_op, d_cr)))
    n_op, n_cr = int(round(d_op)) - both, int(round(d_cr)) - both
    # alcohol-only clients in treatment in 2014-15 only (of the three years)
    later = np.zeros(len(eps), bool)
    for y in (2016, 2017):
        f = y - tl.FIRST_FY
        later |= (ref <= int(tl.FY_START[f + 1]) - 1) & (dis >= int(tl.FY_START[f]))
    busy = np.unique(person[later])
    cand = np.unique(person[inyear & (eps["group"] == ALCOHOL_ONLY)])
    cand = cand[~np.isin(cand, busy)]
    cand = cand[rng.permutation(len(cand))]
    alcohol = codes.index(ts, "alcohol")
    heroin = codes.index(ts, "heroin")
    plan = (([heroin, alcohol, -1], OPIATE, n_op), ([heroin, crack, alcohol], OPIATE, both))
    plan += (([crack, alcohol, -1], NON_OPIATE_ALCOHOL, n_cr),)
    start = 0
    for new, g, k in plan:
        who = cand[start : start + max(k, 0)]
        start += len(who)
        rows = np.flatnonzero(np.isin(person, who))
        for c, s in zip(("s1", "s2", "s3"), new, strict=True):
            eps[c][rows] = s
        eps["group"][rows] = g
    return n_op, both, n_cr


def over_40_swaps(
    rng: np.random.Generator,
    scale: float,
    eps: Table,
    presenting: np.ndarray,
    earlier: np.ndarray,
    cohort: np.ndarray,
    dob: np.ndarray,
    sex: np.ndarray,
) -> np.ndarray:
    """Opiate new presentations aged 40 or over in 2017-18 and in 2016-17 (the chapter's over-40
    opiate citations, 89 and 111), once the age bands are met: where there are more, that many
    of them (of the 2017-18 cohort) and as many people of the cohort of the same sex aged 30-39
    who present in neither 2016-17 nor 2017-18 swap birth dates (each age band keeps its number
    of people); where fewer, the reverse (2017-18 first; then 2016-17's, among people who do not
    present in 2017-18). ``presenting`` / ``earlier``: the people presenting in 2017-18 /
    2016-17; ``dob``: everyone's birth dates (with the bands' moves); returns them changed."""
    dob = dob.copy()
    opiate_people = np.unique(eps["person"][eps["group"] == OPIATE])
    others = cohort[~np.isin(cohort, presenting) & ~np.isin(cohort, earlier)]
    # nobody's first referral younger than 16 with a partner's birth date
    first_ref = first_referrals(eps, len(dob))
    passes = (
        (2017, presenting, earlier, "leic-2017-18-cit-o40-opiates"),
        (2016, earlier, presenting, "leic-2016-17-cit-o40-opiates-peak"),
    )
    for year, new, other, figure in passes:
        age = tl.years_between(dob, int(tl.FY_MID[year - tl.FIRST_FY]))
        old = np.unique(new[np.isin(new, opiate_people)])
        have = int((age[old] >= 40).sum())
        want = int(round(targets.count(figure) * scale))
        movable = old[np.isin(old, cohort) & ~np.isin(old, other)]
        forties = (age >= 40) & (age <= 49)
        thirties = (age >= 30) & (age <= 39)
        if have > want:
            pool, partners = movable[forties[movable]], others[thirties[others]]
        else:
            pool, partners = movable[thirties[movable]], others[forties[others]]
        pool = pool[rng.permutation(len(pool))]
        partners = partners[rng.permutation(len(partners))]
        used = np.zeros(len(partners), bool)
        done = 0
        for p in pool:
            if done == abs(have - want):
                break
            ok = (tl.years_between(dob[partners], int(first_ref[p])) >= 16) & (
                tl.years_between(np.full(len(partners), dob[p]), first_ref[partners]) >= 16
            )
            match = np.flatnonzero(~used & (sex[partners] == sex[p]) & ok)
            if len(match) == 0:
                continue
            q = partners[match[0]]
            used[match[0]] = True
            dob[p], dob[q] = dob[q], dob[p]
            done += 1
    return dob
