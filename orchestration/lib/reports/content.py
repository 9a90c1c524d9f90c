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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup

from orchestration.lib.reports import charts
from orchestration.lib.reports.charts import Point
from orchestration.lib.reports.data import ServingData, Value
from orchestration.lib.reports.model import (
    SUPPRESSED,
    Cell,
    Figure,
    MethodNote,
    Page,
    Section,
    Table,
    change_cell,
    change_text,
    comparison_cell,
    count_cell,
    count_span,
    fmt_int,
    interval_cell,
    number,
    pct_cell,
    pct_span,
    provisional_to,
    trend_cell,
)

ENGLAND = "E92000001"


@dataclass(frozen=True)
class ReportKind:
    slug: str
    title: str
    headline: str  # the indicator whose latest year is the report's default year
    description: str


REPORTS = (
    ReportKind(
        "harm-reduction",
        "Harm reduction overview",
        "nsp_clients",
        "Needle and syringe programme activity, client cohorts and brief interventions (IMS).",
    ),
    ReportKind(
        "treatment",
        "Treatment profile",
        "tx_in_treatment",
        "Structured treatment indicators with 95% intervals against the region and England, and trends.",
    ),
    ReportKind(
        "dip",
        "DIP activity profile",
        "dip_contacts",
        "Drug Interventions Programme contacts: routes, assessment funnel, demographics, drug and alcohol use, offences.",
    ),
    ReportKind(
        "needs",
        "Needs assessment",
        "bullseye_people",
        "Prevalence and unmet need, the treatment bullseye, known to treatment by cohort, drug tests and repeat testers, provider flows.",
    ),
    ReportKind(
        "compare",
        "Compare areas",
        "tx_in_treatment",
        "Every proportion published for the whole population: each local authority against the region's range (spine charts), and on the region's page every area side by side with its 95% interval.",
    ),
)
REPORT_KINDS = {r.slug: r for r in REPORTS}


class Builder:
    """Shared helpers for one page: the data, the area and its comparators, figure ids."""

    def __init__(self, data: ServingData, kind: ReportKind, area: str, period: str) -> None:
        self.data = data
        self.kind = kind
        self.area = area
        self.period = period
        self.area_name = data.area_name(area)
        self.is_region = data.areas[area].kind == "region"
        self.region = None if self.is_region else data.region_of(area)
        self.used: list[str] = []
        self._figure_no = 0
        self.periods = [p for p in data.periods if p <= period]

    # -- data -------------------------------------------------------------------------------

    def get(
        self,
        code: str,
        area: str | None = None,
        bt: str = "all",
        b: str = "all",
        period: str | None = None,
    ) -> Value | None:
        if code not in self.used:
            self.used.append(code)
        return self.data.get(code, area or self.area, period or self.period, bt, b)

    def rows(
        self, code: str, bt: str, area: str | None = None, period: str | None = None
    ) -> list[Value]:
        if code not in self.used:
            self.used.append(code)
        return self.data.breakdown(code, area or self.area, period or self.period, bt)

    def comparators(self, england: bool = False) -> list[tuple[str, str]]:
        """(label, area code) of the areas this page compares with."""
        found = []
        if self.region:
            found.append(("Region", self.region))
        if england or self.is_region:
            found.append(("England", ENGLAND))
        return found

    def comparators_with(self, code: str, england: bool = False) -> list[tuple[str, str]]:
        """The comparators that have published rows of ``code`` this year."""
        return [
            (name, a)
            for name, a in self.comparators(england)
            if self.data.has_rows(code, a, self.period)
        ]

    def figure_id(self) -> str:
        self._figure_no += 1
        return f"{self.kind.slug}-{self.area}-fig{self._figure_no}"

    def area_label(self, code: str) -> str:
        return self.data.area_name(code)

    # -- figure helpers ---------------------------------------------------------------------

    def share_figure(
        self,
        title: str,
        code: str,
        bt: str,
        *,
        keep: Callable[[Value], bool] = lambda v: True,
        dp: int = 0,
        limit: int | None = None,
        note: str = "",
        n_label: str = "Contacts",
        full_labels: bool = False,
        england: bool = False,
    ) -> Figure | None:
        """Shares of one breakdown for the area beside its region (and England with
        ``england``: bars and table); a nested breakdown is labelled 'parent: item' with
        ``full_labels``."""
        local = [v for v in self.rows(code, bt) if keep(v)]
        comparator_rows = {
            name: {v.breakdown: v for v in self.rows(code, bt, area=a)}
            for name, a in self.comparators(england)
        }
        comparator_rows = {name: rows for name, rows in comparator_rows.items() if rows}
        comparator_areas = [
            (name, a) for name, a in self.comparators(england) if name in comparator_rows
        ]
        keys = [v.breakdown for v in local]
        for rows in comparator_rows.values():
            keys += [b for b, v in rows.items() if b not in keys and keep(v)]
        if not keys:
            return None
        keys.sort(key=lambda b: self.data.sort_key(bt, b))
        if limit:
            local_by = {v.breakdown: v for v in local}
            ranked = sorted(
                keys,
                key=lambda b: (
                    -(local_by[b].value or 0)
                    if b in local_by and local_by[b].value is not None
                    else 0
                ),
            )
            keys = [b for b in keys if b in ranked[:limit]]
        local_by = {v.breakdown: v for v in local}
        label_of = self.data.label if full_labels else self.data.item_label
        labels = [label_of(bt, b) for b in keys]
        series = [(self.area_name, [_point(local_by.get(b)) for b in keys])]
        for name, a in comparator_areas:
            series.append(
                (self.area_label(a), [_point(comparator_rows[name].get(b)) for b in keys])
            )
        header = ["", n_label, "%", "95% interval"] + [
            f"{self.area_label(a)} %" for _, a in comparator_areas
        ]
        table_rows = []
        for b, label in zip(keys, labels, strict=True):
            v = local_by.get(b)
            row = [Cell(label), count_cell(v), pct_cell(v, dp), interval_cell(v, dp)]
            row += [pct_cell(rows.get(b), dp) for rows in comparator_rows.values()]
            table_rows.append(row)
        denominators = {
            v.denominator for v in local if not v.is_suppressed and v.denominator is not None
        }
        total_note = ""
        if len(denominators) == 1:
            total_note = f"n = {fmt_int(denominators.pop())}"
        fid = self.figure_id()
        alt = _alt_shares(
            title,
            self.area_name,
            self.period,
            labels,
            [series[0][1][i] for i in range(len(keys))],
            dp,
        )
        svg = charts.share_bars(fid, labels, series, alt, dp=dp)
        return Figure(
            fid,
            title,
            svg,
            alt,
            Table(title, header, table_rows, note=total_note),
            note=note,
        )


def _point(v: Value | None) -> Point:
    if v is None:
        return Point(None)
    if v.is_suppressed:
        return Point(None, suppressed=True)
    return Point(
        v.value,
        lower=v.lower_95,
        upper=v.upper_95,
        provisional=bool(v.is_provisional),
        provisional_to=provisional_to(v) if v.is_provisional else None,
    )


def _published_value(v: Value | None) -> float | None:
    return v.value if v is not None and not v.is_suppressed else None


def _count_point(v: Value | None) -> Point:
    if v is None:
        return Point(None)
    if v.is_suppressed:
        return Point(None, suppressed=True)
    return Point(v.numerator)


def _alt_shares(
    title: str, area: str, period: str, labels: Sequence[str], points: Sequence[Point], dp: int = 0
) -> str:
    parts = []
    for label, p in zip(labels, points, strict=True):
        if p.suppressed:
            parts.append(f"{label} suppressed")
        elif p.value is not None:
            parts.append(f"{label} {p.value * 100:.{dp}f}%")
    shown = "; ".join(parts[:12]) + ("; and more in the table" if len(parts) > 12 else "")
    return f"Bar chart: {title}, {area}, {period}. {shown}."


def _alt_series(
    title: str, area: str, periods: Sequence[str], points: Sequence[Point], unit: str
) -> str:
    parts = []
    for p, pt in zip(periods, points, strict=True):
        if pt.suppressed:
            parts.append(f"{p} suppressed")
        elif pt.value is not None:
            parts.append(f"{p} {pt.value:,.0f}")
    return f"Bar chart: {title}, {area}, by financial year ({unit}). " + "; ".join(parts) + "."


