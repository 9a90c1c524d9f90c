"""Which demo areas an indicator or source covers: read from spec and the seeds, never counted
by hand (the demo is the Cheshire & Merseyside region plus Leicestershire, treatment only)."""

from __future__ import annotations

import csv
from pathlib import Path

from orchestration.lib import spec
from smw_demo.areas import SALFORD
from smw_demo.salford import PERIODS as SALFORD_PERIODS
from smw_demo.treatment_systems import COUNTY

SEEDS = Path(__file__).resolve().parents[1] / "seeds" / "reference"
#: The region every source describes, and its local authorities.
REGION = "E54000008"
REGION_AREAS: frozenset[str] = frozenset(
    r["area_code"]
    for r in csv.DictReader((SEEDS / "areas.csv").open(encoding="utf-8"))
    if r["area_type"] == "la" and r["parent_code"] == REGION
)
COUNTY_AREAS: frozenset[str] = frozenset(spec.DEMO_COUNTY_AREAS)
#: Areas in the demo for years of their own only, before the window (Salford 2006-07 and 2007-08,
#: the city needs assessment): treatment, prevalence and population, its drug tests and DIP
#: contacts of 2007-08, and its reports' own year.
OWN_YEARS_AREAS: dict[str, tuple[str, ...]] = {SALFORD.code: SALFORD_PERIODS}
#: Areas whose treatment extracts reach back before the window (Leicestershire from 2009-10, the
#: year its JSNA chapter compares with): their treatment indicators have those years too.
HISTORY_AREAS: dict[str, tuple[str, ...]] = {
    code: tuple(
        f"{y}-{(y + 1) % 100:02d}" for y in range(COUNTY.first_fy, int(spec.DEMO_PERIODS[0][:4]))
    )
    for code in spec.DEMO_COUNTY_AREAS
}
#: Authorities with no other authority of their region in the data: never compared with a region.
WITHOUT_REGION: frozenset[str] = COUNTY_AREAS | frozenset(OWN_YEARS_AREAS)
#: Extract sources and indicator catalogue sources that describe the county areas too.
COUNTY_SOURCES = frozenset(
    {"ndtms", "ndtms_episodes", "ndtms_top", "prevalence", "prevalence_estimates", "population"}
)


def areas_of(source: str) -> frozenset[str]:
    """The demo's local authorities a source (or an indicator's ``ndtms;prevalence``) covers."""
    parts = set(source.split(";"))
    return REGION_AREAS | COUNTY_AREAS if parts <= COUNTY_SOURCES else REGION_AREAS


def indicator_sources() -> dict[str, str]:
    """indicator_code -> its catalogue source."""
    with (SEEDS / "indicator_catalogue.csv").open(encoding="utf-8") as handle:
        return {r["indicator_code"]: r["source"] for r in csv.DictReader(handle)}
