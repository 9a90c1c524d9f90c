"""Areas compared: compare-areas charts and spine charts, and the Compare areas document."""

from __future__ import annotations

from markupsafe import Markup

from orchestration.lib.reports import charts
from orchestration.lib.reports.content.builder import (
    ENGLAND,
    Builder,
    _point,
    _published_value,
    _shown,
)
from orchestration.lib.reports.content.indicators import (
    TREATMENT_PROPORTIONS,
    _marked,
)
from orchestration.lib.reports.data import Value
from orchestration.lib.reports.model import (
    Cell,
    Figure,
    Section,
    Table,
    comparison_cell,
    count_cell,
    interval_cell,
    pct_cell,
    provisional_to,
)


def _region_areas(b: Builder) -> list[str]:
    """The local authorities of the page's region (of the region itself on its page)."""
    region = b.area if b.is_region else b.region
    return [
        a.code
        for a in b.data.report_areas()
        if a.kind == "la" and region is not None and b.data.region_of(a.code) == region
    ]


def _value_words(v: Value | None) -> str:
    if v is None:
        return "no data"
    if v.is_suppressed:
        return "suppressed"
    if v.value is None:
        return "no data"
    if v.is_provisional:
        return f"{v.value * 100:.1f}% (provisional to {provisional_to(v)})"
    return f"{v.value * 100:.1f}% ({(v.comparison or '').replace('_', ' ')})"


def _compare_areas(
    b: Builder,
    codes: tuple[str, ...] = TREATMENT_PROPORTIONS,
    section_id: str = "compare-areas",
    title: str | None = None,
) -> Section:
    """Per indicator, every area of the region side by side: bars with 95% interval whiskers
    coloured by comparison, England and the region as lines (Fingertips' compare areas)."""
    section = Section(section_id, title or f"Compare areas: {b.area_name}'s local authorities")
    areas = _region_areas(b)
    for code in codes:
        if code not in b.data.catalogue or not areas:
            continue
        title = b.data.catalogue[code].title
        values = {a: b.get(code, area=a) for a in areas}
        if all(v is None for v in values.values()):
            continue
        rows = [(b.area_label(a), _point(values[a]), _comparison_of(values[a])) for a in areas]
        benchmarks = {
            "England": _published_value(b.get(code, area=ENGLAND)),
            "Region": _published_value(b.get(code, area=b.area)),
        }
        fid = b.figure_id()
        alt = (
            f"Compare-areas bar chart: {title}, {b.period}, each local authority of {b.area_name} "
            "with its 95% interval. "
            + "; ".join(f"{b.area_label(a)} {_value_words(values[a])}" for a in areas)
            + "."
        )
        section.add(
            Figure(
                fid,
                f"{title}: areas compared, {b.period}",
                charts.compare_areas(fid, rows, benchmarks, alt),
                alt,
                Table(
                    f"{title} by area, {b.period}",
                    [
                        "Area",
                        "Numerator",
                        "Denominator",
                        "Value",
                        "95% interval",
                        "Compared with benchmark",
                    ],
                    [
                        [
                            Cell(b.area_label(a)),
                            count_cell(values[a]),
                            count_cell(values[a], "denominator"),
                            pct_cell(values[a], 1),
                            interval_cell(values[a], 1),
                            comparison_cell(values[a]),
                        ]
                        for a in areas
                    ],
                ),
                note="Bars are each area's value and whiskers its 95% interval, coloured by comparison with the benchmark; grey bars are provisional and not compared; dashed lines are England and the region.",
            )
        )
    return section


def _comparison_of(v: Value | None) -> str:
    return v.comparison if v is not None else ""


