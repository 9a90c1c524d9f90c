"""The DIP funnel and the treatment bullseye."""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup

from orchestration.lib.reports.charts.base import (
    LOCAL,
    SERIES,
    Point,
    _count_label,
    _figure,
    _label_width,
    _place,
    _styled,
    _svg,
    _withheld,
    _wrap,
)


@_styled
def funnel(chart_id: str, stages: Sequence[tuple[str, Point, str]], alt: str) -> Markup:
    """The DIP funnel: one bar per stage, widest first, labelled with the count and its share."""
    fig = _figure(7.2, max(1.6, 0.42 * len(stages) + 0.5))
    ax = fig.add_subplot()
    top = max((p.value or 0 for _, p, _ in stages), default=0) or 1
    for i, (_label, p, share) in enumerate(stages):
        if p.suppressed:
            _withheld(ax, f"{chart_id}-suppressed-{i}", i)
            continue
        if p.value is None:
            continue
        ax.barh(i, p.value, left=-p.value / 2, height=0.7, color=SERIES[min(i, 1)] if i else LOCAL)
        ax.text(top / 2 + top * 0.02, i, share, va="center", fontsize=8, color="#424242")
        _count_label(
            ax,
            0,
            i,
            p.value,
            f"{chart_id}-count-{i}",
            ha="center",
            va="center",
            color="white" if p.value > top * 0.15 else "black",
        )
    ax.set_yticks(range(len(stages)), [_wrap(s[0], 44) for s in stages])
    ax.invert_yaxis()
    ax.set_xlim(-top / 2 * 1.05, top / 2 * 2.1)
    ax.set_xticks([])
    ax.spines["bottom"].set_visible(False)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    _place(fig, left=0.2 + _label_width(_wrap(st[0], 44) for st in stages), bottom=0.1, right=0.1)
    return _svg(fig, chart_id, alt)


@_styled
def bullseye(chart_id: str, rings: Sequence[tuple[str, Point]], alt: str) -> Markup:
    """The treatment bullseye: concentric rings, innermost first, each disc's area the people in
    it and the rings inside it; each ring labelled with its count (``*`` when withheld). A
    withheld ring adds nothing to the radii, so the picture never implies its size."""
    fig = _figure(7.2, 3.2)
    ax = fig.add_axes((0.02, 0.04, 0.42, 0.92))
    ax.set_aspect("equal")
    ax.axis("off")
    cumulative = []
    total = 0.0
    for _, p in rings:
        if not p.suppressed and p.value is not None:
            total += p.value
        cumulative.append(total)
    top = math.sqrt(total) if total > 0 else 1.0
    from matplotlib.patches import Circle, Rectangle

    colours = [LOCAL, "#4db6ac", "#b2dfdb", "#eceff1"]
    # outermost first, so inner discs are drawn on top
    for k in range(len(rings) - 1, -1, -1):
        radius = math.sqrt(cumulative[k]) / top if total > 0 else (k + 1) / len(rings)
        ax.add_patch(
            Circle(
                (0, 0),
                max(radius, 0.02),
                facecolor=colours[k % len(colours)],
                edgecolor="white",
                linewidth=1.5,
            )
        )
    ax.set_xlim(-1.05, 1.05)
    ax.set_ylim(-1.05, 1.05)
    key = fig.add_axes((0.48, 0.04, 0.5, 0.92))
    key.axis("off")
    key.set_xlim(0, 1)
    key.set_ylim(len(rings), -0.5)
    for k, (label, p) in enumerate(rings):
        key.add_patch(
            Rectangle(
                (0.0, k - 0.2), 0.06, 0.4, facecolor=colours[k % len(colours)], edgecolor="#90a4ae"
            )
        )
        key.text(0.09, k, _wrap(label, 44), va="center", fontsize=8.5)
        if p.suppressed:
            _withheld(key, f"{chart_id}-suppressed-{k}", k)
        elif p.value is not None:
            _count_label(key, 0.95, k, p.value, f"{chart_id}-count-0-{k}", va="center", ha="right")
    return _svg(fig, chart_id, alt)
