"""Salford's DIP contacts in 2007-08 (report 004, "Diversity: DIP paperwork 2007/08").

The report counts 674 individuals with DIP paperwork in the year (``targets.SAL_DIP_PEOPLE``),
83.6 % of them men; 17 with no ethnicity stated, 611 White British and 46 of other groups (Asian
3, Black 11, Mixed 12, other White 12, other or undetermined 8). smw counts contacts, so each
person has one contact in the year, and each of those cells is met exactly (times the scale).

Salford's CJIT sees the people its custody suite tested positive (``salford_drug_tests``): each
has a required assessment a day or two after the test, with the drug profile of the result
(opiates only, both, cocaine only). The others come by the other routes (courts, probation,
prison transfers, self-referral): half the opiate and crack users among them from Salford's
treatment caseload, the rest new people of Salford. The funnel after the route (assessment,
further intervention, caseload) and the form's other fields follow the region's teams
(``justice_contacts._contact_details``). Run after Salford's tests and before attributors are
drawn; ``salford_dip_attributes`` then records their sex and sets the ethnicity cells once
they are.
"""

from __future__ import annotations

import numpy as np

from smw_demo import areas as geo
from smw_demo import targets
from smw_demo import timeline as tl
from smw_demo.codes import CodeLists
from smw_demo.justice_calibration import COCAINE_USER, PROFILE_OTHER, RA, ROUTES, TC, TNC
from smw_demo.justice_contacts import _contact_details
from smw_demo.justice_funnel import _Vocab
from smw_demo.people import SEX_FEMALE, SEX_MALE, PersonRegistry, dob_for_age
from smw_demo.salford_drug_tests import opiate_caseload
from smw_demo.sampling import categories, exact_categories
from smw_demo.table import Table
from smw_demo.treatment_systems import BOTH, CRACK_ONLY, OPIATE_ONLY

_FY = 2007
#: the routes other than a required assessment, ROUTES[1:]: conditional caution to other in
#: the region's teams' mix (60 %), then transfers in from prison, completed and not (40 %)
_OTHER_ROUTES = np.r_[np.array([1, 3, 26, 31, 11, 4, 8]) / 84 * 0.60, 0.35, 0.05]
_KNOWN_OCU = 0.5
_OWN_RESIDENTS = 0.85
#: where others live (Wigan, Lancashire; all-LA indices) and the prisons of transfers in and out
_ELSEWHERE = (geo.ALL_LA_CODES.index("E08000010"), geo.ALL_LA_CODES.index("E10000017"))
_PRISON, _FEMALE_PRISON = "HMP Forest Bank", "HMP Styal"
#: the non-White British groups' ONS codes, weighted by the report's counts
_OTHER_GROUPS = {
    "asian": ("HJKL", "dip-ethnicity-asian"),
    "black": ("MNP", "dip-ethnicity-black"),
    "mixed": ("DEFG", "dip-ethnicity-mixed"),
    "white_other": ("BC", "dip-ethnicity-white"),
    "other": ("S", "dip-ethnicity-non-white"),
    "undetermined": ("S", "dip-ethnicity-undetermined"),
}


