"""Treatment's extract rows: episodes and TOP reviews in month files (see :mod:`smw_demo.sources`
for keys, re-sends and files). Treatment has month files beyond the window's: Salford's own
years, and the county's history (Leicestershire from 2009-10); a record's file is the month of
its date in whichever of these it belongs to."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

from smw_demo import areas as geo
from smw_demo import salford
from smw_demo import timeline as tl
from smw_demo.codes import CodeLists
from smw_demo.sources import Attributor, SourceRows, _ids, _ints, _keyed, _lookup, _monthly
from smw_demo.table import Table
from smw_demo.treatment_systems import COUNTY

#: Treatment's month files: the window's, Salford's own years after them, then the county's history
#: (Leicestershire from 2009-10 to the window).
_HISTORY_MONTHS = tl.own_month_labels(COUNTY.first_fy, tl.FIRST_FY - COUNTY.first_fy)
_TREATMENT_STEMS = [*tl.MONTH_LABELS, *salford.MONTH_LABELS, *_HISTORY_MONTHS]


def _treatment_month(
    days: np.ndarray, own: np.ndarray, county: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(file index in ``_TREATMENT_STEMS``, calendar month) of treatment records dated ``days``:
    the window's months (an earlier date in its first), Salford's own years (``own``), the
    county's history for its dates before the window (``county``; an earlier date in the
    history's first month)."""
    days = np.asarray(days, np.int64)
    first = np.where(county, COUNTY.first_day, tl.START_DAY)
    first = np.where(own, tl.to_day(f"{salford.FIRST_FY}-04-01"), first)
    base = len(tl.MONTH_LABELS)
    files = np.where(own, base + salford.month_of(days), tl.month_of(np.maximum(days, first)))
    early = county & (days < tl.START_DAY)
    history = tl.own_month_of(days, COUNTY.first_fy, len(_HISTORY_MONTHS) // 12)
    files = np.where(early, base + len(salford.MONTH_LABELS) + history, files)
    when = np.maximum(days, first).astype("datetime64[D]").astype("datetime64[M]")
    return files, when.astype(np.int64)


def episode_rows(
    eps: Table, provider_codes: list[str], codes: CodeLists, attributor: Attributor
) -> tuple[SourceRows, Callable[[np.ndarray], list[str]]]:
    """Episodes in the month of referral (the open caseload in the first file), re-sent in the
    month of discharge. Returns the rows and the episode keys (for TOP's ``episode_id``)."""
    n = len(eps)
    ids = _ids("EPI", n)
    dis = eps["discharge"]
    has_dis = dis != tl.NO_DATE
    own = salford.is_salford(eps["la"])
    county = np.isin(eps["la"], geo.COUNTY_INDEX)
    ref_month, ref_when = _treatment_month(eps["referral"], own, county)
    dis_month, dis_when = _treatment_month(np.where(has_dis, dis, eps["referral"]), own, county)
    dis_month = np.where(has_dis, dis_month, -1)
    resend = has_dis & (dis_when > ref_when)
    later = np.flatnonzero(resend)
    rows = np.concatenate([np.arange(n), later])
    files = np.concatenate([ref_month, dis_month[later]])
    # the first version of a re-sent episode is still open: no discharge yet
    open_first = np.concatenate([resend, np.zeros(len(later), bool)])
    order = np.lexsort((rows, files))
    rows, files, open_first = rows[order], files[order], open_first[order]
    prov = np.array(provider_codes, dtype=object)
    lk = cache(codes.lookup)  # a code list's lookup array, made once
    d = eps.cols
    eth = attributor.ethnicity

    def render(sel: np.ndarray) -> dict[str, list[str]]:
        r = rows[sel]
        still_open = open_first[sel]
        discharge = np.where(still_open, tl.NO_DATE, d["discharge"][r])
        reason = np.where(still_open, -1, d["reason"][r])
        return {
            "episode_id": ids(r),
            "provider_code": prov[d["provider"][r]].tolist(),
            **attributor.columns(d["person"][r]),
            "ethnicity": _lookup(lk("ethnicity"), eth[d["person"][r]]),
            "client_la_code": _lookup(geo.LA_LOOKUP, d["la"][r]),
            "referral_date": tl.iso_dates(d["referral"][r]),
            "referral_source": _lookup(lk("referral_source"), d["referral_source"][r]),
            "triage_date": tl.iso_dates(d["triage"][r]),
            "first_intervention_date": tl.iso_dates(d["first_int"][r]),
            "setting": _lookup(lk("setting"), d["setting"][r]),
            "substance_1": _lookup(lk("treatment_substance"), d["s1"][r]),
            "substance_2": _lookup(lk("treatment_substance"), d["s2"][r]),
            "substance_3": _lookup(lk("treatment_substance"), d["s3"][r]),
            "injecting_status": _lookup(lk("injecting_status"), d["injecting"][r]),
            "accommodation_need": _lookup(lk("accommodation_need"), d["accommodation"][r]),
            "employment_status": _lookup(lk("employment_status"), d["employment"][r]),
            "parental_status": _lookup(lk("parental_status"), d["parental"][r]),
            "discharge_date": tl.iso_dates(discharge),
            "discharge_reason": _lookup(lk("discharge_reason"), reason),
            "hbv_vaccination": _lookup(lk("hbv_vaccination"), d["hbv"][r]),
            "hcv_tested": _lookup(lk("hcv_tested"), d["hcv"][r]),
        }

    sr = _monthly(
        "ndtms_episodes",
        rows,
        files,
        ids,
        render,
        d["referral"][rows],
        file_stems=_TREATMENT_STEMS,
        person=d["person"][rows],
        numeric={
            "referral": d["referral"][rows],
            "discharge": np.where(open_first, tl.NO_DATE, d["discharge"][rows]),
            "first_int": d["first_int"][rows],
        },
        county=np.isin(d["la"][rows], [*geo.COUNTY_INDEX, geo.SALFORD_INDEX]),
    )
    return sr, ids


def top_rows(
    top: Table,
    episode_ids: Callable[[np.ndarray], list[str]],
    codes: CodeLists,
    county_episode: np.ndarray | None = None,
) -> SourceRows:
    """TOP reviews; ``county_episode[e]`` says episode ``e`` is a county area's."""
    t, ids = _keyed(top, "TOP", "review", "episode", "stage")
    county = np.zeros(len(t), bool) if county_episode is None else county_episode[t["episode"]]
    files, _ = _treatment_month(t["review"], np.zeros(len(t), bool), county)
    order = np.argsort(files, kind="stable")  # rows in file order (the history's come last)
    stage = codes.lookup("top_stage")
    yn = codes.lookup("yes_no")
    housing = codes.lookup("top_housing")
    d = t.cols
    day_cols = (
        "days_opiates",
        "days_crack",
        "days_cocaine",
        "days_amphetamine",
        "days_cannabis",
        "days_alcohol",
    )

    def render(sel: np.ndarray) -> dict[str, list[str]]:
        r = order[sel]
        return {
            "top_id": ids(r),
            "episode_id": episode_ids(d["episode"][r]),
            "review_date": tl.iso_dates(d["review"][r]),
            "stage": _lookup(stage, d["stage"][r]),
            **{c: _ints(d[c][r]) for c in day_cols},
            "injected_last_28": _lookup(yn, d["injected"][r]),
            "housing": _lookup(housing, d["housing"][r]),
            "days_paid_work": _ints(d["work"][r]),
        }

    return _monthly(
        "ndtms_top",
        order,
        files[order],
        ids,
        render,
        d["review"][order],
        county=None if county_episode is None else county[order],
        file_stems=_TREATMENT_STEMS,
    )
