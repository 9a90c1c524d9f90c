"""Great Expectations on DuckDB: the buffered dialect, suite loading, the runner and Data Docs.

Fast: every test builds a small DuckDB file in tmp_path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import registry

from orchestration.lib.paths import SUITES_DIR
from orchestration.lib.quality import (
    SuiteError,
    SuiteResult,
    blocking_failures,
    load_suite,
    load_suites,
    validate,
    warnings,
)
from orchestration.lib.quality.dialect import (
    DIALECT_NAME,
    BufferedDuckDBDialect,
    connection_url,
    register,
)
from orchestration.lib.quality.suites import suite_files
from orchestration.lib.spec import LINEAGE_COLUMNS, SOURCES_BY_NAME
from tests.suites import write_suite

# --- helpers ----------------------------------------------------------------------------------


def _make_db(path: Path, sql: str) -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute(sql)
    finally:
        con.close()
    return path


def _by_rule(results: Sequence[SuiteResult]) -> dict[str, object]:
    return {e.rule: e for r in results for e in r.expectations}


# Columns of every table a committed suite may name. Raw tables follow the extract specification
# (landing keeps values as text, plus pseudonym and lineage columns); other layers are listed.
_INT_LINEAGE = {"_load_id": "INTEGER", "_row_number": "INTEGER"}
_MODEL_COLUMNS: dict[str, dict[str, str]] = {
    "marts.fct_nsp_area_periods": {
        "area_code": "VARCHAR",
        "period": "VARCHAR",
        "clients": "BIGINT",
        "visits": "BIGINT",
        "needles": "BIGINT",
    },
}


def _table_columns(table: str) -> Mapping[str, str]:
    schema, name = table.split(".", 1)
    if schema == "raw" and name in SOURCES_BY_NAME:
        columns = [*SOURCES_BY_NAME[name].raw_columns, *LINEAGE_COLUMNS]
        return {c: _INT_LINEAGE.get(c, "VARCHAR") for c in columns}
    if table not in _MODEL_COLUMNS:
        pytest.fail(f"add the columns of {table} to _MODEL_COLUMNS in {Path(__file__).name}")
    return _MODEL_COLUMNS[table]


# --- the dialect ------------------------------------------------------------------------------


def test_dialect_is_registered_idempotently() -> None:
    register()
    register()
    assert registry.load(DIALECT_NAME) is BufferedDuckDBDialect
    assert connection_url("/x/warehouse.duckdb") == "duckdb+buffered:////x/warehouse.duckdb"


def test_rows_survive_the_connection_going_back_to_the_pool(tmp_path: Path) -> None:
    # The GX failure mode: fetch after the connection has been returned to the pool.
    db = _make_db(tmp_path / "w.duckdb", "create table t as select range as i from range(3)")
    engine = sa.create_engine(connection_url(db))
    try:
        with engine.connect() as con:
            result = con.execute(sa.text("select count(*), max(i) from t"))
        assert result.fetchall() == [(3, 2)]
    finally:
        engine.dispose()


def test_dialect_is_read_only_and_reflects_schemas(tmp_path: Path) -> None:
    db = _make_db(
        tmp_path / "w.duckdb",
        "create schema raw; create table raw.t (id varchar, n bigint, d date, x decimal(9,2))",
    )
    engine = sa.create_engine(connection_url(db))
    try:
        columns = sa.inspect(engine).get_columns("t", schema="raw")
        assert [(c["name"], type(c["type"]).__name__) for c in columns] == [
            ("id", "VARCHAR"),
            ("n", "BIGINT"),
            ("d", "DATE"),
            ("x", "NUMERIC"),
        ]
        with engine.connect() as con, pytest.raises(sa.exc.DBAPIError, match="read-only"):
            con.execute(sa.text("create table raw.u (i int)"))
    finally:
        engine.dispose()


# --- the runner against a known table ---------------------------------------------------------

_TEST_TABLE = """
create schema raw;
create table raw.visits as
select
    'V' || i::varchar as visit_id,
    case when i % 10 = 0 then null else 'A1' end as agency_code,
    case when i % 25 = 0 then 'bad' else '2020-04-01' end as visit_date,
    case when i % 4 = 0 then ' Heroin ' else 'heroin' end as substance,
    i as n,
    i * 2 as m,
    case when i % 5 = 0 then '1980' else '1980-01' end as birth_month
