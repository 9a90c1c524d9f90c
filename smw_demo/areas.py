"""The demo geography: the nine Cheshire & Merseyside authorities, their neighbours, and
Leicestershire.

Figures are rounded ONS mid-year totals (2013 and 2020) and a relative "need" index used to scale
treatment, prevalence and criminal-justice activity: need is highest in Liverpool and Knowsley,
as the published C&M profiles show, and lowest in Cheshire East. Out-of-region areas exist only
so that DIP transfers and residence can point outside the region as they do in the Sefton profile.

Leicestershire (East Midlands) is the county of the JSNA chapter. It is simulated on its own random
streams and only for the sources its figures need (treatment, TOP, prevalence, population): no
IMS or DIP data describe it, and adding it leaves the nine areas' simulation unchanged. Its
residence index comes after the out-of-region areas (``COUNTY_INDEX``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.lib.spec import DEMO_AREAS


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    short: str  # three letters, used in provider and agency names
    pop_2013: int
    pop_2020: int
    need: float  # relative treatment / OCU need (1.0 = Leicestershire-like)
    iped: float  # relative IPED (steroid) NSP use
    bi: float  # relative brief-intervention activity
    merseyside: bool
    neighbours: tuple[str, ...]
    custody_suites: tuple[str, ...]  # Knowsley has none: its arrests go to neighbouring suites


_AREAS: tuple[Area, ...] = (
    Area("E06000049", "Cheshire East", "CHE", 372_700, 386_700, 0.85, 1.1, 0.9, False,
         ("E06000050", "E06000007"), ("Middlewich Custody Suite", "Macclesfield Custody Suite")),
    Area("E06000050", "Cheshire West and Chester", "CWC", 331_000, 343_000, 1.0, 1.1, 0.9, False,
         ("E08000015", "E06000006", "E06000007", "E06000049"), ("Blacon Custody Suite (Chester)",)),
    Area("E06000006", "Halton", "HAL", 126_000, 129_400, 1.6, 0.9, 1.0, False,
         ("E08000011", "E08000013", "E06000007", "E06000050"), ("Runcorn Custody Suite",)),
    Area("E08000011", "Knowsley", "KNO", 146_000, 154_500, 1.8, 0.8, 1.0, True,
         ("E08000012", "E08000013", "E06000006", "E08000014"), ()),
    Area("E08000012", "Liverpool", "LIV", 470_800, 498_000, 2.3, 1.0, 1.35, True,
         ("E08000011", "E08000014", "E08000015"),
         ("St Anne Street Custody Suite", "Wavertree Road Custody Suite",
          "Belle Vale Custody Suite")),
    Area("E08000013", "St. Helens", "STH", 176_000, 181_100, 1.6, 0.9, 1.0, True,
         ("E08000011", "E06000007", "E06000006"), ("St Helens – College Street Custody Suite",)),
    Area("E08000014", "Sefton", "SEF", 273_300, 276_400, 1.4, 1.0, 1.0, True,
         ("E08000012", "E08000011"),
         ("Copy Lane Custody Suite (Bootle)", "Southport Custody Suite")),
    Area("E06000007", "Warrington", "WAR", 204_000, 211_000, 1.15, 1.2, 0.95, False,
         ("E08000013", "E06000006", "E06000050", "E06000049"), ("Warrington Custody Suite",)),
    Area("E08000015", "Wirral", "WIR", 320_000, 324_300, 1.7, 1.3, 1.0, True,
         ("E06000050", "E08000012"), ("Wirral – Wallasey Custody Suite",)),
)  # fmt: skip

#: Treatment-only demo areas outside the region (own streams, no IMS or DIP).
#: Population: ONS mid-2013 and mid-2020 (about 690,000 in mid-2017, the JSNA's denominator).
COUNTY_AREAS: tuple[Area, ...] = (
    Area("E10000018", "Leicestershire", "LEI", 659_000, 713_000, 1.0, 1.0, 1.0, False, (), ()),
)

AREAS: tuple[Area, ...] = tuple(sorted(_AREAS, key=lambda a: list(DEMO_AREAS).index(a.code)))
if tuple(a.code for a in (*AREAS, *COUNTY_AREAS)) != tuple(DEMO_AREAS):
    raise RuntimeError("demo areas out of step with spec.DEMO_AREAS")
#: The region's areas (every source); indices 0 .. N_AREAS - 1.
N_AREAS = len(AREAS)
AREA_INDEX: dict[str, int] = {a.code: i for i, a in enumerate(AREAS)}

#: Areas outside the region: residence of some DIP clients, and DIP transfer counterparts.
OUT_OF_REGION: tuple[tuple[str, str], ...] = (
    ("E08000010", "Wigan"),
    ("E08000006", "Salford"),
    ("E10000017", "Lancashire"),
    ("E10000015", "Hertfordshire"),
    ("E10000027", "Somerset"),
    ("E09000025", "Newham"),
    ("E09000013", "Hammersmith and Fulham"),
)
#: Every residence code the simulation uses: the nine region areas first, then the areas outside
#: the region, then the county areas.
ALL_LA_CODES: tuple[str, ...] = (
    *(a.code for a in AREAS),
    *(c for c, _ in OUT_OF_REGION),
    *(a.code for a in COUNTY_AREAS),
)
ALL_LA_NAMES: tuple[str, ...] = (
    *(a.name for a in AREAS),
    *(n for _, n in OUT_OF_REGION),
    *(a.name for a in COUNTY_AREAS),
)
#: Residence index of each county area.
COUNTY_INDEX: tuple[int, ...] = tuple(
    N_AREAS + len(OUT_OF_REGION) + i for i in range(len(COUNTY_AREAS))
)
#: Salford (North West, Greater Manchester), the city of the 2007-08 needs assessment: simulated
#: on its own streams, for its own years only (``smw_demo.salford``: 2006-07 and 2007-08), and
#: for treatment and population alone. It keeps its residence index among the areas outside the
#: region (a few Cheshire & Merseyside DIP clients live there, years later). ``pop_2013`` and
#: ``pop_2020`` hold the first and the eighth year of its own simulated window: ONS mid-2006
#: (about 219,000) and mid-2013 (about 239,000). Its need index sets its 2007-08 caseload
#: (1,153 people in drug treatment).
SALFORD = Area("E08000006", "Salford", "SAL", 219_000, 239_000, 1.45, 1.0, 1.0, False, (), ())
SALFORD_INDEX = ALL_LA_CODES.index(SALFORD.code)
#: Every demo area (region, then county) and its residence index, in spec.DEMO_AREAS order.
DEMO: tuple[tuple[int, Area], ...] = (
    *enumerate(AREAS),
    *zip(COUNTY_INDEX, COUNTY_AREAS, strict=True),
)
LA_LOOKUP = np.array([*ALL_LA_CODES, ""], dtype=object)

PRISONS: tuple[str, ...] = (
    "HMP Liverpool",
    "HMP Altcourse",
    "HMP Styal",
    "HMP Forest Bank",
    "HMP Risley",
    "HMP Drake Hall",
    "HMP Stoke Heath",
)


def cjit_name(la_index: int) -> str:
    """The DIP team name used in ``transfer_from`` / ``transferred_to`` ("Liverpool CJIT")."""
    name = ALL_LA_NAMES[la_index].replace("St. Helens", "St Helens")
    return f"{name} CJIT"


def population(year_index: int | np.ndarray, areas: tuple[Area, ...] = AREAS) -> np.ndarray:
    """Total population per area (default: the region's) for a financial year index (linear
    2013 → 2020)."""
    t = np.clip(np.asarray(year_index, dtype=float), 0, 7) / 7.0
    p13 = np.array([a.pop_2013 for a in areas], dtype=float)
    p20 = np.array([a.pop_2020 for a in areas], dtype=float)
    return p13 + np.multiply.outer(t, p20 - p13)


def neighbour_matrix() -> np.ndarray:
    """Row-stochastic matrix of 'which neighbouring area' choices (uniform over neighbours)."""
    m = np.zeros((N_AREAS, N_AREAS))
    for i, a in enumerate(AREAS):
        for code in a.neighbours:
            m[i, AREA_INDEX[code]] = 1.0
        m[i] /= m[i].sum()
    return m


def pick_neighbour(rng: np.random.Generator, la: np.ndarray) -> np.ndarray:
    """A neighbouring demo area for each element of ``la`` (residence indices); an area outside
    the region has no neighbour in the demo and keeps its own."""
    cum = np.cumsum(neighbour_matrix(), axis=1)
    u = rng.random(len(la))
    out = np.asarray(la, dtype=np.int8).copy()
    inside = out < N_AREAS
    out[inside] = (u[inside, None] > cum[out[inside]]).sum(axis=1)
    return out


def custody_suites() -> tuple[list[str], np.ndarray]:
    """Custody suite names and the demo-area index of each."""
    names: list[str] = []
    las: list[int] = []
    for i, a in enumerate(AREAS):
        for s in a.custody_suites:
            names.append(s)
            las.append(i)
    return names, np.array(las, dtype=np.int8)
