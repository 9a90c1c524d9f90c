"""Areas compared: every area's bar with its interval, and spine charts."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from orchestration.lib.reports.charts.base import (
    COMPARISON_COLOURS,
    ENGLAND,
    LOCAL,
    NEUTRAL,
    REGION,
    Point,
    _figure,
    _label_width,
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
        if p.provisional:
            colour, gid = NEUTRAL, f"{chart_id}-provisional-{i}"
        else:
            colour, gid = COMPARISON_COLOURS.get(comparison, LOCAL), f"{chart_id}-value-{i}"
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
    handles = [
        Line2D([], [], marker="s", color=c, linestyle="none", label=w.capitalize())
        for w, c in COMPARISON_COLOURS.items()
        if w in judged
    ] + handles
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
            if p.provisional:
                colour, gid = NEUTRAL, f"{chart_id}-provisional-{i}"
            else:
                colour, gid = COMPARISON_COLOURS.get(comparison, LOCAL), f"{chart_id}-value-{i}"
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
    handles = [
        Line2D([], [], marker="o", color=c, linestyle="none", label=w.capitalize())
        for w, c in COMPARISON_COLOURS.items()
        if w in judged
    ]
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
