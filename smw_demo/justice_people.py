"""People for DIP contacts: known users, criminal-justice clients of earlier years and new
people, in the DIP age profile; see ``justice``."""

from __future__ import annotations

import numpy as np

from smw_demo import areas as geo
from smw_demo import timeline as tl
from smw_demo.ocu import OcuPool, new_untreated
from smw_demo.people import PersonRegistry, dob_for_age
from smw_demo.table import Table
from smw_demo.targets import DIP_AGE_EDGES, DIP_AGE_SHARE
from smw_demo.treatment_systems import CRACK_ONLY

#: Ages drawn within a band for new criminal-justice clients (50+ drawn up to 64).
_BAND_LOW = np.array([18, 25, 30, 35, 40, 45, 50])
_BAND_HIGH = np.array([25, 30, 35, 40, 45, 50, 65])


class _BandQuota:
    """Splits contacts over the age bands in DIP_AGE_SHARE's mix, carrying each split's rounding
    over to the next (per sex), so that a team's contacts, summed over its many small cells,
    hold the mix to within one contact per band."""

    def __init__(self) -> None:
        self.carry = {sx: np.zeros(len(share)) for sx, share in DIP_AGE_SHARE.items()}

    def split(self, k: int, sex: int) -> np.ndarray:
        share = DIP_AGE_SHARE[sex]
        raw = k * share / share.sum() + self.carry[sex]
        want = np.maximum(np.floor(raw), 0).astype(np.int64)
        short = k - int(want.sum())
        if short > 0:
            want[np.argsort(-(raw - want), kind="stable")[:short]] += 1
        elif short < 0:
            for i in np.argsort(raw - want, kind="stable"):
                take = min(int(want[i]), -short)
                want[i] -= take
                short += take
                if short == 0:
                    break
        self.carry[sex] = raw - want
        return want


def _owners(
    rng: np.random.Generator, band: np.ndarray, n: int, sex: int, quota: _BandQuota
) -> np.ndarray:
    """Which of the ``len(band)`` people has each of ``n`` contacts: one each, then the repeat
    contacts spread over the age bands in DIP_AGE_SHARE's mix (contacts, not people, are what
    the profile counts)."""
    k = len(band)
    extra = [np.arange(k)]
    for b, w in enumerate(quota.split(n - k, sex)):
        idx = np.flatnonzero(band == b)
        idx = idx if len(idx) else np.arange(k)
        extra.append(idx[rng.integers(0, len(idx), w)])
    return np.concatenate(extra)


def _by_band(
    rng: np.random.Generator, band: np.ndarray, k: int, sex: int, quota: _BandQuota
) -> tuple[np.ndarray, np.ndarray]:
    """Exactly DIP_AGE_SHARE's mix for ``k`` people of one sex: which of the candidates (whose
    age bands are ``band``, best first) to take, and the ages of the people to add for the
    bands the candidates cannot fill."""
    want = quota.split(k, sex)
    chosen = [np.flatnonzero(band == b)[:w] for b, w in enumerate(want)]
    missing = want - np.array([len(x) for x in chosen])
    gap = np.repeat(np.arange(len(want)), missing)
    ages = _BAND_LOW[gap] + rng.random(len(gap)) * (_BAND_HIGH[gap] - _BAND_LOW[gap])
    return np.sort(np.concatenate(chosen)), ages


def _people_for_contacts(
    rng: np.random.Generator,
    c: Table,
    y: int,
    people: PersonRegistry,
    pool: OcuPool,
    cj_prev: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """A person for every contact; some people have several contacts in the year.

    Opiate and crack users come from the OCU population (active this year, living in the
    contact's area, of the contact's sex and drug type), chosen so that contacts have the
    Sefton profile's ages (DIP_AGE_SHARE) and a little more often people known to treatment;
    others are criminal-justice clients, partly the same people as last year.
    """
    n = len(c)
    person = np.full(n, -1, np.int32)
    new_cj: list[np.ndarray] = []
    # Candidates grouped by (home, sex, drug type), best priority first.
    cand = np.flatnonzero(pool.active(y))
    age = tl.years_between(pool.dob[cand], tl.FY_MID[y])
    group = (pool.home[cand].astype(np.int64) * 2 + pool.sex[cand]) * 3 + pool.drug_type[cand]
    # Within a group, people known to treatment a little more often first.
    order = np.lexsort((rng.random(len(cand)) - 0.1 * pool.treated[cand], group))
    cand, group = cand[order], group[order]
    cand_band = np.searchsorted(DIP_AGE_EDGES, age[order], side="right")
    taken = np.zeros(len(pool), bool)
    prev_p, prev_h = cj_prev
    again = rng.random(len(prev_p)) < 0.15
    prev_sex = people.sex[prev_p] if len(prev_p) else np.zeros(0, np.int8)
    prev_taken = np.zeros(len(prev_p), bool)
    # One cell per team, residence, sex and drug profile: each team's contacts get the age mix.
    quota = _BandQuota()
    cell = (
        (c["cjit"].astype(np.int64) * 1000 + c["residence"].astype(np.int64)) * 2 + c["sex"]
    ) * 5 + c["profile"]
    for key in np.unique(cell):
        rows = np.flatnonzero(cell == key)
        rows = rows[rng.permutation(len(rows))]
        res, rem = divmod(int(key) % 10_000, 10)
        sex, profile = divmod(rem, 5)
        # Repeat contacts: about 1.12 contacts per person.
        k = max(1, int(np.ceil(len(rows) / 1.12)))
        if profile <= CRACK_ONLY and res < geo.N_AREAS:
            g = (res * 2 + sex) * 3 + profile
            lo, hi = np.searchsorted(group, [g, g + 1])
            free = ~taken[cand[lo:hi]]
            options, option_band = cand[lo:hi][free], cand_band[lo:hi][free]
            pick, ages = _by_band(rng, option_band, k, sex, quota)
            options = options[pick]
            taken[options] = True
            got = pool.person[options]
            short = len(ages)
            if short:
                extra = new_untreated(
                    rng,
                    people,
                    np.full(short, res, np.int8),
                    y,
                    y + rng.geometric(0.3, short),
                    sex=np.full(short, sex, np.int8),
                    age_at_mid=ages,
                    drug_type=np.full(short, profile, np.int8),
                )
                pool.extend(extra)
                taken = np.concatenate([taken, np.ones(short, bool)])
                got = np.concatenate([got, extra.person])
        else:
            ok = np.flatnonzero(again & ~prev_taken & (prev_h == res) & (prev_sex == sex))
            prev_age = tl.years_between(people.dob[prev_p[ok]], tl.FY_MID[y])
            pick, age_new = _by_band(
                rng, np.searchsorted(DIP_AGE_EDGES, prev_age, side="right"), k, sex, quota
            )
            ok = ok[pick]
            prev_taken[ok] = True
            got = prev_p[ok]
            short = len(age_new)
            if short:
                dob = dob_for_age(rng, age_new, tl.FY_MID[y])
                service = np.full(short, res if res < geo.N_AREAS else c["cjit"][rows[0]], np.int8)
                new = people.add(
                    dob, np.full(short, sex, np.int8), np.full(short, res, np.int8), service
                )
                new_cj.append(new)
                got = np.concatenate([got, new])
        got_age = tl.years_between(people.dob[got], tl.FY_MID[y])
        owner = _owners(
            rng, np.searchsorted(DIP_AGE_EDGES, got_age, side="right"), len(rows), sex, quota
        )
        person[rows] = got[owner]
    cj = np.concatenate(new_cj) if new_cj else np.zeros(0, np.int32)
    return person, cj
