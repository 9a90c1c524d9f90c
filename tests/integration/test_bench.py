"""``smw bench`` end to end at a tiny scale (issue 9): the real command, every engine started,
and every figure present in bench.json and bench.md. Values are not asserted (targets are the
benchmark's business, and this machine is shared)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from smw_bench.postgres import PostgresUnavailable, find_bin_dir
from smw_bench.runner import TARGETS
from smw_bench.serving import BI_QUERIES

pytestmark = pytest.mark.slow

#: the smallest demo that still has every source, month and area
BENCH_SCALE = 0.01


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, Path]:
    try:
        find_bin_dir()
    except PostgresUnavailable as e:
        pytest.skip(f"{e} (.ci/run installs it)")
    out = tmp_path_factory.mktemp("bench")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "orchestration.cli",
            "bench",
            "--scale",
            str(BENCH_SCALE),
            # the Spark figure's function (spark.bench_spark_build) builds the demo on Spark in
            # tests/integration/test_spark_engine.py; a second Spark build here would add minutes
            "--no-spark",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    return run, out


def test_bench_runs_and_writes_json_and_markdown(bench) -> None:
    run, out = bench
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert (out / "bench.json").exists() and (out / "bench.md").exists()
    assert "Results" in run.stdout


def _positive(value) -> bool:
    return isinstance(value, int | float) and value > 0


def test_every_figure_is_measured(bench) -> None:
    run, out = bench
    report = json.loads((out / "bench.json").read_text())
    m = report["machine"]
    assert m["cores"] and m["memory_gb"] > 0 and m["cpu"]
    [s] = report["scales"]
    assert s["scale"] == BENCH_SCALE
    assert _positive(s["floor"]["seconds"]) and s["floor"]["rows"] > 0

    full = s["full_build"]
    assert _positive(full["seconds"]) and full["rows_loaded"] > 0
    for step in (
        "land_extracts",
        "dbt_models",
        "gx_raw_suites",
        "gx_model_suites",
        "published__serving_database",
    ):
        assert _positive(full["steps"].get(step)), (step, full["steps"])
    phases = full["phases"]  # wall time by phase: every second of the build in one of them
    assert abs(sum(phases.values()) - full["seconds"]) < 0.1, phases
    assert all(_positive(phases[k]) for k in ("landing", "gx_raw", "dbt", "gx_models", "outside"))
    profile = full["landing_profile"]  # where landing's time goes, step by step
    for step in ("strict reading", "check", "insert", "commit", "history", "total"):
        assert _positive(profile.get(step)), (step, profile)
    added = sum(v for k, v in profile.items() if k not in ("strict reading", "total"))
    assert abs(added - profile["total"]) < 0.01, profile  # the steps add up to the batch
    assert profile["total"] <= full["steps"]["land_extracts"] + 0.01, profile
    assert len(full["slowest_models"]) == 10
    assert all(_positive(x["seconds"]) for x in full["slowest_models"])
    nodes = full["dbt_nodes"]  # the dbt step's models and data tests, as dbt timed them
    assert nodes["models"] >= 60 and nodes["tests"] >= 100, nodes
    assert _positive(nodes["models_seconds"]) and _positive(nodes["tests_seconds"])
    assert len(nodes["slowest_tests"]) == 5
    assert _positive(full["peak_rss_mb"]) and full["peak_rss_mb"] >= full["max_process_rss_mb"] > 0
    v = full["validation"]
    assert (
        _positive(v["gx_seconds"])
        and _positive(v["dbt_seconds"])
        and _positive(v["mart_models_seconds"])
    )

    inc = s["incremental_build"]
    assert _positive(inc["seconds"]) and _positive(inc["base_build_seconds"])
    assert inc["files_added"] > 0 and inc["rows_loaded"] > 0  # the held-back month landed
    assert abs(sum(inc["phases"].values()) - inc["seconds"]) < 0.1, inc["phases"]
    assert inc["dbt_nodes"]["tests"] > 0 and len(inc["slowest_models"]) == 10

    pg = s["postgres"]
    assert pg["server_version"].startswith("15")
    assert pg["raw_rows_copied"] > 0
    for k in ("load_seconds", "dbt_build_seconds", "duckdb_dbt_build_seconds"):
        assert _positive(pg[k]), k
    assert len(pg["slowest_models"]) == 10 and len(pg["duckdb_slowest_models"]) == 10

    sv = s["serving"]
    assert set(sv["per_query"]) == set(BI_QUERIES)
    assert _positive(sv["p50_ms"]) and sv["p95_ms"] >= sv["p50_ms"]
    assert all(q["rows"] > 0 for q in sv["per_query"].values()), sv["per_query"]

    assert s["ratios"].pop("spark_over_duckdb") is None and "spark" not in s  # --no-spark
    assert all(_positive(r) for r in s["ratios"].values()), s["ratios"]
    assert set(s["targets"]) == set(TARGETS)
    assert all(isinstance(t["met"], bool) for t in s["targets"].values()), s["targets"]


def test_markdown_has_no_missing_figure(bench) -> None:
    _, out = bench
    md = (out / "bench.md").read_text()
    spark_lines = [line for line in md.splitlines() if "Spark" in line or "Parquet" in line]
    assert len(spark_lines) == 3 and all("not run" in line for line in spark_lines)  # --no-spark
    assert "not run" not in "\n".join(set(md.splitlines()) - set(spark_lines))
    for label in (
        "floor",
        "full build",
        "incremental build",
        "PostgreSQL 15",
        "serving",
        "peak RSS",
        "build ÷ floor",
        "PostgreSQL ÷ DuckDB",
        "incremental ÷ full",
    ):
        assert label in md, label
