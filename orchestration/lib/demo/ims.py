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

from orchestration.lib.demo import areas as geo
from orchestration.lib.demo import timeline as tl
from orchestration.lib.demo.codes import CodeLists
from orchestration.lib.demo.ocu import OcuPool, new_untreated
from orchestration.lib.demo.people import SEX_MALE, PersonRegistry, dob_for_age
from orchestration.lib.demo.sampling import (
    allocate,
    categories,
    exact_categories,
    spread,
    stratified_pick,
)
from orchestration.lib.demo.table import Table
from orchestration.lib.demo.targets import (
    BI_MAIN_2020,
    PSYCH_MAIN,
    PSYCH_MAIN_RECORDED,
    PSYCH_SECOND,
    PSYCH_SECOND_RECORDED,
)
from orchestration.lib.demo.treatment import (
    ALCOHOL_ONLY,
    BOTH,
    CRACK_ONLY,
    OPIATE,
    OPIATE_ONLY,
    TreatedPeople,
)

PSYCH, IPED, BI = 0, 1, 2
COHORTS = ("pwid_psychoactive", "pwid_iped", "bi_only")
#: All-IMS clients 2013-14 … 2020-21 (IMS overview chart).
ALL_IMS = (25_760, 31_246, 26_197, 25_024, 26_509, 20_461, 21_789, 14_847)
#: Cohort sizes: 2019-20 and 2020-21 as published; earlier years a plausible split of All IMS.
PSYCH_TOTAL = (9_400, 9_200, 8_900, 8_500, 8_100, 7_600, 7_234, 6_361)
IPED_TOTAL = (5_200, 5_900, 6_100, 6_300, 6_600, 6_300, 6_508, 3_773)
BI_TOTAL = tuple(a - p - i for a, p, i in zip(ALL_IMS, PSYCH_TOTAL, IPED_TOTAL, strict=True))

VISITS_PER_PERSON = (
    (8.6, 8.55, 8.5, 8.45, 8.4, 8.4, 60_466 / 7_234, 48_010 / 6_361),
    (2.2, 2.2, 2.15, 2.15, 2.1, 2.1, 13_756 / 6_508, 7_570 / 3_773),
)
NEEDLES_PER_VISIT = (
    (26.5, 26.5, 26.4, 26.3, 26.2, 26.1, 1_575_240 / 60_466, 1_181_430 / 48_010),
    (33.0, 33.5, 34.0, 34.0, 34.5, 34.5, 480_300 / 13_756, 341_000 / 7_570),
)
#: 2020-21 interventions by category (total 56,516).
CATEGORY_COUNTS = {
    "advice_minimal": 4_910,
    "standard_brief": 39_249,
    "extended_brief": 1_992,
    "engagement_support": 3_143,
    "other_channel": 7_222,
}
INTERVENTIONS_2020 = sum(CATEGORY_COUNTS.values())
BI_PER_CLIENT = 6.0
PWID_INTERVENTIONS_2020 = INTERVENTIONS_2020 - round(BI_PER_CLIENT * BI_TOTAL[-1])

PSYCH_MALE, IPED_MALE, BI_MALE = 0.82, 0.96, 0.60
AGE_EDGES = np.array([0, 25, 35, 45, 55, 200])
#: Psychoactive PWID age bands (<25, 25-34, 35-44, 45-54, 55+): an ageing heroin generation,
#: reaching 71 % aged 35-54 in 2020-21.
#: (These are the shares among OCU injectors; the few non-OCU injectors are younger.)
PSYCH_AGE_2013 = np.array([0.08, 0.27, 0.37, 0.23, 0.05])
PSYCH_AGE_2020 = np.array([0.02, 0.16, 0.40, 0.33, 0.09])
OCU_SHARE_OF_PSYCH = 0.94

# Psychoactive areas that grew in 2020-21 (the other seven fell: "decreases in 7 of 9").
PSYCH_GROWTH_2020 = ("E06000006", "E06000007")


