"""The SQL helpers a suite's ``expect_query_to_return_no_rows`` may call (``{{ date('x') }}``,
``{{ out_of_range('x') }}``): the parsing staging applies, written once for the raw-table rules.
Moved out of ``suites.py``; :mod:`orchestration.lib.quality.suites` renders queries with them."""

from __future__ import annotations

import jinja2
import jinja2.sandbox

from orchestration.lib import spec as extract_spec
from orchestration.lib.sql_parsing import parse_date_sql


def _sql_date(column: str) -> str:
    # The parsing staging applies (dbt macro parse_date): YYYY-MM-DD or DD/MM/YYYY, else null.
    return parse_date_sql(column)


def _sql_whole_number(column: str) -> str:
    # As staging (dbt macro parse_whole_number): digits with an optional sign, else null.
    c = f"trim({column})"
    return f"(case when regexp_full_match({c}, '[+-]?[0-9]+') then try_cast({c} as bigint) end)"


def _sql_age(event_date_column: str, birth_month_column: str = "birth_month") -> str:
    # Whole years from the birth month (YYYY-MM, set by landing) to the event's month.
    birth = f"cast(try_strptime({birth_month_column} || '-01', '%Y-%m-%d') as date)"
    return f"floor(date_diff('month', {birth}, {_sql_date(event_date_column)}) / 12)"


#: The shapes staging accepts (dbt macros whole_number_pattern, decimal_number_pattern).
_WHOLE_NUMBER_SHAPE = "[+-]?[0-9]+"
_DECIMAL_NUMBER_SHAPE = "[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?"


def _sql_literal(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(float(number))


def _sql_out_of_range(table: str, column: str) -> str:
    """True when ``column`` of a raw table reads as a number (staging's shapes) but lies outside
    the plausible range the extract spec gives it (``orchestration/lib/spec.py``), or cannot be
    held at all (beyond a bigint, or infinite as a double, like 1e309): the values staging turns
    to null (above the maximum) or reports as negative, never summed (issue 22)."""
    schema, _, name = table.partition(".")
    source = extract_spec.SOURCES_BY_NAME.get(name) if schema == "raw" else None
    column_spec = source.column(column) if source and column in source.column_names else None
    if column_spec is None or column_spec.type not in ("integer", "number"):
        raise jinja2.TemplateError(f"out_of_range: {column!r} is no numeric column of {table}")
    if column_spec.min_value is None and column_spec.max_value is None:
        raise jinja2.TemplateError(f"out_of_range: the spec gives {table}.{column} no range")
    c = f"trim({column})"
    whole = column_spec.type == "integer"
    shape = _WHOLE_NUMBER_SHAPE if whole else _DECIMAL_NUMBER_SHAPE
    value = f"try_cast({c} as {'bigint' if whole else 'double'})"
    bounds = []
    if column_spec.min_value is not None:
        bounds.append(f"{value} >= {_sql_literal(column_spec.min_value)}")
    if column_spec.max_value is not None:
        bounds.append(f"{value} <= {_sql_literal(column_spec.max_value)}")
    # null (too large for a bigint) or infinite fails every bound: coalesce(..., false)
    return f"(regexp_full_match({c}, '{shape}') and not coalesce({' and '.join(bounds)}, false))"


#: Helpers the SQL of ``expect_query_to_return_no_rows`` may call, as Jinja expressions
#: (``{{ date('referral_date') }}``). ``{batch}`` (the table) is left for GX to fill in.
#: ``{{ out_of_range('needles_issued') }}`` (:func:`_sql_out_of_range`) also knows the table.
SQL_HELPERS = {"date": _sql_date, "whole_number": _sql_whole_number, "age": _sql_age}
_SQL_TEMPLATES = jinja2.sandbox.SandboxedEnvironment(undefined=jinja2.StrictUndefined)
