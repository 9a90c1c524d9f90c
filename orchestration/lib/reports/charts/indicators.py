"""Indicators with their 95% intervals: against comparators, and over time in panels."""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup

from orchestration.lib.reports.charts.base import (
    COMPARISON_COLOURS,
    ENGLAND,
    LOCAL,
    NEUTRAL,
    REGION,
    SERIES,
    Point,
    _figure,
    _label_width,
    _pct_decimals,
    _pct_scale,
    _place,
    _provisional_handle,
    _styled,
    _svg,
    _top_legend,
    _value_range,
    _withheld,
    _wrap,
)


@_styled
def intervals(
    chart_id: str,
    rows: Sequence[tuple[str, Point, str, dict[str, float | None]]],
    alt: str,
    *,
    shared_scale: bool = False,
) -> Markup:
    """Each indicator's value with its 95% interval, coloured by comparison, with the
    comparators as markers (the support pack's local vs England view). Each indicator has its
    own row and its own scale, except with ``shared_scale`` (the rows are one indicator's
    breakdowns: on separate scales a 7% and a 37% would look alike and their intervals the same
    width); provisional values are grey and say until when, suppressed ones are a neutral
    labelled marker."""
    labels = [_wrap(r[0], 46) for r in rows]
    heights = [0.42 + 0.14 * (lab.count("\n")) for lab in labels]
    fig = _figure(7.2, max(1.2, sum(heights) + 0.25 * len(rows) + 0.5))
    axes = fig.subplots(len(rows), 1, squeeze=False, gridspec_kw={"height_ratios": heights or [1]})
    markers = {"Region": ("|", REGION), "England": ("D", ENGLAND)}
    seen: set[str] = set()
    comparator_handles = []

    def row_values(p: Point, comparators: dict[str, float | None]) -> list[float | None]:
        return [*([p.value, p.lower, p.upper] if not p.suppressed else []), *comparators.values()]

    everything = [v for _, p, _, comps in rows for v in row_values(p, comps)]
    for i, ((_, p, comparison, comparators), label) in enumerate(zip(rows, labels, strict=True)):
        ax = axes[i][0]
        lo, hi = _value_range(everything if shared_scale else row_values(p, comparators))
        for name, value in comparators.items():
            if value is None:
                continue
            marker, colour = markers.get(name, ("s", SERIES[3]))
            (line,) = ax.plot(
                [value],
                [0],
                marker=marker,
                color=colour,
                markersize=9 if marker == "|" else 5,
                markeredgewidth=2,
                linestyle="none",
                label=name,
            )
            if name not in seen:
                comparator_handles.append(line)
            seen.add(name)
        if p.suppressed:
            _withheld(ax, f"{chart_id}-suppressed-{i}", 0)
        elif p.value is not None:
            if p.provisional:
                colour, gid = NEUTRAL, f"{chart_id}-provisional-{i}"
            else:
                colour, gid = COMPARISON_COLOURS.get(comparison, LOCAL), f"{chart_id}-value-{i}"
            if p.lower is not None and p.upper is not None:
                ax.plot(
                    [p.lower, p.upper],
                    [0, 0],
                    color=colour,
                    linewidth=2.2,
                    solid_capstyle="butt",
                    gid=f"{gid}-interval",
                )
            ax.plot(
                [p.value],
                [0],
                marker="o",
                color=colour,
                markersize=7,
                linestyle="none",
                gid=f"{gid}-dot",
                markerfacecolor="white" if p.provisional else colour,
            )
            dp = max(_pct_decimals(lo, hi), 0 if p.value >= 0.1 else 1)
            text = f"{p.value * 100:.{dp}f}%"
            if p.provisional:
                text += f" ({p.provisional_text})"
            where = (p.value - lo) / (hi - lo) if hi > lo else 0.5
            ax.text(
                p.value,
                0.33,
                text,
                ha="right" if where > 0.65 else "left" if where < 0.35 else "center",
                fontsize=7.5,
                color="#212121",
                gid=f"{gid}-text",
            )
        ax.set_xlim(lo, hi)
        ax.set_ylim(-0.5, 0.75)
        ax.set_yticks([0], [label])
        ax.tick_params(axis="y", length=0)
        _pct_scale(ax.xaxis, lo, hi)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
        ax.set_axisbelow(True)
    from matplotlib.lines import Line2D

    # better / similar / worse always; higher, lower (no judgement) and not compared when shown
    final = [(p, c) for _, p, c, _ in rows if p.value is not None and not p.suppressed]
    shown = {c for p, c in final if not p.provisional}
    handles = [
        Line2D([], [], marker="o", color=c, linestyle="none", label=w.capitalize())
        for w, c in COMPARISON_COLOURS.items()
        if w in ("better", "similar", "worse") or w in shown
    ]
    if shown - set(COMPARISON_COLOURS):
        handles.append(
            Line2D([], [], marker="o", color=LOCAL, linestyle="none", label="Not compared")
        )
    if any(p.provisional for p, _ in final):
        handles.append(_provisional_handle("Provisional (not compared)"))
    handles += comparator_handles
    legend_rows = _top_legend(axes[0][0], handles)
    _place(
        fig,
        left=0.2 + _label_width(labels),
        right=0.3,
        top=0.15,
        bottom=0.3,
        legend_rows=legend_rows,
        hspace=0.9,
    )
    return _svg(fig, chart_id, alt)


