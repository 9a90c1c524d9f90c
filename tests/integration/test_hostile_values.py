"""Issue 22, section 1: valid-looking but impossible values never reach a sum.

A copy of the session's demo home receives one more file per source with hostile values (a count
of 9223372036854775807, estimates of 1e309, -1e309, inf and NaN, dates of birth after the visit
and 120 years before it) and builds again. The build publishes; nothing non-finite is served;
each value is reported naming file, record and field; the records with an impossible date of
birth are linked to nobody and counted nowhere; no hostile value is stored in Data Docs or the
feedback pages.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest

from orchestration.lib.paths import Home
from tests.conftest import read_extract
from tests.db import rows as _query

pytestmark = pytest.mark.slow

HUGE = "9223372036854775807"
ISO = r"\d{4}-\d\d-\d\d"


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _last_sent(demo_build, source: str, *iso_dates: str) -> list[dict[str, str]]:
    """The rows of the source's latest file whose named dates are written YYYY-MM-DD."""
    files = sorted((demo_build.sent / source).glob("*"))
    rows = read_extract(files[-1])
    return [r for r in rows if all(re.fullmatch(ISO, r.get(d) or "") for d in iso_dates)]


@pytest.fixture(scope="module")
def hostile(demo_build, tmp_path_factory):
    from orchestration.cli import run_build

    root = tmp_path_factory.mktemp("hostile")
    home = Home.at(root / "home")
    shutil.copytree(demo_build.home.root, home.root, symlinks=True)
    landing = root / "landing"

    # NSP: re-send three visits of the latest file (same ids, so the new version replaces the
    # old): one with an impossible count, one born after the visit, one born 120 years before.
    nsp = _last_sent(demo_build, "ims_nsp_transactions", "transaction_date", "date_of_birth")[:3]
    nsp[0]["needles_issued"] = HUGE
    visit = nsp[1]["transaction_date"]
    nsp[1]["date_of_birth"] = f"{int(visit[:4]) + 1}{visit[4:10]}"
    nsp[2]["date_of_birth"] = f"{int(nsp[2]['transaction_date'][:4]) - 120}-01-15"
    _write(landing / "ims_nsp_transactions" / "2099-01 hostile.csv", nsp)

    # DIP: one contact born after the contact.
    dip = _last_sent(demo_build, "dip_contacts", "contact_date", "date_of_birth")[:1]
    contact = dip[0]["contact_date"]
    dip[0]["date_of_birth"] = f"{int(contact[:4]) + 1}{contact[4:10]}"
    _write(landing / "dip_contacts" / "2099-01 hostile.csv", dip)

    # Prevalence: four estimates of existing areas and periods replaced by non-finite text.
    prevalence = _last_sent(demo_build, "prevalence_estimates")[:4]
    for row, value in zip(prevalence, ("1e309", "-1e309", "inf", "NaN"), strict=True):
        row.update(estimate=value, lower_95="", upper_95="")
    _write(landing / "prevalence_estimates" / "2099 hostile.csv", prevalence)

    # Population and England benchmarks: a count beyond a bigint, a numerator of 1e309.
    population = _last_sent(demo_build, "population")[:1]
    population[0]["population"] = "99999999999999999999"
    _write(landing / "population" / "2099 hostile.csv", population)
    benchmarks = _last_sent(demo_build, "national_benchmarks")[:1]
    benchmarks[0]["numerator"] = "1e309"
    _write(landing / "national_benchmarks" / "2099 hostile.csv", benchmarks)

    summary = run_build(home.root, landing, reports=False)
    return {
        "home": home,
        "summary": summary,
        "nsp": nsp,
        "dip": dip,
        "prevalence": prevalence,
    }


def test_the_build_publishes_the_rest(hostile):
    summary = hostile["summary"]
    assert summary.success and summary.published, summary.failure_message
    assert not summary.checks_failed


def test_nothing_non_finite_is_served(hostile):
    db = hostile["home"].serving_db
    columns = _query(
        db,
        "select table_schema, table_name, column_name from information_schema.columns "
        "where data_type in ('DOUBLE', 'FLOAT', 'REAL')",
    )
    assert columns
    for schema, table, column in columns:
        bad = _query(
            db,
            f'select count(*) from "{schema}"."{table}" '
            f'where isinf("{column}") or isnan("{column}")',
        )
        assert bad == [(0,)], f"{schema}.{table}.{column} holds a non-finite value"
    needles = _query(db, "select max(needles) from serving.rpt_nsp_activity")[0][0]
    assert needles < 10_000_000


