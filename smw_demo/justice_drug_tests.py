"""Drug tests on arrest (MDT) in the custody suites; see ``justice``."""

from __future__ import annotations

import numpy as np

from smw_demo import areas as geo
from smw_demo import timeline as tl
from smw_demo.codes import CodeLists
from smw_demo.justice_calibration import (
    COCAINE_USER,
    FY_2015,
    KNOWSLEY,
    LIVERPOOL,
    RA,
    ST_HELENS,
)
from smw_demo.ocu import OcuPool
from smw_demo.people import SEX_FEMALE, SEX_MALE, PersonRegistry, dob_for_age
from smw_demo.sampling import allocate, categories
from smw_demo.table import Table
from smw_demo.treatment_systems import BOTH, CRACK_ONLY

_EXTRA_POSITIVES = np.array([0.93, 0.05, 0.012, 0.004, 0.002, 0.0, 0.002])  # 0..6 more


def _suite_for(rng: np.random.Generator, la: np.ndarray, suite_la: np.ndarray) -> np.ndarray:
    """A custody suite in the area; Knowsley's arrests go to Liverpool (60 %) or St Helens."""
    la = la.copy()
    kn = la == KNOWSLEY
    la[kn] = np.where(rng.random(int(kn.sum())) < 0.6, LIVERPOOL, ST_HELENS)
    out = np.empty(len(la), np.int16)
    for a in np.unique(la):
        rows = np.flatnonzero(la == a)
        cand = np.flatnonzero(suite_la == a)
        out[rows] = cand[rng.integers(0, len(cand), len(rows))]
    return out


def _drug_tests(
    rng: np.random.Generator,
    dip: Table,
    y: int,
    people: PersonRegistry,
    pool: OcuPool,
    cj_prev: tuple[np.ndarray, np.ndarray],
    suites: list[str],
    suite_la: np.ndarray,
    codes: CodeLists,
) -> tuple[Table, np.ndarray]:
    pos, neg = codes.index("test_result", "positive"), codes.index("test_result", "negative")
    ra = np.flatnonzero(dip["route_i"] == RA)
    # One positive test before every required assessment.
    person = dip["person"][ra]
    day = dip["day"][ra] - rng.choice([0, 0, 0, 1, 1, 2], len(ra))
    suite = _suite_for(rng, dip["cjit"][ra].astype(np.int64), suite_la)
    profile = dip["profile"][ra]
    # Repeat positives: people with several assessments already have several tests; a few more
    # test positive again without a new assessment (Salford: 80 % once, 14 % twice, ...).
    uniq, first, count = np.unique(person, return_index=True, return_counts=True)
    extra_n = categories(rng, len(uniq), _EXTRA_POSITIVES)
    e_rows = np.repeat(first, extra_n)
    e_person = person[e_rows]
    e_day = tl.sample_days(rng, np.full(len(e_rows), y), "justice")
    e_suite = suite[e_rows]
    e_profile = profile[e_rows]
    person = np.concatenate([person, e_person])
    day = np.concatenate([day, e_day])
    suite = np.concatenate([suite, e_suite])
    profile = np.concatenate([profile, e_profile])
    opi = np.where(profile <= BOTH, pos, neg)
    coc = np.where(
        (profile == BOTH) | (profile == CRACK_ONLY) | (profile == COCAINE_USER), pos, neg
    )
    n_pos_people = len(uniq)
    # Negative tests: ≈ 29 % of people tested are positive (fewer before targeted testing).
    share = 0.29 if y >= FY_2015 else 0.25
    n_neg = int(round(n_pos_people * (1 - share) / share))
    # Arrest areas in proportion to the required assessments of each team.
    ra_la = dip["cjit"][ra].astype(np.int64)
    weights = np.bincount(ra_la, minlength=geo.N_AREAS).astype(float) + 0.5
    neg_la = np.repeat(np.arange(geo.N_AREAS), allocate(n_neg, weights))
    n_ocu = int(round(0.12 * n_neg))
    active = np.flatnonzero(pool.active(y) & ~np.isin(pool.person, uniq))
    ocu_neg = (
        pool.person[rng.choice(active, min(n_ocu, len(active)), replace=False)]
        if len(active)
        else np.zeros(0, np.int32)
    )
    prev_p, _ = cj_prev
    keep = prev_p[(rng.random(len(prev_p)) < 0.1) & ~np.isin(prev_p, uniq)]
    keep = keep[: max(n_neg - len(ocu_neg), 0)]
    k_new = max(n_neg - len(ocu_neg) - len(keep), 0)
    sex = np.where(rng.random(k_new) < 0.82, SEX_MALE, SEX_FEMALE).astype(np.int8)
    dob = dob_for_age(rng, 18 + rng.gamma(2.2, 7.0, k_new), tl.FY_MID[y])
    la_new = (
        neg_la[rng.permutation(len(neg_la))][:k_new] if len(neg_la) else np.zeros(k_new, np.int64)
    )
    new = people.add(dob, sex, la_new.astype(np.int8))
    neg_people = np.concatenate([ocu_neg, keep, new]).astype(np.int32)
    n_tests = 1 + categories(rng, len(neg_people), np.array([0.92, 0.07, 0.01]))
    neg_person = np.repeat(neg_people, n_tests)
    arrest_la = people.home[neg_person].astype(np.int64)
    out_of_region = arrest_la >= geo.N_AREAS
    arrest_la[out_of_region] = rng.integers(0, geo.N_AREAS, int(out_of_region.sum()))
    elsewhere = rng.random(len(neg_person)) < 0.15
    arrest_la[elsewhere] = geo.pick_neighbour(rng, arrest_la[elsewhere])
    neg_suite = _suite_for(rng, arrest_la, suite_la)
    neg_day = tl.sample_days(rng, np.full(len(neg_person), y), "justice")
    person = np.concatenate([person, neg_person])
    day = np.concatenate([day, neg_day])
    suite = np.concatenate([suite, neg_suite])
    opi = np.concatenate([opi, np.full(len(neg_person), neg)])
    coc = np.concatenate([coc, np.full(len(neg_person), neg)])
    # Tests just before 1 April belong to the previous year; keep them inside the window.
    day = np.clip(day, tl.START_DAY, tl.END_DAY).astype(np.int32)
    return (
        Table(
            person=person.astype(np.int32),
            day=day,
            suite=suite.astype(np.int16),
            custody_la=suite_la[suite].astype(np.int16),
            opiates=opi.astype(np.int16),
            cocaine=coc.astype(np.int16),
        ),
        new,
    )
