"""The report kinds and the page builder: the data for one area and year, its comparators,
figure ids, and the small helpers every document uses."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from orchestration.lib.reports import charts
from orchestration.lib.reports.charts import Point
from orchestration.lib.reports.data import ServingData, Value
from orchestration.lib.reports.model import (
    Cell,
    Figure,
    Table,
    count_cell,
    fmt_int,
    interval_cell,
    pct_cell,
    provisional_to,
)

ENGLAND = "E92000001"


@dataclass(frozen=True)
class ReportKind:
    slug: str
    title: str
    headline: str  # the indicator whose latest year is the report's default year
    description: str


REPORTS = (
    ReportKind(
        "harm-reduction",
        "Harm reduction overview",
        "nsp_clients",
        "Needle and syringe programme activity, client cohorts and brief interventions (IMS).",
    ),
    ReportKind(
        "treatment",
        "Treatment profile",
        "tx_in_treatment",
        "Structured treatment indicators with 95% intervals against the region and England, and trends.",
    ),
    ReportKind(
        "dip",
        "DIP activity profile",
        "dip_contacts",
        "Drug Interventions Programme contacts: routes, assessment funnel, demographics, drug and alcohol use, offences.",
    ),
    ReportKind(
        "needs",
        "Needs assessment",
        "bullseye_people",
        "Prevalence and unmet need, the treatment bullseye, known to treatment by cohort, drug tests and repeat testers, provider flows.",
    ),
    ReportKind(
        "compare",
        "Compare areas",
        "tx_in_treatment",
        "Every proportion published for the whole population: each local authority against the region's range (spine charts), and on the region's page every area side by side with its 95% interval.",
    ),
)
REPORT_KINDS = {r.slug: r for r in REPORTS}


class Builder:
    """Shared helpers for one page: the data, the area and its comparators, figure ids."""

    def __init__(self, data: ServingData, kind: ReportKind, area: str, period: str) -> None:
        self.data = data
        self.kind = kind
        self.area = area
        self.period = period
        self.area_name = data.area_name(area)
        self.is_region = data.areas[area].kind == "region"
        self.region = None if self.is_region else data.region_of(area)
        self.used: list[str] = []
        self._figure_no = 0
        self.periods = [p for p in data.area_periods(area) if p <= period]

    # -- data -------------------------------------------------------------------------------

    def get(
        self,
        code: str,
        area: str | None = None,
        bt: str = "all",
        b: str = "all",
        period: str | None = None,
    ) -> Value | None:
        found = self.data.get(code, area or self.area, period or self.period, bt, b)
        if found is not None:
            self.use(code)
        return found

    def rows(
        self, code: str, bt: str, area: str | None = None, period: str | None = None
    ) -> list[Value]:
        found = self.data.breakdown(code, area or self.area, period or self.period, bt)
        if found:
            self.use(code)
        return found

    def use(self, code: str) -> None:
        """The page shows ``code``: its method note and year-to-date note are on the page (an
        indicator with no rows here, e.g. drug tests in a county without DIP data, is not)."""
        if code not in self.used:
            self.used.append(code)

    def comparators(self, england: bool = False) -> list[tuple[str, str]]:
        """(label, area code) of the areas this page compares with."""
        found = []
        if self.region:
            found.append(("Region", self.region))
        if england or self.is_region:
            found.append(("England", ENGLAND))
        return found

    def comparators_with(self, code: str, england: bool = False) -> list[tuple[str, str]]:
        """The comparators that have published rows of ``code`` this year."""
        return [
            (name, a)
            for name, a in self.comparators(england)
            if self.data.has_rows(code, a, self.period)
        ]

    def figure_id(self) -> str:
        self._figure_no += 1
        return f"{self.kind.slug}-{self.area}-fig{self._figure_no}"

    def area_label(self, code: str) -> str:
        return self.data.area_name(code)

    # -- figure helpers ---------------------------------------------------------------------

    def share_figure(
        self,
        title: str,
        code: str,
        bt: str,
        *,
        keep: Callable[[Value], bool] = lambda v: True,
        dp: int = 0,
        limit: int | None = None,
        note: str = "",
        n_label: str = "Contacts",
        full_labels: bool = False,
        england: bool = False,
    ) -> Figure | None:
        """Shares of one breakdown for the area beside its region (and England with
        ``england``: bars and table); a nested breakdown is labelled 'parent: item' with
        ``full_labels``."""
        local = [v for v in self.rows(code, bt) if keep(v)]
        comparator_rows = {
            name: {v.breakdown: v for v in self.rows(code, bt, area=a)}
            for name, a in self.comparators(england)
        }
        comparator_rows = {name: rows for name, rows in comparator_rows.items() if rows}
        comparator_areas = [
            (name, a) for name, a in self.comparators(england) if name in comparator_rows
        ]
        keys = [v.breakdown for v in local]
        for rows in comparator_rows.values():
            keys += [b for b, v in rows.items() if b not in keys and keep(v)]
        if not keys:
            return None
        keys.sort(key=lambda b: self.data.sort_key(bt, b))
        if limit:
            local_by = {v.breakdown: v for v in local}
            ranked = sorted(
                keys,
                key=lambda b: (
                    -(local_by[b].value or 0)
                    if b in local_by and local_by[b].value is not None
                    else 0
                ),
            )
            keys = [b for b in keys if b in ranked[:limit]]
        local_by = {v.breakdown: v for v in local}
        label_of = self.data.label if full_labels else self.data.item_label
        labels = [label_of(bt, b) for b in keys]
        series = [(self.area_name, [_point(local_by.get(b)) for b in keys])]
        for name, a in comparator_areas:
            series.append(
                (self.area_label(a), [_point(comparator_rows[name].get(b)) for b in keys])
            )
        header = ["", n_label, "%", "95% interval"] + [
            f"{self.area_label(a)} %" for _, a in comparator_areas
        ]
        table_rows = []
        for b, label in zip(keys, labels, strict=True):
            v = local_by.get(b)
            row = [Cell(label), count_cell(v), pct_cell(v, dp), interval_cell(v, dp)]
            row += [pct_cell(rows.get(b), dp) for rows in comparator_rows.values()]
            table_rows.append(row)
        denominators = {
            v.denominator for v in local if not v.is_suppressed and v.denominator is not None
        }
        total_note = ""
        if len(denominators) == 1:
            total_note = f"n = {fmt_int(denominators.pop())}"
        fid = self.figure_id()
        alt = _alt_shares(
            title,
            self.area_name,
            self.period,
            labels,
            [series[0][1][i] for i in range(len(keys))],
            dp,
        )
        svg = charts.share_bars(fid, labels, series, alt, dp=dp)
        return Figure(
            fid,
            title,
            svg,
            alt,
            Table(title, header, table_rows, note=total_note),
            note=note,
        )


def _point(v: Value | None) -> Point:
    if v is None:
        return Point(None)
    if v.is_suppressed:
        return Point(None, suppressed=True)
    return Point(
        v.value,
        lower=v.lower_95,
        upper=v.upper_95,
        provisional=bool(v.is_provisional),
        provisional_to=provisional_to(v) if v.is_provisional else None,
    )


def _published_value(v: Value | None) -> float | None:
    return v.value if v is not None and not v.is_suppressed else None


def _count_point(v: Value | None) -> Point:
    if v is None:
        return Point(None)
    if v.is_suppressed:
        return Point(None, suppressed=True)
    return Point(v.numerator)


def _alt_shares(
    title: str, area: str, period: str, labels: Sequence[str], points: Sequence[Point], dp: int = 0
) -> str:
    parts = []
    for label, p in zip(labels, points, strict=True):
        if p.suppressed:
            parts.append(f"{label} suppressed")
        elif p.value is not None:
            parts.append(f"{label} {p.value * 100:.{dp}f}%")
    shown = "; ".join(parts[:12]) + ("; and more in the table" if len(parts) > 12 else "")
    return f"Bar chart: {title}, {area}, {period}. {shown}."


def _alt_series(
    title: str, area: str, periods: Sequence[str], points: Sequence[Point], unit: str
) -> str:
    parts = []
    for p, pt in zip(periods, points, strict=True):
        if pt.suppressed:
            parts.append(f"{p} suppressed")
        elif pt.value is not None:
            parts.append(f"{p} {pt.value:,.0f}")
    return f"Bar chart: {title}, {area}, by financial year ({unit}). " + "; ".join(parts) + "."


def _alt_value(p: Point, fmt: Callable[[float], str]) -> str:
    """A chart point in words for alt text: 'suppressed', its value as ``fmt`` writes it, or
    'no data'."""
    if p.suppressed:
        return "suppressed"
    return fmt(p.value) if p.value is not None else "no data"


def _and(parts: Sequence[Markup]) -> Markup:
    """'a, b and c' of already-safe pieces."""
    if len(parts) <= 1:
        return Markup("").join(parts)
    return Markup(", ").join(parts[:-1]) + Markup(" and ") + parts[-1]


def _when(period: str) -> str:
    start = int(period[:4])
    return f"Between April {start} and March {start + 1}"


def _age_key(band: str) -> tuple:
    if band.startswith("under"):
        return (0, band)
    if band == "unknown":
        return (999, band)
    digits = "".join(ch for ch in band.split("-")[0] if ch.isdigit())
    return (int(digits) if digits else 500, band)


def _shown(v: Value | None) -> bool:
    """A value a sentence may quote: published, not suppressed."""
    return v is not None and not v.is_suppressed and v.value is not None
