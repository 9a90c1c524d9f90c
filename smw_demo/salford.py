"""Salford, the city of the 2007-08 needs assessment (report 004), in its own years.

The report is about 2006-07 and 2007-08, years before the demo window (2013-14 on). Salford is
simulated as a treatment system of its own (``treatment_systems.SALFORD``, random streams named
``salford-...``) on the window's calendar, then moved back by whole calendar years (2013-04-01
becomes 2006-04-01) and cut at the end of its last year, 31 March 2008: episodes referred later
are dropped, and an episode still open then has no discharge yet, as in an extract taken that
day. Its people's birth dates move back with them, so ages are kept. Nothing else of the demo
depends on Salford, and Salford's rows go to month files of their own (2006-04 .. 2008-03).

Only treatment episodes and population describe Salford (no TOP reviews: the report prints no
outcome, and TOP began in 2007). Once in its years, ``salford_quotas`` sets 2007-08's
criminal-justice referrals and the treatment bullseye's known rings at their printed counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smw_demo import areas as geo
from smw_demo import targets
from smw_demo import timeline as tl
from smw_demo.codes import CodeLists
from smw_demo.people import PersonRegistry
from smw_demo.reference import population_rows
from smw_demo.salford_agencies import salford_agencies
from smw_demo.salford_quotas import salford_quotas
from smw_demo.sampling import rng_for
from smw_demo.table import Table
from smw_demo.treatment import simulate_treatment
from smw_demo.treatment_systems import ALCOHOL_ONLY, SALFORD, TreatedPeople

#: Salford's own financial years: 2006-07 and 2007-08.
FIRST_FY = 2006
N_YEARS = 2
PERIODS: tuple[str, ...] = tuple(
    f"{y}-{(y + 1) % 100:02d}" for y in range(FIRST_FY, FIRST_FY + N_YEARS)
)
#: The first calendar year of Salford's last financial year (2007-08), the report's year.
LAST_FY = FIRST_FY + N_YEARS - 1
#: Whole calendar years between the window's first year and Salford's.
SHIFT = FIRST_FY - tl.FIRST_FY
#: The last day of Salford's extracts (31 March 2008), and the same day on the window's calendar.
END_DAY = tl.to_day(f"{FIRST_FY + N_YEARS}-03-31")
_SIM_END = int(tl.FY_START[N_YEARS]) - 1
MONTH_LABELS = tl.own_month_labels(FIRST_FY, N_YEARS)
_DAY_COLUMNS = ("referral", "triage", "first_int", "discharge")
#: Share of the people in drug treatment at the end of 2006-07 whose episode the provider closed
#: then (calibrated: people in treatment fall 1,248 -> 1,090 (``targets.SAL_PEOPLE``) while new
#: presentations fall 452 -> 360).
CASELOAD_REVIEW = 0.10


@dataclass
class SalfordTreatment:
    episodes: Table
    people: TreatedPeople
    targets: dict[str, list[int]]


def simulate_salford(
    seed: int, scale: float, people: PersonRegistry, codes: CodeLists
) -> SalfordTreatment:
    """Salford's episodes in 2006-07 and 2007-08 (and its open caseload from before)."""
    first_person = len(people)
    result = simulate_treatment(seed, scale, people, codes, SALFORD)
    eps = _review_caseload(rng_for(seed, "salford-caseload-review"), _cut(result.episodes), codes)
    for col in _DAY_COLUMNS:
        eps[col] = tl.shift_years(eps[col], SHIFT).astype(np.int32)
    dob = people.dob  # the registry's own array: moved in place
    dob[first_person:] = tl.shift_years(dob[first_person:], SHIFT).astype(np.int32)
    rng = rng_for(seed, "salford-quotas")
    eps = salford_quotas(rng, scale, eps, people, codes, LAST_FY)
    eps = salford_agencies(
        rng_for(seed, "salford-agencies"),
        scale,
        eps,
        people,
        codes,
        PERIODS,
        rng_for(seed, "salford-referrals"),
    )
    tp = result.people
    tp.first_fy[:] = np.minimum(tp.first_fy, N_YEARS - 1)
    tp.last_fy[:] = np.minimum(tp.last_fy, N_YEARS - 1)
    aims = {g: v[:N_YEARS] for g, v in result.targets.items()}
    return SalfordTreatment(eps, tp, aims)