def _spine(
    b: Builder,
    codes: tuple[str, ...] = TREATMENT_PROPORTIONS,
    section_id: str = "spine",
    title: str | None = None,
    what: str = "Headline indicators",
) -> Section:
    """A spine chart of indicators (the headline ones by default): the area against the range
    of its region's areas, with the region's value."""
    section = Section(section_id, title or f"Spine chart: {b.area_name} against the region's areas")
    areas = _region_areas(b)
    rows = []
    table_rows = []
    alt_parts = []
    for code in codes:
        if code not in b.data.catalogue:
            continue
        v = b.get(code)
        others = [_published_value(b.get(code, area=a)) for a in areas]
        others = [x for x in others if x is not None]
        if v is None or not others:
            continue
        region = _published_value(b.get(code, area=b.region)) if b.region else None
        title = b.data.catalogue[code].title
        rows.append((_marked(title, v), _point(v), v.comparison, others, region))
        alt_parts.append(f"{title}: {_value_words(v)}")
        table_rows.append(
            [
                Cell(title),
                pct_cell(v, 1),
                pct_cell(b.get(code, area=b.region), 1) if b.region else Cell(""),
                Cell(f"{min(others) * 100:.1f}%", "percent"),
                Cell(f"{max(others) * 100:.1f}%", "percent"),
                comparison_cell(v),
            ]
        )
    if not rows:
        return section
    fid = b.figure_id()
    alt = (
        f"Spine chart: {b.area_name}, {b.period}, each headline indicator against the lowest to "
        "highest of the region's areas, with the region's value. " + "; ".join(alt_parts) + "."
    )
    section.add(
        Figure(
            fid,
            f"{what}, {b.area_name} against the region's areas, {b.period}",
            charts.spine(fid, rows, alt),
            alt,
            Table(
                f"{what} against the region's areas",
                [
                    "Indicator",
                    "Area",
                    "Region",
                    "Lowest area",
                    "Highest area",
                    "Compared with benchmark",
                ],
                table_rows,
            ),
            note="Each row is scaled from the lowest to the highest of the region's local authorities (grey, the middle half darker); the dot is this area, coloured by comparison (hollow grey: provisional, not compared); the black line is the region.",
        )
    )
    return section


#: The compare-areas page groups indicators by their source, in this order.
SOURCE_TITLES = {
    "ndtms": "Structured treatment (NDTMS)",
    "top": "Treatment outcomes (TOP)",
    "ims": "Harm reduction (IMS)",
    "dip": "Drug Interventions Programme",
    "mdt": "Drug tests on arrest",
    "prevalence": "Prevalence and need",
}


def _comparable(b: Builder) -> dict[str, list[str]]:
    """Every proportion published for the whole population (breakdown all) in the page's
    year, by source: what a compare-areas bar or a spine row can show."""
    groups: dict[str, list[str]] = {}
    for code, ind in b.data.catalogue.items():
        if ind.unit != "proportion" or b.data.get(code, b.area, b.period, "all", "all") is None:
            continue
        source = ind.source.split(";")[0]
        groups.setdefault(source, []).append(code)
    order = list(SOURCE_TITLES)
    return {
        s: sorted(codes, key=lambda c: b.data.catalogue[c].title)
        for s, codes in sorted(
            groups.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)
        )
    }


def compare(b: Builder) -> list[Section]:
    """Every proportion for the whole population, area by area: on the region's page a
    compare-areas chart per indicator (all its local authorities with 95% intervals), on a
    local authority's page a spine chart per source (the area against its region's range)."""
    sections = []
    for source, codes in _comparable(b).items():
        name = SOURCE_TITLES.get(source, source)
        if b.is_region:
            sections.append(
                _compare_areas(b, tuple(codes), f"compare-{source}", f"{name}: areas compared")
            )
        else:
            sections.append(
                _spine(
                    b, tuple(codes), f"spine-{source}", f"{name}: against the region's areas", name
                )
            )
    _comparison_finding(b, sections, [c for codes in _comparable(b).values() for c in codes])
    return sections


def _comparison_finding(b: Builder, sections: list[Section], codes: list[str]) -> None:
    """The page's finding: how many of its indicators differ significantly from their
    benchmark, which way, and which (provisional values are not compared)."""
    if not sections:
        return
    values = {c: b.get(c) for c in codes}
    judged = {c: v for c, v in values.items() if _shown(v) and not v.is_provisional}
    counts = {w: [c for c, v in judged.items() if v.comparison == w] for w in ("better", "worse")}
    parts = [
        Markup("{} of {} indicators compared with their benchmark").format(
            len([v for v in judged.values() if v.comparison]), len(values)
        )
    ]
    for word in ("better", "worse"):
        names = counts[word]
        if names:
            parts.append(
                Markup("{} significantly {} ({})").format(
                    len(names), word, ", ".join(b.data.catalogue[c].title for c in names)
                )
            )
    sections[0].intro.append(Markup("; ").join(parts) + Markup("."))
