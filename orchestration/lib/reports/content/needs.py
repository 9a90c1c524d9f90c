"""The needs assessment (JSNA) and criminal justice."""

from __future__ import annotations

from markupsafe import Markup

from orchestration.lib.reports import charts
from orchestration.lib.reports.content.builder import (
    Builder,
    _alt_series,
    _alt_value,
    _count_point,
    _point,
)
from orchestration.lib.reports.data import Value
from orchestration.lib.reports.model import (
    SUPPRESSED,
    Cell,
    Figure,
    Section,
    Table,
    change_cell,
    count_cell,
    count_span,
    interval_cell,
    number,
    pct_cell,
    pct_span,
)

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
            f"{lab}: {_alt_value(p, lambda x: f'{x:,.0f}')}"
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
                f"{p}: {_alt_value(pt, lambda x: f'{x * 100:.0f}%')}"
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
