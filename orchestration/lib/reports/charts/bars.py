"""Bar charts of counts and shares: over time, one breakdown against comparators, grouped
and in panels."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from orchestration.lib.reports.charts.base import (
    ENGLAND,
    LOCAL,
    REGION,
    SERIES,
    Point,
    _count_axis,
    _count_label,
    _figure,
    _label_width,
    _lines,
    _pct_axis,
    _place,
    _styled,
    _svg,
    _top_legend,
    _withheld,
    _wrap,
)


@_styled
def bars_over_time(
    chart_id: str,
    periods: Sequence[str],
    series: Sequence[tuple[str, Sequence[Point]]],
    alt: str,
    kind: str = "count",
    stacked: bool = False,
    height: float = 2.8,
) -> Markup:
    """Bars per year (grouped or stacked by series), counts labelled on single-series charts."""
    fig = _figure(7.2, height)
    ax = fig.add_subplot()
    n = len(series)
    width = 0.8 / (1 if stacked else max(n, 1))
    top = 0.0
    bottoms = [0.0] * len(periods)
    labelled: set[str] = set()
    withheld_at: dict[int, int] = {}  # stacked: position -> first withheld series
    for s, (name, points) in enumerate(series):
        colour = SERIES[s % len(SERIES)]
        for i, p in enumerate(points):
            x = i if stacked else i - 0.4 + width * (s + 0.5)
            if p.suppressed:
                if stacked:
                    withheld_at.setdefault(i, s)
                else:
                    _withheld(ax, f"{chart_id}-suppressed-{s}-{i}", x, horizontal=False)
                continue
            if p.value is None:
                continue
            ax.bar(
                x,
                p.value,
                width=width * 0.92,
                bottom=bottoms[i] if stacked else 0,
                color=colour,
                label=None if name in labelled else name,
            )
            labelled.add(name)
            if stacked:
                bottoms[i] += p.value
                top = max(top, bottoms[i])
            else:
                top = max(top, p.value)
                if n == 1 and kind == "count":
                    _count_label(
                        ax,
                        x,
                        p.value,
                        p.value,
                        f"{chart_id}-count-{s}-{i}",
                        ha="center",
                        va="bottom",
                    )
    for i, s in withheld_at.items():
        _withheld(
            ax,
            f"{chart_id}-suppressed-{s}-{i}",
            i,
            horizontal=False,
            above=bottoms[i] + (top or 1) * 0.03,
        )
    if withheld_at:
        top = max(top, max(bottoms)) * 1.12
    ax.set_xticks(range(len(periods)), [p for p in periods], rotation=0)
    ax.tick_params(axis="x", labelsize=8)
    top = top or 1
    if kind == "count":
        ax.set_ylim(0, top * 1.15)
        _count_axis(ax.yaxis, top * 1.15)
    else:
        ax.set_ylim(0, min(1.0, top * 1.2) or 1)
        _pct_axis(ax.yaxis)
    rows = 0
    if n > 1:
        from matplotlib.patches import Patch

        rows = _top_legend(
            ax,
            [
                Patch(color=SERIES[k % len(SERIES)], label=name)
                for k, (name, _) in enumerate(series)
            ],
        )
    ax.grid(axis="y", color="#e0e0e0", linewidth=0.6)
    ax.set_axisbelow(True)
    _place(fig, left=0.25 + _label_width([f"{top * 1.15:,.0f}"]), legend_rows=rows)
    return _svg(fig, chart_id, alt)


@_styled
def share_bars(
    chart_id: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[Point]]],
    alt: str,
    dp: int = 0,
) -> Markup:
    """Horizontal bars of shares (0-1) per category: the area first, comparators beside it."""
    rows = len(categories)
    n = len(series)
    fig = _figure(7.2, max(1.4, 0.28 * rows * max(n, 1) + 0.7))
    ax = fig.add_subplot()
    height = 0.8 / max(n, 1)
    top = 0.0
    for s, (name, points) in enumerate(series):
        colour = [LOCAL, REGION, ENGLAND, *SERIES[1:]][s % 6]
        for i, p in enumerate(points):
            y = i - 0.4 + height * (s + 0.5)
            if p.suppressed:
                _withheld(ax, f"{chart_id}-suppressed-{s}-{i}", y)
                continue
            if p.value is None:
                continue
            ax.barh(y, p.value, height=height * 0.9, color=colour, label=name if i == 0 else None)
            top = max(top, p.value)
            if s == 0:
                ax.text(p.value + 0.005, y, f"{p.value * 100:.{dp}f}%", va="center", fontsize=8)
    ax.set_yticks(range(rows), [_wrap(c) for c in categories])
    ax.invert_yaxis()
    ax.set_xlim(0, min(1.0, max(top, 0.05) * 1.2))
    _pct_axis(ax.xaxis)
    legend_rows = 0
    if n > 1:
        # a legend entry per series even when its first bar is withheld
        from matplotlib.patches import Patch

        legend_rows = _top_legend(
            ax,
            [
                Patch(color=[LOCAL, REGION, ENGLAND, *SERIES[1:]][s % 6], label=name)
                for s, (name, _) in enumerate(series)
            ],
        )
    ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
    ax.set_axisbelow(True)
    _place(
        fig,
        left=0.2 + _label_width(_wrap(c) for c in categories),
        right=0.45,
        legend_rows=legend_rows,
    )
    return _svg(fig, chart_id, alt)


@_styled
def grouped_shares(
    chart_id: str,
    categories: Sequence[str],
    groups: Sequence[tuple[str, Sequence[Point]]],
    alt: str,
) -> Markup:
    """Vertical bars of shares per category, one bar per group (e.g. male and female)."""
    fig = _figure(7.2, 2.6)
    ax = fig.add_subplot()
    n = max(len(groups), 1)
    width = 0.8 / n
    top = 0.0
    for g, (name, points) in enumerate(groups):
        colour = SERIES[g % len(SERIES)]
        for i, p in enumerate(points):
            x = i - 0.4 + width * (g + 0.5)
            if p.suppressed:
                _withheld(ax, f"{chart_id}-suppressed-{g}-{i}", x, horizontal=False)
                continue
            if p.value is None:
                continue
            ax.bar(x, p.value, width=width * 0.9, color=colour, label=name if i == 0 else None)
            if n <= 2 and len(categories) <= 9:
                ax.text(x, p.value, f"{p.value * 100:.0f}%", ha="center", va="bottom", fontsize=7)
            top = max(top, p.value)
    ax.set_xticks(range(len(categories)), [_wrap(c, 16) for c in categories])
    ax.tick_params(axis="x", labelsize=8)
    ax.set_ylim(0, min(1.0, max(top, 0.05) * 1.25))
    _pct_axis(ax.yaxis)
    from matplotlib.patches import Patch

    rows = _top_legend(
        ax, [Patch(color=SERIES[g % len(SERIES)], label=name) for g, (name, _) in enumerate(groups)]
    )
    ax.grid(axis="y", color="#e0e0e0", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_xlim(-0.6, len(categories) - 0.4)
    _place(
        fig,
        left=0.55,
        right=0.45,
        bottom=0.2 + 0.15 * _lines(_wrap(c, 16) for c in categories),
        legend_rows=rows,
    )
    return _svg(fig, chart_id, alt)


@_styled
def share_panels(
    chart_id: str,
    panels: Sequence[tuple[str, Sequence[str], Sequence[Point]]],
    alt: str,
    dp: int = 0,
) -> Markup:
    """One horizontal bar panel of shares per group (e.g. each cohort's substances)."""
    heights = [max(len(labels), 1) for _, labels, _ in panels]
    fig = _figure(7.2, 0.26 * sum(heights) + 0.45 * len(panels) + 0.3)
    axes = fig.subplots(
        len(panels), 1, squeeze=False, sharex=True, gridspec_kw={"height_ratios": heights}
    )
    top = max((p.value or 0 for _, _, pts in panels for p in pts), default=0)
    for j, (ax, (title, labels, points)) in enumerate(
        zip((a[0] for a in axes), panels, strict=True)
    ):
        ax.set_title(_wrap(title, 90), fontsize=8.5)
        for i, p in enumerate(points):
            if p.suppressed:
                _withheld(ax, f"{chart_id}-suppressed-{j}-{i}", i)
                continue
            if p.value is None:
                continue
            ax.barh(i, p.value, height=0.7, color=LOCAL)
            ax.text(p.value + 0.005, i, f"{p.value * 100:.{dp}f}%", va="center", fontsize=8)
        ax.set_yticks(range(len(labels)), [_wrap(lab) for lab in labels])
        ax.set_ylim(len(labels) - 0.5, -0.5)
        ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
        ax.set_axisbelow(True)
    axes[-1][0].set_xlim(0, min(1.0, max(top, 0.05) * 1.2))
    _pct_axis(axes[-1][0].xaxis)
    labels = [_wrap(lab) for _, labs, _ in panels for lab in labs]
    _place(
        fig,
        left=0.2 + _label_width(labels),
        top=0.25,
        right=0.45,
        hspace=0.45 * len(panels) / max(sum(heights), 1) * 2,
    )
    return _svg(fig, chart_id, alt)
