"""IMS: service providers, needle and syringe programme (NSP) visits and interventions.

The warehouse assigns IMS client cohorts per financial year from the transactions (domain.md):
any NSP visit makes a person who injects drugs (PWID), IPED if most of their visits are for
image- and performance-enhancing drugs, psychoactive otherwise; interventions without NSP make a
brief-intervention-only client. The simulation therefore decides cohort membership first — exact
sizes per year, split over the nine areas — and then writes activity that implies it: every
psychoactive PWID gets NSP visits mostly for psychoactive drugs, every IPED PWID only IPED visits,
and brief-intervention clients only interventions.

Calibration (IMS overview 2020-21, §5.1): cohort sizes for 2019-20 and 2020-21 and the All-IMS
totals for every year; sex and age profiles per cohort; average visits and needles per visit
(so 2020-21 ≈ 48,000 psychoactive visits / 1.18 m needles, 7,570 IPED visits / 341,000 needles);
56,516 interventions in 2020-21 in the published category shares, about six per brief-
intervention client; main-substance mixes; 54 agencies and 95 pharmacies active in 2020-21.
Psychoactive PWID are drawn from the OCU population (so many are also in treatment); IPED
clients are new people (so few are).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from smw_demo import areas as geo
from smw_demo import timeline as tl
from smw_demo.codes import CodeLists
from smw_demo.ims_activity import (
    YearCohorts,
    _exact_count,
    _first_visits,
    _interventions,
    _nsp_transactions,
)
from smw_demo.ims_agencies import Agencies, build_agencies
from smw_demo.ims_calibration import (
    AGE_EDGES,
    BI,
    BI_MALE,
    BI_TOTAL,
    COHORTS,
    IPED,
    IPED_MALE,
    IPED_TOTAL,
    OCU_SHARE_OF_PSYCH,
    PSYCH,
    PSYCH_AGE_2013,
    PSYCH_AGE_2020,
    PSYCH_GROWTH_2020,
    PSYCH_MALE,
    PSYCH_TOTAL,
)
from smw_demo.ocu import OcuPool, new_untreated
from smw_demo.people import SEX_MALE, PersonRegistry, dob_for_age
from smw_demo.sampling import (
    allocate,
    categories,
    exact_categories,
    stratified_pick,
)
from smw_demo.table import Table
from smw_demo.targets import (
    BI_MAIN_2020,
)
from smw_demo.treatment_systems import (
    ALCOHOL_ONLY,
    CRACK_ONLY,
    OPIATE,
    TreatedPeople,
)


@dataclass
class ImsResult:
    agencies: Agencies
    nsp: Table
    interventions: Table
    aims: dict[str, list[int]]


def cohort_targets(scale: float) -> np.ndarray:
    """People per (cohort, year, area) at this scale."""
    pop = geo.population(np.arange(tl.N_YEARS))
    need = np.array([a.need for a in geo.AREAS])
    iped = np.array([a.iped for a in geo.AREAS])
    bi = np.array([a.bi for a in geo.AREAS])
    out = np.zeros((3, tl.N_YEARS, geo.N_AREAS), dtype=np.int64)
    grow = np.isin([a.code for a in geo.AREAS], PSYCH_GROWTH_2020)
    for y in range(tl.N_YEARS):
        w_psych = pop[y] * need**1.2
        if y == tl.N_YEARS - 1:
            w_psych = w_psych * np.where(grow, 1.35, 1.0)
        out[PSYCH, y] = allocate(round(PSYCH_TOTAL[y] * scale), w_psych)
        out[IPED, y] = allocate(round(IPED_TOTAL[y] * scale), pop[y] * iped)
        out[BI, y] = allocate(round(BI_TOTAL[y] * scale), pop[y] * bi)
    return out


def _age_band(dob: np.ndarray, year: int) -> np.ndarray:
    age = tl.years_between(dob, tl.FY_MID[year])
    return np.clip(np.searchsorted(AGE_EDGES, age, side="right") - 1, 0, len(AGE_EDGES) - 2)


class _Members:
    """Cohort members of the previous year, per cohort, for year-to-year persistence."""

    def __init__(self) -> None:
        self.person: dict[int, np.ndarray] = {}
        self.la: dict[int, np.ndarray] = {}
        self.extra: dict[int, np.ndarray] = {}


def simulate_ims(
    rng: np.random.Generator,
    scale: float,
    people: PersonRegistry,
    pool: OcuPool,
    treated: TreatedPeople,
    codes: CodeLists,
) -> ImsResult:
    """Agencies, then year by year: cohort members (exact sizes per area), their NSP visits and
    their interventions. Members persist from year to year (psychoactive ~75 %, IPED ~42 %,
    brief interventions ~22 %); psychoactive injectors the OCU population cannot supply in an
    age/sex stratum are created as new users and join it."""
    agencies = build_agencies(rng, codes)
    targets = cohort_targets(scale)
    prev = _Members()
    ever_psych = np.zeros(0, np.int32)
    nsp_parts: list[Table] = []
    int_parts: list[Table] = []
    non_ocu_psych_prev = (np.zeros(0, np.int32), np.zeros(0, np.int8), np.zeros(0, np.int16))
    for y in range(tl.N_YEARS):
        used = np.zeros(0, np.int32)
        # --- psychoactive PWID -------------------------------------------------------------
        t = (y / (tl.N_YEARS - 1)) if tl.N_YEARS > 1 else 1.0
        age_share = (1 - t) * PSYCH_AGE_2013 + t * PSYCH_AGE_2020
        ps_person: list[np.ndarray] = []
        ps_la: list[np.ndarray] = []
        ps_type: list[np.ndarray] = []  # OCU type, or -1 - primary drug index for non-OCU
        prev_psych = prev.person.get(PSYCH, np.zeros(0, np.int32))
        act = pool.active(y) & pool.injector
        band = _age_band(pool.dob, y)
        strata_all = pool.sex.astype(np.int64) * 5 + band
        in_prev = np.isin(pool.person, prev_psych)
        in_ever = np.isin(pool.person, ever_psych)
        extras: list[OcuPool] = []
        for la in range(geo.N_AREAS):
            n = int(targets[PSYCH, y, la])
            n_ocu = int(round(n * OCU_SHARE_OF_PSYCH))
            cand = np.flatnonzero(act & (pool.service == la))
            pri = rng.random(len(cand)) + 2.0 * (in_prev[cand] & (rng.random(len(cand)) < 0.75))
            pri += 0.5 * in_ever[cand]
            want = np.outer([PSYCH_MALE, 1 - PSYCH_MALE], age_share).ravel()
            tgt = dict(enumerate(allocate(n_ocu, want).tolist()))
            chosen, short = stratified_pick(strata_all[cand], pri, tgt)
            sel = cand[chosen]
            ps_person.append(pool.person[sel])
            ps_la.append(np.full(len(sel), la, np.int8))
            ps_type.append(pool.drug_type[sel].astype(np.int16))
            for stratum, k in short.items():
                sex = np.full(k, stratum // 5, np.int8)
                b = stratum % 5
                lo, hi = max(AGE_EDGES[b], 19), min(AGE_EDGES[b + 1], 70)
                extra = new_untreated(
                    rng,
                    people,
                    np.full(k, la, np.int8),
                    max(y - 1, 0),
                    y + rng.geometric(0.25, k),
                    injector=np.ones(k, bool),
                    sex=sex,
                    age_at_mid=lo + rng.random(k) * (hi - lo) - (y - max(y - 1, 0)),
                    service=np.full(k, la, np.int8),
                )
                extras.append(extra)
                ps_person.append(extra.person)
                ps_la.append(np.full(k, la, np.int8))
                ps_type.append(extra.drug_type.astype(np.int16))
            # Non-OCU psychoactive injectors (amphetamine, powder cocaine, ...).
            n_non = n - n_ocu
            pp, pl, pd = non_ocu_psych_prev
            keep = np.flatnonzero((pl == la) & (rng.random(len(pp)) < 0.6))[:n_non]
            k_new = n_non - len(keep)
            sex = np.where(rng.random(k_new) < PSYCH_MALE, SEX_MALE, 1).astype(np.int8)
            age = 20 + rng.gamma(3.0, 5.5, k_new)
            dob = dob_for_age(rng, age, tl.FY_MID[y])
            new_p = people.add(dob, sex, np.full(k_new, la, np.int8))
            drug = categories(rng, k_new, np.array([45, 20, 12, 10, 13], float)).astype(np.int16)
            ps_person.append(np.concatenate([pp[keep], new_p]))
            ps_la.append(np.full(n_non, la, np.int8))
            ps_type.append(-1 - np.concatenate([pd[keep], drug]))
        for extra in extras:  # users first seen at an NSP this year join the OCU population
            pool.extend(extra)
        psych_p = np.concatenate(ps_person)
        psych_la = np.concatenate(ps_la)
        psych_t = np.concatenate(ps_type)
        non = psych_t < 0
        non_ocu_psych_prev = (psych_p[non], psych_la[non], -1 - psych_t[non])
        used = np.concatenate([used, psych_p])
        ever_psych = np.union1d(ever_psych, psych_p)
        # --- IPED PWID ----------------------------------------------------------------------
        # A few IPED injectors are also known to drug treatment (for cocaine, cannabis, ...).
        tx_drug = (
            (treated.drug_type < 0)
            & (treated.group != ALCOHOL_ONLY)
            & (treated.group != OPIATE)
            & (treated.first_fy <= y)
            & (treated.last_fy >= y)
            & (people.sex[treated.person] == SEX_MALE)
            & ~np.isin(treated.person, used)
        )
        ip_person, ip_la = _fresh_cohort(
            rng,
            people,
            prev,
            IPED,
            targets[IPED, y],
            y,
            0.42,
            used,
            male=IPED_MALE,
            age=lambda k: 18 + rng.gamma(2.5, 5.2, k),
            known=(treated.person[tx_drug], people.service[treated.person[tx_drug]], 0.02),
        )
        used = np.concatenate([used, ip_person])
        # --- brief-intervention-only clients ---------------------------------------------------
        bi_person, bi_la, bi_main = _bi_cohort(
            rng, people, prev, targets[BI, y], y, used, pool, treated, codes
        )
        prev.person = {PSYCH: psych_p, IPED: ip_person, BI: bi_person}
        prev.la = {PSYCH: psych_la, IPED: ip_la, BI: bi_la}
        prev.extra = {BI: bi_main}
        # --- activity ---------------------------------------------------------------------
        members = YearCohorts(
            psych_p, psych_la, psych_t, ip_person, ip_la, bi_person, bi_la, bi_main
        )
        nsp_parts.append(_nsp_transactions(rng, y, members, agencies, people, codes))
        int_parts.append(_interventions(rng, y, scale, members, agencies, people, codes))
    nsp = Table.concat(nsp_parts)
    nsp["first_visit"] = _first_visits(rng, nsp, codes)
    aims = {COHORTS[c]: [int(v) for v in targets[c].sum(axis=1)] for c in range(3)}
    return ImsResult(agencies, nsp, Table.concat(int_parts), aims)


def _fresh_cohort(
    rng: np.random.Generator,
    people: PersonRegistry,
    prev: _Members,
    cohort: int,
    targets: np.ndarray,
    year: int,
    retain: float,
    used: np.ndarray,
    *,
    male: float,
    age: Callable[[int], np.ndarray],
    known: tuple[np.ndarray, np.ndarray, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Members kept from last year (with probability ``retain``) plus new people; ``known``
    (people, their service area, share) lets a share of the newcomers be existing people."""
    prev_p = prev.person.get(cohort, np.zeros(0, np.int32))
    prev_l = prev.la.get(cohort, np.zeros(0, np.int8))
    ok = ~np.isin(prev_p, used) & (rng.random(len(prev_p)) < retain)
    persons: list[np.ndarray] = []
    las: list[np.ndarray] = []
    for la in range(geo.N_AREAS):
        n = int(targets[la])
        keep = prev_p[ok & (prev_l == la)]
        if len(keep) > n:
            keep = np.sort(rng.choice(keep, n, replace=False))
        k = n - len(keep)
        existing = np.zeros(0, np.int32)
        if known is not None:
            cand = known[0][(known[1] == la) & ~np.isin(known[0], keep)]
            m = min(int(round(known[2] * k)), len(cand))
            existing = np.sort(rng.choice(cand, m, replace=False)) if m else existing
            k -= len(existing)
        sex = np.where(rng.random(k) < male, SEX_MALE, 1).astype(np.int8)
        dob = dob_for_age(rng, age(k), tl.FY_MID[year])
        home = np.full(k, la, np.int8)
        move = rng.random(k) < 0.1
        home[move] = geo.pick_neighbour(rng, home[move])
        new = people.add(dob, sex, home, np.full(k, la, np.int8))
        persons.append(np.concatenate([keep, existing, new]))
        las.append(np.full(n, la, np.int8))
    return np.concatenate(persons), np.concatenate(las)


