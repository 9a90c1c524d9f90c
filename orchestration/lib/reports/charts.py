"""Charts as inline SVG, drawn with matplotlib (object API, no pyplot: safe in threads).

Text stays text in the SVG (``svg.fonttype = none``) so pages are searchable and the tests can
read every number a chart prints. Value labels that are counts are wrapped in a group whose id
contains ``-count-``; count axes tick in multiples of five. A withheld value is drawn as no bar
and a neutral grey hollow marker labelled "suppressed" (group ids contain ``-suppressed-``),
placed off the value scale so it never reads as a value. A provisional value is drawn grey and
labelled "provisional to <date>" (ids contain ``-provisional-``): it never takes a comparison
colour. Labels wrap and are never cut short. Supplier text reaches charts as labels only: matplotlib escapes it
in the SVG, and maths parsing is off so ``$`` is just a character.
"""

from __future__ import annotations

import functools
import io
import math
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("svg")

from markupsafe import Markup, escape  # noqa: E402
from matplotlib import ticker  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

RC = {
    "svg.fonttype": "none",
    "text.parse_math": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "legend.frameon": False,
    "svg.image_inline": True,
}

LOCAL = "#00695c"  # the area
REGION = "#9e9e9e"
ENGLAND = "#263238"
SERIES = ["#00695c", "#f9a825", "#5c6bc0", "#8d6e63", "#ad1457", "#00838f"]
COMPARISON_COLOURS = {
    "better": "#2e7d32",
    "worse": "#c62828",
    "similar": "#f9a825",
    "higher": "#1565c0",
    "lower": "#6a1b9a",
}
#: Provisional and suppressed values: never a comparison colour.
NEUTRAL = "#757575"


@dataclass
class Point:
    """A value to plot; ``suppressed`` draws a neutral "suppressed" marker instead of a mark;
    ``provisional`` (with ``provisional_to``, the date it is provisional to) draws it grey."""

    value: float | None
    suppressed: bool = False
    lower: float | None = None
    upper: float | None = None
    provisional: bool = False
    provisional_to: str | None = None

    @property
    def provisional_text(self) -> str:
        return f"provisional to {self.provisional_to}" if self.provisional_to else "provisional"


def _styled(draw):
    """Draw inside the house style (rcParams are read as artists are made)."""

    @functools.wraps(draw)
    def wrapper(chart_id: str, *args, **kwargs) -> Markup:
        with matplotlib.rc_context({**RC, "svg.hashsalt": chart_id}):
            return draw(chart_id, *args, **kwargs)

    return wrapper


def _figure(width: float, height: float) -> Figure:
    # margins are set by _place from the label lengths: a layout engine would draw every
    # chart twice, and there are hundreds of charts in a run
    return Figure(figsize=(width, height))


def _label_width(labels) -> float:
    """Inches taken by the longest line of the tick labels (DejaVu Sans at 9 points)."""
    return 0.066 * max((len(line) for lab in labels for line in str(lab).split("\n")), default=0)


def _lines(labels) -> int:
    """The most lines any (wrapped) label takes."""
    return max((str(lab).count("\n") + 1 for lab in labels), default=1)


def _place(
    fig: Figure,
    left: float,
    bottom: float = 0.35,
    top: float = 0.12,
    right: float = 0.2,
    legend_rows: int = 0,
    **spacing,
) -> None:
    """Margins in inches (the figure grows by the legend's rows, which sit above the plot)."""
    width, height = fig.get_size_inches()
    extra = 0.22 * legend_rows
    if extra:
        height += extra
        fig.set_size_inches(width, height)
        top += extra
    fig.subplots_adjust(
        left=min(left, width * 0.6) / width,
        right=1 - right / width,
        bottom=bottom / height,
        top=1 - top / height,
        **spacing,
    )


