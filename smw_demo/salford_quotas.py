"""Salford's 2007-08 figures that careers give only roughly (report 004), met by quota.

**Criminal-justice referrals.** 107 of 2007-08's new presentations came by a criminal-justice
route (arrest referral, a DRR, probation, prison or another): presenting episodes with a recorded
route take or leave one until that count is met, the routes in the proportions the simulation
drew.

**The treatment bullseye.** It sets the city's opiate and crack users (PDUs) aged 15-64 against the 2006-07
prevalence estimate: 663 in treatment on 31 March 2008, 211 treated in 2007-08 but not at its
end, 191 known to treatment but not treated in the year, 618 not known. Careers alone give too
many of the known ring: the report's flows have PDUs in treatment falling by 18 % while 251 PDUs
were referred in 2007-08, so nearly every one of those referrals was a person treated before
(an estimate of 1,683 leaves room for few new ones). Two edits, on the people the rings count
(PDUs from their episodes, aged 15-64 at the year's midpoint, 30 September 2007):

- **Re-referrals.** A person whose treatment began in 2007-08 becomes, all episodes at once, a
  person of the same sex treated before 2007-08 and not in it, whose last discharge was more than
  21 days earlier (so the new episode continues no transfer, and is still a new presentation)
  and not their death. The known ring shrinks by one for each; the year's new presentations and
  in-treatment counts are unchanged. Stops at the printed known ring.
- **Exits.** Where careers give more exits than printed, some PDUs treated in 2007-08 but not at
  its end have their last episode still open at the year end (the extract's day), latest
  discharges first; where fewer, some PDUs with one open episode end it in the year's last
  quarter, for the reasons the year's other exits have. Either stops at the printed exited ring.

Run on Salford's own calendar, after ``salford.simulate_salford`` has moved it to its years.

**Ethnicity.** Once attributors are drawn (``generator.simulate``), ``salford_ethnicity`` holds
2007-08's small ethnic groups of people in treatment at their printed shares, so that none falls
below five by chance and is suppressed with its neighbour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smw_demo import areas as geo
from smw_demo import targets
from smw_demo import timeline as tl
from smw_demo.codes import CodeLists
from smw_demo.people import PersonRegistry
from smw_demo.sampling import allocate
from smw_demo.table import Table
from smw_demo.treatment_quotas import CHAIN_DAYS, exact_counts, new_presentations
from smw_demo.treatment_systems import GROUPS

#: The bullseye's rings aged 15-64 (the estimate's ages), as printed for 2007-08.
_AGES = (15, 64)
_SLOTS = ("s1", "s2", "s3")


@dataclass(frozen=True)
class _Year:
    start: int
    end: int
    mid: int

    @classmethod
    def of(cls, fy: int) -> _Year:
        return cls(tl.to_day(f"{fy}-04-01"), tl.to_day(f"{fy + 1}-03-31"), tl.to_day(f"{fy}-09-30"))


def salford_quotas(
    rng: np.random.Generator,
    scale: float,
    eps: Table,
    people: PersonRegistry,
    codes: CodeLists,
    fy: int,
) -> Table:
    """Salford's episodes with the criminal-justice referrals and the known and exited rings of
    the financial year ``fy`` (its first calendar year) at the printed counts (times ``scale``)."""
    year = _Year.of(fy)
    aims = {ring: round(n * scale) for ring, n in targets.SAL_BULLSEYE.items()}
    counted = _counted_people(eps, people, codes, year)
    _re_refer(rng, eps, people, codes, counted, year, aims["known_not_in_period"])
    _exits(rng, eps, codes, counted, year, aims["exited_in_period"])
    _cj_referrals(rng, eps, codes, year, round(targets.SAL_CJ_REFERRALS * scale))
    return eps


def _cj_referrals(
    rng: np.random.Generator, eps: Table, codes: CodeLists, year: _Year, aim: int
) -> None:
    """New presentations in the year by a criminal-justice route: ``aim`` of those recorded."""
    src = "referral_source"
    every = tuple(range(len(GROUPS)))
    pres = new_presentations(
        eps, codes, groups=every, area=geo.SALFORD_INDEX, days=(year.start, year.end)
    )
    rs = eps[src]
    rec = pres[rs[pres] >= 0]
    routes = codes.indices(src, codes.in_category(src, "criminal_justice"))
    drawn = np.array([(rs[rec] == c).sum() for c in routes], float)
    want = allocate(aim, drawn + 0.5)  # + 0.5: a route none took still may be needed
    rs[rec] = exact_counts(
        rng,
        rs[rec],
        dict(zip(routes.tolist(), want.tolist(), strict=True)),
        rest=codes.index(src, "other"),
    )


def _counted_people(
    eps: Table, people: PersonRegistry, codes: CodeLists, year: _Year
) -> np.ndarray:
    """Registry indices of the people the bullseye counts: PDUs aged 15-64 at the year's
    midpoint."""
    pdu = pdu_people(eps, codes)
    age = tl.years_between(people.dob[pdu], year.mid)
    return pdu[(age >= _AGES[0]) & (age <= _AGES[1])]


def pdu_people(eps: Table, codes: CodeLists) -> np.ndarray:
    """Registry indices of PDUs: people with an episode citing an opiate or crack, at any time
    (sorted)."""
    pdu_codes = codes.indices(
        "treatment_substance", (*codes.in_category("treatment_substance", "opiate"), "crack")
    )
    subs = np.stack([eps[c].astype(np.int64) for c in _SLOTS], axis=1)
    return np.unique(eps["person"][np.isin(subs, pdu_codes).any(axis=1)])


def _treated(eps: Table, year: _Year) -> np.ndarray:
    """The people with an episode open on some day of the year (sorted registry indices)."""
    ref = eps["referral"].astype(np.int64)
    dis = eps["discharge"].astype(np.int64)
    return np.unique(eps["person"][(ref <= year.end) & ((dis == tl.NO_DATE) | (dis >= year.start))])


def _rings(eps: Table, counted: np.ndarray, year: _Year) -> dict[str, np.ndarray]:
    """The people of each known ring (sorted registry indices)."""
    ref = eps["referral"].astype(np.int64)
    dis = eps["discharge"].astype(np.int64)
    open_ = dis == tl.NO_DATE
    person = eps["person"]
    treated = _treated(eps, year)
    at_end = np.unique(person[(ref <= year.end) & (open_ | (dis > year.end))])
    before = np.unique(person[~open_ & (dis < year.start)])
    in_year = np.intersect1d(treated, counted)
    return {
        "in_treatment_at_end": np.intersect1d(in_year, at_end),
        "exited_in_period": np.setdiff1d(in_year, at_end),
        "known_not_in_period": np.setdiff1d(np.intersect1d(before, counted), treated),
    }


def _re_refer(
    rng: np.random.Generator,
    eps: Table,
    people: PersonRegistry,
    codes: CodeLists,
    counted: np.ndarray,
    year: _Year,
    aim: int,
) -> None:
    """People new to treatment in the year become people of the known ring (see the module)."""
    known = _rings(eps, counted, year)["known_not_in_period"]
    wanted = len(known) - aim
    if wanted <= 0:
        return
    person = eps["person"].copy()
    ref = eps["referral"].astype(np.int64)
    dis = eps["discharge"].astype(np.int64)
    order = np.argsort(person, kind="stable")
    bounds = np.searchsorted(person[order], [counted, counted + 1])
    first_ref = np.full(len(counted), np.iinfo(np.int64).max)
    last_dis = np.full(len(counted), np.iinfo(np.int64).min)
    died = np.zeros(len(counted), bool)  # their last episode ended in their death
    dead = codes.index("discharge_reason", "died")
    for i, (lo, hi) in enumerate(zip(*bounds, strict=True)):
        rows = order[lo:hi]
        if len(rows):
            first_ref[i] = ref[rows].min()
            last_dis[i] = dis[rows].max()
            died[i] = eps["reason"][rows[np.argmax(dis[rows])]] == dead
    is_known = np.isin(counted, known) & ~died
    newcomers = np.flatnonzero((first_ref >= year.start) & (first_ref <= year.end))
    newcomers = newcomers[rng.permutation(len(newcomers))]
    sex = people.sex[counted]
    free = is_known.copy()
    moved = 0
    for n in newcomers:
        if moved == wanted:
            break
        fits = np.flatnonzero(free & (sex == sex[n]) & (last_dis < first_ref[n] - CHAIN_DAYS))
        if not len(fits):
            continue
        k = int(fits[rng.integers(len(fits))])
        free[k] = False
        person[order[bounds[0][n] : bounds[1][n]]] = counted[k]
        moved += 1
    eps["person"] = person


def _exits(
    rng: np.random.Generator,
    eps: Table,
    codes: CodeLists,
    counted: np.ndarray,
    year: _Year,
    aim: int,
) -> None:
    """The exited ring at ``aim``: exited people whose last episode stays open at the year end,
    or, where careers leave too few, people in treatment at the end whose open episode ends in
    the year's last quarter (see the module)."""
    rings = _rings(eps, counted, year)
    wanted = len(rings["exited_in_period"]) - aim
    if wanted == 0:
        return
    person = eps["person"]
    dis = eps["discharge"].astype(np.int64)
    discharge, reason = eps["discharge"].copy(), eps["reason"].copy()
    if wanted > 0:
        rows = np.flatnonzero(np.isin(person, rings["exited_in_period"]))
        # each exited person's last episode (latest discharge, then row): all are discharged
        rows = rows[np.lexsort((rows, dis[rows], person[rows]))]
        last = rows[np.r_[person[rows][1:] != person[rows][:-1], True]]
        # latest discharges first; ties in a random order
        pick = last[np.lexsort((rng.random(len(last)), -dis[last]))][:wanted]
        discharge[pick] = tl.NO_DATE
        reason[pick] = -1
    else:
        # people with one open episode, referred before the year's last quarter
        quarter = year.end - 90
        open_ = np.flatnonzero(np.isin(person, rings["in_treatment_at_end"]) & (dis == tl.NO_DATE))
        ones, n_open = np.unique(person[open_], return_counts=True)
        open_ = open_[np.isin(person[open_], ones[n_open == 1])]
        open_ = open_[eps["referral"][open_] < quarter]
        pick = np.sort(rng.choice(open_, size=min(-wanted, len(open_)), replace=False))
        discharge[pick] = quarter + rng.integers(1, 91, len(pick))
        # reasons as the year's own exits of the people counted (a tiny demo may have none)
        ended = (dis >= year.start) & (dis <= year.end) & np.isin(person, counted)
        reasons = eps["reason"][ended]
        if not len(reasons):
            reasons = np.array([codes.index("discharge_reason", "dropped_out")])
        reason[pick] = rng.choice(reasons, len(pick))
        for col in ("triage", "first_int"):
            values = eps[col].copy()
            late = values[pick] > discharge[pick]
            values[pick[late]] = tl.NO_DATE
            eps[col] = values
    eps["discharge"], eps["reason"] = discharge, reason


