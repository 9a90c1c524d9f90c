"""Structured treatment (NDTMS episodes) and Treatment Outcomes Profile reviews.

Treatment is simulated as *careers*: a person starts a treatment journey, the journey ends
(completed, unplanned, or transferred into custody) and the person may come back after a gap,
as NDTMS clients do. Careers start from a warm-up year well before the window so that the 2013-14
caseload already holds the long opiate journeys (years) the published length-in-treatment
figures describe. A journey occasionally moves to another provider mid-way (a transfer, followed
by a new episode within 21 days): that is what the warehouse must chain into one journey.
The county's extracts reach back to 2009-10 (``TreatmentSystem.first_fy``), the year its chapter
compares 2017-18 with: its episodes and TOP reviews from then on are sent (in month files of
their own, ``sources``), and its arrivals before the window follow ``GroupParams.history_trend``.

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

from dataclasses import dataclass

import numpy as np

from smw_demo import areas as geo
from smw_demo import timeline as tl
from smw_demo.codes import CodeLists
from smw_demo.people import PersonRegistry
from smw_demo.sampling import rng_for
from smw_demo.table import Table
from smw_demo.treatment_episodes import _episodes_for_group, _recommission
from smw_demo.treatment_systems import (
    COMPLETED,
    CUSTODY,
    GROUPS,
    OPIATE,
    REGION,
    TREATMENT_RATE,
    UNPLANNED,
    TreatedPeople,
    TreatmentSystem,
)
from smw_demo.treatment_top import _top_reviews

_MAX_JOURNEYS = 8


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
    trend = np.array([p.trend_of(int(f)) for f in fys])
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
