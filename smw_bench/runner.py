"""``smw bench``: one run that measures, side by side, for each scale of the demo data:

- floor: bare DuckDB ``read_csv`` of the same generated files (smw_bench/floor.py);
- full build: ``smw build`` from nothing on all of them but the latest month, its steps and its
  ten slowest models, peak RSS (the floor and the peer read the same files);
- incremental build: that month added to the full build's warehouse, built again (whatever
  ``smw build`` does with a new month);
- peer: the same ``dbt build`` on a throwaway PostgreSQL 15 from the same raw tables, beside
  the same command on DuckDB (smw_bench/peer.py, smw_bench/postgres.py);
- serving: p50/p95 of ten BI queries on the published ``serving.duckdb``;
- validation: the Great Expectations steps beside the dbt step, from the build's own record.

Targets are reported (met or not), never asserted. Results: ``bench.json`` and ``bench.md``.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .floor import extract_files, load_floor
from .measure import run_measured
from .profile import (
    dbt_nodes,
    dbt_profile,
    landing_profile,
    seconds_table,
    slowest,
    why_not_met,
)
from .serving import measure_serving

#: the targets of issue 9, for scale 10 (shown for every scale, judged the same way)
TARGETS = {
    "build_over_floor": ("<=", 3.0, "build ≤ 3× floor"),
    "postgres_over_duckdb": (">=", 10.0, "PostgreSQL ≥ 10× slower than DuckDB"),
    "incremental_over_full": ("<=", 0.10, "incremental ≤ 10% of full"),
    "serving_p95_ms": ("<", 50.0, "serving p95 < 50 ms"),
    "peak_rss_mb": ("<", 4096.0, "peak RSS < 4 GB"),
}
#: the sources whose extracts come monthly (files named YYYY-MM...)
MONTH_STEM = re.compile(r"^(\d{4}-\d{2})\b")

Progress = Callable[[str], None]


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    import dbt.version
    import duckdb

    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    return {
        "cpu": cpu or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt_core": dbt.version.__version__,
        "load_average_at_start": round(load, 2) if load is not None else None,
    }


def last_month_files(landing: Path) -> tuple[str, list[Path]]:
    """The latest month among the monthly extracts, and every file of that month."""
    months: dict[str, list[Path]] = {}
    for paths in extract_files(landing).values():
        for p in paths:
            m = MONTH_STEM.match(p.name)
            if m:
                months.setdefault(m.group(1), []).append(p)
    if not months:
        raise ValueError(f"{landing}: no monthly extract files (named YYYY-MM...) to hold back")
    latest = max(months)
    return latest, months[latest]


def _smw_build(home: Path, landing: Path, log_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """``smw build`` in a child process (so its memory is its own): time, peak RSS and the
    summary it records in ``<home>/state/last_run.json``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMW_DBT_TARGET", "SMW_PG_"))}
    cmd = [
        sys.executable,
        "-m",
        "orchestration.cli",
        "build",
        "--home",
        str(home),
        "--landing",
        str(landing),
    ]
    measured = run_measured(cmd, env=env, log_path=log_path)
    last_run = home / "state" / "last_run.json"
    summary = json.loads(last_run.read_text()) if last_run.exists() else {}
    if measured.returncode != 0 or not summary.get("success"):
        tail = log_path.read_text(errors="replace").splitlines()[-15:]
        raise RuntimeError(
            f"smw build failed (exit {measured.returncode}); see {log_path}:\n" + "\n".join(tail)
        )
    return asdict(measured), summary


#: A build's wall time by phase: each phase is the sum of these Dagster steps' seconds (from the
#: build's own event log); what no step covers is "outside".
PHASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("landing", ("land_extracts",)),
    ("gx_raw", ("gx_raw_suites",)),
    ("freshness", ("raw_extract_freshness",)),
    ("dbt", ("dbt_models",)),
    ("gx_models", ("gx_model_suites",)),
    ("publish", ("published__serving_database", "published__postgres_serving")),
    ("outputs", ("outputs__area_reports", "outputs__data_quality_feedback")),
)


