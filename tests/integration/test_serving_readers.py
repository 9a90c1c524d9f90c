"""Readers are never blocked and never see half a build.

Eight reader processes query serving.duckdb in a loop, through DuckDB's own Python client and
through SQLAlchemy with duckdb-engine (as Superset connects), while three builds run and each
publishes a new version. Every answer is checked in the connection that read it: row counts and
checksums of every table equal what ``_publication`` records for that same version. An analyst
process meanwhile asks for the restricted warehouse and must get either a connection (no build
running) or the clear "a build is writing" message, nothing else.

The builds use a tiny landing set (a few demo files; each build adds a month of NSP
transactions, so each version differs), built in-process like ``smw build``.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.lib import exports
from orchestration.lib.paths import DBT_PROJECT_DIR, REPO_ROOT, Home
from tests.conftest import KEPT_BY_MARKER, full_refresh_differences, read_extract

pytestmark = pytest.mark.slow

N_READERS = 8

# ---- a tiny landing set from the demo generator (shared with the crash tests)

REFERENCE_SOURCES = ("population", "prevalence_estimates", "national_benchmarks")
MONTHLY_SOURCES = (
    "ims_interventions",
    "ndtms_episodes",
    "ndtms_top",
    "dip_contacts",
    "mdt_results",
)


def generate_sent(root: Path) -> tuple[Path, dict]:
    """Generate small demo extracts once; returns the folder and the generator's manifest."""
    from smw_demo import generate

    sent = root / "sent"
    manifest = generate(sent, scale=0.01, seed=7).to_dict()
    return sent, manifest


def clean_files(manifest: dict, source: str) -> list[str]:
    """A source's files in name order, without planted errors (they could block a tiny build).
    A monthly source's files are those of the demo's window (April 2013 on): Salford's own years
    (2006-08) come as month files of their own that sort first, and landing them alone as "the
    first month" would leave the window's TOP reviews without their episodes."""
    from smw_demo.salford import MONTH_LABELS as SALFORD_MONTHS

    bad = {
        d["file"] for d in manifest["defects"] if d["error"] or d["kind"] in manifest["error_kinds"]
    }
    files = [f["path"] for f in manifest["sources"][source]["files"]]
    if source in MONTHLY_SOURCES:
        files = [f for f in files if Path(f).stem not in SALFORD_MONTHS]
    return sorted(f for f in files if f not in bad and " (" not in f)


def first_year_nsp(manifest: dict) -> list[str]:
    """The clean NSP month files of the first financial year (2013-04 to 2014-03)."""
    return [
        f
        for f in clean_files(manifest, "ims_nsp_transactions")
        if "2013-04" <= f.split("/")[1][:7] <= "2014-03"
    ]


def base_files(manifest: dict) -> list[str]:
    """Reference files, one agencies snapshot, the first clean month of every monthly source, and
    NSP data reaching the end of the first financial year: indicators are published only for
    years the extracts cover to their end, so serving has rows (see int_source_coverage)."""
    nsp = first_year_nsp(manifest)
    chosen = [clean_files(manifest, s)[0] for s in ("ims_agencies", *MONTHLY_SOURCES)]
    chosen += [f for s in REFERENCE_SOURCES for f in clean_files(manifest, s)]
    return chosen + [nsp[0], nsp[-1]]


def stage(sent: Path, landing: Path, files: list[str]) -> None:
    for rel in files:
        dest = landing / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(sent / rel, dest)


#: incremental intermediate models and the staging view each accumulates
ACCUMULATED = {
    "intermediate.int_nsp_transactions_accumulated": "staging.stg_ims__nsp_transactions",
    "intermediate.int_ims_interventions_accumulated": "staging.stg_ims__interventions",
    "intermediate.int_ndtms_episodes_accumulated": "staging.stg_ndtms__episodes",
    "intermediate.int_ndtms_top_reviews_accumulated": "staging.stg_ndtms__top_reviews",
    "intermediate.int_dip_contacts_accumulated": "staging.stg_dip__contacts",
    "intermediate.int_mdt_drug_tests_accumulated": "staging.stg_mdt__drug_tests",
}