def salford_dip(
    rng: np.random.Generator,
    scale: float,
    people: PersonRegistry,
    eps: Table,
    tests: Table,
    codes: CodeLists,
    vocab: _Vocab,
) -> Table:
    """The year's contacts (see the module), with the columns of the region's contacts."""
    n = round(targets.SAL_DIP_PEOPLE * scale)
    if n == 0:
        return Table()
    lo, hi = tl.to_day(f"{_FY}-04-01"), tl.to_day(f"{_FY + 1}-03-31")
    pos = codes.index("test_result", "positive")
    # every person tested positive: a required assessment a day or two after the test
    positive = np.flatnonzero((tests["opiates"] == pos) | (tests["cocaine"] == pos))[:n]
    ra_person = tests["person"][positive]
    opiates, cocaine = tests["opiates"][positive] == pos, tests["cocaine"][positive] == pos
    ra_profile = np.where(opiates, np.where(cocaine, BOTH, OPIATE_ONLY), COCAINE_USER)
    ra_day = np.minimum(tests["day"][positive] + rng.integers(0, 3, len(positive)), hi)
    # the others: sexes so that the year's contacts are 83.6 % men
    k = n - len(positive)
    men = round(targets.SAL_DIP_MALE * n) - int((people.sex[ra_person] == SEX_MALE).sum())
    sex = np.full(k, SEX_FEMALE, np.int8)
    sex[rng.permutation(k)[: min(max(men, 0), k)]] = SEX_MALE
    route = exact_categories(rng, k, _OTHER_ROUTES) + 1
    profile = categories(rng, k, PROFILE_OTHER).astype(np.int8)
    person = _others(rng, people, eps, sex, profile, np.unique(tests["person"]), lo, codes)
    c = Table(
        cjit=np.full(n, geo.SALFORD_INDEX, np.int8),
        route_i=np.concatenate([np.full(len(positive), RA), route]).astype(np.int8),
        sex=np.concatenate([people.sex[ra_person], sex]).astype(np.int8),
        profile=np.concatenate([ra_profile, profile]).astype(np.int8),
        person=np.concatenate([ra_person, person]).astype(np.int32),
        day=np.concatenate([ra_day, _other_days(rng, ra_day, k)]).astype(np.int32),
    )
    _funnel(rng, c, codes, vocab)
    return _contact_details(rng, c, codes)


def _other_days(rng: np.random.Generator, ra_day: np.ndarray, k: int) -> np.ndarray:
    """Days of the year for ``k`` contacts by the other routes: any day, except that a month
    with no required assessment gets one of them first, latest month first. The team records
    contacts in every month it can, so even a small demo's extract reaches the year's end (an
    area's own years are published only to the last month its data reach)."""
    days = rng.integers(tl.to_day(f"{_FY}-04-01"), tl.to_day(f"{_FY + 1}-03-31") + 1, k)
    starts = [tl.to_day(f"{_FY + (m + 3) // 12}-{(m + 3) % 12 + 1:02d}-01") for m in range(13)]
    seen = set(np.searchsorted(starts, ra_day, side="right").tolist())
    empty = [m for m in range(12, 0, -1) if m not in seen][:k]  # 1-based months, latest first
    for i, m in enumerate(empty):
        days[i] = rng.integers(starts[m - 1], starts[m])
    return days


def _others(
    rng: np.random.Generator,
    people: PersonRegistry,
    eps: Table,
    sex: np.ndarray,
    profile: np.ndarray,
    tested: np.ndarray,
    start: int,
    codes: CodeLists,
) -> np.ndarray:
    """A person for each contact by another route: half the opiate and crack users from the
    treatment caseload (adults of the contact's sex, alive, not tested in the year), the others
    new."""
    caseload = np.setdiff1d(opiate_caseload(eps, people, codes, start), tested)
    free = {s: rng.permutation(caseload[people.sex[caseload] == s]) for s in (SEX_MALE, SEX_FEMALE)}
    person = np.full(len(sex), -1, np.int64)
    known = np.flatnonzero((profile <= CRACK_ONLY) & (rng.random(len(sex)) < _KNOWN_OCU))
    for s in (SEX_MALE, SEX_FEMALE):
        rows = known[sex[known] == s][: len(free[s])]
        person[rows] = free[s][: len(rows)]
    new = np.flatnonzero(person < 0)
    age = 18 + rng.gamma(2.6, 5.5, len(new))
    person[new] = people.add(
        dob_for_age(rng, age, start + 182),
        sex[new],
        np.full(len(new), geo.SALFORD_INDEX, np.int8),
    )
    return person


