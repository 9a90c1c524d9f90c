"""One page of a report: its document's sections, its method notes and year-to-date notes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from orchestration.lib.reports.content.builder import (
    REPORT_KINDS,
    Builder,
)
from orchestration.lib.reports.content.compare import compare
from orchestration.lib.reports.content.dip import dip
from orchestration.lib.reports.content.harm_reduction import harm_reduction
from orchestration.lib.reports.content.needs import needs
from orchestration.lib.reports.content.quarterly import _with_quarterly
from orchestration.lib.reports.content.treatment import treatment
from orchestration.lib.reports.data import ServingData
from orchestration.lib.reports.model import (
    MethodNote,
    Page,
    Section,
)

BUILDERS: dict[str, Callable[[Builder], list[Section]]] = {
    "harm-reduction": _with_quarterly(harm_reduction),
    "treatment": _with_quarterly(treatment),
    "dip": _with_quarterly(dip),
    "needs": needs,
    "compare": compare,
}

METHOD_WORDS = {
    "wilson": "Proportion; 95% confidence interval by the Wilson score method.",
    "count_exact_byar": "Count; 95% interval by the exact Poisson method below 10 and Byar's method from 10.",
    "estimate_bounds": "Proportion of an estimate; the interval comes from the prevalence estimate's 95% bounds.",
}
POLARITY_WORDS = {
    "higher_is_better": "Higher is better",
    "lower_is_better": "Lower is better",
    "no_judgement": "No judgement (higher, similar or lower)",
}


def method_notes(data: ServingData, codes: Sequence[str]) -> list[MethodNote]:
    notes = []
    for code in codes:
        ind = data.catalogue.get(code)
        if ind is None:
            continue
        notes.append(
            MethodNote(
                code=code,
                title=ind.title,
                definition=ind.definition,
                numerator=ind.numerator_text or "",
                denominator=ind.denominator_text or "",
                unit=ind.unit,
                method=METHOD_WORDS.get(ind.method, ind.method),
                comparator=(
                    "England where a benchmark exists, otherwise the region"
                    if ind.comparator == "england"
                    else "The region (England for the region itself, where benchmarked)"
                ),
                polarity=POLARITY_WORDS.get(ind.polarity, ind.polarity),
                periods=f"{ind.first_period or '?'} to {ind.latest_period or '?'}",
                source=ind.source.replace(";", ", "),
            )
        )
    return notes


def build_page(data: ServingData, report: str, area: str, period: str) -> Page:
    kind = REPORT_KINDS[report]
    b = Builder(data, kind, area, period)
    sections = [s for s in BUILDERS[report](b) if s.figures or s.tables or s.intro or s.about]
    # Findings only: a section's "about" line says what it counts and is no finding.
    summary = [line for s in sections for line in s.intro[:2]]
    return Page(
        report=report,
        report_title=kind.title,
        area_code=area,
        area_name=b.area_name,
        period=period,
        title=f"{kind.title}: {b.area_name}, {period}",
        summary=summary,
        sections=sections,
        methods=method_notes(data, b.used),
        notes=[*_no_region_note(b), *year_to_date_notes(data, b.used, b.periods)],
    )


def _no_region_note(b: Builder) -> list[str]:
    """A local authority whose region has no other authority in the data (Leicestershire, the
    demo's one East Midlands authority) has no region comparator: never "similar to the region"
    against itself."""
    if b.is_region or b.region is not None:
        return []
    return [
        f"{b.area_name} is the only local authority of its region in these data, so it has no "
        "region comparator: its indicators are compared with England where England is "
        "benchmarked and are otherwise not compared, and it has no spine chart of a region's "
        "areas."
    ]


def year_to_date_notes(
    data: ServingData, codes: Sequence[str], periods: Sequence[str]
) -> list[str]:
    """Which years on the page are only year to date, and to when (domain: a part-year is never
    published as if complete)."""
    found: dict[tuple[str, str], list[str]] = {}
    for code in codes:
        for period in periods:
            data_to = data.year_to_date(code, period)
            if data_to:
                ind = data.catalogue.get(code)
                found.setdefault((period, data_to), []).append(ind.title if ind else code)
    return [
        f"{period} is year to date for {'; '.join(titles)}: the data reach {data_to}, so these "
        "figures cover part of the year and are provisional."
        for (period, data_to), titles in sorted(found.items())
    ]
