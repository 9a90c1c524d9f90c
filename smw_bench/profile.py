"""The profile behind the benchmark's figures (issue 19: each target met or, where not, the
profile that shows why): where landing and dbt spend a build's time, and for every target not
met, what the time was made of against the budget the target allows.

Everything here is read from figures the runner recorded (``bench.json``); nothing is measured.
"""

from __future__ import annotations

from typing import Any

from orchestration.lib.landing.batch import PROFILE_STEPS

#: the builds a scale may have, with their labels
BUILDS = (("full_build", "full build"), ("incremental_build", "incremental build"))


def slowest(seconds: dict[str, float], n: int, name: str) -> list[dict[str, Any]]:
    """The ``n`` largest of ``seconds``, slowest first, as ``{name: key, "seconds": value}``."""
    ranked = sorted(seconds.items(), key=lambda kv: -kv[1])[:n]
    return [{name: k, "seconds": v} for k, v in ranked]


def seconds_table(rows: list[dict[str, Any]], name: str) -> list[str]:
    """A markdown table of :func:`slowest` rows."""
    return [f"| {name} | seconds |", "|---|---|"] + [
        f"| {x[name]} | {x['seconds']:.2f} |" for x in rows
    ]


def dbt_nodes(model_seconds: dict[str, float], check_seconds: dict[str, float]) -> dict[str, Any]:
    """How many models (seeds included) and data tests dbt ran in a build, their seconds summed
    (each as dbt timed it; two threads run them, so the sums may exceed the dbt step's wall
    time), and the five slowest data tests."""
    return {
        "models": len(model_seconds),
        "models_seconds": round(sum(model_seconds.values()), 2),
        "tests": len(check_seconds),
        "tests_seconds": round(sum(check_seconds.values()), 2),
        "slowest_tests": slowest(check_seconds, 5, "test"),
    }


def landing_profile(s: dict[str, Any]) -> list[str]:
    """Where the full build's landing spends its time, step by step (``landing.PROFILE_STEPS``),
    with each step's share of the landing's wall time. The strict reading runs in a thread
    beside the inserts: its seconds overlap the rest, and only the wait for it adds."""
    profile = s["full_build"].get("landing_profile") or {}
    if not profile:
        return []
    total = profile.get("total") or 0.0
    files = sum(s["full_build"].get("files", {}).values())
    lines = [
        "",
        f"Landing profile, full build, scale {s['scale']:g} ({files} files, "
        f"{total:.1f} s in the landing step's batch):",
        "",
        "| step | seconds | share of landing |",
        "|---|---|---|",
    ]
    for step, label in [*PROFILE_STEPS, ("other", "other (discovery, settling, audit rows)")]:
        v = float(profile.get(step, 0.0))
        share = f"{v / total:.0%}" if total else "-"
        if step == "strict reading":
            share += " (overlaps)"
        lines.append(f"| {label} | {v:.2f} | {share} |")
    return lines


def dbt_profile(s: dict[str, Any]) -> list[str]:
    """Each build's dbt step: models and data tests with their summed seconds, the ten slowest
    models and the five slowest data tests (a report from before the profile: slowest models
    only, for the full build)."""
    lines: list[str] = []
    for key, label in BUILDS:
        build = s.get(key)
        if not build or not build.get("slowest_models"):
            continue
        nodes = build.get("dbt_nodes")
        dbt_wall = (build.get("steps") or {}).get("dbt_models")
        lines += ["", f"Ten slowest models, {label}, scale {s['scale']:g} (DuckDB):", ""]
        if nodes:
            lines += [
                f"dbt step {dbt_wall or 0:.1f} s wall: {nodes['models']} models and seeds "
                f"({nodes['models_seconds']:.1f} s summed), {nodes['tests']} data tests "
                f"({nodes['tests_seconds']:.1f} s summed), on two threads.",
                "",
            ]
        lines += seconds_table(build["slowest_models"], "model")
        if nodes and nodes["slowest_tests"]:
            lines += ["", f"Five slowest data tests, {label}, scale {s['scale']:g}:", ""]
            lines += seconds_table(nodes["slowest_tests"], "test")
    return lines


def _parts(build: dict[str, Any], labels: dict[str, str]) -> str:
    phases = build.get("phases") or {}
    parts = sorted(((v, k) for k, v in phases.items() if v and v > 0), reverse=True)
    return ", ".join(f"{labels.get(k, k)} {v:.1f} s" for v, k in parts)


def why_not_met(s: dict[str, Any], labels: dict[str, str]) -> list[str]:
    """For each target not met at this scale: the budget the target allows, what the time was
    made of, and which table below profiles it."""
    targets = s.get("targets") or {}
    out: list[str] = []

    def missed(key: str) -> bool:
        return (targets.get(key) or {}).get("met") is False

    full = s.get("full_build") or {}
    if missed("build_over_floor"):
        floor = s["floor"]["seconds"]
        landing = (full.get("phases") or {}).get("landing") or 0.0
        out.append(
            f"- build ≤ 3× floor: the budget is {3 * floor:.1f} s (floor {floor:.1f} s); the "
            f"full build took {full['seconds']:.1f} s: {_parts(full, labels)}. Landing alone is "
            f"{landing / floor:.1f}× the floor (landing profile below); the dbt step's models "
            "are below, slowest first."
        )
    inc = s.get("incremental_build") or {}
    if missed("incremental_over_full") and inc:
        nodes = inc.get("dbt_nodes")
        dbt = ""
        if nodes:
            dbt = (
                f" Its dbt step ran {nodes['models']} models and seeds ({nodes['models_seconds']:.1f} s "
                f"summed) and {nodes['tests']} data tests ({nodes['tests_seconds']:.1f} s "
                "summed) for one month's rows: the models that still read whole tables are "
                "below, slowest first."
            )
        budget = 0.1 * full["seconds"]
        rest = inc["seconds"] - ((inc.get("phases") or {}).get("dbt") or 0.0)
        beyond = f" Without its dbt step the build took {rest:.1f} s, " + (
            "already over the budget." if rest > budget else f"{rest / budget:.0%} of the budget."
        )
        out.append(
            f"- incremental ≤ 10% of full: the budget is {budget:.1f} s; the "
            f"build adding {inc.get('month_added', 'a month')} took {inc['seconds']:.1f} s: "
            f"{_parts(inc, labels)}.{beyond}{dbt}"
        )
    pg = s.get("postgres")
    if missed("postgres_over_duckdb") and pg:
        out.append(
            f"- PostgreSQL ≥ 10× slower: PostgreSQL's dbt build took "
            f"{pg['dbt_build_seconds']:.1f} s against DuckDB's {pg['duckdb_dbt_build_seconds']:.1f}"
            " s on the same raw tables; its slowest models are below."
        )
    if missed("serving_p95_ms"):
        sv = s["serving"]
        out.append(f"- serving p95 < 50 ms: p95 {sv['p95_ms']:.1f} ms (p50 {sv['p50_ms']:.1f} ms).")
    if missed("peak_rss_mb"):
        out.append(
            f"- peak RSS < 4 GB: {full['peak_rss_mb']:,.0f} MB for the whole process tree "
            f"(largest single process {full.get('max_process_rss_mb') or 0:,.0f} MB)."
        )
    if not out:
        return []
    return ["", f"Why a target is not met at scale {s['scale']:g}:", "", *out]
