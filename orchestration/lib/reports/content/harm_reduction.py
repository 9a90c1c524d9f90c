"""The harm reduction overview (IMS): NSP activity, client cohorts, brief interventions."""

from __future__ import annotations

from markupsafe import Markup

from orchestration.lib.reports import charts
from orchestration.lib.reports.content.builder import (
    Builder,
    _age_key,
    _alt_series,
    _count_point,
    _point,
)
from orchestration.lib.reports.data import Value
from orchestration.lib.reports.model import (
    Cell,
    Figure,
    Section,
    Table,
    change_cell,
    change_text,
    count_cell,
    count_span,
    number,
    pct_cell,
)

COHORTS_NSP = ("pwid_psychoactive", "pwid_iped")
IMS_COHORTS = ("pwid_psychoactive", "pwid_iped", "bi_only")


def harm_reduction(b: Builder) -> list[Section]:
    """The IMS overview: NSP activity over the years, IMS clients and cohorts, brief
    interventions by category."""
    return [_nsp(b), _cohorts(b), _interventions(b)]


def _nsp(b: Builder) -> Section:
    """Needle and syringe programmes: clients, visits and needles over all years."""
    data = b.data
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

    nsp.add(_nsp_by_cohort(b))
    if b.is_region:
        nsp.intro.extend(_decreases_in_areas(b))
    return nsp


def _cohorts(b: Builder) -> Section:
    """IMS clients and cohorts: clients by cohort over the years, cohort profiles, ages and
    recorded substances."""
    data = b.data
    cohorts = Section("cohorts", "IMS clients and cohorts")
    all_rows = b.get("ims_cohort_size")
    if all_rows is not None:
        cohorts.intro.append(
            Markup("{} people were recorded on IMS in {} ({}).").format(
                count_span(all_rows), b.period, data.area_name(b.area)
            )
        )
    cohorts.add(_cohorts_by_year(b))
    cohorts.add(_cohort_profiles(b))
    cohorts.add(_cohort_ages(b))
    for position in ("main", "second"):
        cohorts.add(_substances(b, position))
    return cohorts


def _interventions(b: Builder) -> Section:
    """Brief interventions by category."""
    interventions = Section("interventions", "Brief interventions by category")
    interventions.add(
        b.share_figure(
            f"Interventions by category, {b.area_name}, {b.period}",
            "ims_intervention_share",
            "category",
            dp=1,
            n_label="Interventions",
        )
    )
    return interventions


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


def _nsp_by_cohort(b: Builder) -> Figure:
    """People using NSPs by cohort, and their visits and needles, over the years."""
    data = b.data
    fid = b.figure_id()
    periods = b.periods
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
    return Figure(
        fid,
        f"People using needle and syringe programmes by cohort, {b.area_name}",
        charts.bars_over_time(fid, periods, series, alt),
        alt,
        Table("NSP activity by cohort and year", header, table_rows),
    )


def _cohorts_by_year(b: Builder) -> Figure:
    """IMS clients by cohort over the years."""
    data = b.data
    periods = b.periods
    fid = b.figure_id()
    series = [
        (
            data.label("cohort", c),
            [_count_point(b.get("ims_cohort_size", bt="cohort", b=c, period=p)) for p in periods],
        )
        for c in IMS_COHORTS
    ]
    rows = []
    for p in periods:
        rows.append(
            [Cell(p, "period")]
            + [
                count_cell(b.get("ims_cohort_size", bt="cohort", b=c, period=p))
                for c in IMS_COHORTS
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
    return Figure(
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


def _cohort_profiles(b: Builder) -> Table:
    """Each cohort in the year: people, share male, NSP visits per person, main substances."""
    data = b.data
    profile_rows = []
    for c in IMS_COHORTS:
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
    return Table(
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


def _cohort_ages(b: Builder) -> Figure | None:
    """The age profile of each cohort."""
    data = b.data
    bands: list[str] = []
    by_cohort: dict[str, dict[str, Value]] = {}
    for c in IMS_COHORTS:
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
    if not bands:
        return None
    fid = b.figure_id()
    groups = [
        (data.label("cohort", c), [_point(by_cohort[c].get(band)) for band in bands])
        for c in IMS_COHORTS
    ]
    alt = f"Grouped bar chart: age profile of each IMS cohort (share of the cohort in each five-year age band at 30 September), {b.area_name}, {b.period}."
    table_rows = [
        [Cell(band)]
        + [
            x
            for c in IMS_COHORTS
            for x in (count_cell(by_cohort[c].get(band)), pct_cell(by_cohort[c].get(band)))
        ]
        for band in bands
    ]
    return Figure(
        fid,
        f"Age profile of each cohort, {b.area_name}, {b.period}",
        charts.grouped_shares(fid, bands, groups, alt),
        alt,
        Table(
            "Age profile by cohort",
            ["Age band"]
            + [f"{data.label('cohort', c)}: {w}" for c in IMS_COHORTS for w in ("people", "%")],
            table_rows,
        ),
    )


def _substances(b: Builder, position: str) -> Figure | None:
    """The main or second substance recorded, by cohort."""
    data = b.data
    code = f"ims_{position}_substance_share"
    bt = f"cohort_{position}_substance"
    rows_all = b.rows(code, bt)
    if not rows_all:
        return None
    substances: dict[str, str] = {}  # substance -> a breakdown holding it (for its label)
    by: dict[str, dict[str, Value]] = {c: {} for c in IMS_COHORTS}
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
        for c in IMS_COHORTS
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
        f"{data.label('cohort', c)}: {w}" for c in IMS_COHORTS if by.get(c) for w in ("people", "%")
    ]
    table_rows = [
        [Cell(lab)]
        + [
            x
            for c in IMS_COHORTS
            if by.get(c)
            for x in (count_cell(by[c].get(s)), pct_cell(by[c].get(s)))
        ]
        for s, lab in zip(substances_list, labels, strict=True)
    ]
    recorded_note = "; ".join(
        f"{data.label('cohort', c)}: recorded for "
        + (count_cell(b.get(f"ims_{position}_substance_recorded", bt="cohort", b=c)).text or "0")
        + " people"
        for c in IMS_COHORTS
        if by.get(c)
    )
    return Figure(
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
