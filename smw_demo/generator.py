"""Generate the demo extracts: every source, 2013-14 to 2020-21, the nine Cheshire & Merseyside
areas, Leicestershire's treatment, TOP, prevalence and population (its treatment and TOP from
2009-10, the year its chapter compares with), and Salford's treatment,
prevalence and population in its own years, 2006-07 and 2007-08 (``smw_demo.salford``), its
drug tests on arrest in 2007-08 (``smw_demo.salford_drug_tests``) and its DIP contacts in
2007-08 (``smw_demo.salford_dip``).

The order of simulation follows the links between sources: treatment careers first (they create
most opiate and crack users), then the OCU population around them, then IMS (psychoactive
injectors come from that population), then criminal justice (DIP clients and drug tests), then
the reference data that must agree with the simulated population (prevalence). The county
(Leicestershire) follows on random streams of its own, after the region, so the region's
simulation does not depend on it; then Salford, on streams of its own, after the county. Only then are attributors drawn — once every person exists —
and files written.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orchestration.lib.spec import DEMO_PERIODS, SOURCES
from smw_demo import areas as geo
from smw_demo import targets
from smw_demo import timeline as tl
from smw_demo.codes import CodeLists, load_code_lists
from smw_demo.defects import (
    DUPLICATE,
    NEWLINE_NAME,
    file_level_entries,
    plan_row_defects,
    variants_for,
)
from smw_demo.ims import ImsResult, simulate_ims
from smw_demo.justice import JusticeResult, simulate_justice
from smw_demo.justice_funnel import _Vocab
from smw_demo.manifest import DemoManifest, PlantedDefect, SourceSummary
from smw_demo.ocu import OcuPool, build_ocu_pool
from smw_demo.people import PersonRegistry
from smw_demo.reference import benchmark_rows, population_rows, prevalence_rows
from smw_demo.salford import (
    LAST_FY as SALFORD_FY,
)
from smw_demo.salford import (
    SalfordTreatment,
    salford_population_rows,
    salford_prevalence_rows,
    simulate_salford,
)
from smw_demo.salford_dip import salford_dip, salford_dip_attributes
from smw_demo.salford_drug_tests import SUITE as SALFORD_SUITE
from smw_demo.salford_drug_tests import salford_drug_tests
from smw_demo.salford_quotas import salford_ethnicity
from smw_demo.sampling import rng_for
from smw_demo.sources import (
    Attributor,
    SourceRows,
    agency_rows,
    dip_rows,
    intervention_rows,
    mdt_rows,
    nsp_rows,
    reference_rows,
)
from smw_demo.sources_treatment import episode_rows, top_rows
from smw_demo.table import Table
from smw_demo.treatment import TreatmentResult, simulate_treatment
from smw_demo.treatment_quotas import county_attributes, county_quotas
from smw_demo.treatment_systems import COUNTY, provider_codes
from smw_demo.writer import FileVariant, relative_path, render_file, write_bytes

log = logging.getLogger(__name__)

MANIFEST_NAME = ".demo-manifest.json"


@dataclass
class Simulation:
    """Everyone the demo simulates, before any extract row is written: the region's treatment,
    OCU pool, IMS and justice; the county's treatment and OCU pool; Salford's treatment; and
    the people registry with their attributors (and the county's quotas) applied."""

    codes: CodeLists
    people: PersonRegistry
    treatment: TreatmentResult
    pool: OcuPool
    ims: ImsResult
    justice: JusticeResult
    county: TreatmentResult
    county_pool: OcuPool
    salford: SalfordTreatment
    salford_tests: Table
    salford_dip: Table


def simulate(seed: int = 2021, scale: float = 1.0) -> Simulation:
    """The simulation ``generate`` writes out (tests read it to check a quota on its own)."""
    started = time.perf_counter()
    codes = load_code_lists()
    people = PersonRegistry()
    treatment = simulate_treatment(seed, scale, people, codes)
    pool = build_ocu_pool(rng_for(seed, "ocu"), scale, people, treatment.people)
    ims = simulate_ims(rng_for(seed, "ims"), scale, people, pool, treatment.people, codes)
    justice = simulate_justice(rng_for(seed, "justice"), scale, people, pool, codes)
    region_people = len(people)
    county = simulate_treatment(seed, scale, people, codes, COUNTY)
    presenting = county_quotas(
        rng_for(seed, "county-tx-quotas"), scale, county.episodes, county.top, people, codes
    )
    county_pool = build_ocu_pool(rng_for(seed, "county-ocu"), scale, people, county.people, COUNTY)
    salford_people = len(people)
    salford = simulate_salford(seed, scale, people, codes)
    salford_tests = salford_drug_tests(
        rng_for(seed, "salford-drug-tests"),
        scale,
        people,
        salford.episodes,
        codes,
        suite=len(justice.suites),
    )
    vocab = _Vocab(justice.text_values)  # Salford's transfers name teams and prisons too
    salford_contacts = salford_dip(
        rng_for(seed, "salford-dip"), scale, people, salford.episodes, salford_tests, codes, vocab
    )
    justice.text_values = vocab.values
    people.finalise(
        rng_for(seed, "attributors"),
        codes,
        later=(region_people, rng_for(seed, "county-attributors")),
        own=(salford_people, rng_for(seed, "salford-attributors"), targets.SAL_ETHNICITY),
    )
    county_attributes(rng_for(seed, "county-attribute-quotas"), scale, presenting, people, codes)
    salford_ethnicity(
        rng_for(seed, "salford-ethnicity"), salford.episodes, people, codes, SALFORD_FY
    )
    salford_dip_attributes(
        rng_for(seed, "salford-dip-ethnicity"), salford_contacts, people, salford.episodes, codes
    )
    log.info("simulated %d people in %.1fs", len(people), time.perf_counter() - started)
    return Simulation(
        codes,
        people,
        treatment,
        pool,
        ims,
        justice,
        county,
        county_pool,
        salford,
        salford_tests,
        salford_contacts,
    )


def generate(out_dir: Path, scale: float = 1.0, seed: int = 2021) -> DemoManifest:
    """Write demo extracts for every source under ``out_dir/<source>/`` and the manifest.

    ``scale`` multiplies the number of people and events (1.0 reproduces the published figures;
    0.02 is a tiny but complete set). The same ``seed`` and ``scale`` always give identical bytes.
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    sim = simulate(seed, scale)
    codes, people, treatment, pool = sim.codes, sim.people, sim.treatment, sim.pool
    ims, justice, county, county_pool = sim.ims, sim.justice, sim.county, sim.county_pool
    salford, salford_tests, salford_contacts = sim.salford, sim.salford_tests, sim.salford_dip
    del sim  # only the names below hold the simulation: dropped once the rows are made

    known = _known_by_year_end(pool, treatment.episodes)
    county_known = _known_by_year_end(county_pool, county.episodes)
    county_top = county.top
    county_top["episode"] = (county_top["episode"] + len(treatment.episodes)).astype(np.int32)
    all_episodes = Table.concat([treatment.episodes, county.episodes, salford.episodes])
    all_top = Table.concat([treatment.top, county_top])
    attributor = Attributor(people, codes)
    episodes, episode_ids = episode_rows(all_episodes, provider_codes(), codes, attributor)
    agencies, agency_changes = agency_rows(ims.agencies, codes)
    sources: dict[str, SourceRows] = {
        "ims_agencies": agencies,
        "ims_nsp_transactions": nsp_rows(
            rng_for(seed, "nsp-corrections"), ims.nsp, ims.agencies, codes, attributor
        ),
        "ims_interventions": intervention_rows(ims.interventions, ims.agencies, codes, attributor),
        "ndtms_episodes": episodes,
        "ndtms_top": top_rows(
            all_top, episode_ids, codes, np.isin(all_episodes["la"], geo.COUNTY_INDEX)
        ),
        "dip_contacts": dip_rows(
            rng_for(seed, "dip-corrections"),
            justice.dip,
            justice.text_values,
            codes,
            attributor,
            own=salford_contacts,
        ),
        "mdt_results": mdt_rows(
            justice.mdt, [*justice.suites, SALFORD_SUITE], codes, attributor, own=salford_tests
        ),
        "prevalence_estimates": reference_rows(
            "prevalence_estimates",
            f"prevalence_{DEMO_PERIODS[0]}_to_{DEMO_PERIODS[-1]}",
            [
                *prevalence_rows(rng_for(seed, "prevalence"), pool, known),
                *prevalence_rows(
                    rng_for(seed, "county-prevalence"),
                    county_pool,
                    county_known,
                    tuple(zip(geo.COUNTY_INDEX, geo.COUNTY_AREAS, strict=True)),
                ),
                *salford_prevalence_rows(scale),
            ],
        ),
        "population": reference_rows(
            "population",
            f"mid_year_{tl.FIRST_FY}_to_{tl.FIRST_FY + tl.N_YEARS - 1}",
            [
                *population_rows(rng_for(seed, "population")),
                *population_rows(rng_for(seed, "county-population"), geo.COUNTY_AREAS),
                *salford_population_rows(rng_for(seed, "salford-population")),
            ],
        ),
        "national_benchmarks": reference_rows(
            "national_benchmarks",
            f"england_{DEMO_PERIODS[0]}_to_{DEMO_PERIODS[-1]}",
            benchmark_rows(),
        ),
    }
    missing = [s.name for s in SOURCES if s.name not in sources]
    if missing:
        raise RuntimeError(f"no generator for sources {missing}")

    calibration = {
        "ims_cohorts": ims.aims,
        "treatment_in_treatment": treatment.targets,
        "county_in_treatment": county.targets,
        "salford_in_treatment": salford.targets,
        "dip": justice.aims,
        "note": "aims of the simulation at this scale; tests should count from the files",
    }
    # The sources hold their own sorted copies: drop the simulation to keep memory down.
    del treatment, ims, justice, pool, known, county, county_pool, county_known
    del all_episodes, all_top, county_top, salford, salford_tests, salford_contacts

    variants = {name: variants_for(src) for name, src in sources.items()}
    overrides, defects = plan_row_defects(rng_for(seed, "defects"), sources, variants)
    newline_entry = _plant_newline_name(
        sources["ims_agencies"], overrides["ims_agencies"], variants
    )
    resends = _resend_entries(sources, variants, agency_changes)
    manifest = DemoManifest(
        seed=seed,
        scale=scale,
        periods=list(DEMO_PERIODS),
        areas=[*(a.code for _, a in geo.DEMO), geo.SALFORD.code],
        calibration=calibration,
    )
    for spec in SOURCES:
        src = sources.pop(spec.name)  # written sources are released one by one
        summary = _write_source(
            out_dir, src, variants[spec.name], overrides[spec.name], seed, manifest
        )
        manifest.sources[spec.name] = summary
        manifest.defects.extend(file_level_entries(src, variants[spec.name]))
        del src
    manifest.defects.append(newline_entry)
    manifest.defects.extend(defects)
    manifest.defects.extend(resends)
    (out_dir / MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")
    log.info("wrote demo extracts to %s in %.1fs", out_dir, time.perf_counter() - started)
    return manifest


def _known_by_year_end(pool: OcuPool, episodes: Table) -> np.ndarray:
    """Per OCU person and year: referred to treatment by the end of that year (ever known)."""
    first_ref = np.full(len(pool), np.iinfo(np.int64).max)
    order = np.argsort(pool.person, kind="stable")
    sorted_people = pool.person[order]
    idx = np.clip(np.searchsorted(sorted_people, episodes["person"]), 0, len(order) - 1)
    hit = sorted_people[idx] == episodes["person"]
    np.minimum.at(first_ref, order[idx[hit]], episodes["referral"][hit].astype(np.int64))
    year_end = tl.FY_START[1:] - 1
    return first_ref[:, None] <= year_end[None, :]


def _plant_newline_name(
    src: SourceRows,
    overrides: dict[int, dict[str, str]],
    variants: dict[str, dict[int, FileVariant]],
) -> PlantedDefect:
    """Give one agency, in one snapshot, a name with a comma and a line break inside quotes."""
    f = src.file_stems.index(NEWLINE_NAME[1])
    bounds = src.file_bounds()
    rows = np.arange(bounds[f], bounds[f + 1])
    names = src.render(rows)["agency_name"]
    r = next(int(rows[i]) for i, n in enumerate(names) if "," not in n and "Harm Reduction" in n)
    value = f"{names[r - rows[0]]},\nBrownlow Hill"
    overrides.setdefault(r, {})["agency_name"] = value
    rel = relative_path(src, f, variants["ims_agencies"].get(f, FileVariant()))
    return PlantedDefect(
        "quoted_field_with_comma_newline", src.name, rel, src.key_of(r), "agency_name", 1, value
    )


def _write_source(
    out_dir: Path,
    src: SourceRows,
    variants: dict[int, FileVariant],
    overrides: dict[int, dict[str, str]],
    seed: int,
    manifest: DemoManifest,
) -> SourceSummary:
    summary = SourceSummary()
    for i in range(len(src.file_stems)):
        v = variants.get(i, FileVariant())
        rng = rng_for(seed, f"write-{src.name}-{src.file_stems[i]}")
        data, rows, uk_cells = render_file(src, i, v, overrides, rng)
        rel = relative_path(src, i, v)
        summary.files.append(write_bytes(out_dir, rel, data, rows, v))
        summary.rows += rows
        if uk_cells:
            manifest.defects.append(
                PlantedDefect("uk_date_format", src.name, rel, None, "*", uk_cells)
            )
        if src.name == DUPLICATE[0] and src.file_stems[i] == DUPLICATE[1]:
            copy_rel = rel.replace(DUPLICATE[1], DUPLICATE[2])
            summary.files.append(write_bytes(out_dir, copy_rel, data, rows, v))
            summary.rows += rows
            manifest.defects.append(
                PlantedDefect("duplicate_file", src.name, copy_rel, None, None, 1)
            )
    summary.distinct_keys = src.distinct_keys()
    summary.resent_keys = src.resent_keys()
    return summary


def _resend_entries(
    sources: dict[str, SourceRows],
    variants: dict[str, dict[int, FileVariant]],
    agency_changes: dict[str, list[str]],
) -> list[PlantedDefect]:
    out: list[PlantedDefect] = []
    eps = sources["ndtms_episodes"]
    later = ~eps.first_version
    counts = np.bincount(eps.file_of_row[later], minlength=len(eps.file_stems))
    for f in np.flatnonzero(counts):
        rel = relative_path(eps, int(f), variants[eps.name].get(int(f), FileVariant()))
        out.append(
            PlantedDefect("resent_record", eps.name, rel, None, "discharge_date", int(counts[f]))
        )
    for name, fld in (("ims_nsp_transactions", "needles_issued"), ("dip_contacts", "daily_units")):
        src = sources[name]
        for r in np.flatnonzero(~src.first_version):
            f = int(src.file_of_row[r])
            rel = relative_path(src, f, variants[name].get(f, FileVariant()))
            out.append(PlantedDefect("resent_record", name, rel, src.key_of(int(r)), fld, 1))
    ag = sources["ims_agencies"]
    for period, codes_changed in agency_changes.items():
        f = ag.file_stems.index(period)
        rel = relative_path(ag, f, variants[ag.name].get(f, FileVariant()))
        for code in codes_changed:
            out.append(PlantedDefect("resent_record", ag.name, rel, code, "closed_date", 1))
    return out
