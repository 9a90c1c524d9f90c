"""IMS activity: NSP visits (needles, substances, first visits) and interventions of the
cohort members ``ims`` chooses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from smw_demo import areas as geo
from smw_demo import timeline as tl
from smw_demo.codes import CodeLists
from smw_demo.ims_agencies import Agencies
from smw_demo.ims_calibration import (
    BI_PER_CLIENT,
    CATEGORY_COUNTS,
    IPED,
    IPED_TOTAL,
    NEEDLES_PER_VISIT,
    PSYCH,
    PSYCH_TOTAL,
    PWID_INTERVENTIONS_2020,
    VISITS_PER_PERSON,
)
from smw_demo.people import PersonRegistry
from smw_demo.sampling import (
    allocate,
    categories,
    exact_categories,
    spread,
)
from smw_demo.table import Table
from smw_demo.targets import (
    PSYCH_MAIN,
    PSYCH_MAIN_RECORDED,
    PSYCH_SECOND,
    PSYCH_SECOND_RECORDED,
)
from smw_demo.treatment_systems import (
    BOTH,
    CRACK_ONLY,
    OPIATE_ONLY,
)


@dataclass(frozen=True)
class YearCohorts:
    """One year's IMS cohort members, each as a person index and a service area (parallel
    arrays): psychoactive PWID (``psych_type``: their treatment type, negative for a drug other
    than opiates or crack), IPED PWID and brief-intervention-only clients (``bi_main``: the main
    substance recorded for them)."""

    psych_person: np.ndarray
    psych_la: np.ndarray
    psych_type: np.ndarray
    iped_person: np.ndarray
    iped_la: np.ndarray
    bi_person: np.ndarray
    bi_la: np.ndarray
    bi_main: np.ndarray


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

    def pick(rows: np.ndarray, cand: np.ndarray) -> np.ndarray:
        w = np.array([kinds.get(int(t), 0.0) for t in agencies.type[cand]])
        if w.sum() == 0:
            w = np.ones(len(cand))
        # spread preference evenly over agencies of a type
        return cand[categories(rng, len(rows), w / w.sum())]

    return _agency_per_area(la, agencies, year, pick)


def _other_agency(
    rng: np.random.Generator, la: np.ndarray, agencies: Agencies, year: int
) -> np.ndarray:
    """Any active agency in the given area (an occasional visit elsewhere)."""
    return _agency_per_area(
        la, agencies, year, lambda rows, cand: cand[rng.integers(0, len(cand), len(rows))]
    )


def _agency_per_area(
    la: np.ndarray,
    agencies: Agencies,
    year: int,
    pick: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> np.ndarray:
    """An agency for each row of ``la``: area by area, ``pick(rows, candidates)`` chooses among
    the agencies of that area active in ``year`` (-1 where none is picked)."""
    act = agencies.active(year)
    out = np.full(len(la), -1, np.int32)
    for a in range(geo.N_AREAS):
        rows = np.flatnonzero(la == a)
        if len(rows) == 0:
            continue
        cand = np.flatnonzero(act & (agencies.la == a))
        out[rows] = pick(rows, cand)
    return out


def _nsp_transactions(
    rng: np.random.Generator,
    year: int,
    members: YearCohorts,
    agencies: Agencies,
    people: PersonRegistry,
    codes: CodeLists,
) -> Table:
    sub = "ims_injected_substance"
    at = "agency_type"
    pharmacy, specialist = codes.index(at, "pharmacy"), codes.index(at, "specialist_nsp")
    outreach = codes.index(at, "outreach")
    parts: list[Table] = []
    for cohort, persons, las in (
        (PSYCH, members.psych_person, members.psych_la),
        (IPED, members.iped_person, members.iped_la),
    ):
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
            types = np.unique(members.psych_type)
            probs = _psych_substance_probs(types, codes)
            row_type = np.searchsorted(types, members.psych_type)[row_person]
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
    members: YearCohorts,
    agencies: Agencies,
    people: PersonRegistry,
    codes: CodeLists,
) -> Table:
    ims = "ims_substance"
    at = "agency_type"
    # BI clients: about six interventions each.
    n_bi = len(members.bi_person)
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
    take_ps = rng.random(len(members.psych_person)) < 0.90
    take_ip = _exactly(rng, len(members.iped_person), 0.28)
    n_ps, n_ip = int(take_ps.sum()), int(take_ip.sum())
    ps_total = int(round(pwid_total * n_ps / max(n_ps + 0.45 * n_ip, 1)))
    ip_total = max(pwid_total - ps_total, n_ip)
    ps_counts = spread(rng, max(ps_total, n_ps), n_ps, 1.0)
    ip_counts = spread(rng, ip_total, n_ip, 1.5)
    # Main and second substance per client-year.
    ps_main, ps_second = _psych_substances(
        rng, members.psych_type[take_ps], len(members.psych_person), codes
    )
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
    bi_second[rec] = np.where(members.bi_main[rec] == alcohol, drug2[rec], alcohol)
    bi_second[rec & (members.bi_main == codes.index(ims, "none"))] = -1
    persons = np.concatenate(
        [members.bi_person, members.psych_person[take_ps], members.iped_person[take_ip]]
    )
    las = np.concatenate([members.bi_la, members.psych_la[take_ps], members.iped_la[take_ip]])
    counts = np.concatenate([bi_counts, ps_counts, ip_counts])
    main = np.concatenate([members.bi_main, ps_main, ip_main]).astype(np.int16)
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
