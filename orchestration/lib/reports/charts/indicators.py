"""Indicators with their 95% intervals, coloured by comparison: against comparators, over time in
panels, every area compared, and spine charts."""

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


def _value_style(chart_id: str, i: int, p: Point, comparison: str) -> tuple[str, str]:
    """A value's colour and group id: grey and ``-provisional-`` while provisional (it never
    takes a comparison colour), else its comparison's colour (the area's when not compared)."""
    if p.provisional:
        return NEUTRAL, f"{chart_id}-provisional-{i}"
    return COMPARISON_COLOURS.get(comparison, LOCAL), f"{chart_id}-value-{i}"


def _comparison_handles(shown: set[str], marker: str, always: Sequence[str] = ()) -> list:
    """Legend handles for the comparisons ``shown`` (and those ``always`` listed), in the
    colours' order."""
    from matplotlib.lines import Line2D

    return [
        Line2D([], [], marker=marker, color=c, linestyle="none", label=w.capitalize())
        for w, c in COMPARISON_COLOURS.items()
        if w in always or w in shown
    ]


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
            colour, gid = _value_style(chart_id, i, p, comparison)
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
    handles = _comparison_handles(shown, "o", always=("better", "similar", "worse"))
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


@_styled
def compare_areas(
    chart_id: str,
    rows: Sequence[tuple[str, Point, str]],
    benchmarks: dict[str, float | None],
    alt: str,
) -> Markup:
    """Fingertips' compare-areas view of one indicator: a bar per area with its 95% interval
    whiskers, coloured by comparison (provisional grey, suppressed a neutral marker), and the
    benchmarks (England, the region) as vertical lines. The scale fits the indicator."""
    labels = [_wrap(r[0], 30) for r in rows]
    fig = _figure(7.2, max(1.6, 0.3 * len(rows) + 0.15 * sum(lab.count("\n") for lab in labels)))
    ax = fig.add_subplot()
    lo, hi = _value_range(
        [
            *(x for _, p, _ in rows if not p.suppressed for x in (p.value, p.upper)),
            *benchmarks.values(),
        ]
    )
    lo = 0.0  # bars start at zero
    for i, (_, p, comparison) in enumerate(rows):
        if p.suppressed:
            _withheld(ax, f"{chart_id}-suppressed-{i}", i)
            continue
        if p.value is None:
            continue
        colour, gid = _value_style(chart_id, i, p, comparison)
        ax.barh(i, p.value, height=0.62, color=colour, gid=f"{gid}-bar")
        if p.lower is not None and p.upper is not None:
            ax.errorbar(
                [p.value],
                [i],
                xerr=[[p.value - p.lower], [p.upper - p.value]],
                fmt="none",
                ecolor="#37474f",
                elinewidth=1,
                capsize=2.5,
                gid=f"{chart_id}-whisker-{i}",
            )
        dp = 1 if p.value < 0.1 else 0
        text = f"{p.value * 100:.{dp}f}%" + (" \u2020" if p.provisional else "")
        ax.text(
            (p.upper if p.upper is not None else p.value) + (hi - lo) * 0.01,
            i,
            text,
            va="center",
            fontsize=7,
            color="#212121",
        )
    from matplotlib.lines import Line2D

    handles = []
    for name, value in benchmarks.items():
        if value is None:
            continue
        colour = ENGLAND if name == "England" else REGION
        ax.axvline(value, color=colour, linestyle="--", linewidth=1.2)
        handles.append(
            Line2D([], [], color=colour, linestyle="--", label=f"{name} {value * 100:.1f}%")
        )
    judged = {
        c for _, p, c in rows if p.value is not None and not p.suppressed and not p.provisional
    }
    handles = _comparison_handles(judged, "s") + handles
    provisional = [p for _, p, _ in rows if p.provisional and not p.suppressed]
    if provisional:
        handles.append(
            Line2D(
                [],
                [],
                marker="s",
                color=NEUTRAL,
                linestyle="none",
                label=f"\u2020 {provisional[0].provisional_text.capitalize()} (not compared)",
            )
        )
    ax.set_yticks(range(len(rows)), labels)
    ax.set_ylim(len(rows) - 0.5, -0.6)
    ax.set_xlim(lo, min(1.0, hi * 1.12) if hi < 1 else 1.0)
    _pct_scale(ax.xaxis, lo, hi)
    ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
    ax.set_axisbelow(True)
    legend_rows = _top_legend(ax, handles)
    _place(fig, left=0.2 + _label_width(labels), right=0.6, legend_rows=legend_rows)
    return _svg(fig, chart_id, alt)


