"""Leicestershire's under-25 new presentations and presenting substances by age group
(smw_demo/treatment_quota_citations.py): the substance fields edited a drug group at a time,
keeping every episode's group, and the printed figures met at scale 1 on the county's own
simulation, worked out as the warehouse measures them (a person once per drug group in their
presenting episode; alcohol is no drug group; under-25s presenting include alcohol-only clients)."""

from __future__ import annotations

import numpy as np
import pytest

from smw_demo import targets
from smw_demo import timeline as tl
from smw_demo.codes import load_code_lists
from smw_demo.table import Table
from smw_demo.treatment_quota_citations import (
    _CLUB_CODES,
    _DRUGS,
    _Cited,
    _drug_index,
    pom_otc_people,
)
from smw_demo.treatment_quotas import _AREA, new_presentations
from smw_demo.treatment_systems import (
    ALCOHOL_ONLY,
    GROUPS,
    NON_OPIATE,
    NON_OPIATE_ALCOHOL,
    OPIATE,
)

TS = "treatment_substance"


def _cited(subs: list[list[str]], groups: list[int], seed: int = 1) -> tuple[Table, _Cited]:
    codes = load_code_lists()
    n = len(subs)
    eps = Table(group=np.array(groups, np.int8))
    for j, c in enumerate(("s1", "s2", "s3")):
        eps[c] = np.array([codes.index(TS, s[j]) if j < len(s) else -1 for s in subs], np.int16)
    return eps, _Cited(np.random.default_rng(seed), eps, np.arange(n), codes)


def _names(eps: Table) -> list[list[str]]:
    codes = load_code_lists().of(TS)
    return [
        [codes[eps[c][r]] for c in ("s1", "s2", "s3") if eps[c][r] >= 0] for r in range(len(eps))
    ]


def test_a_drug_is_dropped_only_where_the_episode_keeps_its_group() -> None:
    subs = [["alcohol", "crack"], ["crack", "cannabis"], ["heroin", "crack"], ["crack"]]
    groups = [NON_OPIATE_ALCOHOL, NON_OPIATE, OPIATE, NON_OPIATE]
    eps, cited = _cited(subs, groups)
    crack = _DRUGS.index("crack")
    assert cited.drop(crack, 4) == 2  # the lone crack of rows 0 and 3 cannot go without a drug
    cited.write()
    assert _names(eps) == [["alcohol", "crack"], ["cannabis"], ["heroin"], ["crack"]]
    # with a substitute, a lone drug is replaced: the episode keeps a drug and its alcohol
    assert cited.drop(crack, 2, substitutes=("benzodiazepines",)) == 2
    cited.write()
    assert _names(eps) == [
        ["benzodiazepines", "alcohol"],
        ["cannabis"],
        ["heroin"],
        ["benzodiazepines"],
    ]
    assert eps["group"].tolist() == groups


def test_a_drug_is_added_in_a_free_field_to_those_citing_fewest() -> None:
    subs = [["heroin", "crack", "alcohol"], ["cannabis", "cocaine"], ["other"], ["cannabis"]]
    groups = [OPIATE, NON_OPIATE, NON_OPIATE, NON_OPIATE]
    eps, cited = _cited(subs, groups)
    ecstasy_or_other_club = _DRUGS.index("club_drugs")
    assert cited.add(ecstasy_or_other_club, 1) == 1  # row 2: fewest, and only fillers
    assert cited.add(_DRUGS.index("cocaine"), 5) == 2  # rows 2 and 3 (row 0 has no free field)
    cited.write()
    names = _names(eps)
    assert names[0] == ["heroin", "crack", "alcohol"]
    assert names[1] == ["cannabis", "cocaine"]
    assert names[2][0] == "other" and names[2][2] == "cocaine"
    assert names[2][1] in _CLUB_CODES
    assert names[3] == ["cannabis", "cocaine"]
    with pytest.raises(ValueError, match="opiate"):
        cited.add(_DRUGS.index("opiates"), 1)


