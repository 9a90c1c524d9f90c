"""Leicestershire's new presentations aged under 25 and the drugs they and those aged 40 and over
cite (the chapter's presenting substances, Figure 7 and its text), met by quota once the age
bands and the over-40 opiate citations are (see ``treatment_quotas``):

* ages: of each year's new presentations (2017-18, then each year before it down to 2009-10),
  people aged 25 or over are made younger (18-24 at the year's midpoint) until the year has its
  under-25s: in 2017-18 the printed 103 (alcohol-only clients included, as the chapter says), of
  whom the printed 18 opiate clients (the under-25s citing opiates) and a few alcohol-only
  clients (``targets.LEIC_U25_ALCOHOL_ONLY_SHARE``), the rest non-opiate and non-opiate &
  alcohol clients in proportion to who can move; in 2009-10 the printed 200 (63 citing opiates);
  in the years between, the straight line between the printed counts. Only people who keep
  their Table 3 age band move (in 2017-18 those aged 25-29, or not in drug treatment); in the
  earlier years only people who present in no later year. Nobody's first referral is made
  younger than 16, and nobody moves older: where there are already enough, or too few can
  move, the count is left; opiate new presentations aged 40 and over in 2009-10 (the printed
  48) are then met by moving people between their thirties and forties
  (``older_presentations``);
* drugs: in the presenting episodes of the printed cohorts (drug treatment; under 25 or 40 and
  over), the printed drug groups are cited by exactly the printed number of people (cannabis,
  cocaine, club drugs, crack; under-25s citing crack under 5), a drug added in a free substance
  field of those citing least or dropped from those citing most, and then the benzodiazepine,
  amphetamine and other-drug citations make the printed total (112 under 25 and 151 aged 40 and
  over in 2017-18). Opiates (met by the ages), alcohol and POM/OTC medicines (their own quota)
  are never added or dropped, and every episode keeps its substance group (a non-opiate episode
  keeps a drug).

People in drug treatment citing a POM or OTC medicine (Table 5) are met here too, before the
rest (``pom_otc_people``). Values only (birth dates, substance columns), on the
``county-tx-quotas`` stream.
"""

from __future__ import annotations

import numpy as np

from smw_demo import targets
from smw_demo import timeline as tl
from smw_demo.codes import CodeLists
from smw_demo.sampling import allocate
from smw_demo.table import Table
from smw_demo.treatment_quota_ages import band_of, first_referrals, in_drug_treatment
from smw_demo.treatment_systems import ALCOHOL_ONLY, GROUPS, NON_OPIATE, NON_OPIATE_ALCOHOL, OPIATE

#: the drug groups a new presentation cites (warehouse macro presenting_drug; alcohol is no
#: citation), their codes, and which club drug an added club-drug citation is
_DRUGS = (
    "opiates", "crack", "cocaine", "amphetamine", "cannabis", "benzodiazepines", "club_drugs",
    "pom_otc", "other",
)  # fmt: skip
_CLUB_CODES = ("ecstasy", "ketamine", "mephedrone", "ghb_gbl", "methamphetamine", "nps_other")
_CLUB_WEIGHTS = np.array([0.5, 0.2, 0.1, 0.1, 0.05, 0.05])
#: the drug groups that make up a printed total (none printed on its own)
_FILLERS = ("benzodiazepines", "amphetamine", "other")
_SLOTS = ("s1", "s2", "s3")
_YEAR_END = 2017  # the chapter's year
_BASELINE = 2009  # the year the chapter compares it with


def _fy(year: int) -> int:
    return year - tl.FIRST_FY


def _printed_u25(which: str, year: int, scale: float) -> int:
    first, last = targets.LEIC_U25_PRINTED[which]
    return int(round((first + (last - first) * (year - 2009) / (_YEAR_END - 2009)) * scale))


