"""The benchmark's own pieces, without engines: which files the incremental run holds back,
how a process tree's memory is read, and how figures, ratios and targets are reported."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from smw_bench.measure import run_measured
from smw_bench.profile import dbt_nodes
from smw_bench.runner import TARGETS, judge, last_month_files, markdown, phases, ratios

#: The machine block of a bench report, for the markdown tests.
MACHINE = {
    "cpu": "X",
    "cores": 2,
    "memory_gb": 24,
    "os": "Linux",
    "python": "3.11",
    "duckdb": "1",
    "dbt_core": "1.11",
    "load_average_at_start": 1.0,
}


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("a\n1\n")
    return path


def test_last_month_is_every_source_file_of_the_latest_month(tmp_path: Path) -> None:
    _touch(tmp_path / "dip_contacts" / "2021-02.csv")
    latest = [
        _touch(tmp_path / "dip_contacts" / "2021-03.csv"),
        _touch(tmp_path / "ims_interventions" / "2021-03.csv.gz"),
        _touch(tmp_path / "ims_nsp_transactions" / "2021-03 (1).csv"),
    ]
    _touch(tmp_path / "population" / "mid_year_2013_to_2020.csv")  # not monthly
    _touch(tmp_path / "ims_agencies" / "2020-21.csv")  # a financial year, not a month
    month, files = last_month_files(tmp_path)
    assert month == "2021-03"
    assert sorted(files) == sorted(latest)


def test_no_monthly_extracts_is_a_clear_error(tmp_path: Path) -> None:
    _touch(tmp_path / "population" / "mid_year_2013_to_2020.csv")
    with pytest.raises(ValueError, match="no monthly extract files"):
        last_month_files(tmp_path)


def test_peak_memory_counts_the_children_of_the_process(tmp_path: Path) -> None:
    # a parent holding ~60 MB starts a child holding ~120 MB: the tree peaks above both
    child = "b = bytearray(120 * 2**20); import time; time.sleep(1.0)"
    parent = (
        "import subprocess, sys; a = bytearray(60 * 2**20); "
        f"subprocess.run([sys.executable, '-c', {child!r}], check=True)"
    )
    m = run_measured(
        [sys.executable, "-c", parent],
        env=dict(os.environ),
        log_path=tmp_path / "out.log",
        interval=0.05,
    )
    assert m.returncode == 0
    assert m.max_process_rss_mb >= 120
    assert m.peak_rss_mb >= 180


def _scale(**over) -> dict:
    r = {
        "scale": 1.0,
        "extracts": {"files": 588, "megabytes": 120.0},
        "floor": {"seconds": 10.0},
        "full_build": {
            "seconds": 40.0,
            "rows_loaded": 1000,
            "peak_rss_mb": 900.0,
            "steps": {
                "land_extracts": 10.0,
                "dbt_models": 20.0,
                "published__serving_database": 2.0,
            },
            "slowest_models": [{"model": "marts/fct_x", "seconds": 3.0}],
            "validation": {"gx_seconds": 5.0, "dbt_seconds": 20.0, "mart_models_seconds": 8.0},
        },
        "incremental_build": {"seconds": 2.0, "month_added": "2021-03", "files_added": 6},
        "postgres": {
            "dbt_build_seconds": 300.0,
            "duckdb_dbt_build_seconds": 20.0,
            "load_seconds": 4.0,
            "slowest_models": [{"model": "fct_x", "seconds": 100.0}],
        },
        "spark": {
            "dbt_build_seconds": 90.0,
            "duckdb_dbt_build_seconds": 20.0,
            "raw_export_seconds": 1.5,
        },
        "serving": {"p50_ms": 2.0, "p95_ms": 60.0},
    }
    r.update(over)
    r["ratios"] = ratios(r)
    r["targets"] = judge(r["ratios"], r)
    return r


def test_ratios_and_targets() -> None:
    r = _scale()
    assert r["ratios"] == {
        "build_over_floor": 4.0,
        "postgres_over_duckdb": 15.0,
        "incremental_over_full": 0.05,
        "spark_over_duckdb": 4.5,
        "gx_over_dbt": 0.25,
    }
    met = {k: v["met"] for k, v in r["targets"].items()}
    assert met == {
        "build_over_floor": False,
        "postgres_over_duckdb": True,
        "incremental_over_full": True,
        "serving_p95_ms": False,
        "peak_rss_mb": True,
    }
    assert set(r["targets"]) == set(TARGETS)


def test_markdown_shows_every_figure_and_says_what_was_not_run() -> None:
    full = _scale()
    partial = _scale(scale=10.0)
    del partial["postgres"], partial["spark"]
    partial["ratios"] = ratios(partial)
    partial["targets"] = judge(partial["ratios"], partial)
    md = markdown(
        {
            "machine": MACHINE,
            "started_at": "t",
            "scales": [full, partial],
        }
    )
    assert "| | scale 1 | scale 10 |" in md
    assert "| **PostgreSQL 15** dbt build | 300.0 s | not run |" in md
    assert "| **Spark** local mode, dbt build | 90.0 s | not run |" in md
    assert "| Spark (local mode) ÷ DuckDB (dbt build) | 4.5× | not run |" in md
    assert "| build ÷ floor | 4.0× | 4.0× |" in md
    assert "| serving p95 < 50 ms | **not met** | **not met** |" in md
    assert "| PostgreSQL ≥ 10× slower than DuckDB | met | not run |" in md
    assert "| marts/fct_x | 3.00 |" in md


def test_phases_split_the_build_time_and_show_in_the_markdown() -> None:
    steps = {
        "land_extracts": 10.0,
        "gx_raw_suites": 3.0,
        "raw_extract_freshness": 0.5,
        "dbt_models": 20.0,
        "gx_model_suites": 2.0,
        "published__serving_database": 1.5,
        "published__postgres_serving": 0.5,
        "outputs__area_reports": 1.0,
        "outputs__data_quality_feedback": 0.25,
        "a_new_step": 0.75,
    }
    p = phases(45.0, steps)
    assert p == {
        "landing": 10.0,
        "gx_raw": 3.0,
        "freshness": 0.5,
        "dbt": 20.0,
        "gx_models": 2.0,
        "publish": 2.0,
        "outputs": 1.25,
        "other_steps": 0.75,
        "outside": 5.5,
    }
    assert sum(p.values()) == 45.0
    r = _scale()
    r["full_build"]["steps"] = steps
    r["full_build"]["seconds"] = 45.0
    r["full_build"]["phases"] = p
    md = markdown(
        {
            "machine": MACHINE,
            "started_at": "t",
            "scales": [r],
        }
    )
    assert "|   GX raw suites | 3.0 s |" in md
    assert "|   GX mart + serving suites | 2.0 s |" in md
    assert "|   publish | 2.0 s |" in md
    assert "|   outside the steps (start-up, Dagster run) | 5.5 s |" in md
    # the incremental build of _scale() records no steps: all of it is outside them
    assert md.count("|   outside the steps (start-up, Dagster run) |") == 2
    assert "|   outside the steps (start-up, Dagster run) | 2.0 s |" in md


def test_markdown_shows_the_landing_profile_with_shares() -> None:
    r = _scale()
    r["full_build"]["files"] = {"loaded": 6, "duplicate": 1}
    r["full_build"]["landing_profile"] = {
        "strict reading": 4.0,
        "waiting for the strict reading": 0.5,
        "history": 0.5,
        "check": 1.0,
        "insert": 5.0,
        "commit": 2.0,
        "archive": 0.25,
        "checkpoint": 0.25,
        "other": 0.5,
        "total": 10.0,
    }
    md = markdown({"machine": MACHINE, "started_at": "t", "scales": [r]})
    assert (
        "Landing profile, full build, scale 1 (7 files, 10.0 s in the landing step's batch):" in md
    )
    assert "| insert (DuckDB read, pseudonymise, write) | 5.00 | 50% |" in md
    assert "| strict reading (Python; beside the inserts) | 4.00 | 40% (overlaps) |" in md
    assert "| other (discovery, settling, audit rows) | 0.50 | 5% |" in md
    del r["full_build"]["landing_profile"]  # a report from before the profile: no section
    assert "Landing profile" not in markdown({"machine": MACHINE, "started_at": "t", "scales": [r]})


def test_dbt_nodes_count_and_sum_models_and_tests() -> None:
    nodes = dbt_nodes(
        {"marts/fct_a": 2.0, "intermediate/int_b": 1.5},
        {"marts/fct_a:unique_fct_a_id": 0.25, "marts/fct_a:not_null_fct_a_id": 0.5, "x:y": 0.1},
    )
    assert nodes["models"] == 2 and nodes["models_seconds"] == 3.5
    assert nodes["tests"] == 3 and nodes["tests_seconds"] == 0.85
    assert [t["test"] for t in nodes["slowest_tests"]] == [
        "marts/fct_a:not_null_fct_a_id",
        "marts/fct_a:unique_fct_a_id",
        "x:y",
    ]


def test_markdown_says_why_each_missed_target_is_missed() -> None:
    r = _scale(
        incremental_build={
            "seconds": 20.0,
            "month_added": "2021-03",
            "files_added": 6,
            "steps": {"dbt_models": 15.0, "outputs__area_reports": 4.0},
            "slowest_models": [{"model": "marts/fct_y", "seconds": 6.0}],
            "dbt_nodes": dbt_nodes({"marts/fct_y": 6.0, "marts/fct_z": 4.0}, {"t:u": 1.25}),
        }
    )
    r["incremental_build"]["phases"] = phases(20.0, r["incremental_build"]["steps"])
    r["full_build"]["phases"] = phases(40.0, r["full_build"]["steps"])
    assert not r["targets"]["incremental_over_full"]["met"]
    md = markdown({"machine": MACHINE, "started_at": "t", "scales": [r]})
    why = md.split("Why a target is not met at scale 1:", 1)[1]
    # the budget each target allows, and what the time was made of, largest part first
    assert (
        "- build ≤ 3× floor: the budget is 30.0 s (floor 10.0 s); the full build took 40.0 s: "
        "dbt build 20.0 s, landing 10.0 s, outside the steps (start-up, Dagster run) 8.0 s, "
        "publish 2.0 s." in why
    )
    assert "Landing alone is 1.0× the floor" in why
    assert (
        "- incremental ≤ 10% of full: the budget is 4.0 s; the build adding 2021-03 took 20.0 s: "
        "dbt build 15.0 s, reports + quality feedback 4.0 s, outside the steps (start-up, "
        "Dagster run) 1.0 s. Without its dbt step the build took 5.0 s, already over the "
        "budget. Its dbt step ran 2 models and seeds (10.0 s summed) and 1 data tests (1.2 s"
    ) in why
    assert "- serving p95 < 50 ms: p95 60.0 ms (p50 2.0 ms)." in why
    # met targets get no line
    assert "PostgreSQL ≥ 10× slower:" not in why and "peak RSS" not in why
    # the incremental build's own dbt profile
    assert "Ten slowest models, incremental build, scale 1 (DuckDB):" in md
    assert (
        "dbt step 15.0 s wall: 2 models and seeds (10.0 s summed), 1 data tests (1.2 s summed)"
        in md
    )
    assert "| t:u | 1.25 |" in md
    # a build whose time is nearly all dbt: the rest is a share of the budget
    inc = r["incremental_build"]
    inc["phases"] = phases(20.0, {"dbt_models": 18.0})
    md = markdown({"machine": MACHINE, "started_at": "t", "scales": [r]})
    assert "Without its dbt step the build took 2.0 s, 50% of the budget." in md
    r["targets"] = {k: {**v, "met": True} for k, v in r["targets"].items()}
    assert "Why a target" not in markdown({"machine": MACHINE, "started_at": "t", "scales": [r]})
