"""NDTMS episodes of simulated treatment careers: people, providers, episode attributes and
the Wirral re-commissioning; see ``treatment``."""

from __future__ import annotations

import numpy as np

from smw_demo import areas as geo
from smw_demo import timeline as tl
from smw_demo.codes import CodeLists
from smw_demo.people import SEX_MALE, PersonRegistry, dob_for_age
from smw_demo.sampling import categories
from smw_demo.table import Table
from smw_demo.treatment_systems import (
    _N_LOCAL,
    ALCOHOL_ONLY,
    BOTH,
    COMPLETED,
    CRACK_ONLY,
    CUSTODY,
    NON_OPIATE,
    NON_OPIATE_ALCOHOL,
    OPIATE,
    OPIATE_ONLY,
    PROVIDER_ALCOHOL,
    PROVIDER_COMMUNITY,
    PROVIDER_NEW_COMMUNITY,
    PROVIDER_SHARED_CARE,
    RECOMMISSIONED_AREA,
    RECOMMISSIONED_ON,
    UNPLANNED,
    TreatedPeople,
    TreatmentSystem,
    _local_provider,
    _unit,
)

_NON_OPIATE_DRUGS = {
    "cannabis": 40,
    "cocaine": 35,
    "amphetamine": 7,
    "benzodiazepines": 6,
    "ecstasy": 3,
    "ketamine": 2,
    "mephedrone": 2,
    "nps_other": 1,
    "pom_otc": 2,
    "other": 2,
}
#: Adjunctive drugs of opiate clients. POM/OTC medicines are cited by about one in ten people in
#: drug treatment (LEIC 2017-18: 8 % locally, 14 % in England).
_ADJUNCT = {"alcohol": 25, "cannabis": 20, "cocaine": 12, "benzodiazepines": 15, "pom_otc": 22}


