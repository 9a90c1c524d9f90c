"""The treatment profile (support pack): key indicators, people in treatment, trends, completions."""

from __future__ import annotations

from markupsafe import Markup

from orchestration.lib.reports import charts
from orchestration.lib.reports.content.builder import (
    ENGLAND,
    Builder,
    _alt_value,
    _count_point,
    _point,
    _published_value,
)
from orchestration.lib.reports.content.compare import _compare_areas, _spine
from orchestration.lib.reports.content.indicators import (
    INTERVAL_NOTE,
    TREATMENT_GROUPS,
    TREATMENT_PROPORTIONS,
    _by_group,
    _count_table,
    _indicator_figure,
    _marked,
)
from orchestration.lib.reports.content.support_pack import _support_pack
from orchestration.lib.reports.model import (
    Cell,
    Figure,
    Section,
    Table,
    change_cell,
    change_text,
    comparison_cell,
    count_cell,
    count_span,
    interval_cell,
    number,
    pct_cell,
    trend_cell,
)


def treatment(b: Builder) -> list[Section]:
    """The treatment profile: key indicators, areas compared, people in treatment, the support
    pack's sections, completions and trends."""
    sections = [
        _key_indicators(b),
        _compare_areas(b) if b.is_region else _spine(b),
        _in_treatment(b),
    ]
    trends = _trends(b)
    by_group = _completions(b)
    by_id = {s.id: s for s in [*sections, *_support_pack(b), by_group, trends]}
    order = (
        "key-indicators",
        "compare-areas" if b.is_region else "spine",
        "in-treatment",
        "who",
        "access",
        "routes",
        "engagement",
        "top-outcomes",
        "completions",
        "health-protection",
        "safeguarding-housing",
        "trends",
    )
    return [by_id[i] for i in order]


def _key_indicators(b: Builder) -> Section:
    """Key indicators compared with the region (where the page has one) and England."""
    data = b.data
    comparators = b.comparators(england=True)
    compared_with = " and ".join("the region" if n == "Region" else n for n, _ in comparators)
    key = Section("key-indicators", f"Key indicators compared with {compared_with}")
    rows = []
    table_rows = []
    for code in TREATMENT_PROPORTIONS:
        if code not in data.catalogue:
            continue
        v = b.get(code)
        title = data.catalogue[code].title
        comp_values = {name: _published_value(b.get(code, area=a)) for name, a in comparators}
        rows.append(
            (_marked(title, v), _point(v), v.comparison if v is not None else "", comp_values)
        )
        table_rows.append(
            [
                Cell(title),
                count_cell(v),
                count_cell(v, "denominator"),
                pct_cell(v, 1),
                interval_cell(v, 1),
                *[pct_cell(b.get(code, area=a), 1) for _, a in comparators],
                comparison_cell(v),
                trend_cell(v),
            ]
        )
    comp_word = (
        "England"
        if b.is_region
        else "its comparator (England where benchmarked, else the region)"
        if b.region is not None
        else "England where benchmarked"
    )
    if rows:
        fid = b.figure_id()
        alt = (
            f"Chart of treatment indicators for {b.area_name}, {b.period}, each with its 95% interval, coloured by comparison with {comp_word}. "
            + "; ".join(
                f"{t}: {_alt_value(p, lambda x, c=c: f'{x * 100:.0f}% ({c})')}"
                for t, p, c, _ in rows
            )
            + "."
        )
        key.add(
            Figure(
                fid,
                f"Treatment indicators, {b.area_name}, {b.period}",
                charts.intervals(fid, rows, alt),
                alt,
                Table(
                    "Treatment indicators",
                    ["Indicator", "Numerator", "Denominator", "Value", "95% interval"]
                    + [f"{b.area_label(a)}" for _, a in comparators]
                    + ["Compared with benchmark", "Five-year trend"],
                    table_rows,
                ),
                note="Dots are the area's value and lines its 95% interval; green is significantly better than the benchmark, red significantly worse, amber similar.",
            )
        )
    return key


