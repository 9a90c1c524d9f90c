"""Reference extracts: mid-year population, prevalence estimates and England benchmarks.

Population and benchmarks describe the real world and do not change with ``scale``; prevalence
estimates describe the *simulated* OCU population, so they do (their rates per 1,000 residents
are only realistic at scale 1). The prevalence estimate of every area, year and age band is the
simulated active OCU population, nudged by a modelling error, and never below the number of that
area's OCU people the warehouse will find known to treatment — so the bullseye's "not known" ring
is never negative.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from orchestration.lib.spec import DEMO_PERIODS
from smw_demo import areas as geo
from smw_demo import targets
from smw_demo import timeline as tl
from smw_demo.ocu import OcuPool
from smw_demo.treatment_systems import BOTH, CRACK_ONLY, OPIATE_ONLY

POP_BANDS = (
    "0-4",
    "5-9",
    "10-14",
    "15-19",
    "20-24",
    "25-29",
    "30-34",
    "35-39",
    "40-44",
    "45-49",
    "50-54",
    "55-59",
    "60-64",
    "65-69",
    "70-74",
    "75-79",
    "80-84",
    "85+",
)
# England-like age structure (% of all residents per band) and male share per band.
_AGE_SHARE = np.array(
    [6.2, 6.3, 5.7, 5.6, 6.4, 6.9, 6.7, 6.4, 6.3, 7.0, 7.0, 6.1, 5.3, 5.3, 4.4, 3.3, 2.4, 2.4]
)
_MALE_SHARE = np.array(
    [
        0.512,
        0.512,
        0.512,
        0.512,
        0.51,
        0.50,
        0.495,
        0.495,
        0.495,
        0.495,
        0.495,
        0.492,
        0.49,
        0.48,
        0.47,
        0.45,
        0.42,
        0.35,
    ]
)
# Area tilts on the age structure (students in Liverpool, older Cheshire East and Sefton).
_TILT: dict[str, dict[tuple[int, int], float]] = {
    "E08000012": {(3, 4): 1.2, (4, 5): 1.6, (5, 6): 1.25, (13, 18): 0.85},
    "E06000049": {(4, 7): 0.8, (11, 18): 1.15},
    "E06000050": {(4, 7): 0.9, (11, 18): 1.08},
    "E08000014": {(4, 7): 0.9, (13, 18): 1.2},
    "E08000015": {(13, 18): 1.1},
    "E08000011": {(0, 3): 1.08},
    # Leicestershire: 427,200 aged 15-64 in mid-2014 of about 667,000 (the JSNA's rate base).
    "E10000018": {(3, 13): 1.016},
}


def population_rows(
    rng: np.random.Generator,
    areas: tuple[geo.Area, ...] = geo.AREAS,
    first_year: int = tl.FIRST_FY,
    n_years: int = tl.N_YEARS,
) -> list[dict[str, str]]:
    """ONS-like mid-year estimates by area, year (2013–2020 unless an area has its own years from
    ``first_year``), sex and five-year band."""
    rows: list[dict[str, str]] = []
    totals = geo.population(np.arange(n_years), areas)  # (year, area)
    for i, area in enumerate(areas):
        share = _AGE_SHARE.copy()
        for (lo, hi), f in _TILT.get(area.code, {}).items():
            share[lo:hi] *= f
        for y in range(n_years):
            ageing = np.ones(len(POP_BANDS))
            ageing[13:] *= 1 + 0.012 * y  # the population ages year on year
            s = share * ageing * rng.uniform(0.995, 1.005, len(POP_BANDS))
            counts = totals[y, i] * s / s.sum()
            for sex, msh in (("M", _MALE_SHARE), ("F", 1 - _MALE_SHARE)):
                for b, band in enumerate(POP_BANDS):
                    rows.append(
                        {
                            "la_code": area.code,
                            "year": str(first_year + y),
                            "sex": sex,
                            "age_band": band,
                            "population": str(int(round(counts[b] * msh[b]))),
                        }
                    )
    return rows


PREV_BANDS = ((15, 24, "15-24"), (25, 34, "25-34"), (35, 64, "35-64"))


def prevalence_rows(
    rng: np.random.Generator,
    pool: OcuPool,
    known_by_year_end: np.ndarray,
    areas: tuple[tuple[int, geo.Area], ...] = tuple(enumerate(geo.AREAS)),
) -> list[dict[str, str]]:
    """Estimates per area, period, drug group and age band (15-64 = the sum of the bands).

    ``known_by_year_end[p, y]`` says whether pool member ``p`` had a treatment episode referred
    by the end of year ``y`` (the people the bullseye rings count).
    """
    rows: list[dict[str, str]] = []
    for y in range(tl.N_YEARS):
        active = pool.active(y)
        age = tl.years_between(pool.dob, tl.FY_MID[y])
        opiate = (pool.drug_type == OPIATE_ONLY) | (pool.drug_type == BOTH)
        crack = (pool.drug_type == CRACK_ONLY) | (pool.drug_type == BOTH)
        known_ocu = known_by_year_end[:, y]
        for i, area in areas:
            home = pool.home == i
            band_est: dict[str, dict[str, float]] = {
                g: {} for g in ("ocu", "opiate", "crack", "injecting")
            }
            for lo, hi, label in PREV_BANDS:
                in_band = home & (age >= lo) & (age <= hi)
                true_ocu = int((in_band & active).sum())
                known = int((in_band & known_ocu).sum())
                # Modelled estimate: the truth with a modelling error, never below the known.
                est = max(true_ocu * rng.uniform(0.97, 1.07), known * 1.08 + 2, 1.0)
                f = est / max(true_ocu, 1)
                est_opiate = min(max(int((in_band & active & opiate).sum()) * f, 0), est)
                est_crack = min(max(int((in_band & active & crack).sum()) * f, 0), est)
                if est_opiate + est_crack < est:  # "both" = opiate + crack − ocu must be ≥ 0
                    est_crack = est - est_opiate
                inj = min(int((in_band & active & pool.injector).sum()) * f, est)
                band_est["ocu"][label] = round(est)
                band_est["opiate"][label] = round(est_opiate)
                band_est["crack"][label] = round(est_crack)
                band_est["injecting"][label] = round(inj)
            for group, values in band_est.items():
                values["15-64"] = sum(values.values())
                for label in ("15-24", "25-34", "35-64", "15-64"):
                    e = values[label]
                    lo_f = rng.uniform(0.84, 0.92) if label != "15-64" else rng.uniform(0.88, 0.93)
                    hi_f = rng.uniform(1.1, 1.3) if label != "15-64" else rng.uniform(1.08, 1.2)
                    rows.append(
                        {
                            "la_code": area.code,
                            "period": DEMO_PERIODS[y],
                            "drug_group": group,
                            "age_band": label,
                            "estimate": str(int(e)),
                            "lower_95": str(int(np.floor(e * lo_f))),
                            "upper_95": str(int(np.ceil(e * hi_f))),
                        }
                    )
    return rows


# --- England benchmarks ---------------------------------------------------------------------------

#: England people in treatment by group (2017-18 as published: opiate 144,189; alcohol 75,787).
_ENG_IN_TX = {
    "opiate": (152_000, 150_500, 149_800, 146_500, 144_189, 141_000, 140_600, 140_900),
    "non_opiate": (24_100, 23_600, 23_200, 23_700, 24_400, 25_700, 27_100, 28_500),
    "non_opiate_alcohol": (26_400, 26_100, 25_900, 26_300, 27_100, 28_400, 30_100, 31_300),
    "alcohol_only": (91_600, 85_000, 80_400, 79_800, 75_787, 75_600, 74_800, 79_200),
}
#: Successful completion rates (2017-18: opiate 6.6 %, non-opiate 39.4 %, non-opiate & alcohol 35.5 %).
_ENG_COMPLETION = {
    "opiate": (0.078, 0.073, 0.068, 0.067, 0.066, 0.060, 0.056, 0.050),
    "non_opiate": (0.402, 0.392, 0.374, 0.367, 0.394, 0.363, 0.346, 0.331),
    "non_opiate_alcohol": (0.382, 0.374, 0.362, 0.358, 0.355, 0.342, 0.336, 0.320),
    "alcohol_only": (0.395, 0.389, 0.385, 0.387, 0.382, 0.376, 0.370, 0.347),
}
_ENG_NEW = {
    "opiate": (49_800, 48_900, 48_400, 47_900, 47_500, 47_200, 47_400, 44_700),
    "non_opiate": (18_400, 17_900, 17_600, 17_700, 17_900, 18_700, 20_000, 19_600),
    "non_opiate_alcohol": (19_600, 19_200, 19_100, 19_400, 20_000, 21_000, 22_300, 21_900),
    "alcohol_only": (62_000, 57_600, 54_000, 53_400, 51_000, 51_300, 51_000, 54_600),
}
#: Early unplanned exits (2017-18: 16 / 20 / 19 %, all drug 18 %).
_ENG_EARLY = {"opiate": 0.16, "non_opiate": 0.20, "non_opiate_alcohol": 0.19, "alcohol_only": 0.17}
_ENG_NON_REPRESENT = 0.88  # of completions, no re-presentation within six months
_ENG_OCU_ESTIMATE = (298_752, 299_700, 300_783, 307_400, 313_971, 313_000, 312_000, 311_000)
_ENG_PENETRATION = (0.50, 0.49, 0.49, 0.48, 0.47, 0.46, 0.46, 0.47)
_DRUG = ("opiate", "non_opiate", "non_opiate_alcohol")


# Support pack and TOP (second release). Published national figures where the seed reports print
# them (LEIC = the county JSNA chapter, 2017-18 national column); the rest are plausible NDTMS-like
# values, constant over the years unless a trend is printed.
#: Routes into treatment (LEIC Table 10: self 55 %, CJS 19 %, GP 7 %, hospital/A&E 2 %, social
#: services 2 %, all other 15 % - split here into substance misuse services 5 % and other 10 %).
_ENG_REFERRAL = {
    "self": 0.55,
    "health": 0.09,
    "criminal_justice": 0.19,
    "social_services": 0.02,
    "substance_service": 0.05,
    "other": 0.10,
}
_ENG_EMPLOYMENT = {
    "regular_employment": 0.19,
    "unemployed_inactive": 0.44,
    "long_term_sick": 0.28,
    "unpaid_voluntary": 0.01,
    "education": 0.02,
    "other": 0.06,
}
_ENG_HOUSING = {"urgent_problem": 0.10, "housing_problem": 0.15, "no_problem": 0.73, "other": 0.02}
#: Opiate clients with an urgent housing problem at start (LEIC: national 10 % in 2009-10 to 16 % in 2017-18).
_ENG_OPIATE_URGENT = (0.13, 0.14, 0.14, 0.15, 0.16, 0.16, 0.17, 0.17)
#: Living with children: 18 % of new presentations (LEIC: "identical percentage to the national average").
_ENG_PARENTAL = {
    "living_with_children": 0.18,
    "parent_not_living_with_children": 0.33,
    "not_parent_no_contact": 0.49,
}
_ENG_SETTING = {
    "community": 0.86,
    "primary_care": 0.08,
    "inpatient": 0.02,
    "residential": 0.02,
    "recovery_house": 0.01,
    "young_person": 0.01,
}
_ENG_ETHNIC = {
    "white_british": 0.82,
    "white_other": 0.05,
    "mixed": 0.03,
    "asian": 0.04,
    "black": 0.04,
    "other": 0.02,
}
#: In treatment two years or more (LEIC, 31 March 2017: opiate under two years 48 %, non-opiate
#: over two years 3 %, non-opiate and alcohol 3 %).
_ENG_LONG_TERM = {
    "opiate": 0.52,
    "non_opiate": 0.03,
    "non_opiate_alcohol": 0.03,
    "alcohol_only": 0.02,
}
#: Residential rehabilitation: 2 % of the treatment population (LEIC 2017-18).
_ENG_RESIDENTIAL = 0.02
#: HCV test of eligible people who have injected (PHE 2016-17: England 83.3 %).
_ENG_HCV = (0.86, 0.86, 0.85, 0.84, 0.833, 0.83, 0.82, 0.82)
_ENG_HBV = {"all": 0.42, "completed_or_immune": 0.25}
#: POM/OTC: 14 % of the treatment population (LEIC Table 5); club drugs about 3 % (LEIC: 7 % of
#: non-opiate and 2 % of opiate new entrants).
_ENG_POM_OTC = 0.14
_ENG_CLUB = 0.03
_ENG_DEATHS = (2_150, 2_250, 2_350, 2_450, 2_550, 2_700, 2_850, 3_100)
_ENG_ENGAGED = {
    "opiate": 0.92,
    "non_opiate": 0.85,
    "non_opiate_alcohol": 0.86,
    "alcohol_only": 0.86,
}
#: TOP at the six-month review (LEIC Table 12, national %): abstinence and significant reduction by
#: drug, with the national number using each drug at start.
_ENG_TOP = {
    "opiates": (0.40, 0.25, 60_000),
    "crack": (0.40, 0.17, 25_000),
    "cocaine": (0.66, 0.10, 12_000),
    "amphetamine": (0.57, 0.07, 4_000),
    "cannabis": (0.44, 0.13, 25_000),
    "alcohol": (0.32, 0.17, 30_000),
}
#: People in drug treatment by sex and age band (LEIC Table 3, national columns 2017-18: men
#: 16 / 36 / 33 / 13 % and women 20 / 39 / 28 / 10 % aged 18-29 / 30-39 / 40-49 / 50-59; 73 %
#: men). The bands the chapter does not print (60 and over) take the rest; every year is given
#: 2017-18's shape, and the all-persons shares are the sexes' mix.
_ENG_MALE = targets.published("leic-2017-18-t3-text-england-male-share")
_ENG_AGE_BANDS = ("18-29", "30-39", "40-49", "50-59", "60-69", "70-79")


def _eng_age_shares(sex: str) -> tuple[float, ...]:
    printed = [
        targets.published(f"leic-2017-18-t3-age-share-england-{sex}-{band}")
        for band in _ENG_AGE_BANDS[:4]
    ]
    rest = 1.0 - sum(printed)
    return (*printed, rest * 0.9, rest * 0.1)


#: New presentations citing each drug group, as a share of the age group's new presentations
#: (plausible NDTMS-like values; the chapter prints only under-25s citing crack nationally, 281
#: in 2015-16 and 417 in 2017-18, which are used as printed). Under-25s are about 13 % and people
#: aged 40 and over about 38 % of new presentations to drug treatment. Alcohol is no drug group
#: here (the warehouse macro presenting_drug).
_ENG_CITATION_AGE = {"under_25": 0.13, "40+": 0.38}
_ENG_CITATIONS = {
    "under_25": {
        "opiates": 0.08, "cocaine": 0.25, "amphetamine": 0.04, "cannabis": 0.55,
        "benzodiazepines": 0.05, "club_drugs": 0.08, "pom_otc": 0.03, "other": 0.03,
    },
    "40+": {
        "opiates": 0.55, "crack": 0.25, "cocaine": 0.08, "amphetamine": 0.03, "cannabis": 0.12,
        "benzodiazepines": 0.07, "club_drugs": 0.01, "pom_otc": 0.08, "other": 0.03,
    },
}  # fmt: skip
_ENG_U25_CRACK = (
    270,
    275,
    targets.count("leic-2015-16-cit-u25-crack-england"),
    350,
    targets.count("leic-2017-18-cit-u25-crack-england"),
    430,
    440,
    450,
)
_ENG_TOP_OTHER = {
    "top_injecting_stopped": (0.46, 15_000),
    "top_housing_resolved": (0.36, 5_000),
    "top_paid_work": (0.10, 70_000),
}


def _support_pack_benchmarks(add: Callable[[str, int, str, float, float], None], y: int) -> None:
    """England rows of the treatment support pack and TOP indicators for year index y."""
    drug_new = sum(_ENG_NEW[g][y] for g in _DRUG)
    drug_tx = sum(_ENG_IN_TX[g][y] for g in _DRUG)
    everyone = sum(_ENG_IN_TX[g][y] for g in _ENG_IN_TX)
    for g in _ENG_IN_TX:
        add("tx_substance_group_share", y, g, _ENG_IN_TX[g][y], everyone)
    add("tx_new_presentations", y, "", drug_new, drug_new)
    for g in _ENG_NEW:
        add("tx_new_presentations", y, g, _ENG_NEW[g][y], _ENG_NEW[g][y])
    eligible = {g: _ENG_NEW[g][y] * 0.98 for g in _ENG_NEW}
    add(
        "tx_effective_engagement",
        y,
        "",
        sum(eligible[g] * _ENG_ENGAGED[g] for g in _DRUG),
        sum(eligible[g] for g in _DRUG),
    )
    for g in _ENG_NEW:
        add("tx_effective_engagement", y, g, eligible[g] * _ENG_ENGAGED[g], eligible[g])
    recorded_new = drug_new * 0.98
    for code, shares in (
        ("tx_referral_source_share", _ENG_REFERRAL),
        ("tx_employment_share", _ENG_EMPLOYMENT),
        ("tx_housing_share", _ENG_HOUSING),
        ("tx_parental_share", _ENG_PARENTAL),
    ):
        for value, share in shares.items():
            add(code, y, value, recorded_new * share, recorded_new)
    opiate_new = _ENG_NEW["opiate"][y] * 0.98
    add(
        "tx_housing_share",
        y,
        "opiate|urgent_problem",
        opiate_new * _ENG_OPIATE_URGENT[y],
        opiate_new,
    )
    recorded_tx = drug_tx * 0.99
    for code, shares in (("tx_setting_share", _ENG_SETTING), ("tx_ethnicity_share", _ENG_ETHNIC)):
        for value, share in shares.items():
            add(code, y, value, recorded_tx * share, recorded_tx)
    add("tx_residential_rehab", y, "", drug_tx * _ENG_RESIDENTIAL, drug_tx)
    long_term = {g: _ENG_IN_TX[g][y] * _ENG_LONG_TERM[g] for g in _ENG_IN_TX}
    add("tx_long_term", y, "", sum(long_term[g] for g in _DRUG), drug_tx)
    for g in _ENG_IN_TX:
        add("tx_long_term", y, g, long_term[g], _ENG_IN_TX[g][y])
    add("tx_pom_otc", y, "", drug_tx * _ENG_POM_OTC, drug_tx)
    add("tx_club_drugs", y, "", drug_tx * _ENG_CLUB, drug_tx)
    add("tx_deaths_in_treatment", y, "", _ENG_DEATHS[y], _ENG_DEATHS[y])
    injected = drug_tx * 0.45
    eligible_hcv = injected * 0.97
    add("tx_hcv_tested", y, "", eligible_hcv * _ENG_HCV[y], eligible_hcv)
    for stage, share in _ENG_HBV.items():
        add("tx_hbv_vaccinated", y, "" if stage == "all" else stage, injected * share, injected)
    for drug, (abstinent, reduced, using) in _ENG_TOP.items():
        add("top_abstinent", y, drug, using * abstinent, using)
        add("top_reduced_use", y, drug, using * reduced, using)
    for code, (share, base) in _ENG_TOP_OTHER.items():
        add(code, y, "", base * share, base)
    _profile_benchmarks(add, y, drug_tx, drug_new)


def _profile_benchmarks(
    add: Callable[[str, int, str, float, float], None], y: int, drug_tx: float, drug_new: float
) -> None:
    """England rows of the drug population's sex and age (LEIC Table 3) and the presenting
    substances of new presentations by age group (tx_new_citations, a count)."""
    sexes = {"male": drug_tx * _ENG_MALE, "female": drug_tx * (1 - _ENG_MALE)}
    for sex, n in sexes.items():
        add("tx_sex_share", y, sex, n, drug_tx)
    by_sex = {sex: _eng_age_shares(sex) for sex in sexes}
    for b, band in enumerate(_ENG_AGE_BANDS):
        add("tx_age_band_share", y, band, sum(sexes[s] * by_sex[s][b] for s in sexes), drug_tx)
        for sex, n in sexes.items():
            add("tx_age_band_share", y, f"{sex}|{band}", n * by_sex[sex][b], n)
    for age_group, share in _ENG_CITATION_AGE.items():
        people = drug_new * share
        cited = {drug: round(people * s) for drug, s in _ENG_CITATIONS[age_group].items()}
        if age_group == "under_25":
            cited["crack"] = _ENG_U25_CRACK[y]
        for drug, n in cited.items():
            add("tx_new_citations", y, f"{age_group}|{drug}", n, n)
        total = sum(cited.values())
        add("tx_new_citations", y, age_group, total, total)


def benchmark_rows() -> list[dict[str, str]]:
    """England numerators and denominators for the indicators with national comparators."""
    rows: list[dict[str, str]] = []

    def add(code: str, y: int, breakdown: str, num: float, den: float) -> None:
        rows.append(
            {
                "indicator_code": code,
                "period": DEMO_PERIODS[y],
                "breakdown": breakdown,
                "numerator": str(int(round(num))),
                "denominator": str(int(round(den))),
            }
        )

    for y in range(tl.N_YEARS):
        comp = {g: _ENG_IN_TX[g][y] * _ENG_COMPLETION[g][y] for g in _ENG_IN_TX}
        drug_num = sum(round(comp[g]) for g in _DRUG)
        drug_den = sum(_ENG_IN_TX[g][y] for g in _DRUG)
        add("tx_successful_completion", y, "", drug_num, drug_den)
        for g in _ENG_IN_TX:
            add("tx_successful_completion", y, g, comp[g], _ENG_IN_TX[g][y])
        # 27 % of people in drug treatment are women; they complete slightly more often.
        f_den = round(drug_den * 0.27)
        f_num = round(drug_num * 0.27 * 1.06)
        add("tx_successful_completion", y, "male", drug_num - f_num, drug_den - f_den)
        add("tx_successful_completion", y, "female", f_num, f_den)
        add("tx_non_representation", y, "", drug_num * _ENG_NON_REPRESENT, drug_den)
        for g in _ENG_IN_TX:
            add("tx_non_representation", y, g, comp[g] * _ENG_NON_REPRESENT, _ENG_IN_TX[g][y])
        new_all = sum(_ENG_NEW[g][y] for g in _ENG_NEW)
        with_intervention = round(new_all * 0.985)
        add("tx_wait_under_3w", y, "", with_intervention * (0.975 + 0.002 * y), with_intervention)
        add("tx_wait_over_6w", y, "", with_intervention * (0.008 - 0.0005 * y), with_intervention)
        drug_new = sum(_ENG_NEW[g][y] for g in _DRUG)
        early_all = sum(round(_ENG_NEW[g][y] * _ENG_EARLY[g]) for g in _DRUG)
        add("tx_early_unplanned_exit", y, "", early_all, drug_new)
        for g in _ENG_NEW:
            add("tx_early_unplanned_exit", y, g, _ENG_NEW[g][y] * _ENG_EARLY[g], _ENG_NEW[g][y])
        est = _ENG_OCU_ESTIMATE[y]
        add("tx_penetration", y, "", est * _ENG_PENETRATION[y], est)
        _support_pack_benchmarks(add, y)
    # Before the window, England's figures the county chapter prints for its history: opiate
    # new presentations with an urgent housing problem in 2009-10 (of about as many opiate new
    # presentations as in 2013-14)
    opiate_new = _ENG_NEW["opiate"][0] * 0.98
    urgent = targets.published("leic-2009-10-np-opiate-urgent-housing-england")
    rows.append(
        {
            "indicator_code": "tx_housing_share",
            "period": "2009-10",
            "breakdown": "opiate|urgent_problem",
            "numerator": str(int(round(opiate_new * urgent))),
            "denominator": str(int(round(opiate_new))),
        }
    )
    return rows