_BI_NEW_MAIN = {
    "alcohol": 63.2,
    "cannabis": 10.5,
    "cocaine": 10.1,
    "none": 9.7,
    "amphetamine": 1.2,
    "benzodiazepines": 1.2,
    "nps": 0.7,
    "other_drug": 2.5,
}


def _bi_cohort(
    rng: np.random.Generator,
    people: PersonRegistry,
    prev: _Members,
    targets: np.ndarray,
    year: int,
    used: np.ndarray,
    pool: OcuPool,
    treated: TreatedPeople,
    codes: CodeLists,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BI clients: some kept from last year, ~20 % opiate users who did not use NSP this year,
    ~8 % people known to alcohol / non-opiate treatment, the rest new people."""
    ims = "ims_substance"
    prev_p = prev.person.get(BI, np.zeros(0, np.int32))
    prev_l = prev.la.get(BI, np.zeros(0, np.int8))
    prev_m = prev.extra.get(BI, np.zeros(0, np.int16))
    ok = ~np.isin(prev_p, used) & (rng.random(len(prev_p)) < 0.22)
    ocu_ok = pool.active(year) & ~np.isin(pool.person, used) & (pool.drug_type != CRACK_ONLY)
    tx_ok = (
        (treated.group != OPIATE)
        & (treated.drug_type < 0)
        & (treated.first_fy - 1 <= year)
        & (treated.last_fy + 1 >= year)
        & ~np.isin(treated.person, used)
    )
    tx_service = people.service[treated.person]
    heroin, other_op, alcohol = (
        codes.index(ims, c) for c in ("heroin", "other_opiates", "alcohol")
    )
    new_main_codes = codes.indices(ims, list(_BI_NEW_MAIN))
    new_main_p = np.array(list(_BI_NEW_MAIN.values()))
    tx_primary_map = _treatment_to_ims(codes)
    persons: list[np.ndarray] = []
    las: list[np.ndarray] = []
    mains: list[np.ndarray] = []
    taken = np.zeros(0, np.int32)
    for la in range(geo.N_AREAS):
        n = int(targets[la])
        sel_keep = ok & (prev_l == la)
        keep, keep_m = prev_p[sel_keep], prev_m[sel_keep]
        if len(keep) > n:
            pick = np.sort(rng.choice(len(keep), n, replace=False))
            keep, keep_m = keep[pick], keep_m[pick]
        rest = n - len(keep)
        taken = np.concatenate([taken, keep])
        n_ocu = min(int(round(0.2 * rest)), rest)
        cand = np.flatnonzero(ocu_ok & (pool.service == la) & ~np.isin(pool.person, taken))
        pri = rng.random(len(cand)) + 1.0 * ~pool.injector[cand]
        ocu_sel = pool.person[cand[np.argsort(-pri, kind="stable")[:n_ocu]]]
        # Exact shares, 84 % heroin: with the opiate users kept from last year and those met
        # in treatment, the report's 783 heroin and 145 other opiates among BI clients.
        ocu_main = np.array([heroin, other_op], np.int16)[
            exact_categories(rng, len(ocu_sel), np.array([0.84, 0.16]))
        ]
        n_tx = min(int(round(0.08 * rest)), rest - len(ocu_sel))
        taken = np.concatenate([taken, ocu_sel])
        tcand = np.flatnonzero(tx_ok & (tx_service == la) & ~np.isin(treated.person, taken))
        tsel = tcand[rng.permutation(len(tcand))[:n_tx]]
        tx_sel = treated.person[tsel]
        tx_main = np.where(
            treated.group[tsel] == ALCOHOL_ONLY, alcohol, tx_primary_map[treated.primary[tsel]]
        ).astype(np.int16)
        k = rest - len(ocu_sel) - len(tx_sel)
        # New clients are a little less often male and more spread in age than the cohort, to
        # balance the opiate users and treatment clients among them.
        sex = np.where(rng.random(k) < BI_MALE - 0.045, SEX_MALE, 1).astype(np.int8)
        dob = dob_for_age(rng, 18 + rng.gamma(2.0, 12.0, k), tl.FY_MID[year])
        home = np.full(k, la, np.int8)
        move = rng.random(k) < 0.1
        home[move] = geo.pick_neighbour(rng, home[move])
        new = people.add(dob, sex, home, np.full(k, la, np.int8))
        new_main = new_main_codes[exact_categories(rng, k, new_main_p)]
        block = np.concatenate([keep, ocu_sel, tx_sel, new]).astype(np.int32)
        taken = np.concatenate([taken, tx_sel])
        persons.append(block)
        las.append(np.full(n, la, np.int8))
        mains.append(np.concatenate([keep_m, ocu_main, tx_main, new_main]).astype(np.int16))
    main = np.concatenate(mains)
    # The report's main substances, exactly (of a few hundred people, the draws above miss
    # them by more than their tolerance): opiates within opiates, the rest within drugs.
    c = {k: codes.index(ims, k) for k in (*BI_MAIN_2020, "other_drug")}
    drugs = [c["other_drug"], *codes.indices(ims, ["amphetamine", "benzodiazepines", "nps"])]
    for name, donors, spill in (
        ("other_opiates", [heroin], heroin),
        ("none", [alcohol], alcohol),
        ("cocaine", drugs, c["other_drug"]),
        ("cannabis", drugs, c["other_drug"]),
        ("alcohol", drugs, c["other_drug"]),
    ):
        _exact_count(rng, main, c[name], round(BI_MAIN_2020[name] * len(main)), donors, spill)
    return np.concatenate(persons), np.concatenate(las), main


def _treatment_to_ims(codes: CodeLists) -> np.ndarray:
    """Map treatment_substance index → ims_substance index (for a client's main drug)."""
    ts = codes.of("treatment_substance")
    ims = codes.of("ims_substance")
    same = {
        "heroin": "heroin",
        "methadone": "other_opiates",
        "other_opiates": "other_opiates",
        "crack": "crack",
        "cocaine": "cocaine",
        "amphetamine": "amphetamine",
        "cannabis": "cannabis",
        "benzodiazepines": "benzodiazepines",
        "alcohol": "alcohol",
        "nps_other": "nps",
        "mephedrone": "nps",
        "ecstasy": "other_drug",
        "ketamine": "other_drug",
        "ghb_gbl": "other_drug",
        "methamphetamine": "other_drug",
        "pom_otc": "other_drug",
        "other": "other_drug",
    }
    out = np.array([ims.index(same[t]) for t in ts] + [ims.index("other_drug")], dtype=np.int16)
    return out
