"""The treatment support pack's sections beyond the key indicators."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from orchestration.lib.reports.content.builder import (
    Builder,
    _shown,
)
from orchestration.lib.reports.content.indicators import (
    TREATMENT_GROUPS,
    Item,
    _by_group,
    _count_table,
    _headlines,
    _indicator_figure,
    _labelled,
)
from orchestration.lib.reports.model import (
    Figure,
    Section,
    count_span,
    pct_span,
)


def _support_pack(b: Builder) -> list[Section]:
    """The support pack's sections beyond the key indicators (domain: Indicators, second
    release): each with local n and % against the region and England and the trend."""
    return [
        _access(b),
        _routes(b),
        _who(b),
        _engagement(b),
        _top_outcomes(b),
        _health_protection(b),
        _safeguarding_housing(b),
    ]


def _pack_share(b: Builder, title: str, code: str, bt: str, n_label: str) -> Figure | None:
    """A share figure of the support pack: the area beside its region and England, to one
    decimal place."""
    return b.share_figure(
        f"{title}, {b.area_name}, {b.period}", code, bt, n_label=n_label, england=True, dp=1
    )


def _pack_indicators(b: Builder, title: str, items: Sequence[Item]) -> Figure | None:
    """An indicator figure of the support pack, its title naming the area and year."""
    return _indicator_figure(b, f"{title}, {b.area_name}, {b.period}", items)


def _access(b: Builder) -> Section:
    """Access and waiting times: new presentations and waits."""
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
        _pack_indicators(
            b,
            "Waiting times",
            _headlines("tx_wait_under_3w", "tx_wait_over_6w"),
        )
    )
    return access


def _routes(b: Builder) -> Section:
    """Routes into treatment: referral routes."""
    return Section.of(
        "routes",
        "Routes into treatment",
        _pack_share(
            b,
            "New presentations by referral route",
            "tx_referral_source_share",
            "referral_group",
            "New presentations",
        ),
        _pack_indicators(b, "Referral source recorded", _headlines("tx_referral_source_recorded")),
    )


def _who(b: Builder) -> Section:
    """Who is in treatment: substance group, ethnicity, setting, club drugs and medicines."""
    return Section.of(
        "who",
        "Who is in treatment",
        *(
            _pack_share(b, title, code, bt, "People")
            for title, code, bt in (
                (
                    "People in treatment by substance group, share of everyone in treatment",
                    "tx_substance_group_share",
                    "substance_group",
                ),
                ("People in treatment by ethnic group", "tx_ethnicity_share", "ethnic_group"),
                (
                    "People in treatment by setting of their latest episode",
                    "tx_setting_share",
                    "setting",
                ),
            )
        ),
        _pack_indicators(b, "Club drugs and medicines", _headlines("tx_club_drugs", "tx_pom_otc")),
    )


def _engagement(b: Builder) -> Section:
    """Engagement and time in treatment, residential rehabilitation."""
    return Section.of(
        "engagement",
        "Engagement and time in treatment",
        _pack_indicators(
            b,
            "Engagement, early exits and time in treatment",
            [
                ("tx_effective_engagement", "all", "all", None),
                *_by_group(b, "tx_effective_engagement", "Engaged")[1:],
                ("tx_early_unplanned_exit", "all", "all", None),
                ("tx_long_term", "all", "all", None),
                *_by_group(b, "tx_long_term", "Two years or more")[1:],
            ],
        ),
        _count_table(
            b, "People in residential rehabilitation by year", _by_group(b, "tx_residential_rehab")
        ),
    )


def _top_outcomes(b: Builder) -> Section:
    """Treatment outcomes (TOP) at the six-month review."""
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
        _pack_indicators(
            b,
            "Abstinent at review, by drug used at start",
            _labelled(b, [("top_abstinent", "top_drug", d, None) for d in drugs]),
        )
    )
    top.add(
        _pack_indicators(
            b,
            "Reduced use (at most half the days) at review, by drug",
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
        _pack_indicators(
            b,
            "Injecting, housing and work at review",
            _headlines("top_injecting_stopped", "top_housing_resolved", "top_paid_work"),
        )
    )
    return top


def _health_protection(b: Builder) -> Section:
    """Health protection: hepatitis B and C testing and vaccination."""
    return Section.of(
        "health-protection",
        "Health protection: hepatitis B and C",
        _pack_indicators(
            b,
            "Hepatitis testing and vaccination of people who have injected",
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
        ),
    )


def _safeguarding_housing(b: Builder) -> Section:
    """Safeguarding, housing and employment at the start of treatment."""
    return Section.of(
        "safeguarding-housing",
        "Safeguarding, housing and employment at the start of treatment",
        *(
            _pack_share(b, title, code, bt, "New presentations")
            for title, code, bt in (
                ("Parental status of new presentations", "tx_parental_share", "parental_status"),
                (
                    "Accommodation need of new presentations",
                    "tx_housing_share",
                    "accommodation_need",
                ),
                (
                    "Employment status of new presentations",
                    "tx_employment_share",
                    "employment_status",
                ),
            )
        ),
        _pack_indicators(
            b,
            "Recorded at the start of treatment",
            _headlines("tx_parental_recorded", "tx_housing_recorded", "tx_employment_recorded"),
        ),
    )
