"""What every chart shares: matplotlib's settings and the palette, :class:`Point`, the figure,
label layout, axes, the suppressed and provisional marks, and the SVG itself."""

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

from orchestration.lib.reports.charts import cache  # noqa: E402

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
    """Draw inside the house style (rcParams are read as artists are made), or read the chart
    back from the cache when it was drawn before with the same arguments (``cache``)."""

    @functools.wraps(draw)
    def wrapper(chart_id: str, *args, **kwargs) -> Markup:
        def drawn() -> Markup:
            with matplotlib.rc_context({**RC, "svg.hashsalt": chart_id}):
                return draw(chart_id, *args, **kwargs)

        return cache.drawn(draw.__qualname__, chart_id, args, kwargs, drawn)

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