def phases(seconds: float, steps: dict[str, float]) -> dict[str, float]:
    """Wall time by phase (:data:`PHASES`), ``other_steps`` for any step not named there, and
    ``outside``: the build's seconds outside every step (Python and Dagster start-up, the run's
    creation with its planned-event records, the summary), which is where Dagster's own cost
    shows beyond what it adds inside each step."""
    named = {step for _phase, names in PHASES for step in names}
    out = {phase: round(sum(steps.get(s, 0.0) for s in names), 2) for phase, names in PHASES}
    out["other_steps"] = round(sum(v for k, v in steps.items() if k not in named), 2)
    out["outside"] = round(seconds - sum(steps.values()), 2)
    return out


def _build_figures(measured: dict[str, Any], summary: dict[str, Any]) -> dict[str, Any]:
    steps = summary.get("step_seconds", {})
    models = summary.get("model_seconds", {})
    gx = {k: v for k, v in steps.items() if k.startswith("gx_")}
    marts = sum(v for k, v in models.items() if k.startswith(("marts/", "serving/")))
    return {
        "seconds": measured["seconds"],
        "peak_rss_mb": measured["peak_rss_mb"],
        "max_process_rss_mb": measured["max_process_rss_mb"],
        "rows_loaded": summary.get("rows_loaded", 0),
        "files": summary.get("files", {}),
        "steps": steps,
        "phases": phases(measured["seconds"], steps),
        "landing_profile": summary.get("landing_seconds", {}),
        "slowest_models": slowest(models, 10, "model"),
        "dbt_nodes": dbt_nodes(models, summary.get("check_seconds", {})),
        "validation": {
            "gx_seconds": round(sum(gx.values()), 2),
            "gx_steps": gx,
            "dbt_seconds": steps.get("dbt_models"),
            "mart_models_seconds": round(marts, 2),
        },
    }


def bench_scale(
    scale: float,
    work: Path,
    *,
    seed: int,
    postgres: bool,
    incremental: bool,
    progress: Progress,
    spark: bool = False,
    checkpoint: Callable[[dict[str, Any]], None] = lambda _r: None,
) -> dict[str, Any]:
    """Every figure for one scale, using (and leaving) files under ``work``. ``checkpoint``
    gets the figures so far after each measurement (a long run cut short keeps them)."""
    from smw_demo import generate

    result: dict[str, Any] = {"scale": scale, "seed": seed}
    if work.exists():
        shutil.rmtree(work)
    logs = work / "logs"
    logs.mkdir(parents=True)
    sent = work / "sent"
    progress(f"scale {scale}: generating the demo extracts")
    generate(sent, scale=scale, seed=seed)
    files = extract_files(sent)
    result["extracts"] = {
        "files": sum(len(v) for v in files.values()),
        "megabytes": round(sum(p.stat().st_size for v in files.values() for p in v) / 2**20, 1),
    }

    # With the incremental figure, every measurement before it (floor, full build, PostgreSQL)
    # is of the same files: all but the latest month, which the incremental build then adds to
    # the full build's warehouse (so the full build is also the incremental build's base).
    month, held = last_month_files(sent) if incremental else ("", [])
    held_set = {p.resolve() for p in held}
    landing_full, home_full = work / "landing-full", work / "home-full"
    shutil.copytree(
        sent,
        landing_full,
        ignore=lambda d, names: [n for n in names if (Path(d) / n).resolve() in held_set],
    )
    if held:
        result["held_back"] = {"month": month, "files": len(held)}

    progress(f"scale {scale}: floor (bare DuckDB read_csv)")
    floor = load_floor(landing_full, work / "floor.duckdb")
    (work / "floor.duckdb").unlink(missing_ok=True)
    result["floor"] = asdict(floor)
    checkpoint(result)

    what = f"without {month} ({len(held)} files held back)" if held else "on every file"
    progress(f"scale {scale}: full build (smw build) {what}")
    measured, summary = _smw_build(home_full, landing_full, logs / "build-full.log")
    result["full_build"] = _build_figures(measured, summary)
    checkpoint(result)

    if postgres:
        full = result["full_build"]
        result["postgres"] = _peer(
            home_full,
            work,
            logs,
            progress,
            scale,
            {"seconds": full["steps"].get("dbt_models"), "slowest_models": full["slowest_models"]},
        )
        checkpoint(result)

    if spark:
        result["spark"] = _spark_peer(home_full, work, progress, scale, result["full_build"])
        checkpoint(result)

    if incremental:
        for p in held:
            dest = landing_full / p.parent.name / p.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(p, dest)
        progress(f"scale {scale}: incremental build (adding {month})")
        inc_measured, inc_summary = _smw_build(home_full, landing_full, logs / "build-incr.log")
        result["incremental_build"] = {
            "month_added": month,
            "files_added": len(held),
            "base_build_seconds": result["full_build"]["seconds"],
            **_build_figures(inc_measured, inc_summary),
        }
        checkpoint(result)

    progress(f"scale {scale}: serving latency (10 BI queries)")
    result["serving"] = asdict(measure_serving(home_full / "serving.duckdb"))
    checkpoint(result)

    shutil.rmtree(landing_full, ignore_errors=True)
    shutil.rmtree(sent, ignore_errors=True)
    result["ratios"] = ratios(result)
    result["targets"] = judge(result["ratios"], result)
    return result


