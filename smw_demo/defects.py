"""Planted defects and format variants, at known low rates and recorded exactly.

Real suppliers bend the contract; the demo does too, so that landing, data quality and the
tests have something true to find. Every planted cell is chosen on a record that is sent only
once (never on a re-sent record, whose later version would hide or repeat it), never two on the
same record, and never in a file that is duplicated or exported whole with UK dates — so each
planted item is found exactly once by a warehouse that follows the contract. Rates are per
source rows (together well under 1 % of rows), with at least one of each kind per source at
any scale, so tiny test extracts still exercise every path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.lib.spec import source
from smw_demo import timeline as tl
from smw_demo.manifest import PlantedDefect
from smw_demo.sources import SourceRows
from smw_demo.writer import FileVariant, relative_path

NSP, INT, EPI, TOP, DIP, MDT = (
    "ims_nsp_transactions",
    "ims_interventions",
    "ndtms_episodes",
    "ndtms_top",
    "dip_contacts",
    "mdt_results",
)
ATTRIBUTOR_SOURCES = (NSP, INT, EPI, DIP, MDT)


@dataclass(frozen=True)
class RowDefect:
    kind: str
    source: str
    fields: tuple[str, ...]
    rate: float


ROW_DEFECTS: tuple[RowDefect, ...] = (
    RowDefect(
        "missing_required", NSP, ("agency_code", "substance_injected", "needles_issued"), 2e-4
    ),
    RowDefect("missing_required", INT, ("agency_code", "intervention_category"), 2e-4),
    RowDefect("missing_required", EPI, ("provider_code", "substance_1", "client_la_code"), 5e-4),
    RowDefect("missing_required", TOP, ("stage",), 2e-4),
    RowDefect("missing_required", MDT, ("custody_suite",), 3e-4),
    RowDefect("unknown_code", NSP, ("substance_injected",), 2e-4),
    RowDefect("unknown_code", INT, ("main_substance",), 2e-4),
    RowDefect("unknown_code", EPI, ("referral_source", "ethnicity"), 5e-4),
    RowDefect("unknown_code", DIP, ("offence",), 1e-3),
    RowDefect("negative_count", NSP, ("needles_issued", "syringes_issued"), 1e-4),
    RowDefect("negative_count", DIP, ("daily_units",), 5e-4),
    RowDefect("impossible_date_discharge_before_referral", EPI, ("discharge_date",), 1e-3),
    RowDefect("first_intervention_before_referral", EPI, ("first_intervention_date",), 1e-3),
    *(
        RowDefect("impossible_date_birth_in_future", s, ("date_of_birth",), 1e-4)
        for s in ATTRIBUTOR_SOURCES
    ),
    *(
        RowDefect(
            "incomplete_attributor", s, ("first_initial", "surname_initial", "date_of_birth"), 3e-4
        )
        for s in ATTRIBUTOR_SOURCES
    ),
    # each source's event date (the spec's date_column) written DD/MM/YYYY
    *(
        RowDefect("uk_date_format", s, (source(s).date_column,), 1e-3)
        for s in (NSP, INT, EPI, TOP, DIP, MDT)
    ),
    RowDefect("code_case_and_spaces", NSP, ("substance_injected", "sharps_returned"), 5e-4),
    RowDefect("code_case_and_spaces", INT, ("intervention_category",), 5e-4),
    RowDefect("code_case_and_spaces", EPI, ("sex", "setting"), 5e-4),
    RowDefect("code_case_and_spaces", TOP, ("stage",), 5e-4),
    RowDefect("code_case_and_spaces", DIP, ("assessed",), 5e-4),
    RowDefect("code_case_and_spaces", MDT, ("opiates",), 5e-4),
)

_UNKNOWN = {
    "substance_injected": "heroine",
    "main_substance": "heroine",
    "referral_source": "XX",
    "ethnicity": "XX",
    "offence": "XX",
}
_NEGATIVE = {"needles_issued": "-1", "syringes_issued": "-2", "daily_units": "-1"}

#: Whole-file variants, by source and file stem.
FILE_VARIANTS: dict[str, dict[str, FileVariant]] = {
    NSP: {
        "2016-03": FileVariant(header_shuffled=True),
        **{m: FileVariant(gzip=True) for m in tl.MONTH_LABELS[-12:]},
    },
    INT: {
        "2016-11": FileVariant(encoding="utf-8-sig", newline="\r\n", uk_dates=True),
        **{m: FileVariant(gzip=True) for m in tl.MONTH_LABELS[-12:]},
    },
    EPI: {"2018-04": FileVariant(encoding="utf-8-sig")},
    TOP: {"2017-09": FileVariant(header_shuffled=True)},
    DIP: {
        **{m: FileVariant(newline="\r\n") for m in tl.MONTH_LABELS[:12]},
        "2017-01": FileVariant(encoding="utf-8-sig"),
        "2018-05": FileVariant(header_shuffled=True),
        "2019-10": FileVariant(extra_column=True),
    },
    MDT: {
        "2016-05": FileVariant(extra_column=True),
        "2018-02": FileVariant(encoding="cp1252", newline="\r\n"),
    },
    "ims_agencies": {"2016-17": FileVariant(encoding="cp1252", newline="\r\n")},
}
#: One file sent twice under another name.
DUPLICATE = (NSP, "2019-06", "2019-06 (1)")
#: An agency name with a comma and a line break, in one snapshot.
NEWLINE_NAME = ("ims_agencies", "2019-20")


def variants_for(src: SourceRows) -> dict[int, FileVariant]:
    plan = FILE_VARIANTS.get(src.name, {})
    return {i: plan[s] for i, s in enumerate(src.file_stems) if s in plan}


def file_level_entries(src: SourceRows, variants: dict[int, FileVariant]) -> list[PlantedDefect]:
    """One entry per file for every way the file's form departs from the plain one."""
    out: list[PlantedDefect] = []
    for i, v in sorted(variants.items()):
        rel = relative_path(src, i, v)
        kinds = []
        if v.encoding == "cp1252":
            kinds.append("windows_1252_file")
        if v.encoding == "utf-8-sig":
            kinds.append("utf8_bom_file")
        if v.newline == "\r\n":
            kinds.append("crlf_file")
        if v.gzip:
            kinds.append("gzip_file")
        if v.header_shuffled:
            kinds.append("header_case_and_order")
        if v.extra_column:
            kinds.append("extra_column")
        out.extend(PlantedDefect(k, src.name, rel, None, None, 1) for k in kinds)
    return out


