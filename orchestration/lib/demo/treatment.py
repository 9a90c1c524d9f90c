"""Structured treatment (NDTMS episodes) and Treatment Outcomes Profile reviews.

Treatment is simulated as *careers*: a person starts a treatment journey, the journey ends
(completed, unplanned, or transferred into custody) and the person may come back after a gap,
as NDTMS clients do. Careers start from a warm-up year well before the window so that the 2013-14
caseload already holds the long opiate journeys (years) the published length-in-treatment
figures describe. A journey occasionally moves to another provider mid-way (a transfer, followed
by a new episode within 21 days): that is what the warehouse must chain into one journey.

Calibration (Leicestershire JSNA 2017-18, §5.3 of the seed catalogue):
* volume — Leicestershire's 2,074 people in treatment for ~690,000 residents, scaled to each
  demo area's population and a need index (higher in Liverpool and Knowsley); the arrival rate of
  careers is solved in a first pass so that the people-in-treatment count per area matches;
* group mix 54 / 6 / 9 / 31 % (opiate / non-opiate / non-opiate & alcohol / alcohol only);
* successful completions ~7 % / 40 % / 38 % of people in treatment, new presentations ~35 % of
  the drug-treatment population, early unplanned exits 14 / 8 / 9 % of new presentations,
  waits under 3 weeks for ~96 % with a few over 6 weeks;
* age at journey start per group so that the 2017-18 drug population is mostly 30-49, 75 % male.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from orchestration.lib.demo import areas as geo
from orchestration.lib.demo import targets
from orchestration.lib.demo import timeline as tl
from orchestration.lib.demo.codes import CodeLists
from orchestration.lib.demo.people import SEX_MALE, PersonRegistry, dob_for_age
from orchestration.lib.demo.sampling import categories, rng_for
from orchestration.lib.demo.table import Table
from orchestration.lib.spec import DEMO_PERIODS

GROUPS = ("opiate", "non_opiate", "non_opiate_alcohol", "alcohol_only")
OPIATE, NON_OPIATE, NON_OPIATE_ALCOHOL, ALCOHOL_ONLY = range(4)

#: Leicestershire 2017-18: 2,074 people in treatment for about 690,000 residents.
TREATMENT_RATE = targets.LEIC_IN_TREATMENT / targets.LEIC_POPULATION_2017
_SHARE = targets.LEIC_GROUP_SHARE

# Outcome of a journey.
COMPLETED, UNPLANNED, CUSTODY = 0, 1, 2

# OCU drug types (opiate and/or crack users).
OPIATE_ONLY, BOTH, CRACK_ONLY = 0, 1, 2


@dataclass(frozen=True)
class GroupParams:
    share: float  # of people in treatment
    trend: tuple[float, ...]  # arrivals by financial year 2013-14 … 2020-21
    warmup_years: int
    early: float  # journeys ending unplanned within 12 weeks
    median_days: float  # median length beyond 12 weeks of the other journeys
    sigma: float
    p_complete: float  # of journeys that last beyond 12 weeks
    p_custody: float
    p_transfer: float  # journeys moving to another provider mid-way
    p_return_complete: float  # careers that continue after a completion …
    p_return_other: float  # … or after any other ending
    male: float
    age_base: float  # age at first journey = base + gamma(k, theta)
    age_k: float
    age_theta: float


PARAMS: tuple[GroupParams, ...] = (
    GroupParams(
        _SHARE["opiate"],
        (1.04, 1.03, 1.02, 1.0, 0.98, 0.97, 0.96, 0.93),
        14,
        0.14,
        720,
        1.05,
        0.34,
        0.05,
        0.14,
        0.30,
        0.62,
        0.74,
        23.0,
        2.6,
        4.5,
    ),
    GroupParams(
        _SHARE["non_opiate"],
        (0.85, 0.9, 0.95, 0.92, 1.0, 1.05, 1.1, 1.05),
        5,
        0.095,
        125,
        0.6,
        0.75,
        0.02,
        0.06,
        0.18,
        0.30,
        0.78,
        18.0,
        1.8,
        5.5,
    ),
    GroupParams(
        _SHARE["non_opiate_alcohol"],
        (0.78, 0.82, 0.86, 0.8, 1.0, 1.05, 1.1, 1.05),
        5,
        0.095,
        115,
        0.6,
        0.69,
        0.02,
        0.06,
        0.18,
        0.30,
        0.77,
        19.0,
        2.2,
        6.5,
    ),
    GroupParams(
        _SHARE["alcohol_only"],
        (1.05, 1.0, 0.97, 0.95, 1.0, 1.0, 1.02, 0.95),
        5,
        0.12,
        110,
        0.65,
        0.68,
        0.01,
        0.05,
        0.15,
        0.28,
        0.62,
        24.0,
        4.0,
        5.5,
    ),
)

_MAX_JOURNEYS = 8


@dataclass(frozen=True)
class TreatmentSystem:
    """Areas whose treatment is simulated together, on their own random streams.

    The region's streams keep the names they had before the county joined (``label`` empty), so
    adding a county changes none of the region's numbers.
    """

    label: str  # prefix of the random stream names
    areas: tuple[geo.Area, ...]
    residence: tuple[int, ...]  # residence index (geo.ALL_LA_CODES) of each area
    inpatient: str  # provider codes of the system's inpatient and residential units
    residential: str
    recommission: bool  # the Wirral re-commissioning happens in this system
    params: tuple[GroupParams, ...] = PARAMS
    #: the year whose target is the groups' share of the treatment rate (None: the mean year)
    anchor_year: int | None = None
    both_share: float = 0.45  # opiate clients who also use crack
    employment: tuple[dict[str, float], ...] | None = None  # per group (None: _EMPLOYMENT)
    referral_drug: dict[str, float] | None = None  # drug groups (None: _referral_sources)
    #: per referral year, the share of first waits of three weeks or more (None: ~4 %, one draw)
    long_wait: tuple[float, ...] | None = None
    #: TOP: chance a later review is abstinent, per drug column (None: the region's), and at a
    #: completed exit
    top_abstinent: dict[str, float] | None = None
    top_abstinent_completed: float = 0.8
    #: TOP: a reduced user's days as a fraction of the start's, per drug column (None: 0.15-0.9)
    top_reduced: dict[str, tuple[float, float]] | None = None
    p_residential: float = 0.3  # of transfers: residential rehabilitation
    opiate_urgent_housing: float = 9  # weight of an urgent housing need among opiate clients
    adjunct: dict[str, float] | None = None  # opiate clients' adjunctive drugs (None: _ADJUNCT)
    hcv_tested: float = 80  # weight of "tested" among injectors (against 18 not tested)

    @property
    def la(self) -> np.ndarray:
        return np.array(self.residence, dtype=np.int8)


@dataclass
class TreatedPeople:
    """People created for treatment careers, with what other sources need to know of them."""

    person: np.ndarray  # registry index
    group: np.ndarray  # treatment substance group
    drug_type: np.ndarray  # OCU type, -1 for non-OCU
    injector: np.ndarray  # bool: injects (or has injected) drugs
    primary: np.ndarray  # treatment_substance index of the main non-opiate drug (-1 if none)
    first_fy: np.ndarray  # first / last financial year with a journey overlapping it
    last_fy: np.ndarray


@dataclass
class TreatmentResult:
    episodes: Table
    top: Table
    people: TreatedPeople
    targets: dict[str, list[int]]  # people in treatment per group and year (calibration aims)


def _fy_start_day(fy: np.ndarray) -> np.ndarray:
    """1 April of financial year index ``fy`` (may be negative: before the window)."""
    years = tl.FIRST_FY + np.asarray(fy, dtype=np.int64)
    april = (years - 1970).astype("datetime64[Y]").astype("datetime64[M]") + 3
    return april.astype("datetime64[D]").astype(np.int64)


def target_in_treatment(scale: float, system: TreatmentSystem | None = None) -> np.ndarray:
    """People in treatment per (group, area of the system, year) the simulation aims at."""
    system = system or REGION
    pop = geo.population(np.arange(tl.N_YEARS), system.areas)  # (year, area)
    need = np.array([a.need for a in system.areas])
    out = np.zeros((len(GROUPS), len(system.areas), tl.N_YEARS))
    for g, p in enumerate(system.params):
        base = np.mean(p.trend) if system.anchor_year is None else p.trend[system.anchor_year]
        trend = np.array(p.trend) / base
        out[g] = (pop * need).T * TREATMENT_RATE * p.share * trend * scale
    return out


def _simulate_careers(
    rng: np.random.Generator, g: int, rate: np.ndarray, system: TreatmentSystem
) -> dict[str, np.ndarray]:
    """Careers for group ``g`` with ``rate[area]`` career starts per year (before trend)."""
    p = system.params[g]
    fys = np.arange(-p.warmup_years, tl.N_YEARS)
    trend = np.array([p.trend[min(max(f, 0), tl.N_YEARS - 1)] for f in fys])
    lam = rate[:, None] * trend[None, :]
    counts = rng.poisson(lam)
    # At least one start per area and year in the window, so tiny extracts stay complete.
    counts[:, fys >= 0] = np.maximum(counts[:, fys >= 0], 1)
    n_areas = len(system.areas)
    la = np.repeat(np.repeat(system.la, len(fys)), counts.ravel())
    fy = np.repeat(np.tile(fys, n_areas), counts.ravel())
    n = len(la)
    start0 = _fy_start_day(fy) + rng.integers(0, 365, n)
    k = _MAX_JOURNEYS
    early = rng.random((n, k)) < p.early
    dur = np.where(
        early,
        rng.integers(7, 81, (n, k)),
        85 + np.exp(np.log(p.median_days) + p.sigma * rng.standard_normal((n, k))),
    ).astype(np.int64)
    dur = np.minimum(dur, 365 * 18).astype(np.int32)
    u = rng.random((n, k))
    outcome = np.where(
        early,
        UNPLANNED,
        np.where(
            u < p.p_complete,
            COMPLETED,
            np.where(u < p.p_complete + p.p_custody, CUSTODY, UNPLANNED),
        ),
    ).astype(np.int8)
    # Deaths in treatment: about 1.2 % of people in drug treatment a year, as in England.
    died = (outcome == UNPLANNED) & (rng.random((n, k)) < (0.085 if g == OPIATE else 0.025))
    cont_p = np.where(outcome == COMPLETED, p.p_return_complete, p.p_return_other)
    cont = (rng.random((n, k)) < cont_p) & ~died
    # Gaps before returning: some completions re-present within six months.
    quick = rng.random((n, k)) < 0.5
    gap_complete = np.where(
        quick,
        rng.integers(22, 183, (n, k)),
        np.exp(np.log(700) + 0.6 * rng.standard_normal((n, k))),
    )
    gap_other = 28 + np.exp(np.log(240) + 0.8 * rng.standard_normal((n, k)))
    gap = np.where(outcome == COMPLETED, gap_complete, gap_other).astype(np.int32)
    del gap_complete, gap_other, quick, u
    alive = np.ones((n, k), bool)
    alive[:, 1:] = np.cumprod(cont[:, :-1], axis=1).astype(bool)
    starts = np.zeros((n, k), np.int32)
    starts[:, 0] = start0
    for j in range(1, k):
        starts[:, j] = starts[:, j - 1] + dur[:, j - 1] + gap[:, j - 1]
    ends = starts + dur
    keep = alive & (starts <= tl.END_DAY)
    return {
        "la": la,
        "start": starts,
        "end": ends,
        "outcome": outcome,
        "died": died,
        "early": early,
        "keep": keep,
    }


def _in_treatment_by_year(c: dict[str, np.ndarray], system: TreatmentSystem) -> np.ndarray:
    """People (careers) in treatment per (area of the system, year)."""
    out = np.zeros((len(system.areas), tl.N_YEARS))
    keep = c["keep"]
    n_la = len(geo.ALL_LA_CODES)
    for y in range(tl.N_YEARS):
        lo, hi = tl.FY_START[y], tl.FY_START[y + 1] - 1
        inyear = (keep & (c["start"] <= hi) & (c["end"] >= lo)).any(axis=1)
        out[:, y] = np.bincount(c["la"][inyear], minlength=n_la)[system.la]
    return out


def simulate_treatment(
    seed: int,
    scale: float,
    people: PersonRegistry,
    codes: CodeLists,
    system: TreatmentSystem | None = None,
) -> TreatmentResult:
    """Episodes, TOP reviews and the treated people for every group and area of ``system``
    (default: the region)."""
    system = system or REGION
    x = system.label
    targets = target_in_treatment(scale, system)
    episodes: list[Table] = []
    treated: list[TreatedPeople] = []
    for g in range(len(GROUPS)):
        # Pass 1 measures how many people in treatment a unit start rate gives; pass 2 uses the
        # rate that meets the target (on a fresh stream, so the two passes are independent).
        probe_rate = np.maximum(targets[g].mean(axis=1), 1.0) * 0.4
        probe = _simulate_careers(rng_for(seed, f"{x}tx-probe-{g}"), g, probe_rate, system)
        got = _in_treatment_by_year(probe, system).sum(axis=1)
        want = targets[g].sum(axis=1)
        rate = probe_rate * np.where(got > 0, want / np.maximum(got, 1), 1.0)
        careers = _simulate_careers(rng_for(seed, f"{x}tx-careers-{g}"), g, rate, system)
        eps, tp = _episodes_for_group(
            rng_for(seed, f"{x}tx-episodes-{g}"), g, careers, people, codes, system
        )
        episodes.append(eps)
        treated.append(tp)
    all_eps = Table.concat(episodes)
    if system.recommission:
        all_eps = _recommission(all_eps, codes)
    order = np.lexsort((all_eps["person"], all_eps["referral"]))
    all_eps = all_eps.take(order)
    top = _top_reviews(rng_for(seed, f"{x}tx-top"), all_eps, codes, system)
    tp_all = TreatedPeople(
        *(
            np.concatenate([getattr(t, f) for t in treated])
            for f in TreatedPeople.__dataclass_fields__
        )
    )
    aims = {GROUPS[g]: [int(round(v)) for v in targets[g].sum(axis=0)] for g in range(len(GROUPS))}
    return TreatmentResult(all_eps, top, tp_all, aims)


# --- episodes ------------------------------------------------------------------------------------

PROVIDER_COMMUNITY, PROVIDER_ALCOHOL, PROVIDER_SHARED_CARE, PROVIDER_NEW_COMMUNITY = range(4)
REGIONAL_INPATIENT = "TPCMR01"
REGIONAL_RESIDENTIAL = "TPCMR02"
COUNTY_INPATIENT = "TPEMR01"
COUNTY_RESIDENTIAL = "TPEMR02"
#: Wirral re-commissioned its adult community service on 1 April 2017: open episodes moved to
#: the new provider code (a transfer), as the Leicestershire JSNA describes for its own 2016 change.
RECOMMISSIONED_AREA = "E08000015"
RECOMMISSIONED_ON = tl.to_day("2017-04-01")


#: The region (every source) and the county (treatment only), each on its own streams.
REGION = TreatmentSystem(
    "",
    geo.AREAS,
    tuple(range(geo.N_AREAS)),
    REGIONAL_INPATIENT,
    REGIONAL_RESIDENTIAL,
    True,
)
#: Leicestershire, shaped from its JSNA chapter (2016-17 and 2017-18): new presentations by group
#: (opiate 348 -> 307, non-opiate 75 -> 75, non-opiate & alcohol 86 -> 127) set the arrival
#: trends; completions 6.8 / 40.3 / 38.2 %; early unplanned exits 14 / 8 / 9 %; people in drug
#: treatment younger than the region's (291 aged 18-29, 13 aged 60-69).
_COUNTY_PARAMS = (
    replace(
        PARAMS[OPIATE],
        share=0.505,  # the county's careers run longer than the trend assumes: 1,129 in 2017-18
        trend=(1.04, 1.03, 1.02, 1.11, 0.98, 0.97, 0.96, 0.93),
        p_complete=0.37,
        age_base=22.5,
        age_theta=4.2,
    ),
    replace(
        PARAMS[NON_OPIATE],
        share=0.063,
        trend=(0.6, 0.62, 0.66, 0.92, 1.0, 1.05, 1.1, 1.05),
        early=0.07,
        p_complete=0.76,
    ),
    replace(
        PARAMS[NON_OPIATE_ALCOHOL],
        trend=(0.5, 0.52, 0.55, 0.75, 1.0, 1.05, 1.1, 1.05),
        early=0.08,
        p_complete=0.72,
    ),
    PARAMS[ALCOHOL_ONLY],
)
#: New presentations' employment (27 % regular, 27 % unemployed or inactive, 41 % long-term sick
#: across the drug groups) and referral routes (49 % self, 30 % criminal justice).
_COUNTY_EMPLOYMENT = (
    {"regular_employment": 22, "unemployed_inactive": 28, "long_term_sick": 45,
     "unpaid_voluntary": 1, "education": 1, "other": 1, "": 2},
    {"regular_employment": 38, "unemployed_inactive": 28, "long_term_sick": 28,
     "unpaid_voluntary": 1, "education": 2, "other": 1, "": 2},
    {"regular_employment": 33, "unemployed_inactive": 25, "long_term_sick": 38,
     "unpaid_voluntary": 1, "education": 1, "other": 1, "": 1},
    {"regular_employment": 38, "unemployed_inactive": 24, "long_term_sick": 30,
     "unpaid_voluntary": 1, "education": 1, "other": 4, "": 2},
)  # fmt: skip
_COUNTY_REFERRAL = {
    "self": 46.5, "arrest_referral": 8, "drr": 6.5, "probation": 7, "prison": 7, "other_cjs": 2,
    "gp": 9, "hospital": 1, "a_and_e": 0.5, "social_services": 1, "drug_service": 2,
    "alcohol_service": 0.5, "other": 6.5, "": 2,
}  # fmt: skip
COUNTY = TreatmentSystem(
    "county-",
    geo.COUNTY_AREAS,
    geo.COUNTY_INDEX,
    COUNTY_INPATIENT,
    COUNTY_RESIDENTIAL,
    False,
    params=_COUNTY_PARAMS,
    anchor_year=DEMO_PERIODS.index("2017-18"),
    both_share=0.37,  # crack in treatment: 32 % of the 1,478 crack users (68 % unmet need)
    employment=_COUNTY_EMPLOYMENT,
    referral_drug=_COUNTY_REFERRAL,
    # waits of three weeks or more: 2 % in 2016-17, none to speak of from 2017-18 (100 %)
    long_wait=(0.04, 0.04, 0.03, 0.02, 0.002, 0.002, 0.002, 0.002),
    # TOP 2017-18: abstinent 39 / 45 / 42 / 26 % and significantly reduced 25 / 11 / 17 / 19 %
    # (opiates / crack / cannabis / alcohol) of those using at the start
    top_abstinent={
        "days_opiates": 0.31,
        "days_crack": 0.42,
        "days_cannabis": 0.30,
        "days_alcohol": 0.10,
    },
    top_abstinent_completed=0.6,
    top_reduced={"days_crack": (0.55, 1.0), "days_opiates": (0.2, 0.95)},
    p_residential=0.25,  # 18 people in residential rehabilitation in 2017-18
    opiate_urgent_housing=14,  # 16 % of opiate new presentations (8 % in 2009-10)
    adjunct={"alcohol": 26, "cannabis": 22, "cocaine": 13, "benzodiazepines": 16, "pom_otc": 19},
    hcv_tested=85,  # 86 % of eligible injectors tested in 2016-17
)
SYSTEMS: tuple[TreatmentSystem, ...] = (REGION, COUNTY)
_DEMO_AREAS = tuple(a for s in SYSTEMS for a in s.areas)
_N_LOCAL = len(_DEMO_AREAS) * 4
#: Provider slot of each residence index (-1: no local provider).
_SLOT = np.full(len(geo.ALL_LA_CODES), -1, np.int64)
_SLOT[[i for s in SYSTEMS for i in s.residence]] = np.arange(len(_DEMO_AREAS))


def provider_codes() -> list[str]:
    """All provider codes: four per demo area, then each system's inpatient and residential
    units."""
    codes = [f"TP{a.short}{i + 1:02d}" for a in _DEMO_AREAS for i in range(4)]
    units = [u for s in SYSTEMS for u in (s.inpatient, s.residential)]
    return [*codes, *units]


def _unit(system: TreatmentSystem, code: str) -> int:
    return provider_codes().index(code)


def _local_provider(la: np.ndarray, which: np.ndarray) -> np.ndarray:
    return (_SLOT[la.astype(np.int64)] * 4 + which).astype(np.int16)


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
    keep = c["keep"] & (c["end"] >= tl.START_DAY)
    in_window = keep.any(axis=1)
    idx = np.flatnonzero(in_window)
    n = len(idx)
    la = c["la"][idx].astype(np.int8)
    first_start = c["start"][idx, 0]
    # People: sex, age at first journey (the career may have begun before the window).
    sex = np.where(rng.random(n) < p.male, SEX_MALE, 1).astype(np.int8)
    age = np.minimum(p.age_base + rng.gamma(p.age_k, p.age_theta, n), 72.0)
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
    np.maximum.at(tp.last_fy, ci, np.clip(tl.fy_of(j_end), 0, tl.N_YEARS - 1).astype(np.int8))
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
    keep_e = (e_ref <= tl.END_DAY) & (open_ | (e_dis >= tl.START_DAY))
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
        parental=_draw(rng, codes, "parental_status", n_e, _PARENTAL),
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


# --- TOP ----------------------------------------------------------------------------------------


def _top_reviews(
    rng: np.random.Generator, eps: Table, codes: CodeLists, system: TreatmentSystem
) -> Table:
    """Start, six-monthly review and exit TOPs for most episodes, with drug-consistent days."""
    n = len(eps)
    fi = eps["first_int"].astype(np.int64)
    has_fi = fi != tl.NO_DATE
    dis = eps["discharge"].astype(np.int64)
    open_ = dis == tl.NO_DATE
    end = np.where(open_, tl.END_DAY, dis)
    # Reviews every ~182 days while in treatment.
    n_rev = np.where(has_fi, np.maximum((end - fi - 30) // 182, 0), 0)
    n_rev = np.minimum(n_rev, 40)
    ep_rev = np.repeat(np.arange(n), n_rev)
    k = np.arange(len(ep_rev)) - np.repeat(np.cumsum(n_rev) - n_rev, n_rev)
    rev_day = fi[ep_rev] + 182 * (k + 1) + rng.integers(-14, 15, len(ep_rev))
    rev_keep = rng.random(len(ep_rev)) < 0.8
    start_keep = has_fi & (rng.random(n) < 0.88)
    reason = eps["reason"]
    planned = np.isin(
        reason,
        codes.indices("discharge_reason", codes.in_category("discharge_reason", "completed")),
    )
    transferred = np.isin(
        reason,
        codes.indices("discharge_reason", codes.in_category("discharge_reason", "transferred")),
    )
    exit_p = np.where(planned, 0.85, np.where(transferred, 0.6, 0.3))
    exit_keep = (~open_) & has_fi & (rng.random(n) < exit_p) & (dis > fi)
    stage_codes = codes.indices("top_stage", ["start", "review", "exit"])
    ep = np.concatenate([np.flatnonzero(start_keep), ep_rev[rev_keep], np.flatnonzero(exit_keep)])
    day = np.concatenate(
        [
            fi[start_keep] + rng.integers(0, 8, int(start_keep.sum())),
            rev_day[rev_keep],
            dis[exit_keep],
        ]
    )
    stage = np.concatenate(
        [
            np.full(int(start_keep.sum()), 0),
            np.full(int(rev_keep.sum()), 1),
            np.full(int(exit_keep.sum()), 2),
        ]
    )
    day = np.minimum(day, end[ep])
    inwin = (day >= tl.START_DAY) & (day <= tl.END_DAY)
    ep, day, stage = ep[inwin], day[inwin], stage[inwin]
    order = np.lexsort((stage, ep, day))
    ep, day, stage = ep[order], day[order], stage[order]
    m = len(ep)
    ts = "treatment_substance"
    subs = np.stack([eps["s1"][ep], eps["s2"][ep], eps["s3"][ep]], axis=1)

    def uses(*names: str) -> np.ndarray:
        return np.isin(subs, codes.indices(ts, list(names))).any(axis=1)

    use = {
        "days_opiates": (uses("heroin", "methadone", "other_opiates"), 20, 0.40),
        "days_crack": (uses("crack"), 10, 0.45),
        "days_cocaine": (uses("cocaine"), 8, 0.59),
        "days_amphetamine": (uses("amphetamine"), 10, 0.60),
        "days_cannabis": (uses("cannabis"), 18, 0.42),
        "days_alcohol": (uses("alcohol"), 18, 0.30),
    }
    is_start = stage == 0
    completed_exit = (stage == 2) & planned[ep]
    cols: dict[str, np.ndarray] = {}
    for name, (used, base, abst) in use.items():
        abst = (system.top_abstinent or {}).get(name, abst)
        lo, hi = (system.top_reduced or {}).get(name, (0.15, 0.9))
        at_start = np.clip(np.round(rng.normal(base, 6, m)), 1, 28)
        reduced = np.clip(np.round(at_start * rng.uniform(lo, hi, m)), 1, 28)
        p_abst = np.where(completed_exit, system.top_abstinent_completed, abst)
        later = np.where(rng.random(m) < p_abst, 0, reduced)
        days = np.where(used, np.where(is_start, at_start, later), 0)
        days = np.where(rng.random(m) < 0.03, -1, days)  # not recorded
        cols[name] = days.astype(np.int16)
    inj_now = eps["injecting"][ep] == codes.index("injecting_status", "currently")
    yes, no = codes.index("yes_no", "Y"), codes.index("yes_no", "N")
    injected = np.where(inj_now & (is_start | (rng.random(m) < 0.52)), yes, no)
    injected = np.where(rng.random(m) < 0.04, -1, injected)
    acc = eps["accommodation"][ep]
    an = "accommodation_need"
    housing = np.full(m, codes.index("top_housing", "no_problem"), np.int16)
    housing[acc == codes.index(an, "urgent_problem")] = codes.index("top_housing", "urgent_problem")
    housing[acc == codes.index(an, "housing_problem")] = codes.index(
        "top_housing", "housing_problem"
    )
    improve = (~is_start) & (rng.random(m) < 0.3)
    housing[improve] = codes.index("top_housing", "no_problem")
    housing[rng.random(m) < 0.04] = -1
    # Half of those with a housing problem at assessment are of no fixed abode by their TOP start
    # (decided once per episode); by a later TOP one in three has somewhere, some only for now.
    urgent = codes.index("top_housing", "urgent_problem")
    slipped = (acc == codes.index(an, "housing_problem")) & (rng.random(n)[ep] < 0.5)
    housing = np.where(slipped & (housing >= 0) & (is_start | ~improve), urgent, housing)
    settled = (~is_start) & (housing == urgent) & (rng.random(m) < 0.15)
    housing = np.where(settled, codes.index("top_housing", "housing_problem"), housing)
    housing = housing.astype(np.int16)
    employed = eps["employment"][ep] == codes.index("employment_status", "regular_employment")
    work = np.where(
        employed, rng.integers(10, 21, m), np.where(rng.random(m) < 0.1, rng.integers(1, 11, m), 0)
    )
    work = np.where(rng.random(m) < 0.05, -1, work)
    # About one in ten without work at start is working ten days or more by a later TOP.
    into_work = (~is_start) & (~employed) & (work >= 0) & (rng.random(m) < 0.10)
    work = np.where(into_work, rng.integers(10, 21, m), work)
    return Table(
        episode=ep.astype(np.int32),
        review=day.astype(np.int32),
        stage=stage_codes[stage].astype(np.int16),
        **cols,
        injected=injected.astype(np.int16),
        housing=housing,
        work=work.astype(np.int16),
    )