def send_correction(sent: Path, landing: Path, landed_file: str) -> tuple[str, str, str]:
    """A supplier re-sends two already-landed NSP transactions in a file of its own: one with a
    corrected needle count, one with a corrected date of birth (it moves to another person, so
    the first person's records change without a record of theirs in the new load). Returns
    (transaction id, the corrected needles_issued as sent, the moved transaction's id)."""
    rows = read_extract(sent / landed_file)
    counted = [
        r for r in rows if r["transaction_id"].strip() and r["needles_issued"].strip().isdigit()
    ]
    row, moved = counted[0], next(r for r in counted[1:] if r["date_of_birth"][:4].isdigit())
    row["needles_issued"] = str(int(row["needles_issued"]) + 7)
    moved["date_of_birth"] = str(int(moved["date_of_birth"][:4]) - 1) + moved["date_of_birth"][4:]
    dest = landing / Path(landed_file).parent / "correction-1.csv"
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(row))
        writer.writeheader()
        writer.writerows([row, moved])
    return row["transaction_id"].strip(), row["needles_issued"], moved["transaction_id"].strip()


# ---- the reader processes

READER = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
serving, mode, stop, out = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
from orchestration.lib.publish import checksum_sql

def answer(query):
    pub = query("select table_name, row_count, checksum, run_id from _publication")
    runs = {r[3] for r in pub}
    assert len(runs) == 1, f"mixed runs {runs}"
    for table, rows, checksum, _ in pub:
        got = query(f"select (select count(*) from {table}), ({checksum_sql(table)})")[0]
        assert tuple(got) == (rows, checksum), f"{table}: read {tuple(got)}, published {(rows, checksum)}"
    return runs.pop()

if mode.startswith("sqlalchemy"):
    import sqlalchemy as sa
    if mode == "sqlalchemy-url":
        engine = sa.create_engine(f"duckdb:///{serving}?access_mode=read_only", poolclass=sa.pool.NullPool)
    else:
        engine = sa.create_engine(f"duckdb:///{serving}", connect_args={"read_only": True}, poolclass=sa.pool.NullPool)
    def one_answer():
        with engine.connect() as con:
            return answer(lambda sql: [tuple(r) for r in con.execute(sa.text(sql)).fetchall()])
else:
    import duckdb
    def one_answer():
        con = duckdb.connect(serving, read_only=True)
        try:
            return answer(lambda sql: con.execute(sql).fetchall())
        finally:
            con.close()

while not os.path.exists(serving):  # the first build has not published yet
    time.sleep(0.05)
result = {"mode": mode, "answers": 0, "versions": [], "errors": []}
while not os.path.exists(stop):
    try:
        run_id = one_answer()
        result["answers"] += 1
        if not result["versions"] or result["versions"][-1] != run_id:
            result["versions"].append(run_id)
    except Exception as e:
        result["errors"].append(f"{type(e).__name__}: {e}")
    time.sleep(0.3)  # a busy dashboard, not a benchmark: leave the CPUs to the builds
with open(out, "w") as f:
    json.dump(result, f)
"""

ANALYST = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
from orchestration.lib.paths import Home
from orchestration.lib.readers import WarehouseBusyError, connect_restricted
home, stop, out = Home.at(sys.argv[2]), sys.argv[3], sys.argv[4]
result = {"ok": 0, "busy": 0, "errors": [], "busy_message": ""}
while not os.path.exists(stop):
    try:
        con = connect_restricted(home)
        try:
            con.execute("select count(*) from raw.ims_nsp_transactions").fetchall()
        finally:
            con.close()
        result["ok"] += 1
    except WarehouseBusyError as e:
        result["busy"] += 1
        result["busy_message"] = str(e)
    except FileNotFoundError:
        pass  # nothing built yet
    except Exception as e:
        result["errors"].append(f"{type(e).__name__}: {e}")
    time.sleep(0.3)
with open(out, "w") as f:
    json.dump(result, f)
"""


