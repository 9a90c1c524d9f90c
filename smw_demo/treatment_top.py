"""Treatment Outcomes Profile (TOP) reviews of treatment episodes; see ``treatment``."""

from __future__ import annotations

import numpy as np

from smw_demo import timeline as tl
from smw_demo.codes import CodeLists
from smw_demo.table import Table
from smw_demo.treatment_systems import TreatmentSystem


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
    rev_keep = rng.random(len(ep_rev)) < system.top_review_kept
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
    inwin = (day >= system.first_day) & (day <= tl.END_DAY)
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
    # The start row of each review's episode (the county's reductions are of that start).
    start_row = np.full(n, -1, np.int64)
    start_row[ep[is_start]] = np.flatnonzero(is_start)
    own_start = start_row[ep]
    completed_exit = (stage == 2) & planned[ep]
    cols: dict[str, np.ndarray] = {}
    for name, (used, base, abst) in use.items():
        abst = (system.top_abstinent or {}).get(name, abst)
        lo, hi = (system.top_reduced or {}).get(name, (0.15, 0.9))
        at_start = np.clip(np.round(rng.normal(base, 6, m)), 1, 28)
        base_days = at_start
        if system.top_reduce_from_start:
            base_days = np.where(own_start >= 0, at_start[np.maximum(own_start, 0)], at_start)
        reduced = np.clip(np.round(base_days * rng.uniform(lo, hi, m)), 1, 28)
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
