"""Raw suites on an incremental build read only the new loads (issue 19): per-load rules run on
the rows of the loads not yet validated and combine with the stored results of earlier loads;
whole-table rules and full builds read every row.

Fast: a small DuckDB file in tmp_path with a raw table and its load audit.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.quality import (
    SuiteResult,
    blocking_failures,
    load_suite,
    load_suites,
    validate,
)
from orchestration.lib.quality.runner_loads import ledger_path, rule_scope

SUITE = """
suite: raw.visits
table: raw.visits
id_column: visit_id
expectations:
  - type: expect_column_values_to_not_be_null
    kwargs: {column: code}
    severity: error
    rule: code_present
    notes: blocking
  - type: expect_column_values_to_match_regex
    kwargs: {column: code, regex: "^[A-Z]$"}
    severity: warning
    rule: code_one_letter
    notes: warns
  - type: expect_compound_columns_to_be_unique
    kwargs: {column_list: [visit_id, _load_id]}
    severity: error
    rule: visit_once_per_file
    notes: per load
  - type: expect_column_values_to_be_unique
    kwargs: {column: visit_id}
    severity: warning
    rule: visit_once_ever
    notes: across loads
  - type: expect_query_to_return_no_rows
    kwargs:
      unexpected_rows_query: select visit_id from {batch} where code = 'Z'
    severity: warning
    rule: code_not_z
    notes: a row rule in SQL
  - type: expect_column_values_to_not_be_null
    kwargs: {column: code, mostly: 0.6}
    severity: error
    rule: code_mostly_present
    notes: a share of the table
  - type: expect_query_to_return_no_rows
    kwargs:
      unexpected_rows_query: >
        select count(*) as missing_codes from {batch} where code is null
        having count(*) > 0.4 * (select count(*) from {batch})
    severity: error
    rule: code_present_systemic
    notes: a share of the table, in SQL
  - type: expect_table_row_count_to_be_between
    kwargs: {min_value: 1}
    severity: warning
    rule: not_empty
    notes: a table rule
