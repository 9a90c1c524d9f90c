"""Salford's DIP contacts, 2007-08 (``smw_demo.salford_dip``): the printed cells of sex and
ethnicity exactly, one contact per person, the funnel's rules, and a required assessment after
each positive test of the custody suite."""

from __future__ import annotations

import numpy as np
import pytest

from smw_demo import areas as geo
from smw_demo import targets
from smw_demo import timeline as tl
from smw_demo.generator import Simulation, simulate
from smw_demo.justice_calibration import RA, TC, TNC
from smw_demo.people import SEX_MALE


@pytest.fixture(scope="module", params=[0.03, 1.0])
def scaled(request: pytest.FixtureRequest, simulation) -> tuple[float, Simulation]:
    return request.param, simulation(request.param)


@pytest.fixture
def sim(scaled: tuple[float, Simulation]) -> Simulation:
    return scaled[1]


def test_sex_and_ethnicity_cells_as_printed(scaled: tuple[float, Simulation]) -> None:
    scale, sim = scaled
    dip, codes, people = sim.salford_dip, sim.codes, sim.people
    n = round(targets.SAL_DIP_PEOPLE * scale)
    assert len(dip) == n > 0
    assert len(np.unique(dip["person"])) == n  # the report counts people: one contact each
    assert int((people.sex[dip["person"]] == SEX_MALE).sum()) == round(targets.SAL_DIP_MALE * n)
    # every contact's sex recorded, as the true sex (men and women add up to 100 %)
    recorded = np.array(codes.of("sex"))[people.sex_code[dip["person"]]]
    assert (recorded == np.where(people.sex[dip["person"]] == SEX_MALE, "M", "F")).all()
    eth = np.where(dip["eth_blank"], -1, people.ethnicity[dip["person"]])
    not_stated = (eth < 0) | (eth == codes.index("ethnicity", "Z"))
    white_british = eth == codes.index("ethnicity", "A")
    assert int(not_stated.sum()) == round(targets.SAL_DIP_NOT_STATED * scale)
    assert int(white_british.sum()) == round(targets.SAL_DIP_WHITE_BRITISH * scale)
    other = targets.SAL_DIP_PEOPLE - targets.SAL_DIP_NOT_STATED - targets.SAL_DIP_WHITE_BRITISH
    assert abs(int((~not_stated & ~white_british).sum()) - other * scale) <= 1


def test_contacts_in_salford_year_and_funnel(sim: Simulation) -> None:
    dip, codes = sim.salford_dip, sim.codes
    assert (dip["cjit"] == geo.SALFORD_INDEX).all()
    assert not (sim.justice.dip["cjit"] == geo.SALFORD_INDEX).any()  # the region's teams only
    assert dip["day"].min() >= tl.to_day("2007-04-01")
    assert dip["day"].max() <= tl.to_day("2008-03-31")
    yes = codes.index("yes_no", "Y")
    assessed, further, caseload = (
        dip["assessed"] == yes,
        dip["further"] == yes,
        dip["caseload"] == yes,
    )
    assert (assessed[further]).all() and (further[caseload]).all()
    route = dip["route_i"]
    assert (~assessed[route == TNC]).all() and caseload[route == TC].all()
    moved = dip["transferred_to"] > 0
    assert not (moved & caseload).any()
    assert (dip["transfer_from"][(route == TC) | (route == TNC)] > 0).all()
    assert (dip["transfer_from"][(route != TC) & (route != TNC)] == 0).all()
    # nobody is seen after their death (the caseload's dead are never drawn)
    eps = sim.salford.episodes
    died = eps["reason"] == codes.index("discharge_reason", "died")
    death = dict(zip(eps["person"][died].tolist(), eps["discharge"][died].tolist(), strict=True))
    for person, day in zip(dip["person"].tolist(), dip["day"].tolist(), strict=True):
        assert day <= death.get(person, day), person


def test_a_required_assessment_follows_each_positive_test(sim: Simulation) -> None:
    dip, tests, codes = sim.salford_dip, sim.salford_tests, sim.codes
    pos = codes.index("test_result", "positive")
    positive = (tests["opiates"] == pos) | (tests["cocaine"] == pos)
    tested_on = dict(
        zip(tests["person"][positive].tolist(), tests["day"][positive].tolist(), strict=True)
    )
    ra = dip["route_i"] == RA
    assert int(ra.sum()) == min(int(positive.sum()), len(dip))
    for person, day in zip(dip["person"][ra].tolist(), dip["day"][ra].tolist(), strict=True):
        assert 0 <= day - tested_on[person] <= 2
    # and nobody else contacted by another route was tested in the year
    assert not set(dip["person"][~ra].tolist()) & set(tests["person"].tolist())


def test_a_tiny_demo_may_have_no_test_and_no_contact() -> None:
    """At a scale too small for one DIP contact (or one test), the simulation still runs."""
    tiny = simulate(2021, 0.0005)
    assert len(tiny.salford_tests) == 0 and len(tiny.salford_dip) == 0
