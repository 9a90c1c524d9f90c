"""Expectation suites as reviewed YAML: code-list value sets resolved from the seed, and clear
errors for a suite file that is malformed, misplaced or repeats a rule name.

Fast: suites are written to tmp_path; nothing is validated against a warehouse.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.lib.quality import SuiteError, load_code_lists, load_suite, load_suites
from tests.suites import write_suite

# --- code lists -------------------------------------------------------------------------------


def test_code_list_value_sets_resolve_from_the_seed(tmp_path: Path) -> None:
    codes = load_code_lists()
    path = write_suite(
        tmp_path,
        "raw",
        "visits",
        """
        suite: s
        table: raw.visits
        expectations:
          - type: expect_column_values_to_be_in_set
            kwargs: {column: substance, value_set: {code_list: ims_injected_substance}}
            severity: warning
            rule: substance_coded
            notes: n
          - type: expect_column_values_to_be_in_set
            kwargs: {column: sex, value_set: {code_list: sex, lowercase: true}}
            severity: warning
            rule: sex_coded
            notes: n
        """,
    )
    suite = load_suite(path)
    assert list(suite.rule("substance_coded").kwargs["value_set"]) == list(
        codes["ims_injected_substance"]
    )
    assert "heroin" in suite.rule("substance_coded").kwargs["value_set"]
    assert suite.rule("sex_coded").kwargs["value_set"] == ["m", "f", "i", "u"]


# --- YAML validation --------------------------------------------------------------------------

_GOOD_RULE = """
  - type: expect_column_values_to_not_be_null
    kwargs: {column: visit_id}
    severity: error
    rule: visit_id_present
    notes: n
"""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("suite: s\ntable: raw.visits\nowner: me\nexpectations:" + _GOOD_RULE, "unknown key"),
        ("suite: s\nexpectations:" + _GOOD_RULE, "missing table"),
        (
            "suite: s\ntable: raw.visits\nexpectations:\n  - type: expect_column_values_to_not_be_nul"
            "\n    kwargs: {column: x}\n    severity: error\n    rule: r1\n    notes: n",
            "rule 'r1'.*unknown GX expectation type.*did you mean expect_column_values_to_not_be_null",
        ),
        (
            "suite: s\ntable: raw.visits\nexpectations:\n  - type: expect_column_values_to_not_be_null"
            "\n    kwargs: {column: x}\n    rule: r2\n    notes: n",
            "rule 'r2'.*missing severity",
        ),
        (
            "suite: s\ntable: raw.visits\nexpectations:\n  - type: expect_column_values_to_not_be_null"
            "\n    kwargs: {column: x}\n    severity: critical\n    rule: r3\n    notes: n",
            "rule 'r3'.*severity must be one of error, warning",
        ),
        (
            "suite: s\ntable: raw.visits\nexpectations:\n  - type: expect_column_values_to_not_be_null"
            "\n    kwargs: {column: x}\n    severity: error\n    rule: r4\n    notes: n\n    mostly: 1",
            "rule 'r4'.*unknown key.*mostly",
        ),
        (
            "suite: s\ntable: raw.visits\nexpectations:\n  - type: expect_column_values_to_not_be_null"
            "\n    kwargs: {colum: x}\n    severity: error\n    rule: r5\n    notes: n",
            "rule 'r5'.*invalid kwargs.*colum",
        ),
        (
            "suite: s\ntable: raw.visits\nexpectations:\n  - type: expect_column_values_to_be_in_set"
            "\n    kwargs: {column: x, value_set: {code_list: no_such_list}}"
            "\n    severity: error\n    rule: r6\n    notes: n",
            "rule 'r6'.*unknown code list 'no_such_list'",
        ),
        (
            "suite: s\ntable: raw.visits\nexpectations:\n  - type: expect_column_values_to_not_be_null"
            "\n    kwargs: {column: x, meta: {a: 1}}\n    severity: error\n    rule: r7\n    notes: n",
            "rule 'r7'.*kwargs may not set",
        ),
        (
            "suite: s\ntable: raw.visits\nexpectations:\n  - type: expect_column_values_to_be_json_parseable"
            "\n    kwargs: {column: x}\n    severity: warning\n    rule: r8\n    notes: n",
            "rule 'r8'.*cannot run on DuckDB",
        ),
        (
            "suite: s\ntable: raw.visits\nexpectations:" + _GOOD_RULE + _GOOD_RULE,
            "'visit_id_present' appears more than once",
        ),
        ("suite: s\ntable: raw.visits\ntable: raw.x\nexpectations:" + _GOOD_RULE, "duplicate key"),
        (
            "suite: s\ntable: raw.visits\nid_column: person_id\nexpectations:" + _GOOD_RULE,
            "id_column 'person_id' identifies a person",
        ),
        ("suite: s\ntable: visits\nexpectations:" + _GOOD_RULE, "schema.table"),
        (
            "suite: s\ntable: raw.visits\nexpectations:\n  - type: expect_column_values_to_not_be_null"
            "\n    kwargs: {column: x}\n    severity: error\n    notes: n",
            "expectation 1.*missing rule",
        ),
    ],
)
def test_yaml_errors_are_clear(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "raw" / "visits.yml"
    path.parent.mkdir()
    path.write_text(body, encoding="utf-8")
    with pytest.raises(SuiteError, match=message) as err:
        load_suite(path)
    assert str(path) in str(err.value)


def test_suite_file_must_sit_where_its_table_says(tmp_path: Path) -> None:
    write_suite(
        tmp_path, "marts", "visits", "suite: s\ntable: raw.visits\nexpectations:" + _GOOD_RULE
    )
    with pytest.raises(SuiteError, match="belongs in raw/visits.yml"):
        load_suites(tmp_path)


def test_rule_names_are_unique_across_suites(tmp_path: Path) -> None:
    write_suite(tmp_path, "raw", "a", "suite: a\ntable: raw.a\nexpectations:" + _GOOD_RULE)
    write_suite(tmp_path, "raw", "b", "suite: b\ntable: raw.b\nexpectations:" + _GOOD_RULE)
    with pytest.raises(SuiteError, match="'visit_id_present' also used by"):
        load_suites(tmp_path)