def _cohorts(scale: float) -> dict[tuple[int, str], tuple[dict[str, tuple[str, int]], int | None]]:
    """(year, age group) -> ({drug: ('exact' or 'max', count)}, printed total or None)."""

    def n(figure: str) -> int:
        return int(round(targets.count(figure) * scale))

    crack_max = ("max", int(round(targets.LEIC_U25_CRACK_MAX * scale)))
    return {
        (2017, "under_25"): (
            {
                "cannabis": ("exact", n("leic-2017-18-cit-u25-cannabis")),
                "cocaine": ("exact", n("leic-2017-18-cit-u25-cocaine")),
                "club_drugs": ("exact", n("leic-2017-18-cit-u25-club-drugs")),
                "crack": crack_max,
            },
            n("leic-2017-18-cit-u25-citations"),
        ),
        (2017, "40+"): (
            {
                "cannabis": ("exact", n("leic-2017-18-cit-o40-cannabis")),
                "cocaine": ("exact", n("leic-2017-18-cit-o40-cocaine")),
                "crack": ("exact", n("leic-2017-18-cit-o40-crack")),
            },
            n("leic-2017-18-cit-o40-citations"),
        ),
        (2015, "under_25"): (
            {
                "cannabis": ("exact", n("leic-2015-16-cit-u25-cannabis-low")),
                "cocaine": ("exact", n("leic-2015-16-cit-u25-cocaine")),
                "crack": crack_max,
            },
            None,
        ),
        (2013, "under_25"): ({"club_drugs": ("exact", n("leic-2013-14-cit-u25-club-drugs"))}, None),
        (2009, "40+"): ({"cocaine": ("exact", n("leic-2009-10-cit-o40-cocaine"))}, None),
        (2013, "40+"): ({"cannabis": ("exact", n("leic-2013-14-cit-o40-cannabis-peak"))}, None),
    }


def _new_dob(
    rng: np.random.Generator, mid: int, floor_age: np.ndarray, ages: tuple[int, int] = (18, 24)
) -> np.ndarray:
    """Birth dates that make each ``ages`` (18-24 unless told) at ``mid``, never younger than
    ``floor_age``."""
    age = np.maximum(rng.integers(ages[0], ages[1] + 1, len(floor_age)), floor_age)
    # born in the quarter before the birthday that makes ``age`` at the midpoint
    return mid - np.floor((age + 0.25) * 365.25).astype(np.int64) - rng.integers(0, 90, len(age))


def younger_presentations(
    rng: np.random.Generator,
    scale: float,
    eps: Table,
    presenting: dict[int, np.ndarray],
    cohort: np.ndarray,
    births: np.ndarray,
) -> np.ndarray:
    """The ages (see the module): ``presenting`` maps a year to its new presentations'
    presenting episodes (every group, as ``treatment_quotas.new_presentations`` finds them);
    ``cohort`` is Table 3's people (drug treatment 2017-18); returns ``births`` changed."""
    births = births.copy()
    first_ref = first_referrals(eps, len(births))
    mid_end = tl.fy_mid(_fy(_YEAR_END))
    in_cohort = np.zeros(len(births), bool)
    in_cohort[cohort] = True
    for year in range(_YEAR_END, _BASELINE - 1, -1):
        mid = tl.fy_mid(_fy(year))
        pres = presenting[year]
        person, group = eps["person"][pres], eps["group"][pres]
        age = tl.years_between(births[person], mid)
        floor_age = np.ceil((mid - first_ref[person]) / 365.25 + 16).astype(np.int64)
        movable = (age >= 25) & (floor_age <= 24)
        if year == _YEAR_END:  # Table 3's bands stay as they are
            movable &= (age <= 29) | ~in_cohort[person]
        else:  # and the later years' presentations, and the year's over-40s, as they are
            movable &= ~np.isin(person, _later_presenting(eps, presenting, year)) & (age <= 39)
        young = age < 25
        n_young = {g: int((young & (group == g)).sum()) for g in range(len(GROUPS))}
        share = targets.LEIC_U25_ALCOHOL_ONLY_SHARE
        want = {
            OPIATE: _printed_u25("opiate", year, scale),
            ALCOHOL_ONLY: int(round(share * (group == ALCOHOL_ONLY).sum())),
        }
        rest = _printed_u25("all", year, scale) - sum(want.values())
        rest -= n_young[NON_OPIATE] + n_young[NON_OPIATE_ALCOHOL]
        pools = np.array([(movable & (group == g)).sum() for g in (NON_OPIATE, NON_OPIATE_ALCOHOL)])
        split = allocate(max(rest, 0), pools.astype(float))
        need = {g: want[g] - n_young[g] for g in want}
        need.update({NON_OPIATE: int(split[0]), NON_OPIATE_ALCOHOL: int(split[1])})
        for g, k in need.items():
            pos = np.flatnonzero(movable & (group == g))
            pos = pos[rng.permutation(len(pos))]
            moved = 0
            for p in pos:
                if moved >= k:
                    break
                who = person[p]
                dob = _new_dob(rng, mid, floor_age[p : p + 1])[0]
                if in_cohort[who] and year != _YEAR_END:
                    bands = band_of(tl.years_between(np.array([births[who], dob]), mid_end))
                    if bands[0] != bands[1]:
                        continue
                births[who] = dob
                moved += 1
    return births