from range(100) t(i);
"""

_TEST_SUITE = """
suite: raw.visits
table: raw.visits
id_column: visit_id
expectations:
  - type: expect_column_values_to_not_be_null
    kwargs: {column: visit_id}
    severity: error
    rule: visit_id_present
    notes: passes
  - type: ExpectColumnValuesToNotBeNull
    kwargs: {column: agency_code}
    severity: error
    rule: agency_present
    notes: fails on 10 rows
  - type: expect_column_values_to_match_like_pattern
    kwargs: {column: visit_date, like_pattern: '____-__-__'}
    severity: warning
    rule: visit_date_shape
    notes: fails on 4 rows
  - type: expect_column_values_to_match_regex
    kwargs: {column: visit_date, regex: '^\\d{4}-\\d{2}-\\d{2}$'}
    severity: warning
    rule: visit_date_regex
    notes: fails on the same 4 rows
  - type: expect_column_values_to_be_in_set
    kwargs: {column: substance, value_set: {code_list: ims_injected_substance}}
    severity: warning
    rule: substance_coded
    notes: fails on 25 rows (' Heroin ')
  - type: expect_column_values_to_be_between
    kwargs: {column: n, min_value: 0, max_value: 89}
    severity: error
    rule: n_in_range
    notes: fails on 10 rows
  - type: expect_column_values_to_be_of_type
    kwargs: {column: n, type_: BIGINT}
    severity: error
    rule: n_is_bigint
    notes: passes
  - type: expect_column_pair_values_a_to_be_greater_than_b
    kwargs: {column_A: m, column_B: n, or_equal: true}
    severity: error
    rule: m_at_least_n
    notes: passes
  - type: expect_compound_columns_to_be_unique
    kwargs: {column_list: [agency_code, substance]}
    severity: warning
    rule: agency_substance_unique
    notes: fails
  - type: expect_table_row_count_to_be_between
    kwargs: {min_value: 1, max_value: 1000}
    severity: error
    rule: has_rows
    notes: passes
  - type: expect_column_values_to_match_like_pattern
    kwargs: {column: birth_month, like_pattern: '____-__'}
    severity: warning
    rule: birth_month_shape
    notes: fails on 20 rows; values are never shown
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, list[SuiteResult]]]:
    root = tmp_path_factory.mktemp("gx")
    db = _make_db(root / "warehouse.duckdb", _TEST_TABLE)
    suite = load_suite(write_suite(root / "suites", "raw", "visits", _TEST_SUITE))
    docs = root / "home" / "data-docs"
    cwd = root / "cwd"
    cwd.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)  # GX must not write a project folder where it runs
        results = validate(db, [suite], docs, "run-1")
    assert not any(cwd.iterdir())
    yield db, docs, results


def test_gx_really_evaluates_against_duckdb(run: tuple[Path, Path, list[SuiteResult]]) -> None:
    _, _, results = run
    rules = _by_rule(results)
    expected = {  # rule: (success, unexpected_count)
        "visit_id_present": (True, 0),
        "agency_present": (False, 10),
        "visit_date_shape": (False, 4),
        "visit_date_regex": (False, 4),
        "substance_coded": (False, 25),
        "n_in_range": (False, 10),
        "m_at_least_n": (True, 0),
        "birth_month_shape": (False, 20),
    }
    for rule, (success, unexpected) in expected.items():
        e = rules[rule]
        assert e.exception is None, (rule, e.exception)
        assert (e.success, e.unexpected_count, e.element_count) == (success, unexpected, 100), rule
    assert rules["has_rows"].success and rules["has_rows"].observed_value == 100
    assert rules["n_is_bigint"].success, rules["n_is_bigint"].observed_value
    assert not rules["agency_substance_unique"].success
    assert rules["agency_present"].column == "agency_code"
    assert rules["m_at_least_n"].column == "m, n"
    assert rules["n_in_range"].unexpected_percent == pytest.approx(10.0)


