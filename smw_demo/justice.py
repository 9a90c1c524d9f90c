"""Criminal justice: Drug Interventions Programme (DIP) contacts and drug tests on arrest.

Contacts are generated *funnel first*: for each criminal justice integrated team (CJIT, one per
area) and year the route, assessment, need for further intervention, caseload and onward
transfer of every contact are decided, so the funnel invariants hold by construction (a contact
taken onto the caseload was assessed and needed further intervention; transfers in that were not
completed are not assessed; only those not taken on are transferred out). Residence follows the
transfer destination (someone transferred to "Liverpool CJIT" lives in Liverpool) and people are
then found for the contacts — opiate and crack users from the OCU population (often known to
treatment), powder-cocaine and other users as criminal-justice clients of their own.

Every required assessment follows a positive drug test of the same person a day or two before at
a custody suite in the team's area (Knowsley has none: its arrests go to Liverpool and St Helens
suites). Negative tests of other arrestees are added so that ≈ 29 % of people tested in a year
test positive.

Calibration (Sefton DIP profile 2015-16, §5.4; Salford MDT tables, §5.5): Sefton 2015-16 is
reproduced exactly — 510 contacts (667 in 2014-15), the route appendix, 504 assessed, 380 needing
further intervention, 279 taken on, 92 of the 101 others transferred to the published
destinations — and shaped like the published profile (88 % male, 78 % Sefton residents / 13 %
Liverpool, drug mentions, routes of use, injecting, drinking, offences). Other teams follow the same
shape; Merseyside teams average ≈ 700 contacts in 2015-16, 25 % fewer than 2014-15 when targeted
testing began.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smw_demo import areas as geo
from smw_demo import timeline as tl
from smw_demo.codes import CodeLists
from smw_demo.justice_calibration import (
    CONTACTS_2015,
    FALL_2015,
    FY_2015,
    SEFTON,
    SEFTON_2015_WHITE_BRITISH,
    YEAR_FACTOR,
)
from smw_demo.justice_contacts import _contact_details
from smw_demo.justice_drug_tests import _drug_tests
from smw_demo.justice_funnel import _funnel, _Vocab
from smw_demo.justice_people import _people_for_contacts
from smw_demo.ocu import OcuPool
from smw_demo.people import PersonRegistry
from smw_demo.table import Table


def contact_targets(scale: float) -> np.ndarray:
    """DIP contacts per (area, year) at this scale."""
    out = np.zeros((geo.N_AREAS, tl.N_YEARS), dtype=np.int64)
    for i, a in enumerate(geo.AREAS):
        base = CONTACTS_2015[a.code]
        y2014 = 667 if i == SEFTON else base / FALL_2015[a.merseyside]
        for y in range(tl.N_YEARS):
            if y == 1:
                v = y2014
            elif y == 0:
                v = y2014 * YEAR_FACTOR[0]
            else:
                v = base * YEAR_FACTOR[y]
            out[i, y] = max(int(round(v * scale)), 1)
    return out


@dataclass
class JusticeResult:
    dip: Table
    mdt: Table
    suites: list[str]
    text_values: list[str]  # transfer_from / transferred_to vocabulary (index → text)
    aims: dict[str, object]


def simulate_justice(
    rng: np.random.Generator,
    scale: float,
    people: PersonRegistry,
    pool: OcuPool,
    codes: CodeLists,
) -> JusticeResult:
    targets = contact_targets(scale)
    vocab = _Vocab()
    suites, suite_la = geo.custody_suites()
    dip_parts: list[Table] = []
    mdt_parts: list[Table] = []
    cj_prev = (np.zeros(0, np.int32), np.zeros(0, np.int8))
    for y in range(tl.N_YEARS):
        year_contacts: list[Table] = []
        year_cj: list[np.ndarray] = []
        for la in range(geo.N_AREAS):
            exact = la == SEFTON and y == FY_2015
            c = _funnel(rng, la, y, int(targets[la, y]), exact, vocab, codes)
            persons, new_cj = _people_for_contacts(rng, c, y, people, pool, cj_prev)
            c["person"] = persons
            if exact:
                people.pin_profile(persons, white_british=SEFTON_2015_WHITE_BRITISH)
            year_cj.append(new_cj)
            year_contacts.append(c)
        dip_y = Table.concat(year_contacts)
        dip_y = _contact_details(rng, dip_y, codes)
        dip_parts.append(dip_y)
        cj_now = np.concatenate(year_cj) if year_cj else np.zeros(0, np.int32)
        mdt_y, cj_neg = _drug_tests(rng, dip_y, y, people, pool, cj_prev, suites, suite_la, codes)
        mdt_parts.append(mdt_y)
        all_cj = np.concatenate([cj_now, cj_neg])
        cj_prev = (all_cj, people.home[all_cj].astype(np.int8))
    aims = {"dip_contacts": {a.code: [int(v) for v in targets[i]] for i, a in enumerate(geo.AREAS)}}
    return JusticeResult(
        Table.concat(dip_parts), Table.concat(mdt_parts), suites, vocab.values, aims
    )