def _and(parts: Sequence[Markup]) -> Markup:
    """'a, b and c' of already-safe pieces."""
    if len(parts) <= 1:
        return Markup("").join(parts)
    return Markup(", ").join(parts[:-1]) + Markup(" and ") + parts[-1]


def _when(period: str) -> str:
    start = int(period[:4])
    return f"Between April {start} and March {start + 1}"


# ============================================================================================
# harm reduction (IMS overview)


COHORTS_NSP = ("pwid_psychoactive", "pwid_iped")


def harm_reduction(b: Builder) -> list[Section]:
    data = b.data
    sections: list[Section] = []

    # -- NSP activity over all years --------------------------------------------------------
    nsp = Section("nsp", "Needle and syringe programmes")
    words = {"nsp_clients": "people", "nsp_visits": "visits", "nsp_needles": "needles"}
    for code, title in (
        ("nsp_clients", "People using needle and syringe programmes"),
        ("nsp_visits", "Needle and syringe programme visits"),
        ("nsp_needles", "Needles issued"),
    ):
        v = b.get(code)
        if v is not None:
            sentence = Markup("{}: {} in {}").format(title, count_span(v), b.period)
            if not v.is_suppressed and v.change_absolute is not None:
                sentence += Markup(" ({} on the year before)").format(
                    number(change_text(v.change_absolute, words[code], v.change_relative), "change")
                )
            nsp.intro.append(sentence + Markup("."))
        series = data.series(code, b.area)
        series = [(p, r) for p, r in series if p <= b.period]
        points = [_count_point(r) for _, r in series]
        fid = b.figure_id()
        periods = [p for p, _ in series]
        alt = _alt_series(title, b.area_name, periods, points, words[code])
        rows = [[Cell(p, "period"), count_cell(r), change_cell(r)] for p, r in series]
        nsp.add(
            Figure(
                fid,
                f"{title}, {b.area_name}, by year",
                charts.bars_over_time(fid, periods, [(title, points)], alt),
                alt,
                Table(f"{title} by year", ["Year", title, "Change on previous year"], rows),
            )
        )

    # NSP by cohort over the years
    fid = b.figure_id()
    periods = [p for p in data.periods if p <= b.period]
    series = []
    table_rows = []
    for cohort in COHORTS_NSP:
        series.append(
            (
                data.label("cohort", cohort),
                [
                    _count_point(b.get("nsp_clients", bt="cohort", b=cohort, period=p))
                    for p in periods
                ],
            )
        )
    for p in periods:
        row = [Cell(p, "period")]
        for cohort in COHORTS_NSP:
            for code in ("nsp_clients", "nsp_visits", "nsp_needles"):
                row.append(count_cell(b.get(code, bt="cohort", b=cohort, period=p)))
        table_rows.append(row)
    header = ["Year"] + [
        f"{data.label('cohort', c)}: {w}"
        for c in COHORTS_NSP
        for w in ("people", "visits", "needles")
    ]
    alt = (
        f"Grouped bar chart: people using needle and syringe programmes by cohort, {b.area_name}, by year. "
        + "; ".join(
            f"{name} in {b.period}: "
            + (
                "suppressed"
                if pts[-1].suppressed
                else f"{pts[-1].value:,.0f}"
                if pts[-1].value is not None
                else "none"
            )
            for name, pts in series
        )
        + "."
    )
    nsp.add(
        Figure(
            fid,
            f"People using needle and syringe programmes by cohort, {b.area_name}",
            charts.bars_over_time(fid, periods, series, alt),
            alt,
            Table("NSP activity by cohort and year", header, table_rows),
        )
    )
    if b.is_region:
        nsp.intro.extend(_decreases_in_areas(b))
    sections.append(nsp)

    # -- IMS clients by cohort ----------------------------------------------------------------
    cohorts = Section("cohorts", "IMS clients and cohorts")
    all_rows = b.get("ims_cohort_size")
    if all_rows is not None:
        cohorts.intro.append(
            Markup("{} people were recorded on IMS in {} ({}).").format(
                count_span(all_rows), b.period, data.area_name(b.area)
            )
        )
    cohort_codes = ["pwid_psychoactive", "pwid_iped", "bi_only"]
    fid = b.figure_id()
    series = [
        (
            data.label("cohort", c),
            [_count_point(b.get("ims_cohort_size", bt="cohort", b=c, period=p)) for p in periods],
        )
        for c in cohort_codes
    ]
    rows = []
    for p in periods:
        rows.append(
            [Cell(p, "period")]
            + [
                count_cell(b.get("ims_cohort_size", bt="cohort", b=c, period=p))
                for c in cohort_codes
            ]
            + [count_cell(b.get("ims_cohort_size", period=p))]
        )
    alt = (
        f"Stacked bar chart: IMS clients by cohort, {b.area_name}, by year. "
        + "; ".join(
            f"{p}: " + ("suppressed" if r[-1].suppressed else r[-1].text)
            for p, r in zip(periods, rows, strict=True)
        )
        + "."
    )
    cohorts.add(
        Figure(
            fid,
            f"IMS clients by cohort, {b.area_name}, by year",
            charts.bars_over_time(fid, periods, series, alt, stacked=True),
            alt,
            Table(
                "IMS clients by cohort and year",
                ["Year"] + [s[0] for s in series] + ["All IMS clients"],
                rows,
            ),
        )
    )

    # cohort profiles in the year
    profile_rows = []
    for c in cohort_codes:
        size = b.get("ims_cohort_size", bt="cohort", b=c)
        male = b.get("ims_cohort_male_share", bt="cohort", b=c)
        clients = b.get("nsp_clients", bt="cohort", b=c)
        visits = b.get("nsp_visits", bt="cohort", b=c)
        recorded = b.get("ims_main_substance_recorded", bt="cohort", b=c)
        avg = Cell("", "ratio")
        if (
            c != "bi_only"
            and clients
            and visits
            and not clients.is_suppressed
            and not visits.is_suppressed
            and clients.numerator
        ):
            avg = Cell(f"{visits.numerator / clients.numerator:.1f}", "ratio")
        subs = [
            v
            for v in b.rows("ims_main_substance_share", "cohort_main_substance")
            if v.breakdown.startswith(c + "|")
        ]
        subs = [v for v in subs if not v.is_suppressed and v.value]
        subs.sort(key=lambda v: -(v.value or 0))
        top = ", ".join(
            f"{data.item_label(v.breakdown_type, v.breakdown)} {v.value * 100:.0f}%"
            for v in subs[:3]
        )
        profile_rows.append(
            [
                Cell(data.label("cohort", c)),
                count_cell(size),
                pct_cell(male),
                avg,
                count_cell(recorded),
                pct_cell(recorded),
                Cell(top),
            ]
        )
    cohorts.add(
        Table(
            f"Client cohorts, {b.period}",
            [
                "Cohort",
                "People",
                "Male",
                "NSP visits per person",
                "Main substance recorded for",
                "% of cohort",
                "Most common main substances",
            ],
            profile_rows,
        )
    )

    # age profile by cohort
    bands: list[str] = []
    by_cohort: dict[str, dict[str, Value]] = {}
    for c in cohort_codes:
        rows_c = [
            v
            for v in b.rows("ims_cohort_age_share", "cohort_age_band")
            if v.breakdown.startswith(c + "|")
        ]
        by_cohort[c] = {v.breakdown.split("|", 1)[1]: v for v in rows_c}
        for v in rows_c:
            band = v.breakdown.split("|", 1)[1]
            if band not in bands:
                bands.append(band)
    bands.sort(key=_age_key)
    if bands:
        fid = b.figure_id()
        groups = [
            (data.label("cohort", c), [_point(by_cohort[c].get(band)) for band in bands])
            for c in cohort_codes
        ]
        alt = f"Grouped bar chart: age profile of each IMS cohort (share of the cohort in each five-year age band at 30 September), {b.area_name}, {b.period}."
        table_rows = [
            [Cell(band)]
            + [
                x
                for c in cohort_codes
                for x in (count_cell(by_cohort[c].get(band)), pct_cell(by_cohort[c].get(band)))
            ]
            for band in bands
        ]
        cohorts.add(
            Figure(
                fid,
                f"Age profile of each cohort, {b.area_name}, {b.period}",
                charts.grouped_shares(fid, bands, groups, alt),
                alt,
                Table(
                    "Age profile by cohort",
                    ["Age band"]
                    + [
                        f"{data.label('cohort', c)}: {w}"
                        for c in cohort_codes
                        for w in ("people", "%")
                    ],
                    table_rows,
                ),
            )
        )

    # recorded substances
    for position in ("main", "second"):
        code = f"ims_{position}_substance_share"
        bt = f"cohort_{position}_substance"
        rows_all = b.rows(code, bt)
        if not rows_all:
            continue
        substances: dict[str, str] = {}  # substance -> a breakdown holding it (for its label)
        by: dict[str, dict[str, Value]] = {c: {} for c in cohort_codes}
        for v in rows_all:
            c, sub = v.breakdown.split("|", 1)
            by.setdefault(c, {})[sub] = v
            substances.setdefault(sub, v.breakdown)
        ordered = sorted(substances, key=lambda sub: data.sort_key(bt, substances[sub])[1:])
        labels = [data.item_label(bt, substances[sub]) for sub in ordered]
        substances_list = ordered
        title = f"{position.capitalize()} substance recorded, by cohort, {b.area_name}, {b.period}"
        fid = b.figure_id()
        series = [
            (data.label("cohort", c), [_point(by[c].get(s)) for s in substances_list])
            for c in cohort_codes
            if by.get(c)
        ]
        panels = [
            (
                name,
                [
                    lab
                    for lab, p in zip(labels, pts, strict=True)
                    if p.suppressed or p.value is not None
                ],
                [p for p in pts if p.suppressed or p.value is not None],
            )
            for name, pts in series
        ]
        alt = (
            f"Bar chart: {title}; share of people in each cohort with a {position} substance recorded. "
            + "; ".join(
                f"{name}: "
                + ", ".join(
                    f"{lab} {p.value * 100:.0f}%"
                    for lab, p in zip(labels, pts, strict=True)
                    if p.value is not None and p.value >= 0.05
                )
                for name, pts in series
            )
            + "."
        )
        header = ["Substance"] + [
            f"{data.label('cohort', c)}: {w}"
            for c in cohort_codes
            if by.get(c)
            for w in ("people", "%")
        ]
        table_rows = [
            [Cell(lab)]
            + [
                x
                for c in cohort_codes
                if by.get(c)
                for x in (count_cell(by[c].get(s)), pct_cell(by[c].get(s)))
            ]
            for s, lab in zip(substances_list, labels, strict=True)
        ]
        recorded_note = "; ".join(
            f"{data.label('cohort', c)}: recorded for "
            + (
                count_cell(b.get(f"ims_{position}_substance_recorded", bt="cohort", b=c)).text
                or "0"
            )
            + " people"
            for c in cohort_codes
            if by.get(c)
        )
        cohorts.add(
            Figure(
                fid,
                title,
                charts.share_panels(fid, panels, alt),
                alt,
                Table(
                    f"{position.capitalize()} substance by cohort",
                    header,
                    table_rows,
                    note=recorded_note,
                ),
                note=f"Percentages are of the people in the cohort with a {position} substance recorded.",
            )
        )
    sections.append(cohorts)

    # -- interventions ----------------------------------------------------------------------------
    interventions = Section("interventions", "Brief interventions by category")
    fig = b.share_figure(
        f"Interventions by category, {b.area_name}, {b.period}",
        "ims_intervention_share",
        "category",
        dp=1,
        n_label="Interventions",
    )
    if fig:
        interventions.add(fig)
    sections.append(interventions)
    return sections


