"""The long data download: every published indicator row, one row per value, in the shape of
OHID Fingertips' "data download" (indicator, area, sex, age, category, time period, value, 95%
limits, count, denominator, value note, recent trend, compared to England / region).

Written with each publish into the export folder, beside the Parquet tables, as
``indicator_data_long.csv`` (text cells neutralised against spreadsheet formulas,
:mod:`orchestration.lib.csv_safe`) and ``indicator_data_long.parquet``, with its column
dictionary ``indicator_data_long_columns.csv``. Everything is read from the published serving
file: the download holds exactly what was published, suppressed rows included (value empty).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb

from orchestration.lib.csv_safe import write_csv
from orchestration.lib.indicator_words import COMPARISON_WORDS, TREND_WORDS

CSV_NAME = "indicator_data_long.csv"
PARQUET_NAME = "indicator_data_long.parquet"
DICTIONARY_NAME = "indicator_data_long_columns.csv"

#: (column, type, meaning): the column dictionary, in file order.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("indicator_id", "text", "Indicator code (rpt_indicator_catalogue.indicator_code)."),
    ("indicator_name", "text", "Indicator title, in full."),
    ("area_code", "text", "ONS code of the area."),
    ("area_name", "text", "Name of the area."),
    ("area_type", "text", "Local authority, Region or England."),
    ("sex", "text", "Persons, Male, Female or Not known."),
    ("age", "text", "All ages, or the age band of the row."),
    ("category_type", "text", "The breakdown other than sex and age (empty for none)."),
    ("category", "text", "The breakdown's value, in words (empty for none)."),
    ("time_period", "text", "Financial year (2020-21), quarter (2020-21 Q3) or rolling year."),
    ("time_period_sortable", "integer", "yyyyq000: sorts periods in time order (q 0 for a year)."),
    ("period_type", "text", "year, ytd (year to date), quarter or rolling_12m."),
    ("value", "number", "The published value (empty when suppressed); unit in 'unit'."),
    ("lower_ci95_limit", "number", "Lower 95% confidence limit."),
    ("upper_ci95_limit", "number", "Upper 95% confidence limit."),
    ("count", "number", "Numerator (empty when suppressed)."),
    ("denominator", "number", "Denominator (empty when suppressed or none)."),
    ("unit", "text", "proportion (0-1), rate or count."),
    ("value_note", "text", "Suppressed, provisional or year-to-date notes."),
    ("recent_trend", "text", "Chi-squared test for trend over the latest five points."),
    ("compared_to_england", "text", "Better, Similar, Worse, Higher, Lower or Not compared."),
    ("compared_to_region", "text", "As compared_to_england, against the area's region."),
    ("comparator_value", "number", "The England or region value compared with."),
)

AREA_TYPES = {"la": "Local authority", "region": "Region", "country": "England"}
#: The download's words for comparisons and trends (the reports write "*" and "Too few years").
WORDS = {
    **COMPARISON_WORDS,
    "suppressed": "Suppressed",
    **TREND_WORDS,
    "insufficient_data": "Insufficient data",
    "not_applicable": "Not applicable",
}
AGE_TYPES = ("age_band",)


def _breakdown_parts(
    bt: str, b: str, labels: dict[tuple[str, str], tuple[str, str | None, str]]
) -> tuple[str, str, str, str]:
    """(sex, age, category type, category) of one breakdown, in words."""
    label, parent_label, item_label = labels.get((bt, b), (b, None, b.split("|")[-1]))
    if bt == "all":
        return "Persons", "All ages", "", ""
    if bt == "sex":
        return label, "All ages", "", ""
    if bt in AGE_TYPES:
        return "Persons", label, "", ""
    if bt.startswith("sex_") and "|" in b:
        sex = parent_label or b.split("|")[0]
        if bt == "sex_age_band":
            return sex, item_label, "", ""
        return sex, "All ages", bt.removeprefix("sex_").replace("_", " "), item_label
    if bt == "cohort_age_band" and "|" in b:
        return "Persons", item_label, "cohort", parent_label or b.split("|")[0]
    return "Persons", "All ages", bt.replace("_", " "), label


def _sortable(period: str) -> int:
    """2020-21 -> 20200000; 2020-21 Q3 -> 20203000; 12m to 2021-03 -> 20210300."""
    m = re.fullmatch(r"(\d{4})-\d{2}(?: Q(\d))?", period)
    if m:
        return int(m.group(1)) * 10000 + int(m.group(2) or 0) * 1000
    m = re.fullmatch(r"12m to (\d{4})-(\d{2})", period)
    if m:
        return int(m.group(1)) * 10000 + int(m.group(2)) * 100
    return 0


def long_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """Every row of rpt_indicator_values as a long-download row (COLUMNS order)."""
    labels = {
        (bt, b): (label, parent, item)
        for bt, b, label, parent, item in con.execute(
            "select breakdown_type, breakdown, label, parent_label, item_label "
            "from rpt_breakdown_labels"
        ).fetchall()
    }
    titles = dict(
        con.execute("select indicator_code, title from rpt_indicator_catalogue").fetchall()
    )
    area_types = dict(
        con.execute("select distinct area_code, area_type from rpt_indicator_values").fetchall()
    )
    out = []
    for r in con.execute(
        "select indicator_code, area_code, area_name, area_type, breakdown_type, breakdown, "
        "period, period_type, value, lower_95, upper_95, numerator, denominator, unit, "
        "is_suppressed, suppression, is_provisional, cast(data_to as varchar), trend, "
        "comparison, comparator_area_code, comparator_value "
        "from rpt_indicator_values "
        "order by indicator_code, area_type desc, area_code, breakdown_type, breakdown, period"
    ).fetchall():
        (
            code,
            area,
            area_name,
            area_type,
            bt,
            b,
            period,
            period_type,
            value,
            lower,
            upper,
            count,
            denominator,
            unit,
            suppressed,
            suppression,
            provisional,
            data_to,
            trend,
            comparison,
            comparator,
            comparator_value,
        ) = r
        sex, age, category_type, category = _breakdown_parts(bt, b, labels)
        notes = []
        if suppressed:
            notes.append(
                f"Suppressed to protect confidentiality ({suppression or 'disclosure control'})"
            )
        if period_type == "ytd":
            notes.append(f"Year to date: data to {data_to}")
        if provisional:
            notes.append(f"Provisional to {data_to}: not compared until final")
        # a provisional value is never judged better or worse (as on the pages)
        judged = (
            "Not compared (provisional)"
            if provisional and not suppressed
            else WORDS.get(comparison, comparison or "")
        )
        comparator_type = area_types.get(comparator)
        out.append(
            (
                code,
                titles.get(code, code),
                area,
                area_name,
                AREA_TYPES.get(area_type, area_type),
                sex,
                age,
                category_type,
                category,
                period,
                _sortable(period),
                period_type,
                value,
                lower,
                upper,
                count,
                denominator,
                unit,
                "; ".join(notes),
                WORDS.get(trend, trend or ""),
                judged if comparator_type == "country" else "",
                judged if comparator_type == "region" else "",
                comparator_value,
            )
        )
    return out


def write_long_download(serving_file: Path, folder: Path) -> int:
    """Write the CSV, the Parquet file and the column dictionary into ``folder``; returns the
    rows written (each file is checked to hold them)."""
    names = [c[0] for c in COLUMNS]
    con = duckdb.connect(str(serving_file), read_only=True)
    try:
        rows = long_rows(con)
    finally:
        con.close()
    csv_path = folder / CSV_NAME
    with csv_path.open("w", encoding="utf-8", newline="") as f:
        write_csv(f, names, rows)
    with (folder / DICTIONARY_NAME).open("w", encoding="utf-8", newline="") as f:
        write_csv(f, ["column", "type", "meaning"], COLUMNS)
    # the Parquet file is typed from a raw (not neutralised) copy of the same rows
    raw = folder / f".{CSV_NAME}.raw"
    with raw.open("w", encoding="utf-8", newline="") as f:
        write_csv(f, names, rows, raw=True)
    types = {"text": "varchar", "integer": "bigint", "number": "double"}
    columns = "{" + ", ".join(f"'{n}': '{types[t]}'" for n, t, _ in COLUMNS) + "}"
    mem = duckdb.connect()
    try:
        source = str(raw).replace("'", "''")
        target = str(folder / PARQUET_NAME).replace("'", "''")
        mem.execute(
            f"copy (select * from read_csv('{source}', header = true, columns = {columns}, "
            "quote = '\"', escape = '\"')) "
            f"to '{target}' (format parquet, compression zstd)"
        )
        written = mem.execute(f"select count(*) from read_parquet('{target}')").fetchone()
    finally:
        mem.close()
        raw.unlink(missing_ok=True)
    if written is None or written[0] != len(rows):
        raise RuntimeError(
            f"{folder / PARQUET_NAME} holds {written} rows, {len(rows)} were published"
        )
    for name in (CSV_NAME, PARQUET_NAME, DICTIONARY_NAME):
        (folder / name).chmod(0o444)
    return len(rows)
