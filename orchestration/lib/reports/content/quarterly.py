"""Quarterly trends (quarters and rolling twelve months) after each document's own sections."""

from __future__ import annotations

from collections.abc import Callable

from orchestration.lib.reports import charts
from orchestration.lib.reports.content.builder import (
    Builder,
    _alt_series,
    _count_point,
)
from orchestration.lib.reports.model import (
    Cell,
    Figure,
    Section,
    Table,
    change_cell,
    count_cell,
)

QUARTERLY_CODES = {
    "harm-reduction": ("nsp_clients", "nsp_visits"),
    "treatment": ("tx_in_treatment",),
    "dip": ("dip_contacts",),
}
QUARTERS_SHOWN = 8


def _rolling_label(quarter: str) -> str:
    """'2020-21 Q3' -> '12m to 2020-12', the rolling twelve months ending with the quarter."""
    start, number = int(quarter[:4]), int(quarter[-1])
    year, month = (start + 1, "03") if number == 4 else (start, ("06", "09", "12")[number - 1])
    return f"12m to {year}-{month}"


def quarterly_trends(b: Builder) -> Section:
    """The headline counts by quarter up to the page's year (the latest eight quarters the data
    cover whole), with the change on the previous quarter and the rolling twelve months."""
    data = b.data
    section = Section("quarterly", "Quarterly trend")
    for code in QUARTERLY_CODES.get(b.kind.slug, ()):
        quarters = sorted(
            {
                v.period
                for v in data.sub_year.values()
                if v.indicator_code == code
                and v.area_code == b.area
                and v.period_type == "quarter"
                and v.period[:7] <= b.period
            }
        )[-QUARTERS_SHOWN:]
        if not quarters:
            continue
        b.use(code)
        values = [data.sub_year.get((code, b.area, q, "all", "all")) for q in quarters]
        rolling = [
            data.sub_year.get((code, b.area, _rolling_label(q), "all", "all")) for q in quarters
        ]
        title = data.catalogue[code].title if code in data.catalogue else code
        points = [_count_point(v) for v in values]
        fid = b.figure_id()
        alt = _alt_series(f"{title} by quarter", b.area_name, quarters, points, "count").replace(
            "by financial year", "by quarter"
        )
        section.add(
            Figure(
                fid,
                f"{title} by quarter, {b.area_name}",
                charts.bars_over_time(fid, quarters, [(title, points)], alt),
                alt,
                Table(
                    f"{title} by quarter",
                    [
                        "Quarter",
                        "Count",
                        "Change on previous quarter",
                        "Rolling twelve months to the quarter's end",
                    ],
                    [
                        [Cell(q, "period"), count_cell(v), change_cell(v), count_cell(r)]
                        for q, v, r in zip(quarters, values, rolling, strict=True)
                    ],
                ),
                note="Quarters of the financial year (Q1 is April to June); only quarters the data cover whole are shown.",
            )
        )
    return section


def _with_quarterly(
    build: Callable[[Builder], list[Section]],
) -> Callable[[Builder], list[Section]]:
    def built(b: Builder) -> list[Section]:
        return [*build(b), quarterly_trends(b)]

    return built
