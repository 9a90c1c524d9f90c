"""The opiate and/or crack user (OCU) population: the hub that links the sources.

Everyone the warehouse may classify as OCU — treated opiate clients, crack users, NSP
psychoactive injectors using heroin or crack, DIP clients naming them, opiate-positive drug tests —
is drawn from this one simulated population, and the prevalence estimates are computed from it at
the end. That is what keeps the treatment bullseye coherent: the "not known to treatment" ring
is the estimate minus the people known to treatment, and it stays ≥ 0 because the estimate
counts the whole simulated population, including users who never reach any service.

People are *active* (using) over a span of financial years. Treated people are active around
their treatment; untreated users are added per area and year until the active population meets
the target (≈13,800 across the nine areas in 2013-14, falling to ≈12,400 by 2020-21, in
proportion to need; NSP and criminal-justice activity add a few more), so penetration (OCU people
in treatment ÷ estimate) is ≈ 45 % and the share known to treatment higher.

Leicestershire has its own pool (no NSP or DIP draws on it), sized to the JSNA's 2014-15
estimate: 2,700 OCU aged 15-64, of whom 2,285 use opiates and 1,478 crack.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from smw_demo import areas as geo
from smw_demo import targets
from smw_demo import timeline as tl
from smw_demo.people import SEX_MALE, PersonRegistry, dob_for_age
from smw_demo.sampling import allocate
from smw_demo.treatment_systems import (
    BOTH,
    CRACK_ONLY,
    OPIATE_ONLY,
    REGION,
    TreatedPeople,
    TreatmentSystem,
)

#: Active OCU population across the nine areas at scale 1, by financial year.
OCU_TOTAL = (13_800, 13_600, 13_400, 13_200, 13_000, 12_800, 12_600, 12_400)
#: Shares of OCU types among untreated users (Salford: 737 / 666 / 280 opiate / both / crack).
UNTREATED_TYPES = {OPIATE_ONLY: 0.42, BOTH: 0.38, CRACK_ONLY: 0.20}
#: Active OCU population of each county area at scale 1 (every year; the estimate adds ~2 %:
#: 2,650 for the chapter's 2,700), and the OCU types of the county's untreated users.
COUNTY_OCU = targets.COUNTY_OCU
_TYPE = {"opiate_only": OPIATE_ONLY, "both": BOTH, "crack_only": CRACK_ONLY}
COUNTY_UNTREATED_TYPES = {_TYPE[k]: v for k, v in targets.COUNTY_UNTREATED_TYPES.items()}


@dataclass
class OcuPool:
    person: np.ndarray
    home: np.ndarray  # demo-area index of residence
    service: np.ndarray  # demo-area index where they use services
    sex: np.ndarray
    dob: np.ndarray
    drug_type: np.ndarray  # OPIATE_ONLY / BOTH / CRACK_ONLY
    injector: np.ndarray
    treated: np.ndarray
    first_fy: np.ndarray  # active span, financial-year indices
    last_fy: np.ndarray

    def __len__(self) -> int:
        return len(self.person)

    def active(self, year: int) -> np.ndarray:
        return (self.first_fy <= year) & (self.last_fy >= year)

    def extend(self, other: OcuPool) -> None:
        for f in fields(self):
            setattr(self, f.name, np.concatenate([getattr(self, f.name), getattr(other, f.name)]))


def ocu_targets(scale: float, system: TreatmentSystem = REGION) -> np.ndarray:
    """Active OCU people per (area of the system, year) the pool aims at."""
    if system is not REGION:
        counts = [round(COUNTY_OCU[a.code] * scale) for a in system.areas]
        return np.repeat(np.array(counts, dtype=np.int64)[:, None], tl.N_YEARS, axis=1)
    pop = geo.population(np.arange(tl.N_YEARS))  # (year, area)
    need = np.array([a.need for a in geo.AREAS])
    out = np.zeros((geo.N_AREAS, tl.N_YEARS), dtype=np.int64)
    for y in range(tl.N_YEARS):
        out[:, y] = allocate(round(OCU_TOTAL[y] * scale), pop[y] * need**1.2)
    return out


def build_ocu_pool(
    rng: np.random.Generator,
    scale: float,
    people: PersonRegistry,
    treated: TreatedPeople,
    system: TreatmentSystem = REGION,
) -> OcuPool:
    """Treated OCU people (active around their treatment) plus untreated users to the targets.
    People whose treatment all ended before the window (the county's history) are not in it."""
    sel = (treated.drug_type >= 0) & (treated.last_fy >= 0)
    pid = treated.person[sel]
    n = len(pid)
    before = rng.geometric(0.3, n) - 1
    after = rng.geometric(0.35, n) - 1
    pool = OcuPool(
        person=pid,
        home=people.home[pid].copy(),
        service=people.service[pid].copy(),
        sex=people.sex[pid].copy(),
        dob=people.dob[pid].copy(),
        drug_type=treated.drug_type[sel].copy(),
        injector=treated.injector[sel].copy(),
        treated=np.ones(n, bool),
        first_fy=np.clip(treated.first_fy[sel].astype(int) - before, 0, tl.N_YEARS - 1).astype(
            np.int8
        ),
        last_fy=np.clip(treated.last_fy[sel].astype(int) + after, 0, tl.N_YEARS - 1).astype(
            np.int8
        ),
    )
    targets = ocu_targets(scale, system)
    types = None if system is REGION else COUNTY_UNTREATED_TYPES
    for y in range(tl.N_YEARS):
        active = pool.active(y)
        have = np.bincount(pool.home[active], minlength=len(geo.ALL_LA_CODES))[system.la]
        need = np.maximum(targets[:, y] - have, 0)
        if need.sum() == 0:
            continue
        la = np.repeat(system.la, need).astype(np.int8)
        # Users found at the start of the window may have begun long before; later ones are new.
        length = rng.geometric(0.13, len(la))
        pool.extend(new_untreated(rng, people, la, y, y + length - 1, types=types))
    return pool


def new_untreated(
    rng: np.random.Generator,
    people: PersonRegistry,
    home: np.ndarray,
    first_fy: int | np.ndarray,
    last_fy: int | np.ndarray,
    *,
    injector: np.ndarray | None = None,
    sex: np.ndarray | None = None,
    age_at_mid: np.ndarray | None = None,
    drug_type: np.ndarray | None = None,
    service: np.ndarray | None = None,
    types: dict[int, float] | None = None,
) -> OcuPool:
    """Create untreated OCU users (who may later be seen by NSP, DIP or drug testing)."""
    n = len(home)
    home = np.asarray(home, np.int8)
    first = np.broadcast_to(np.asarray(first_fy), (n,)).astype(np.int64)
    last = np.clip(np.broadcast_to(np.asarray(last_fy), (n,)).astype(np.int64), 0, tl.N_YEARS - 1)
    if drug_type is None:
        shares = types or UNTREATED_TYPES
        kinds = np.array(list(shares))
        probs = np.array(list(shares.values()))
        drug_type = kinds[rng.choice(len(kinds), n, p=probs)]
    drug_type = np.asarray(drug_type, np.int8)
    if injector is None:
        p_inj = np.where(drug_type == CRACK_ONLY, 0.2, 0.86)
        injector = rng.random(n) < p_inj
    if sex is None:
        sex = np.where(rng.random(n) < 0.86, SEX_MALE, 1).astype(np.int8)
    if age_at_mid is None:
        birth_year = rng.normal(1975.5, 9.0, n)
        mid_year = tl.FIRST_FY + first
        age_at_mid = np.maximum(mid_year - birth_year, 18.5 + rng.random(n) * 3)
    dob = dob_for_age(rng, age_at_mid, tl.FY_MID[np.clip(first, 0, tl.N_YEARS - 1)])
    if service is None:
        service = home.copy()
        move = rng.random(n) < 0.15
        service[move] = geo.pick_neighbour(rng, home[move])
    service = np.asarray(service, np.int8)
    pid = people.add(dob, sex, home, service)
    return OcuPool(
        person=pid,
        home=home,
        service=service,
        sex=np.asarray(sex, np.int8),
        dob=dob,
        drug_type=drug_type,
        injector=np.asarray(injector, bool),
        treated=np.zeros(n, bool),
        first_fy=first.astype(np.int8),
        last_fy=last.astype(np.int8),
    )
