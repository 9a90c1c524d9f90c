"""The DIP funnel: contacts per team and year through the referral routes, with their
transfers in and out; see ``justice``."""

from __future__ import annotations

import numpy as np

from smw_demo import areas as geo
from smw_demo import timeline as tl
from smw_demo.codes import CodeLists
from smw_demo.justice_calibration import (
    _FEMALE_PRISONS,
    FY_2015,
    KNOWSLEY,
    LIVERPOOL,
    PROFILE_OTHER,
    PROFILE_RA,
    RA,
    ROUTES,
    SEFTON,
    SEFTON_2015_CASELOAD,
    SEFTON_2015_FURTHER,
    SEFTON_2015_ROUTES,
    SEFTON_2015_TRANSFER_FROM,
    SEFTON_2015_TRANSFERRED_TO,
    TC,
    TNC,
)
from smw_demo.people import SEX_FEMALE, SEX_MALE
from smw_demo.sampling import allocate, categories, exact_categories
from smw_demo.table import Table


class _Vocab:
    """Free-text values (team and prison names) stored as indices."""

    def __init__(self, values: list[str] | None = None) -> None:
        """A new vocabulary, or one carrying on ``values`` (whose index 0 is the empty text)."""
        self.values: list[str] = list(values or [""])
        if self.values[0] != "":
            raise ValueError("a vocabulary's first value is the empty text")
        self.index: dict[str, int] = {text: i for i, text in enumerate(self.values)}

    def __call__(self, text: str) -> int:
        if text not in self.index:
            self.index[text] = len(self.values)
            self.values.append(text)
        return self.index[text]


def _route_shares(la: int, y: int) -> np.ndarray:
    other = np.array([1, 3, 26, 31, 11, 4, 8], float)
    other /= other.sum()
    if la == KNOWSLEY:  # no custody suite: fewer required assessments, more transfers
        ra, oth, tc, tnc = 0.55, 0.24, 0.20, 0.01
    elif y < FY_2015:
        ra, oth, tc, tnc = 0.80, 0.12, 0.07, 0.01
    else:
        ra, oth, tc, tnc = 0.74, 0.165, 0.085, 0.01
    return np.concatenate([[ra], other * oth, [tc, tnc]])


def _cjit_destinations(la: int) -> tuple[list[int], np.ndarray]:
    """Residence areas (all-LA indices) of teams a contact may be transferred to, with weights."""
    neigh = set(geo.AREAS[la].neighbours)
    idx: list[int] = []
    w: list[float] = []
    for i, a in enumerate(geo.AREAS):
        if i == la:
            continue
        weight = 5.0 if a.code in neigh else 0.7
        if i == LIVERPOOL:
            weight *= 2.5
        idx.append(i)
        w.append(weight)
    for j in range(len(geo.OUT_OF_REGION)):
        idx.append(geo.N_AREAS + j)
        w.append(0.25)
    return idx, np.array(w)


_PRISON_W = np.array([0.75, 0.12, 0.03, 0.05, 0.05, 0.0, 0.0])  # by geo.PRISONS order


def _expand(counts: dict[str, int], total: int) -> list[str]:
    """``total`` names in proportion to a published count table (exact when totals agree)."""
    names = list(counts)
    k = allocate(total, np.array(list(counts.values()), float))
    return [n for n, c in zip(names, k, strict=True) for _ in range(int(c))]