def test_each_value_is_reported_naming_file_record_and_field(hostile):
    problems = set(
        _query(
            hostile["home"].warehouse_db,
            "select source_name, file_name, record_key, field_name, value_class "
            "from marts.fct_row_problems where file_name like '%hostile%'",
        )
    )
    nsp, dip, prev = hostile["nsp"], hostile["dip"], hostile["prevalence"]
    nsp_file, dip_file, prev_file = "2099-01 hostile.csv", "2099-01 hostile.csv", "2099 hostile.csv"
    expected = {
        ("ims_nsp_transactions", nsp_file, nsp[0]["transaction_id"], "needles_issued", "out_of_range"),
        ("ims_nsp_transactions", nsp_file, nsp[1]["transaction_id"], "date_of_birth", "after_event"),
        ("ims_nsp_transactions", nsp_file, nsp[2]["transaction_id"], "date_of_birth",
         "over_110_years_before_event"),
        ("dip_contacts", dip_file, dip[0]["contact_id"], "date_of_birth", "after_event"),
    }  # fmt: skip
    assert expected <= problems
    classes = {p[4] for p in problems if p[0] == "prevalence_estimates" and p[3] == "estimate"}
    assert classes == {"out_of_range", "not_a_number"}
    assert ("population", "2099 hostile.csv", "population", "out_of_range") in {
        (p[0], p[1], p[3], p[4]) for p in problems
    }
    assert ("national_benchmarks", "2099 hostile.csv", "numerator", "out_of_range") in {
        (p[0], p[1], p[3], p[4]) for p in problems
    }
    assert len(
        [p for p in problems if p[0] == "prevalence_estimates" and p[1] == prev_file]
    ) >= len(prev)


def test_records_with_an_impossible_birth_date_count_nowhere(hostile):
    db = hostile["home"].warehouse_db
    rejected_nsp = [r["transaction_id"] for r in hostile["nsp"][1:]]
    rejected_dip = hostile["dip"][0]["contact_id"]
    ids = ", ".join(f"'{i}'" for i in rejected_nsp)
    staged = _query(
        db,
        "select transaction_id, person_id, birth_month_problem "
        f"from intermediate.int_nsp_transactions_accumulated where transaction_id in ({ids})",
    )
    assert len(staged) == 2 and all(p is None and c for _, p, c in staged), staged
    assert _query(
        db,
        "select count(*) from intermediate.int_person_records_unioned "
        f"where (source = 'nsp' and record_id in ({ids})) "
        f"or (source = 'dip' and record_id = '{rejected_dip}')",
    ) == [(0,)]
    assert _query(
        db,
        "select count(*) from intermediate.int_dip_contacts_classified "
        f"where contact_id = '{rejected_dip}'",
    ) == [(0,)]


def test_range_rules_warn_with_record_ids_and_store_no_values(hostile):
    home = hostile["home"]
    run = json.loads(sorted((home.data_docs_dir / "runs").glob("*-raw.json"))[-1].read_text())
    failed = {f["rule"]: f for s in run["suites"] for f in s["failed"]}
    rule = failed["raw_nsp_needles_issued_in_range"]
    assert rule["severity"] == "warning"
    assert rule["unexpected_count"] >= 1
    assert "raw_prev_estimate_in_range" in failed
    stored = "\n".join(
        p.read_text(errors="replace")
        for folder in (home.data_docs_dir, home.data_quality_dir)
        for p in folder.rglob("*")
        if p.suffix in (".json", ".html")
    )
    assert hostile["nsp"][0]["transaction_id"] in stored
    for value in (HUGE, "1e309"):
        assert value not in stored, f"{value} was stored"


def test_prevalence_estimates_that_were_not_finite_are_empty_in_staging(hostile):
    rows = _query(
        hostile["home"].warehouse_db,
        "select estimate from staging.stg_reference__prevalence_estimates "
        "where _file_name = '2099 hostile.csv'",
    )
    assert len(rows) == len(hostile["prevalence"])
    assert all(r[0] is None for r in rows), rows
