"""Leicestershire's people by what the chapter prints of them beyond the cohorts' counts (see
``treatment_quotas``): hepatitis C testing of people who have injected in 2012-13, and Indian new
presentations in 2017-18. Values only, on the county's quota streams."""

from __future__ import annotations

import numpy as np

from smw_demo import targets
from smw_demo import timeline as tl
from smw_demo.codes import CodeLists
from smw_demo.table import Table
from smw_demo.treatment_quota_ages import in_drug_treatment


def hcv_tested(
    rng: np.random.Generator,
    eps: Table,
    area: int,
    drug_groups: tuple[int, ...],
    codes: CodeLists,
) -> None:
    """Hepatitis C testing of people in drug treatment in 2012-13 who have injected: the printed
    90.8 %, exactly, as the warehouse counts it (each person's latest episode of the year, by
    referral; injected previously or currently; not assessed not eligible). A test recorded or
    taken away on latest episodes that end before 2016-17, whose own printed share the county's
    weight (``targets.COUNTY_SYSTEM``) meets."""
    year = 2012 - tl.FIRST_FY
    here = np.flatnonzero(in_drug_treatment(eps, area, drug_groups, year))
    order = here[np.lexsort((here, eps["referral"][here]))]
    person = eps["person"][order]
    _, last = np.unique(person[::-1], return_index=True)
    latest = order[::-1][last]
    hcv = eps["hcv"]
    injected = np.isin(
        eps["injecting"][latest], codes.indices("injecting_status", ["previously", "currently"])
    )
    eligible = latest[injected & (hcv[latest] != codes.index("hcv_tested", "not_eligible"))]
    tested = codes.index("hcv_tested", "Y")
    have = int((hcv[eligible] == tested).sum())
    want = int(round(targets.published("leic-2012-13-hcv-tested-share") * len(eligible)))
    dis = eps["discharge"][eligible].astype(np.int64)
    ends_before = (dis != tl.NO_DATE) & (dis < tl.fy_bounds(2016 - tl.FIRST_FY)[0])
    pool = eligible[ends_before & ((hcv[eligible] == tested) == (have > want))]
    pick = pool[rng.permutation(len(pool))[: abs(want - have)]]
    hcv[pick] = codes.index("hcv_tested", "N") if have > want else tested


def indian_presentations(
    rng: np.random.Generator,
    scale: float,
    presenting_people: np.ndarray,
    eth: np.ndarray,
    codes: CodeLists,
) -> None:
    """Indian new presentations 2017-18: the printed 9, at least (the warehouse publishes the
    Asian group they belong to): people of the other groups that are not White join it, the
    largest group's first, so no small group is made smaller."""
    indian = codes.index("ethnicity", "H")
    others = codes.indices("ethnicity", list("DEFGJKLMNPRS"))
    have = int((eth[presenting_people] == indian).sum())
    k = int(round(targets.count("leic-2017-18-np-ethnicity-indian-count") * scale))
    cats = np.array(codes.categories["ethnicity"], dtype=object)
    for _ in range(max(k - have, 0)):
        pool = presenting_people[np.isin(eth[presenting_people], others)]
        if len(pool) == 0:
            break
        group, size = np.unique(cats[eth[pool]], return_counts=True)
        largest = pool[cats[eth[pool]] == group[int(np.argmax(size))]]
        eth[largest[rng.integers(len(largest))]] = indian
