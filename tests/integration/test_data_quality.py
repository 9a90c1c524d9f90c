"""Data quality on the demo warehouse: every planted defect is found by its named rule (with the
planted count), the scorecard and the feedback pages report it, model suites run, and the two
severities do what they say (warning: publish and report; error: stop before publish)."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from collections import Counter

import duckdb
import pytest

from orchestration.defs.transform import ensure_manifest
from orchestration.lib import spec
from orchestration.lib.landing import land
from orchestration.lib.paths import Home
from orchestration.lib.pseudonym import load_key
from orchestration.lib.quality import load_suites, validate
from smw_demo.defects import ROW_DEFECTS
from smw_demo.manifest import ERROR_KINDS
from tests.conftest import read_extract

#: Each defect the demo generator plants (kind, source, field) → the raw rule that catches it.
PLANTED_RULES: dict[tuple[str, str, str], str] = {
    ("missing_required", "ims_nsp_transactions", "agency_code"): "raw_nsp_agency_code_present",
    ("missing_required", "ims_nsp_transactions", "substance_injected"): "raw_nsp_substance_injected_present",
    ("missing_required", "ims_nsp_transactions", "needles_issued"): "raw_nsp_needles_issued_present",
    ("missing_required", "ims_interventions", "agency_code"): "raw_int_agency_code_present",
    ("missing_required", "ims_interventions", "intervention_category"): "raw_int_intervention_category_present",
    ("missing_required", "ndtms_episodes", "provider_code"): "raw_epi_provider_code_present",
    ("missing_required", "ndtms_episodes", "substance_1"): "raw_epi_substance_1_present",
    ("missing_required", "ndtms_episodes", "client_la_code"): "raw_epi_client_la_code_present",
    ("missing_required", "ndtms_top", "stage"): "raw_top_stage_present",
    ("missing_required", "mdt_results", "custody_suite"): "raw_mdt_custody_suite_present",
    ("unknown_code", "ims_nsp_transactions", "substance_injected"): "raw_nsp_substance_injected_coded",
    ("unknown_code", "ims_interventions", "main_substance"): "raw_int_main_substance_coded",
    ("unknown_code", "ndtms_episodes", "referral_source"): "raw_epi_referral_source_coded",
    ("unknown_code", "ndtms_episodes", "ethnicity"): "raw_epi_ethnicity_coded",
    ("unknown_code", "dip_contacts", "offence"): "raw_dip_offence_coded",
    ("negative_count", "ims_nsp_transactions", "needles_issued"): "raw_nsp_needles_issued_whole_non_negative",
    ("negative_count", "ims_nsp_transactions", "syringes_issued"): "raw_nsp_syringes_issued_whole_non_negative",
    ("negative_count", "dip_contacts", "daily_units"): "raw_dip_daily_units_whole_non_negative",
    ("impossible_date_discharge_before_referral", "ndtms_episodes", "discharge_date"): "raw_epi_discharge_not_before_referral",
    ("first_intervention_before_referral", "ndtms_episodes", "first_intervention_date"): "raw_epi_first_intervention_not_before_referral",
    **{
        ("impossible_date_birth_in_future", s, "date_of_birth"): f"raw_{p}_age_plausible"
        for s, p in (("ims_nsp_transactions", "nsp"), ("ims_interventions", "int"),
                     ("ndtms_episodes", "epi"), ("dip_contacts", "dip"), ("mdt_results", "mdt"))
    },
    **{
        ("incomplete_attributor", s, f): f"raw_{p}_person_linkable"
        for s, p in (("ims_nsp_transactions", "nsp"), ("ims_interventions", "int"),
                     ("ndtms_episodes", "epi"), ("dip_contacts", "dip"), ("mdt_results", "mdt"))
        for f in ("first_initial", "surname_initial", "date_of_birth")
    },
}  # fmt: skip

#: Planted kind → the rule kind of marts.fct_quality_scorecard (fct_row_problems' kinds).
SCORECARD_KINDS = {
    "missing_required": "missing_required",
    "unknown_code": "unknown_code",
    "negative_count": "negative_count",
    "impossible_date_discharge_before_referral": "impossible_date",
    "first_intervention_before_referral": "impossible_date",
    "impossible_date_birth_in_future": "impossible_date",
    "incomplete_attributor": "incomplete_attributor",
}


def _rules_by_name():
    return {e.rule: e for s in load_suites() for e in s.expectations}


def _raw_run(home: Home) -> dict:
    runs = sorted((home.data_docs_dir / "runs").glob("*-raw.json"))
    assert runs, "the build wrote no raw validation summary"
    return json.loads(runs[-1].read_text())


def _planted(manifest: dict) -> list[dict]:
    return [d for d in manifest["defects"] if d["error"]]


def test_every_planted_kind_has_a_named_warning_rule():
    rules = _rules_by_name()
    planted = {
        (d.kind, d.source, f) for d in ROW_DEFECTS if d.kind in ERROR_KINDS for f in d.fields
    }
    assert planted == set(PLANTED_RULES), "map every planted (kind, source, field) to its rule"
    for key, rule in PLANTED_RULES.items():
        assert rule in rules, f"{key}: no rule {rule}"
        # One bad supplier row reports; it never blocks (extract spec: rows are kept).
        assert rules[rule].severity == "warning", rule


def test_planted_defects_are_found_by_their_rules_with_the_planted_counts(demo_build):
    expected: Counter[str] = Counter()
    for d in _planted(demo_build.manifest):
        expected[PLANTED_RULES[(d["kind"], d["source"], d["field"])]] += d["count"]
    assert sum(expected.values()) >= 30
    failed = {f["rule"]: f for s in _raw_run(demo_build.home)["suites"] for f in s["failed"]}
    for rule in set(PLANTED_RULES.values()):
        found = failed[rule]["unexpected_count"] if rule in failed else 0
        assert found == expected[rule], f"{rule}: found {found}, planted {expected[rule]}"
        if rule in failed:
            assert failed[rule]["severity"] == "warning"


def test_scorecard_counts_what_was_planted_per_source_field_and_rule(demo_build):
    planted: Counter[tuple[str, str, str]] = Counter()
    keys: dict[tuple[str, str, str], set[str]] = {}
    for d in _planted(demo_build.manifest):
        k = (d["source"], d["field"], SCORECARD_KINDS[d["kind"]])
        planted[k] += d["count"]
        keys.setdefault(k, set()).add(d["key"])
    con = duckdb.connect(str(demo_build.home.warehouse_db), read_only=True)
    try:
        rows = con.execute(
            "select source_name, field_name, rule_kind, sum(records_failing), "
            "string_agg(example_record_keys, '; '), bool_and(records_failing <= records_checked) "
            "from marts.fct_quality_scorecard "
            "where rule_kind not in ('not_recorded', 'unknown_reference') group by all"
        ).fetchall()
    finally:
        con.close()
    found = {(s, f, k): int(n) for s, f, k, n, _, _ in rows}
    assert found == dict(planted)
    for s, f, k, _n, examples, within in rows:
        assert within, (s, f, k)
        shown = {x.strip() for x in (examples or "").split(";") if x.strip()}
        # Every planted record id is an example of its month unless the month had over five.
        assert shown <= keys[(s, f, k)] and (shown == keys[(s, f, k)] or len(shown) >= 5), (s, f, k)


def test_feedback_pages_list_each_provider_failing_rules_with_record_ids(demo_build):
    home = demo_build.home
    index = home.data_quality_dir / "index.html"
    assert index.is_file()
    pages = [p for p in home.data_quality_dir.glob("*.html") if p.name != "index.html"]
    assert len(pages) >= 10
    text = index.read_text()
    for page in pages:
        assert f'href="{page.name}"' in text
    every_page = "\n".join(p.read_text() for p in pages)
    # each planted defect's field and (up to five a month) its record id reach some page
    planted = _planted(demo_build.manifest)
    shown = [d for d in planted if d["key"] in every_page]
    assert len(shown) >= len(planted) * 0.8, (len(shown), len(planted))
    for d in planted:
        assert f"<code>{d['field']}</code>" in every_page
    # nothing about a person: no pseudonym or birth month from the warehouse appears
    con = duckdb.connect(str(home.warehouse_db), read_only=True)
    try:
        people = con.execute(
            "select distinct person_id from raw.ims_nsp_transactions where person_id is not null"
        ).fetchall()
    finally:
        con.close()
    assert people and not any(p[0] in every_page for p in people)
    assert not re.search(r"\b(19|20)\d\d-\d\d-\d\d\b", every_page), "no dates of birth or events"
    assert "data-quality/index.html" in (home.data_docs_dir / "index.html").read_text()


def test_warnings_publish_and_are_reported(demo_build):
    s = demo_build.summary
    assert s.success and s.published
    assert "raw/ims_nsp_transactions:gx_ims_nsp_transactions" in s.checks_warned
    assert not s.checks_failed
    # validation time is recorded per run, beside the dbt build's
    assert s.step_seconds["gx_raw_suites"] > 0 and s.step_seconds["gx_model_suites"] > 0
    assert s.validation_seconds == pytest.approx(
        s.step_seconds["gx_raw_suites"] + s.step_seconds["gx_model_suites"], abs=0.05
    )
    assert s.step_seconds["dbt_models"] > 0
    last = json.loads((demo_build.home.state_dir / "runs.jsonl").read_text().splitlines()[-1])
    assert last["validation_seconds"] == s.validation_seconds


def test_model_suites_run_on_empty_tables(demo_build, tmp_path):
    suites = [s for s in load_suites() if not s.table.startswith("raw.")]
    con = duckdb.connect(str(demo_build.home.warehouse_db), read_only=True)
    try:
        columns = {
            s.table: con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [s.schema_name, s.table_name],
            ).fetchall()
            for s in suites
        }
    finally:
        con.close()
    empty = tmp_path / "empty.duckdb"
    con = duckdb.connect(str(empty))
    try:
        for table, cols in columns.items():
            assert cols, f"{table} is not in the demo warehouse"
            con.execute(f"create schema if not exists {table.split('.')[0]}")
            con.execute(f"create table {table} ({', '.join(f'{c} {t}' for c, t in cols)})")
    finally:
        con.close()
    results = validate(empty, suites, tmp_path / "docs", "empty-models")
    for r in results:
        assert r.error is None, r.error
        for e in r.expectations:
            assert e.exception is None, f"{r.suite} {e.rule}: {e.exception}"
            # an empty table passes every rule but "has rows"
            assert e.success or e.rule.endswith("_not_empty"), f"{r.suite} {e.rule}"


def test_every_mart_and_serving_model_has_a_suite(demo_build):
    con = duckdb.connect(str(demo_build.home.warehouse_db), read_only=True)
    try:
        tables = {
            f"{s}.{t}"
            for s, t in con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_schema in ('marts', 'serving')"
            ).fetchall()
        }
    finally:
        con.close()
    # One owner per check: a model whose only rules are its key and not-null columns has them
    # as dbt tests (Dagster asset checks) and needs no suite; every other model has one.
    without_suite = tables - {s.table for s in load_suites()}
    manifest = json.loads(ensure_manifest().read_text())
    tested = {
        dep.rsplit(".", 1)[1]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "test"
        and (n.get("test_metadata") or {}).get("name") in ("unique", "not_null")
        for dep in n["depends_on"]["nodes"]
    }
    assert {t.split(".", 1)[1] for t in without_suite} <= tested, without_suite
    assert without_suite <= {"marts.fct_row_problems"}, "a new model without a suite"


# --- a demo file broken in each defect kind ---------------------------------------------------

_PREFIX = {"ims_nsp_transactions": "nsp", "ims_interventions": "int", "ndtms_episodes": "epi",
           "dip_contacts": "dip", "mdt_results": "mdt", "ndtms_top": "top"}  # fmt: skip


def _break(kind: str, field: str, row: dict[str, str]) -> bool:
    """Plant ``kind`` in ``field`` of ``row``; False if this row cannot carry it."""
    if kind in ("missing_required", "incomplete_attributor"):
        if not row.get(field, "").strip():
            return False
        row[field] = ""
    elif kind == "unknown_code":
        row[field] = "XX"
    elif kind == "negative_count":
        if not re.fullmatch(r"\d+", row.get(field, "").strip()):
            return False
        row[field] = "-3"
    elif kind in (
        "impossible_date_discharge_before_referral",
        "first_intervention_before_referral",
    ):
        ref = row.get("referral_date", "").strip()
        if not (re.fullmatch(r"\d{4}-\d\d-\d\d", ref) and row.get(field, "").strip()):
            return False
        row[field] = f"{int(ref[:4]) - 1}{ref[4:]}"
    elif kind == "impossible_date_birth_in_future":
        row[field] = "2031-05-01"
    else:  # pragma: no cover - a new kind must be taught here
        raise AssertionError(f"no way to plant {kind}")
    return True


@pytest.mark.slow
def test_a_demo_file_broken_in_each_defect_kind_fails_the_right_rule(demo_build, tmp_path):
    planted_keys = {d["key"] for d in demo_build.manifest["defects"] if d["key"]}
    landing = tmp_path / "landing"
    expected: dict[str, set[str]] = {}  # rule -> record ids broken for it
    for source in sorted({s for _, s, _ in PLANTED_RULES}):
        src = spec.SOURCES_BY_NAME[source]
        biggest = max((demo_build.sent / source).glob("*"), key=lambda p: p.stat().st_size)
        # only records sent once and never planted, so that each rule finds exactly our rows
        rows = [r for r in read_extract(biggest) if r[src.key[0]] not in planted_keys]
        taken: set[int] = set()
        for (kind, s, field), rule in sorted(PLANTED_RULES.items()):
            if s != source:
                continue
            i = next(i for i, r in enumerate(rows) if i not in taken and _break(kind, field, r))
            taken.add(i)
            expected.setdefault(rule, set()).add(rows[i][src.key[0]])
        out = landing / source / "broken.csv"
        out.parent.mkdir(parents=True)
        with out.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    home = Home.at(tmp_path / "home")
    land(landing, home, load_key(home.key_file), "broken-files")
    sources = {f"raw.{s}" for _, s, _ in PLANTED_RULES}
    suites = [s for s in load_suites(layers=["raw"]) if s.table in sources]
    results = validate(home.warehouse_db, suites, tmp_path / "docs", "broken-files")
    by_rule = {e.rule: e for r in results for e in r.expectations}
    for rule, ids in expected.items():
        e = by_rule[rule]
        assert not e.success and e.severity == "warning", rule
        assert e.unexpected_count == len(ids), (rule, e.unexpected_count, ids)
        assert set(e.example_ids) == ids, rule
        assert not e.blocking


@pytest.mark.slow
def test_a_blocking_failure_stops_before_publish_and_serving_stays(demo_build, tmp_path):
    from orchestration.cli import run_build

    home = Home.at(tmp_path / "home")
    shutil.copytree(demo_build.home.root, home.root, symlinks=True)
    before = hashlib.sha256(home.serving_db.read_bytes()).hexdigest()
    # A supplier's system starts sending agency codes nobody knows, for 300 visits (over 1% of
    # all NSP visits): every area figure built from them would be wrong, so an error rule of the
    # NSP suite blocks (one unknown agency alone would only warn).
    src = spec.SOURCES_BY_NAME["ims_nsp_transactions"]
    rows: list[dict[str, str]] = []
    for sent in sorted((demo_build.sent / src.name).glob("*")):
        rows += read_extract(sent)
        if len(rows) >= 300:
            break
    rows = [{**r, "agency_code": "NEWSYS-001"} for r in rows[:300]]
    landing = tmp_path / "landing"
    out = landing / src.name / "2099-01.csv"
    out.parent.mkdir(parents=True)
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    summary = run_build(home.root, landing)
    assert not summary.success
    assert "raw/ims_nsp_transactions:gx_ims_nsp_transactions" in summary.checks_failed
    assert "dbt_models" not in summary.step_seconds, "dbt must not run on a blocked extract"
    assert not summary.published
    assert "gx_ims_nsp_transactions" in summary.failure_message
    assert hashlib.sha256(home.serving_db.read_bytes()).hexdigest() == before
    run = json.loads(sorted((home.data_docs_dir / "runs").glob("*-raw.json"))[-1].read_text())
    nsp = next(s for s in run["suites"] if s["suite"] == "raw.ims_nsp_transactions")
    blocked = {f["rule"] for f in nsp["failed"] if f["severity"] == "error"}
    assert blocked == {"raw_nsp_agency_known_systemic"}


def test_feedback_index_names_providers_flags_closed_and_silent_grouped(demo_build):
    home = demo_build.home
    text = (home.data_quality_dir / "index.html").read_text()
    con = duckdb.connect(str(home.warehouse_db), read_only=True)
    try:
        agencies = con.execute(
            "select agency_code, agency_name, closed_date from marts.dim_agencies"
        ).fetchall()
        latest = con.execute(
            "select max(month_start) from marts.fct_provider_volumes where is_latest_month"
        ).fetchone()[0]
        sources = [
            r[0]
            for r in con.execute(
                "select distinct source_name from marts.fct_quality_scorecard"
            ).fetchall()
        ]
        silent = con.execute(
            "select provider_id from marts.fct_provider_volumes "
            "where is_latest_month and volume_status = 'silent' and not is_closed"
        ).fetchall()
    finally:
        con.close()
    rows = re.findall(r"<tr><td><a href=\"[^\"]+\">([^<]*)</a></td>.*?</tr>", text, re.S)
    assert rows
    listed = {code: (name, closed) for code, name, closed in agencies if f"({code})" in text}
    assert len(listed) >= 5, "agencies are listed by name and code"
    closed = {c: d for c, (n, d) in listed.items() if d is not None and d < latest}
    assert closed, "the demo has agencies closed before the latest month"
    for row in re.findall(r"<tr><td><a [^>]+>[^<]*</a></td>.*?</tr>", text, re.S):
        for code, day in closed.items():
            if f"({code})</a>" in row:
                assert f"closed {day:%d %b %Y}" in row and "within bounds" not in row, row
    # providers that usually send records and sent none in the latest month are flagged
    assert ("silent in " in text) == bool(silent), silent
    for source in sources:
        assert f">{source}</h2>" in text
    assert text.index("Needs action") < text.index("Closed providers")