def _age_key(band: str) -> tuple:
    if band.startswith("under"):
        return (0, band)
    if band == "unknown":
        return (999, band)
    digits = "".join(ch for ch in band.split("-")[0] if ch.isdigit())
    return (int(digits) if digits else 500, band)


def _decreases_in_areas(b: Builder) -> list[Markup]:
    """'Decreases in 7 of 9 local authority areas' for each NSP measure and cohort."""
    data = b.data
    las = [a for a in data.report_areas() if a.kind == "la"]
    out = []
    for cohort in COHORTS_NSP:
        parts = []
        for code, word in (
            ("nsp_clients", "people"),
            ("nsp_visits", "visits"),
            ("nsp_needles", "needles"),
        ):
            known = [data.get(code, a.code, b.period, "cohort", cohort) for a in las]
            known = [v for v in known if v is not None and v.change_absolute is not None]
            if not known:
                continue
            fewer = sum(1 for v in known if v.change_absolute < 0)
            parts.append(
                Markup("{} fell in {} of {} local authority areas").format(
                    word, number(str(fewer), "areas"), number(str(len(known)), "areas")
                )
            )
        if parts:
            out.append(
                Markup("{}: ").format(data.label("cohort", cohort))
                + Markup("; ").join(parts)
                + Markup(".")
            )
    return out


# ============================================================================================
# treatment profile (support pack)


TREATMENT_GROUPS = ("opiate", "non_opiate", "non_opiate_alcohol")

TREATMENT_PROPORTIONS = (
    "tx_effective_engagement",
    "tx_successful_completion",
    "tx_non_representation",
    "tx_wait_under_3w",
    "tx_wait_over_6w",
    "tx_early_unplanned_exit",
    "tx_penetration",
)


