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
