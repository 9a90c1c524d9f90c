"""Run expectation suites against the DuckDB warehouse with Great Expectations and report.

Everything GX needs lives for one call of :func:`validate`: an ephemeral context (nothing is
written to the repository), one SQL datasource over the read-only buffered DuckDB dialect, one
table asset per table, a whole-table batch per asset and one validation definition per suite. GX
turns every metric into SQL that DuckDB evaluates; no table is loaded into Python. With
``incremental`` a raw suite's per-load rules run on a query asset over the loads not yet
validated instead, combined with the stored results of earlier loads (:mod:`runner_loads`).

Data Docs go to ``docs_dir`` (see :mod:`orchestration.lib.quality.docs`); the results it returns
are those of :mod:`orchestration.lib.quality.results`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
import warnings as warnings_module
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import great_expectations as gx
from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResult,
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
from orchestration.lib.quality import runner_loads as loads_mod
from orchestration.lib.quality.dialect import adapt_gx_execution_engine, connection_url
from orchestration.lib.quality.results import (
    MAX_EXAMPLES,
    ExpectationResult,
    SuiteResult,
    expectation_result,
    scrub,
    unevaluated,
)
from orchestration.lib.quality.suites import Suite

log = logging.getLogger(__name__)

# GX fetches this many unexpected rows per expectation (LIMIT in SQL), for examples and its pages.
_PARTIAL_UNEXPECTED_COUNT = 20
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_DATASOURCE = "warehouse"


class WarehouseUnavailable(RuntimeError):
    """The DuckDB file could not be opened read-only."""


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


def _not_run(suite: Suite, run_id: str, run_time: dt.datetime, message: str) -> SuiteResult:
    """A suite that could not run: every rule counts as failed, at its own severity."""
    rules = [unevaluated(suite, spec, message) for spec in suite.expectations]
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
    db_path: Path,
    suites: Sequence[Suite],
    docs_dir: Path,
    run_id: str,
    *,
    incremental: bool = False,
) -> list[SuiteResult]:
    """Validate ``suites`` against the DuckDB file ``db_path`` and write Data Docs to ``docs_dir``.

    The file is opened read-only and released before this returns. A suite that cannot run
    (its table is missing, say) is returned with ``error`` set and all its rules failed.

    ``incremental`` (raw suites only; see :mod:`orchestration.lib.quality.runner_loads`): the
    per-load rules read only the rows of the loads not yet validated, and their results combine
    with the stored results of the earlier loads; the other rules read the whole table. Without
    it every rule reads the whole table, and the stored results of raw suites start over.
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
        present = _present_loads(datasource)
        plans: dict[str, loads_mod.Plan] = {}
        new_batches: dict[str, Any] = {}
        for suite in suites:
            if suite.schema_name != "raw" or suite.table in unreadable:
                continue
            if suite.table not in present:  # no load audit, or a table without _load_id
                continue
            ledger = loads_mod.read_ledger(docs_dir, suite.name)
            plans[suite.name] = p = loads_mod.plan(suite, present[suite.table], ledger, incremental)
            if not p.whole_table and p.new_loads:
                new_batches[suite.name] = _add_new_loads(datasource, suite, p.new_loads)
        # After the last asset: the datasource rebuilds its execution engine on config changes.
        adapt_gx_execution_engine(datasource.get_execution_engine())
        for suite in suites:
            if suite.table in unreadable:
                log.warning("suite %s not run: %s", suite.name, unreadable[suite.table])
                results.append(_not_run(suite, run_id, run_time, unreadable[suite.table]))
                continue
            p = plans.get(suite.name)
            if p is not None and not p.whole_table:
                result, keys = _run_incremental(
                    context,
                    suite,
                    p,
                    batches[suite.table],
                    new_batches.get(suite.name),
                    run_id,
                    gx_run_id,
                    docs_dir,
                )
                stored.update(keys)
                results.append(result)
                continue
            result, key = _run_suite(context, suite, batches[suite.table], run_id, gx_run_id)
            if key is not None:
                stored[suite.name] = key
            if p is not None:
                result = _whole_table_loads(result, suite, p, docs_dir, run_id, run_time)
            results.append(result)
    finally:
        _dispose(datasource)

    # A raw suite run incrementally has one GX result per part (new loads, whole table) and its
    # rules page from the whole suite (added to the context in _run_incremental).
    split = [name for name, p in plans.items() if not p.whole_table]
    pages = docs.build_gx_site(context, stored, split)

    def page(name: str) -> Path | None:
        for part in ("", loads_mod.NEW_LOADS_SUFFIX, loads_mod.TABLE_RULES_SUFFIX):
            found = pages.get(name + part, (None, None))[0]
            if found:
                return found
        return None

    results = [replace(r, docs_page=page(r.suite)) for r in results]
    rules_pages = {suite: rules for suite, (_, rules) in pages.items()}
    docs.write_run_summary(docs_dir, run_id, run_time, results, rules_pages)
    docs.finish_gx_site(docs_dir, results)
    docs.write_index(docs_dir)
    return results