def test_eight_readers_through_three_builds(tmp_path):
    from orchestration.cli import run_build

    sent, manifest = generate_sent(tmp_path)
    landing, home = tmp_path / "landing", Home.at(tmp_path / "home")
    home.ensure()
    stop, results = tmp_path / "stop", tmp_path / "results"
    results.mkdir()
    modes = ["duckdb"] * 4 + ["sqlalchemy-url"] * 2 + ["sqlalchemy-connect-args"] * 2
    readers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                READER,
                str(REPO_ROOT),
                str(home.serving_db),
                mode,
                str(stop),
                str(results / f"reader-{i}.json"),
            ]
        )
        for i, mode in enumerate(modes)
    ]
    analyst = subprocess.Popen(
        [
            sys.executable,
            "-c",
            ANALYST,
            str(REPO_ROOT),
            str(home.root),
            str(stop),
            str(results / "analyst.json"),
        ]
    )
    more_nsp = first_year_nsp(manifest)[1:-1]  # months inside a published year: figures change
    batches = [base_files(manifest), more_nsp[0:1], more_nsp[1:2]]
    published: list[str] = []
    checksums: list[str] = []
    nsp_rows: list[int] = []
    try:
        for n, batch in enumerate(batches):
            stage(sent, landing, batch)
            if n == len(batches) - 1:
                corrected = send_correction(sent, landing, more_nsp[0])
            summary = run_build(home.root, landing, reports=False)
            assert summary.success, summary.failures
            published.append(summary.run_id)
            con = duckdb.connect(str(home.serving_db), read_only=True)
            try:
                pub = con.execute("select list(checksum order by table_name) from _publication")
                checksums.append(str(pub.fetchall()[0][0]))
                nsp_rows.append(
                    con.execute("select count(*) from rpt_nsp_activity").fetchall()[0][0]
                )
            finally:
                con.close()
            time.sleep(1.0)  # let every reader answer from this version too
    finally:
        stop.touch()
        for p in [*readers, analyst]:
            p.wait(timeout=60)
    answers = [json.loads((results / f"reader-{i}.json").read_text()) for i in range(N_READERS)]
    for a in answers:
        assert a["errors"] == [], a["mode"]
        assert a["answers"] >= 10, a
        assert set(a["versions"]) <= set(published), "an answer from no published version"
        assert a["versions"] == sorted(a["versions"], key=published.index), "went back in time"
    seen = {v for a in answers for v in a["versions"]}
    assert seen == set(published), "the readers saw every published version"
    assert all(len(a["versions"]) >= 2 for a in answers), "each reader lived through a swap"
    analyst_result = json.loads((results / "analyst.json").read_text())
    assert analyst_result["errors"] == []
    assert analyst_result["ok"] > 0, "the restricted warehouse is readable between builds"
    assert (
        analyst_result["busy"] > 0
        and "being written by a build" in (analyst_result["busy_message"])
    )
    # the builds after the first were incremental, and what they accumulated is what a full
    # reading of every landed file gives: new months added, the corrected record replaced
    con = duckdb.connect(str(home.warehouse_db), read_only=True)
    try:
        for model, staged in ACCUMULATED.items():
            extra = con.sql(f"select count(*) from (from {model} except all from {staged})")
            missing = con.sql(f"select count(*) from (from {staged} except all from {model})")
            assert (extra.fetchall()[0][0], missing.fetchall()[0][0]) == (0, 0), model
        loads = con.sql(
            "select count(distinct _load_id) from intermediate.int_nsp_transactions_accumulated"
        )
        assert loads.fetchall()[0][0] >= 4, "NSP rows from the files of all three builds"
        versions = con.execute(
            "select needles_issued_text from intermediate.int_nsp_transactions_accumulated "
            "where transaction_id = ?",
            [corrected[0]],
        )
        assert versions.fetchall() == [(corrected[1],)], "the re-sent version replaced the first"
        # the last build recomputed some people (the new month's, and both people of the moved
        # transaction) and kept everyone else's rows as the first builds wrote them
        markers = con.sql(
            "select count(distinct _through_load_id) from intermediate.int_ims_client_periods"
        )
        assert markers.fetchall()[0][0] >= 2, "rows of more than one build: kept, not rebuilt"
    finally:
        con.close()
    assert full_refresh_differences(home.warehouse_db, tmp_path) == dict.fromkeys(
        KEPT_BY_MARKER, (0, 0)
    ), "an incremental build kept rows a full refresh would change"
    # the exports followed the last version
    assert exports.current_export(home).run_id == published[-1]
    # dbt parsed the project in full for the home's first build only: the next ones started
    # from its parse, kept in the home, whatever other homes built meanwhile (the other worker)
    parses = []
    for run_id in published:
        [log] = (DBT_PROJECT_DIR / "target").glob(f"dbt_models-{run_id[:7]}-*/dbt.log")
        parses.append("Unable to do partial parsing" in log.read_text())
    assert parses[1:] == [False] * (len(published) - 1), parses
    # the answers checked real data, and the builds changed it
    assert len(set(checksums)) == len(published), "every build published different figures"
    assert all(rows > 0 for rows in nsp_rows), "rpt_nsp_activity has rows to check"