def _episodes_for_group(
    rng: np.random.Generator,
    g: int,
    c: dict[str, np.ndarray],
    people: PersonRegistry,
    codes: CodeLists,
    system: TreatmentSystem,
) -> tuple[Table, TreatedPeople]:
    p = system.params[g]
    inpatient = _unit(system, system.inpatient)
    residential = _unit(system, system.residential)
    keep = c["keep"] & (c["end"] >= system.first_day)
    in_window = keep.any(axis=1)
    idx = np.flatnonzero(in_window)
    n = len(idx)
    la = c["la"][idx].astype(np.int8)
    first_start = c["start"][idx, 0]
    # People: sex, age at first journey (the career may have begun before the window).
    sex = np.where(rng.random(n) < p.male, SEX_MALE, 1).astype(np.int8)
    age = p.age_base + rng.gamma(p.age_k, p.age_theta, n)
    age = np.minimum(age + np.where(sex == SEX_MALE, *system.age_shift), 72.0)
    dob = dob_for_age(rng, age, first_start)
    service = la.copy()
    move = rng.random(n) < 0.12
    service[move] = geo.pick_neighbour(rng, la[move])
    pid = people.add(dob, sex, la, service)
    # OCU type and injecting.
    drug_type = np.full(n, -1, np.int8)
    primary = np.full(n, -1, np.int16)
    ts = "treatment_substance"
    if g == OPIATE:
        drug_type[:] = np.where(rng.random(n) < system.both_share, BOTH, OPIATE_ONLY)
        injector = rng.random(n) < 0.7
    else:
        crack_share = {NON_OPIATE: 0.25, NON_OPIATE_ALCOHOL: 0.15}.get(g, 0.0)
        crack = rng.random(n) < crack_share
        drug_type[crack] = CRACK_ONLY
        injector = crack & (rng.random(n) < 0.12) | (~crack & (rng.random(n) < 0.03))
        if g != ALCOHOL_ONLY:
            primary[:] = codes.indices(ts, list(_NON_OPIATE_DRUGS))[
                categories(rng, n, np.array(list(_NON_OPIATE_DRUGS.values()), float))
            ]
            primary[crack] = codes.index(ts, "crack")
    if g == ALCOHOL_ONLY:
        injector[:] = False
    # Substances per person (fixed across their episodes).
    s1 = np.full(n, -1, np.int16)
    s2 = np.full(n, -1, np.int16)
    s3 = np.full(n, -1, np.int16)
    alcohol = codes.index(ts, "alcohol")
    if g == OPIATE:
        s1[:] = codes.indices(ts, ["heroin", "methadone", "other_opiates"])[
            categories(rng, n, np.array([0.78, 0.08, 0.14]))
        ]
        crack_code = codes.index(ts, "crack")
        both = drug_type == BOTH
        s2[both] = crack_code
        adj_codes = codes.indices(ts, list(_ADJUNCT))
        adjunct = system.adjunct or _ADJUNCT
        adj = adj_codes[categories(rng, n, np.array(list(adjunct.values()), float))]
        has_adj = rng.random(n) < 0.45
        s2[~both & has_adj] = adj[~both & has_adj]
        s3[both & has_adj] = adj[both & has_adj]
    elif g == NON_OPIATE:
        s1[:] = primary
        second = codes.indices(ts, ["cannabis", "cocaine", "benzodiazepines", "ecstasy"])[
            categories(rng, n, np.array([0.4, 0.3, 0.2, 0.1]))
        ]
        has2 = (rng.random(n) < 0.3) & (second != primary)
        s2[has2] = second[has2]
    elif g == NON_OPIATE_ALCOHOL:
        alc_first = rng.random(n) < 0.5
        s1[:] = np.where(alc_first, alcohol, primary)
        s2[:] = np.where(alc_first, primary, alcohol)
        third = codes.index(ts, "cannabis")
        has3 = (rng.random(n) < 0.15) & (primary != third)
        s3[has3] = third
    else:
        s1[:] = alcohol
    tp = TreatedPeople(
        person=pid,
        group=np.full(n, g, np.int8),
        drug_type=drug_type,
        injector=injector,
        primary=primary,
        first_fy=np.zeros(n, np.int8),
        last_fy=np.zeros(n, np.int8),
    )
    # Flatten the journeys that overlap the window.
    ci, jj = np.nonzero(keep[idx])
    j_start = c["start"][idx][ci, jj]
    j_end = c["end"][idx][ci, jj]
    j_out = c["outcome"][idx][ci, jj]
    j_died = c["died"][idx][ci, jj]
    j_early = c["early"][idx][ci, jj]
    tp.first_fy[:] = 99
    np.minimum.at(tp.first_fy, ci, np.clip(tl.fy_of(j_start), 0, tl.N_YEARS - 1).astype(np.int8))
    tp.last_fy[:] = -1
    # -1: the person's journeys all ended before the window (the county's history)
    np.maximum.at(tp.last_fy, ci, np.clip(tl.fy_of(j_end), -1, tl.N_YEARS - 1).astype(np.int8))
    m = len(ci)
    # Provider of the journey.
    if g == ALCOHOL_ONLY:
        which = np.where(rng.random(m) < 0.8, PROVIDER_ALCOHOL, PROVIDER_COMMUNITY)
    else:
        which = np.where(rng.random(m) < 0.86, PROVIDER_COMMUNITY, PROVIDER_SHARED_CARE)
    provider = _local_provider(la[ci], which)
    # Transfers split a journey into two episodes at another provider.
    transfer = (~j_early) & (rng.random(m) < p.p_transfer) & (j_end - j_start > 120)
    split = j_start + ((j_end - j_start) * rng.uniform(0.25, 0.75, m)).astype(np.int64)
    tgap = np.where(rng.random(m) < 0.96, rng.integers(0, 22, m), rng.integers(22, 31, m))
    tgap[rng.random(m) < 0.08] = 21  # exactly three weeks: the boundary of the chaining rule
    dest_u = rng.random(m)
    dest_provider = np.where(
        dest_u < 0.4,
        inpatient,
        np.where(
            # residential rehabilitation: about 2 % of people in treatment a year
            dest_u < 0.4 + system.p_residential,
            residential,
            _local_provider(
                la[ci],
                np.where(which == PROVIDER_COMMUNITY, PROVIDER_SHARED_CARE, PROVIDER_COMMUNITY),
            ),
        ),
    ).astype(np.int16)
    # Episode rows: first part of every journey, then the second part of transferred journeys.
    t_idx = np.flatnonzero(transfer)
    e_journey = np.concatenate([np.arange(m), t_idx])
    second = np.concatenate([np.zeros(m, bool), np.ones(len(t_idx), bool)])
    e_ref = np.concatenate([j_start, split[t_idx] + tgap[t_idx]])
    e_dis = np.concatenate([np.where(transfer, split, j_end), j_end[t_idx] + tgap[t_idx]])
    e_provider = np.concatenate([provider, dest_provider[t_idx]])
    n_e = len(e_ref)
    e_person_local = ci[e_journey]
    reason = np.full(n_e, -1, np.int16)
    dr = "discharge_reason"
    out = j_out[e_journey]
    final = ~transfer[e_journey] | second
    if g == ALCOHOL_ONLY:
        comp = codes.indices(dr, ["completed_alcohol_free", "completed_occasional_user"])
        comp_p = np.array([0.8, 0.2])
    elif g == NON_OPIATE_ALCOHOL:
        comp = codes.indices(
            dr, ["completed_drug_free", "completed_alcohol_free", "completed_occasional_user"]
        )
        comp_p = np.array([0.5, 0.3, 0.2])
    else:
        comp = codes.indices(dr, ["completed_drug_free", "completed_occasional_user"])
        comp_p = np.array([0.7, 0.3])
    unpl = codes.indices(
        dr,
        [
            "dropped_out",
            "withdrawn_by_provider",
            "retained_in_custody",
            "declined_treatment",
            "other",
        ],
    )
    unpl_p = np.array([0.64, 0.06, 0.09, 0.12, 0.09])
    completed = final & (out == COMPLETED)
    reason[completed] = comp[categories(rng, int(completed.sum()), comp_p)]
    unplanned = final & (out == UNPLANNED)
    reason[unplanned] = unpl[categories(rng, int(unplanned.sum()), unpl_p)]
    reason[final & j_died[e_journey]] = codes.index(dr, "died")
    reason[final & (out == CUSTODY)] = codes.index(dr, "transferred_in_custody")
    reason[~final] = codes.index(dr, "transferred_not_in_custody")
    # Waits: first intervention mostly within a week or two; ~4 % three weeks or more.
    if system.long_wait is None:
        wait_cat = categories(rng, n_e, np.array([0.15, 0.45, 0.25, 0.11, 0.028, 0.012]))
    else:  # the county's long waits by referral year
        long = np.asarray(system.long_wait)[np.clip(tl.fy_of(e_ref), 0, tl.N_YEARS - 1)]
        short = categories(rng, n_e, np.array([0.15, 0.45, 0.25, 0.11]))
        wait_cat = np.where(rng.random(n_e) < long, 4 + (rng.random(n_e) < 0.3), short)
    lo = np.array([0, 1, 8, 15, 21, 43])[wait_cat]
    hi = np.array([0, 7, 14, 20, 42, 90])[wait_cat]
    wait = lo + (rng.random(n_e) * (hi - lo + 1)).astype(np.int64)
    wait[second] = rng.integers(0, 8, int(second.sum()))
    first_int = e_ref + wait
    no_int = (first_int > e_dis) | (j_early[e_journey] & (rng.random(n_e) < 0.15))
    first_int = np.where(no_int, tl.NO_DATE, first_int)
    triage = np.where(
        no_int,
        np.where(rng.random(n_e) < 0.5, e_ref + np.minimum(wait, e_dis - e_ref), tl.NO_DATE),
        e_ref + (rng.random(n_e) * (wait + 1)).astype(np.int64),
    )
    triage = np.where(
        triage == tl.NO_DATE, tl.NO_DATE, np.minimum(triage, np.maximum(e_dis, e_ref))
    )
    # Open at the end of the window: no discharge yet.
    open_ = e_dis > tl.END_DAY
    e_dis = np.where(open_, tl.NO_DATE, e_dis)
    reason[open_] = -1
    keep_e = (e_ref <= tl.END_DAY) & (open_ | (e_dis >= system.first_day))
    first_int = np.where(first_int > tl.END_DAY, tl.NO_DATE, first_int)
    triage = np.where(triage > tl.END_DAY, tl.NO_DATE, triage)
    # Setting follows the provider.
    setting = np.full(n_e, codes.index("setting", "community"), np.int16)
    setting[e_provider == inpatient] = codes.index("setting", "inpatient")
    setting[e_provider == residential] = np.where(
        rng.random(int((e_provider == residential).sum())) < 0.8,
        codes.index("setting", "residential"),
        codes.index("setting", "recovery_house"),
    )
    shared = (e_provider < _N_LOCAL) & (e_provider % 4 == PROVIDER_SHARED_CARE)
    setting[shared] = codes.index("setting", "primary_care")
    ages_at_ref = tl.years_between(dob[e_person_local], e_ref)
    young = (
        (setting == codes.index("setting", "community"))
        & (ages_at_ref < 25)
        & (rng.random(n_e) < 0.3)
    )
    setting[young] = codes.index("setting", "young_person")
    if system.referral_drug is not None and g != ALCOHOL_ONLY:
        rs = _draw(rng, codes, "referral_source", n_e, system.referral_drug)
    else:
        rs = _referral_sources(rng, g, n_e, codes)
    rs[second] = np.where(
        e_provider[second] >= _N_LOCAL,
        codes.index("referral_source", "drug_service"),
        np.where(
            rng.random(int(second.sum())) < 0.8,
            codes.index("referral_source", "drug_service"),
            codes.index("referral_source", "other"),
        ),
    )
    eps = Table(
        person=pid[e_person_local],
        la=la[e_person_local],
        provider=e_provider,
        referral=e_ref.astype(np.int32),
        referral_source=rs.astype(np.int16),
        triage=triage.astype(np.int32),
        first_int=first_int.astype(np.int32),
        setting=setting,
        s1=s1[e_person_local],
        s2=s2[e_person_local],
        s3=s3[e_person_local],
        injecting=_injecting(rng, g, injector[e_person_local], codes),
        accommodation=_draw(
            rng,
            codes,
            "accommodation_need",
            n_e,
            _ACCOMMODATION[g]
            if g != OPIATE
            else {**_ACCOMMODATION[g], "urgent_problem": system.opiate_urgent_housing},
        ),
        employment=_draw(
            rng, codes, "employment_status", n_e, (system.employment or _EMPLOYMENT)[g]
        ),
        parental=_draw(rng, codes, "parental_status", n_e, system.parental or _PARENTAL),
        discharge=e_dis.astype(np.int32),
        reason=reason,
        hbv=_hbv(rng, injector[e_person_local], codes),
        hcv=_hcv(rng, injector[e_person_local], codes, system.hcv_tested),
        group=np.full(n_e, g, np.int8),
        new_presentation=~second,
    )
    return eps.take(np.flatnonzero(keep_e)), tp


