"""Leicestershire's people in drug treatment in 2017-18 by sex and age band (the chapter's
Table 3), met by moving birth dates; see ``treatment_quotas``."""

from __future__ import annotations

import numpy as np

from smw_demo import targets
from smw_demo import timeline as tl
from smw_demo.people import SEX_MALE, PersonRegistry
from smw_demo.sampling import allocate
from smw_demo.table import Table

_YEAR = 2017 - tl.FIRST_FY  # 2017-18

#: Age bands of the treatment profiles (age at the year's midpoint): lower bound, upper bound.
BANDS = ((0, 17), (18, 29), (30, 39), (40, 49), (50, 59), (60, 69), (70, 99))
_LABELS = ("18-29", "30-39", "40-49", "50-59", "60-69")
_MIN_AGE_AT_FIRST_REFERRAL = 16


def in_drug_treatment(
    eps: Table, area: int, drug_groups: tuple[int, ...], fy: int = _YEAR
) -> np.ndarray:
    """The episodes of ``area``'s people in drug treatment (``drug_groups``) open at some time in
    the financial year ``fy`` (a year index; 2017-18 unless told): Table 3's cohort and the
    county's other in-treatment quotas read it."""
    lo, hi = tl.fy_bounds(fy)
    dis = eps["discharge"].astype(np.int64)
    overlap = (eps["referral"] <= hi) & ((dis == tl.NO_DATE) | (dis >= lo))
    return overlap & (eps["la"] == area) & np.isin(eps["group"], drug_groups)