def _peer(
    home_full: Path, work: Path, logs: Path, progress: Progress, scale: float, duckdb_dbt: dict
) -> dict[str, Any]:
    """The same dbt build on PostgreSQL from the raw tables the full build landed. DuckDB's
    figure is the full build's own dbt step: the same ``dbt build`` of the same project on the
    same raw tables with the same two threads (through dagster-dbt, whose small overhead
    counts against DuckDB)."""
    from . import peer
    from .postgres import PostgresServer

    progress(f"scale {scale}: starting PostgreSQL and copying the raw tables")
    (logs / "dbt-postgres").mkdir(exist_ok=True)
    with PostgresServer.start() as server:
        t0 = time.monotonic()
        rows = peer.copy_raw_to_postgres(
            home_full / "warehouse.duckdb", server, work / "peer" / "csv"
        )
        load_seconds = round(time.monotonic() - t0, 2)
        progress(f"scale {scale}: dbt build on PostgreSQL {server.version}")
        pg = peer.run_dbt_build(
            "postgres",
            server.dbt_env(),
            work / "peer" / "target-postgres",
            logs / "dbt-postgres" / "dbt-build.log",
        )
        version = server.version
    if not pg.success:
        raise RuntimeError(f"dbt build on PostgreSQL failed:\n{pg.log_tail}")
    return {
        "server_version": version,
        "raw_rows_copied": rows,
        "load_seconds": load_seconds,
        "dbt_build_seconds": pg.seconds,
        "duckdb_dbt_build_seconds": duckdb_dbt["seconds"],
        "slowest_models": peer.slowest_models(Path(pg.target_path)),
        "duckdb_slowest_models": duckdb_dbt["slowest_models"],
    }