def _funnel(rng: np.random.Generator, c: Table, codes: CodeLists, vocab: _Vocab) -> None:
    """Assessment, further intervention, caseload, transfers in and out and residence, as the
    region's teams record them (``justice_funnel``), for a team with a prison in its area."""
    n = len(c)
    route = c["route_i"].astype(np.int64)
    # a completed transfer in is assessed and on the caseload; a few others refuse assessment
    assessed = (route != TNC) & ((route == TC) | (rng.random(n) >= 0.003))
    further = (route == TC) | (assessed & (rng.random(n) < 0.73))
    caseload = (route == TC) | (further & (rng.random(n) < 0.70))
    prison = np.where(c["sex"] == SEX_FEMALE, vocab(_FEMALE_PRISON), vocab(_PRISON))
    transfer_from = np.where((route == TC) | (route == TNC), prison, 0).astype(np.int32)
    moved = further & ~caseload & (rng.random(n) < 0.5)
    to_prison = moved & (rng.random(n) < 0.6)
    wigan = vocab(geo.cjit_name(_ELSEWHERE[0]))
    transferred_to = np.where(to_prison, prison, np.where(moved, wigan, 0)).astype(np.int32)
    residence = np.full(n, geo.SALFORD_INDEX, np.int16)
    away = rng.random(n) >= _OWN_RESIDENTS
    residence[away] = np.array(_ELSEWHERE)[categories(rng, int(away.sum()), np.array([3, 1.0]))]
    residence[moved & ~to_prison] = _ELSEWHERE[0]
    yes, no = codes.index("yes_no", "Y"), codes.index("yes_no", "N")
    c["route"] = codes.indices("dip_route", list(ROUTES))[route]
    c["assessed"] = np.where(assessed, yes, no).astype(np.int16)
    c["further"] = np.where(assessed, np.where(further, yes, no), -1).astype(np.int16)
    c["caseload"] = np.where(further, np.where(caseload, yes, no), -1).astype(np.int16)
    c["transfer_from"] = transfer_from
    c["transferred_to"] = transferred_to
    c["residence"] = residence


def salford_dip_attributes(
    rng: np.random.Generator, dip: Table, people: PersonRegistry, eps: Table, codes: CodeLists
) -> None:
    """Once attributors are drawn: every contact's sex recorded (the report's shares of men and
    women add up to 100 %), and the ethnicity cells exactly as the report prints them (times
    the scale). People of Salford's treatment caseload keep their ethnicity (its figures are
    calibrated on its own); the others' are set, and the contacts with no ethnicity recorded
    are theirs."""
    n = len(dip)
    if n == 0:
        return
    sex = codes.of("sex")
    recorded = np.where(people.sex[dip["person"]] == SEX_MALE, sex.index("M"), sex.index("F"))
    if (people.sex_code[dip["person"]] != recorded).any():
        people.sex_code[dip["person"]] = recorded.astype(people.sex_code.dtype)
        people.make_unique(rng)  # a recorded sex can make two attributors one
    scale = n / targets.SAL_DIP_PEOPLE
    eth = people.ethnicity
    not_stated, white_british = codes.index("ethnicity", "Z"), codes.index("ethnicity", "A")
    person = dip["person"]
    fixed = np.isin(person, eps["person"])
    blank = np.zeros(n, bool)
    free = rng.permutation(np.flatnonzero(~fixed))
    # the not stated: the caseload's people recorded so, then blanks among the others
    extra = max(
        round(targets.SAL_DIP_NOT_STATED * scale) - int((eth[person[fixed]] == not_stated).sum()), 0
    )
    blank[free[:extra]] = True
    free = free[extra:]
    # White British: the caseload's, then as many of the others as the cell still needs
    wb = round(targets.SAL_DIP_WHITE_BRITISH * scale) - int(
        (eth[person[fixed]] == white_british).sum()
    )
    wb = min(max(wb, 0), len(free))
    eth[person[free[:wb]]] = white_british
    rest = person[free[wb:]]
    codes_, weights = [], []
    for letters, figure in _OTHER_GROUPS.values():
        for letter in letters:
            codes_.append(codes.index("ethnicity", letter))
            weights.append(targets.published(f"sal-2007-08-{figure}") / len(letters))
    eth[rest] = np.array(codes_)[exact_categories(rng, len(rest), np.array(weights))].astype(
        eth.dtype
    )
    dip["eth_blank"] = blank