def salford_ethnicity(
    rng: np.random.Generator, eps: Table, people: PersonRegistry, codes: CodeLists, fy: int
) -> None:
    """Once attributors are drawn: of the people in treatment in the year ``fy`` with their
    ethnicity stated, the small groups are exactly their printed shares (Asian 0.6 %, Black
    1.8 %, Mixed and Other 2.3 % between them; ``targets.SAL_ETHNIC_GROUP_SHARES``), White
    British people taking or giving the difference. ``PersonRegistry.finalise`` meets the city's
    weights over all of its people, and re-referrals (``_re_refer``) leave some of those people
    without an episode, so a group of about five could fall below five by chance and be
    suppressed, with the next smallest group beside it."""
    treated = _treated(eps, _Year.of(fy))
    eth = people.ethnicity
    stated = treated[eth[treated] != codes.index("ethnicity", "Z")]
    white_british = codes.index("ethnicity", "A")
    for group, share in targets.SAL_ETHNIC_GROUP_SHARES.items():
        members = codes.indices("ethnicity", codes.in_category("ethnicity", group))
        have = stated[np.isin(eth[stated], members)]
        k = round(share * len(stated))
        if len(have) > k:
            eth[np.sort(rng.choice(have, len(have) - k, replace=False))] = white_british
        elif len(have) < k:
            pool = stated[eth[stated] == white_british]
            pick = np.sort(rng.choice(pool, min(k - len(have), len(pool)), replace=False))
            weights = np.array([targets.SAL_ETHNICITY[codes.of("ethnicity")[m]] for m in members])
            eth[pick] = rng.choice(members, len(pick), p=weights / weights.sum()).astype(eth.dtype)
