"""Treatment groups, their calibrated parameters, the two treatment systems (the region and the
county) and their providers; see ``treatment``."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from orchestration.lib.spec import DEMO_PERIODS
from smw_demo import areas as geo
from smw_demo import targets
from smw_demo import timeline as tl

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
    #: arrivals by financial year before the window, the latest last (a system whose history
    #: is sent: the county's from 2009-10); earlier years repeat the first; empty: as 2013-14
    history_trend: tuple[float, ...] = ()

    def trend_of(self, fy: int) -> float:
        """Arrivals in financial year index ``fy`` (negative: before the window)."""
        if fy >= 0:
            return self.trend[min(fy, tl.N_YEARS - 1)]
        h = self.history_trend
        return h[max(len(h) + fy, 0)] if h else self.trend[0]


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
    parental: dict[str, float] | None = None  # new presentations' parental status (None: _PARENTAL)
    #: years added to the age at first journey, by sex (male, female); (0, 0): none
    age_shift: tuple[float, float] = (0.0, 0.0)
    #: TOP: a review's reduction is of the episode's own start (False: of a fresh draw)
    top_reduce_from_start: bool = False
    #: TOP: share of six-monthly reviews recorded
    top_review_kept: float = 0.8
    #: the first financial year the system's extracts report (the window's first unless told:
    #: the county's history reaches back to 2009-10, the year its chapter compares with)
    first_fy: int = tl.FIRST_FY

    @property
    def first_day(self) -> int:
        """1 April of ``first_fy``: episodes and TOP reviews ending before it are never sent."""
        return tl.fy_bounds(self.first_fy - tl.FIRST_FY)[0]

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
#: Leicestershire, shaped from its JSNA chapter (2016-17 and 2017-18); every tuning value lives
#: in ``targets`` (``COUNTY_GROUPS``, ``COUNTY_SYSTEM``), with the figures it aims at.
_COUNTY_PARAMS = tuple(
    replace(PARAMS[g], **targets.COUNTY_GROUPS.get(name, {})) for g, name in enumerate(GROUPS)
)
COUNTY = TreatmentSystem(
    "county-",
    geo.COUNTY_AREAS,
    geo.COUNTY_INDEX,
    COUNTY_INPATIENT,
    COUNTY_RESIDENTIAL,
    False,
    params=_COUNTY_PARAMS,
    anchor_year=DEMO_PERIODS.index("2017-18"),
    **targets.COUNTY_SYSTEM,
)
# --- Salford 2006-07 and 2007-08 (needs assessment; smw_demo.salford moves it to its years) ---
#: Drug treatment only (the five agencies; no alcohol service in the figures). PDUs are 80 % of
#: people in treatment (``targets.SAL_PDU_SHARE``): the opiate group, and non-opiate clients who
#: cite crack. Arrivals fall after 2006-07 (new presentations 452 -> 360); the window's later
#: years (simulated, then dropped) repeat 2007-08. People in treatment, counted once, are the
#: agencies' caseloads less their transfers (``targets.SAL_PEOPLE``: 1,248 and 1,090). Opiate
#: journeys are shorter than the region's (a median of 520 days beyond 12 weeks) and non-PDU ones
#: longer (310). Calibrated at scales 1 and 10: the fall, the opiate group's margin below the PDU
#: share, the journeys' lengths and the need index (``areas.SALFORD``).
_SAL_FALL = (1.0, *(0.66,) * 7)
_SAL_OPIATE = targets.SAL_PDU_SHARE - 0.04
_SAL_NON_PDU = {"median_days": 310, "early": 0.09}
_SAL_OPIATE_DAYS = 520
_SALFORD_PARAMS = (
    replace(
        PARAMS[OPIATE],
        share=_SAL_OPIATE,
        trend=_SAL_FALL,
        male=0.76,
        median_days=_SAL_OPIATE_DAYS,
    ),
    replace(PARAMS[NON_OPIATE], share=0.15, trend=_SAL_FALL, **_SAL_NON_PDU),
    replace(
        PARAMS[NON_OPIATE_ALCOHOL], share=1 - _SAL_OPIATE - 0.15, trend=_SAL_FALL, **_SAL_NON_PDU
    ),
    replace(PARAMS[ALCOHOL_ONLY], share=0.002, trend=(1.0,) * 8),
)
#: Weights of all referrals (criminal-justice routes 30 %; ``salford_quotas`` makes 2007-08's 107).
_SAL_CJ = 100 * targets.SAL_CJ_SHARE
_SALFORD_REFERRAL = {
    "self": 42, "arrest_referral": 0.3 * _SAL_CJ, "drr": 0.27 * _SAL_CJ,
    "probation": 0.2 * _SAL_CJ, "prison": 0.15 * _SAL_CJ, "other_cjs": 0.08 * _SAL_CJ,
    "gp": 13, "hospital": 2, "a_and_e": 0.5, "social_services": 2, "drug_service": 3,
    "alcohol_service": 0.5, "other": 68 - 42 - 13 - 2 - 0.5 - 2 - 3 - 0.5 + 30 - _SAL_CJ,
    "": 2,
}  # fmt: skip
SALFORD = TreatmentSystem(
    "salford-",
    (geo.SALFORD,),
    (geo.SALFORD_INDEX,),
    "TPNWR01",
    "TPNWR02",
    False,
    params=_SALFORD_PARAMS,
    anchor_year=1,  # 2007-08, the second of its own years
    both_share=0.3,  # known to treatment 2007-08: 299 use both, 741 opiates only
    referral_drug=_SALFORD_REFERRAL,
)
SYSTEMS: tuple[TreatmentSystem, ...] = (REGION, COUNTY, SALFORD)
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
