"""Our one custom expectation: GX's SQL ("unexpected rows") expectation, with example record ids.

Some rules compare fields of a row after parsing them (discharge before referral), join another
table (agency codes known), or aggregate (more than 1% of a month's rows). GX's
``UnexpectedRowsExpectation`` runs such a query inside DuckDB and fails when it returns rows,
but at the SUMMARY result format (the one the runner uses, so that map expectations never fetch
millions of failing rows) it reports only the count. This subclass always keeps the first
failing rows GX fetched anyway (GX fetches at most 200 of them; the count is a separate
``count(*)``), so the runner can show a sample of record ids, as for every other rule.

Write the query to select the record id (the suite's ``id_column``) and nothing identifying:
the runner scrubs protected columns from the rows, but a query that selects only ids never
carries a value in the first place.
"""

from __future__ import annotations

from typing import Any

from great_expectations.core.result_format import ResultFormat
from great_expectations.expectations.core.unexpected_rows_expectation import (
    UnexpectedRowsExpectation,
)

#: Failing rows kept in a result (GX's Data Docs pages and our examples).
KEPT_ROWS = 20


class ExpectQueryToReturnNoRows(UnexpectedRowsExpectation):
    """Fails when ``unexpected_rows_query`` (SQL over ``{batch}``) returns one or more rows.

    The result's ``observed_value`` is the number of rows the query returns; ``details`` holds
    the first rows (at most :data:`KEPT_ROWS`) whatever the result format, except BOOLEAN_ONLY.
    """

    def _validate(
        self,
        metrics: dict,
        runtime_configuration: dict | None = None,
        execution_engine: Any = None,
    ) -> Any:
        result_format = self._get_result_format(runtime_configuration=runtime_configuration)
        if isinstance(result_format, dict):
            result_format = result_format.get("result_format", ResultFormat.SUMMARY)
        count = metrics["unexpected_rows_query.row_count"]
        success = count == 0
        if result_format == ResultFormat.BOOLEAN_ONLY:
            return {"success": success}
        rows = list(metrics["unexpected_rows_query.table"] or [])[:KEPT_ROWS]
        return {
            "success": success,
            "result": {"observed_value": count, "details": {"unexpected_rows": rows}},
        }


#: Custom expectation classes the suite loader accepts beside GX's own, by snake_case type.
CUSTOM_EXPECTATIONS = {"expect_query_to_return_no_rows": ExpectQueryToReturnNoRows}