"""


def _db(path: Path) -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute(
            """
            create schema raw; create schema audit;
            create table audit.loads (load_id bigint, source varchar, status varchar,
                                      sha256 varchar);
            create table raw.visits (visit_id varchar, code varchar, _load_id bigint,
                                     _row_number bigint);
            insert into raw.visits values
                ('V1', 'A', 1, 1), ('V2', 'bad', 1, 2), ('V3', 'Z', 1, 3);
            insert into audit.loads values (1, 'visits', 'loaded', 's1'),
                                           (2, 'visits', 'quarantined', 's2');
            """
        )
    finally:
        con.close()
    return path


def _land(db: Path, load_id: int, rows: Sequence[tuple[str, str | None]]) -> None:
    con = duckdb.connect(str(db))
    try:
        for i, (visit, code) in enumerate(rows, 1):
            con.execute("insert into raw.visits values (?, ?, ?, ?)", [visit, code, load_id, i])
        con.execute(
            "insert into audit.loads values (?, 'visits', 'loaded', ?)", [load_id, f"s{load_id}"]
        )
    finally:
        con.close()


def _rules(result: SuiteResult) -> dict[str, tuple[bool, int | None, int | None]]:
    return {e.rule: (e.success, e.unexpected_count, e.element_count) for e in result.expectations}


def _percents(result: SuiteResult) -> dict[str, float | None]:
    return {
        e.rule: None if e.unexpected_percent is None else round(e.unexpected_percent, 9)
        for e in result.expectations
    }


@pytest.fixture
def suite(tmp_path: Path):
    path = tmp_path / "suites" / "raw" / "visits.yml"
    path.parent.mkdir(parents=True)
    path.write_text(textwrap.dedent(SUITE), encoding="utf-8")
    return load_suite(path)


def test_incremental_build_validates_only_the_new_load(tmp_path: Path, suite) -> None:
    db, docs = _db(tmp_path / "w.duckdb"), tmp_path / "docs"

    # First validation: no stored results yet, so the whole table; the ledger starts.
    (first,) = validate(db, [suite], docs, "run-1", incremental=True)
    assert first.coverage and "whole table" in first.coverage
    assert first.new_loads is None
    assert _rules(first)["code_one_letter"] == (False, 1, 3)  # 'bad'
    ledger = json.loads(ledger_path(docs, suite.name).read_text())
    assert [e["loads"] for e in ledger["entries"]] == [[1]]  # load 2 was quarantined

    # A bad value planted in the old load after it was validated: an incremental build does
    # not read old loads again, so it is not reported as new.
    con = duckdb.connect(str(db))
    con.execute("update raw.visits set code = null where visit_id = 'V1'")
    con.close()
    # The next load: one null code (blocking), a good row, and V3 again (a later file).
    _land(db, 3, [("V4", None), ("V5", "B"), ("V3", "C")])

    (second,) = validate(db, [suite], docs, "run-2", incremental=True)
    assert second.new_loads == (3,)
    by_rule = {e.rule: e for e in second.expectations}
    # Per-load rules: this run's new rows plus the stored results of load 1.
    present = by_rule["code_present"]
    assert (present.success, present.unexpected_count, present.new_unexpected_count) == (
        False,
        1,  # V4 only: V1's planted null is in an old load
        1,
    )
    assert present.scope == "loads" and present.example_ids == ("V4",)
    assert [e.rule for e in blocking_failures([second])] == ["code_present"]
    # The earlier load's warning does not disappear, and is not counted as new.
    regex = by_rule["code_one_letter"]
    assert (regex.success, regex.unexpected_count, regex.new_unexpected_count) == (False, 1, 0)
    assert regex.element_count == 6
    assert by_rule["code_not_z"].unexpected_count == 1
    assert by_rule["code_not_z"].new_unexpected_count == 0
    # Whole-table rules read every row: V3 in two files.
    assert by_rule["visit_once_ever"].scope == "table"
    assert (by_rule["visit_once_ever"].success, by_rule["visit_once_ever"].unexpected_count) == (
        False,
        2,
    )
    assert by_rule["not_empty"].observed_value == 6
    assert by_rule["visit_once_per_file"].success
    # The GX page of the new loads' rows read three rows, not six.
    ledger = json.loads(ledger_path(docs, suite.name).read_text())
    assert [e["loads"] for e in ledger["entries"]] == [[1], [3]]
    assert ledger["entries"][1]["rules"]["code_present"]["element_count"] == 3

    # Data Docs: the run's page is the new loads' GX page; the rules page lists every rule; the
    # index says what the counts cover and how many failing rows are new.
    assert second.docs_page is not None and "__new_loads" in str(second.docs_page)
    (summary,) = [json.loads(f.read_text()) for f in (docs / "runs").glob("*_run-2.json")]
    (entry,) = summary["suites"]
    rules_page = " ".join(re.sub(r"<[^>]*>", " ", (docs / entry["rules_page"]).read_text()).split())
    for rule in ("never be null", "regular expression", "unique together", "must be unique"):
        assert rule in rules_page  # per-load rules and whole-table rules alike
    assert "greater than or equal to 1" in rules_page and "where code = " in rules_page
    assert entry["new_loads"] == [3]
    failed = {f["rule"]: f["in_new_loads"] for f in entry["failed"]}
    assert failed["code_one_letter"] == 0 and failed["code_present"] == 1
    index = (docs / "index.html").read_text()
    assert "1 new load(s) validated, 1 earlier load(s) from stored results" in index
    assert "0 in this run&#x27;s new loads" in index or "0 in this run's new loads" in index

    # A build with no new load: per-load results come from the ledger alone.
    (third,) = validate(db, [suite], docs, "run-3", incremental=True)
    assert third.new_loads == ()
    assert _rules(third)["code_present"] == (False, 1, 6)
    assert {e.rule for e in blocking_failures([third])} == {"code_present"}

    # A full build reads every row again: the planted null is found, the ledger starts over.
    (full,) = validate(db, [suite], docs, "run-4")
    assert full.new_loads is None
    assert _rules(full)["code_present"] == (False, 2, 6)
    ledger = json.loads(ledger_path(docs, suite.name).read_text())
    assert [e["loads"] for e in ledger["entries"]] == [[1, 3]]


def test_incremental_counts_equal_a_full_validation(tmp_path: Path, suite) -> None:
    db, docs = _db(tmp_path / "w.duckdb"), tmp_path / "docs"
    validate(db, [suite], docs, "run-1", incremental=True)
    _land(db, 3, [("V4", None), ("V5", "b"), ("V5", "Z")])
    _land(db, 4, [("V6", "C")])
    (incremental,) = validate(db, [suite], docs, "run-2", incremental=True)
    assert incremental.new_loads == (3, 4)
    whole_docs = tmp_path / "docs-full"
    (full,) = validate(db, [suite], whole_docs, "full")
    assert _rules(incremental) == _rules(full)
    assert _percents(incremental) == _percents(full)
    assert incremental.blocking and full.blocking  # V5 twice in load 3, V4's null


def test_shares_are_judged_on_every_load_as_a_full_validation_does(tmp_path: Path, suite) -> None:
    """A month's file with 2 of 3 codes missing: 67% missing there, 33% of the table. The
    ``mostly`` rule and the ``*_systemic`` share pass on the table, as on a full build."""
    db, docs = _db(tmp_path / "w.duckdb"), tmp_path / "docs"
    validate(db, [suite], docs, "run-1", incremental=True)
    _land(db, 3, [("V7", None), ("V8", None), ("V9", "C")])
    (incremental,) = validate(db, [suite], docs, "run-2", incremental=True)
    (full,) = validate(db, [suite], tmp_path / "docs-full", "full")
    by_rule = {e.rule: e for e in incremental.expectations}
    assert by_rule["code_mostly_present"].scope == "loads"
    assert (
        by_rule["code_mostly_present"].success,
        by_rule["code_mostly_present"].unexpected_count,
    ) == (True, 2)
    assert by_rule["code_present_systemic"].scope == "table"
    assert by_rule["code_present_systemic"].success
    assert _rules(incremental) == _rules(full)
    assert _percents(incremental) == _percents(full)
    assert [e.rule for e in blocking_failures([incremental])] == ["code_present"]


def test_a_load_leaving_the_table_or_a_changed_suite_revalidates(tmp_path: Path, suite) -> None:
    db, docs = _db(tmp_path / "w.duckdb"), tmp_path / "docs"
    validate(db, [suite], docs, "run-1", incremental=True)
    _land(db, 3, [("V4", "D")])
    validate(db, [suite], docs, "run-2", incremental=True)
    # Load 1 leaves the table (its audit row too): its stored results stop counting.
    con = duckdb.connect(str(db))
    con.execute("delete from raw.visits where _load_id = 1")
    con.execute("delete from audit.loads where load_id = 1")
    con.close()
    (after,) = validate(db, [suite], docs, "run-3", incremental=True)
    assert after.new_loads == ()
    assert after.coverage and "1 stored result(s) dropped" in after.coverage
    assert _rules(after)["code_one_letter"] == (True, 0, 1)
    # A changed rule: the ledger no longer matches, the whole table is read.
    changed = suite.__class__(
        name=suite.name,
        table=suite.table,
        expectations=suite.expectations[:2],
        path=suite.path,
        id_column=suite.id_column,
    )
    (again,) = validate(db, [changed], docs, "run-4", incremental=True)
    assert again.coverage == "the suite's rules changed: whole table"
    # A load id whose file is another one (a warehouse rebuilt from the archive): not the
    # stored results of the old file.
    validate(db, [suite], docs, "run-5", incremental=True)
    con = duckdb.connect(str(db))
    con.execute("update raw.visits set code = 'bad' where _load_id = 3")
    con.execute("update audit.loads set sha256 = 'other' where load_id = 3")
    con.close()
    (rebuilt,) = validate(db, [suite], docs, "run-6", incremental=True)
    assert rebuilt.new_loads == (3,)
    assert _rules(rebuilt)["code_one_letter"] == (False, 1, 1)


def test_rule_scopes_of_the_raw_suites() -> None:
    scopes = {
        e.rule: rule_scope(e)
        for s in load_suites()
        if s.schema_name == "raw"
        for e in s.expectations
    }
    assert scopes["raw_nsp_transaction_id_present"] == "loads"
    assert scopes["raw_nsp_transaction_date_not_in_future"] == "loads"
    assert scopes["raw_nsp_agency_known"] == "table"  # reads raw.ims_agencies
    assert scopes["raw_top_episode_known_systemic"] == "table"
    assert scopes["raw_epi_dates_in_order_systemic"] == "table"  # a share of {batch}
    assert scopes["raw_epi_discharge_not_before_referral"] == "loads"
    # Keys once per file (with _load_id) are per load.
    per_file = [
        e
        for s in load_suites()
        for e in s.expectations
        if e.type == "expect_compound_columns_to_be_unique" and "_load_id" in e.columns
    ]
    assert per_file and all(rule_scope(e) == "loads" for e in per_file)


def test_without_a_load_audit_raw_suites_read_whole_tables(tmp_path: Path, suite) -> None:
    db = _db(tmp_path / "w.duckdb")
    con = duckdb.connect(str(db))
    con.execute("drop table audit.loads")
    con.close()
    (result,) = validate(db, [suite], tmp_path / "docs", "run-1", incremental=True)
    assert result.coverage is None and result.new_loads is None
    assert _rules(result)["code_one_letter"] == (False, 1, 3)