def first_referrals(eps: Table, n_people: int) -> np.ndarray:
    """Each person's first referral day (the largest int64 for someone with no episode): the
    floor the quotas keep a moved birth date from (no first referral younger than 16)."""
    first_ref = np.full(n_people, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(first_ref, eps["person"], eps["referral"].astype(np.int64))
    return first_ref


def band_of(age: np.ndarray) -> np.ndarray:
    """Position in ``BANDS`` of each age."""
    return np.searchsorted([b[0] for b in BANDS], age, side="right") - 1


def age_bands(
    rng: np.random.Generator,
    eps: Table,
    people: PersonRegistry,
    sex_of: np.ndarray,
    area: int,
    drug_groups: tuple[int, ...],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Table 3: people in drug treatment in 2017-18 by sex and age band. Of each sex, exactly the
    printed share aged 18-29, 30-39 and 40-49 (what the rounded shares leave over added in
    proportion), 50-59 and 60-69 as the printed counts (107 and 13), and no one under 18 or 70
    and over (the printed bands add up to everyone). A person moved to another band gets a
    birth date in it (never one that would make their first referral younger than 16); where
    those a band has too many cannot be young enough for a band short of people, someone of a
    third band moves there and one of them takes that person's place. Returns
    the people moved and their birth dates, set once attributors are drawn
    (``county_attributes``), so that the attributors of every other area stay as they are, and
    everyone in the cohort."""
    mid = int(tl.FY_MID[_YEAR])
    persons = np.unique(eps["person"][in_drug_treatment(eps, area, drug_groups)])
    first_ref = first_referrals(eps, len(people))
    first_ref = first_ref[persons]
    dob = people.dob[persons].copy()
    age = tl.years_between(dob, mid)
    band = band_of(age)
    male = sex_of[persons] == SEX_MALE
    lei = "leic-2017-18-t3-age"
    printed = np.array([targets.count(f"{lei}-count-{lab}") for lab in _LABELS], float)
    n_all = len(persons)
    # 50-59 and 60-69 as printed (the table's bands add up to everyone: no one under 18 or 70+)
    older = np.round(printed[3:] * n_all / printed.sum()).astype(np.int64)
    cells: dict[tuple[bool, int], int] = {}
    for is_male, name in ((True, "male"), (False, "female")):
        n = int((male == is_male).sum())
        for b, lab in zip((1, 2, 3), _LABELS, strict=False):
            share = targets.published(f"{lei}-share-leics-{name}-{lab}")
            cells[is_male, b] = int(round(share * n))
    # what the rounded shares leave over goes to the three bands in proportion
    left = n_all - sum(cells.values()) - int(older.sum())
    keys = list(cells)
    extra = allocate(abs(left), np.array([cells[k] for k in keys], float)) * np.sign(left)
    for k, e in zip(keys, extra, strict=True):
        cells[k] += int(e)
    want_sex: dict[bool, dict[int, int]] = {}
    rest = {m: int((male == m).sum()) - sum(cells[m, b] for b in (1, 2, 3)) for m in (True, False)}
    m4 = int(round(older[0] * rest[True] / max(rest[True] + rest[False], 1)))
    split = {True: (m4, rest[True] - m4), False: (older[0] - m4, rest[False] - older[0] + m4)}
    for m in (True, False):
        want_sex[m] = {0: 0, **{b: cells[m, b] for b in (1, 2, 3)}, 4: int(split[m][0])}
        want_sex[m].update({5: int(split[m][1]), 6: 0})
    for is_male in (True, False):
        idx = np.flatnonzero(male == is_male)
        want = want_sex[is_male]
        cur = {b: int((band[idx] == b).sum()) for b in want}
        spare: list[int] = []
        for b in want:
            pos = idx[band[idx] == b]
            if cur[b] > want[b]:  # the surplus: those whose first referral is earliest move on
                spare.extend(
                    pos[np.argsort(first_ref[pos] + rng.integers(0, 60, len(pos)))][
                        : cur[b] - want[b]
                    ].tolist()
                )
        pool = np.array(spare, np.int64)
        for b in sorted(want):  # the youngest band first takes the most recent first referrals
            need = want[b] - cur[b]
            if need <= 0 or len(pool) == 0:
                continue
            b_lo, b_hi = BANDS[b]
            # the youngest age each could be: their first referral at 16 or older
            since = (mid - first_ref[pool]) / 365.25
            floor_age = np.ceil(since + _MIN_AGE_AT_FIRST_REFERRAL).astype(np.int64)
            ok = np.flatnonzero(floor_age <= b_hi)
            take = ok[np.argsort(floor_age[ok] + rng.random(len(ok)), kind="stable")][:need]
            who = pool[take]
            new_age = np.maximum(rng.integers(b_lo, b_hi + 1, len(who)), floor_age[take])
            # born in the quarter before the birthday that makes ``new_age`` at the midpoint
            dob[who] = mid - np.floor((new_age + 0.25) * 365.25) - rng.integers(0, 90, len(who))
            band[who] = b
            pool = np.delete(pool, take)
        # a band still short (its movers' first referrals too early): one of another band who
        # can be that age moves in, and one left over takes their place in that band
        since = (mid - first_ref) / 365.25
        floor_age = np.ceil(since + _MIN_AGE_AT_FIRST_REFERRAL).astype(np.int64)
        for b in sorted(want):
            b_lo, b_hi = BANDS[b]
            for q in idx[rng.permutation(len(idx))]:
                if int((band[idx] == b).sum()) >= want[b] or len(pool) == 0:
                    break
                c = int(band[q])
                fits = np.flatnonzero((floor_age[pool] <= BANDS[c][1]) & (band[pool] != c))
                if c == b or floor_age[q] > b_hi or len(fits) == 0:
                    continue
                p = pool[fits[0]]
                for who, to in ((q, b), (p, c)):
                    lo_age, hi_age = BANDS[to]
                    age_to = max(int(rng.integers(lo_age, hi_age + 1)), int(floor_age[who]))
                    dob[who] = mid - np.floor((age_to + 0.25) * 365.25) - rng.integers(0, 90)
                    band[who] = to
                pool = np.delete(pool, fits[0])
    moved = dob != people.dob[persons]
    return persons[moved], dob[moved], persons
