"""IMS service providers: agencies and pharmacies with their areas and active years."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smw_demo import areas as geo
from smw_demo import timeline as tl
from smw_demo.codes import CodeLists
from smw_demo.sampling import (
    allocate,
)


@dataclass
class Agencies:
    code: list[str]
    name: list[str]
    type: np.ndarray  # agency_type index
    la: np.ndarray
    first_fy: np.ndarray
    last_fy: np.ndarray
    opened: np.ndarray  # day or NO_DATE
    closed: np.ndarray

    def __len__(self) -> int:
        return len(self.code)

    def active(self, year: int) -> np.ndarray:
        return (self.first_fy <= year) & (self.last_fy >= year)


_STREETS = (
    "Bold Street",
    "Church Road",
    "High Street",
    "Market Street",
    "Station Road",
    "Park Road",
    "London Road",
    "Lord Street",
    "Smithdown Road",
    "County Road",
    "Scotland Road",
    "Borough Road",
    "Grange Road",
    "Victoria Road",
    "Chester Road",
    "Queen Street",
    "Northwich Road",
    "King Street",
    "Liverpool Road",
    "Manchester Road",
    "Derby Road",
    "Westminster Road",
    "Stanley Road",
    "Prescot Road",
    "Duke Street",
    "Mill Lane",
)
_CHAINS = (
    "Boots",
    "Lloydspharmacy",
    "Well",
    "Rowlands",
    "Superdrug",
    "Asda",
    "Tesco",
    "Morrisons",
    "Cohens",
    "Day Lewis",
    "Jhoots",
    "Allied",
)
_AGENCY_NAMES = {
    "specialist_nsp": (
        "{area} Harm Reduction Service",
        "{area} Needle Exchange – {street}",
        "{area} Steroid and IPED Clinic",
        "{area} Injecting Equipment Provision",
    ),
    "outreach": (
        "{area} Street Outreach Team",
        "{area} Rough Sleeper Outreach",
        "{area} Mobile Harm Reduction Unit",
    ),
    "treatment_service": (
        "{area} Recovery Hub",
        "{area} Community Drug and Alcohol Service",
        "{area} Alcohol Service",
        "{area} Criminal Justice Recovery Team",
        "{area} Shared Care Service",
    ),
    "other": (
        "{area} Young People's Service",
        "{area} Homeless Health Team",
        "{area} Sexual Health Clinic",
        "{area} Wellbeing Centre",
    ),
}


def build_agencies(rng: np.random.Generator, codes: CodeLists) -> Agencies:
    """54 agency codes and 95 pharmacies active in 2020-21, plus some that opened or closed."""
    weight = np.array([(a.pop_2020 / 1000) * a.need**0.5 for a in geo.AREAS])
    plan = [
        ("specialist_nsp", 18, 3, 2),  # type, active 2020-21, closed earlier, opened later
        ("outreach", 8, 2, 1),
        ("treatment_service", 20, 2, 2),
        ("other", 8, 1, 1),
        ("pharmacy", 95, 23, 10),
    ]
    code: list[str] = []
    name: list[str] = []
    typ: list[int] = []
    la: list[int] = []
    first: list[int] = []
    last: list[int] = []
    n_agency = n_pharmacy = 0
    used_names: set[str] = set()
    for kind, active, closed, opened in plan:
        total = active + closed
        areas_of = np.repeat(np.arange(geo.N_AREAS), allocate(total, weight))
        areas_of = areas_of[rng.permutation(total)]
        firsts = np.zeros(total, int)
        lasts = np.full(total, tl.N_YEARS - 1)
        lasts[:closed] = rng.integers(0, tl.N_YEARS - 1, closed)
        firsts[closed : closed + opened] = rng.integers(1, tl.N_YEARS, opened)
        for i in range(total):
            area = geo.AREAS[areas_of[i]]
            if kind == "pharmacy":
                n_pharmacy += 1
                code.append(f"PHA{n_pharmacy:04d}")
                chain = _CHAINS[int(rng.integers(len(_CHAINS)))]
                label = f"{chain} Pharmacy, {_STREETS[int(rng.integers(len(_STREETS)))]}"
            else:
                n_agency += 1
                code.append(f"AGY{n_agency:04d}")
                templates = _AGENCY_NAMES[kind]
                label = templates[int(rng.integers(len(templates)))].format(
                    area=area.name.replace("St. Helens", "St Helens"),
                    street=_STREETS[int(rng.integers(len(_STREETS)))],
                )
            base, k = label, 2
            while label in used_names:
                label, k = f"{base} ({k})", k + 1
            used_names.add(label)
            name.append(label)
            typ.append(codes.index("agency_type", kind))
            la.append(int(areas_of[i]))
            first.append(int(firsts[i]))
            last.append(int(lasts[i]))
    # Two names with characters a Windows-1252 export turns into single bytes (é, ’).
    liv = geo.AREA_INDEX["E08000012"]
    outreach = codes.index("agency_type", "outreach")
    pharmacy = codes.index("agency_type", "pharmacy")
    for kind, label in (
        (outreach, "Hope Café Outreach"),
        (pharmacy, "O’Hare’s Pharmacy, Smithdown Road"),
    ):
        i = next(
            (
                j
                for j in range(len(code))
                if typ[j] == kind and la[j] == liv and first[j] == 0 and last[j] == tl.N_YEARS - 1
            ),
            None,
        )
        if i is not None:
            name[i] = label
    first_a = np.array(first, np.int8)
    last_a = np.array(last, np.int8)
    n = len(code)
    pre = rng.random(n) < 0.4
    opened = np.where(
        first_a > 0,
        tl.FY_START[first_a] - rng.integers(10, 60, n),
        np.where(pre, tl.to_day("2000-01-01") + rng.integers(0, 13 * 365, n), tl.NO_DATE),
    )
    closed_d = np.where(
        last_a < tl.N_YEARS - 1,
        tl.FY_START[np.minimum(last_a + 1, tl.N_YEARS)] + rng.integers(0, 15, n),
        tl.NO_DATE,
    )
    return Agencies(
        code=code,
        name=name,
        type=np.array(typ, np.int16),
        la=np.array(la, np.int8),
        first_fy=first_a,
        last_fy=last_a,
        opened=opened.astype(np.int32),
        closed=closed_d.astype(np.int32),
    )
