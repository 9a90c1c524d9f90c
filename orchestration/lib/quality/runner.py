"""Run expectation suites against the DuckDB warehouse with Great Expectations and report.

Everything GX needs lives for one call of :func:`validate`: an ephemeral context (nothing is
written to the repository), one SQL datasource over the read-only buffered DuckDB dialect, one
table asset per table, a whole-table batch per asset and one validation definition per suite. GX
turns every metric into SQL that DuckDB evaluates; no table is loaded into Python.

Data Docs go to ``docs_dir`` (see :mod:`orchestration.lib.quality.docs`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
import warnings as warnings_module
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import great_expectations as gx
from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResult,
    ExpectationValidationResult,
)
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context import EphemeralDataContext
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)

from orchestration.lib.quality import docs
from orchestration.lib.quality.dialect import adapt_gx_execution_engine, connection_url
from orchestration.lib.quality.expectations import CUSTOM_EXPECTATIONS
from orchestration.lib.quality.suites import ExpectationSpec, Severity, Suite

log = logging.getLogger(__name__)

#: How many example failing values / record ids each result keeps.
MAX_EXAMPLES = 5
# GX fetches this many unexpected rows per expectation (LIMIT in SQL), for examples and its pages.
_PARTIAL_UNEXPECTED_COUNT = 20
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_DATASOURCE = "warehouse"


class WarehouseUnavailable(RuntimeError):
    """The DuckDB file could not be opened read-only."""


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


# --- GX context -------------------------------------------------------------------------------


def _context(docs_dir: Path) -> EphemeralDataContext:
    """An in-memory GX context whose only file output is the Data Docs site under ``docs_dir``.

    Validation results are the one store kept on disk (under ``docs_dir``): GX builds its site
    index from the results store and *deletes* pages whose results it no longer holds, so with
    an in-memory store every run would wipe the pages of earlier runs.
    """
    defaults = InMemoryStoreBackendDefaults(init_temp_docs_sites=False)
    stores = dict(defaults.stores)
    stores[defaults.validation_results_store_name] = {
        "class_name": "ValidationResultsStore",
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(docs.results_dir(docs_dir)),
        },
    }
    config = DataContextConfig(
        store_backend_defaults=defaults,
        stores=stores,
        data_docs_sites={docs.SITE_NAME: docs.site_config(docs_dir)},
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _result_format(suite: Suite) -> dict[str, Any]:
    # SUMMARY gives counts plus a LIMITed sample of failing values and (with index columns) of
    # failing records' ids; COMPLETE would fetch every failing row of a multi-million-row table.
    fmt: dict[str, Any] = {
        "result_format": "SUMMARY",
        "partial_unexpected_count": _PARTIAL_UNEXPECTED_COUNT,
    }
    if suite.id_column:
        fmt["unexpected_index_column_names"] = [suite.id_column]
    return fmt


# --- results ----------------------------------------------------------------------------------


def _scrub(
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


def _expectation_result(
    suite: Suite, spec: ExpectationSpec, gx_result: ExpectationValidationResult
) -> ExpectationResult:
    res = gx_result.result or {}
    examples, ids = _examples(res, suite.id_column)
    unexpected_count = res.get("unexpected_count")
    if spec.type in CUSTOM_EXPECTATIONS and isinstance(res.get("observed_value"), int):
        unexpected_count = res["observed_value"]  # the number of rows the query returned
    return ExpectationResult(
        suite=suite.name,
        rule=spec.rule,
        type=spec.type,
        column=", ".join(spec.columns) or None,
        severity=spec.severity,
        success=bool(gx_result.success),
        element_count=res.get("element_count"),
        unexpected_count=unexpected_count,
        unexpected_percent=res.get("unexpected_percent"),
        observed_value=res.get("observed_value"),
        example_values=examples,
        example_ids=ids,
        notes=spec.notes,
        exception=_exception_message(gx_result),
    )


def _not_run(suite: Suite, run_id: str, run_time: dt.datetime, message: str) -> SuiteResult:
    """A suite that could not run: every rule counts as failed, at its own severity."""
    rules = [
        ExpectationResult(
            suite=suite.name,
            rule=spec.rule,
            type=spec.type,
            column=", ".join(spec.columns) or None,
            severity=spec.severity,
            success=False,
            element_count=None,
            unexpected_count=None,
            unexpected_percent=None,
            observed_value=None,
            example_values=(),
            example_ids=(),
            notes=spec.notes,
            exception=message,
        )
        for spec in suite.expectations
    ]
    return _suite_result(suite, run_id, run_time, rules, time.perf_counter(), error=message)


# --- the run ----------------------------------------------------------------------------------


def _check_inputs(db_path: Path, suites: Sequence[Suite], run_id: str) -> None:
    if not _RUN_ID.match(run_id):
        # GX uses the run name as a folder name in its site.
        raise ValueError(
            f"run_id {run_id!r}: use up to 100 letters, digits, '.', '_' or '-' "
            "(it names folders in the Data Docs)"
        )
    if not db_path.is_file():
        raise FileNotFoundError(f"no DuckDB warehouse at {db_path}")
    names = [s.name for s in suites]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"suites given more than once: {', '.join(duplicates)}")


def validate(
    db_path: Path, suites: Sequence[Suite], docs_dir: Path, run_id: str
) -> list[SuiteResult]:
    """Validate ``suites`` against the DuckDB file ``db_path`` and write Data Docs to ``docs_dir``.

    The file is opened read-only and released before this returns. A suite that cannot run
    (its table is missing, say) is returned with ``error`` set and all its rules failed.
    """
    db_path = Path(db_path).resolve()
    docs_dir = Path(docs_dir).resolve()
    _check_inputs(db_path, suites, run_id)
    run_time = dt.datetime.now(dt.UTC)
    gx_run_id = RunIdentifier(run_name=run_id, run_time=run_time)
    docs_dir.mkdir(parents=True, exist_ok=True)

    context = _context(docs_dir)
    try:
        # GX connects once here to test the connection.
        datasource = context.data_sources.add_sql(
            name=_DATASOURCE, connection_string=connection_url(db_path), create_temp_table=False
        )
    except Exception as e:
        raise WarehouseUnavailable(
            f"cannot open {db_path} read-only: {e}. A writer in another process holds DuckDB's "
            "lock, or this process already has the file open with other settings (DuckDB "
            "allows one configuration per file per process): validate from a separate process "
            "or after closing it."
        ) from e
    results: list[SuiteResult] = []
    stored: dict[str, ValidationResultIdentifier] = {}
    try:
        batches, unreadable = _add_tables(datasource, suites, db_path)
        # After the last asset: the datasource rebuilds its execution engine on config changes.
        adapt_gx_execution_engine(datasource.get_execution_engine())
        for suite in suites:
            if suite.table in unreadable:
                log.warning("suite %s not run: %s", suite.name, unreadable[suite.table])
                results.append(_not_run(suite, run_id, run_time, unreadable[suite.table]))
                continue
            result, key = _run_suite(context, suite, batches[suite.table], run_id, gx_run_id)
            results.append(result)
            if key is not None:
                stored[suite.name] = key
    finally:
        _dispose(datasource)

    pages = docs.build_gx_site(context, stored)
    results = [replace(r, docs_page=pages.get(r.suite, (None, None))[0]) for r in results]
    rules_pages = {suite: rules for suite, (_, rules) in pages.items()}
    docs.write_run_summary(docs_dir, run_id, run_time, results, rules_pages)
    docs.finish_gx_site(docs_dir, results)
    docs.write_index(docs_dir)
    return results


def _add_tables(
    datasource: Any, suites: Sequence[Suite], db_path: Path
) -> tuple[dict[str, Any], dict[str, str]]:
    """One table asset and whole-table batch definition per table; tables that cannot be read."""
    batches: dict[str, Any] = {}
    unreadable: dict[str, str] = {}
    for table in dict.fromkeys(s.table for s in suites):
        schema_name, table_name = table.split(".", 1)
        try:
            with warnings_module.catch_warnings():
                # GX 1.14+ deprecates `schema_name` in favour of a schema in the connection; a
                # DuckDB URL has no place for one, and one datasource per schema would mean one
                # engine (and file handle) per schema. `schema_name` still works in 1.x.
                warnings_module.filterwarnings(
                    "ignore", message="`schema_name` is deprecated", category=DeprecationWarning
                )
                # GX checks here that the table exists.
                asset = datasource.add_table_asset(
                    name=table, table_name=table_name, schema_name=schema_name
                )
        except Exception as e:  # GX wraps a missing table in several types
            unreadable[table] = f"cannot read table {table} in {db_path.name}: {e}"
            continue
        batches[table] = asset.add_batch_definition_whole_table("whole_table")
    return batches, unreadable


def _run_suite(
    context: EphemeralDataContext,
    suite: Suite,
    batch_definition: Any,
    run_id: str,
    gx_run_id: RunIdentifier,
) -> tuple[SuiteResult, ValidationResultIdentifier | None]:
    """Validate one suite; its result and the key of its stored GX result (None if it failed)."""
    started = time.perf_counter()
    run_time = gx_run_id.run_time
    gx_suite = context.suites.add(suite.build())
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite.name, data=batch_definition, suite=gx_suite)
    )
    try:
        suite_result = definition.run(result_format=_result_format(suite), run_id=gx_run_id)
    except Exception as e:  # report it, and carry on with the other suites
        message = f"GX could not validate {suite.table}: {e}"
        log.warning("suite %s failed to run: %s", suite.name, message)
        return _not_run(suite, run_id, run_time, message), None
    key = _store_scrubbed(context, suite, suite_result, gx_run_id)
    by_rule = {r.expectation_config.meta.get("rule"): r for r in suite_result.results}
    rules = [_expectation_result(suite, spec, by_rule[spec.rule]) for spec in suite.expectations]
    return _suite_result(suite, run_id, run_time, rules, started), key


def _suite_result(
    suite: Suite,
    run_id: str,
    run_time: dt.datetime,
    rules: Sequence[ExpectationResult],
    started: float,
    error: str | None = None,
) -> SuiteResult:
    return SuiteResult(
        suite=suite.name,
        table=suite.table,
        run_id=run_id,
        run_time=run_time,
        success=error is None and all(r.success for r in rules),
        expectations=tuple(rules),
        seconds=round(time.perf_counter() - started, 3),
        error=error,
    )


def _store_scrubbed(
    context: EphemeralDataContext,
    suite: Suite,
    suite_result: ExpectationSuiteValidationResult,
    gx_run_id: RunIdentifier,
) -> ValidationResultIdentifier:
    """Scrub protected values from the stored result (GX stored it already) and return its key."""
    for r in suite_result.results:
        spec = suite.rule(r.expectation_config.meta.get("rule"))
        _scrub(r, spec, suite.id_column)
    # The key GX's own Checkpoint uses for a validation definition's result.
    key = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.name),
        run_id=gx_run_id,
        batch_identifier=suite_result.batch_id,
    )
    context.validation_results_store.set(key, suite_result)
    return key


def _dispose(datasource: Any) -> None:
    """Close every DuckDB connection GX opened, so the file is free for writers again.

    The datasource keeps one SQLAlchemy engine for connection tests and builds its execution
    engine with another; both pool connections. (Both getters return the cached engines.)
    """
    for get_engine in (lambda: datasource.get_execution_engine().engine, datasource.get_engine):
        try:
            get_engine().dispose()
        except Exception:  # one failure must not keep the other engine's connections open
            log.exception("could not dispose a GX engine")
