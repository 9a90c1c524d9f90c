"""Policy over the reviewed expectation suites (expectations/suites/)."""

from __future__ import annotations

from orchestration.lib import spec
from orchestration.lib.quality.suites import SPEC_RULE_GROUPS, load_suites

#: Columns that landing itself writes: a defect there is a defect of ours, so it may block.
LANDING_COLUMNS = {"_load_id", "_file_name", "_row_number", "attributor_status"}
#: Row-by-row expectations (GX "column map" expectations) that a supplier's bad row can fail.
ROW_LEVEL_PREFIXES = (
    "expect_column_values_",
    "expect_column_pair_values_",
    "expect_multicolumn_values_",
)


def test_row_defects_in_supplier_data_warn_and_only_systemic_problems_block():
    """Row-level problems never stop a build (extract spec: kept, reported); a blocking rule on
    supplier-sent values needs a `mostly` threshold so that only a broken extract blocks."""
    supplier_columns = {c.name for s in spec.SOURCES for c in s.columns}
    offenders = []
    for suite in load_suites():
        if not suite.table.startswith("raw."):
            continue
        for e in suite.expectations:
            column = e.kwargs.get("column")
            if (
                e.severity == "error"
                and e.type.startswith(ROW_LEVEL_PREFIXES)
                and column in supplier_columns
                and column not in LANDING_COLUMNS
                and e.kwargs.get("mostly", 1.0) >= 1.0
            ):
                offenders.append(f"{suite.name}:{e.rule}")
    assert not offenders, f"blocking rules that a single bad supplier row would trip: {offenders}"


def test_every_suite_targets_a_table_of_the_pipeline_and_has_notes():
    for suite in load_suites():
        schema, _ = suite.table.split(".")
        assert schema in {"raw", "staging", "intermediate", "marts", "serving"}, suite.name
        for e in suite.expectations:
            assert e.notes.strip(), f"{suite.name}:{e.rule} has no notes for the reader"


def test_raw_suites_take_the_specification_rules_from_spec_and_do_not_restate_them():
    """Column sets, required columns and code lists are stated once, in orchestration/lib/spec.py:
    a raw suite names its rule_prefix and gets them at load time; its file keeps only rules that
    need judgement (thresholds, areas, dates, queries)."""
    import yaml

    from orchestration.lib.paths import SUITES_DIR

    offenders = []
    for path in sorted((SUITES_DIR / "raw").glob("*.yml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        source = spec.source(raw["table"].split(".", 1)[1])
        if not raw.get("rule_prefix"):
            offenders.append(
                f"{path.name}: no rule_prefix (the specification's rules are not taken)"
            )
        required = {c.name for c in source.columns if c.required}
        groups = raw.get("spec_rules", list(SPEC_RULE_GROUPS))
        for item in raw["expectations"]:
            kwargs = item.get("kwargs") or {}
            kind = {
                "expect_table_columns_to_match_set": "columns",
                "expect_column_values_to_not_be_null": "required"
                if set(kwargs) == {"column"} and kwargs["column"] in required
                else None,
                "expect_column_values_to_match_regex": "codes"
                if set(kwargs) == {"column", "regex"} and "code_list" in kwargs["regex"]
                else None,
            }.get(item["type"])
            if kind in groups:
                offenders.append(f"{path.name}: {item['rule']} restates spec.py ({kind})")
    assert not offenders, offenders


def _dbt_key_tests() -> set[tuple[str, str, tuple[str, ...]]]:
    """(model, not_null | unique, columns) of every dbt not_null, unique and
    unique-combination test (dbt tests run as Dagster asset checks)."""
    import json

    from orchestration.defs.transform import ensure_manifest

    found = set()
    for node in json.loads(ensure_manifest().read_text())["nodes"].values():
        if node["resource_type"] != "test":
            continue
        meta = node.get("test_metadata") or {}
        kwargs = meta.get("kwargs") or {}
        combination = kwargs.get("combination") or kwargs.get("combination_of_columns")
        for dep in node["depends_on"]["nodes"]:
            if not dep.startswith("model."):
                continue
            model = dep.rsplit(".", 1)[1]
            if meta.get("name") in ("not_null", "unique"):
                found.add(
                    (model, meta["name"], (node.get("column_name") or kwargs["column_name"],))
                )
            elif combination:
                found.add((model, "unique", tuple(sorted(combination))))
    return found


def test_one_owner_per_check_no_gx_not_null_or_unique_rule_repeats_a_dbt_test():
    """Keys and not-null columns of marts and serving are dbt tests; a GX rule may add only what
    dbt does not check (a `mostly` threshold, a column dbt leaves untested)."""
    dbt = _dbt_key_tests()
    offenders = []
    for suite in load_suites(layers=["marts", "serving"]):
        for e in suite.expectations:
            if "mostly" in e.kwargs:
                continue
            if e.type == "expect_column_values_to_not_be_null":
                key = (suite.table_name, "not_null", (e.kwargs["column"],))
            elif e.type == "expect_column_values_to_be_unique":
                key = (suite.table_name, "unique", (e.kwargs["column"],))
            elif e.type == "expect_compound_columns_to_be_unique":
                key = (suite.table_name, "unique", tuple(sorted(e.kwargs["column_list"])))
            else:
                continue
            if key in dbt:
                offenders.append(f"{suite.name}:{e.rule} repeats the dbt test {key[1]} {key[2]}")
    assert not offenders, offenders


def test_mart_and_serving_suite_descriptions_say_what_the_suite_adds():
    """A suite's description is not a copy of its model's dbt description (the model's YAML
    already says what the table is); it says what the GX rules add to the dbt tests."""
    import json

    from orchestration.defs.transform import ensure_manifest

    def words(text: str) -> str:
        return " ".join(text.split()).lower()

    models = {
        n["name"]: words(n.get("description") or "")
        for n in json.loads(ensure_manifest().read_text())["nodes"].values()
        if n["resource_type"] == "model"
    }
    copies = []
    for suite in load_suites(layers=["marts", "serving"]):
        described = words(suite.description)
        model = models.get(suite.table_name, "")
        if not described or (model and (described in model or model in described)):
            copies.append(suite.name)
    assert not copies, f"suites whose description is empty or the dbt model's: {copies}"