def _later_presenting(
    eps: Table, presenting: dict[int, np.ndarray], year: int = _BASELINE
) -> np.ndarray:
    """The people presenting in any year after ``year`` (of those ``presenting`` holds)."""
    return np.unique(np.concatenate([eps["person"][p] for y, p in presenting.items() if y > year]))


def older_presentations(
    rng: np.random.Generator,
    scale: float,
    eps: Table,
    presenting: dict[int, np.ndarray],
    cohort: np.ndarray,
    births: np.ndarray,
) -> np.ndarray:
    """Opiate new presentations aged 40 and over in 2009-10: the printed 48, exactly, once the
    under-25s are met. People aged 30-39 at the year's midpoint move to 40-49 (or the reverse),
    of those who present in no later year the quotas read and are not in Table 3's cohort (drug
    treatment 2017-18), so every later cohort keeps its ages; nobody's first referral is made
    younger than 16. Returns ``births`` changed."""
    births = births.copy()
    mid = tl.fy_mid(_fy(_BASELINE))
    pres = presenting[_BASELINE]
    person = np.unique(eps["person"][pres[eps["group"][pres] == OPIATE]])
    age = tl.years_between(births[person], mid)
    want = int(round(targets.count("leic-2009-10-cit-o40-opiates") * scale))
    have = int((age >= 40).sum())
    first_ref = first_referrals(eps, len(births))
    floor_age = np.ceil((mid - first_ref[person]) / 365.25 + 16).astype(np.int64)
    free = ~np.isin(person, _later_presenting(eps, presenting)) & ~np.isin(person, cohort)
    if have > want:
        pool, ages = free & (age >= 40) & (age <= 49) & (floor_age <= 39), (30, 39)
    else:
        pool, ages = free & (age >= 30) & (age <= 39), (40, 49)
    pos = np.flatnonzero(pool)
    pos = pos[rng.permutation(len(pos))][: abs(want - have)]
    births[person[pos]] = _new_dob(rng, mid, floor_age[pos], ages)
    return births


def _drug_index(codes: CodeLists) -> np.ndarray:
    """Drug group (position in ``_DRUGS``) of each treatment substance code, -1 for alcohol;
    the last entry (-1 as an index) is the empty field."""
    out = []
    opiates = codes.in_category("treatment_substance", "opiate")
    for code in codes.of("treatment_substance"):
        if code in opiates:
            out.append(_DRUGS.index("opiates"))
        elif code in _CLUB_CODES:
            out.append(_DRUGS.index("club_drugs"))
        elif code in _DRUGS:
            out.append(_DRUGS.index(code))
        else:
            out.append(-1)
    return np.array([*out, -1], np.int64)


