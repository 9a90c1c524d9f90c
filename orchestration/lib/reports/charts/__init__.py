"""Charts as inline SVG, drawn with matplotlib (object API, no pyplot: safe in threads).

Text stays text in the SVG (``svg.fonttype = none``) so pages are searchable and the tests can
read every number a chart prints. Value labels that are counts are wrapped in a group whose id
contains ``-count-``; count axes tick in multiples of five. A withheld value is drawn as no bar
and a neutral grey hollow marker labelled "suppressed" (group ids contain ``-suppressed-``),
placed off the value scale so it never reads as a value. A provisional value is drawn grey and
labelled "provisional to <date>" (ids contain ``-provisional-``): it never takes a comparison
colour. Labels wrap and are never cut short. Supplier text reaches charts as labels only: matplotlib escapes it
in the SVG, and maths parsing is off so ``$`` is just a character.

One module per chart family (``bars``, ``diagrams``, ``indicators``) on the shared ``base``.
"""

from orchestration.lib.reports.charts.bars import (
    bars_over_time,
    grouped_shares,
    share_bars,
    share_panels,
)
from orchestration.lib.reports.charts.base import (
    COMPARISON_COLOURS,
    ENGLAND,
    LOCAL,
    NEUTRAL,
    RC,
    REGION,
    SERIES,
    Point,
)
from orchestration.lib.reports.charts.diagrams import bullseye, funnel
from orchestration.lib.reports.charts.indicators import (
    compare_areas,
    intervals,
    spine,
    trend_panels,
)

__all__ = [
    "COMPARISON_COLOURS",
    "ENGLAND",
    "LOCAL",
    "NEUTRAL",
    "Point",
    "RC",
    "REGION",
    "SERIES",
    "bars_over_time",
    "bullseye",
    "compare_areas",
    "funnel",
    "grouped_shares",
    "intervals",
    "share_bars",
    "share_panels",
    "spine",
    "trend_panels",
]
