"""Indicator figures and tables shared by the treatment documents: proportions with their 95%
intervals against the region and England, counts over five years, items by substance group."""

from __future__ import annotations

from collections.abc import Sequence

from orchestration.lib.reports import charts
from orchestration.lib.reports.content.builder import (
    ENGLAND,
    Builder,
    _alt_value,
    _point,
    _published_value,
)
from orchestration.lib.reports.data import Value
from orchestration.lib.reports.model import (
    Cell,
    Figure,
    Table,
    change_cell,
    comparison_cell,
    count_cell,
    interval_cell,
    pct_cell,
    trend_cell,
)

TREATMENT_GROUPS = ("opiate", "non_opiate", "non_opiate_alcohol")

TREATMENT_PROPORTIONS = (
    "tx_effective_engagement",
    "tx_successful_completion",
    "tx_non_representation",
    "tx_wait_under_3w",
    "tx_wait_over_6w",
    "tx_early_unplanned_exit",
    "tx_penetration",
)


# -- the support pack's sections ---------------------------------------------------------------

#: One row of a support-pack table: (indicator code, breakdown type, breakdown, label; None for
#: the catalogue title).
Item = tuple[str, str, str, str | None]

INTERVAL_NOTE = (
    "Dots are the area's value and lines its 95% interval; green is significantly better than the "
    "benchmark (England where benchmarked, else the region), red significantly worse, amber similar; "
    "blue and purple are significantly higher and lower where higher is neither better nor worse; "
    "teal has no benchmark. \u2020 provisional: the outcome's follow-up has not yet passed."
)


def _marked(label: str, v: Value | None) -> str:
    """A chart label with the provisional dagger (labels wrap, never cut short)."""
    if v is not None and v.is_provisional:
        return label + " \u2020"
    return label


def _headlines(*codes: str) -> list[Item]:
    """Each indicator's value for everyone (no breakdown), labelled with its catalogue title."""
    return [(code, "all", "all", None) for code in codes]


def _indicator_figure(
    b: Builder,
    title: str,
    items: Sequence[Item],
    note: str = INTERVAL_NOTE,
    *,
    shared_scale: bool = False,
) -> Figure | None:
    """Proportions with their 95% intervals against the region and England: the chart and a
    table of numerator, denominator, value, interval, comparators, comparison and trend.
    ``shared_scale``: the items are one indicator's breakdowns, drawn on one scale."""
    comparators = b.comparators(england=True)
    chart_rows = []
    table_rows = []
    for code, bt, br, label in items:
        if code not in b.data.catalogue:
            continue
        v = b.get(code, bt=bt, b=br)
        if v is None:
            continue
        label = label or b.data.catalogue[code].title
        comp = {name: _published_value(b.get(code, area=a, bt=bt, b=br)) for name, a in comparators}
        chart_rows.append((_marked(label, v), _point(v), v.comparison, comp))
        table_rows.append(
            [
                Cell(label),
                count_cell(v),
                count_cell(v, "denominator"),
                pct_cell(v, 1),
                interval_cell(v, 1),
                *[pct_cell(b.get(code, area=a, bt=bt, b=br), 1) for _, a in comparators],
                comparison_cell(v),
                trend_cell(v),
            ]
        )
    if not chart_rows:
        return None
    fid = b.figure_id()
    alt = (
        f"Chart: {title}, each value with its 95% interval, coloured by comparison with its benchmark. "
        + "; ".join(
            f"{lab}: "
            + _alt_value(p, lambda x, c=c: f"{x * 100:.0f}% ({(c or '').replace('_', ' ')})")
            for lab, p, c, _ in chart_rows
        )
        + "."
    )
    return Figure(
        fid,
        title,
        charts.intervals(fid, chart_rows, alt, shared_scale=shared_scale),
        alt,
        Table(
            title,
            ["Indicator", "Numerator", "Denominator", "Value", "95% interval"]
            + [b.area_label(a) for _, a in comparators]
            + ["Compared with benchmark", "Five-year trend"],
            table_rows,
        ),
        note=note,
    )


def _count_table(b: Builder, title: str, items: Sequence[Item]) -> Table | None:
    """Counts over the latest five years, the change on the previous year and England's count."""
    periods = b.periods[-5:]
    table_rows = []
    for code, bt, br, label in items:
        if code not in b.data.catalogue:
            continue
        if all(b.get(code, bt=bt, b=br, period=p) is None for p in periods):
            continue
        table_rows.append(
            [
                Cell(label or b.data.catalogue[code].title),
                *[count_cell(b.get(code, bt=bt, b=br, period=p)) for p in periods],
                change_cell(b.get(code, bt=bt, b=br)),
                count_cell(b.get(code, area=ENGLAND, bt=bt, b=br)),
            ]
        )
    if not table_rows:
        return None
    return Table(title, ["", *periods, "Change on previous year", "England"], table_rows)


def _by_group(
    b: Builder, code: str, short: str = "", groups: Sequence[str] = TREATMENT_GROUPS
) -> list[Item]:
    """The indicator for drug treatment and by substance group, labelled '<short>: <group>'
    when the rows share a chart with other indicators."""
    prefix = f"{short}: " if short else ""
    return [
        (code, "all", "all", f"{prefix}all drug treatment" if short else "All drug treatment")
    ] + [
        (
            code,
            "substance_group",
            g,
            prefix + b.data.item_label("substance_group", g).lower()
            if short
            else b.data.item_label("substance_group", g),
        )
        for g in groups
    ]


def _labelled(b: Builder, items: Sequence[Item]) -> list[Item]:
    """Items whose missing label is the breakdown's label (the catalogue title for 'all')."""
    return [
        (code, bt, br, label or (None if bt == "all" else b.data.item_label(bt, br)))
        for code, bt, br, label in items
    ]
