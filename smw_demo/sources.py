"""From simulated tables to extract rows: sorting, record keys, files and re-sends.

Each source becomes a :class:`SourceRows`: its rows in file order (monthly files for events,
yearly snapshots for agencies, one file for reference data), a stable key per row, and a
``render`` function that turns any slice of rows into text columns in the spec's column order.
Rendering happens one file at a time, so the whole extract never exists as text in memory.

Keys are assigned in date order (``NSP-00000001`` is the earliest visit) and never reused. A key
appears more than once only when a record is re-sent: an episode first sent open and sent again
when discharged, an NSP or DIP record corrected in a later month, or an agency in every yearly
snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from orchestration.lib.spec import DEMO_PERIODS, Source, source
from smw_demo import areas as geo
from smw_demo import salford
from smw_demo import timeline as tl
from smw_demo.codes import CodeLists
from smw_demo.ims_agencies import Agencies
from smw_demo.people import LETTER_LOOKUP, PersonRegistry
from smw_demo.table import Table

Render = Callable[[np.ndarray], dict[str, list[str]]]


@dataclass
class SourceRows:
    spec: Source
    file_stems: list[str]
    file_of_row: np.ndarray  # ascending
    key_num: np.ndarray  # integer key per row (rows sharing a key are versions of one record)
    key_text: Callable[[np.ndarray], list[str]]  # key numbers → key strings
    render: Render
    versions: np.ndarray  # how many rows share this row's key (> 1: re-sent)
    first_version: np.ndarray  # bool: the earliest row of its key
    person: np.ndarray | None = None  # person index per row (person-level sources)
    event_day: np.ndarray | None = None  # the date column as day numbers
    numeric: dict[str, np.ndarray] = field(default_factory=dict)  # for defect eligibility
    corrections: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # rows
    #: rows about a county area (Leicestershire): no row defects are planted on them, so the
    #: region's planted defects do not depend on the county
    county: np.ndarray | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def __len__(self) -> int:
        return len(self.key_num)

    def key_of(self, row: int) -> str:
        return self.key_text(self.key_num[row : row + 1])[0]

    def distinct_keys(self) -> int:
        return int(len(np.unique(self.key_num)))

    def resent_keys(self) -> list[str]:
        """Keys sent more than once, in key order."""
        return self.key_text(np.unique(self.key_num[self.versions > 1]))

    def file_bounds(self) -> np.ndarray:
        return np.searchsorted(self.file_of_row, np.arange(len(self.file_stems) + 1))


def _ids(prefix: str, n: int) -> Callable[[np.ndarray], list[str]]:
    """Key strings for 0-based record numbers, formatted on demand (``NSP-00000001``): holding
    millions of key strings at large scales would cost more memory than all the numbers."""
    width = max(8, len(str(n)))

    def text(numbers: np.ndarray) -> list[str]:
        return [f"{prefix}-{i + 1:0{width}d}" for i in np.asarray(numbers).tolist()]

    return text


def _ints(values: np.ndarray) -> list[str]:
    """Integers as text; negative values are the simulation's 'not recorded' and print blank."""
    out = np.asarray(values).astype(np.int64).astype(str).astype(object)
    out[np.asarray(values) < 0] = ""
    return out.tolist()


def _lookup(table: np.ndarray, idx: np.ndarray) -> list[str]:
    return table[np.asarray(idx, dtype=np.int64)].tolist()


class Attributor:
    """Renders the four attributor fields from person indices."""

    def __init__(self, people: PersonRegistry, codes: CodeLists) -> None:
        self.fi = people.first_initial
        self.si = people.surname_initial
        self.dob = people.dob
        self.sex = people.sex_code
        self.ethnicity = people.ethnicity
        self.sex_lookup = codes.lookup("sex")
        self.eth_lookup = codes.lookup("ethnicity")

    def columns(self, person: np.ndarray) -> dict[str, list[str]]:
        return {
            "first_initial": _lookup(LETTER_LOOKUP, self.fi[person]),
            "surname_initial": _lookup(LETTER_LOOKUP, self.si[person]),
            "date_of_birth": tl.iso_dates(self.dob[person]),
            "sex": _lookup(self.sex_lookup, self.sex[person]),
        }