@dataclass
class Agencies:
    code: list[str]
    name: list[str]
    type: np.ndarray  # agency_type index
    la: np.ndarray
    first_fy: np.ndarray
    last_fy: np.ndarray
    opened: np.ndarray  # day or NO_DATE
    closed: np.ndarray

    def __len__(self) -> int:
        return len(self.code)

    def active(self, year: int) -> np.ndarray:
        return (self.first_fy <= year) & (self.last_fy >= year)


@dataclass
class ImsResult:
    agencies: Agencies
    nsp: Table
    interventions: Table
    aims: dict[str, list[int]]


_STREETS = (
    "Bold Street",
    "Church Road",
    "High Street",
    "Market Street",
    "Station Road",
    "Park Road",
    "London Road",
    "Lord Street",
    "Smithdown Road",
    "County Road",
    "Scotland Road",
    "Borough Road",
    "Grange Road",
    "Victoria Road",
    "Chester Road",
    "Queen Street",
    "Northwich Road",
    "King Street",
    "Liverpool Road",
    "Manchester Road",
    "Derby Road",
    "Westminster Road",
    "Stanley Road",
    "Prescot Road",
    "Duke Street",
    "Mill Lane",
)
_CHAINS = (
    "Boots",
    "Lloydspharmacy",
    "Well",
    "Rowlands",
    "Superdrug",
    "Asda",
    "Tesco",
    "Morrisons",
    "Cohens",
    "Day Lewis",
    "Jhoots",
    "Allied",
)
_AGENCY_NAMES = {
    "specialist_nsp": (
        "{area} Harm Reduction Service",
        "{area} Needle Exchange – {street}",
        "{area} Steroid and IPED Clinic",
        "{area} Injecting Equipment Provision",
    ),
    "outreach": (
        "{area} Street Outreach Team",
        "{area} Rough Sleeper Outreach",
        "{area} Mobile Harm Reduction Unit",
    ),
    "treatment_service": (
        "{area} Recovery Hub",
        "{area} Community Drug and Alcohol Service",
        "{area} Alcohol Service",
        "{area} Criminal Justice Recovery Team",
        "{area} Shared Care Service",
    ),
    "other": (
        "{area} Young People's Service",
        "{area} Homeless Health Team",
        "{area} Sexual Health Clinic",
        "{area} Wellbeing Centre",
    ),
}