def _code_case(value: str, rng: np.random.Generator) -> str:
    """Same code, different case or surrounding spaces (``' Heroin'``, ``'y'``)."""
    options = [
        " " + value[:1].upper() + value[1:],
        value.upper() + " " if value != value.upper() else value.lower() + " ",
        value.lower() if value != value.lower() else value.upper(),
    ]
    choice = options[int(rng.integers(len(options)))]
    return choice if choice != value else " " + value


def plan_row_defects(
    rng: np.random.Generator,
    sources: dict[str, SourceRows],
    variants: dict[str, dict[int, FileVariant]],
) -> tuple[dict[str, dict[int, dict[str, str]]], list[PlantedDefect]]:
    """Choose the cells to alter: overrides per source (row → column → text) and entries."""
    overrides: dict[str, dict[int, dict[str, str]]] = {name: {} for name in sources}
    entries: list[PlantedDefect] = []
    used: dict[str, np.ndarray] = {}
    for name, src in sources.items():
        ok = src.versions == 1
        for i, v in variants.get(name, {}).items():
            if v.uk_dates:
                ok &= src.file_of_row != i
        if name == DUPLICATE[0]:
            ok &= src.file_of_row != src.file_stems.index(DUPLICATE[1])
        used[name] = ~ok
    for d in ROW_DEFECTS:
        src = sources[d.source]
        eligible = ~used[d.source]
        eligible &= _condition(d, src)
        n_rows = len(src)
        if src.county is not None:  # the region's rows only: the county leaves them unchanged
            eligible &= ~src.county
            n_rows -= int(src.county.sum())
        pos = np.flatnonzero(eligible)
        k = min(max(1, int(round(d.rate * n_rows))), len(pos))
        rows = np.sort(rng.choice(pos, k, replace=False)) if k else np.zeros(0, np.int64)
        rows = _move_off(rows, eligible & _allowed(d, src))
        used[d.source][rows] = True
        var = variants.get(d.source, {})
        for r in rows.tolist():
            fld = d.fields[int(rng.integers(len(d.fields)))]
            value = _value(d, src, r, fld, rng)
            if value is None:
                continue
            overrides[d.source].setdefault(r, {})[fld] = value
            f = int(src.file_of_row[r])
            rel = relative_path(src, f, var.get(f, FileVariant()))
            entries.append(PlantedDefect(d.kind, d.source, rel, src.key_of(r), fld, 1, value))
    return overrides, entries