def _present_loads(datasource: Any) -> dict[str, dict[int, str]]:
    """Each raw table with a ``_load_id`` column → the loads landed in it (``audit.loads``,
    status ``loaded``: a quarantined or duplicate file lands no row). Empty without the audit."""
    import sqlalchemy as sa

    try:
        with datasource.get_engine().connect() as con:
            tables = {
                str(r[0])
                for r in con.execute(
                    sa.text(
                        "select table_name from information_schema.columns "
                        "where table_schema = 'raw' and column_name = :c"
                    ),
                    {"c": loads_mod.LOAD_COLUMN},
                ).fetchall()
            }
            rows = con.execute(
                sa.text(
                    "select source, load_id, sha256 from audit.loads where status = 'loaded' "
                    "order by load_id"
                )
            ).fetchall()
    except Exception:  # no audit schema (a warehouse that was never landed into): whole tables
        log.info("no load audit in the warehouse: raw suites read whole tables")
        return {}
    out: dict[str, dict[int, str]] = {f"raw.{t}": {} for t in tables}
    for source, load_id, sha in rows:
        if f"raw.{source}" in out:
            out[f"raw.{source}"][int(load_id)] = str(sha or "")
    return out


def _add_new_loads(datasource: Any, suite: Suite, new_loads: Sequence[int]) -> Any:
    """A query asset (GX 1.x) over the rows of ``new_loads`` only, and its batch definition."""
    asset = datasource.add_query_asset(
        name=f"{suite.table}@new_loads", query=loads_mod.new_loads_query(suite.table, new_loads)
    )
    return asset.add_batch_definition_whole_table("new_loads")


def _outcome(e: ExpectationResult) -> loads_mod.RuleOutcome:
    return loads_mod.RuleOutcome(
        success=e.success,
        element_count=e.element_count,
        unexpected_count=e.unexpected_count,
        missing_count=e.missing_count,
        unexpected_percent=e.unexpected_percent,
        observed_value=e.observed_value
        if isinstance(e.observed_value, int) and not isinstance(e.observed_value, bool)
        else None,
        example_ids=tuple(e.example_ids),
        exception=e.exception,
    )


def _whole_table_loads(
    result: SuiteResult,
    suite: Suite,
    p: loads_mod.Plan,
    docs_dir: Path,
    run_id: str,
    run_time: dt.datetime,
) -> SuiteResult:
    """A raw suite run on the whole table: mark each rule's scope and start its ledger over
    (one entry: every load now in the table)."""
    scopes = {e.rule: loads_mod.rule_scope(e) for e in suite.expectations}
    rules = tuple(
        replace(
            e,
            scope=scopes[e.rule],
            new_unexpected_count=e.unexpected_count if scopes[e.rule] == "loads" else None,
        )
        for e in result.expectations
    )
    if result.error is None and p.new_loads:
        ledger = loads_mod.Ledger(suite.name, loads_mod.fingerprint(suite))
        ledger.entries.append(
            loads_mod.LedgerEntry(
                run_id=run_id,
                run_time=run_time.isoformat(),
                loads=p.new_loads,
                shas=p.new_shas,
                rules={e.rule: _outcome(e) for e in rules if e.scope == "loads"},
            )
        )
        loads_mod.write_ledger(docs_dir, ledger)
    elif result.error is None:
        loads_mod.ledger_path(docs_dir, suite.name).unlink(missing_ok=True)
    return replace(result, expectations=rules, coverage=p.reason)