def test_examples_show_source_ids_never_values(run: tuple[Path, Path, list[SuiteResult]]) -> None:
    """Issue 22: results keep counts and source record ids, never the failing values."""
    _, docs, results = run
    rules = _by_rule(results)
    assert rules["visit_date_shape"].example_ids == ("V0", "V25", "V50", "V75")
    assert rules["visit_date_shape"].unexpected_count
    assert 0 < len(rules["agency_present"].example_ids) <= 5
    assert all(e.example_values == () for r in results for e in r.expectations)
    # GX's stored results and rendered pages (smw's index shows the suites' own notes, which
    # in this test's suite quote the planted value).
    stored = [p for p in [*docs.rglob("*.html"), *docs.rglob("*.json")] if "validations" in p.parts]
    assert stored
    for path in stored:
        assert " Heroin " not in path.read_text(encoding="utf-8"), path


def test_protected_values_are_never_reported(run: tuple[Path, Path, list[SuiteResult]]) -> None:
    _, docs, results = run
    birth = _by_rule(results)["birth_month_shape"]
    assert birth.example_values == () and birth.observed_value is None
    assert birth.example_ids  # the source record ids are still there
    for path in [*docs.rglob("*.html"), *docs.rglob("*.json")]:
        if "static" in path.parts:
            continue
        assert not re.search(r"\b1980\b(?!-)", path.read_text(encoding="utf-8")), path


def test_severity_is_carried_through(run: tuple[Path, Path, list[SuiteResult]]) -> None:
    results = run[2]
    assert {e.rule for e in blocking_failures(results)} == {"agency_present", "n_in_range"}
    assert {e.rule for e in warnings(results)} == {
        "visit_date_shape",
        "visit_date_regex",
        "substance_coded",
        "agency_substance_unique",
        "birth_month_shape",
    }
    assert all(e.severity == "error" for e in blocking_failures(results))
    assert results[0].blocking and not results[0].success
    assert results[0].counts() == {
        "error": {"passed": 4, "failed": 2},
        "warning": {"passed": 0, "failed": 5},
    }


def test_file_is_released_for_writing(run: tuple[Path, Path, list[SuiteResult]]) -> None:
    db = run[0]
    con = duckdb.connect(str(db))  # fails if validate() left a connection open
    try:
        con.execute("create table raw.after_validation as select 1 as x")
    finally:
        con.close()


def test_data_docs_are_written_and_linked(run: tuple[Path, Path, list[SuiteResult]]) -> None:
    _, docs, results = run
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert "run-1" in index and "raw.visits" in index
    assert "blocking" in index and "warning" in index
    links = re.findall(r'href="([^"]+)"', index)
    assert "gx/index.html" in links
    for link in links:
        assert (docs / link).is_file(), link
    page = results[0].docs_page
    assert page is not None and page.is_file() and page.is_relative_to(docs / "gx")
    assert page.relative_to(docs).as_posix() in links
    gx_index = (docs / "gx" / "index.html").read_text(encoding="utf-8")
    assert page.relative_to(docs / "gx").as_posix() in gx_index
    assert "agency_code" in page.read_text(encoding="utf-8")  # GX rendered the results
    rules_page = docs / "gx" / "expectations" / "raw" / "visits.html"
    assert rules_page.relative_to(docs).as_posix() in links
    assert "fails on 10 rows" in rules_page.read_text(encoding="utf-8")  # and the notes


