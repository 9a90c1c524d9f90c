"""Policy over the reviewed expectation suites (expectations/suites/)."""

from __future__ import annotations

from orchestration.lib import spec
from orchestration.lib.quality.suites import load_suites

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