def test_a_printed_drug_moves_to_those_citing_nothing_but_a_filler() -> None:
    subs = [["heroin", "cannabis"], ["cannabis", "cocaine"], ["benzodiazepines"], ["other"]]
    groups = [OPIATE, NON_OPIATE, NON_OPIATE, NON_OPIATE]
    eps, cited = _cited(subs, groups)
    cannabis = _DRUGS.index("cannabis")
    fillers = [_DRUGS.index(f) for f in ("benzodiazepines", "amphetamine", "other")]
    before = cited.total()
    assert cited.move_to_filler_only(cannabis, fillers) == 2  # two filler-only episodes
    cited.write()
    names = _names(eps)
    # as many cite cannabis, each move takes one from the total, and every group keeps a drug
    assert int(cited.holders(cannabis).sum()) == 2 and cited.total() == before - 2
    assert names[0] == ["heroin"] and names[1] == ["cocaine"]
    assert names[2] == ["cannabis"] and names[3] == ["cannabis"]
    assert eps["group"].tolist() == groups


@pytest.fixture(scope="module")
def county(simulation):
    """The county's episodes and everyone's birth dates after its quotas, at scale 1 (seed 2021),
    from the simulation ``generator.generate`` writes out (made once in the session)."""
    sim = simulation(1.0)
    return sim.county.episodes, sim.people.dob, sim.codes


def _measured(eps: Table, births: np.ndarray, codes, year: int) -> dict[str, int]:
    """Under-25s presenting and citations by age group and drug, as the warehouse counts them."""
    fy = year - tl.FIRST_FY
    pres = new_presentations(eps, codes, fy, tuple(range(len(GROUPS))))
    age = tl.years_between(births[eps["person"][pres]], tl.fy_mid(fy))
    drug = _drug_index(codes)
    out = {"under_25": int((age < 25).sum())}
    for name, inside in (("under_25", age < 25), ("40+", age >= 40)):
        rows = pres[inside & (eps["group"][pres] != ALCOHOL_ONLY)]
        cited = drug[np.stack([eps[c][rows].astype(np.int64) for c in ("s1", "s2", "s3")], 1)]
        for d, group in enumerate(_DRUGS):
            out[f"{name}|{group}"] = int((cited == d).any(axis=1).sum())
        out[f"citations {name}"] = sum(out[f"{name}|{g}"] for g in _DRUGS)
    return out


def test_the_county_meets_the_chapters_presenting_substances_at_scale_1(county) -> None:
    eps, births, codes = county
    figures = {
        2017: {
            "under_25": "leic-2017-18-np-under-25",
            "under_25|cannabis": "leic-2017-18-cit-u25-cannabis",
            "under_25|cocaine": "leic-2017-18-cit-u25-cocaine",
            "under_25|opiates": "leic-2017-18-cit-u25-opiates",
            "under_25|club_drugs": "leic-2017-18-cit-u25-club-drugs",
            "40+|opiates": "leic-2017-18-cit-o40-opiates",
            "40+|cannabis": "leic-2017-18-cit-o40-cannabis",
            "40+|cocaine": "leic-2017-18-cit-o40-cocaine",
            "40+|crack": "leic-2017-18-cit-o40-crack",
        },
        2016: {"40+|opiates": "leic-2016-17-cit-o40-opiates-peak"},
        2015: {
            "under_25|cannabis": "leic-2015-16-cit-u25-cannabis-low",
            "under_25|cocaine": "leic-2015-16-cit-u25-cocaine",
        },
        2013: {
            "under_25|club_drugs": "leic-2013-14-cit-u25-club-drugs",
            "40+|cannabis": "leic-2013-14-cit-o40-cannabis-peak",
        },
        2009: {  # the county's history: the chapter's baseline year
            "under_25": "leic-2009-10-np-under-25",
            "under_25|opiates": "leic-2009-10-cit-u25-opiates",
            "40+|opiates": "leic-2009-10-cit-o40-opiates",
            "40+|cocaine": "leic-2009-10-cit-o40-cocaine",
        },
    }
    for year, wanted in figures.items():
        got = _measured(eps, births, codes, year)
        for key, figure in wanted.items():
            assert got[key] == targets.count(figure), (year, key, got[key])
        if year in (2015, 2017):  # "under 5" (2013-14's crack is 2014-15's unmet need)
            assert got["under_25|crack"] <= targets.LEIC_U25_CRACK_MAX, year
    # the years between 2009-10 and 2017-18 near the straight line between the printed counts
    # (not printed: where too few can move, a year keeps a person or two less)
    first, last = (targets.count(f"leic-{y}-np-under-25") for y in ("2009-10", "2017-18"))
    for year in range(2010, 2017):
        line = first + (last - first) * (year - 2009) / 8
        assert abs(_measured(eps, births, codes, year)["under_25"] - line) <= 0.02 * line, year
    # the totals: within the calibration's 5 % (a lone filler drug cannot always go)
    got = _measured(eps, births, codes, 2017)
    for key, figure in (
        ("citations under_25", "leic-2017-18-cit-u25-citations"),
        ("citations 40+", "leic-2017-18-cit-o40-citations"),
    ):
        assert abs(got[key] - targets.count(figure)) <= 0.05 * targets.count(figure), key


