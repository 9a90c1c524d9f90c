"""The generator's calibration targets in one place, read from the published figures file.

Where the seed reports print a figure, the target is that row of
``orchestration/lib/calibration/published_figures.csv`` (the file ``smw calibrate`` checks), so a
figure corrected there changes the demo the next time it is generated; the values the reports do
not print (a remainder split, a cell printed only as a bound) stay here as constants, each saying
where it comes from. The module reads the project's own copy of the figures, never the seed
reports.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from orchestration.lib.calibration.check import FIGURES_PATH, load_figures
from smw_demo.people import SEX_FEMALE, SEX_MALE


@cache
def _published() -> dict[str, float]:
    return {f.figure_id: f.published for f in load_figures(FIGURES_PATH) if f.published is not None}


def published(figure_id: str) -> float:
    """The printed value of one figure (a count as a count)."""
    try:
        return _published()[figure_id]
    except KeyError:
        raise KeyError(f"{FIGURES_PATH.name} has no figure {figure_id!r}") from None


def count(figure_id: str) -> int:
    """A printed count, as an integer (the figures file stores numbers)."""
    return int(published(figure_id))


# --- IMS overview 2020-21 (Cheshire & Merseyside) ----------------------------------------------

_PSYCH = "ims-2020-21-pwid_psychoactive"
_BI = "ims-2020-21-bi_only"

#: PWID psychoactive substances, per person of the cohort: main substance recorded for 5,536 of
#: 6,361 (crack 191, amphetamines 84); second substance for 1,055 (crack 704, heroin 99, steroids
#: 38; the rest, alcohol, cannabis and benzodiazepines, is not printed by substance: 90 / 70 / 54
#: here). Every year is given these shares, exactly.
PSYCH_MAIN_RECORDED = count(f"{_PSYCH}-main-recorded") / count(f"{_PSYCH}-size")
PSYCH_MAIN = {
    "crack": count(f"{_PSYCH}-main-crack") / count(f"{_PSYCH}-main-recorded"),
    "amphetamine": count(f"{_PSYCH}-main-amphetamine") / count(f"{_PSYCH}-main-recorded"),
}
PSYCH_SECOND_RECORDED = count(f"{_PSYCH}-second-recorded") / count(f"{_PSYCH}-size")
PSYCH_SECOND = {
    "heroin": count(f"{_PSYCH}-second-heroin"),
    "crack": count(f"{_PSYCH}-second-crack"),
    "anabolic_steroids": count(f"{_PSYCH}-second-anabolic_steroids"),
    "alcohol": 90,
    "cannabis": 70,
    "benzodiazepines": 54,
}

#: Brief-intervention clients' main substances, per client of the cohort (alcohol 2,364, cannabis
#: 425, cocaine 373, other opiates 145 and no substance 325 of 4,713); every year is given these.
BI_MAIN_2020 = {
    name: count(f"{_BI}-main-{name}") / count(f"{_BI}-size")
    for name in ("alcohol", "cannabis", "cocaine", "other_opiates", "none")
}

# --- Sefton DIP profile 2015-16 ------------------------------------------------------------------

_SEF = "sef-2015-16-age"

#: Contacts by sex and age band (Table 1, contacts of each sex): bands 18-24, 25-29, 30-34,
#: 35-39, 40-44, 45-49, 50+. The cells printed only as bounds (male 18-24 "<85" and 50+ "<25";
#: female 18-24 and 50+) are worked back from their shares: male 81 and 23, female 4 and 5.
#: Every team and year is given this shape.
DIP_AGE_EDGES = np.array([25, 30, 35, 40, 45, 50])
_MIDDLE = ("25-29", "30-34", "35-39", "40-44", "45-49")
DIP_AGE_SHARE = {
    SEX_MALE: np.array([81, *(count(f"{_SEF}-male-{b}-count") for b in _MIDDLE), 23], float),
    SEX_FEMALE: np.array([4, *(count(f"{_SEF}-female-{b}-count") for b in _MIDDLE), 5], float),
}

# --- Leicestershire JSNA chapter 2017-18 ---------------------------------------------------------

#: People in treatment (Table 1: 2,074) for about 690,000 residents (ONS mid-2017, not printed):
#: the treatment rate every demo area's volume is scaled from; the group mix 54 / 6 / 9 / 31 %.
LEIC_IN_TREATMENT = count("leic-2017-18-t1-total")
LEIC_POPULATION_2017 = 690_000
LEIC_GROUP_SHARE = {
    group: published(f"leic-2017-18-t1-share-{group.replace('_', '-')}")
    for group in ("opiate", "non_opiate", "non_opiate_alcohol", "alcohol_only")
}

# --- Leicestershire: the county treatment system's tuning (treatment_systems.COUNTY) ----------

#: Per treatment group, the values that differ from the region's (``GroupParams`` fields). New
#: presentations by group (opiate 348 -> 307, non-opiate 75 -> 75, non-opiate & alcohol 86 ->
#: 127) set the arrival trends; completions 6.8 / 40.3 / 38.2 %; early unplanned exits 14 / 8 /
#: 9 %; people in drug treatment younger than the region's (291 aged 18-29, 13 aged 60-69).
#: 2017-18's completions by group and sex and ages by sex are then met exactly by quota
#: (``treatment_quotas``, which reads its targets from the figures file too).
COUNTY_GROUPS: dict[str, dict[str, object]] = {
    "opiate": {
        "share": 0.505,  # the county's careers run longer than the trend assumes: 1,129 in 2017-18
        "trend": (1.04, 1.03, 1.02, 1.11, 0.98, 0.97, 0.96, 0.93),
        "p_complete": 0.37,
        "age_base": 22.5,
        "age_theta": 4.2,
    },
    "non_opiate": {
        "share": 0.063,
        "trend": (0.6, 0.62, 0.66, 0.92, 1.0, 1.05, 1.1, 1.05),
        # 2009-10 to 2012-13: more young presentations then (200 under-25s in 2009-10, 103 in
        # 2017-18; the chapter's presenting substances)
        "history_trend": (1.2, 1.0, 0.85, 0.7),
        "early": 0.07,
        "p_complete": 0.76,
    },
    "non_opiate_alcohol": {
        "trend": (0.5, 0.52, 0.55, 0.75, 1.0, 1.05, 1.1, 1.05),
        "history_trend": (1.0, 0.85, 0.7, 0.6),
        "early": 0.08,
        "p_complete": 0.72,
    },
}

#: The county system's own values (``TreatmentSystem`` fields).
COUNTY_SYSTEM: dict[str, object] = {
    "both_share": 0.37,  # crack in treatment: 32 % of the 1,478 crack users (68 % unmet need)
    # New presentations' employment (27 % regular, 27 % unemployed or inactive, 41 % long-term
    # sick across the drug groups), per group
    "employment": (
        {"regular_employment": 22, "unemployed_inactive": 28, "long_term_sick": 45,
         "unpaid_voluntary": 1, "education": 1, "other": 1, "": 2},
        {"regular_employment": 38, "unemployed_inactive": 28, "long_term_sick": 28,
         "unpaid_voluntary": 1, "education": 2, "other": 1, "": 2},
        {"regular_employment": 33, "unemployed_inactive": 25, "long_term_sick": 38,
         "unpaid_voluntary": 1, "education": 1, "other": 1, "": 1},
        {"regular_employment": 38, "unemployed_inactive": 24, "long_term_sick": 30,
         "unpaid_voluntary": 1, "education": 1, "other": 4, "": 2},
    ),
    # referral routes (49 % self, 30 % criminal justice)
    "referral_drug": {
        "self": 46.5, "arrest_referral": 8, "drr": 6.5, "probation": 7, "prison": 7,
        "other_cjs": 2, "gp": 9, "hospital": 1, "a_and_e": 0.5, "social_services": 1,
        "drug_service": 2, "alcohol_service": 0.5, "other": 6.5, "": 2,
    },
    # waits of three weeks or more: 2 % in 2016-17, none to speak of from 2017-18 (100 %)
    "long_wait": (0.04, 0.04, 0.03, 0.02, 0.002, 0.002, 0.002, 0.002),
    # TOP 2017-18: abstinent 39 / 45 / 42 / 26 % and significantly reduced 25 / 11 / 17 / 19 %
    # (opiates / crack / cannabis / alcohol) of those using at the start; the year's counted
    # pairs then meet the printed counts exactly (treatment_quotas)
    "top_abstinent": {
        "days_opiates": 0.31,
        "days_crack": 0.42,
        "days_cannabis": 0.30,
        "days_alcohol": 0.10,
    },
    "top_abstinent_completed": 0.6,
    "top_reduced": {"days_crack": (0.55, 1.0), "days_opiates": (0.2, 0.95)},
    "p_residential": 0.25,  # 18 people in residential rehabilitation in 2017-18
    "opiate_urgent_housing": 14,  # 16 % of opiate new presentations (8 % in 2009-10)
    "adjunct": {
        "alcohol": 26, "cannabis": 22, "cocaine": 13, "benzodiazepines": 16, "pom_otc": 19,
    },
    "hcv_tested": 85,  # 86 % of eligible injectors tested in 2016-17
    # the county's extracts reach back to 2009-10, the year the chapter compares 2017-18 with
    "first_fy": 2009,
}  # fmt: skip

#: Active OCU population of each county area at scale 1, every year. The chapter prints 2,700
#: OCU aged 15-64 (2014-15 estimate); the demo's prevalence estimate is the active pool plus
#: a modelling error of about 2 % (reference.prevalence_rows), so the pool is the printed
#: estimate less that 2 %: 2,650, and the published estimate lands on 2,700.
COUNTY_OCU = {"E10000018": 50 * round(count("leic-2014-15-t4-prevalence-ocu") / 1.02 / 50)}
#: Shares of OCU types among the county's untreated users (opiate only, both, crack only).
#: More use both than the region's: the 2016-17 opiate estimate the chapter's unmet need implies
#: (1,139 not in treatment, 49.8 %: about 2,290) with 2014-15's crack estimate (1,478).
COUNTY_UNTREATED_TYPES = {"opiate_only": 0.25, "both": 0.49, "crack_only": 0.26}

#: New presentations aged under 25 (the chapter's under-25s presenting, alcohol-only clients
#: included: 200 in 2009-10, 103 in 2017-18) and of them opiate clients (under-25s citing
#: opiates: 63 -> 18), printed for those two years only; the demo's years between lie on the
#: straight line between them (an assumption: the chapter says only that both fell).
LEIC_U25_PRINTED = {
    "all": (count("leic-2009-10-np-under-25"), count("leic-2017-18-np-under-25")),
    "opiate": (count("leic-2009-10-cit-u25-opiates"), count("leic-2017-18-cit-u25-opiates")),
}
#: Share of alcohol-only new presentations aged under 25 (not printed: an assumption of the
#: demo, one in 25): the rest of the under-25s are in drug treatment, where the chapter's
#: citations count them.
LEIC_U25_ALCOHOL_ONLY_SHARE = 0.04
#: Local under-25s citing crack "remaining under 5" in every year (the chapter's text; no count).
LEIC_U25_CRACK_MAX = 4


# --- Salford needs assessment 2006-07 and 2007-08 (report 004) ----------------------------------
# A block of its own: Salford is simulated on its own streams (smw_demo.salford).

_SAL = "sal"

#: People in drug treatment, all five agencies (1,358 in 2006-07 and 1,153 in 2007-08: the
#: report's sum of the agencies' caseloads, where a person seen by two agencies counts at each)
#: and new presentations (referrals: 452 and 360).
SAL_IN_TREATMENT = {
    "2006-07": count(f"{_SAL}-2006-07-in-treatment-all-derived"),
    "2007-08": count(f"{_SAL}-2007-08-in-treatment-all-derived"),
}
SAL_NEW_PRESENTATIONS = {
    "2006-07": count(f"{_SAL}-2006-07-referrals-all"),
    "2007-08": count(f"{_SAL}-2007-08-referrals-all"),
}
#: Transfers between the agencies (110 and 63): each puts a person in two agencies' caseloads.
SAL_TRANSFERS = {
    "2006-07": count(f"{_SAL}-2006-07-transfers-all"),
    "2007-08": count(f"{_SAL}-2007-08-transfers-all"),
}
#: People in drug treatment counted once, which the simulation is aimed at: the agencies'
#: caseloads less the transfers between them (1,248 and 1,090).
SAL_PEOPLE = {p: SAL_IN_TREATMENT[p] - SAL_TRANSFERS[p] for p in SAL_IN_TREATMENT}
#: Criminal-justice referrals in 2007-08 (107), and as a share of that year's new presentations.
SAL_CJ_REFERRALS = count(f"{_SAL}-2007-08-cj-referrals")
SAL_CJ_SHARE = SAL_CJ_REFERRALS / SAL_NEW_PRESENTATIONS["2007-08"]
#: The 2007-08 treatment bullseye's known rings (PDUs aged 15-64): in treatment on 31 March 2008
#: (663), treated in the year but not at its end (211), known but not treated (191).
SAL_BULLSEYE = {
    ring: count(f"{_SAL}-2007-08-bullseye-{ring.replace('_', '-')}")
    for ring in ("in_treatment_at_end", "exited_in_period", "known_not_in_period")
}
#: PDUs among people in treatment in 2007-08, as people: the bullseye's 874 of the 1,090 (80 %,
#: as the flows print it of the agencies' caseloads).
SAL_PDU_SHARE = (
    SAL_BULLSEYE["in_treatment_at_end"] + SAL_BULLSEYE["exited_in_period"]
) / SAL_PEOPLE["2007-08"]
#: Ethnicity of people in treatment in 2007-08: Asian 0.6 %, Black 1.8 %, White 95.3 %, Other
#: (with Mixed) 2.3 %. Split here by ONS code (A .. Z; Z not stated, 1 %), the White total
#: between White British and other White as the 2001 census found Salford (95 / 5).
_SAL_WHITE = published(f"{_SAL}-2007-08-tx-ethnicity-white")
_SAL_ASIAN = published(f"{_SAL}-2007-08-tx-ethnicity-asian")
_SAL_BLACK = published(f"{_SAL}-2007-08-tx-ethnicity-black")
_SAL_OTHER = published(f"{_SAL}-2007-08-tx-ethnicity-other")
#: The ethnic groups of people in treatment small enough to fall below five by chance, and so be
#: suppressed with the next smallest (``salford_quotas.salford_ethnicity`` holds them): Other
#: (with Mixed) is split as ``SAL_ETHNICITY`` splits it, four fifths Mixed.
SAL_ETHNIC_GROUP_SHARES = {
    "asian": _SAL_ASIAN,
    "black": _SAL_BLACK,
    "mixed": 0.8 * _SAL_OTHER,
    "other": 0.2 * _SAL_OTHER,
}
SAL_ETHNICITY = {
    "A": 0.95 * _SAL_WHITE * 99,
    "B": 0.02 * _SAL_WHITE * 99,
    "C": 0.03 * _SAL_WHITE * 99,
    **{code: 0.2 * _SAL_OTHER * 99 for code in ("D", "E", "F", "G")},
    **{code: 0.25 * _SAL_ASIAN * 99 for code in ("H", "J", "K", "L")},
    **{code: _SAL_BLACK / 3 * 99 for code in ("M", "N", "P")},
    "R": 0.0,
    "S": 0.2 * _SAL_OTHER * 99,
    "Z": 1.0,
}
#: Prevalence 2006-07 (Hay et al. 2008), aged 15-64: estimate and 95 % bounds per drug group, and
#: the OCU estimate by age band (the bullseye's 06/07 estimate row).
SAL_PREVALENCE = {
    group: tuple(
        count(f"{_SAL}-2006-07-prevalence-{group}{suffix}") for suffix in ("", "-lower", "-upper")
    )
    for group in ("ocu", "opiate", "crack")
}
SAL_PREVALENCE_AGE = {
    band: count(f"{_SAL}-2006-07-bullseye-estimate-{band}") for band in ("15-24", "25-34", "35-64")
}
#: Salford's five treatment agencies (report 004's flows), as the demo's provider codes: the
#: community drug team, Haysbrook, ASPIRE (structured day care), SMART (young adults, 18-21) and
#: DNW (inpatient detoxification). The figures file names the agencies by these codes.
SAL_AGENCIES = {
    "salford-cdt": "TPSAL01",
    "haysbrook": "TPSAL02",
    "aspire": "TPSAL03",
    "smart": "TPSAL04",
    "dnw": "TPNWR01",
}
#: Each agency's printed flows per year, as ``(agency, measure, period): count``: people in
#: treatment and newly presenting (referrals), transfers in (SMART left out of the table),
#: closures and planned closures (DNW left out). ``salford_agencies`` aims at these.
_SAL_FLOW_IDS = {
    "in_treatment": "in-treatment",
    "new_presentations": "referrals",
    "transfers_in": "transfers-into",
    "exits": "closures",
    "planned_exits": "closures-planned",
}
SAL_AGENCY_FLOWS = {
    (agency, measure, period): int(_published()[key])
    for agency in SAL_AGENCIES
    for measure, slug in _SAL_FLOW_IDS.items()
    for period in ("2006-07", "2007-08")
    if (key := f"{_SAL}-{period}-{slug}-{agency}") in _published()
}
#: People whose latest episode at the agency is in the opiate group: the report prints PDUs per
#: agency and, for three, the change in opiate users. Taken as 95 % of the PDUs (the rest use
#: crack and no opiate) and, where the change is printed, that change on the year before; SMART's
#: from its main-drug chart (opiates 2 and 3). The community drug team, whose change is not
#: printed, takes the rest.
_SAL_OPIATE_OF_PDU = 0.95
SAL_AGENCY_OPIATE: dict[tuple[str, str], int] = {}
for _agency in ("haysbrook", "aspire", "dnw"):
    _first = round(_SAL_OPIATE_OF_PDU * count(f"{_SAL}-2006-07-in-treatment-{_agency}-pdu"))
    SAL_AGENCY_OPIATE[_agency, "2006-07"] = _first
    SAL_AGENCY_OPIATE[_agency, "2007-08"] = round(
        _first * (1 + published(f"{_SAL}-2007-08-in-treatment-{_agency}-opiate-change"))
    )
for _period in ("2006-07", "2007-08"):
    SAL_AGENCY_OPIATE["smart", _period] = count(f"{_SAL}-{_period}-smart-main-drug-opiates")
#: The printed changes on 2006-07 of each agency's flows, as ``(agency, measure): change``.
SAL_AGENCY_CHANGES = {
    (agency, measure): _published()[key]
    for agency in SAL_AGENCIES
    for measure, slug in (
        *_SAL_FLOW_IDS.items(),
        ("in_treatment_opiate", "in-treatment"),
    )
    if (
        key := f"{_SAL}-2007-08-{slug}-{agency}"
        + ("-opiate-change" if measure.endswith("opiate") else "-change")
    )
    in _published()
}
#: Transfers into SMART, which the transfers table leaves out, as SMART's own figures need them:
#: 34 people in treatment in 2007-08 with 9 referred, of the 23 of 2006-07 at most 9 not closed
#: (14 closures), so at least 16 came by transfer; its 23 of 2006-07 (9 referred) need none.
SAL_SMART_TRANSFERS = {
    "2006-07": 0,
    "2007-08": SAL_AGENCY_FLOWS["smart", "in_treatment", "2007-08"]
    - SAL_AGENCY_FLOWS["smart", "new_presentations", "2007-08"]
    - (
        SAL_AGENCY_FLOWS["smart", "in_treatment", "2006-07"]
        - SAL_AGENCY_FLOWS["smart", "exits", "2006-07"]
    ),
}
#: Drug tests on arrest in Salford's custody suite, 2007-08, by sex and result: negative, opiates
#: only, both, cocaine only (1,628 tests: 1,344 of men, 284 of women; the per-sex positives are
#: derived in the figures file from the chart's percentages).
SAL_DRUG_TESTS = {
    (sex, kind): count(f"{_SAL}-2007-08-mdt-{prefix}{sex}-{kind.replace('_', '-')}{suffix}")
    for sex in ("male", "female")
    for kind, prefix, suffix in (
        ("negative", "sex-", ""),
        ("opiates_only", "", "-derived"),
        ("both", "", "-derived"),
        ("cocaine_only", "", "-derived"),
    )
}
#: PDUs testing positive who were known to treatment (Parker & Egginton, MDTs August 2004 to
#: April 2007: 65 %); "cocaine only" testers were 92 % unknown to treatment.
SAL_PDU_TESTERS_KNOWN = published(f"{_SAL}-2004-07-pe-pdu-known-share")
SAL_COCAINE_TESTERS_KNOWN = 1 - published(f"{_SAL}-2004-07-pe-cocaine-only-unknown-share")
#: Salford's DIP paperwork, 2007-08: the individuals, the share of men, those with no ethnicity
#: stated and the White British (``salford_dip``).
SAL_DIP_PEOPLE = count(f"{_SAL}-2007-08-dip-paperwork-individuals")
SAL_DIP_MALE = published(f"{_SAL}-2007-08-dip-sex-male")
SAL_DIP_NOT_STATED = count(f"{_SAL}-2007-08-dip-ethnicity-not-stated")
SAL_DIP_WHITE_BRITISH = count(f"{_SAL}-2007-08-dip-ethnicity-white-british-count")
