"""Calibration: the demo's published numbers against the seed reports' own figures.

``published_figures.csv`` (format in ``FIGURES.md``) holds every figure of the five seed reports
with the smw indicator, area, period and breakdown that publishes it. :func:`calibrate` reads
it and a serving database and says, for each figure, whether smw reproduces it within tolerance;
:func:`write_outputs` writes the calibration page (HTML) and a markdown table.
"""

from orchestration.lib.calibration.check import (
    FIGURES_PATH,
    STATUSES,
    CalibrationError,
    Figure,
    Outcome,
    Summary,
    calibrate,
    demo_scale,
    load_figures,
    summarise,
)
from orchestration.lib.calibration.page import write_outputs

__all__ = [
    "FIGURES_PATH",
    "STATUSES",
    "CalibrationError",
    "Figure",
    "Outcome",
    "Summary",
    "calibrate",
    "demo_scale",
    "load_figures",
    "summarise",
    "write_outputs",
]