def build_agencies(rng: np.random.Generator, codes: CodeLists) -> Agencies:
    """54 agency codes and 95 pharmacies active in 2020-21, plus some that opened or closed."""
    weight = np.array([(a.pop_2020 / 1000) * a.need**0.5 for a in geo.AREAS])
    plan = [
        ("specialist_nsp", 18, 3, 2),  # type, active 2020-21, closed earlier, opened later
        ("outreach", 8, 2, 1),
        ("treatment_service", 20, 2, 2),
        ("other", 8, 1, 1),
        ("pharmacy", 95, 23, 10),
    ]
    code: list[str] = []
    name: list[str] = []
    typ: list[int] = []
    la: list[int] = []
    first: list[int] = []
    last: list[int] = []
    n_agency = n_pharmacy = 0
    used_names: set[str] = set()
    for kind, active, closed, opened in plan:
        total = active + closed
        areas_of = np.repeat(np.arange(geo.N_AREAS), allocate(total, weight))
        areas_of = areas_of[rng.permutation(total)]
        firsts = np.zeros(total, int)
        lasts = np.full(total, tl.N_YEARS - 1)
        lasts[:closed] = rng.integers(0, tl.N_YEARS - 1, closed)
        firsts[closed : closed + opened] = rng.integers(1, tl.N_YEARS, opened)
        for i in range(total):
            area = geo.AREAS[areas_of[i]]
            if kind == "pharmacy":
                n_pharmacy += 1
                code.append(f"PHA{n_pharmacy:04d}")
                chain = _CHAINS[int(rng.integers(len(_CHAINS)))]
                label = f"{chain} Pharmacy, {_STREETS[int(rng.integers(len(_STREETS)))]}"
            else:
                n_agency += 1
                code.append(f"AGY{n_agency:04d}")
                templates = _AGENCY_NAMES[kind]
                label = templates[int(rng.integers(len(templates)))].format(
                    area=area.name.replace("St. Helens", "St Helens"),
                    street=_STREETS[int(rng.integers(len(_STREETS)))],
                )
            base, k = label, 2
            while label in used_names:
                label, k = f"{base} ({k})", k + 1
            used_names.add(label)
            name.append(label)
            typ.append(codes.index("agency_type", kind))
            la.append(int(areas_of[i]))
            first.append(int(firsts[i]))
            last.append(int(lasts[i]))
    # Two names with characters a Windows-1252 export turns into single bytes (é, ’).
    liv = geo.AREA_INDEX["E08000012"]
    outreach = codes.index("agency_type", "outreach")
    pharmacy = codes.index("agency_type", "pharmacy")
    for kind, label in (
        (outreach, "Hope Café Outreach"),
        (pharmacy, "O’Hare’s Pharmacy, Smithdown Road"),
    ):
        i = next(
            (
                j
                for j in range(len(code))
                if typ[j] == kind and la[j] == liv and first[j] == 0 and last[j] == tl.N_YEARS - 1
            ),
            None,
        )
        if i is not None:
            name[i] = label
    first_a = np.array(first, np.int8)
    last_a = np.array(last, np.int8)
    n = len(code)
    pre = rng.random(n) < 0.4
    opened = np.where(
        first_a > 0,
        tl.FY_START[first_a] - rng.integers(10, 60, n),
        np.where(pre, tl.to_day("2000-01-01") + rng.integers(0, 13 * 365, n), tl.NO_DATE),
    )
    closed_d = np.where(
        last_a < tl.N_YEARS - 1,
        tl.FY_START[np.minimum(last_a + 1, tl.N_YEARS)] + rng.integers(0, 15, n),
        tl.NO_DATE,
    )
    return Agencies(
        code=code,
        name=name,
        type=np.array(typ, np.int16),
        la=np.array(la, np.int8),
        first_fy=first_a,
        last_fy=last_a,
        opened=opened.astype(np.int32),
        closed=closed_d.astype(np.int32),
    )


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
        nsp_parts.append(
            _nsp_transactions(
                rng, y, psych_p, psych_la, psych_t, ip_person, ip_la, agencies, people, codes
            )
        )
        int_parts.append(
            _interventions(
                rng,
                y,
                scale,
                psych_p,
                psych_la,
                psych_t,
                ip_person,
                ip_la,
                bi_person,
                bi_la,
                bi_main,
                agencies,
                people,
                codes,
            )
        )
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


# --- NSP ----------------------------------------------------------------------------------------

_NON_OCU_INJECTED = (
    "amphetamine",
    "cocaine",
    "methamphetamine",
    "mephedrone",
    "other_psychoactive",
)
_IPED_INJECTED = {
    "anabolic_steroids": 80,
    "peptide_hormones": 7,
    "growth_hormone": 3,
    "tanning_agents": 6,
    "other_iped": 4,
}


def _usual_agency(
    rng: np.random.Generator, la: np.ndarray, agencies: Agencies, year: int, kinds: dict[int, float]
) -> np.ndarray:
    """An active agency in the person's service area, by agency-type preference."""
    act = agencies.active(year)
    out = np.full(len(la), -1, np.int32)
    for a in range(geo.N_AREAS):
        rows = np.flatnonzero(la == a)
        if len(rows) == 0:
            continue
        cand = np.flatnonzero(act & (agencies.la == a))
        w = np.array([kinds.get(int(t), 0.0) for t in agencies.type[cand]])
        if w.sum() == 0:
            w = np.ones(len(cand))
        # spread preference evenly over agencies of a type
        out[rows] = cand[categories(rng, len(rows), w / w.sum())]
    return out


def _other_agency(
    rng: np.random.Generator, la: np.ndarray, agencies: Agencies, year: int
) -> np.ndarray:
    """Any active agency in the given area (an occasional visit elsewhere)."""
    act = agencies.active(year)
    out = np.full(len(la), -1, np.int32)
    for a in range(geo.N_AREAS):
        rows = np.flatnonzero(la == a)
        if len(rows) == 0:
            continue
        cand = np.flatnonzero(act & (agencies.la == a))
        out[rows] = cand[rng.integers(0, len(cand), len(rows))]
    return out