def test_later_runs_keep_earlier_pages(tmp_path: Path) -> None:
    db = _make_db(tmp_path / "w.duckdb", _TEST_TABLE)
    suite = load_suite(write_suite(tmp_path / "suites", "raw", "visits", _TEST_SUITE))
    docs = tmp_path / "docs"
    first = validate(db, [suite], docs, "first")[0].docs_page
    second = validate(db, [suite], docs, "second")[0].docs_page
    assert first and second and first.is_file() and second.is_file() and first != second
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert index.index("<code>second</code>") < index.index("<code>first</code>")  # newest first
    gx_index = (docs / "gx" / "index.html").read_text(encoding="utf-8")
    assert "first" in gx_index and "second" in gx_index
    assert len(list((docs / "runs").glob("*.json"))) == 2


def test_missing_table_fails_every_rule_without_raising(tmp_path: Path) -> None:
    db = _make_db(tmp_path / "w.duckdb", "create schema raw")
    suite = load_suite(write_suite(tmp_path / "suites", "raw", "visits", _TEST_SUITE))
    (result,) = validate(db, [suite], tmp_path / "docs", "missing")
    assert result.error and "raw.visits" in result.error
    assert not result.success and all(not e.success for e in result.expectations)
    assert {e.rule for e in blocking_failures([result])} >= {"visit_id_present", "has_rows"}
    summary = json.loads(next((tmp_path / "docs" / "runs").glob("*.json")).read_text())
    assert summary["suites"][0]["error"]


def test_run_id_must_be_safe_for_folders(tmp_path: Path) -> None:
    db = _make_db(tmp_path / "w.duckdb", "select 1")
    with pytest.raises(ValueError, match="run_id"):
        validate(db, [], tmp_path / "docs", "../escape")


# --- committed suites -------------------------------------------------------------------------


def test_committed_suites_load() -> None:
    suites = load_suites()
    assert {s.table for s in suites} >= {"raw.ims_nsp_transactions", "marts.fct_nsp_area_periods"}
    assert len(suites) == len(suite_files(SUITES_DIR))
    for suite in suites:
        assert suite.expectations
        assert all(e.notes for e in suite.expectations)


def test_committed_suites_run_on_empty_tables(tmp_path: Path) -> None:
    # Raw tables follow the extract specification; the model suites run on empty copies of the
    # demo warehouse's tables in tests/integration/test_data_quality.py.
    suites = [s for s in load_suites() if s.table.startswith("raw.") or s.table in _MODEL_COLUMNS]
    tables = {s.table: _table_columns(s.table) for s in suites}
    ddl = [f"create schema if not exists {t.split('.')[0]};" for t in tables]
    for table, columns in tables.items():
        cols = ", ".join(f'"{c}" {t}' for c, t in columns.items())
        ddl.append(f"create table {table} ({cols});")
    db = _make_db(tmp_path / "empty.duckdb", "\n".join(ddl))
    results = validate(db, suites, tmp_path / "docs", "empty")
    for result in results:
        assert result.error is None, result.error
        for e in result.expectations:
            assert e.exception is None, f"{result.suite} {e.rule}: {e.exception}"
    # An empty table passes every row-level rule; only "has rows" rules may fail.
    failed = {e.rule for e in blocking_failures(results) + warnings(results)}
    assert failed <= {"mart_nsp_area_periods_not_empty"}


# --- SQL rules and code lists as sent ---------------------------------------------------------


