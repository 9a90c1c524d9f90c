"""Conventions over the dbt manifest, in the spirit of dbt-project-evaluator (house style)."""

from __future__ import annotations

import json
import re
from functools import cache

import pytest

from orchestration.defs.transform import ensure_manifest
from orchestration.lib import spec
from orchestration.lib.paths import DBT_PROJECT_DIR

LAYER_ORDER = {"staging": 1, "intermediate": 2, "marts": 3, "serving": 4}


@cache
def manifest() -> dict:
    return json.loads(ensure_manifest().read_text())


def models() -> list[dict]:
    return [n for n in manifest()["nodes"].values() if n["resource_type"] == "model"]


def layer(node: dict) -> str:
    return node["fqn"][1]


def test_every_extract_source_is_a_dbt_source_with_the_spec_columns():
    sources = {s["name"]: s for s in manifest()["sources"].values()}
    assert set(sources) == {s.name for s in spec.SOURCES}
    for src in spec.SOURCES:
        dbt_src = sources[src.name]
        assert dbt_src["source_name"] == src.system
        expected = [*src.raw_columns, *spec.LINEAGE_COLUMNS]
        assert list(dbt_src["columns"]) == expected, src.name


def test_one_staging_model_per_source_and_only_staging_reads_sources():
    staged: dict[str, list[str]] = {}
    for m in models():
        srcs = m["depends_on"]["nodes"]
        src_deps = [s for s in srcs if s.startswith("source.")]
        if src_deps:
            assert layer(m) == "staging", f"{m['name']} reads a source outside staging"
        for s in src_deps:
            staged.setdefault(s, []).append(m["name"])
    for s, ms in staged.items():
        assert len(ms) == 1, f"{s} has several staging models: {ms}"
    assert len(staged) == len(spec.SOURCES)


def test_no_model_reads_a_layer_above_its_own_and_no_staging_to_staging():
    nodes = manifest()["nodes"]
    for m in models():
        for dep in m["depends_on"]["nodes"]:
            node = nodes.get(dep)
            if node is None or node["resource_type"] != "model":
                continue
            assert LAYER_ORDER[layer(node)] <= LAYER_ORDER[layer(m)], (
                f"{m['name']} reads {node['name']}"
            )
            if layer(m) == "staging" and not is_own_base(m, node):
                pytest.fail(f"staging model {m['name']} reads another model {node['name']}")


def is_own_base(model: dict, node: dict) -> bool:
    """A staging model may read the base model of its own source (dbt-labs' "base models": the
    source typed row by row, every version, for a source too large to re-read at every build)."""
    return node["name"] == model["name"].replace("stg_", "base_", 1)


def test_every_model_is_documented_with_its_grain_and_a_tested_primary_key():
    tests = [n for n in manifest()["nodes"].values() if n["resource_type"] == "test"]
    tested: dict[str, set[str]] = {}
    for t in tests:
        meta = t.get("test_metadata") or {}
        attached = t.get("attached_node")
        if attached and meta.get("name") in ("unique", "not_null"):
            tested.setdefault(attached, set()).add(f"{meta['name']}:{t.get('column_name')}")
        if attached and meta.get("name") == "unique_combination_of_columns":
            tested.setdefault(attached, set()).add("unique_combination")
    by_name = {m["name"]: m for m in models()}

    def has_pk(m: dict) -> bool:
        keys = tested.get(m["unique_id"], set())
        return (
            any(k.startswith("unique:") and k.replace("unique:", "not_null:") in keys for k in keys)
            or "unique_combination" in keys
        )

    for m in models():
        desc = m["description"].strip()
        assert re.match(r"^One row per ", desc), (
            f"{m['name']}: description must start with its grain"
        )
        undocumented = [c for c, v in m["columns"].items() if not v.get("description")]
        assert not undocumented, f"{m['name']}: undocumented columns {undocumented}"
        # A staging view whose rows an accumulated table holds (the same rows, typed once:
        # tests/integration/test_serving_readers.py checks they are equal) has its key tested
        # there, where the test reads a table rather than every version landed.
        meta = {**(m.get("meta") or {}), **(m.get("config", {}).get("meta") or {})}
        holder = by_name.get(meta.get("rows_tested_in", ""), m)
        assert has_pk(holder), f"{m['name']} has no tested primary key"


def test_serving_models_have_enforced_contracts():
    for m in models():
        if layer(m) == "serving":
            assert m["config"]["contract"]["enforced"], m["name"]


def test_model_names_follow_the_house_style():
    prefixes = {
        "staging": ("stg_", "base_"),
        "intermediate": "int_",
        "marts": ("fct_", "dim_"),
        "serving": "rpt_",
    }
    for m in models():
        assert m["name"].startswith(prefixes[layer(m)]), m["name"]


def test_no_hard_coded_relations_in_models():
    pattern = re.compile(r"\b(from|join)\s+(raw|staging|marts|serving|reference|audit)\.", re.I)
    for sql in (DBT_PROJECT_DIR / "models").rglob("*.sql"):
        assert not pattern.search(sql.read_text()), (
            f"{sql.name} names a relation directly; use ref()/source()"
        )


#: DuckDB-only SQL that Spark (and PostgreSQL) reject; engine-specific pieces belong in a
#: macro with adapter.dispatch variants (tests/integration/test_spark_engine.py proves it).
DUCKDB_ONLY = re.compile(
    r"::|\b(try_cast|try_strptime|strptime|strftime|string_split|unnest|list_\w+|"
    r"regexp_full_match|date_diff|epoch|qualify|exclude)\b|\binterval\s+'",
    re.I,
)


def test_models_use_no_duckdb_only_syntax():
    for sql in (DBT_PROJECT_DIR / "models").rglob("*.sql"):
        text = re.sub(r"\{#.*?#\}", "", sql.read_text(), flags=re.S)  # not in comments
        found = DUCKDB_ONLY.search(text)
        assert not found, f"{sql.name}: DuckDB-only {found.group(0)!r}; use a dispatched macro"


def test_every_dispatched_macro_with_duckdb_sql_has_a_spark_variant():
    macros = "\n".join(p.read_text() for p in (DBT_PROJECT_DIR / "macros").rglob("*.sql"))
    bodies = re.findall(r"\{% macro default__(\w+)\(.*?%\}(.*?)\{%-? endmacro", macros, re.S)
    for name, body in bodies:
        if DUCKDB_ONLY.search(re.sub(r"\{#.*?#\}", "", body, flags=re.S)):
            assert f"macro spark__{name}(" in macros, f"default__{name} has no spark__{name}"
