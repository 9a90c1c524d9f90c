"""Data quality: Great Expectations suites (reviewed YAML) validated against the DuckDB warehouse.

Importing this package registers the ``duckdb.buffered`` SQLAlchemy dialect that GX needs.
"""

from orchestration.lib.quality.dialect import connection_url, register
from orchestration.lib.quality.results import (
    ExpectationResult,
    SuiteResult,
    blocking_failures,
    warnings,
)
from orchestration.lib.quality.runner import WarehouseUnavailable, validate
from orchestration.lib.quality.suites import (
    ExpectationSpec,
    Suite,
    SuiteError,
    load_code_lists,
    load_suite,
    load_suites,
)

__all__ = [
    "ExpectationResult",
    "ExpectationSpec",
    "Suite",
    "SuiteError",
    "SuiteResult",
    "WarehouseUnavailable",
    "blocking_failures",
    "connection_url",
    "load_code_lists",
    "load_suite",
    "load_suites",
    "register",
    "validate",
    "warnings",
]
