"""The feedback index's flags, from one provider's latest month (no warehouse needed)."""

from __future__ import annotations

import datetime as dt

from orchestration.lib.quality.feedback import (
    ProviderFeedback,
    RuleFinding,
    Volume,
    render_index,
    render_provider_page,
)

MAY = dt.date(2024, 5, 1)
NOW = dt.datetime(2024, 6, 3, 9, 0)


def _finding(source: str, latest_failing: int | None) -> RuleFinding:
    return RuleFinding(
        source_name=source,
        field_name="sex",
        rule_kind="code_list",
        rule="sex in code list",
        what_to_fix="use the spec's codes",
        failing=7,
        checked=100,
        failing_months=2,
        latest_month=MAY,
        latest_checked=10 if latest_failing is not None else None,
        latest_failing=latest_failing,
        trend="same",
        last_failing_month=MAY,
        example_record_ids=("T1",),
    )


def test_closed_provider_is_flagged_closed_never_within_bounds() -> None:
    p = ProviderFeedback(
        "agency",
        "AGY0023",
        findings=[_finding("ims_nsp_transactions", None)],
        volumes=[Volume("ims_nsp_transactions", MAY, 0, None, "closed")],
        name="Cheshire East Mobile Unit",
        closed_date=dt.date(2017, 4, 7),
    )
    assert p.closed and p.severity == "closed" and p.silent_sources == []
    assert p.volume_summary() == "closed 07 Apr 2017"
    index = render_index([p], {("agency", "AGY0023"): "agency-agy0023.html"}, NOW, None)
    assert "Cheshire East Mobile Unit (AGY0023)" in index
    assert "closed 07 Apr 2017" in index and "within bounds" not in index
    assert "Closed 07 April 2017" in render_provider_page(p, NOW)


def test_provider_closed_after_the_latest_month_is_still_open() -> None:
    p = ProviderFeedback(
        "agency",
        "AGY1",
        volumes=[Volume("ims_interventions", MAY, 30, 28.0, "within_bounds")],
        closed_date=dt.date(2024, 7, 1),
    )
    assert not p.closed and p.volume_summary() == "within bounds" and p.severity == "fine"


def test_silent_provider_and_grouping_by_source_and_urgency() -> None:
    silent = ProviderFeedback(
        "treatment_provider",
        "TP9",
        volumes=[Volume("ndtms_episodes", MAY, 0, 30.0, "silent")],
    )
    small = ProviderFeedback(
        "treatment_provider",
        "TP8",
        volumes=[Volume("ndtms_episodes", MAY, 0, 3.0, "not_assessed")],
    )
    # an empty month of a provider that sends about three records a month is chance
    assert small.silent_sources == [] and small.severity == "fine"
    earlier = ProviderFeedback(
        "agency",
        "AGY2",
        findings=[_finding("ndtms_episodes", 0)],
        volumes=[Volume("ndtms_episodes", MAY, 12, 11.0, "within_bounds")],
    )
    assert silent.silent_sources == ["ndtms_episodes"] and silent.severity == "action"
    assert silent.volume_summary() == "silent in ndtms_episodes"
    assert earlier.severity == "earlier"
    pages = {("treatment_provider", "TP9"): "tp9.html", ("agency", "AGY2"): "agy2.html"}
    index = render_index([earlier, silent], pages, NOW, None)
    assert index.count(">ndtms_episodes</h2>") == 1
    assert index.index("Needs action") < index.index("tp9.html") < index.index("Failed in earlier")
    assert index.index("Failed in earlier") < index.index("agy2.html")
    assert "Silent</span>: no records in the latest month from ndtms_episodes" in (
        render_provider_page(silent, NOW)
    )
