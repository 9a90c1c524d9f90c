"""Details of DIP contacts: drugs mentioned, outcomes and the other recorded fields; see
``justice``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from smw_demo.codes import CodeLists
from smw_demo.justice_calibration import COCAINE_USER, OTHER_USER, SEFTON
from smw_demo.people import SEX_FEMALE, SEX_MALE
from smw_demo.sampling import allocate, categories, exact_categories
from smw_demo.table import Table
from smw_demo.treatment_systems import BOTH, CRACK_ONLY, OPIATE_ONLY

_MENTIONS = {  # per profile: always-mentioned drugs, then optional (drug, probability)
    OPIATE_ONLY: (
        ("heroin",),
        (("cocaine", 0.2), ("cannabis", 0.15), ("benzodiazepines", 0.15), ("methadone", 0.08)),
    ),
    BOTH: (("heroin", "crack"), (("cocaine", 0.15), ("cannabis", 0.12), ("benzodiazepines", 0.1))),
    CRACK_ONLY: (("crack",), (("cocaine", 0.35), ("cannabis", 0.3))),
    COCAINE_USER: (
        ("cocaine",),
        (
            ("cannabis", 0.42),
            ("ecstasy", 0.07),
            ("amphetamine", 0.06),
            ("ketamine", 0.05),
            ("benzodiazepines", 0.06),
        ),
    ),
    OTHER_USER: (
        (),
        (
            ("cannabis", 0.75),
            ("amphetamine", 0.15),
            ("benzodiazepines", 0.15),
            ("nps_other", 0.06),
            ("pom_otc", 0.06),
            ("other", 0.05),
        ),
    ),
}


def _exact_within(
    rng: np.random.Generator, group: np.ndarray, probs: Callable[[int], np.ndarray]
) -> np.ndarray:
    """A category per row, in exactly the proportions ``probs(g)`` within each group ``g``
    (a team and sex: the published profile is one team's, and a few hundred independent draws
    would miss its shares by more than their tolerance)."""
    out = np.zeros(len(group), np.int64)
    for g in np.unique(group):
        rows = np.flatnonzero(group == g)
        out[rows] = exact_categories(rng, len(rows), probs(int(g)))
    return out


def _contact_details(rng: np.random.Generator, c: Table, codes: CodeLists) -> Table:
    """What the monitoring form records about the client: drugs, route, injecting, alcohol,
    offence — each drawn consistently with the contact's drug profile and sex."""
    n = len(c)
    profile = c["profile"]
    # Drugs used: a ';' list of treatment_substance codes, ~1.8 mentions per contact.
    drugs = np.empty(n, dtype=object)
    main_drug = np.empty(n, dtype=object)
    for p, (always, optional) in _MENTIONS.items():
        rows = np.flatnonzero(profile == p)
        if len(rows) == 0:
            continue
        lists: list[list[str]] = [list(always) for _ in rows]
        for drug, prob in optional:
            hit = rng.random(len(rows)) < prob
            for i in np.flatnonzero(hit):
                lists[i].append(drug)
        for j, i in enumerate(rows):
            lst = lists[j] or ["cannabis"]
            main_drug[i] = lst[0]
            drugs[i] = ";".join(lst)
    for drug in {d for v in _MENTIONS.values() for d in (*v[0], *(o for o, _ in v[1]))}:
        codes.index("treatment_substance", drug)  # every mention is a valid code
    drugs[rng.random(n) < 0.03] = ""
    # Route of the main drug.
    route_p = {
        "heroin": [0.2, 0.58, 0.14, 0.05, 0.03],  # injected, smoked, sniffed, oral, other
        "crack": [0.1, 0.88, 0.0, 0.0, 0.02],
        "cocaine": [0.01, 0.02, 0.96, 0.0, 0.01],
        "cannabis": [0.0, 0.9, 0.0, 0.08, 0.02],
    }
    route = np.full(n, -1, np.int16)
    route_codes = codes.indices("drug_route", ["injected", "smoked", "sniffed", "oral", "other"])
    drug_names = sorted(set(main_drug.tolist()), key=str)
    drug_index = np.array([drug_names.index(d) for d in main_drug])
    team_drug = c["cjit"].astype(np.int64) * len(drug_names) + drug_index
    other_route = [0.05, 0.15, 0.1, 0.6, 0.1]
    route[:] = route_codes[
        _exact_within(
            rng,
            team_drug,
            lambda g: np.array(route_p.get(drug_names[g % len(drug_names)], other_route)),
        )
    ]
    route[rng.random(n) < 0.004] = -1
    # Injecting status (recorded for ~77 %).
    inj = "injecting_status"
    ocu = profile <= CRACK_ONLY
    injector_like = ocu & (rng.random(n) < np.where(profile == CRACK_ONLY, 0.2, 0.55))
    # Per team, exactly 77 % recorded and of them the Sefton profile's 10 % currently and 14 %
    # previously injecting: the most injector-like people first.
    status = np.full(n, -1, np.int16)
    likeness = 2.0 * injector_like + ocu + rng.random(n)
    for team in np.unique(c["cjit"]):
        rows = np.flatnonzero(c["cjit"] == team)
        rows = rows[rng.permutation(len(rows))[: int(round(0.77 * len(rows)))]]
        rows = rows[np.argsort(-likeness[rows], kind="stable")]
        current, previous, _ = allocate(len(rows), np.array([0.10, 0.14, 0.76]))
        status[rows[:current]] = codes.index(inj, "currently")
        status[rows[current : current + previous]] = codes.index(inj, "previously")
        status[rows[current + previous :]] = codes.index(inj, "never")
    # Alcohol in the 28 days before assessment.
    team_sex = c["cjit"].astype(np.int64) * 2 + c["sex"]
    days_p = {SEX_MALE: np.array([0.40, 0.35, 0.25]), SEX_FEMALE: np.array([0.62, 0.21, 0.17])}
    band = _exact_within(rng, team_sex, lambda g: days_p[g % 2])
    days = np.where(
        band == 0, 0, np.where(band == 1, rng.integers(1, 5, n), rng.integers(5, 29, n))
    )
    units_p = {
        SEX_MALE: np.array([12, 26, 13, 9], float),
        SEX_FEMALE: np.array([13, 18, 5, 2], float),
    }
    # Units among the drinkers only (the published shares are of all contacts of each sex).
    drinkers = band > 0
    unit_band = np.zeros(n, np.int64)
    unit_band[drinkers] = _exact_within(rng, team_sex[drinkers], lambda g: units_p[g % 2])
    lo = np.array([1, 7, 16, 25])[unit_band]
    hi = np.array([6, 15, 24, 40])[unit_band]
    units = np.where(days == 0, 0, lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64))
    days = np.where(rng.random(n) < 0.005, -1, days)
    units = np.where(days < 0, -1, units)
    # Offence and offender management.
    off = "offence"
    sefton_like = {
        "misuse_of_drugs_act": 32,
        "theft": 30,
        "other": 16,
        "wounding_assault": 9,
        "burglary": 6,
        "robbery": 3,
        "fraud": 4,
    }
    merseyside = {
        "misuse_of_drugs_act": 25,
        "theft": 30,
        "other": 18,
        "wounding_assault": 11,
        "burglary": 8,
        "robbery": 4,
        "fraud": 4,
    }
    offence_p = {True: codes.weights(off, sefton_like), False: codes.weights(off, merseyside)}
    offence = _exact_within(rng, c["cjit"], lambda g: offence_p[g == SEFTON]).astype(np.int16)
    om = categories(
        rng, n, codes.weights("offender_management", {"none": 99, "iom": 0.7, "mappa": 0.3})
    )
    c["drugs"] = drugs
    c["main_route"] = route
    c["injecting"] = status
    c["drinking_days"] = days.astype(np.int16)
    c["units"] = units.astype(np.int16)
    c["offence"] = offence
    c["offender_management"] = om.astype(np.int16)
    c["eth_blank"] = rng.random(n) < 0.02
    return c
