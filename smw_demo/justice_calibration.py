"""DIP calibration: team areas, contacts per team and year, Sefton's 2015-16 appendix (routes,
transfers) and drug profiles; see ``justice``."""

from __future__ import annotations

import numpy as np

from smw_demo import areas as geo

SEFTON = geo.AREA_INDEX["E08000014"]
LIVERPOOL = geo.AREA_INDEX["E08000012"]
KNOWSLEY = geo.AREA_INDEX["E08000011"]
ST_HELENS = geo.AREA_INDEX["E08000013"]
FY_2015 = 2  # 2015-16: targeted drug testing began in the custody suites

#: White British share of Sefton's DIP contacts in 2015-16 (the profile: 93 %, as Merseyside).
SEFTON_2015_WHITE_BRITISH = 0.93

#: DIP contacts per team in 2015-16 (Merseyside teams average 699; Sefton 510).
CONTACTS_2015 = {
    "E06000049": 330,
    "E06000050": 380,
    "E06000006": 260,
    "E08000011": 420,
    "E08000012": 1_450,
    "E08000013": 415,
    "E08000014": 510,
    "E06000007": 290,
    "E08000015": 700,
}
#: Year factors: 2013-14 relative to 2014-15, 2016-17 onwards relative to 2015-16; 2014-15 itself
#: is set from the 2015-16 fall (Sefton 667, Merseyside −26 %).
YEAR_FACTOR = (1.04, 1.0, 1.0, 0.96, 0.92, 0.88, 0.85, 0.68)
FALL_2015 = {True: 0.74, False: 0.80}  # 2015-16 / 2014-15 for Merseyside / Cheshire teams

ROUTES = (
    "required_assessment",
    "conditional_caution",
    "post_treatment_referral",
    "offender_manager_request",
    "offender_management_requirement",
    "restriction_on_bail",
    "voluntary",
    "other",
    "transfer_in_completed",
    "transfer_in_not_completed",
)
RA, TC, TNC = 0, 8, 9
#: Sefton 2015-16 route counts (appendix), in ROUTES order.
SEFTON_2015_ROUTES = (377, 1, 3, 26, 31, 11, 4, 8, 43, 6)
SEFTON_2015_FURTHER = 380
SEFTON_2015_CASELOAD = 279
SEFTON_2015_TRANSFERRED_TO = {
    "Cheshire East CJIT": 1,
    "Halton CJIT": 1,
    "Hertfordshire CJIT": 1,
    "Knowsley CJIT": 13,
    "Lancashire CJIT": 2,
    "Liverpool CJIT": 31,
    "Salford CJIT": 1,
    "Somerset CJIT": 1,
    "St Helens CJIT": 5,
    "Wigan CJIT": 1,
    "Wirral CJIT": 3,
    "HMP Forest Bank": 1,
    "HMP Liverpool": 30,
    "HMP Styal": 1,
}
SEFTON_2015_TRANSFER_FROM = {
    TC: {
        "Hammersmith and Fulham CJIT": 1,
        "Lancashire CJIT": 1,
        "Liverpool CJIT": 3,
        "St Helens CJIT": 1,
        "HMP Drake Hall": 1,
        "HMP Forest Bank": 1,
        "HMP Liverpool": 29,
        "HMP Stoke Heath": 1,
        "HMP Styal": 5,
    },
    TNC: {"Liverpool CJIT": 2, "Newham CJIT": 1, "St Helens CJIT": 1, "HMP Liverpool": 2},
}
_FEMALE_PRISONS = ("HMP Styal", "HMP Drake Hall")

# Drug profiles of contacts: OCU types first, then non-OCU users.
COCAINE_USER, OTHER_USER = 3, 4
PROFILE_RA = np.array(
    [0.16, 0.26, 0.14, 0.44, 0.0]
)  # opiate-only, both, crack-only, cocaine, other
PROFILE_OTHER = np.array([0.22, 0.25, 0.09, 0.27, 0.17])