def test_sql_rule_counts_rows_and_reports_record_ids_only(tmp_path: Path) -> None:
    db = _make_db(
        tmp_path / "w.duckdb",
        """
        create schema raw;
        create table raw.episodes as
        select 'EP-' || i as episode_id, 'pseudo-' || i as person_id,
               '2020-02-01' as referral_date,
               case when i <= 3 then '2020-01-15' when i = 4 then '15/03/2020'
                    else '2020-03-01' end as discharge_date,
               case when i = 5 then ' heroin ' when i = 6 then 'heroine' else 'CRACK' end as drug
        from range(1, 11) t(i);
        """,
    )
    path = write_suite(
        tmp_path / "suites",
        "raw",
        "episodes",
        """
        suite: raw.episodes
        table: raw.episodes
        id_column: episode_id
        expectations:
          - type: expect_query_to_return_no_rows
            kwargs:
              unexpected_rows_query: >
                select episode_id, person_id from {batch}
                where {{ date('discharge_date') }} < {{ date('referral_date') }}
            severity: warning
            rule: discharge_not_before_referral
            notes: three rows fail; the UK date parses and passes
          - type: expect_column_values_to_match_regex
            kwargs: {column: drug, regex: {code_list: ims_injected_substance}}
            severity: warning
            rule: drug_coded
            notes: only 'heroine' fails (case and spaces are allowed)
        """,
    )
    results = validate(db, [load_suite(path)], tmp_path / "docs", "sql-rules")
    rules = _by_rule(results)
    sql = rules["discharge_not_before_referral"]
    assert (sql.success, sql.unexpected_count) == (False, 3)
    assert set(sql.example_ids) == {"EP-1", "EP-2", "EP-3"}
    coded = rules["drug_coded"]
    assert (coded.success, coded.unexpected_count, coded.example_ids) == (False, 1, ("EP-6",))
    stored = "\n".join(p.read_text() for p in (tmp_path / "docs").rglob("*.json"))
    stored += "\n".join(p.read_text() for p in (tmp_path / "docs").rglob("*.html"))
    assert "EP-1" in stored and "pseudo-" not in stored, "person values never stored"


# --- plausible ranges (issue 22) --------------------------------------------------------------

_RAW_PREFIX = {
    "ims_nsp_transactions": "nsp",
    "dip_contacts": "dip",
    "ndtms_top": "top",
    "prevalence_estimates": "prev",
    "population": "pop",
    "national_benchmarks": "bench",
}


def test_every_numeric_column_with_a_plausible_range_has_a_warning_rule() -> None:
    suites = {s.table: s for s in load_suites(layers=["raw"])}
    ranged = [
        (source, column)
        for source in SOURCES_BY_NAME.values()
        for column in source.columns
        if column.type in ("integer", "number") and column.max_value is not None
    ]
    assert len(ranged) >= 17 and {s.name for s, _ in ranged} == set(_RAW_PREFIX)
    for source, column in ranged:
        rule = suites[f"raw.{source.name}"].rule(
            f"raw_{_RAW_PREFIX[source.name]}_{column.name}_in_range"
        )
        assert rule.severity == "warning", rule.rule  # a bad row reports, never blocks
        query = rule.kwargs["unexpected_rows_query"]
        # the bounds are the spec's, rendered from orchestration/lib/spec.py
        assert f"trim({column.name})" in query and f"<= {int(column.max_value)}" in query, query


def test_out_of_range_helper_names_a_column_without_a_range(tmp_path: Path) -> None:
    path = write_suite(
        tmp_path,
        "raw",
        "population",
        """
        suite: raw.population
        table: raw.population
        expectations:
          - type: expect_query_to_return_no_rows
            kwargs:
              unexpected_rows_query: select la_code from {batch} where {{ out_of_range('year') }}
            severity: warning
            rule: pop_year_in_range
            notes: year has no range in the spec
        """,
    )
    with pytest.raises(SuiteError, match="no range"):
        load_suite(path)