def _spark_peer(
    home_full: Path, work: Path, progress: Progress, scale: float, full: dict[str, Any]
) -> dict[str, Any]:
    """The same dbt build on local-mode Spark from the raw tables the full build landed
    (exported as Parquet, as ``smw build --engine spark`` does), beside the full build's own
    dbt step. Both leave out dbt's unit tests, as every production build does."""
    from orchestration.lib import spark

    problem = spark.spark_available()
    if problem:
        raise RuntimeError(f"Spark cannot run here: {problem} (or run with --no-spark)")
    progress(f"scale {scale}: the same dbt build on Spark (local mode)")
    build = spark.bench_spark_build(home_full / "warehouse.duckdb", work / "spark")
    shutil.rmtree(work / "spark", ignore_errors=True)
    return {
        "dbt_build_seconds": round(build.seconds, 2),
        "raw_export_seconds": round(build.export_seconds, 2),
        "duckdb_dbt_build_seconds": full["steps"].get("dbt_models"),
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def ratios(r: dict[str, Any]) -> dict[str, float | None]:
    full = r["full_build"]["seconds"]
    pg = r.get("postgres")
    inc = r.get("incremental_build")
    sp = r.get("spark")
    return {
        "build_over_floor": _ratio(full, r["floor"]["seconds"]),
        "postgres_over_duckdb": _ratio(pg["dbt_build_seconds"], pg["duckdb_dbt_build_seconds"])
        if pg
        else None,
        "incremental_over_full": _ratio(inc["seconds"], full) if inc else None,
        "spark_over_duckdb": _ratio(sp["dbt_build_seconds"], sp["duckdb_dbt_build_seconds"])
        if sp
        else None,
        "gx_over_dbt": _ratio(
            r["full_build"]["validation"]["gx_seconds"],
            r["full_build"]["validation"]["dbt_seconds"],
        ),
    }


def judge(rs: dict[str, float | None], r: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each target with its figure and whether it is met (None when not measured)."""
    figures = {
        **rs,
        "serving_p95_ms": r["serving"]["p95_ms"],
        "peak_rss_mb": r["full_build"]["peak_rss_mb"],
    }
    out = {}
    for key, (op, limit, text) in TARGETS.items():
        value = figures.get(key)
        met = None
        if value is not None:
            met = {"<=": value <= limit, ">=": value >= limit, "<": value < limit}[op]
        out[key] = {"target": text, "value": value, "met": met}
    return out


def run_bench(
    scales: list[float],
    out_dir: Path,
    *,
    seed: int = 2021,
    postgres: bool = True,
    incremental: bool = True,
    spark: bool = True,
    keep: bool = False,
    progress: Progress = lambda _msg: None,
) -> dict[str, Any]:
    """Benchmark every scale; write ``bench.json`` and ``bench.md`` in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "scales": [],
    }
    partial_file = out_dir / "bench.partial.json"
    for scale in scales:
        work = out_dir / f"scale-{scale:g}"

        def checkpoint(figures: dict[str, Any]) -> None:
            partial_file.write_text(json.dumps({**report, "in_progress": figures}, indent=2))

        report["scales"].append(
            bench_scale(
                scale,
                work,
                seed=seed,
                postgres=postgres,
                incremental=incremental,
                spark=spark,
                progress=progress,
                checkpoint=checkpoint,
            )
        )
        if not keep:
            for d in ("home-full", "peer"):
                shutil.rmtree(work / d, ignore_errors=True)
        (out_dir / "bench.json").write_text(json.dumps(report, indent=2))
    report["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    (out_dir / "bench.json").write_text(json.dumps(report, indent=2))
    (out_dir / "bench.md").write_text(markdown(report))
    partial_file.unlink(missing_ok=True)
    return report


def _fmt(v: Any, unit: str = "") -> str:
    if v is None:
        return "not run"
    if isinstance(v, float):
        return f"{v:,.3g}{unit}" if abs(v) < 1 else f"{v:,.1f}{unit}"
    return f"{v}{unit}"


PHASE_LABELS = {
    "landing": "landing",
    "gx_raw": "GX raw suites",
    "freshness": "raw freshness checks",
    "dbt": "dbt build",
    "gx_models": "GX mart + serving suites",
    "publish": "publish",
    "outputs": "reports + quality feedback",
    "other_steps": "other steps",
    "outside": "outside the steps (start-up, Dagster run)",
}


def _phase(build: dict[str, Any], phase: str) -> float | None:
    # results written before phases were recorded: derive them from the steps
    figures = build.get("phases") or phases(build["seconds"], build.get("steps", {}))
    return figures.get(phase)


def markdown(report: dict[str, Any]) -> str:
    """The benchmark as markdown tables: one column per scale."""
    m = report["machine"]
    scales = report["scales"]
    head = "| | " + " | ".join(f"scale {s['scale']:g}" for s in scales) + " |"
    rule = "|---|" + "---|" * len(scales)

    def row(label: str, get: Callable[[dict[str, Any]], Any], unit: str = "") -> str:
        cells = []
        for s in scales:
            try:
                cells.append(_fmt(get(s), unit))
            except (KeyError, TypeError):
                cells.append("not run")
        return f"| {label} | " + " | ".join(cells) + " |"

    def phase_rows(build: str) -> list[str]:
        return [
            row(f"  {label}", lambda s, p=phase: _phase(s[build], p), " s")
            for phase, label in PHASE_LABELS.items()
        ]

    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM; {m['os']}; "
        f"Python {m['python']}, DuckDB {m['duckdb']}, dbt-core {m['dbt_core']}; "
        f"load average {m['load_average_at_start']} at start. "
        f"Run {report['started_at']}.",
        "",
        head,
        rule,
        row(
            "extract files (MB)",
            lambda s: f"{s['extracts']['files']} ({s['extracts']['megabytes']} MB)",
        ),
        row("rows landed", lambda s: f"{s['full_build']['rows_loaded']:,}"),
        row("**floor**: DuckDB read_csv", lambda s: s["floor"]["seconds"], " s"),
        row("**full build** (smw build)", lambda s: s["full_build"]["seconds"], " s"),
        *phase_rows("full_build"),
        row(
            "  mart + serving models (sum)",
            lambda s: s["full_build"]["validation"]["mart_models_seconds"],
            " s",
        ),
        row("**incremental build** (+1 month)", lambda s: s["incremental_build"]["seconds"], " s"),
        row(
            "  month added (files)",
            lambda s: (
                f"{s['incremental_build']['month_added']} ({s['incremental_build']['files_added']})"
            ),
        ),
        *phase_rows("incremental_build"),
        row("**PostgreSQL 15** dbt build", lambda s: s["postgres"]["dbt_build_seconds"], " s"),
        row("  DuckDB, same dbt build", lambda s: s["postgres"]["duckdb_dbt_build_seconds"], " s"),
        row("  raw copy into PostgreSQL", lambda s: s["postgres"]["load_seconds"], " s"),
        row("**Spark** local mode, dbt build", lambda s: s["spark"]["dbt_build_seconds"], " s"),
        row("  raw export to Parquet", lambda s: s["spark"]["raw_export_seconds"], " s"),
        row(
            "**serving** p50 / p95 (10 queries)",
            lambda s: f"{s['serving']['p50_ms']:.1f} / {s['serving']['p95_ms']:.1f} ms",
        ),
        row("**peak RSS** of the build", lambda s: s["full_build"]["peak_rss_mb"], " MB"),
        row("build ÷ floor", lambda s: s["ratios"]["build_over_floor"], "×"),
        row("PostgreSQL ÷ DuckDB (dbt build)", lambda s: s["ratios"]["postgres_over_duckdb"], "×"),
        row(
            "Spark (local mode) ÷ DuckDB (dbt build)",
            lambda s: s["ratios"]["spark_over_duckdb"],
            "×",
        ),
        row("incremental ÷ full", lambda s: s["ratios"]["incremental_over_full"]),
        row("GX ÷ dbt build", lambda s: s["ratios"]["gx_over_dbt"]),
        "",
        "Targets (judged at every scale; the issue sets them for scale 10):",
        "",
        head,
        rule,
    ]
    for key, (_op, _limit, text) in TARGETS.items():
        lines.append(
            row(
                text,
                lambda s, k=key: (
                    "not run"
                    if s["targets"][k]["met"] is None
                    else ("met" if s["targets"][k]["met"] else "**not met**")
                ),
            )
        )
    for s in scales:
        lines += why_not_met(s, PHASE_LABELS)
        lines += landing_profile(s)
        lines += dbt_profile(s)
        if s.get("postgres"):
            lines += ["", f"Ten slowest models on PostgreSQL, scale {s['scale']:g}:", ""]
            lines += seconds_table(s["postgres"]["slowest_models"], "model")
    return "\n".join(lines) + "\n"
