"""How a value compares with its benchmark, and its trend, in words: shared by the area reports
and the long data download. It imports nothing, so publishing (which writes the download) never
loads the reports' chart library."""

#: Compared with the benchmark (England or the region).
COMPARISON_WORDS = {
    "better": "Better",
    "worse": "Worse",
    "similar": "Similar",
    "higher": "Higher",
    "lower": "Lower",
    "not_compared": "Not compared",
}

#: The chi-squared test for trend over the latest five points.
TREND_WORDS = {
    "increasing": "Increasing",
    "decreasing": "Decreasing",
    "no_significant_change": "No significant change",
}
