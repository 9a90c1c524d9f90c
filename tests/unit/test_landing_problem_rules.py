"""The row-problem rules in dbt (macros/quality/staging_checks.sql) agree with the extract
specification as code (orchestration/lib/spec.py), and staging exposes what the checks read."""

from __future__ import annotations

import re
from functools import cache

import pytest
import yaml

from orchestration.lib import spec
from orchestration.lib.paths import DBT_PROJECT_DIR

CHECKS_SQL = DBT_PROJECT_DIR / "macros" / "quality" / "staging_checks.sql"
MART_SQL = DBT_PROJECT_DIR / "models" / "marts" / "quality" / "fct_row_problems.sql"
STAGING = DBT_PROJECT_DIR / "models" / "staging"
MACRO_SQL = DBT_PROJECT_DIR / "macros" / "staging" / "latest_records.sql"
CHECK_OF_TYPE = {"text": "text", "code": "code", "date": "date", "integer": "integer",
                 "number": "number", "list": "code_items"}  # fmt: skip


@cache
def declared() -> dict:
    text = CHECKS_SQL.read_text()
    body = re.search(r"\{%- set checks_yaml -%\}\n(.*?)\{%- endset -%\}", text, re.S)
    assert body, "staging_checks.sql must hold its rules as a YAML block"
    return yaml.safe_load(body[1])


@cache
def record_columns(linked_to_people: bool) -> str:
    """The columns macros/staging/latest_records.sql's staging_record_columns exposes, read from
    the macro's own text (so a column dropped from the macro is a column staging no longer has)."""
    text = MACRO_SQL.read_text()
    body = re.search(r"macro staging_record_columns\(.*?\) -%\}(.*?)\{%- endmacro", text, re.S)
    assert body, f"{MACRO_SQL}: staging_record_columns"
    person = re.search(r"\{%- if linked_to_people -%\}(.*?)\{% endif -%\}", body[1], re.S)
    assert person, f"{MACRO_SQL}: staging_record_columns has no linked_to_people block"
    rest = body[1].replace(person[0], "")
    return (person[1] if linked_to_people else "") + rest


def staging_sql() -> dict[str, str]:
    """source name -> the SQL its staging model exposes: the model's text (or, where the model
    keeps the latest version of what its base model types, the base model's text) with its
    staging_record_columns call replaced by the columns the macro writes."""
    out = {}
    for f in STAGING.rglob("stg_*.sql"):
        text = f.read_text()
        base = re.search(r"ref\('(base_\w+)'\)", text)
        if base:
            (typed,) = STAGING.rglob(f"{base[1]}.sql")
            text = typed.read_text()
        m = re.search(r"staging_(?:latest_records|versions|keyed)\(\s*'\w+',\s*'(\w+)'", text)
        assert m, f
        call = re.search(r"\{\{ smw\.staging_record_columns\((.*?)\) \}\}", text)
        assert call, f"{f}: no staging_record_columns call"
        linked = call[1].replace(" ", "") == "linked_to_people=true"
        assert linked or call[1] == "", f"{f}: {call[0]}"
        out[m[1]] = text.replace(call[0], record_columns(linked))
    return out


def model_for(source: str) -> str:
    matches = [m for m, d in declared().items() if d["source_name"] == source]
    assert len(matches) == 1, f"{source}: {matches}"
    return matches[0]


def test_every_staging_model_is_checked_by_the_problems_mart():
    staged = {f.stem for f in STAGING.rglob("stg_*.sql")}
    assert set(declared()) == staged
    # the mart's list of staged models (its cross-record checks may ref some again)
    block = re.search(r"set staged = \[(.*?)\]", MART_SQL.read_text(), re.S)
    assert block
    listed = re.findall(r"'(stg_\w+)'", block.group(1))
    assert sorted(listed) == sorted(staged)
    assert {d["source_name"] for d in declared().values()} == {s.name for s in spec.SOURCES}


@pytest.mark.parametrize("src", spec.SOURCES, ids=lambda s: s.name)
def test_checks_follow_the_specification(src: spec.Source):
    entry = declared()[model_for(src.name)]
    assert entry["person_level"] is src.person_level
    assert entry.get("event_date") == src.date_column
    checks = entry["columns"]
    expected_columns = [c.name for c in src.columns if c.name not in spec.IDENTIFYING_FIELDS]
    assert list(checks) == expected_columns
    for c in src.columns:
        if c.name in spec.IDENTIFYING_FIELDS:
            continue
        rule = checks[c.name]
        if src.person_level and c.name == "sex":
            assert rule == {"check": "attributor"}  # reported through attributor_status
            continue
        if len(src.key) == 1 and c.name == src.key[0]:
            assert rule == {"check": "key", "required": True}
            continue
        if rule["check"] == "period":
            assert c.type == "text" and c.name == "period"
        else:
            assert rule["check"] == CHECK_OF_TYPE[c.type], c.name
        if c.type != "list":
            assert rule["required"] is c.required, c.name
        if c.code_list:
            assert rule["code_list"] == c.code_list, c.name
        if c.type in ("integer", "number"):
            assert rule.get("min") == c.min_value and rule.get("max") == c.max_value, c.name


@pytest.mark.parametrize("src", spec.SOURCES, ids=lambda s: s.name)
def test_staging_exposes_what_the_checks_read(src: spec.Source):
    sql = staging_sql()[src.name]
    entry = declared()[model_for(src.name)]
    for name, rule in entry["columns"].items():
        if rule["check"] in ("key", "date", "integer", "number"):
            assert f"as {name}_text," in sql, f"{src.name}: {name}_text"
        if rule["check"] == "code_items":
            assert f"as {rule['flag']}," in sql
        if rule.get("not_before"):
            assert rule["not_before"] in entry["columns"]
        if rule.get("required_with"):
            assert entry["columns"][rule["required_with"]]["check"] == "date"
    if src.person_level:
        assert "        attributor_status,\n" in sql and "birth_month," in sql
    # whole numbers are typed strictly (try_cast rounds 12.5 to 13 on DuckDB)
    assert "parse_integer(" not in sql and "parse_number(" not in sql