@_styled
def trend_panels(
    chart_id: str,
    periods: Sequence[str],
    panels: Sequence[tuple[str, Sequence[Point], dict[str, Sequence[float | None]]]],
    alt: str,
) -> Markup:
    """Small multiples: each indicator's value over the years with its 95% interval band, and
    comparator lines; each panel has its own scale, provisional years are hollow grey points."""
    cols = 2
    nrows = max(1, math.ceil(len(panels) / cols))
    titles = [_wrap(t, 44) for t, _, _ in panels]
    title_lines = max((t.count("\n") + 1 for t in titles), default=1)
    fig = _figure(7.2, (1.75 + 0.15 * title_lines) * nrows + 0.3)
    axes = fig.subplots(nrows, cols, squeeze=False)
    xs = list(range(len(periods)))
    for k, ((_, points, comparators), title) in enumerate(zip(panels, titles, strict=True)):
        ax = axes[k // cols][k % cols]
        ax.set_title(title, fontsize=8.5)
        ys = [p.value if not p.suppressed else None for p in points]
        lo = [p.lower if not p.suppressed else None for p in points]
        hi = [p.upper if not p.suppressed else None for p in points]
        band_x = [x for x, a, b in zip(xs, lo, hi, strict=True) if a is not None and b is not None]
        if band_x:
            ax.fill_between(
                band_x,
                [lo[x] for x in band_x],
                [hi[x] for x in band_x],
                color=LOCAL,
                alpha=0.15,
                linewidth=0,
            )
        ax.plot(
            xs,
            [y if y is not None else math.nan for y in ys],
            color=LOCAL,
            marker="o",
            markersize=3,
            label="Area",
        )
        for x, p in zip(xs, points, strict=True):
            if p.provisional and p.value is not None and not p.suppressed:
                ax.plot(
                    [x],
                    [p.value],
                    marker="o",
                    markersize=4,
                    markerfacecolor="white",
                    markeredgecolor=NEUTRAL,
                    linestyle="none",
                    gid=f"{chart_id}-provisional-{k}-{x}",
                )
        for name, values in comparators.items():
            colour = ENGLAND if name == "England" else REGION
            ax.plot(
                xs,
                [v if v is not None else math.nan for v in values],
                color=colour,
                linestyle="--",
                linewidth=1,
                label=name,
            )
        for x, p in zip(xs, points, strict=True):
            if p.suppressed:
                _withheld(ax, f"{chart_id}-suppressed-{k}-{x}", x, horizontal=False)
        bottom, top = _value_range(
            [*ys, *lo, *hi, *(v for values in comparators.values() for v in values)]
        )
        ax.set_ylim(bottom, top)
        _pct_scale(ax.yaxis, bottom, top)
        ax.set_xticks([xs[0], xs[-1]], [periods[0], periods[-1]])
        ax.tick_params(labelsize=7)
        ax.grid(axis="y", color="#eeeeee", linewidth=0.6)
    for k in range(len(panels), nrows * cols):
        axes[k // cols][k % cols].set_visible(False)
    handles, labels = axes[0][0].get_legend_handles_labels()
    if any(p.provisional and not p.suppressed for _, points, _ in panels for p in points):
        handles.append(_provisional_handle("Provisional", markersize=4))
    rows = _top_legend(axes[0][0], handles) if handles else 0
    _place(
        fig,
        left=0.5,
        bottom=0.3,
        top=0.3 + 0.15 * (title_lines - 1),
        right=0.2,
        legend_rows=rows,
        hspace=0.55 + 0.2 * (title_lines - 1),
        wspace=0.3,
    )
    return _svg(fig, chart_id, alt)