class _Cited:
    """The substance fields of a cohort's presenting episodes, edited a drug group at a time."""

    def __init__(self, rng: np.random.Generator, eps: Table, rows: np.ndarray, codes: CodeLists):
        self.rng, self.eps, self.rows, self.codes = rng, eps, rows, codes
        self.drug_of = _drug_index(codes)
        self.subs = np.stack([eps[c][rows].astype(np.int64) for c in _SLOTS], axis=1)
        self.group = eps["group"][rows]

    def _drugs(self) -> np.ndarray:
        return self.drug_of[self.subs]  # -1 (the empty field) indexes the trailing -1

    def holders(self, d: int) -> np.ndarray:
        return (self._drugs() == d).any(axis=1)

    def total(self) -> int:
        dr = self._drugs()
        return sum(int((dr == d).any(axis=1).sum()) for d in range(len(_DRUGS)))

    def _order(self, key: np.ndarray, cand: np.ndarray) -> np.ndarray:
        pos = np.flatnonzero(cand)
        return pos[np.lexsort((self.rng.random(len(pos)), key[pos]))]

    def drop(self, d: int, k: int, substitutes: tuple[str, ...] = ()) -> int:
        """Drop drug group ``d`` from ``k`` episodes, those citing most other drug groups first;
        an episode it would leave without a drug (non-opiate groups) gets one of
        ``substitutes`` in its place (at random), or is passed over without one. Returns how
        many."""
        dr = self._drugs()
        has = (dr == d).any(axis=1)
        others = np.array([len(set(r[(r >= 0) & (r != d)].tolist())) for r in dr])
        keeps = (self.group == OPIATE) | (others >= 1)
        cand = has & (keeps | bool(substitutes))
        pick = self._order(np.where(keeps, -others, 1), cand)[: max(k, 0)]
        for i in pick:
            kept = [s for s in self.subs[i] if s >= 0 and self.drug_of[s] != d]
            if not keeps[i]:
                kept.insert(0, self._code(_DRUGS.index(str(self.rng.choice(substitutes)))))
            self.subs[i] = (kept + [-1, -1, -1])[:3]
        return len(pick)

    def add(self, d: int, k: int) -> int:
        """Add drug group ``d`` in a free field of ``k`` episodes not citing it (those citing
        fewest first); returns how many."""
        dr = self._drugs()
        free = (self.subs < 0).any(axis=1)
        count = (dr >= 0).sum(axis=1)
        fillers = np.isin(dr, [_DRUGS.index(f) for f in _FILLERS]) | (dr < 0)
        only_fillers = fillers.all(axis=1) & (count > 0)  # first, so their filler can go
        pick = self._order(2 * count - only_fillers, free & ~(dr == d).any(axis=1))[: max(k, 0)]
        for i in pick:
            self.subs[i, int(np.flatnonzero(self.subs[i] < 0)[0])] = self._code(d)
        return len(pick)

    def move_to_filler_only(self, d: int, filler_groups: list[int]) -> int:
        """Drug group ``d`` moves from episodes that keep a drug without it (those citing most
        first) to those citing nothing but ``filler_groups``, in place of their first filler:
        as many cite ``d``, and each move takes one from the cohort's total. Returns how many
        moved."""
        dr = self._drugs()
        fillers = np.isin(dr, filler_groups)
        only = (fillers | (dr < 0)).all(axis=1) & fillers.any(axis=1)
        others = np.array([len(set(r[(r >= 0) & (r != d)].tolist())) for r in dr])
        donors = (dr == d).any(axis=1) & ((self.group == OPIATE) | (others >= 1))
        give = self._order(-others, donors)
        take = self._order(np.zeros(len(dr)), only)
        n = min(len(give), len(take))
        for i, j in zip(give[:n], take[:n], strict=True):
            kept = [s for s in self.subs[i] if s >= 0 and self.drug_of[s] != d]
            self.subs[i] = (kept + [-1, -1, -1])[:3]
            self.subs[j, int(np.flatnonzero(fillers[j])[0])] = self._code(d)
        return n

    def _code(self, d: int) -> int:
        """A treatment substance code of drug group ``d`` (a club drug drawn at random)."""
        ts = "treatment_substance"
        if _DRUGS[d] == "club_drugs":
            return self.codes.index(ts, str(self.rng.choice(_CLUB_CODES, p=_CLUB_WEIGHTS)))
        if _DRUGS[d] == "opiates":
            raise ValueError("opiate citations are met by the ages, not added")
        return self.codes.index(ts, _DRUGS[d])

    def write(self) -> None:
        for j, c in enumerate(_SLOTS):
            self.eps[c][self.rows] = self.subs[:, j]


