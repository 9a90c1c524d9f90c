"""The four published documents, built from the serving data for one area and year:

- ``harm-reduction``: the IMS overview (NSP clients, visits and needles over all years with the
  change on the previous year; the three client cohorts with sex, age and substances; brief
  intervention categories);
- ``treatment``: the treatment support pack (each indicator with its 95% interval against the
  region and England, better/similar/worse, and its trend);
- ``dip``: the DIP activity profile (the funnel, routes, demographics, drugs, route of
  administration, injecting, alcohol bands, offences, transfers out);
- ``needs``: the needs assessment (prevalence per 1,000, penetration and unmet need, the
  treatment bullseye, known to treatment by cohort, DIP caseload entering treatment, drug tests
  and repeat testers, treatment provider flows).

Only published rows are used, and only their published numbers: a withheld row is ``*``. The
region's page compares with England where England is benchmarked.

The package has one module per document (``harm_reduction``, ``treatment`` with its
``support_pack``, ``dip``, ``needs``, ``compare``), the ``quarterly`` trends after each document,
the shared ``builder`` and treatment ``indicators``, and ``page``, which builds one page.
"""

from orchestration.lib.reports.content.builder import (
    ENGLAND,
    REPORT_KINDS,
    REPORTS,
    Builder,
    ReportKind,
)
from orchestration.lib.reports.content.indicators import TREATMENT_GROUPS, TREATMENT_PROPORTIONS
from orchestration.lib.reports.content.page import (
    BUILDERS,
    build_page,
    method_notes,
    year_to_date_notes,
)

__all__ = [
    "BUILDERS",
    "ENGLAND",
    "REPORTS",
    "REPORT_KINDS",
    "TREATMENT_GROUPS",
    "TREATMENT_PROPORTIONS",
    "Builder",
    "ReportKind",
    "build_page",
    "method_notes",
    "year_to_date_notes",
]
