"""What the reports read: the published serving database, and nothing else.

The serving tables hold only suppressed aggregates (``rpt_*``), so everything a report shows has
been through disclosure control. The connection is read-only: a report can never change what
was published, and a publish in progress cannot be half-read (it swaps in a whole file).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

VALUE_COLUMNS = (
    "indicator_code",
    "period",
    "area_code",
    "area_name",
    "area_type",
    "breakdown_type",
    "breakdown",
    "numerator",
    "denominator",
    "value",
    "lower_95",
    "upper_95",
    "unit",
    "polarity",
    "comparator_area_code",
    "comparator_value",
    "comparison",
    "change_absolute",
    "change_relative",
    "trend",
    "is_provisional",
    "is_suppressed",
    "suppression",
    "disclosure_policy",
)

CATALOGUE_COLUMNS = (
    "indicator_code",
    "title",
    "definition",
    "numerator_text",
    "denominator_text",
    "unit",
    "multiplier",
    "polarity",
    "method",
    "source",
    "follow_up_days",
    "breakdown_types",
    "comparator",
    "first_period",
    "latest_period",
)

LABEL_COLUMNS = (
    "breakdown_type",
    "breakdown",
    "label",
    "parent_code",
    "parent_label",
    "parent_sort_order",
    "item_code",
    "item_label",
    "item_sort_order",
)


class ServingDataError(RuntimeError):
    """The serving database is missing or lacks a table the reports need."""


@dataclass(frozen=True)
class Value:
    """One published indicator row (rpt_indicator_values)."""

    indicator_code: str
    period: str
    area_code: str
    area_name: str
    area_type: str
    breakdown_type: str
    breakdown: str
    numerator: float | None
    denominator: float | None
    value: float | None
    lower_95: float | None
    upper_95: float | None
    unit: str
    polarity: str
    comparator_area_code: str | None
    comparator_value: float | None
    comparison: str
    change_absolute: float | None
    change_relative: float | None
    trend: str
    is_provisional: bool
    is_suppressed: bool
    suppression: str | None
    disclosure_policy: str
    period_type: str = "year"  # year, ytd (a year not yet covered to its end), quarter, rolling_12m
    data_to: str | None = None  # the last date the row covers (ISO)


#: Columns added with the sub-year periods; a serving database published before them has none.
PERIOD_COLUMNS = ("period_type", "cast(data_to as varchar) as data_to")

#: Period types the year-by-year pages read; quarters and rolling twelve months are kept apart.
YEAR_TYPES = ("year", "ytd")


@dataclass(frozen=True)
class Indicator:
    """One catalogue entry (rpt_indicator_catalogue)."""

    indicator_code: str
    title: str
    definition: str
    numerator_text: str | None
    denominator_text: str | None
    unit: str
    multiplier: float
    polarity: str
    method: str
    source: str
    follow_up_days: int
    breakdown_types: str
    comparator: str
    first_period: str | None
    latest_period: str | None


@dataclass(frozen=True)
class Label:
    """Words and order for one breakdown value (rpt_breakdown_labels)."""

    breakdown_type: str
    breakdown: str
    label: str
    parent_code: str | None
    parent_label: str | None
    parent_sort_order: int | None
    item_code: str
    item_label: str
    item_sort_order: int | None


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    kind: str  # la, region, country


@dataclass
class ServingData:
    """The published tables, indexed for page building."""

    values: dict[tuple[str, str, str, str, str], Value]
    catalogue: dict[str, Indicator]
    labels: dict[tuple[str, str], Label]
    areas: dict[str, Area]
    periods: list[str]
    #: quarter and rolling twelve-month rows, keyed like ``values``
    sub_year: dict[tuple[str, str, str, str, str], Value] = field(default_factory=dict)
    run_id: str | None = None
    published_at: str | None = None
    disclosure_policy: str = "under5"
    _by_slice: dict[tuple[str, str, str], list[Value]] = field(default_factory=dict, repr=False)
    _ytd: dict[tuple[str, str], str | None] = field(default_factory=dict, repr=False)
    _area_periods: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        by_slice: dict[tuple[str, str, str], list[Value]] = defaultdict(list)
        area_periods: dict[str, set[str]] = defaultdict(set)
        for v in self.values.values():
            by_slice[(v.indicator_code, v.area_code, v.period)].append(v)
            area_periods[v.area_code].add(v.period)
            if v.period_type == "ytd":
                self._ytd[(v.indicator_code, v.period)] = v.data_to
        self._by_slice = dict(by_slice)
        self._area_periods = {a: sorted(ps) for a, ps in area_periods.items()}

    def area_periods(self, area: str) -> list[str]:
        """The periods an area has published rows for, oldest first (an area in the data for
        years of its own, Salford 2006-07 and 2007-08, has only those; the others none of
        them)."""
        return self._area_periods.get(area, [])

    # -- lookups ----------------------------------------------------------------------------

    def get(
        self, code: str, area: str, period: str, breakdown_type: str = "all", breakdown: str = "all"
    ) -> Value | None:
        return self.values.get((code, area, period, breakdown_type, breakdown))

    def series(
        self, code: str, area: str, breakdown_type: str = "all", breakdown: str = "all"
    ) -> list[tuple[str, Value | None]]:
        """Every period the area is published for, oldest first, with the row (or None where
        there is none)."""
        return [
            (p, self.get(code, area, p, breakdown_type, breakdown)) for p in self.area_periods(area)
        ]

    def breakdown(self, code: str, area: str, period: str, breakdown_type: str) -> list[Value]:
        """The rows of one breakdown, in display order."""
        rows = [
            v
            for v in self._by_slice.get((code, area, period), [])
            if v.breakdown_type == breakdown_type
        ]
        return sorted(rows, key=lambda v: self.sort_key(v.breakdown_type, v.breakdown))

    def has_rows(self, code: str, area: str, period: str) -> bool:
        return (code, area, period) in self._by_slice

    def has_period(self, code: str, period: str) -> bool:
        return any(k[0] == code and k[2] == period for k in self._by_slice)

    def latest_period(self, code: str) -> str | None:
        found = [p for (c, _, p) in self._by_slice if c == code]
        return max(found) if found else None

    # -- labels -----------------------------------------------------------------------------

    def label(self, breakdown_type: str, breakdown: str) -> str:
        found = self.labels.get((breakdown_type, breakdown))
        return found.label if found else breakdown.replace("_", " ")

    def item_label(self, breakdown_type: str, breakdown: str) -> str:
        found = self.labels.get((breakdown_type, breakdown))
        if found:
            return found.item_label
        return breakdown.split("|")[-1].replace("_", " ")

    def parent_label(self, breakdown_type: str, breakdown: str) -> str:
        found = self.labels.get((breakdown_type, breakdown))
        if found and found.parent_label:
            return found.parent_label
        return breakdown.split("|")[0].replace("_", " ")

    def sort_key(self, breakdown_type: str, breakdown: str) -> tuple:
        found = self.labels.get((breakdown_type, breakdown))
        if not found:
            return (500, 500, breakdown)
        return (
            found.parent_sort_order if found.parent_sort_order is not None else 0,
            found.item_sort_order if found.item_sort_order is not None else 50,
            found.item_code,
        )

    def year_to_date(self, code: str, period: str) -> str | None:
        """The last date covered when ``period`` of ``code`` is a year to date, else None."""
        return self._ytd.get((code, period))

    def area_name(self, code: str) -> str:
        area = self.areas.get(code)
        return area.name if area else code

    def report_areas(self) -> list[Area]:
        """The areas reports are written for: each local authority (by name), then the region."""
        las = sorted((a for a in self.areas.values() if a.kind == "la"), key=lambda a: a.name)
        regions = sorted(
            (a for a in self.areas.values() if a.kind == "region"), key=lambda a: a.name
        )
        return [*las, *regions]

    def region_of(self, area_code: str) -> str | None:
        """The region an area is compared with (its rows' comparator for region-compared indicators)."""
        for v in self._by_slice_values(area_code):
            if (
                v.comparator_area_code
                and self.areas.get(v.comparator_area_code, Area("", "", "")).kind == "region"
            ):
                return v.comparator_area_code
        return None

    def _by_slice_values(self, area_code: str) -> Iterable[Value]:
        for (_, area, _), rows in self._by_slice.items():
            if area == area_code:
                yield from rows


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def load_serving(serving_db: Path) -> ServingData:
    """Read the published tables the reports need from ``serving_db`` (read-only)."""
    serving_db = Path(serving_db)
    if not serving_db.exists():
        raise ServingDataError(
            f"{serving_db} does not exist: run `smw build` first (reports read the published serving database only)"
        )
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        tables = {r[0] for r in _rows(con, "select table_name from information_schema.tables")}
        needed = {"rpt_indicator_values", "rpt_indicator_catalogue", "rpt_breakdown_labels"}
        missing = sorted(needed - tables)
        if missing:
            raise ServingDataError(
                f"{serving_db} has no table {', '.join(missing)}: it was published by an older build; run `smw build`"
            )
        columns = {
            r[0]
            for r in _rows(
                con,
                "select column_name from information_schema.columns where table_name = 'rpt_indicator_values'",
            )
        }
        extra = PERIOD_COLUMNS if "period_type" in columns else ()
        values: dict[tuple[str, str, str, str, str], Value] = {}
        sub_year: dict[tuple[str, str, str, str, str], Value] = {}
        for r in _rows(
            con, f"select {', '.join((*VALUE_COLUMNS, *extra))} from rpt_indicator_values"
        ):
            v = Value(*r)
            key = (v.indicator_code, v.area_code, v.period, v.breakdown_type, v.breakdown)
            (values if v.period_type in YEAR_TYPES else sub_year)[key] = v
        catalogue = {
            r[0]: Indicator(*r)
            for r in _rows(
                con, f"select {', '.join(CATALOGUE_COLUMNS)} from rpt_indicator_catalogue"
            )
        }
        labels = {
            (r[0], r[1]): Label(*r)
            for r in _rows(con, f"select {', '.join(LABEL_COLUMNS)} from rpt_breakdown_labels")
        }
        run_id = published_at = None
        if "_publication" in tables:
            pub = _rows(
                con, "select max(run_id), cast(max(published_at) as varchar) from _publication"
            )
            if pub:
                run_id, published_at = pub[0]
    finally:
        con.close()
    areas = {v.area_code: Area(v.area_code, v.area_name, v.area_type) for v in values.values()}
    periods = sorted({v.period for v in values.values()})
    policies = {v.disclosure_policy for v in values.values()}
    return ServingData(
        values=values,
        catalogue=catalogue,
        labels=labels,
        areas=areas,
        periods=periods,
        sub_year=sub_year,
        run_id=run_id,
        published_at=(published_at or "")[:16] or None,
        disclosure_policy=", ".join(sorted(policies)) or "under5",
    )
