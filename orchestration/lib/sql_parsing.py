"""Parsing rules of staging, spelled once for the DuckDB SQL that Python writes.

Landing (pseudonyms), freshness, the data-quality suites and the CLI query raw text with DuckDB
and must read a value the way staging does. The dbt macros in ``dbt_project/macros/parsing.sql``
are the rule; these functions return the same DuckDB expression (``default__parse_date``), and
``tests/unit/test_sql_parsing.py`` checks them against the compiled macro on a set of values.
"""

from __future__ import annotations


def parse_date_sql(column: str) -> str:
    """A DuckDB expression: ``column`` as a date when it is ``YYYY-MM-DD`` or UK ``DD/MM/YYYY``
    (surrounding spaces ignored), else null (dbt macro ``parse_date``)."""
    value = f"trim({column})"
    return (
        f"(case when length({value}) = 10 then coalesce("
        f"cast(try_strptime({value}, '%Y-%m-%d') as date), "
        f"cast(try_strptime({value}, '%d/%m/%Y') as date)) end)"
    )
