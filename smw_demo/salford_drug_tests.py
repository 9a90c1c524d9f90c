"""Salford's drug tests on arrest in 2007-08 (report 004), in its custody suite.

The report prints 1,628 tests in the year, 1,344 of men and 284 of women, and for each sex the
negatives and the positives for opiates only, both and cocaine only (``targets.SAL_DRUG_TESTS``):
each cell is met exactly (times the scale). The tables count people tested, and smw counts tests,
so each person is tested once in the year, on a day spread over it. Of the people testing positive for opiates, 65 % are people of Salford's treatment
caseload (opiate users of the right sex, adults by the test), as Parker & Egginton found of PDUs
tested on arrest; of cocaine-only testers 8 %, of negative testers 5 %; the others are new people
of Salford (18 and over, a young arrestee's age mix). Run on Salford's own calendar once its
treatment is simulated and before attributors are drawn, so its new people are Salford's.
"""

from __future__ import annotations

import numpy as np

from smw_demo import areas as geo
from smw_demo import targets
from smw_demo import timeline as tl
from smw_demo.codes import CodeLists
from smw_demo.people import SEX_FEMALE, SEX_MALE, PersonRegistry, dob_for_age
from smw_demo.table import Table
from smw_demo.treatment_systems import GROUPS

#: Salford's custody suite (written after the region's suites).
SUITE = "Salford Central Custody Suite"
_FY = 2007
_KNOWN_NEGATIVE = 0.05
_SEX = {"male": SEX_MALE, "female": SEX_FEMALE}


def opiate_caseload(eps: Table, people: PersonRegistry, codes: CodeLists, day: int) -> np.ndarray:
    """Salford's opiate users in treatment in its years who never died in treatment and are
    adults on ``day`` (sorted registry indices): the people of its caseload that its custody
    suite and CJIT see."""
    known = eps["person"][eps["group"] == GROUPS.index("opiate")]
    dead = eps["person"][eps["reason"] == codes.index("discharge_reason", "died")]
    known = np.setdiff1d(known, dead)
    return known[tl.years_between(people.dob[known], day) >= 18]


def salford_drug_tests(
    rng: np.random.Generator,
    scale: float,
    people: PersonRegistry,
    eps: Table,
    codes: CodeLists,
    suite: int,
) -> Table:
    """The year's tests (see the module): person, day, suite (``suite``, the index of ``SUITE``
    in the suites written), custody area, opiates and cocaine results."""
    lo, hi = tl.to_day(f"{_FY}-04-01"), tl.to_day(f"{_FY + 1}-03-31")
    mid = tl.to_day(f"{_FY}-09-30")
    pos, neg = codes.index("test_result", "positive"), codes.index("test_result", "negative")
    # the treatment caseload by the year's end: opiate users alive, adults at its start, by sex
    known = opiate_caseload(eps, people, codes, lo)
    free = {s: rng.permutation(known[people.sex[known] == s]) for s in _SEX.values()}
    taken = {s: 0 for s in _SEX.values()}
    parts: list[Table] = []
    for (sex_name, kind), printed in targets.SAL_DRUG_TESTS.items():
        n = round(printed * scale)
        if n == 0:
            continue
        sex = _SEX[sex_name]
        opiates = kind in ("opiates_only", "both")
        share = (
            targets.SAL_PDU_TESTERS_KNOWN
            if opiates
            else targets.SAL_COCAINE_TESTERS_KNOWN
            if kind == "cocaine_only"
            else _KNOWN_NEGATIVE
        )
        n_known = min(int((rng.random(n) < share).sum()), len(free[sex]) - taken[sex])
        old = free[sex][taken[sex] : taken[sex] + n_known]
        taken[sex] += n_known
        age = 18 + rng.gamma(2.2, 7.0, n - n_known)
        new = people.add(
            dob_for_age(rng, age, mid),
            np.full(n - n_known, sex, np.int8),
            np.full(n - n_known, geo.SALFORD_INDEX, np.int8),
        )
        person = np.concatenate([old, new]).astype(np.int32)
        parts.append(
            Table(
                person=person,
                day=rng.integers(lo, hi + 1, n).astype(np.int32),
                suite=np.full(n, suite, np.int16),
                custody_la=np.full(n, geo.SALFORD_INDEX, np.int16),
                opiates=np.full(n, pos if opiates else neg, np.int16),
                cocaine=np.full(n, pos if kind in ("both", "cocaine_only") else neg, np.int16),
            )
        )
    if not parts:  # a demo too small for one test: no rows, the same columns
        empty = {"person": np.int32, "day": np.int32, "suite": np.int16, "custody_la": np.int16}
        return Table(
            **{c: np.zeros(0, t) for c, t in empty.items()},
            opiates=np.zeros(0, np.int16),
            cocaine=np.zeros(0, np.int16),
        )
    return Table.concat(parts)