@_styled
def spine(
    chart_id: str,
    rows: Sequence[tuple[str, Point, str, Sequence[float], float | None]],
    alt: str,
) -> Markup:
    """A spine chart: per headline indicator, the range of the region's areas (lowest to
    highest, the middle half darker), the area's value as a dot coloured by comparison
    (provisional grey, suppressed a neutral marker) and the region's value as a black line.
    Each row is scaled to its own range, so every indicator reads alike; the numbers are
    printed beside it."""
    labels = [_wrap(r[0], 40) for r in rows]
    fig = _figure(7.2, max(1.4, 0.36 * len(rows) + 0.14 * sum(lab.count("\n") for lab in labels)))
    ax = fig.add_subplot()
    for i, (_, p, comparison, others, benchmark) in enumerate(rows):
        values = sorted(v for v in others if v is not None)
        if not values:
            continue
        low, high = values[0], values[-1]
        span = (high - low) or 1.0

        def x(v: float, low: float = low, span: float = span) -> float:
            return max(-0.05, min(1.05, (v - low) / span))

        ax.barh(i, 1.0, left=0.0, height=0.55, color="#e0e0e0", gid=f"{chart_id}-range-{i}")
        q1 = values[len(values) // 4]
        q3 = values[(3 * len(values)) // 4]
        ax.barh(i, x(q3) - x(q1), left=x(q1), height=0.55, color="#b0bec5")
        if benchmark is not None:
            ax.plot([x(benchmark)] * 2, [i - 0.35, i + 0.35], color=ENGLAND, linewidth=2)
        if p.suppressed:
            # a hollow grey marker off the range (never at a value) and the word in its column
            ax.plot(
                [1.04],
                [i],
                marker="o",
                markersize=6,
                markerfacecolor="none",
                markeredgecolor=NEUTRAL,
                linestyle="none",
                gid=f"{chart_id}-suppressed-{i}-mark",
            )
        elif p.value is not None:
            colour, gid = _value_style(chart_id, i, p, comparison)
            ax.plot(
                [x(p.value)],
                [i],
                marker="o",
                markersize=8,
                color=colour,
                markerfacecolor="white" if p.provisional else colour,
                markeredgewidth=1.5,
                linestyle="none",
                gid=f"{gid}-dot",
            )
        shown = "suppressed" if p.suppressed else "" if p.value is None else f"{p.value * 100:.1f}%"
        bench = "" if benchmark is None else f"{benchmark * 100:.1f}%"
        ax.text(
            1.38,
            i,
            shown,
            va="center",
            ha="right",
            fontsize=7.5,
            color=NEUTRAL if p.suppressed else "#212121",
            style="italic" if p.suppressed else "normal",
            gid=f"{chart_id}-suppressed-{i}-label" if p.suppressed else None,
        )
        ax.text(1.62, i, bench, va="center", ha="right", fontsize=7.5, color="#424242")
        ax.text(1.86, i, f"{low * 100:.1f}%", va="center", ha="right", fontsize=7.5)
        ax.text(2.1, i, f"{high * 100:.1f}%", va="center", ha="right", fontsize=7.5)
    for pos, head in ((1.38, "Area"), (1.62, "Region"), (1.86, "Lowest"), (2.1, "Highest")):
        ax.text(pos, -0.85, head, ha="right", fontsize=7.5, fontweight="bold")
    ax.set_yticks(range(len(rows)), labels)
    ax.set_ylim(len(rows) - 0.5, -1.1)
    ax.set_xlim(-0.08, 2.14)
    ax.set_xticks([])
    ax.spines["bottom"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    judged = {
        c
        for _, p, c, _, _ in rows
        if p.value is not None and not p.suppressed and not p.provisional
    }
    handles = _comparison_handles(judged, "o")
    if any(p.provisional and not p.suppressed and p.value is not None for _, p, _, _, _ in rows):
        handles.append(_provisional_handle("Provisional"))
    handles += [
        Line2D([], [], color=ENGLAND, linewidth=2, label="Region"),
        Patch(color="#e0e0e0", label="Region's areas: lowest to highest"),
        Patch(color="#b0bec5", label="Middle half"),
    ]
    legend_rows = _top_legend(ax, handles)
    _place(fig, left=0.2 + _label_width(labels), right=0.15, legend_rows=legend_rows)
    return _svg(fig, chart_id, alt)
