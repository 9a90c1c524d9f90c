"""The models kept per person and per window after an incremental build that re-sends treatment
episodes: what they keep and recompute, and every other table, equals a full refresh, and the
windows before the change keep the rows the first build wrote (``smw.windows_to_build``).

A supplier re-sends three episodes of the demo's last month in a file of its own: one that was
open, now discharged; one discharged ten days earlier than first sent (its discharge alone
changes, so only the windows from the earlier discharge date can change); and one whose
substance changed (everything from its referral can change)."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import run_build
from tests.conftest import KEPT_BY_MARKER, DemoBuild, full_refresh_differences, read_extract

pytestmark = pytest.mark.slow


def summary_load(con: duckdb.DuckDBPyConnection) -> int:
    """The highest load of the person-level extracts: the marker this build wrote."""
    return con.execute(
        "select max(_load_id) from intermediate.int_person_records_tracked"
    ).fetchall()[0][0]


def _landed_episodes(demo: DemoBuild) -> set[str]:
    con = duckdb.connect(str(demo.home.warehouse_db), read_only=True)
    try:
        rows = con.execute(
            "select split_part(record_key, ':', 2) from intermediate.int_person_records_tracked "
            "where source_name = 'ndtms_episodes' and person_id is not null"
        ).fetchall()
    finally:
        con.close()
    return {r[0] for r in rows}


def _current_versions(demo: DemoBuild) -> dict[str, dict[str, str]]:
    """Each landed episode's current version as sent: its last row in the window's month files
    (in the order they were landed), left out when that file writes its dates the UK way."""
    landed = _landed_episodes(demo)
    current: dict[str, dict[str, str] | None] = {}
    for path in sorted((demo.sent / "ndtms_episodes").glob("20[12]*.csv")):
        if " (" in path.name:  # a planted duplicate or variant of a month file
            continue
        rows = read_extract(path)
        iso = all("/" not in r["referral_date"] for r in rows)
        for row in rows:
            if row.get("episode_id", "").strip() in landed:
                current[row["episode_id"].strip()] = row if iso else None
    return {key: row for key, row in current.items() if row is not None}


def _resend_episodes(demo: DemoBuild) -> dict[str, date]:
    """Write the re-sent episodes into the landing folder; returns the date from which each
    can change the windows, by episode id. The three changes fall in the autumn of 2020 (the
    demo's treatment data are covered to the end of 2020: the windows of 2020-21 Q3 and the
    twelve months to December 2020 change, the earlier ones cannot)."""

    def day(row: dict[str, str], column: str) -> date | None:
        value = row[column].strip()
        return date.fromisoformat(value) if value else None

    autumn = (date(2020, 10, 1), date(2020, 11, 30))
    rows = sorted(_current_versions(demo).values(), key=lambda r: r["episode_id"])
    open_ = next(
        r
        for r in rows
        if day(r, "discharge_date") is None and autumn[0] <= day(r, "referral_date") <= autumn[1]
    )
    closed = [r for r in rows if day(r, "discharge_date") is not None]
    moved = next(
        r
        for r in closed
        if autumn[0] <= day(r, "discharge_date") <= autumn[1]
        and day(r, "discharge_date") - timedelta(days=10) >= day(r, "referral_date")
    )
    changed = next(
        r for r in closed if autumn[0] <= day(r, "referral_date") <= autumn[1] and r is not moved
    )
    open_["discharge_date"], open_["discharge_reason"] = "2020-12-20", moved["discharge_reason"]
    moved_to = day(moved, "discharge_date") - timedelta(days=10)
    moved["discharge_date"] = moved_to.isoformat()
    changed["substance_1"] = "cannabis" if changed["substance_1"] != "cannabis" else "cocaine"
    dest = demo.landing / "ndtms_episodes" / "resent-episodes.csv"
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(open_))
        writer.writeheader()
        writer.writerows([open_, moved, changed])
    return {
        open_["episode_id"].strip(): date(2020, 12, 20),
        moved["episode_id"].strip(): moved_to,
        changed["episode_id"].strip(): day(changed, "referral_date"),
    }


def test_an_incremental_build_keeps_what_a_full_refresh_would_compute(
    demo_build: DemoBuild, tmp_path: Path
) -> None:
    changed_from = _resend_episodes(demo_build)
    summary = run_build(demo_build.home.root, demo_build.landing, reports=False)
    assert summary.success, summary.failures
    warehouse = demo_build.home.warehouse_db
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tracked = con.execute(
            "select split_part(record_key, ':', 2), changed_from_date "
            "from intermediate.int_person_records_tracked "
            "where source_name = 'ndtms_episodes' and _load_id = "
            "(select max(_load_id) from intermediate.int_person_records_tracked)"
        ).fetchall()
        # the episodes' own changes, as the windows read them
        assert dict(tracked) == changed_from
        # the accumulated episodes took the re-sent versions in place of the first ones: the
        # same rows as the staging view, which ranks every version landed
        for query in (
            "from intermediate.int_ndtms_episodes_accumulated "
            "except all from staging.stg_ndtms__episodes",
            "from staging.stg_ndtms__episodes "
            "except all from intermediate.int_ndtms_episodes_accumulated",
        ):
            assert con.execute(f"select count(*) from ({query})").fetchall() == [(0,)], query
        resent = con.execute(
            "select count(*) from intermediate.int_ndtms_episodes_accumulated "
            "where _load_id = (select max(_load_id) from intermediate.int_person_records_tracked)"
        ).fetchall()
        assert resent == [(len(changed_from),)]
        # the treatment windows from the earliest change were computed by this build, the
        # earlier ones kept
        windows = con.execute(
            "select windows.end_date >= ?, counts._through_load_id = ?, count(*) "
            "from marts.fct_indicator_counts_periods as counts "
            "inner join marts.dim_reporting_periods as windows using (period) "
            "where counts.indicator_code like 'tx_%' group by all order by all",
            [min(changed_from.values()), summary_load(con)],
        ).fetchall()
        assert [w[:2] for w in windows] == [(False, False), (True, True)], windows
    finally:
        con.close()
    # every table the build keeps or rebuilds (intermediate, marts, serving) has the rows a
    # build from nothing computes: the incremental build changed no number
    differences = full_refresh_differences(warehouse, tmp_path, everything=True)
    assert set(KEPT_BY_MARKER) < set(differences) and len(differences) >= 60, sorted(differences)
    assert {t: d for t, d in differences.items() if d != (0, 0)} == {}, (
        "an incremental build kept rows a full refresh would change"
    )