def _run_incremental(
    context: EphemeralDataContext,
    suite: Suite,
    p: loads_mod.Plan,
    table_batch: Any,
    new_batch: Any | None,
    run_id: str,
    gx_run_id: RunIdentifier,
    docs_dir: Path,
) -> tuple[SuiteResult, dict[str, ValidationResultIdentifier]]:
    """A raw suite on an incremental run: per-load rules on the new loads' rows, combined with
    the stored results of the earlier loads; the other rules on the whole table."""
    run_time = gx_run_id.run_time
    load_rules, table_rules = loads_mod.split_rules(suite)
    context.suites.add(suite.build())  # for its rules page: every rule, as on a full run
    keys: dict[str, ValidationResultIdentifier] = {}
    parts: list[SuiteResult] = []
    new_result: SuiteResult | None = None
    if new_batch is not None and load_rules.expectations:
        new_result, key = _run_suite(context, load_rules, new_batch, run_id, gx_run_id)
        parts.append(new_result)
        if key is not None:
            keys[load_rules.name] = key
    if table_rules.expectations:
        table_result, key = _run_suite(context, table_rules, table_batch, run_id, gx_run_id)
        parts.append(table_result)
        if key is not None:
            keys[table_rules.name] = key
    errors = [r.error for r in parts if r.error]
    by_rule = {e.rule: e for r in parts for e in r.expectations}
    new_outcomes = (
        {e.rule: _outcome(e) for e in new_result.expectations} if new_result is not None else {}
    )
    earlier = list(reversed(p.kept))  # newest first
    rules: list[ExpectationResult] = []
    for spec in suite.expectations:
        if loads_mod.rule_scope(spec) == "table":
            rules.append(by_rule[spec.rule])
            continue
        outcomes = [new_outcomes[spec.rule]] if spec.rule in new_outcomes else []
        outcomes += [e.rules[spec.rule] for e in earlier if spec.rule in e.rules]
        mostly = spec.kwargs.get("mostly")
        both = loads_mod.combine(
            outcomes, MAX_EXAMPLES, float(mostly) if mostly is not None else None
        )
        template = by_rule.get(spec.rule) or unevaluated(suite, spec, None)
        new = new_outcomes.get(spec.rule)
        rules.append(
            replace(
                template,
                success=both.success,
                element_count=both.element_count,
                unexpected_count=both.unexpected_count,
                missing_count=both.missing_count,
                unexpected_percent=both.unexpected_percent,
                observed_value=both.observed_value,
                example_ids=both.example_ids,
                exception=both.exception,
                scope="loads",
                new_unexpected_count=(new.unexpected_count if new is not None else 0),
            )
        )
    if new_result is not None and new_result.error is None:
        ledger = loads_mod.Ledger(suite.name, loads_mod.fingerprint(suite), list(p.kept))
        ledger.entries.append(
            loads_mod.LedgerEntry(
                run_id=run_id,
                run_time=run_time.isoformat(),
                loads=p.new_loads,
                shas=p.new_shas,
                rules=new_outcomes,
            )
        )
        loads_mod.write_ledger(docs_dir, ledger)
    error = "; ".join(errors) or None
    return (
        SuiteResult(
            suite=suite.name,
            table=suite.table,
            run_id=run_id,
            run_time=run_time,
            success=error is None and all(r.success for r in rules),
            expectations=tuple(rules),
            seconds=round(sum(r.seconds for r in parts), 3),
            error=error,
            new_loads=p.new_loads,
            coverage=p.reason,
        ),
        keys,
    )


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
    rules = [expectation_result(suite, spec, by_rule[spec.rule]) for spec in suite.expectations]
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
        scrub(r, spec, suite.id_column)
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
