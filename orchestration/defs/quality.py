"""Great Expectations suites as Dagster asset checks.

Suites on raw tables run right after landing, before dbt; suites on models run after dbt,
before publish. A suite with any ``error`` rule is a *blocking* check: when one of its error
rules fails, nothing downstream of the checked table runs, so serving stays as it was.
``warning`` rules report (the check fails with WARN severity) and publishing goes ahead.
"""

from collections.abc import Sequence

import dagster as dg

from orchestration.defs.resources import WarehouseResource
from orchestration.lib.quality.results import SuiteResult
from orchestration.lib.quality.runner import validate
from orchestration.lib.quality.suites import Suite, load_suites

#: Set on every full build (smw build --full-refresh, the monthly schedule, after smw rekey).
FULL_REFRESH_TAG = "smw/full_refresh"


def suite_asset_key(suite: Suite) -> dg.AssetKey:
    schema, table = suite.table.split(".", 1)
    return dg.AssetKey([schema, table])


def check_name(suite: Suite) -> str:
    return "gx_" + suite.name.split(".", 1)[-1]


def is_blocking(suite: Suite) -> bool:
    return any(e.severity == "error" for e in suite.expectations)


def check_result(suite: Suite, result: SuiteResult) -> dg.AssetCheckResult:
    failed_errors = [e for e in result.expectations if not e.success and e.severity == "error"]
    failed_warnings = [e for e in result.expectations if not e.success and e.severity == "warning"]
    failing = {
        e.rule: f"{e.severity}: {e.unexpected_count if e.unexpected_count is not None else 'failed'}"
        + (f" unexpected of {e.element_count}" if e.element_count else "")
        for e in failed_errors + failed_warnings
    }
    metadata: dict[str, object] = {
        "rules": len(result.expectations),
        "failed_error_rules": len(failed_errors),
        "failed_warning_rules": len(failed_warnings),
        "seconds": round(result.seconds, 2),
        "failing_rules": dg.MetadataValue.json(failing),
    }
    if result.docs_page:
        metadata["data_docs"] = dg.MetadataValue.path(str(result.docs_page))
    if result.error:
        metadata["error"] = result.error
    if result.coverage:
        metadata["coverage"] = result.coverage
    if result.new_loads is not None:
        metadata["new_loads"] = dg.MetadataValue.json(list(result.new_loads))
        metadata["failing_in_new_loads"] = dg.MetadataValue.json(
            {
                e.rule: e.new_unexpected_count
                for e in failed_errors + failed_warnings
                if e.scope == "loads"
            }
        )
    severity = (
        dg.AssetCheckSeverity.ERROR if failed_errors or result.error else dg.AssetCheckSeverity.WARN
    )
    return dg.AssetCheckResult(
        asset_key=suite_asset_key(suite),
        check_name=check_name(suite),
        passed=not (failed_errors or failed_warnings or result.error),
        severity=severity,
        metadata=metadata,
        description=suite.description or None,
    )


def _build_stage_check(stage: str, suites: Sequence[Suite]) -> dg.AssetChecksDefinition:
    specs = [
        dg.AssetCheckSpec(
            name=check_name(s),
            asset=suite_asset_key(s),
            blocking=is_blocking(s),
            description=(s.description or f"Great Expectations suite {s.name}").strip(),
        )
        for s in suites
    ]

    @dg.multi_asset_check(
        name=f"gx_{stage}_suites",
        specs=specs,
        description=f"Great Expectations suites on the {stage} tables (expectations/suites/).",
    )
    def run_suites(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        home = warehouse.home_dir
        # Raw suites on an incremental build read only the loads not yet validated (their
        # per-load rules; lib/quality/runner_loads.py); a full build reads whole tables.
        full = context.run.tags.get(FULL_REFRESH_TAG) == "true"
        results = validate(
            home.warehouse_db,
            suites,
            home.data_docs_dir,
            f"{context.run.run_id}-{stage}",
            incremental=stage == "raw" and not full,
        )
        by_name = {r.suite: r for r in results}
        for s in suites:
            r = by_name[s.name]
            for e in r.expectations:
                if not e.success:
                    context.log.warning(
                        f"{s.name}: rule {e.rule} ({e.severity}) failed"
                        + (
                            f" ({e.new_unexpected_count} in this build's new loads)"
                            if e.scope == "loads" and r.new_loads is not None
                            else ""
                        )
                        + (
                            f": {e.unexpected_count} of {e.element_count} rows"
                            if e.element_count
                            else f": {e.unexpected_count} rows"
                            if e.unexpected_count is not None
                            else ""
                        )
                    )
            yield check_result(s, r)

    return run_suites


def build_gx_checks(
    asset_keys: set[dg.AssetKey],
) -> tuple[list[dg.AssetChecksDefinition], list[dg.AssetKey]]:
    """The GX checks, and the model keys whose blocking suites must pass before publishing."""
    suites = load_suites()
    unknown = [s.name for s in suites if suite_asset_key(s) not in asset_keys]
    if unknown:
        raise ValueError(
            f"expectation suites target tables that are not assets of the pipeline: {', '.join(unknown)}"
        )
    raw = [s for s in suites if suite_asset_key(s).path[0] == "raw"]
    models = [s for s in suites if suite_asset_key(s).path[0] != "raw"]
    checks = [
        _build_stage_check(stage, group)
        for stage, group in (("raw", raw), ("model", models))
        if group
    ]
    gated = sorted({suite_asset_key(s) for s in models if is_blocking(s)}, key=lambda k: k.path)
    return checks, gated