def _in_treatment(b: Builder) -> Section:
    """People in treatment: by substance group over the years, by age and sex in the year."""
    data = b.data
    numbers = Section("in-treatment", "People in treatment")
    v = b.get("tx_in_treatment")
    if v is not None:
        sentence = Markup("{} people were in drug treatment in {}").format(count_span(v), b.period)
        if v.change_absolute is not None and not v.is_suppressed:
            sentence += Markup(": {} on the year before").format(
                number(change_text(v.change_absolute, "people", v.change_relative), "change")
            )
        numbers.intro.append(sentence + Markup("."))
    groups = ["opiate", "non_opiate", "non_opiate_alcohol"]
    periods = b.periods
    series = [
        (
            data.label("substance_group", g),
            [
                _count_point(b.get("tx_in_treatment", bt="substance_group", b=g, period=p))
                for p in periods
            ],
        )
        for g in groups
    ]
    rows_t = [
        [Cell(p, "period")]
        + [
            count_cell(b.get("tx_in_treatment", bt="substance_group", b=g, period=p))
            for g in groups
        ]
        + [
            count_cell(b.get("tx_in_treatment", period=p)),
            change_cell(b.get("tx_in_treatment", period=p)),
            count_cell(b.get("tx_in_treatment", bt="substance_group", b="alcohol_only", period=p)),
        ]
        for p in periods
    ]
    fid = b.figure_id()
    alt = (
        f"Stacked bar chart: people in drug treatment by substance group, {b.area_name}, by year. "
        + "; ".join(
            f"{r[0].text}: {'suppressed' if r[4].suppressed else r[4].text}" for r in rows_t
        )
        + "."
    )
    numbers.add(
        Figure(
            fid,
            f"People in drug treatment by substance group, {b.area_name}, by year",
            charts.bars_over_time(fid, periods, series, alt, stacked=True),
            alt,
            Table(
                "People in treatment by substance group",
                ["Year"]
                + [s[0] for s in series]
                + ["Drug treatment (all)", "Change on previous year", "Alcohol only"],
                rows_t,
            ),
        )
    )
    numbers.add(_by_age_and_sex(b))
    return numbers


def _trends(b: Builder) -> Section:
    """Trends of the key indicators against the comparators."""
    data = b.data
    comparators = b.comparators(england=True)
    periods = b.periods
    trends = Section("trends", "Trends")
    panels = []
    trend_rows = []
    for code in TREATMENT_PROPORTIONS:
        if code not in data.catalogue:
            continue
        title = data.catalogue[code].title
        points = [_point(b.get(code, period=p)) for p in periods]
        comps = {
            name: [_published_value(b.get(code, area=a, period=p)) for p in periods]
            for name, a in comparators
        }
        panels.append((title, points, comps))
        for p in periods:
            v = b.get(code, period=p)
            trend_rows.append(
                [Cell(title), Cell(p, "period"), pct_cell(v, 1), interval_cell(v, 1)]
                + [pct_cell(b.get(code, area=a, period=p), 1) for _, a in comparators]
            )
    if panels:
        fid = b.figure_id()
        latest = {
            t: b.get(c)
            for c, t in (
                (c, data.catalogue[c].title) for c in TREATMENT_PROPORTIONS if c in data.catalogue
            )
        }
        alt = (
            f"Small line charts: treatment indicators for {b.area_name} by year with 95% interval bands and comparator lines. "
            + "; ".join(
                f"{t}: {(v.trend or '').replace('_', ' ')}"
                for t, v in latest.items()
                if v is not None
            )
            + "."
        )
        trends.add(
            Figure(
                fid,
                f"Treatment indicators over time, {b.area_name}",
                charts.trend_panels(fid, periods, panels, alt),
                alt,
                Table(
                    "Treatment indicators by year",
                    ["Indicator", "Year", "Value", "95% interval"]
                    + [b.area_label(a) for _, a in comparators],
                    trend_rows,
                ),
                note="The trend in the key indicators table is a chi-squared test for linear trend over the latest five years.",
            )
        )
    return trends