def test_values_out_of_range_warn_with_counts_and_record_ids_never_values(tmp_path: Path) -> None:
    nsp = SOURCES_BY_NAME["ims_nsp_transactions"]
    prev = SOURCES_BY_NAME["prevalence_estimates"]
    # needles: 9223372036854775807 (above 10,000), a 20-digit count (beyond a bigint), 10001,
    # -3 (below 0); 10000 and an empty value pass; 'lots' is not a number (another rule's).
    needles = ["9223372036854775807", "99999999999999999999", "10001", "-3", "10000", None, "lots"]
    # estimates: 1e309 (infinite as a double), -1e309, 10000001; 2.5e3 passes.
    estimates = ["1e309", "-1e309", "10000001", "2.5e3"]

    def rows(source, values, column, key):
        out = []
        for i, value in enumerate(values, 1):
            row = {c: None for c in source.raw_columns}
            row.update({key: f"K{i}", column: value, "_load_id": 1, "_row_number": i})
            out.append(row)
        return out

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        con.execute("create schema raw")
        for source, data in (
            (nsp, rows(nsp, needles, "needles_issued", "transaction_id")),
            (prev, rows(prev, estimates, "estimate", "la_code")),
        ):
            columns = _table_columns(f"raw.{source.name}")
            cols = ", ".join(f'"{c}" {t}' for c, t in columns.items())
            con.execute(f"create table raw.{source.name} ({cols})")
            names = list(columns)
            con.executemany(
                f"insert into raw.{source.name} values ({', '.join('?' for _ in names)})",
                [[r.get(c) for c in names] for r in data],
            )
    finally:
        con.close()
    suites = [
        s
        for s in load_suites(layers=["raw"])
        if s.table in {"raw.ims_nsp_transactions", "raw.prevalence_estimates"}
    ]
    docs = tmp_path / "docs"
    rules = _by_rule(validate(tmp_path / "w.duckdb", suites, docs, "ranges"))
    needles_rule = rules["raw_nsp_needles_issued_in_range"]
    assert (needles_rule.success, needles_rule.severity) == (False, "warning")
    assert not needles_rule.blocking
    assert needles_rule.unexpected_count == 4
    assert set(needles_rule.example_ids) == {"K1", "K2", "K3", "K4"}
    estimate_rule = rules["raw_prev_estimate_in_range"]
    assert (estimate_rule.success, estimate_rule.unexpected_count) == (False, 3)
    assert rules["raw_nsp_syringes_issued_in_range"].success  # all empty
    stored = "\n".join(p.read_text() for p in docs.rglob("*") if p.suffix in (".json", ".html"))
    assert "raw_nsp_needles_issued_in_range" in stored, "Data Docs name the rule"
    for value in ("9223372036854775807", "99999999999999999999", "10001", "1e309", "10000001"):
        # as a value of its own (10001, 10001.0, "10001"), not inside a run id such as the
        # UUID 100017b1-... that GX writes (which made this test fail one run in a few hundred)
        token = rf"(?<![0-9A-Za-z.\-]){re.escape(value)}(?![0-9A-Za-z\-])"
        assert not re.search(token, stored), f"the value {value} was stored"


def test_gx_pages_are_offline_and_show_smws_verdict(
    run: tuple[Path, Path, list[SuiteResult]],
) -> None:
    from orchestration.lib.quality.docs import suite_verdict

    _, docs, results = run
    css, label = suite_verdict(results[0].counts(), results[0].error)
    page = results[0].docs_page
    assert page is not None
    text = page.read_text(encoding="utf-8")
    status = re.search(r"Status:</span>(.{0,200})", text, re.S)
    assert status and label in status.group(1) and f"smw-{css}" in status.group(1)
    assert label in (docs / "index.html").read_text(encoding="utf-8")
    assert label in (docs / "gx" / "index.html").read_text(encoding="utf-8")
    for html_page in (docs / "gx").rglob("*.html"):
        body = html_page.read_text(encoding="utf-8")
        assert not re.search(r"""<(script|link|img)\b[^>]*(src|href)=["']https?://""", body), (
            html_page
        )
        assert not re.search(r"url\(\s*['\"]?https?://", body), html_page
        assert "<script" not in body, html_page
