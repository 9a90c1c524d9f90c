"""The DIP activity profile."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from orchestration.lib.reports import charts
from orchestration.lib.reports.charts import Point
from orchestration.lib.reports.content.builder import (
    Builder,
    _age_key,
    _alt_series,
    _and,
    _count_point,
    _point,
    _when,
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
    fmt_int,
    number,
    pct_cell,
    pct_span,
)

ROUTE_GROUPS = (
    "required_assessment",
    "other_cj_route",
    "transfer_completed",
    "transfer_not_completed",
)


def dip(b: Builder) -> list[Section]:
    """The DIP activity profile: activity and routes, demographics, drug use, alcohol use,
    offending and transfers out."""
    contacts = b.get("dip_contacts")
    assessed = b.get("dip_assessed")
    further = b.get("dip_further_required")
    caseload = b.get("dip_caseload")
    transferred = b.get("dip_transferred_out")
    return [
        _activity(b, contacts, assessed, further, caseload, transferred),
        _demographics(b),
        _drugs(b),
        _alcohol(b),
        _offending(b),
        _transfers(b, transferred),
    ]


def _activity(
    b: Builder,
    contacts: Value | None,
    assessed: Value | None,
    further: Value | None,
    caseload: Value | None,
    transferred: Value | None,
) -> Section:
    """DIP activity and criminal justice routes: contacts, the funnel, routes in detail."""
    data = b.data
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
    activity.add(_funnel(b, contacts, assessed, further, caseload, transferred))
    activity.add(_contacts_by_year(b))
    activity.add(
        b.share_figure(
            f"Routes into DIP, {b.area_name}, {b.period}", "dip_route_share", "route_group"
        )
    )
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
    return activity


def _demographics(b: Builder) -> Section:
    """The demographic profile: sex, age, ethnicity and residence of contacts."""
    data = b.data
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
    demo.add(
        b.share_figure(
            f"DIP contacts by age band, {b.area_name}, {b.period}", "dip_age_share", "age_band"
        )
    )
    demo.add(_age_by_sex(b))
    for title, code, bt in (
        ("Ethnicity of DIP contacts", "dip_ethnicity_share", "ethnicity_group"),
        ("Where DIP contacts live", "dip_residence_share", "residence"),
    ):
        demo.add(b.share_figure(f"{title}, {b.area_name}, {b.period}", code, bt))
    return demo


def _drugs(b: Builder) -> Section:
    """Drug use: drugs mentioned, route of administration, injecting status."""
    data = b.data
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
    drugs.add(
        b.share_figure(
            f"Drugs used by DIP contacts (share of drug mentions), {b.area_name}, {b.period}",
            "dip_drug_mention_share",
            "drug",
            n_label="Mentions",
            note="A contact can report more than one drug, so mentions outnumber contacts.",
        )
    )
    drugs.add(
        b.share_figure(
            f"Route of administration of the main drug, {b.area_name}, {b.period}",
            "dip_drug_route_share",
            "drug_route",
            note="Percentages are of contacts with a route recorded.",
        )
    )
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
    drugs.add(
        b.share_figure(
            f"Injecting status, {b.area_name}, {b.period}",
            "dip_injecting_share",
            "injecting_status",
            note="Percentages are of contacts with an injecting status recorded.",
        )
    )
    return drugs


def _alcohol(b: Builder) -> Section:
    """Alcohol use: drinking days and daily units by sex."""
    data = b.data
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
        alt = _grouped_alt(
            f"Grouped bar chart: {title.lower()} by sex, {b.area_name}, {b.period}. ",
            band_labels,
            groups,
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
                        _by_sex_row(lab, by, sexes_shown, band)
                        for band, lab in zip(bands, band_labels, strict=True)
                    ],
                    note=n_text,
                ),
                note="Percentages are of each sex's contacts with the item recorded.",
            )
        )
    return alcohol


def _offending(b: Builder) -> Section:
    """Offending: the offence prompting the contact and offender management schemes."""
    data = b.data
    offending = Section("offending", "Offending")
    offending.add(
        b.share_figure(
            f"Offence prompting the contact, {b.area_name}, {b.period}",
            "dip_offence_share",
            "offence",
        )
    )
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
    return offending


def _transfers(b: Builder, transferred: Value | None) -> Section:
    """Transfers to another CJIT or prison."""
    data = b.data
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
    return transfers


def _funnel(
    b: Builder,
    contacts: Value | None,
    assessed: Value | None,
    further: Value | None,
    caseload: Value | None,
    transferred: Value | None,
) -> Figure | None:
    """The funnel: contacts, assessed, further intervention required, taken onto the caseload
    and transferred out."""
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
    if not funnel_stages:
        return None
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
    return Figure(
        fid,
        f"DIP activity, {b.area_name}, {b.period}",
        charts.funnel(fid, funnel_stages, alt),
        alt,
        Table("DIP activity", ["Stage", "Contacts", "Share"], table_rows),
        note="Contacts are counted as taken onto the caseload when a care plan is drawn up after a full assessment, or when they are taken on following a transfer.",
    )


def _contacts_by_year(b: Builder) -> Figure:
    """DIP contacts in every year up to the page's that the area's DIP data cover (an area in
    the data for years of its own, Salford, has contacts for 2007-08 only: its 2006-07 is not
    a year of none, and is not drawn as one)."""
    series = b.data.series("dip_contacts", b.area)
    series = [(p, r) for p, r in series if p <= b.period and r is not None]
    points = [_count_point(r) for _, r in series]
    fid = b.figure_id()
    periods = [p for p, _ in series]
    alt = _alt_series("DIP contacts", b.area_name, periods, points, "contacts")
    return Figure(
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


def _age_by_sex(b: Builder) -> Figure | None:
    """Age band within each sex (Table 1 of the profile)."""
    data = b.data
    age_sex = b.rows("dip_age_share", "sex_age_band")
    if not age_sex:
        return None
    bands = sorted({v.breakdown.split("|", 1)[1] for v in age_sex}, key=_age_key)
    by = {(v.breakdown.split("|", 1)[0], v.breakdown.split("|", 1)[1]): v for v in age_sex}
    sexes_shown = [s for s in ("female", "male") if any(k[0] == s for k in by)]
    fid = b.figure_id()
    groups = [
        (data.item_label("sex", s), [_point(by.get((s, band))) for band in bands])
        for s in sexes_shown
    ]
    alt = _grouped_alt(
        f"Grouped bar chart: age band of DIP contacts within each sex, {b.area_name}, {b.period}. ",
        bands,
        groups,
    )
    totals = [b.get("dip_sex_share", bt="sex", b=s) for s in sexes_shown]
    return Figure(
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
                _by_sex_row(data.item_label("age_band", band), by, sexes_shown, band)
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


def _grouped_alt(
    prefix: str, labels: Sequence[str], groups: Sequence[tuple[str, Sequence[Point]]]
) -> str:
    """The alt text of a grouped share chart: each group's shares by label."""
    return (
        prefix
        + "; ".join(
            f"{name}: "
            + ", ".join(
                f"{lab} " + ("suppressed" if p.suppressed else f"{p.value * 100:.0f}%")
                for lab, p in zip(labels, pts, strict=True)
                if p.suppressed or p.value is not None
            )
            for name, pts in groups
        )
        + "."
    )


def _by_sex_row(
    label: str, by: dict[tuple[str, str], Value], sexes: Sequence[str], band: str
) -> list[Cell]:
    """A table row: the band's label, then its count and share for each sex."""
    return [Cell(label)] + [
        x for s in sexes for x in (count_cell(by.get((s, band))), pct_cell(by.get((s, band))))
    ]
