"""Salford's drug tests on arrest, 2007-08 (``smw_demo.salford_drug_tests``): each printed cell
of sex by result exactly, one test per person, in Salford's custody suite and year."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from smw_demo import areas as geo
from smw_demo import targets
from smw_demo import timeline as tl
from smw_demo.codes import load_code_lists
from smw_demo.people import SEX_FEMALE, SEX_MALE
from smw_demo.salford_drug_tests import salford_drug_tests
from smw_demo.treatment_systems import GROUPS

CODES = load_code_lists()


@pytest.mark.parametrize("scale", [0.03, 1.0])
def test_every_printed_cell_of_sex_and_result_exactly(scale: float, salford_alone) -> None:
    people, simulated = salford_alone(scale)
    eps = simulated.episodes
    before = len(people)
    tests = salford_drug_tests(np.random.default_rng(5), scale, people, eps, CODES, suite=7)
    pos = CODES.index("test_result", "positive")
    kind = np.where(
        tests["opiates"] == pos,
        np.where(tests["cocaine"] == pos, "both", "opiates_only"),
        np.where(tests["cocaine"] == pos, "cocaine_only", "negative"),
    )
    sex = np.where(people.sex[tests["person"]] == SEX_MALE, "male", "female")
    got = Counter(zip(sex.tolist(), kind.tolist(), strict=True))
    assert got == {
        k: round(v * scale) for k, v in targets.SAL_DRUG_TESTS.items() if round(v * scale)
    }
    # the tables count people: one test each, in the suite and the year
    assert len(np.unique(tests["person"])) == len(tests)
    assert (tests["suite"] == 7).all() and (tests["custody_la"] == geo.SALFORD_INDEX).all()
    assert tests["day"].min() >= tl.to_day("2007-04-01")
    assert tests["day"].max() <= tl.to_day("2008-03-31")
    # opiate positives: mostly people of the treatment caseload (adults, alive); the rest new
    opiate_users = set(eps["person"][eps["group"] == GROUPS.index("opiate")].tolist())
    dead = set(eps["person"][eps["reason"] == CODES.index("discharge_reason", "died")].tolist())
    opi = tests["person"][tests["opiates"] == pos]
    known = np.array([p in opiate_users for p in opi.tolist()])
    assert not {int(p) for p in opi} & dead
    if scale >= 1:
        assert known.mean() == pytest.approx(targets.SAL_PDU_TESTERS_KNOWN, abs=0.1)
    new = tests["person"][tests["person"] >= before]
    assert (people.home[new] == geo.SALFORD_INDEX).all()
    assert set(people.sex[new].tolist()) <= {SEX_MALE, SEX_FEMALE}
    age = tl.years_between(people.dob[tests["person"]], tests["day"])
    assert age.min() >= 17