def treatment(b: Builder) -> list[Section]:
    data = b.data
    sections: list[Section] = []
    comparators = b.comparators(england=True)

    # -- key indicators -------------------------------------------------------------------------
    key = Section("key-indicators", "Key indicators compared with the region and England")
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
        "England" if b.is_region else "its comparator (England where benchmarked, else the region)"
    )
    if rows:
        fid = b.figure_id()
        alt = (
            f"Chart of treatment indicators for {b.area_name}, {b.period}, each with its 95% interval, coloured by comparison with {comp_word}. "
            + "; ".join(
                f"{t}: "
                + (
                    "suppressed"
                    if p.suppressed
                    else f"{p.value * 100:.0f}% ({c})"
                    if p.value is not None
                    else "no data"
                )
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
    sections.append(key)
    sections.append(_compare_areas(b) if b.is_region else _spine(b))

    # -- numbers in treatment -------------------------------------------------------------------
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
    # age and sex in the year
    ages = b.rows("tx_in_treatment", "age_band")
    if ages:
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
        numbers.add(
            Figure(
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
        )
    sections.append(numbers)

    # -- trends -------------------------------------------------------------------------------
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

    # -- completions by substance group and sex ---------------------------------------------------------
    by_group = Section(
        "completions",
        "Exits and re-presentation: successful completions by substance group and sex",
    )
    for code in ("tx_successful_completion", "tx_non_representation"):
        if code not in data.catalogue:
            continue
        title = f"{data.catalogue[code].title}, {b.area_name}, {b.period}"
        fig = _breakdown_intervals(b, code, title)
        if fig:
            by_group.add(fig)
    by_group.add(_completions_by_group_and_sex(b))
    by_group.add(
        _count_table(b, "Deaths in treatment by year", _by_group(b, "tx_deaths_in_treatment"))
    )
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
    """An indicator by substance group and by sex, each with its interval and comparators."""
    rows = b.rows(code, "substance_group") + b.rows(code, "sex")
    return _indicator_figure(
        b,
        title,
        [
            (code, v.breakdown_type, v.breakdown, b.data.item_label(v.breakdown_type, v.breakdown))
            for v in rows
        ],
    )


# -- the support pack's sections ---------------------------------------------------------------

#: One row of a support-pack table: (indicator code, breakdown type, breakdown, label; None for
#: the catalogue title).
Item = tuple[str, str, str, str | None]

INTERVAL_NOTE = (
    "Dots are the area's value and lines its 95% interval; green is significantly better than the "
    "benchmark (England where benchmarked, else the region), red significantly worse, amber similar; "
    "blue and purple are significantly higher and lower where higher is neither better nor worse; "
    "teal has no benchmark. \u2020 provisional: the outcome's follow-up has not yet passed."
)


def _marked(label: str, v: Value | None) -> str:
    """A chart label with the provisional dagger (labels wrap, never cut short)."""
    if v is not None and v.is_provisional:
        return label + " \u2020"
    return label


def _indicator_figure(
    b: Builder, title: str, items: Sequence[Item], note: str = INTERVAL_NOTE
) -> Figure | None:
    """Proportions with their 95% intervals against the region and England: the chart and a
    table of numerator, denominator, value, interval, comparators, comparison and trend."""
    comparators = b.comparators(england=True)
    chart_rows = []
    table_rows = []
    for code, bt, br, label in items:
        if code not in b.data.catalogue:
            continue
        v = b.get(code, bt=bt, b=br)
        if v is None:
            continue
        label = label or b.data.catalogue[code].title
        comp = {name: _published_value(b.get(code, area=a, bt=bt, b=br)) for name, a in comparators}
        chart_rows.append((_marked(label, v), _point(v), v.comparison, comp))
        table_rows.append(
            [
                Cell(label),
                count_cell(v),
                count_cell(v, "denominator"),
                pct_cell(v, 1),
                interval_cell(v, 1),
                *[pct_cell(b.get(code, area=a, bt=bt, b=br), 1) for _, a in comparators],
                comparison_cell(v),
                trend_cell(v),
            ]
        )
    if not chart_rows:
        return None
    fid = b.figure_id()
    alt = (
        f"Chart: {title}, each value with its 95% interval, coloured by comparison with its benchmark. "
        + "; ".join(
            f"{lab}: "
            + (
                "suppressed"
                if p.suppressed
                else f"{p.value * 100:.0f}% ({(c or '').replace('_', ' ')})"
                if p.value is not None
                else "no data"
            )
            for lab, p, c, _ in chart_rows
        )
        + "."
    )
    return Figure(
        fid,
        title,
        charts.intervals(fid, chart_rows, alt),
        alt,
        Table(
            title,
            ["Indicator", "Numerator", "Denominator", "Value", "95% interval"]
            + [b.area_label(a) for _, a in comparators]
            + ["Compared with benchmark", "Five-year trend"],
            table_rows,
        ),
        note=note,
    )


def _count_table(b: Builder, title: str, items: Sequence[Item]) -> Table | None:
    """Counts over the latest five years, the change on the previous year and England's count."""
    periods = b.periods[-5:]
    table_rows = []
    for code, bt, br, label in items:
        if code not in b.data.catalogue:
            continue
        if all(b.get(code, bt=bt, b=br, period=p) is None for p in periods):
            continue
        table_rows.append(
            [
                Cell(label or b.data.catalogue[code].title),
                *[count_cell(b.get(code, bt=bt, b=br, period=p)) for p in periods],
                change_cell(b.get(code, bt=bt, b=br)),
                count_cell(b.get(code, area=ENGLAND, bt=bt, b=br)),
            ]
        )
    if not table_rows:
        return None
    return Table(title, ["", *periods, "Change on previous year", "England"], table_rows)


def _by_group(
    b: Builder, code: str, short: str = "", groups: Sequence[str] = TREATMENT_GROUPS
) -> list[Item]:
    """The indicator for drug treatment and by substance group, labelled '<short>: <group>'
    when the rows share a chart with other indicators."""
    prefix = f"{short}: " if short else ""
    return [
        (code, "all", "all", f"{prefix}all drug treatment" if short else "All drug treatment")
    ] + [
        (
            code,
            "substance_group",
            g,
            prefix + b.data.item_label("substance_group", g).lower()
            if short
            else b.data.item_label("substance_group", g),
        )
        for g in groups
    ]


def _labelled(b: Builder, items: Sequence[Item]) -> list[Item]:
    """Items whose missing label is the breakdown's label (the catalogue title for 'all')."""
    return [
        (code, bt, br, label or (None if bt == "all" else b.data.item_label(bt, br)))
        for code, bt, br, label in items
    ]


def _support_pack(b: Builder) -> list[Section]:
    """The support pack's sections beyond the key indicators (domain: Indicators, second
    release): each with local n and % against the region and England and the trend."""
    sections: list[Section] = []
    when = f"{b.area_name}, {b.period}"

    access = Section("access", "Access and waiting times")
    access.about.append(
        Markup(
            "New presentations are people starting a new treatment journey in the year (a person "
            "counts once); waits run from referral to the first intervention."
        )
    )
    new = b.get("tx_new_presentations")
    quick = b.get("tx_wait_under_3w")
    if _shown(new) and _shown(quick):
        access.intro.append(
            Markup(
                "{} people started a new treatment journey in {}; {} of first interventions came within three weeks of referral."
            ).format(count_span(new), b.period, pct_span(quick))
        )
    access.add(
        _count_table(
            b,
            "New presentations to treatment by year",
            _by_group(b, "tx_new_presentations", groups=(*TREATMENT_GROUPS, "alcohol_only")),
        )
    )
    access.add(
        _indicator_figure(
            b,
            f"Waiting times, {when}",
            [("tx_wait_under_3w", "all", "all", None), ("tx_wait_over_6w", "all", "all", None)],
        )
    )
    sections.append(access)

    routes = Section("routes", "Routes into treatment")
    routes.add(
        b.share_figure(
            f"New presentations by referral route, {when}",
            "tx_referral_source_share",
            "referral_group",
            n_label="New presentations",
            england=True,
            dp=1,
        )
    )
    routes.add(
        _indicator_figure(
            b,
            f"Referral source recorded, {when}",
            [("tx_referral_source_recorded", "all", "all", None)],
        )
    )
    sections.append(routes)

    who = Section("who", "Who is in treatment")
    who.add(
        b.share_figure(
            f"People in treatment by substance group, share of everyone in treatment, {when}",
            "tx_substance_group_share",
            "substance_group",
            n_label="People",
            england=True,
            dp=1,
        )
    )
    who.add(
        b.share_figure(
            f"People in treatment by ethnic group, {when}",
            "tx_ethnicity_share",
            "ethnic_group",
            n_label="People",
            england=True,
            dp=1,
        )
    )
    who.add(
        b.share_figure(
            f"People in treatment by setting of their latest episode, {when}",
            "tx_setting_share",
            "setting",
            n_label="People",
            england=True,
            dp=1,
        )
    )
    who.add(
        _indicator_figure(
            b,
            f"Club drugs and medicines, {when}",
            [("tx_club_drugs", "all", "all", None), ("tx_pom_otc", "all", "all", None)],
        )
    )
    sections.append(who)

    engagement = Section("engagement", "Engagement and time in treatment")
    engagement.add(
        _indicator_figure(
            b,
            f"Engagement, early exits and time in treatment, {when}",
            [
                ("tx_effective_engagement", "all", "all", None),
                *_by_group(b, "tx_effective_engagement", "Engaged")[1:],
                ("tx_early_unplanned_exit", "all", "all", None),
                ("tx_long_term", "all", "all", None),
                *_by_group(b, "tx_long_term", "Two years or more")[1:],
            ],
        )
    )
    engagement.add(
        _count_table(
            b,
            "People in residential rehabilitation by year",
            _by_group(b, "tx_residential_rehab"),
        )
    )
    sections.append(engagement)

    top = Section("top-outcomes", "Treatment outcomes (TOP) at the six-month review")
    top.about.append(
        Markup(
            "Of people in drug treatment with a TOP at the start and a review 150 to 240 days "
            "later; an outcome belongs to the year of its review and stays provisional until "
            "240 days after the year ends."
        )
    )
    abstinent = b.get("top_abstinent", bt="top_drug", b="opiates")
    if _shown(abstinent):
        top.intro.append(
            Markup(
                "{} of people using opiates at the start of treatment had stopped by their six-month review{}."
            ).format(
                pct_span(abstinent),
                Markup(" (provisional)") if abstinent.is_provisional else Markup(""),
            )
        )
    drugs = [v.breakdown for v in b.rows("top_abstinent", "top_drug")]
    top.add(
        _indicator_figure(
            b,
            f"Abstinent at review, by drug used at start, {when}",
            _labelled(b, [("top_abstinent", "top_drug", d, None) for d in drugs]),
        )
    )
    top.add(
        _indicator_figure(
            b,
            f"Reduced use (at most half the days) at review, by drug, {when}",
            _labelled(
                b,
                [
                    ("top_reduced_use", "top_drug", v.breakdown, None)
                    for v in b.rows("top_reduced_use", "top_drug")
                ],
            ),
        )
    )
    top.add(
        _indicator_figure(
            b,
            f"Injecting, housing and work at review, {when}",
            [
                ("top_injecting_stopped", "all", "all", None),
                ("top_housing_resolved", "all", "all", None),
                ("top_paid_work", "all", "all", None),
            ],
        )
    )
    sections.append(top)

    health = Section("health-protection", "Health protection: hepatitis B and C")
    health.add(
        _indicator_figure(
            b,
            f"Hepatitis testing and vaccination of people who have injected, {when}",
            _labelled(
                b,
                [
                    ("tx_hcv_tested", "all", "all", None),
                    ("tx_hcv_tested", "injecting_status", "currently", "HCV tested: injecting now"),
                    (
                        "tx_hcv_tested",
                        "injecting_status",
                        "previously",
                        "HCV tested: injected before",
                    ),
                    ("tx_hbv_vaccinated", "all", "all", None),
                    (
                        "tx_hbv_vaccinated",
                        "course_stage",
                        "completed_or_immune",
                        "HBV course completed or immune",
                    ),
                ],
            ),
        )
    )
    sections.append(health)

    housing = Section(
        "safeguarding-housing", "Safeguarding, housing and employment at the start of treatment"
    )
    for title, code, bt in (
        ("Parental status of new presentations", "tx_parental_share", "parental_status"),
        ("Accommodation need of new presentations", "tx_housing_share", "accommodation_need"),
        ("Employment status of new presentations", "tx_employment_share", "employment_status"),
    ):
        housing.add(
            b.share_figure(
                f"{title}, {when}",
                code,
                bt,
                n_label="New presentations",
                england=True,
                dp=1,
            )
        )
    housing.add(
        _indicator_figure(
            b,
            f"Recorded at the start of treatment, {when}",
            [
                ("tx_parental_recorded", "all", "all", None),
                ("tx_housing_recorded", "all", "all", None),
                ("tx_employment_recorded", "all", "all", None),
            ],
        )
    )
    sections.append(housing)
    return sections


# ============================================================================================
# DIP activity profile


ROUTE_GROUPS = (
    "required_assessment",
    "other_cj_route",
    "transfer_completed",
    "transfer_not_completed",
)


def dip(b: Builder) -> list[Section]:
    data = b.data
    sections: list[Section] = []

    contacts = b.get("dip_contacts")
    assessed = b.get("dip_assessed")
    further = b.get("dip_further_required")
    caseload = b.get("dip_caseload")
    transferred = b.get("dip_transferred_out")

    # -- activity and routes ------------------------------------------------------------------
    activity = Section("activity", "DIP activity and criminal justice routes")
    if contacts is not None:
        sentence = Markup("{}, there were {} DIP contacts in {}").format(
            _when(b.period), count_span(contacts), b.area_name
        )
        if contacts.change_absolute is not None and not contacts.is_suppressed:
            sentence += Markup(": {} on the previous year").format(
                number(
                    change_text(contacts.change_absolute, "contacts", contacts.change_relative),
                    "change",
                )
            )
        activity.intro.append(sentence + Markup("."))
    routes = {v.breakdown: v for v in b.rows("dip_route_share", "route_group")}
    if routes:
        activity.intro.append(
            Markup("Routes: ")
            + Markup("; ").join(
                Markup("{} {}").format(pct_span(routes.get(g)), data.label("route_group", g))
                for g in ROUTE_GROUPS
                if g in routes
            )
            + Markup(".")
        )
    if assessed is not None and further is not None and caseload is not None:
        activity.intro.append(
            Markup(
                "Of the {} contacts, {} were assessed ({}); {} of those assessed needed further intervention and {} of those were taken onto the DIP caseload."
            ).format(
                count_span(assessed, "denominator")
                if not assessed.is_suppressed
                else count_span(contacts),
                count_span(assessed),
                pct_span(assessed),
                pct_span(further),
                pct_span(caseload),
            )
        )
    # the funnel
    stages = [
        ("DIP contacts", contacts, "numerator", ""),
        ("Assessed for DIP", assessed, "numerator", "of contacts"),
        ("Further intervention required", further, "numerator", "of assessed"),
        ("Taken onto the DIP caseload", caseload, "numerator", "of those needing it"),
        ("Not taken onto the caseload", transferred, "denominator", ""),
        (
            "Transferred to another CJIT or prison",
            transferred,
            "numerator",
            "of not taken on",
        ),
    ]
    funnel_stages = []
    table_rows = []
    for label, v, field_name, of in stages:
        if v is None:
            continue
        if v.is_suppressed:
            pt = Point(None, suppressed=True)
        else:
            n = getattr(v, field_name)
            pt = Point(n)
        share = ""
        if of and v.value is not None and not v.is_suppressed and field_name == "numerator":
            share = f"{v.value * 100:.0f}% {of}"
        funnel_stages.append((label, pt, share))
        table_rows.append(
            [
                Cell(label),
                count_cell(v, field_name),
                Cell(share, "percent")
                if share
                else (
                    pct_cell(v)
                    if v.is_suppressed and of and field_name == "numerator"
                    else Cell("", "percent")
                ),
            ]
        )
    if funnel_stages:
        fid = b.figure_id()
        alt = (
            f"Funnel chart: DIP activity in {b.area_name}, {b.period}. "
            + "; ".join(
                f"{lab}: "
                + ("suppressed" if p.suppressed else f"{p.value:,.0f}" + (f" ({s})" if s else ""))
                for lab, p, s in funnel_stages
                if p.suppressed or p.value is not None
            )
            + "."
        )
        activity.add(
            Figure(
                fid,
                f"DIP activity, {b.area_name}, {b.period}",
                charts.funnel(fid, funnel_stages, alt),
                alt,
                Table("DIP activity", ["Stage", "Contacts", "Share"], table_rows),
                note="Contacts are counted as taken onto the caseload when a care plan is drawn up after a full assessment, or when they are taken on following a transfer.",
            )
        )
    # contacts over time
    series = data.series("dip_contacts", b.area)
    series = [(p, r) for p, r in series if p <= b.period]
    points = [_count_point(r) for _, r in series]
    fid = b.figure_id()
    periods = [p for p, _ in series]
    alt = _alt_series("DIP contacts", b.area_name, periods, points, "contacts")
    activity.add(
        Figure(
            fid,
            f"DIP contacts, {b.area_name}, by year",
            charts.bars_over_time(fid, periods, [("DIP contacts", points)], alt),
            alt,
            Table(
                "DIP contacts by year",
                ["Year", "Contacts", "Change on previous year"],
                [[Cell(p, "period"), count_cell(r), change_cell(r)] for p, r in series],
            ),
        )
    )
    fig = b.share_figure(
        f"Routes into DIP, {b.area_name}, {b.period}", "dip_route_share", "route_group"
    )
    if fig:
        activity.add(fig)
    # route detail (the appendix)
    detail = b.rows("dip_route_share", "route")
    if detail:
        activity.add(
            Table(
                f"Routes in detail, {b.period}",
                ["Route group", "Route", "Contacts", "% of route group"],
                [
                    [
                        Cell(data.parent_label("route", v.breakdown)),
                        Cell(data.item_label("route", v.breakdown)),
                        count_cell(v),
                        pct_cell(v),
                    ]
                    for v in detail
                ],
            )
        )
    sections.append(activity)

    # -- demographics ---------------------------------------------------------------------------
    demo = Section("demographics", "Demographic profile")
    sexes = {v.breakdown: v for v in b.rows("dip_sex_share", "sex")}
    parts = [
        Markup("{} {}").format(pct_span(sexes[k]), k) for k in ("male", "female") if k in sexes
    ]
    if parts:
        demo.intro.append(Markup("Of all contacts, ") + _and(parts) + Markup("."))
    ages = [v for v in b.rows("dip_age_share", "age_band") if not v.is_suppressed and v.value]
    if ages:
        top = max(ages, key=lambda v: v.value or 0)
        demo.intro.append(
            Markup("The largest age group was {} ({} of contacts).").format(
                data.item_label("age_band", top.breakdown), pct_span(top)
            )
        )
    ethnicity = b.get("dip_ethnicity_share", bt="ethnicity_group", b="white_british")
    residence = b.get("dip_residence_share", bt="residence", b="own_area")
    if ethnicity is not None:
        demo.intro.append(Markup("{} were of White British ethnicity.").format(pct_span(ethnicity)))
    if residence is not None and not b.is_region:
        demo.intro.append(Markup("{} lived in {}.").format(pct_span(residence), b.area_name))
    if sexes:
        demo.add(
            Table(
                f"DIP contacts by sex, {b.period}",
                ["Sex", "Contacts", "%"]
                + [f"{b.area_label(a)} %" for _, a in b.comparators_with("dip_sex_share")],
                [
                    [Cell(data.item_label("sex", k)), count_cell(v), pct_cell(v)]
                    + [
                        pct_cell(b.get("dip_sex_share", area=a, bt="sex", b=k))
                        for _, a in b.comparators_with("dip_sex_share")
                    ]
                    for k, v in sexes.items()
                ],
            )
        )
    fig = b.share_figure(
        f"DIP contacts by age band, {b.area_name}, {b.period}", "dip_age_share", "age_band"
    )
    if fig:
        demo.add(fig)
    # age by sex (Table 1 of the profile)
    age_sex = b.rows("dip_age_share", "sex_age_band")
    if age_sex:
        bands = sorted({v.breakdown.split("|", 1)[1] for v in age_sex}, key=_age_key)
        by = {(v.breakdown.split("|", 1)[0], v.breakdown.split("|", 1)[1]): v for v in age_sex}
        sexes_shown = [s for s in ("female", "male") if any(k[0] == s for k in by)]
        fid = b.figure_id()
        groups = [
            (data.item_label("sex", s), [_point(by.get((s, band))) for band in bands])
            for s in sexes_shown
        ]
        alt = (
            f"Grouped bar chart: age band of DIP contacts within each sex, {b.area_name}, {b.period}. "
            + "; ".join(
                f"{name}: "
                + ", ".join(
                    f"{band} " + ("suppressed" if p.suppressed else f"{p.value * 100:.0f}%")
                    for band, p in zip(bands, pts, strict=True)
                    if p.suppressed or p.value is not None
                )
                for name, pts in groups
            )
            + "."
        )
        totals = [b.get("dip_sex_share", bt="sex", b=s) for s in sexes_shown]
        demo.add(
            Figure(
                fid,
                f"Age group and sex of DIP contacts, {b.area_name}, {b.period}",
                charts.grouped_shares(
                    fid, [data.item_label("age_band", band) for band in bands], groups, alt
                ),
                alt,
                Table(
                    "Age group and sex of DIP contacts",
                    ["Age group"]
                    + [f"{data.item_label('sex', s)} {w}" for s in sexes_shown for w in ("n", "%")],
                    [
                        [Cell(data.item_label("age_band", band))]
                        + [
                            x
                            for s in sexes_shown
                            for x in (count_cell(by.get((s, band))), pct_cell(by.get((s, band))))
                        ]
                        for band in bands
                    ]
                    + [
                        [Cell("Total")]
                        + [
                            x
                            for t in totals
                            for x in (
                                count_cell(t),
                                Cell("100%", "percent")
                                if t is not None and not t.is_suppressed
                                else Cell("", "percent"),
                            )
                        ]
                    ],
                ),
                note="Percentages are of each sex's contacts.",
            )
        )
    for title, code, bt in (
        ("Ethnicity of DIP contacts", "dip_ethnicity_share", "ethnicity_group"),
        ("Where DIP contacts live", "dip_residence_share", "residence"),
    ):
        fig = b.share_figure(f"{title}, {b.area_name}, {b.period}", code, bt)
        if fig:
            demo.add(fig)
    sections.append(demo)

    # -- drugs ---------------------------------------------------------------------------------
    drugs = Section("drugs", "Drug use")
    mentions = [
        v for v in b.rows("dip_drug_mention_share", "drug") if not v.is_suppressed and v.value
    ]
    mentions.sort(key=lambda v: -(v.value or 0))
    if mentions:
        drugs.intro.append(
            Markup("The drugs most often reported were ")
            + _and(
                [
                    Markup("{} ({} of drug mentions)").format(
                        data.item_label("drug", v.breakdown).lower(), pct_span(v)
                    )
                    for v in mentions[:3]
                ]
            )
            + Markup(".")
        )
    fig = b.share_figure(
        f"Drugs used by DIP contacts (share of drug mentions), {b.area_name}, {b.period}",
        "dip_drug_mention_share",
        "drug",
        n_label="Mentions",
        note="A contact can report more than one drug, so mentions outnumber contacts.",
    )
    if fig:
        drugs.add(fig)
    fig = b.share_figure(
        f"Route of administration of the main drug, {b.area_name}, {b.period}",
        "dip_drug_route_share",
        "drug_route",
        note="Percentages are of contacts with a route recorded.",
    )
    if fig:
        drugs.add(fig)
    injecting = {v.breakdown: v for v in b.rows("dip_injecting_share", "injecting_status")}
    parts = [
        Markup("{} {}").format(pct_span(injecting[k]), words)
        for k, words in (
            ("never", "had never injected"),
            ("previously", "had injected before but were not injecting now"),
            ("currently", "were currently injecting"),
        )
        if k in injecting
    ]
    if parts:
        drugs.intro.append(
            Markup("Of those with an injecting status recorded, ") + _and(parts) + Markup(".")
        )
    fig = b.share_figure(
        f"Injecting status, {b.area_name}, {b.period}",
        "dip_injecting_share",
        "injecting_status",
        note="Percentages are of contacts with an injecting status recorded.",
    )
    if fig:
        drugs.add(fig)
    sections.append(drugs)

    # -- alcohol ---------------------------------------------------------------------------------
    alcohol = Section("alcohol", "Alcohol use")
    for code, bt, _dim, title in (
        (
            "dip_drinking_days_share",
            "sex_drinking_days",
            "drinking_days",
            "Drinking days in the 28 days before assessment",
        ),
        (
            "dip_daily_units_share",
            "sex_daily_units",
            "daily_units",
            "Average daily units of alcohol in the 28 days before assessment",
        ),
    ):
        rows_a = b.rows(code, bt)
        if not rows_a:
            continue
        by = {(v.breakdown.split("|", 1)[0], v.breakdown.split("|", 1)[1]): v for v in rows_a}
        bands = []
        for v in rows_a:
            band = v.breakdown.split("|", 1)[1]
            if band not in bands:
                bands.append(band)
        sexes_shown = [s for s in ("male", "female") if any(k[0] == s for k in by)]
        band_labels = [
            data.item_label(bt, f"{sexes_shown[0] if sexes_shown else 'male'}|{band}")
            for band in bands
        ]
        fid = b.figure_id()
        groups = [
            (data.item_label("sex", s), [_point(by.get((s, band))) for band in bands])
            for s in sexes_shown
        ]
        n_text = "; ".join(
            f"{data.item_label('sex', s)} n = {fmt_int(next(v.denominator for k, v in by.items() if k[0] == s and not v.is_suppressed and v.denominator is not None))}"
            for s in sexes_shown
            if any(
                k[0] == s and not v.is_suppressed and v.denominator is not None
                for k, v in by.items()
            )
        )
        alt = (
            f"Grouped bar chart: {title.lower()} by sex, {b.area_name}, {b.period}. "
            + "; ".join(
                f"{name}: "
                + ", ".join(
                    f"{lab} " + ("suppressed" if p.suppressed else f"{p.value * 100:.0f}%")
                    for lab, p in zip(band_labels, pts, strict=True)
                    if p.suppressed or p.value is not None
                )
                for name, pts in groups
            )
            + "."
        )
        alcohol.add(
            Figure(
                fid,
                f"{title}, by sex, {b.area_name}, {b.period}",
                charts.grouped_shares(fid, band_labels, groups, alt),
                alt,
                Table(
                    f"{title} by sex",
                    ["Band"]
                    + [f"{data.item_label('sex', s)} {w}" for s in sexes_shown for w in ("n", "%")],
                    [
                        [Cell(lab)]
                        + [
                            x
                            for s in sexes_shown
                            for x in (count_cell(by.get((s, band))), pct_cell(by.get((s, band))))
                        ]
                        for band, lab in zip(bands, band_labels, strict=True)
                    ],
                    note=n_text,
                ),
                note="Percentages are of each sex's contacts with the item recorded.",
            )
        )
    sections.append(alcohol)

    # -- offending --------------------------------------------------------------------------------
    offending = Section("offending", "Offending")
    fig = b.share_figure(
        f"Offence prompting the contact, {b.area_name}, {b.period}", "dip_offence_share", "offence"
    )
    if fig:
        offending.add(fig)
    schemes = b.rows("dip_offender_management_share", "offender_management")
    if schemes:
        offending.add(
            Table(
                f"Offender management scheme at assessment, {b.period}",
                ["Scheme", "Contacts", "%"]
                + [
                    f"{b.area_label(a)} %"
                    for _, a in b.comparators_with("dip_offender_management_share")
                ],
                [
                    [
                        Cell(data.item_label("offender_management", v.breakdown)),
                        count_cell(v),
                        pct_cell(v),
                    ]
                    + [
                        pct_cell(
                            b.get(
                                "dip_offender_management_share",
                                area=a,
                                bt="offender_management",
                                b=v.breakdown,
                            )
                        )
                        for _, a in b.comparators_with("dip_offender_management_share")
                    ]
                    for v in schemes
                ],
            )
        )
    sections.append(offending)

    # -- transfers out -----------------------------------------------------------------------------
    transfers = Section("transfers", "Transfers to another CJIT or prison")
    if transferred is not None:
        transfers.intro.append(
            Markup(
                "Of those needing further intervention who were not taken onto the caseload, {} ({}) transferred to another CJIT or prison."
            ).format(count_span(transferred), pct_span(transferred))
        )
    destinations = b.rows("dip_transfer_destination_share", "transfer_destination")
    if destinations:
        destinations.sort(key=lambda v: (v.is_suppressed, -(v.numerator or 0), v.breakdown))
        transfers.add(
            Table(
                f"Transferred to, {b.period}",
                ["Destination", "Contacts", "% of transfers out"],
                [
                    [
                        Cell(data.label("transfer_destination", v.breakdown)),
                        count_cell(v),
                        pct_cell(v),
                    ]
                    for v in destinations
                ],
            )
        )
    sections.append(transfers)
    return sections


# ============================================================================================


# ============================================================================================
# needs assessment (JSNA) and criminal justice

BULLSEYE_RINGS = ("in_treatment_at_end", "exited_in_period", "known_not_in_period", "not_known")
PROVIDER_COUNTS = (
    ("in_treatment", "In treatment"),
    ("new_presentations", "New presentations"),
    ("transfers_in", "Transfers in"),
    ("transfers_out", "Transfers out"),
    ("exits", "Exits"),
    ("planned_exits", "Planned exits"),
)
PROVIDER_MIX = (
    ("in_treatment_opiate", "Opiate"),
    ("in_treatment_non_opiate", "Non-opiate"),
    ("in_treatment_non_opiate_alcohol", "Non-opiate and alcohol"),
    ("in_treatment_alcohol_only", "Alcohol only"),
)


def _rate_cell(v: Value | None) -> Cell:
    """A rate per 1,000 with two decimals (never a bare small integer)."""
    if v is None:
        return Cell("", "ratio")
    if v.is_suppressed:
        return Cell(SUPPRESSED, "ratio", suppressed=True)
    if v.value is None:
        return Cell("", "ratio")
    return Cell(f"{v.value:,.2f}", "ratio")


def _rate_interval_cell(v: Value | None) -> Cell:
    if v is None or v.is_suppressed or v.lower_95 is None or v.upper_95 is None:
        return interval_cell(v)
    return Cell(f"{v.lower_95:,.2f}\u2013{v.upper_95:,.2f}", "interval")


def _needs_prevalence(b: Builder) -> Section:
    data = b.data
    section = Section("prevalence", "Prevalence, treatment penetration and unmet need")
    rate = b.get("prev_rate", bt="drug_group", b="ocu")
    if rate is not None and not rate.is_suppressed and rate.value is not None:
        section.intro.append(
            Markup(
                "An estimated {} people aged 15-64 used opiates and/or crack in {}: {} per 1,000 of the population aged 15-64."
            ).format(count_span(rate), b.period, number(f"{rate.value:,.2f}", "ratio"))
        )
    penetration = b.get("tx_penetration")
    unmet = b.get("tx_unmet_need", bt="drug_group", b="ocu")
    if penetration is not None and unmet is not None:
        section.intro.append(
            Markup(
                "{} of them were in treatment (penetration); an estimated {} ({}) were not (unmet need)."
            ).format(pct_span(penetration), count_span(unmet), pct_span(unmet))
        )
    rates = b.rows("prev_rate", "drug_group")
    if rates:
        region = (
            {v.breakdown: v for v in b.rows("prev_rate", "drug_group", area=b.region)}
            if b.region
            else {}
        )
        header = [
            "Drug group",
            "Estimated users",
            "Population aged 15-64",
            "Per 1,000",
            "95% interval",
        ]
        if b.region:
            header.append(f"{b.area_label(b.region)} per 1,000")
        table_rows = []
        for v in rates:
            row = [
                Cell(data.item_label("drug_group", v.breakdown)),
                count_cell(v),
                count_cell(v, "denominator"),
                _rate_cell(v),
                _rate_interval_cell(v),
            ]
            if b.region:
                row.append(_rate_cell(region.get(v.breakdown)))
            table_rows.append(row)
        if penetration is not None:
            table_rows.append(
                [
                    Cell("Treatment penetration (opiate and/or crack users in treatment)"),
                    count_cell(penetration, "denominator"),
                    Cell("", "count"),
                    pct_cell(penetration, 1),
                    interval_cell(penetration, 1),
                ]
                + ([pct_cell(b.get("tx_penetration", area=b.region), 1)] if b.region else [])
            )
        section.add(
            Table(
                f"Estimated prevalence per 1,000 population aged 15-64, {b.area_name}, {b.period}",
                header,
                table_rows,
                note="Intervals come from the prevalence estimate's own 95% bounds.",
            )
        )
    section.add(
        b.share_figure(
            f"Unmet need: estimated users aged 15-64 not in treatment, {b.area_name}, {b.period}",
            "tx_unmet_need",
            "drug_group",
            n_label="Not in treatment",
            note="The estimate minus people aged 15-64 in treatment in the year citing the group's drugs, never below zero, as a share of the estimate.",
        )
    )
    return section


def _needs_bullseye(b: Builder) -> Section:
    data = b.data
    section = Section("bullseye", "Treatment bullseye")
    rings = {v.breakdown: v for v in b.rows("bullseye_people", "ring")}
    if not rings:
        return section
    region = (
        {v.breakdown: v for v in b.rows("bullseye_people", "ring", area=b.region)}
        if b.region
        else {}
    )
    labels = [data.item_label("ring", r) for r in BULLSEYE_RINGS]
    points = [_count_point(rings.get(r)) for r in BULLSEYE_RINGS]
    fid = b.figure_id()
    alt = (
        f"Bullseye chart: opiate and crack users aged 15-64 by contact with treatment, {b.area_name}, {b.period}. "
        + "; ".join(
            f"{lab}: "
            + (
                "suppressed"
                if p.suppressed
                else f"{p.value:,.0f}"
                if p.value is not None
                else "no data"
            )
            for lab, p in zip(labels, points, strict=True)
        )
        + "."
    )
    header = ["Ring", "People"] + ([f"{b.area_label(b.region)}"] if b.region else [])
    table_rows = [
        [Cell(lab), count_cell(rings.get(r))] + ([count_cell(region.get(r))] if b.region else [])
        for lab, r in zip(labels, BULLSEYE_RINGS, strict=True)
    ]
    section.add(
        Figure(
            fid,
            f"Treatment bullseye, {b.area_name}, {b.period}",
            charts.bullseye(fid, list(zip(labels, points, strict=True)), alt),
            alt,
            Table("Treatment bullseye", header, table_rows),
            note="From the centre: in treatment at the year end; in treatment in the year but exited; known to treatment before the year but not in it; not known (the prevalence estimate minus the three, never below zero).",
        )
    )
    return section


def _needs_known(b: Builder) -> Section:
    data = b.data
    section = Section("known-to-treatment", "Known to treatment")
    section.add(
        b.share_figure(
            f"People known to treatment by cohort, {b.area_name}, {b.period}",
            "known_to_treatment",
            "cohort_known",
            n_label="People",
            full_labels=True,
            note="Ever: a treatment episode referred before the year's end; in the year: an episode overlapping it.",
        )
    )
    periods = [p for p in b.periods if data.has_rows("dip_entered_treatment", b.area, p)]
    if periods:
        values = [b.get("dip_entered_treatment", period=p) for p in periods]
        fid = b.figure_id()
        points = [_point(v) for v in values]
        alt = (
            f"Bar chart: DIP caseload contacts entering treatment within 84 days, {b.area_name}, by financial year. "
            + "; ".join(
                f"{p}: "
                + (
                    "suppressed"
                    if pt.suppressed
                    else f"{pt.value * 100:.0f}%"
                    if pt.value is not None
                    else "no data"
                )
                for p, pt in zip(periods, points, strict=True)
            )
            + "."
        )
        section.add(
            Figure(
                fid,
                f"DIP caseload contacts entering treatment within 84 days, {b.area_name}",
                charts.bars_over_time(
                    fid, periods, [("Entered treatment", points)], alt, kind="percent"
                ),
                alt,
                Table(
                    "DIP caseload contacts entering treatment within 84 days by year",
                    ["Year", "Entered treatment", "Caseload contacts", "%", "95% interval"],
                    [
                        [
                            Cell(p, "period"),
                            count_cell(v),
                            count_cell(v, "denominator"),
                            pct_cell(v),
                            interval_cell(v),
                        ]
                        for p, v in zip(periods, values, strict=True)
                    ],
                ),
                note="A treatment episode referred in the 84 days after the contact; one already open at the contact does not count.",
            )
        )
    return section


def _needs_drug_tests(b: Builder) -> Section:
    data = b.data
    section = Section("drug-tests", "Drug tests and repeat testers")
    periods = [p for p in b.periods if data.has_rows("mdt_tests", b.area, p)]
    if periods:
        values = [b.get("mdt_tests", period=p) for p in periods]
        points = [_count_point(v) for v in values]
        fid = b.figure_id()
        alt = _alt_series("Drug tests on arrest", b.area_name, periods, points, "tests")
        section.add(
            Figure(
                fid,
                f"Drug tests on arrest, {b.area_name}, by year",
                charts.bars_over_time(fid, periods, [("Tests", points)], alt),
                alt,
                Table(
                    "Drug tests by year",
                    ["Year", "Tests", "Change on previous year"],
                    [
                        [Cell(p, "period"), count_cell(v), change_cell(v)]
                        for p, v in zip(periods, values, strict=True)
                    ],
                ),
            )
        )
    latest = periods[-1] if periods else b.period
    for code, bt, title, n_label in (
        ("mdt_positive_share", "positive_type", "Drug tests by result", "Tests"),
        (
            "mdt_repeat_testers",
            "tests_band",
            "People testing positive by number of positive tests",
            "People",
        ),
        ("mdt_repeat_testers", "tests_band_known", "Repeat testers known to treatment", "People"),
    ):
        saved = b.period
        b.period = latest  # drug tests may end a year before treatment does
        section.add(
            b.share_figure(
                f"{title}, {b.area_name}, {latest}",
                code,
                bt,
                n_label=n_label,
                full_labels=bt == "tests_band_known",
            )
        )
        b.period = saved
    return section


def _needs_providers(b: Builder) -> Section:
    section = Section("provider-flows", "Treatment provider flows")
    rows = b.rows("provider_flows", "provider_measure")
    if not rows:
        return section
    by_provider: dict[str, dict[str, Value]] = {}
    for v in rows:
        provider, measure = v.breakdown.split("|", 1)
        by_provider.setdefault(provider, {})[measure] = v
    header = (
        ["Provider"]
        + [t for _, t in PROVIDER_COUNTS]
        + ["Planned exits %"]
        + [t for _, t in PROVIDER_MIX]
    )
    table_rows = []
    for provider in sorted(by_provider):
        got = by_provider[provider]
        exits, planned = got.get("exits"), got.get("planned_exits")
        if exits is None or planned is None:
            share = Cell("", "percent")
        elif exits.is_suppressed or planned.is_suppressed:
            share = Cell(SUPPRESSED, "percent", suppressed=True)
        elif exits.numerator:
            share = Cell(f"{planned.numerator / exits.numerator * 100:.0f}%", "percent")
        else:
            share = Cell("", "percent")
        table_rows.append(
            [Cell(provider)]
            + [count_cell(got.get(m)) for m, _ in PROVIDER_COUNTS]
            + [share]
            + [count_cell(got.get(m)) for m, _ in PROVIDER_MIX]
        )
    section.add(
        Table(
            f"Treatment provider flows, {b.area_name}, {b.period}",
            header,
            table_rows,
            note="Providers in the area where most of their clients live. Exits leave out transfers; planned exits are successful completions; the substance groups are those of each person's latest episode at the provider.",
        )
    )
    return section


def needs(b: Builder) -> list[Section]:
    """The needs assessment: prevalence, penetration and unmet need, the treatment bullseye,
    known to treatment by cohort, drug tests and repeat testers, and provider flows."""
    return [
        _needs_prevalence(b),
        _needs_bullseye(b),
        _needs_known(b),
        _needs_drug_tests(b),
        _needs_providers(b),
    ]


# ============================================================================================
# quarterly trends (quarters and rolling twelve months) after each document's own sections

QUARTERLY_CODES = {
    "harm-reduction": ("nsp_clients", "nsp_visits"),
    "treatment": ("tx_in_treatment",),
    "dip": ("dip_contacts",),
}
QUARTERS_SHOWN = 8


def _rolling_label(quarter: str) -> str:
    """'2020-21 Q3' -> '12m to 2020-12', the rolling twelve months ending with the quarter."""
    start, number = int(quarter[:4]), int(quarter[-1])
    year, month = (start + 1, "03") if number == 4 else (start, ("06", "09", "12")[number - 1])
    return f"12m to {year}-{month}"


def quarterly_trends(b: Builder) -> Section:
    """The headline counts by quarter up to the page's year (the latest eight quarters the data
    cover whole), with the change on the previous quarter and the rolling twelve months."""
    data = b.data
    section = Section("quarterly", "Quarterly trend")
    for code in QUARTERLY_CODES.get(b.kind.slug, ()):
        quarters = sorted(
            {
                v.period
                for v in data.sub_year.values()
                if v.indicator_code == code
                and v.area_code == b.area
                and v.period_type == "quarter"
                and v.period[:7] <= b.period
            }
        )[-QUARTERS_SHOWN:]
        if not quarters:
            continue
        if code not in b.used:
            b.used.append(code)
        values = [data.sub_year.get((code, b.area, q, "all", "all")) for q in quarters]
        rolling = [
            data.sub_year.get((code, b.area, _rolling_label(q), "all", "all")) for q in quarters
        ]
        title = data.catalogue[code].title if code in data.catalogue else code
        points = [_count_point(v) for v in values]
        fid = b.figure_id()
        alt = _alt_series(f"{title} by quarter", b.area_name, quarters, points, "count").replace(
            "by financial year", "by quarter"
        )
        section.add(
            Figure(
                fid,
                f"{title} by quarter, {b.area_name}",
                charts.bars_over_time(fid, quarters, [(title, points)], alt),
                alt,
                Table(
                    f"{title} by quarter",
                    [
                        "Quarter",
                        "Count",
                        "Change on previous quarter",
                        "Rolling twelve months to the quarter's end",
                    ],
                    [
                        [Cell(q, "period"), count_cell(v), change_cell(v), count_cell(r)]
                        for q, v, r in zip(quarters, values, rolling, strict=True)
                    ],
                ),
                note="Quarters of the financial year (Q1 is April to June); only quarters the data cover whole are shown.",
            )
        )
    return section


def _with_quarterly(
    build: Callable[[Builder], list[Section]],
) -> Callable[[Builder], list[Section]]:
    def built(b: Builder) -> list[Section]:
        return [*build(b), quarterly_trends(b)]

    return built


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


def _shown(v: Value | None) -> bool:
    """A value a sentence may quote: published, not suppressed."""
    return v is not None and not v.is_suppressed and v.value is not None


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