def _nsp_transactions(
    rng: np.random.Generator,
    year: int,
    psych_p: np.ndarray,
    psych_la: np.ndarray,
    psych_t: np.ndarray,
    iped_p: np.ndarray,
    iped_la: np.ndarray,
    agencies: Agencies,
    people: PersonRegistry,
    codes: CodeLists,
) -> Table:
    sub = "ims_injected_substance"
    at = "agency_type"
    pharmacy, specialist = codes.index(at, "pharmacy"), codes.index(at, "specialist_nsp")
    outreach = codes.index(at, "outreach")
    parts: list[Table] = []
    for cohort, persons, las in ((PSYCH, psych_p, psych_la), (IPED, iped_p, iped_la)):
        n = len(persons)
        if n == 0:
            continue
        total = int(round(VISITS_PER_PERSON[cohort][year] * n))
        visits = spread(rng, total, n, 0.9 if cohort == PSYCH else 1.5)
        row_person = np.repeat(np.arange(n), visits)
        m = len(row_person)
        kinds = (
            {pharmacy: 0.7, specialist: 0.25, outreach: 0.05}
            if cohort == PSYCH
            else {specialist: 0.7, pharmacy: 0.3}
        )
        usual = _usual_agency(rng, las, agencies, year, kinds)
        agency = usual[row_person]
        u = rng.random(m)
        other_la = las[row_person].copy()
        nb = u > 0.95
        other_la[nb] = geo.pick_neighbour(rng, other_la[nb])
        switch = u > 0.8
        agency[switch] = _other_agency(rng, other_la[switch], agencies, year)
        day = tl.sample_days(rng, np.full(m, year), "nsp")
        if cohort == PSYCH:
            # Substances by person type (a handful of distinct probability vectors).
            types = np.unique(psych_t)
            probs = _psych_substance_probs(types, codes)
            row_type = np.searchsorted(types, psych_t)[row_person]
            substance = np.empty(m, np.int16)
            for i in range(len(types)):
                sel = np.flatnonzero(row_type == i)
                substance[sel] = categories(rng, len(sel), probs[i])
            # A few psychoactive injectors also collect for steroids once in the year.
            steroid_person = (rng.random(n) < 0.01) & (visits >= 3)
            first_row = np.cumsum(visits) - visits
            rows = first_row[steroid_person]
            substance[rows] = codes.index(sub, "anabolic_steroids")
        else:
            p = codes.weights(sub, _IPED_INJECTED)
            substance = categories(rng, m, p).astype(np.int16)
        target = int(round(NEEDLES_PER_VISIT[cohort][year] * m))
        needles = _needles(rng, m, target)
        if cohort == PSYCH:
            u2 = rng.random(m)
            syringes = np.where(
                u2 < 0.45,
                needles,
                np.where(u2 < 0.7, -1, np.round(needles * rng.uniform(0.3, 1, m))),
            )
        else:
            syringes = np.where(rng.random(m) < 0.8, np.round(needles * 0.5), -1)
        sharps = np.array([codes.index("yes_no", "Y"), codes.index("yes_no", "N"), -1])[
            categories(rng, m, np.array([0.55, 0.35, 0.10]))
        ]
        pid = persons[row_person]
        home = people.home[pid].astype(np.int16)
        home[rng.random(m) < 0.05] = -1
        parts.append(
            Table(
                person=pid.astype(np.int32),
                agency=agency.astype(np.int32),
                day=day,
                substance=substance,
                needles=needles.astype(np.int32),
                syringes=syringes.astype(np.int32),
                sharps=sharps.astype(np.int16),
                client_la=home,
                year=np.full(m, year, np.int8),
            )
        )
    return Table.concat(parts)