def cited_drugs(
    rng: np.random.Generator,
    scale: float,
    eps: Table,
    presenting: dict[int, np.ndarray],
    births: np.ndarray,
    codes: CodeLists,
) -> None:
    """The drugs (see the module), in place, on the ages as ``births`` has them."""
    for (year, age_group), (printed, total) in _cohorts(scale).items():
        pres = presenting[year]
        age = tl.years_between(births[eps["person"][pres]], tl.fy_mid(_fy(year)))
        in_age = age < 25 if age_group == "under_25" else age >= 40
        rows = pres[in_age & (eps["group"][pres] != ALCOHOL_ONLY)]
        cited = _Cited(rng, eps, rows, codes)
        # drops first; a drug the cohort has no printed count for in a lone drug's place
        substitutes = tuple(f for f in (*_FILLERS, "club_drugs") if f not in printed)
        for drug, (_, want) in printed.items():
            d = _DRUGS.index(drug)
            cited.drop(d, int(cited.holders(d).sum()) - want, substitutes)
        for drug, (rule, want) in printed.items():
            d = _DRUGS.index(drug)
            if rule == "exact":
                cited.add(d, want - int(cited.holders(d).sum()))
        if total is not None:  # club drugs too make the total where no count is printed
            fillers = [_DRUGS.index(f) for f in (*_FILLERS, "club_drugs") if f not in printed]
            gap = total - cited.total()
            if gap < 0:  # every filler that can go goes, and what is short comes back below
                for d in fillers:
                    gap += cited.drop(d, int(cited.holders(d).sum()))
                # those who cite nothing but a filler: a printed drug of someone who keeps
                # another takes the place of their filler
                for drug, (rule, _) in printed.items():
                    if rule == "exact":
                        gap += cited.move_to_filler_only(_DRUGS.index(drug), fillers)
            if gap > 0:  # spread over the fillers, so no small count stands alone
                for d, k in zip(fillers, allocate(gap, np.ones(len(fillers))), strict=True):
                    cited.add(d, int(k))
        cited.write()


def pom_otc_people(
    rng: np.random.Generator, scale: float, eps: Table, area: int, codes: CodeLists
) -> None:
    """People in drug treatment in 2017-18 in ``area`` citing a POM or OTC medicine: the printed
    112 (Table 5), exactly. Where more cite one, the others' medicine is a benzodiazepine (or, as
    main drug, other); where fewer, people who cite none get one in their first episode of the
    year: in place of a benzodiazepine where they cite one, else in a free substance field."""
    ts = "treatment_substance"
    pom, benzo = codes.index(ts, "pom_otc"), codes.index(ts, "benzodiazepines")
    here = in_drug_treatment(eps, area, (OPIATE, NON_OPIATE, NON_OPIATE_ALCOHOL), _fy(_YEAR_END))
    subs = np.stack([eps[c] for c in _SLOTS], axis=1)
    cites = (subs == pom).any(axis=1)
    persons = np.unique(eps["person"][here & cites])
    k = int(round(targets.count("leic-2017-18-t5-pom-total-count") * scale))
    if len(persons) > k:
        drop = persons[rng.permutation(len(persons))[: len(persons) - k]]
        mine = np.isin(eps["person"], drop)
        taken = (subs == benzo).any(axis=1)
        for col in _SLOTS:
            sub = eps[col]
            swap = mine & (sub == pom)
            sub[swap] = np.where(taken[swap] | (col == "s1"), codes.index(ts, "other"), benzo)
    elif len(persons) < k:
        rows = np.flatnonzero(here)
        rows = rows[np.lexsort((rows, eps["referral"][rows]))]  # each person's first of the year
        people, first = np.unique(eps["person"][rows], return_index=True)
        first = rows[first][~np.isin(people, persons)]
        first = first[rng.permutation(len(first))]
        need = k - len(persons)
        for r in first:
            if need == 0:
                break
            row = subs[r]
            slot = np.flatnonzero(row == benzo) if (row == benzo).any() else np.flatnonzero(row < 0)
            if len(slot) == 0:
                continue
            eps[_SLOTS[int(slot[0])]][r] = pom
            need -= 1