def _completions(b: Builder) -> Section:
    """Exits and re-presentation: completions by substance group and sex, deaths in treatment."""
    data = b.data
    by_group = Section(
        "completions",
        "Exits and re-presentation: successful completions by substance group and sex",
    )
    for code in ("tx_successful_completion", "tx_non_representation"):
        if code not in data.catalogue:
            continue
        title = f"{data.catalogue[code].title}, {b.area_name}, {b.period}"
        by_group.add(_breakdown_intervals(b, code, title))
    by_group.add(_completions_by_group_and_sex(b))
    by_group.add(
        _count_table(b, "Deaths in treatment by year", _by_group(b, "tx_deaths_in_treatment"))
    )
    return by_group


def _completions_by_group_and_sex(b: Builder) -> Table | None:
    """The JSNA chapter's cross-tab: completions and people in treatment by substance group,
    the rate for persons, males and females, and England's rate for persons."""
    code = "tx_successful_completion"
    if code not in b.data.catalogue:
        return None
    table_rows = []
    for g in (*TREATMENT_GROUPS, "alcohol_only"):
        persons = b.get(code, bt="substance_group", b=g)
        if persons is None:
            continue
        table_rows.append(
            [
                Cell(b.data.item_label("substance_group", g)),
                count_cell(persons),
                count_cell(persons, "denominator"),
                pct_cell(persons, 1),
                pct_cell(b.get(code, bt="substance_group_sex", b=f"{g}|male"), 1),
                pct_cell(b.get(code, bt="substance_group_sex", b=f"{g}|female"), 1),
                pct_cell(b.get(code, area=ENGLAND, bt="substance_group", b=g), 1),
            ]
        )
    persons = b.get(code)
    if persons is not None:
        table_rows.append(
            [
                Cell("All drug treatment"),
                count_cell(persons),
                count_cell(persons, "denominator"),
                pct_cell(persons, 1),
                pct_cell(b.get(code, bt="sex", b="male"), 1),
                pct_cell(b.get(code, bt="sex", b="female"), 1),
                pct_cell(b.get(code, area=ENGLAND), 1),
            ]
        )
    if not table_rows:
        return None
    return Table(
        f"Successful completions by substance group and sex, {b.area_name}, {b.period}",
        ["Group", "Completions", "In treatment", "Persons", "Males", "Females", "England persons"],
        table_rows,
    )


def _breakdown_intervals(b: Builder, code: str, title: str) -> Figure | None:
    """An indicator by substance group and by sex, each with its interval and comparators, on
    one scale (the rows are comparable)."""
    rows = b.rows(code, "substance_group") + b.rows(code, "sex")
    return _indicator_figure(
        b,
        title,
        [
            (code, v.breakdown_type, v.breakdown, b.data.item_label(v.breakdown_type, v.breakdown))
            for v in rows
        ],
        INTERVAL_NOTE + " The rows share one scale.",
        shared_scale=True,
    )


def _by_age_and_sex(b: Builder) -> Figure | None:
    """People in treatment by age band (the chart) and by sex (the table) in the year."""
    data = b.data
    ages = b.rows("tx_in_treatment", "age_band")
    if not ages:
        return None
    fid = b.figure_id()
    labels = [data.item_label("age_band", v.breakdown) for v in ages]
    points = [_count_point(v) for v in ages]
    alt = (
        f"Bar chart: people in drug treatment by age band, {b.area_name}, {b.period}. "
        + "; ".join(
            f"{lab}: {'suppressed' if p.suppressed else f'{p.value:,.0f}'}"
            for lab, p in zip(labels, points, strict=True)
            if p.suppressed or p.value is not None
        )
        + "."
    )
    sexes = b.rows("tx_in_treatment", "sex")
    return Figure(
        fid,
        f"People in drug treatment by age band, {b.area_name}, {b.period}",
        charts.bars_over_time(fid, labels, [("People", points)], alt),
        alt,
        Table(
            "People in drug treatment by age band and sex",
            ["Group", "People"],
            [[Cell(lab), count_cell(v)] for lab, v in zip(labels, ages, strict=True)]
            + [[Cell(data.item_label("sex", v.breakdown)), count_cell(v)] for v in sexes],
        ),
    )