def _review_caseload(rng: np.random.Generator, eps: Table, codes: CodeLists) -> Table:
    """Salford's caseload fell by 13 % in 2007-08 while new presentations fell by 20 % (ASPIRE's
    by half): more people left at the end of 2006-07 than careers alone give. A share of the
    people in drug treatment on 31 March 2007 (``CASELOAD_REVIEW``) have that episode closed by
    the provider in the last quarter of 2006-07 and do not come back within Salford's years."""
    year_end = int(tl.FY_START[1]) - 1  # 31 March of the first year (window calendar)
    dis = np.where(eps["discharge"] == tl.NO_DATE, np.iinfo(np.int32).max, eps["discharge"])
    spans = (eps["referral"] <= year_end) & (dis > year_end) & (eps["group"] != ALCOHOL_ONLY)
    people = np.unique(eps["person"][spans])
    leaving = people[rng.random(len(people)) < CASELOAD_REVIEW]
    closed = spans & np.isin(eps["person"], leaving)
    later = (eps["referral"] > year_end) & np.isin(eps["person"], leaving)
    n = int(closed.sum())
    day = np.maximum(eps["referral"][closed], year_end - rng.integers(0, 91, n))
    eps["discharge"] = eps["discharge"].copy()
    eps["discharge"][closed] = day
    eps["reason"] = eps["reason"].copy()
    eps["reason"][closed] = codes.index("discharge_reason", "withdrawn_by_provider")
    for col in ("triage", "first_int"):
        values = eps[col].copy()
        values[closed & (values > eps["discharge"])] = tl.NO_DATE
        eps[col] = values
    return eps.take(np.flatnonzero(~later))


def _cut(eps: Table) -> Table:
    """The episodes as an extract taken at the end of Salford's last year (window calendar)."""
    eps = eps.take(np.flatnonzero(eps["referral"] <= _SIM_END))
    dis = eps["discharge"]
    open_ = (dis == tl.NO_DATE) | (dis > _SIM_END)
    eps["discharge"] = np.where(open_, tl.NO_DATE, dis).astype(np.int32)
    eps["reason"] = np.where(open_, -1, eps["reason"]).astype(eps["reason"].dtype)
    for col in ("triage", "first_int"):
        eps[col] = np.where(eps[col] > _SIM_END, tl.NO_DATE, eps[col]).astype(np.int32)
    return eps


def is_salford(la: np.ndarray) -> np.ndarray:
    """Rows about Salford (by residence index)."""
    return np.asarray(la) == geo.SALFORD_INDEX


def month_of(days: np.ndarray) -> np.ndarray:
    """Index of a Salford day's month file within ``MONTH_LABELS`` (clipped into its years)."""
    return tl.own_month_of(days, FIRST_FY, N_YEARS)


def salford_population_rows(rng: np.random.Generator) -> list[dict[str, str]]:
    """Salford's mid-year estimates for its own years (mid-2006 and mid-2007)."""
    return population_rows(rng, (geo.SALFORD,), FIRST_FY, N_YEARS)


def salford_prevalence_rows(scale: float) -> list[dict[str, str]]:
    """The 2006-07 prevalence estimates as published (times ``scale``), by drug group and age
    band (the OCU age split, applied to each group), and the same estimates for 2007-08: the
    needs assessment sets its 2007-08 treatment against the 2006-07 estimate, the latest there
    was. People who inject are not estimated in the report: none is written."""
    total_ocu = sum(targets.SAL_PREVALENCE_AGE.values())
    rows: list[dict[str, str]] = []
    for period in PERIODS:
        for group, (estimate, lower, upper) in targets.SAL_PREVALENCE.items():
            bands = {
                band: estimate * n / total_ocu for band, n in targets.SAL_PREVALENCE_AGE.items()
            }
            values = {band: round(v * scale) for band, v in bands.items()}
            values["15-64"] = round(estimate * scale)
            for band, value in values.items():
                lo_f, hi_f = lower / estimate, upper / estimate
                rows.append(
                    {
                        "la_code": geo.SALFORD.code,
                        "period": period,
                        "drug_group": group,
                        "age_band": band,
                        "estimate": str(int(value)),
                        "lower_95": str(int(np.floor(value * lo_f))),
                        "upper_95": str(int(np.ceil(value * hi_f))),
                    }
                )
    return rows