def _versions(keys_num: np.ndarray, when: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows per key, and whether each row is its key's first version: the earliest in the order
    ``when`` (the rows' positions, oldest file first)."""
    _, first_pos, inv, counts = np.unique(
        keys_num[when], return_index=True, return_inverse=True, return_counts=True
    )
    first = np.zeros(len(keys_num), bool)
    first[when[first_pos]] = True
    versions = np.empty(len(keys_num), np.int64)
    versions[when] = counts[inv]
    return versions, first


def _keyed(
    table: Table, prefix: str, *order: str
) -> tuple[Table, Callable[[np.ndarray], list[str]]]:
    """The records sorted by the columns ``order`` (the first most significant: the date), and
    their key strings, numbered in that order."""
    t = table.take(np.lexsort(tuple(table[c] for c in reversed(order))))
    return t, _ids(prefix, len(t))


def _with_corrections(
    rng: np.random.Generator, base_file: np.ndarray, rate: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every record once, in month file ``base_file[record]``, then about ``rate`` of them re-sent
    corrected in a later month: the record of each row, its file, and the corrected records."""
    n_files = tl.N_MONTHS
    eligible = np.flatnonzero(base_file < n_files - 1)
    k = min(max(1, int(round(rate * len(base_file)))), len(eligible))
    corr = np.sort(rng.choice(eligible, k, replace=False)) if k else np.zeros(0, np.int64)
    later = np.minimum(base_file[corr] + rng.integers(1, 3, k), n_files - 1)
    rows = np.concatenate([np.arange(len(base_file)), corr])
    return rows, np.concatenate([base_file, later]), corr


def _monthly(
    name: str,
    rows: np.ndarray,
    files: np.ndarray,
    ids: Callable[[np.ndarray], list[str]],
    render: Render,
    event_day: np.ndarray,
    *,
    person: np.ndarray | None = None,
    numeric: dict[str, np.ndarray] | None = None,
    corrected: bool = False,
    county: np.ndarray | None = None,
    file_stems: list[str] | None = None,
) -> SourceRows:
    """A monthly source: row ``i`` is record ``rows[i]`` sent in month file ``files[i]`` (rows in
    file order; a record in more than one row is re-sent). ``corrected``: a re-send is a
    correction (not a new state of the record, like a discharged episode)."""
    stems = list(tl.MONTH_LABELS) if file_stems is None else file_stems
    # the files by date (the stems are months, YYYY-MM): a history's files come after the
    # window's in ``file_stems`` but hold the older versions
    rank = np.argsort(np.argsort(stems, kind="stable"))
    versions, first = _versions(rows, np.lexsort((np.arange(len(rows)), rank[files])))
    return SourceRows(
        spec=source(name),
        file_stems=stems,
        file_of_row=files,
        key_num=rows,
        key_text=ids,
        render=render,
        versions=versions,
        first_version=first,
        person=person,
        event_day=event_day,
        numeric=numeric or {},
        corrections=np.flatnonzero(versions > 1) if corrected else np.zeros(0, np.int64),
        county=county,
    )


def _sent_once(
    name: str,
    files: np.ndarray,
    ids: Callable[[np.ndarray], list[str]],
    render: Render,
    event_day: np.ndarray,
    *,
    person: np.ndarray | None = None,
    county: np.ndarray | None = None,
) -> SourceRows:
    """A monthly source whose every row is sent once, in file ``files[row]`` (no re-sends)."""
    return _monthly(
        name, np.arange(len(files)), files, ids, render, event_day, person=person, county=county
    )


def nsp_rows(
    rng: np.random.Generator,
    nsp: Table,
    agencies: Agencies,
    codes: CodeLists,
    attributor: Attributor,
) -> SourceRows:
    t, ids = _keyed(nsp, "NSP", "day", "agency", "person")
    rows, files, corr = _with_corrections(rng, tl.month_of(t["day"]), 2e-4)
    needles = np.concatenate(
        [t["needles"], np.maximum(t["needles"][corr] + rng.choice([-10, -5, 5, 10], len(corr)), 1)]
    )
    sorted_idx = np.lexsort((rows, files))
    rows, files, needles = rows[sorted_idx], files[sorted_idx], needles[sorted_idx]
    agency_codes = np.array(agencies.code, dtype=object)
    sub = codes.lookup("ims_injected_substance")
    yn = codes.lookup("yes_no")
    d = t.cols

    def render(sel: np.ndarray) -> dict[str, list[str]]:
        r = rows[sel]
        cols = {
            "transaction_id": ids(r),
            "agency_code": agency_codes[d["agency"][r]].tolist(),
            "transaction_date": tl.iso_dates(d["day"][r]),
            **attributor.columns(d["person"][r]),
            "client_la_code": _lookup(geo.LA_LOOKUP, d["client_la"][r]),
            "substance_injected": _lookup(sub, d["substance"][r]),
            "needles_issued": _ints(needles[sel]),
            "syringes_issued": _ints(d["syringes"][r]),
            "sharps_returned": _lookup(yn, d["sharps"][r]),
            "first_visit": _lookup(yn, d["first_visit"][r]),
        }
        return cols

    return _monthly(
        "ims_nsp_transactions",
        rows,
        files,
        ids,
        render,
        d["day"][rows],
        person=d["person"][rows],
        corrected=True,
        numeric={
            "syringes": d["syringes"][rows],
            "heroin": d["substance"][rows] == codes.index("ims_injected_substance", "heroin"),
            "iped": np.isin(
                d["substance"][rows],
                codes.indices(
                    "ims_injected_substance", codes.in_category("ims_injected_substance", "iped")
                ),
            ),
        },
    )


def intervention_rows(
    iv: Table, agencies: Agencies, codes: CodeLists, attributor: Attributor
) -> SourceRows:
    t, ids = _keyed(iv, "INT", "day", "agency", "person")
    files = tl.month_of(t["day"])
    agency_codes = np.array(agencies.code, dtype=object)
    cat = codes.lookup("intervention_category")
    ims = codes.lookup("ims_substance")
    d = t.cols

    def render(r: np.ndarray) -> dict[str, list[str]]:
        return {
            "intervention_id": ids(r),
            "agency_code": agency_codes[d["agency"][r]].tolist(),
            "intervention_date": tl.iso_dates(d["day"][r]),
            **attributor.columns(d["person"][r]),
            "client_la_code": _lookup(geo.LA_LOOKUP, d["client_la"][r]),
            "intervention_category": _lookup(cat, d["category"][r]),
            "main_substance": _lookup(ims, d["main"][r]),
            "second_substance": _lookup(ims, d["second"][r]),
        }

    return _sent_once("ims_interventions", files, ids, render, d["day"], person=d["person"])


def dip_rows(
    rng: np.random.Generator,
    dip: Table,
    vocab: list[str],
    codes: CodeLists,
    attributor: Attributor,
    own: Table | None = None,
) -> SourceRows:
    """The region's contacts in the window's month files (a few re-sent corrected), then
    Salford's (``own``: 2007-08, its last year) in month files of their own, numbered after the
    region's, sent once and without planted defects."""
    t, _ = _keyed(dip, "DIP", "day", "cjit", "person")
    n = len(t)
    rows, files, corr = _with_corrections(rng, tl.month_of(t["day"]), 3e-3)
    # A correction fills in or changes the alcohol questions (they are often completed later).
    units = np.concatenate([t["units"], t["units"][corr] + rng.integers(1, 6, len(corr))])
    ddays = np.concatenate(
        [
            t["drinking_days"],
            np.clip(t["drinking_days"][corr] + rng.integers(1, 5, len(corr)), 1, 28),
        ]
    )
    units[n:] = np.where(units[n:] <= 0, rng.integers(2, 10, len(corr)), units[n:])
    stems = list(tl.MONTH_LABELS)
    if own is not None and len(own):
        o, _ = _keyed(own, "DIP", "day", "cjit", "person")
        rows = np.concatenate([rows, n + np.arange(len(o))])
        last_year = salford.MONTH_LABELS[-12:]
        own_files = salford.month_of(o["day"]) - (len(salford.MONTH_LABELS) - 12)
        files = np.concatenate([files, len(stems) + own_files])
        stems += last_year
        units = np.concatenate([units, o["units"]])
        ddays = np.concatenate([ddays, o["drinking_days"]])
        t = Table.concat([t, o])
    ids = _ids("DIP", len(t))
    sorted_idx = np.lexsort((rows, files))
    rows, files = rows[sorted_idx], files[sorted_idx]
    units, ddays = units[sorted_idx], ddays[sorted_idx]
    text = np.array(vocab, dtype=object)
    lk = cache(codes.lookup)  # a code list's lookup array, made once
    d = t.cols
    eth = attributor.ethnicity

    def render(sel: np.ndarray) -> dict[str, list[str]]:
        r = rows[sel]
        p = d["person"][r]
        e = np.where(d["eth_blank"][r], -1, eth[p])
        return {
            "contact_id": ids(r),
            "cjit_code": _lookup(geo.LA_LOOKUP, d["cjit"][r]),
            "contact_date": tl.iso_dates(d["day"][r]),
            **attributor.columns(p),
            "ethnicity": _lookup(lk("ethnicity"), e),
            "client_la_code": _lookup(geo.LA_LOOKUP, d["residence"][r]),
            "route": _lookup(lk("dip_route"), d["route"][r]),
            "transfer_from": text[d["transfer_from"][r]].tolist(),
            "assessed": _lookup(lk("yes_no"), d["assessed"][r]),
            "further_intervention_required": _lookup(lk("yes_no"), d["further"][r]),
            "taken_onto_caseload": _lookup(lk("yes_no"), d["caseload"][r]),
            "transferred_to": text[d["transferred_to"][r]].tolist(),
            "drugs_used": d["drugs"][r].tolist(),
            "main_drug_route": _lookup(lk("drug_route"), d["main_route"][r]),
            "injecting_status": _lookup(lk("injecting_status"), d["injecting"][r]),
            "drinking_days_28": _ints(ddays[sel]),
            "daily_units": _ints(units[sel]),
            "offence": _lookup(lk("offence"), d["offence"][r]),
            "offender_management": _lookup(lk("offender_management"), d["offender_management"][r]),
        }

    return _monthly(
        "dip_contacts",
        rows,
        files,
        ids,
        render,
        d["day"][rows],
        person=d["person"][rows],
        corrected=True,
        numeric={"units": units, "cjit": d["cjit"][rows], "year": tl.fy_of(d["day"][rows])},
        county=rows >= n,
        file_stems=stems,
    )


def mdt_rows(
    mdt: Table,
    suites: list[str],
    codes: CodeLists,
    attributor: Attributor,
    own: Table | None = None,
) -> SourceRows:
    """The region's tests in the window's month files, then Salford's (``own``: 2007-08, its
    last year) in month files of their own, numbered after the region's."""
    t, _ = _keyed(mdt, "MDT", "day", "suite", "person")
    files = tl.month_of(t["day"])
    stems = list(tl.MONTH_LABELS)
    # Salford's rows carry no planted defect, so the region's defects are as they were
    salford_rows = np.zeros(len(t), bool)
    if own is not None and len(own):
        o, _ = _keyed(own, "MDT", "day", "suite", "person")
        last_year = salford.MONTH_LABELS[-12:]
        files = np.concatenate(
            [files, len(stems) + salford.month_of(o["day"]) - (len(salford.MONTH_LABELS) - 12)]
        )
        stems += last_year
        t = Table.concat([t, o])
        salford_rows = np.r_[salford_rows, np.ones(len(o), bool)]
    ids = _ids("MDT", len(t))
    suite_names = np.array(suites, dtype=object)
    res = codes.lookup("test_result")
    d = t.cols

    def render(r: np.ndarray) -> dict[str, list[str]]:
        return {
            "test_id": ids(r),
            "test_date": tl.iso_dates(d["day"][r]),
            "custody_suite": suite_names[d["suite"][r]].tolist(),
            "custody_la_code": _lookup(geo.LA_LOOKUP, d["custody_la"][r]),
            **attributor.columns(d["person"][r]),
            "opiates": _lookup(res, d["opiates"][r]),
            "cocaine": _lookup(res, d["cocaine"][r]),
        }

    return _monthly(
        "mdt_results",
        np.arange(len(files)),
        files,
        ids,
        render,
        d["day"],
        person=d["person"],
        file_stems=stems,
        county=salford_rows,
    )


def agency_rows(agencies: Agencies, codes: CodeLists) -> tuple[SourceRows, dict[str, list[str]]]:
    """One snapshot per financial year of every agency known by its end (re-sent whole).

    Returns the rows and, per file, the agencies whose values changed since the last snapshot.
    """
    rows: list[int] = []
    files: list[int] = []
    for y in range(tl.N_YEARS):
        known = np.flatnonzero(agencies.first_fy <= y)
        rows.extend(known.tolist())
        files.extend([y] * len(known))
    r_all = np.array(rows, np.int64)
    f_all = np.array(files, np.int64)
    fy_end = tl.FY_START[1:] - 1
    closed_known = (agencies.closed[r_all] != tl.NO_DATE) & (
        agencies.closed[r_all] <= fy_end[f_all]
    )
    versions, first = _versions(r_all, np.arange(len(r_all)))
    codes_arr = np.array(agencies.code, dtype=object)
    names = np.array(agencies.name, dtype=object)
    types = codes.lookup("agency_type")
    changed: dict[str, list[str]] = {}
    for y in range(1, tl.N_YEARS):
        now = (f_all == y) & closed_known
        before = set(r_all[(f_all == y - 1) & closed_known].tolist())
        newly = [agencies.code[i] for i in r_all[now] if i not in before]
        if newly:
            changed[DEMO_PERIODS[y]] = sorted(newly)

    def render(sel: np.ndarray) -> dict[str, list[str]]:
        r = r_all[sel]
        closed = np.where(closed_known[sel], agencies.closed[r], tl.NO_DATE)
        return {
            "agency_code": codes_arr[r].tolist(),
            "agency_name": names[r].tolist(),
            "agency_type": _lookup(types, agencies.type[r]),
            "la_code": _lookup(geo.LA_LOOKUP, agencies.la[r]),
            "opened_date": tl.iso_dates(agencies.opened[r]),
            "closed_date": tl.iso_dates(closed),
        }

    return (
        SourceRows(
            spec=source("ims_agencies"),
            file_stems=list(DEMO_PERIODS),
            file_of_row=f_all,
            key_num=r_all,
            key_text=lambda k: codes_arr[np.asarray(k, np.int64)].tolist(),
            render=render,
            versions=versions,
            first_version=first,
        ),
        changed,
    )


def reference_rows(name: str, stem: str, records: list[dict[str, str]]) -> SourceRows:
    """A single-file reference source from ready-made text records."""
    spec = source(name)
    n = len(records)
    cols = {
        c: np.array([rec.get(c, "") for rec in records], dtype=object) for c in spec.column_names
    }
    keys = np.array(["|".join(rec.get(k, "") for k in spec.key) for rec in records], dtype=object)

    def render(r: np.ndarray) -> dict[str, list[str]]:
        return {c: cols[c][r].tolist() for c in spec.column_names}

    county_codes = [*(a.code for a in geo.COUNTY_AREAS), geo.SALFORD.code]
    return SourceRows(
        spec=spec,
        file_stems=[stem],
        file_of_row=np.zeros(n, np.int64),
        key_num=np.arange(n),
        key_text=lambda k: keys[np.asarray(k, np.int64)].tolist(),
        render=render,
        versions=np.ones(n, np.int64),
        first_version=np.ones(n, bool),
        county=np.isin(cols["la_code"], county_codes) if "la_code" in cols else None,
    )
