"""The outcome of a validation: one :class:`ExpectationResult` per rule, one :class:`SuiteResult`
per suite, and how a GX result becomes one (counts and source record ids only, never a value).

:mod:`orchestration.lib.quality.runner` runs the suites; Dagster, Data Docs, the provider
feedback and ``smw status`` read these results.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from great_expectations.core.expectation_validation_result import ExpectationValidationResult

from orchestration.lib.quality.expectations import CUSTOM_EXPECTATIONS
from orchestration.lib.quality.suites import ExpectationSpec, Severity, Suite

#: How many example failing values / record ids each result keeps.
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class ExpectationResult:
    """The outcome of one rule."""

    suite: str
    rule: str
    type: str
    column: str | None  # "a" or "a, b" for pair / compound expectations; None for table-level
    severity: Severity
    success: bool
    element_count: int | None
    unexpected_count: int | None
    unexpected_percent: float | None
    observed_value: Any  # aggregate expectations (row counts, means, column sets)
    example_values: tuple[Any, ...]  # always empty: failing values are never kept (issue 22)
    example_ids: tuple[Any, ...]  # source record ids of failing rows, when the suite names one
    notes: str
    exception: str | None = None  # GX could not evaluate the rule (counted as failed)
    missing_count: int | None = None  # null values the rule skipped (column-map rules)
    # "table": evaluated on the whole table in this run. "loads" (raw suites): per load, the
    # counts combine this run's new loads with the stored results of the table's earlier loads
    # (runner_loads.py); ``new_unexpected_count`` is the part in this run's new loads.
    scope: str = "table"
    new_unexpected_count: int | None = None

    @property
    def blocking(self) -> bool:
        return not self.success and self.severity == "error"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SuiteResult:
    """The outcome of one suite in one run."""

    suite: str
    table: str
    run_id: str
    run_time: dt.datetime
    success: bool  # every rule passed (warnings included)
    expectations: tuple[ExpectationResult, ...]
    seconds: float
    docs_page: Path | None = None  # GX's validation page for this run
    error: str | None = None  # the suite could not run at all (e.g. the table is missing)
    # Raw suites: the loads whose rows this run read for the per-load rules (None: every row
    # of the table), and in words what the results cover.
    new_loads: tuple[int, ...] | None = None
    coverage: str | None = None

    @property
    def blocking(self) -> bool:
        return any(e.blocking for e in self.expectations)

    def counts(self) -> dict[str, dict[str, int]]:
        """Passed/failed rule counts per severity."""
        out = {s: {"passed": 0, "failed": 0} for s in ("error", "warning")}
        for e in self.expectations:
            out[e.severity]["passed" if e.success else "failed"] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["run_time"] = self.run_time.isoformat()
        d["docs_page"] = str(self.docs_page) if self.docs_page else None
        return d


def blocking_failures(results: Iterable[SuiteResult]) -> list[ExpectationResult]:
    """Failed error-severity rules: any of these stops publishing."""
    return [e for r in results for e in r.expectations if e.blocking]


def warnings(results: Iterable[SuiteResult]) -> list[ExpectationResult]:
    """Failed warning-severity rules: published, and reported."""
    return [e for r in results for e in r.expectations if not e.success and e.severity == "warning"]


# --- from a GX result ----------------------------------------------------------------------


def scrub(
    result: ExpectationValidationResult, spec: ExpectationSpec, id_column: str | None
) -> None:
    """Keep counts and source record ids only, before a GX result is stored or rendered.

    Issue 22: a failing value can be anything a supplier typed (a name in a free-text field, a
    date of birth in the wrong column), so no unexpected value is kept, for any column: the
    Data Docs and feedback pages say how many records failed and which (by record id), and the
    supplier looks them up in their own system. Aggregates (``observed_value``) are kept except
    for protected columns.
    """
    res = result.result
    if not res:
        return
    for key in ("partial_unexpected_list", "partial_unexpected_counts", "unexpected_list"):
        if key in res:
            res[key] = []
    if spec.touches_protected and "observed_value" in res:
        res["observed_value"] = None
    for key in ("partial_unexpected_index_list", "unexpected_index_list"):
        rows = res.get(key)
        if isinstance(rows, list):
            res[key] = [
                {k: v for k, v in row.items() if k == id_column}
                if isinstance(row, Mapping)
                else row
                for row in rows
            ]
    details = res.get("details")
    if isinstance(details, Mapping) and isinstance(details.get("unexpected_rows"), list):
        details["unexpected_rows"] = [
            {k: v for k, v in row.items() if k == id_column} if isinstance(row, Mapping) else row
            for row in details["unexpected_rows"]
        ]


def _exception_message(result: ExpectationValidationResult) -> str | None:
    info = result.exception_info or {}
    if "raised_exception" in info:  # one exception for the whole expectation
        infos: list[Mapping[str, Any]] = [info]
    else:  # one per metric GX failed to compute
        infos = [v for v in info.values() if isinstance(v, Mapping)]
    messages = [str(i.get("exception_message")) for i in infos if i.get("raised_exception")]
    return "; ".join(dict.fromkeys(messages)) or None


def _examples(
    res: Mapping[str, Any], id_column: str | None
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    values: list[Any] = []
    counts = res.get("partial_unexpected_counts")
    if counts:  # most frequent first
        values = [c.get("value") for c in counts if isinstance(c, Mapping)]
    elif res.get("partial_unexpected_list"):
        values = list(res["partial_unexpected_list"])
    unique_values: list[Any] = []
    for v in values:
        if v not in unique_values:
            unique_values.append(v)
    ids: list[Any] = []
    rows = list(res.get("partial_unexpected_index_list") or [])
    details = res.get("details")
    if isinstance(details, Mapping):  # expect_query_to_return_no_rows: the rows it returned
        rows += list(details.get("unexpected_rows") or [])
    if id_column:
        for row in rows:
            if isinstance(row, Mapping) and id_column in row and row[id_column] not in ids:
                ids.append(row[id_column])
    return tuple(unique_values[:MAX_EXAMPLES]), tuple(ids[:MAX_EXAMPLES])


def _rule_fields(suite: Suite, spec: ExpectationSpec) -> dict[str, Any]:
    """What a result says of its rule, whatever the outcome."""
    return {
        "suite": suite.name,
        "rule": spec.rule,
        "type": spec.type,
        "column": ", ".join(spec.columns) or None,
        "severity": spec.severity,
        "notes": spec.notes,
    }


def expectation_result(
    suite: Suite, spec: ExpectationSpec, gx_result: ExpectationValidationResult
) -> ExpectationResult:
    res = gx_result.result or {}
    examples, ids = _examples(res, suite.id_column)
    unexpected_count = res.get("unexpected_count")
    if spec.type in CUSTOM_EXPECTATIONS and isinstance(res.get("observed_value"), int):
        unexpected_count = res["observed_value"]  # the number of rows the query returned
    return ExpectationResult(
        **_rule_fields(suite, spec),
        success=bool(gx_result.success),
        element_count=res.get("element_count"),
        unexpected_count=unexpected_count,
        unexpected_percent=res.get("unexpected_percent"),
        observed_value=res.get("observed_value"),
        example_values=examples,
        example_ids=ids,
        exception=_exception_message(gx_result),
        missing_count=res.get("missing_count"),
    )


def unevaluated(suite: Suite, spec: ExpectationSpec, message: str | None) -> ExpectationResult:
    """A rule with no result (yet): failed with ``message``, or passed on no rows (None)."""
    return ExpectationResult(
        **_rule_fields(suite, spec),
        success=message is None,
        element_count=None,
        unexpected_count=None,
        unexpected_percent=None,
        observed_value=None,
        example_values=(),
        example_ids=(),
        exception=message,
    )