def _condition(d: RowDefect, src: SourceRows) -> np.ndarray:
    n = len(src)
    ok = np.ones(n, bool)
    if d.kind == "impossible_date_discharge_before_referral":
        ok &= src.numeric["discharge"] != tl.NO_DATE
    if d.kind == "first_intervention_before_referral":
        ok &= src.numeric["first_int"] != tl.NO_DATE
    if d.kind == "negative_count" and d.source == NSP:
        ok &= src.numeric["syringes"] >= 0  # both needle and syringe cells hold a number
    if d.kind == "negative_count" and d.source == DIP:
        ok &= src.numeric["units"] >= 0
    return ok


def _allowed(d: RowDefect, src: SourceRows) -> np.ndarray:
    """Rows a defect may sit on beyond ``_condition``. An unknown or missing substance on an IPED
    transaction can leave an IPED injector's period without an IPED visit, which the cohort rule
    counts as psychoactive: their main substance (anabolic steroids) would then stand among the
    psychoactive cohort's. So the misspelt code ("heroine") replaces heroin only, and a missing
    cell goes on a psychoactive row only."""
    ok = np.ones(len(src), bool)
    if d.kind == "unknown_code" and d.source == NSP:
        ok &= src.numeric["heroin"]
    if d.kind == "missing_required" and d.source == NSP:
        ok &= ~src.numeric["iped"]
    return ok


def _move_off(rows: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """``rows`` with each row that is not ``allowed`` moved to the next allowed row not already
    taken (wrapping round; dropped when none is left). Deterministic and drawing nothing, so the
    rest of the plan, and every other source's defects, stay as they were."""
    bad = rows[~allowed[rows]]
    if len(bad) == 0:
        return rows
    taken = np.zeros(len(allowed), bool)
    taken[rows[allowed[rows]]] = True
    free = np.flatnonzero(allowed & ~taken)
    moved: list[int] = []
    for r in bad.tolist():
        if len(free) == 0:
            break
        i = int(np.searchsorted(free, r)) % len(free)
        moved.append(int(free[i]))
        free = np.delete(free, i)
    return np.sort(np.concatenate([rows[allowed[rows]], np.array(moved, np.int64)]))


def _value(d: RowDefect, src: SourceRows, r: int, fld: str, rng: np.random.Generator) -> str | None:
    if d.kind in ("missing_required", "incomplete_attributor"):
        return ""
    if d.kind == "unknown_code":
        return _UNKNOWN[fld]
    if d.kind == "negative_count":
        return _NEGATIVE[fld]
    if d.kind == "impossible_date_discharge_before_referral":
        return tl.iso_date(int(src.numeric["referral"][r]) - int(rng.integers(1, 61)))
    if d.kind == "first_intervention_before_referral":
        return tl.iso_date(int(src.numeric["referral"][r]) - int(rng.integers(1, 31)))
    if d.kind == "impossible_date_birth_in_future":
        return tl.iso_date(tl.to_day("2030-01-01") + int(rng.integers(0, 3650)))
    if d.kind == "uk_date_format":
        assert src.event_day is not None
        return tl.uk_date(int(src.event_day[r]))
    if d.kind == "code_case_and_spaces":
        current = src.render(np.array([r]))[fld][0]
        if not current:
            return None
        return _code_case(current, rng)
    raise ValueError(f"no value rule for {d.kind}")