def _svg(fig: Figure, chart_id: str, alt: str) -> Markup:
    """The figure as an inline <svg> with a title and role=img, ids unique to this chart."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, count=1, flags=re.S)
    title_id = f"{chart_id}-title"
    text = re.sub(
        r"<svg ",
        f'<svg role="img" aria-labelledby="{title_id}" class="chart-svg" id="{chart_id}-svg" ',
        text,
        count=1,
    )
    text = re.sub(
        r"(<svg [^>]*>)",
        lambda m: m.group(1) + f'<title id="{title_id}">{escape(alt)}</title>',
        text,
        count=1,
    )
    # the SVG scales with the page; its viewBox keeps the proportions
    text = re.sub(r'(<svg [^>]*?)\swidth="[^"]*"\sheight="[^"]*"', r"\1", text, count=1)
    return Markup(text)


def _count_axis(axis, top: float) -> None:
    """Ticks in multiples of five (and thousands separators): an axis never reads 1-4."""
    step = 5
    for base in (
        5,
        10,
        25,
        50,
        100,
        250,
        500,
        1000,
        2500,
        5000,
        10000,
        25000,
        50000,
        100000,
        250000,
        500000,
        1000000,
    ):
        step = base
        if top / base <= 6:
            break
    axis.set_major_locator(ticker.MultipleLocator(step))
    axis.set_major_formatter(ticker.FuncFormatter(lambda x, _: f"{x:,.0f}"))


def _pct_axis(axis, top: float = 1.0) -> None:
    axis.set_major_formatter(ticker.PercentFormatter(xmax=1.0, decimals=0))
    axis.set_major_locator(ticker.MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))


def _top_legend(ax, handles) -> int:
    """A legend above the plot, left-aligned; long labels go two to a row. Returns its rows."""
    if not handles:
        return 0
    width = sum(len(h.get_label()) for h in handles)
    ncols = (
        len(handles) if width <= 80 else 2 if max(len(h.get_label()) for h in handles) <= 45 else 1
    )
    ncols = max(1, ncols)
    ax.figure.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.0, 1.0),
        ncols=ncols,
        fontsize=8,
        handlelength=1.2,
        columnspacing=1.2,
        borderaxespad=0.1,
    )
    return math.ceil(len(handles) / ncols)


def _count_label(ax, x, y, n: float, gid: str, **kw) -> None:
    ax.text(x, y, f"{n:,.0f}", gid=gid, fontsize=8, **kw)


def _withheld(ax, gid: str, at: float, horizontal: bool = True, above: float | None = None) -> None:
    """A suppressed value: a grey hollow marker labelled "suppressed", never coloured and never
    at a value. ``at`` is the category's position; the marker sits at a fixed place of the
    axes (the far end of a horizontal value axis, mid-height of a vertical one), away from 0."""
    from matplotlib import transforms

    if horizontal:
        trans = transforms.blended_transform_factory(ax.transAxes, ax.transData)
        xy, text_xy, kw = (0.97, at), (0.955, at), {"ha": "right", "va": "center"}
    elif above is not None:  # on top of a stacked bar: beside what is shown, not at a value
        trans = ax.transData
        xy, text_xy, kw = (at, above), (at, above), {"ha": "center", "va": "bottom"}
    else:
        trans = transforms.blended_transform_factory(ax.transData, ax.transAxes)
        xy, text_xy, kw = (at, 0.5), (at, 0.56), {"ha": "center", "va": "bottom", "rotation": 90}
    ax.plot(
        [xy[0]],
        [xy[1]],
        marker="o",
        markersize=4 if above is not None else 6,
        markerfacecolor="none",
        markeredgecolor=NEUTRAL,
        markeredgewidth=1.2,
        linestyle="none",
        transform=trans,
        clip_on=False,
        gid=f"{gid}-mark",
    )
    ax.text(
        *text_xy,
        "suppressed",
        fontsize=7,
        style="italic",
        color=NEUTRAL,
        transform=trans,
        clip_on=False,
        gid=f"{gid}-label",
        **kw,
    )


def _provisional_handle(label: str, markersize: float | None = None):
    """The legend's mark for a provisional value: hollow and grey, never a comparison colour."""
    from matplotlib.lines import Line2D

    size = {} if markersize is None else {"markersize": markersize}
    return Line2D(
        [],
        [],
        marker="o",
        color=NEUTRAL,
        markerfacecolor="white",
        markeredgecolor=NEUTRAL,
        linestyle="none",
        label=label,
        **size,
    )


def _wrap(label: str, width: int = 38) -> str:
    """The whole label, wrapped onto lines of about ``width`` characters (never cut short)."""
    return textwrap.fill(
        str(label), width=width, break_long_words=False, break_on_hyphens=False
    ) or str(label)


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


def _value_range(values: Sequence[float | None]) -> tuple[float, float]:
    """An axis range for proportions that fits the values (a 0-1% indicator is not flattened
    on a 0-100% axis): from 0 when the values are near it, padded, within 0-1."""
    found = [v for v in values if v is not None and not math.isnan(v)]
    if not found:
        return 0.0, 1.0
    lo, hi = min(found), max(found)
    span = max(hi - lo, hi * 0.2, 0.002)
    lo = 0.0 if lo <= span * 1.5 else max(0.0, lo - span * 0.35)
    hi = min(1.0, hi + span * 0.35) if hi < 1.0 else 1.0
    return lo, max(hi, lo + 0.002)


def _pct_decimals(lo: float, hi: float) -> int:
    span = (hi - lo) * 100
    return 0 if span >= 5 else 1 if span >= 0.5 else 2


def _pct_scale(axis, lo: float, hi: float) -> None:
    axis.set_major_formatter(ticker.PercentFormatter(xmax=1.0, decimals=_pct_decimals(lo, hi)))
    axis.set_major_locator(ticker.MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))


@_styled
def intervals(
    chart_id: str,
    rows: Sequence[tuple[str, Point, str, dict[str, float | None]]],
    alt: str,
) -> Markup:
    """Each indicator's value with its 95% interval, coloured by comparison, with the
    comparators as markers (the support pack's local vs England view). Each indicator has its
    own row and its own scale; provisional values are grey and say until when, suppressed ones
    are a neutral labelled marker."""
    labels = [_wrap(r[0], 46) for r in rows]
    heights = [0.42 + 0.14 * (lab.count("\n")) for lab in labels]
    fig = _figure(7.2, max(1.2, sum(heights) + 0.25 * len(rows) + 0.5))
    axes = fig.subplots(len(rows), 1, squeeze=False, gridspec_kw={"height_ratios": heights or [1]})
    markers = {"Region": ("|", REGION), "England": ("D", ENGLAND)}
    seen: set[str] = set()
    comparator_handles = []
    for i, ((_, p, comparison, comparators), label) in enumerate(zip(rows, labels, strict=True)):
        ax = axes[i][0]
        shown_values = [p.value, p.lower, p.upper] if not p.suppressed else []
        lo, hi = _value_range([*shown_values, *comparators.values()])
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