def _funnel(
    rng: np.random.Generator,
    la: int,
    y: int,
    n: int,
    exact: bool,
    vocab: _Vocab,
    codes: CodeLists,
) -> Table:
    """Route, assessment, further intervention, caseload, transfers and residence per contact.

    ``exact`` reproduces the Sefton 2015-16 profile: its published counts at scale 1, the same
    proportions (rounded) at other scales.
    """
    published = sum(SEFTON_2015_ROUTES)
    if exact:
        route = np.repeat(np.arange(len(ROUTES)), allocate(n, np.array(SEFTON_2015_ROUTES, float)))
        rng.shuffle(route)
    else:
        route = exact_categories(rng, n, _route_shares(la, y))
    n_tc = int((route == TC).sum())
    assessed = route != TNC
    ra_other = assessed & (route != TC)
    further = np.zeros(n, bool)
    caseload = np.zeros(n, bool)
    further[route == TC] = True
    caseload[route == TC] = True
    pos = np.flatnonzero(ra_other)
    if exact:
        k_further = min(max(round(SEFTON_2015_FURTHER * n / published) - n_tc, 0), len(pos))
        f = np.sort(rng.choice(pos, k_further, replace=False))
    else:
        not_assessed = pos[rng.random(len(pos)) < 0.003]  # a few refuse the assessment
        assessed[not_assessed] = False
        pos = np.setdiff1d(pos, not_assessed)
        f = pos[rng.random(len(pos)) < 0.73]
    further[f] = True
    if exact:
        k_case = min(max(round(SEFTON_2015_CASELOAD * n / published) - n_tc, 0), len(f))
        cl = rng.choice(f, k_case, replace=False)
    else:
        cl = f[rng.random(len(f)) < 0.70]
    caseload[cl] = True
    not_taken = np.flatnonzero(further & ~caseload)
    transferred_to = np.zeros(n, np.int32)
    residence = np.full(n, -1, np.int16)
    sex = np.full(n, -1, np.int8)
    if exact:
        published_moved = sum(SEFTON_2015_TRANSFERRED_TO.values())
        k_moved = round(
            published_moved * len(not_taken) / (SEFTON_2015_FURTHER - SEFTON_2015_CASELOAD)
        )
        dest = _expand(SEFTON_2015_TRANSFERRED_TO, min(k_moved, len(not_taken)))
        chosen = rng.choice(not_taken, len(dest), replace=False)
        for i, d in zip(chosen, rng.permutation(np.array(dest, dtype=object)), strict=True):
            transferred_to[i] = vocab(str(d))
            if d.endswith("CJIT"):
                residence[i] = _area_of_cjit(str(d))
            if d in _FEMALE_PRISONS:
                sex[i] = SEX_FEMALE
    else:
        moved = not_taken[rng.random(len(not_taken)) < 0.91]
        to_cjit = rng.random(len(moved)) < 0.62
        dest_idx, dest_w = _cjit_destinations(la)
        home = np.array(dest_idx)[categories(rng, len(moved), dest_w)]
        prison = categories(rng, len(moved), _PRISON_W)
        for i, cj, h, pr in zip(moved, to_cjit, home, prison, strict=True):
            if cj:
                transferred_to[i] = vocab(geo.cjit_name(int(h)))
                residence[i] = h
            else:
                transferred_to[i] = vocab(geo.PRISONS[int(pr)])
    # Transfers in: from a prison or another team, back to the home team.
    transfer_from = np.zeros(n, np.int32)
    tin = np.flatnonzero((route == TC) | (route == TNC))
    residence[tin] = la
    if exact:
        for r in (TC, TNC):
            rows = np.flatnonzero(route == r)
            src = _expand(SEFTON_2015_TRANSFER_FROM[r], len(rows))
            for i, s in zip(rows, rng.permutation(np.array(src, dtype=object)), strict=True):
                transfer_from[i] = vocab(str(s))
                if s in _FEMALE_PRISONS:
                    sex[i] = SEX_FEMALE
    else:
        from_prison = rng.random(len(tin)) < 0.78
        pr = categories(rng, len(tin), np.array([0.7, 0.1, 0.08, 0.04, 0.04, 0.02, 0.02]))
        dest_idx, dest_w = _cjit_destinations(la)
        other = np.array(dest_idx)[categories(rng, len(tin), dest_w)]
        for i, fp, p, o in zip(tin, from_prison, pr, other, strict=True):
            name = geo.PRISONS[int(p)] if fp else geo.cjit_name(int(o))
            transfer_from[i] = vocab(name)
            if name in _FEMALE_PRISONS:
                sex[i] = SEX_FEMALE
    # Residence of the rest: own area mostly (Sefton: 78 % own, 13 % Liverpool overall).
    free = np.flatnonzero(residence < 0)
    own_share = {SEFTON: 0.78, LIVERPOOL: 0.86, KNOWSLEY: 0.9}.get(la, 0.82)
    want_own = int(round(own_share * n)) - int((residence == la).sum())
    want_liv = int(round(0.13 * n)) - int((residence == LIVERPOOL).sum()) if la == SEFTON else -1
    order = rng.permutation(free)
    k_own = min(max(want_own, 0), len(order))
    residence[order[:k_own]] = la
    rest = order[k_own:]
    if la == SEFTON and want_liv > 0:
        k_liv = min(want_liv, len(rest))
        residence[rest[:k_liv]] = LIVERPOOL
        rest = rest[k_liv:]
    dest_idx, dest_w = _cjit_destinations(la)
    residence[rest] = np.array(dest_idx)[categories(rng, len(rest), dest_w)]
    # Sex: Sefton 88 % male (61 women of 510 in 2015-16), Merseyside 84 %.
    free_sex = np.flatnonzero(sex < 0)
    if exact:
        n_female = max(round(61 * n / published) - int((sex == SEX_FEMALE).sum()), 0)
        fem = rng.choice(free_sex, min(n_female, len(free_sex)), replace=False)
        sex[free_sex] = SEX_MALE
        sex[fem] = SEX_FEMALE
    else:
        male_share = 0.88 if la == SEFTON else 0.84
        sex[free_sex] = np.where(rng.random(len(free_sex)) < male_share, SEX_MALE, SEX_FEMALE)
    profile = np.where(
        route == RA,
        categories(rng, n, PROFILE_RA),
        categories(rng, n, PROFILE_OTHER),
    ).astype(np.int8)
    yes, no = codes.index("yes_no", "Y"), codes.index("yes_no", "N")
    further_code = np.where(assessed, np.where(further, yes, no), -1)
    caseload_code = np.where(further, np.where(caseload, yes, no), -1)
    return Table(
        cjit=np.full(n, la, np.int8),
        route=codes.indices("dip_route", list(ROUTES))[route],
        route_i=route.astype(np.int8),
        assessed=np.where(assessed, yes, no).astype(np.int16),
        further=further_code.astype(np.int16),
        caseload=caseload_code.astype(np.int16),
        transfer_from=transfer_from,
        transferred_to=transferred_to,
        residence=residence.astype(np.int16),
        sex=sex,
        profile=profile,
        day=tl.sample_days(rng, np.full(n, y), "justice"),
    )


def _area_of_cjit(name: str) -> int:
    for i in range(len(geo.ALL_LA_CODES)):
        if geo.cjit_name(i) == name:
            return i
    raise KeyError(name)
