"""Area profile reports: the published documents (IMS-style harm-reduction overview, treatment
support pack, DIP activity profile) generated as static HTML, and PDF, from ``serving.duckdb``.

Plain library code (no Dagster): ``smw report`` and the pipeline's report asset both call
:func:`generate_reports`.
"""

from orchestration.lib.reports.render import ReportIndex, ReportPage, generate_reports

__all__ = ["ReportIndex", "ReportPage", "generate_reports"]