def _psych_substance_probs(types: np.ndarray, codes: CodeLists) -> np.ndarray:
    """Per-person probabilities over ims_injected_substance for psychoactive injectors."""
    sub = "ims_injected_substance"
    k = len(codes.of(sub))
    probs = np.zeros((len(types), k))
    heroin, crack, cocaine = (codes.index(sub, c) for c in ("heroin", "crack", "cocaine"))
    other = codes.index(sub, "other_psychoactive")
    probs[types == OPIATE_ONLY, heroin] = 0.97
    probs[types == OPIATE_ONLY, other] = 0.03
    probs[types == BOTH, heroin] = 0.72
    probs[types == BOTH, crack] = 0.28
    probs[types == CRACK_ONLY, crack] = 0.8
    probs[types == CRACK_ONLY, cocaine] = 0.2
    non = types < 0
    primary = codes.indices(sub, list(_NON_OCU_INJECTED))[-1 - types[non]]
    rows = np.flatnonzero(non)
    probs[rows, primary] = 0.9
    probs[rows, codes.index(sub, "amphetamine")] += 0.1
    return probs


def _needles(rng: np.random.Generator, n: int, target: int) -> np.ndarray:
    """Needles per visit (mostly packs of five), adjusted to the exact yearly total."""
    if n == 0:
        return np.zeros(0, np.int64)
    mean = target / n
    x = rng.gamma(1.6, mean / 1.6, n)
    needles = np.where(x < 3, np.maximum(np.round(x), 1), np.round(x / 5) * 5).astype(np.int64)
    diff = target - int(needles.sum())
    step = 5
    while diff != 0:
        if diff > 0:
            k = min(diff // step, n) or 1
            rows = rng.choice(n, k, replace=False)
            add = step if diff >= step else diff
            needles[rows] += add
            diff -= add * k
        else:
            big = np.flatnonzero(needles > step)
            if len(big) == 0:
                break
            k = min(-diff // step, len(big)) or 1
            rows = rng.choice(big, k, replace=False)
            sub = step if -diff >= step else -diff
            needles[rows] -= sub
            diff += sub * k
    return needles


def _first_visits(rng: np.random.Generator, nsp: Table, codes: CodeLists) -> np.ndarray:
    """``Y`` on a client's first visit to an agency — unless they were already clients before
    the window (people seen in 2013-14 mostly were), ``N`` otherwise, sometimes blank."""
    n = len(nsp)
    order = np.lexsort((nsp["day"], nsp["agency"], nsp["person"]))
    p, a = nsp["person"][order], nsp["agency"][order]
    first = np.ones(n, bool)
    first[1:] = (p[1:] != p[:-1]) | (a[1:] != a[:-1])
    is_first = np.zeros(n, bool)
    is_first[order] = first
    # first year in the data of each person
    pord = np.lexsort((nsp["year"], nsp["person"]))
    pp = nsp["person"][pord]
    start = np.ones(n, bool)
    start[1:] = pp[1:] != pp[:-1]
    first_year_sorted = np.maximum.accumulate(np.where(start, np.arange(n), 0))
    fy_person = np.empty(n, np.int8)
    fy_person[pord] = nsp["year"][pord][first_year_sorted]
    new_client = (fy_person > 0) | (rng.random(n) < 0.25)
    yes, no = codes.index("yes_no", "Y"), codes.index("yes_no", "N")
    out = np.where(is_first & new_client, yes, no).astype(np.int16)
    out[(out == no) & (rng.random(n) < 0.1)] = -1
    return out


# --- interventions ----------------------------------------------------------------------------


def _interventions(
    rng: np.random.Generator,
    year: int,
    scale: float,
    psych_p: np.ndarray,
    psych_la: np.ndarray,
    psych_t: np.ndarray,
    iped_p: np.ndarray,
    iped_la: np.ndarray,
    bi_p: np.ndarray,
    bi_la: np.ndarray,
    bi_main: np.ndarray,
    agencies: Agencies,
    people: PersonRegistry,
    codes: CodeLists,
) -> Table:
    ims = "ims_substance"
    at = "agency_type"
    # BI clients: about six interventions each.
    n_bi = len(bi_p)
    bi_counts = spread(rng, int(round(BI_PER_CLIENT * n_bi)), n_bi, 1.0)
    # PWID: 90 % of psychoactive and 28 % of IPED clients, to the yearly total. Substances are
    # recorded only with interventions, and the main substance is published as recorded for
    # 87 % of the psychoactive cohort, so nearly all of them have at least one.
    weight_2020 = PSYCH_TOTAL[-1] + 0.3 * IPED_TOTAL[-1]
    pwid_total = int(
        round(
            PWID_INTERVENTIONS_2020
            * scale
            * (PSYCH_TOTAL[year] + 0.3 * IPED_TOTAL[year])
            / weight_2020
        )
    )
    take_ps = rng.random(len(psych_p)) < 0.90
    take_ip = _exactly(rng, len(iped_p), 0.28)
    n_ps, n_ip = int(take_ps.sum()), int(take_ip.sum())
    ps_total = int(round(pwid_total * n_ps / max(n_ps + 0.45 * n_ip, 1)))
    ip_total = max(pwid_total - ps_total, n_ip)
    ps_counts = spread(rng, max(ps_total, n_ps), n_ps, 1.0)
    ip_counts = spread(rng, ip_total, n_ip, 1.5)
    # Main and second substance per client-year.
    ps_main, ps_second = _psych_substances(rng, psych_t[take_ps], len(psych_p), codes)
    ip_main = np.where(
        rng.random(n_ip) < 0.85,
        codes.index(ims, "anabolic_steroids"),
        codes.index(ims, "other_iped"),
    )
    ip_second = np.full(n_ip, -1, np.int16)
    rec = _exactly(rng, n_ip, 0.143)  # 4 % of the whole IPED cohort (151 of 3,773)
    # Exact shares (the report's 80 / 8 / 3 / 2 / 2 %, the rest cannabis): of ~151 people, a
    # random draw would miss a printed share by more than its 2-point tolerance.
    ip_second[rec] = codes.indices(
        ims, ["other_iped", "alcohol", "heroin", "cocaine", "other_drug", "cannabis"]
    )[exact_categories(rng, int(rec.sum()), np.array([80, 8, 3, 2, 2, 5], float))]
    bi_second = np.full(n_bi, -1, np.int16)
    rec = rng.random(n_bi) < 0.25
    alcohol = codes.index(ims, "alcohol")
    drug2 = codes.indices(ims, ["cannabis", "cocaine", "benzodiazepines"])[
        categories(rng, n_bi, np.array([0.55, 0.35, 0.10]))
    ]
    bi_second[rec] = np.where(bi_main[rec] == alcohol, drug2[rec], alcohol)
    bi_second[rec & (bi_main == codes.index(ims, "none"))] = -1
    persons = np.concatenate([bi_p, psych_p[take_ps], iped_p[take_ip]])
    las = np.concatenate([bi_la, psych_la[take_ps], iped_la[take_ip]])
    counts = np.concatenate([bi_counts, ps_counts, ip_counts])
    main = np.concatenate([bi_main, ps_main, ip_main]).astype(np.int16)
    second = np.concatenate([bi_second, ps_second, ip_second]).astype(np.int16)
    is_bi = np.concatenate([np.ones(n_bi, bool), np.zeros(n_ps + n_ip, bool)])
    pharmacy = codes.index(at, "pharmacy")
    bi_kinds = {
        codes.index(at, "treatment_service"): 0.5,
        codes.index(at, "other"): 0.25,
        codes.index(at, "outreach"): 0.2,
        codes.index(at, "specialist_nsp"): 0.05,
    }
    pwid_kinds = {
        codes.index(at, "specialist_nsp"): 0.6,
        codes.index(at, "outreach"): 0.3,
        pharmacy: 0.1,
    }
    usual = np.where(
        is_bi,
        _usual_agency(rng, las, agencies, year, bi_kinds),
        _usual_agency(rng, las, agencies, year, pwid_kinds),
    )
    row = np.repeat(np.arange(len(persons)), counts)
    m = len(row)
    agency = usual[row]
    switch = rng.random(m) < 0.1
    agency[switch] = _other_agency(rng, las[row][switch], agencies, year)
    day = tl.sample_days(rng, np.full(m, year), "intervention")
    share = np.array([CATEGORY_COUNTS[c] for c in codes.of("intervention_category")], float)
    category = exact_categories(rng, m, share).astype(np.int16)
    pid = persons[row]
    home = people.home[pid].astype(np.int16)
    home[rng.random(m) < 0.04] = -1
    return Table(
        person=pid.astype(np.int32),
        agency=agency.astype(np.int32),
        day=day,
        category=category,
        main=main[row],
        second=second[row],
        client_la=home,
        year=np.full(m, year, np.int8),
    )


def _exactly(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """A mask of exactly ``round(share * n)`` of ``n`` places, chosen at random."""
    mask = np.zeros(n, bool)
    mask[rng.permutation(n)[: int(round(share * n))]] = True
    return mask


def _exact_count(
    rng: np.random.Generator, values: np.ndarray, code: int, k: int, donors: list[int], spill: int
) -> None:
    """Make exactly ``k`` of ``values`` equal ``code`` (in place): a surplus becomes ``spill``,
    a shortfall is taken at random from values in ``donors`` (as far as they go)."""
    have = np.flatnonzero(values == code)
    if len(have) > k:
        values[rng.choice(have, len(have) - k, replace=False)] = spill
    elif len(have) < k:
        pool = np.flatnonzero(np.isin(values, donors))
        take = min(k - len(have), len(pool))
        values[rng.choice(pool, take, replace=False)] = code


def _psych_substances(
    rng: np.random.Generator, types: np.ndarray, n_cohort: int, codes: CodeLists
) -> tuple[np.ndarray, np.ndarray]:
    """Per client with interventions (most of the cohort of ``n_cohort``): main substance mostly
    heroin, crack for crack users, amphetamine or another drug for the rest; a second substance
    for some. The counts the report prints are met exactly (``PSYCH_MAIN``, ``PSYCH_SECOND``):
    of a few hundred people, random draws would miss them by more than their tolerance."""
    ims = "ims_substance"
    n = len(types)
    c = {
        k: codes.index(ims, k)
        for k in (
            "heroin",
            "other_opiates",
            "crack",
            "cocaine",
            "amphetamine",
            "other_drug",
            *PSYCH_SECOND,
        )
    }
    main = np.full(n, c["heroin"], np.int16)
    u = rng.random(n)
    main[(types == OPIATE_ONLY) & (u > 0.95)] = c["other_opiates"]
    main[(types == BOTH) & (u > 0.97)] = c["crack"]
    main[types == CRACK_ONLY] = c["crack"]
    non = types < 0
    non_main = np.array(
        [c["amphetamine"], c["cocaine"], c["other_drug"], c["other_drug"], c["other_drug"]]
    )
    main[non] = non_main[-1 - types[non]]
    blank = np.flatnonzero(~_exactly(rng, n, min(PSYCH_MAIN_RECORDED * n_cohort / max(n, 1), 1)))
    main[blank] = -1
    recorded = int((main >= 0).sum())
    # Crack users beyond the printed count record powder cocaine; amphetamine users beyond it
    # "another drug".
    _exact_count(
        rng, main, c["crack"], round(PSYCH_MAIN["crack"] * recorded), [c["cocaine"]], c["cocaine"]
    )
    _exact_count(
        rng,
        main,
        c["amphetamine"],
        round(PSYCH_MAIN["amphetamine"] * recorded),
        [c["other_drug"]],
        c["other_drug"],
    )
    second = np.full(n, -1, np.int16)
    n_second = min(int(round(PSYCH_SECOND_RECORDED * n_cohort)), n)
    counts = allocate(n_second, np.array(list(PSYCH_SECOND.values()), float))
    free = np.ones(n, bool)
    for name, k in zip(PSYCH_SECOND, counts, strict=True):
        code = c[name]
        # Heroin as a second drug mostly for people on another opiate (methadone); crack for
        # opiate users; the rest for anyone: never the person's own main substance.
        prefer = {
            "heroin": main == c["other_opiates"],
            "crack": (types == OPIATE_ONLY) | (types == BOTH),
        }.get(name, np.zeros(n, bool))
        cand = np.flatnonzero(free & (main != code))
        pri = rng.random(len(cand)) + 2.0 * prefer[cand]
        pick = cand[np.argsort(-pri, kind="stable")[:k]]
        second[pick] = code
        free[pick] = False
    return main, second