_ACCOMMODATION = (
    {"urgent_problem": 9, "housing_problem": 15, "no_problem": 72, "other": 2, "": 2},
    {"urgent_problem": 4, "housing_problem": 12, "no_problem": 80, "other": 2, "": 2},
    {"urgent_problem": 5, "housing_problem": 13, "no_problem": 78, "other": 2, "": 2},
    {"urgent_problem": 3, "housing_problem": 8, "no_problem": 85, "other": 2, "": 2},
)
_EMPLOYMENT = (
    {
        "regular_employment": 10,
        "unemployed_inactive": 45,
        "long_term_sick": 38,
        "unpaid_voluntary": 1,
        "education": 1,
        "other": 3,
        "": 2,
    },
    {
        "regular_employment": 32,
        "unemployed_inactive": 30,
        "long_term_sick": 25,
        "unpaid_voluntary": 2,
        "education": 6,
        "other": 3,
        "": 2,
    },
    {
        "regular_employment": 30,
        "unemployed_inactive": 30,
        "long_term_sick": 30,
        "unpaid_voluntary": 1,
        "education": 3,
        "other": 4,
        "": 2,
    },
    {
        "regular_employment": 38,
        "unemployed_inactive": 24,
        "long_term_sick": 30,
        "unpaid_voluntary": 1,
        "education": 1,
        "other": 4,
        "": 2,
    },
)
_PARENTAL = {
    "living_with_children": 18,
    "parent_not_living_with_children": 30,
    "not_parent_no_contact": 45,
    "": 7,
}


