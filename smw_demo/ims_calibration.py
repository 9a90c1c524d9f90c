"""IMS calibration: cohort sizes, visits, needles, interventions and age/sex profiles (IMS
overview 2020-21, §5.1); see ``ims``."""

from __future__ import annotations

import numpy as np

PSYCH, IPED, BI = 0, 1, 2
COHORTS = ("pwid_psychoactive", "pwid_iped", "bi_only")
#: All-IMS clients 2013-14 … 2020-21 (IMS overview chart).
ALL_IMS = (25_760, 31_246, 26_197, 25_024, 26_509, 20_461, 21_789, 14_847)
#: Cohort sizes: 2019-20 and 2020-21 as published; earlier years a plausible split of All IMS.
PSYCH_TOTAL = (9_400, 9_200, 8_900, 8_500, 8_100, 7_600, 7_234, 6_361)
IPED_TOTAL = (5_200, 5_900, 6_100, 6_300, 6_600, 6_300, 6_508, 3_773)
BI_TOTAL = tuple(a - p - i for a, p, i in zip(ALL_IMS, PSYCH_TOTAL, IPED_TOTAL, strict=True))

VISITS_PER_PERSON = (
    (8.6, 8.55, 8.5, 8.45, 8.4, 8.4, 60_466 / 7_234, 48_010 / 6_361),
    (2.2, 2.2, 2.15, 2.15, 2.1, 2.1, 13_756 / 6_508, 7_570 / 3_773),
)
NEEDLES_PER_VISIT = (
    (26.5, 26.5, 26.4, 26.3, 26.2, 26.1, 1_575_240 / 60_466, 1_181_430 / 48_010),
    (33.0, 33.5, 34.0, 34.0, 34.5, 34.5, 480_300 / 13_756, 341_000 / 7_570),
)
#: 2020-21 interventions by category (total 56,516).
CATEGORY_COUNTS = {
    "advice_minimal": 4_910,
    "standard_brief": 39_249,
    "extended_brief": 1_992,
    "engagement_support": 3_143,
    "other_channel": 7_222,
}
INTERVENTIONS_2020 = sum(CATEGORY_COUNTS.values())
BI_PER_CLIENT = 6.0
PWID_INTERVENTIONS_2020 = INTERVENTIONS_2020 - round(BI_PER_CLIENT * BI_TOTAL[-1])

PSYCH_MALE, IPED_MALE, BI_MALE = 0.82, 0.96, 0.60
AGE_EDGES = np.array([0, 25, 35, 45, 55, 200])
#: Psychoactive PWID age bands (<25, 25-34, 35-44, 45-54, 55+): an ageing heroin generation,
#: reaching 71 % aged 35-54 in 2020-21.
#: (These are the shares among OCU injectors; the few non-OCU injectors are younger.)
PSYCH_AGE_2013 = np.array([0.08, 0.27, 0.37, 0.23, 0.05])
PSYCH_AGE_2020 = np.array([0.02, 0.16, 0.40, 0.33, 0.09])
OCU_SHARE_OF_PSYCH = 0.94

# Psychoactive areas that grew in 2020-21 (the other seven fell: "decreases in 7 of 9").
PSYCH_GROWTH_2020 = ("E06000006", "E06000007")
