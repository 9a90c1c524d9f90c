"""The date rule of Python-side SQL (orchestration/lib/sql_parsing.py) is the dbt macro's.

The dbt macro ``parse_date`` is compiled once (``dbt compile --inline``) and run on DuckDB beside
``parse_date_sql`` over valid, invalid and edge values; every value must parse the same way.
The Python parser of landing (``pseudonym.parse_date_text``) is held to it too. Landing
(pseudonyms), freshness, the raw suites and ``smw status`` use the helper.
"""

from __future__ import annotations

import inspect
from datetime import date
from pathlib import Path

import duckdb
import pytest

import orchestration
import smw_bench
import smw_demo
from orchestration.lib.pseudonym import parse_date_text
from orchestration.lib.sql_parsing import parse_date_sql
from tests.dbt_inline import compile_inline

VALUES: dict[str, date | None] = {
    "2021-02-28": date(2021, 2, 28),
    "28/02/2021": date(2021, 2, 28),
    "29/02/2020": date(2020, 2, 29),
    "2020-02-29": date(2020, 2, 29),
    " 2021-03-01 ": date(2021, 3, 1),
    "01/03/2021  ": date(2021, 3, 1),
    "31/12/1999": date(1999, 12, 31),
    "0001-01-01": date(1, 1, 1),
    "29/02/2021": None,
    "2021-02-29": None,
    "2021-02-30": None,
    "31/04/2021": None,
    "2021-13-01": None,
    "13/13/2021": None,
    "00/01/2021": None,
    "2021-1-5": None,
    "1/2/2021": None,
    "2021-1-015": None,
    "02021-1-05": None,
    "+2021-1-05": None,
    "2021/01/05": None,
    "01-02-2021": None,
    "20210105": None,
    "2021-01-05T00:00": None,
    "5 January 2021": None,
    "yesterday": None,
    "": None,
    "   ": None,
    "NULL": None,
}


@pytest.fixture(scope="module")
def compiled_macro(tmp_path_factory) -> str:
    compiled = compile_inline(
        {"parse_date": "select k, {{ smw.parse_date('v') }} as d"},
        tmp_path_factory.mktemp("dbt_parse_date"),
    )
    return compiled["parse_date"].strip()


def parsed(select_sql: str) -> dict[str, date | None]:
    con = duckdb.connect()
    con.execute("create table t (k integer, v varchar)")
    keys = list(VALUES) + [None]
    con.executemany("insert into t values (?, ?)", list(enumerate(keys)))
    rows = con.execute(f"{select_sql} from t").fetchall()
    return {keys[k]: d for k, d in rows}


def test_the_helper_parses_as_the_compiled_dbt_macro(compiled_macro):
    assert compiled_macro.startswith("select k, ")
    by_macro = parsed(compiled_macro)
    by_helper = parsed(f"select k, {parse_date_sql('v')} as d")
    for value, expected in VALUES.items():
        assert by_macro[value] == expected, f"dbt macro parse_date on {value!r}"
        assert by_helper[value] == by_macro[value], f"parse_date_sql on {value!r}"
        assert parse_date_text(value) == by_macro[value], f"pseudonym.parse_date_text on {value!r}"
    assert by_helper[None] is None and by_macro[None] is None


@pytest.mark.parametrize(
    "module",
    [
        "orchestration.lib.quality.suite_sql",
        "orchestration.lib.freshness",
        "orchestration.lib.pseudonym",
        "orchestration.lib.status",
    ],
)
def test_python_side_sql_spells_no_date_format_of_its_own(module):
    source = inspect.getsource(__import__(module, fromlist=["_"]))
    assert "'%d/%m/%Y'" not in source, f"{module}: use orchestration.lib.sql_parsing.parse_date_sql"
    assert "parse_date_sql" in source, module


def test_no_other_module_spells_the_date_formats_in_sql():
    # the runtime package and the tools beside it (the demo generator, the benchmark)
    roots = [Path(m.__file__).parent for m in (orchestration, smw_demo, smw_bench)]
    spelled = [
        str(p.relative_to(root.parent))
        for root in roots
        for p in root.rglob("*.py")
        if p.name != "sql_parsing.py" and "'%d/%m/%Y'" in p.read_text(encoding="utf-8")
    ]
    assert not spelled, f"use orchestration.lib.sql_parsing.parse_date_sql in {spelled}"