def _draw(
    rng: np.random.Generator, codes: CodeLists, name: str, n: int, shares: dict[str, float]
) -> np.ndarray:
    """Codes by share; the '' share becomes blank (-1)."""
    keys = list(shares)
    idx = np.array([codes.index(name, k) if k else -1 for k in keys], dtype=np.int16)
    return idx[categories(rng, n, np.array(list(shares.values()), float))]


def _referral_sources(rng: np.random.Generator, g: int, n: int, codes: CodeLists) -> np.ndarray:
    if g == ALCOHOL_ONLY:
        shares = {
            "self": 45,
            "gp": 20,
            "hospital": 7,
            "a_and_e": 2,
            "social_services": 2,
            "probation": 3,
            "alcohol_service": 6,
            "drug_service": 2,
            "other": 10,
            "": 3,
        }
    else:
        shares = {
            "self": 48,
            "arrest_referral": 8,
            "drr": 6,
            "probation": 7,
            "prison": 7,
            "other_cjs": 2,
            "gp": 9,
            "hospital": 1,
            "a_and_e": 0.5,
            "social_services": 1,
            "drug_service": 2,
            "alcohol_service": 0.5,
            "other": 6,
            "": 2,
        }
    return _draw(rng, codes, "referral_source", n, shares)


def _injecting(
    rng: np.random.Generator, g: int, injector: np.ndarray, codes: CodeLists
) -> np.ndarray:
    n = len(injector)
    inj = _draw(rng, codes, "injecting_status", n, {"currently": 45, "previously": 55})
    non = _draw(
        rng,
        codes,
        "injecting_status",
        n,
        {"never": 92, "declined": 3, "": 5} if g != ALCOHOL_ONLY else {"never": 95, "": 5},
    )
    return np.where(injector, inj, non).astype(np.int16)