def test_every_presenting_episode_keeps_a_drug_of_its_group(county) -> None:
    eps, _, codes = county
    drug = _drug_index(codes)
    subs = np.stack([eps[c].astype(np.int64) for c in ("s1", "s2", "s3")], 1)
    alcohol = (subs == codes.index(TS, "alcohol")).any(axis=1)
    opiate = (drug[subs] == _DRUGS.index("opiates")).any(axis=1)
    other_drug = ((drug[subs] >= 0) & (drug[subs] != _DRUGS.index("opiates"))).any(axis=1)
    here = eps["la"] == _AREA
    g = eps["group"]
    assert (opiate[here & (g == OPIATE)]).all()
    assert not (opiate | alcohol)[here & (g == NON_OPIATE)].any()
    assert other_drug[here & (g == NON_OPIATE)].all()
    assert (alcohol & other_drug & ~opiate)[here & (g == NON_OPIATE_ALCOHOL)].all()


def test_fewer_people_citing_a_pom_than_printed_get_one_in_place_of_a_benzodiazepine() -> None:
    codes = load_code_lists()
    subs = [
        ["heroin", "pom_otc"],  # already cites one
        ["heroin", "benzodiazepines", "crack"],  # the benzodiazepine becomes the medicine
        ["cannabis"],  # a free field
        ["heroin", "crack", "cocaine"],  # no benzodiazepine, no free field: passed over
        ["cannabis"],  # not in the county: left alone
    ]
    n = len(subs)
    eps = Table(
        person=np.arange(n, dtype=np.int32),
        la=np.array([_AREA] * 4 + [_AREA + 1], np.int8),
        referral=np.full(n, tl.to_day("2017-06-01"), np.int32),
        discharge=np.full(n, tl.NO_DATE, np.int32),
        group=np.array([OPIATE, OPIATE, NON_OPIATE, OPIATE, NON_OPIATE], np.int8),
    )
    for j, c in enumerate(("s1", "s2", "s3")):
        eps[c] = np.array([codes.index(TS, s[j]) if j < len(s) else -1 for s in subs], np.int16)
    want = 4  # more than can be met: three people at most
    scale = want / targets.count("leic-2017-18-t5-pom-total-count")
    pom_otc_people(np.random.default_rng(2), scale, eps, _AREA, codes)
    assert _names(eps) == [
        ["heroin", "pom_otc"],
        ["heroin", "pom_otc", "crack"],
        ["cannabis", "pom_otc"],
        ["heroin", "crack", "cocaine"],
        ["cannabis"],
    ]