def _hbv(rng: np.random.Generator, injector: np.ndarray, codes: CodeLists) -> np.ndarray:
    n = len(injector)
    inj = _draw(
        rng,
        codes,
        "hbv_vaccination",
        n,
        {
            "not_offered": 25,
            "offered_refused": 25,
            "started": 18,
            "completed": 17,
            "immune": 10,
            "": 5,
        },
    )
    non = _draw(
        rng, codes, "hbv_vaccination", n, {"not_offered": 55, "offered_refused": 15, "": 30}
    )
    return np.where(injector, inj, non).astype(np.int16)


def _hcv(
    rng: np.random.Generator, injector: np.ndarray, codes: CodeLists, tested: float = 80
) -> np.ndarray:
    n = len(injector)
    inj = _draw(rng, codes, "hcv_tested", n, {"Y": tested, "N": 98 - tested, "": 2})
    non = _draw(rng, codes, "hcv_tested", n, {"not_eligible": 80, "": 20})
    return np.where(injector, inj, non).astype(np.int16)


def _recommission(eps: Table, codes: CodeLists) -> Table:
    """Move Wirral's open community episodes to the new provider on the re-commissioning day."""
    wir = geo.AREA_INDEX[RECOMMISSIONED_AREA]
    old = _local_provider(np.array([wir]), np.array([PROVIDER_COMMUNITY]))[0]
    new = _local_provider(np.array([wir]), np.array([PROVIDER_NEW_COMMUNITY]))[0]
    on = RECOMMISSIONED_ON
    dis = eps["discharge"]
    spans = (eps["provider"] == old) & (eps["referral"] < on) & ((dis == tl.NO_DATE) | (dis >= on))
    later = (eps["provider"] == old) & (eps["referral"] >= on)
    eps["provider"] = np.where(later, new, eps["provider"]).astype(np.int16)
    idx = np.flatnonzero(spans)
    if len(idx) == 0:
        return eps
    cont = eps.take(idx)
    eps["discharge"] = np.where(spans, on - 1, eps["discharge"]).astype(np.int32)
    eps["reason"] = np.where(
        spans, codes.index("discharge_reason", "transferred_not_in_custody"), eps["reason"]
    ).astype(np.int16)
    cont["provider"] = np.full(len(idx), new, np.int16)
    cont["referral"] = np.full(len(idx), on, np.int32)
    cont["triage"] = np.full(len(idx), on, np.int32)
    cont["first_int"] = np.full(len(idx), on, np.int32)
    cont["referral_source"] = np.full(
        len(idx), codes.index("referral_source", "drug_service"), np.int16
    )
    cont["new_presentation"] = np.zeros(len(idx), bool)
    # first intervention of the closed part cannot fall after its new discharge
    fi = eps["first_int"]
    eps["first_int"] = np.where(spans & (fi != tl.NO_DATE) & (fi > on - 1), tl.NO_DATE, fi).astype(
        np.int32
    )
    tr = eps["triage"]
    eps["triage"] = np.where(spans & (tr != tl.NO_DATE) & (tr > on - 1), on - 1, tr).astype(
        np.int32
    )
    return Table.concat([eps, cont])
