"""Publish: the serving layer into serving.duckdb, atomically, after every blocking check."""

import dagster as dg

from orchestration.defs.resources import WarehouseResource
from orchestration.lib import publish as publishing

PUBLISH_KEY = dg.AssetKey(["published", "serving_database"])


def build_publish_asset(serving_keys: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=PUBLISH_KEY,
        deps=serving_keys,
        group_name="publish",
        kinds={"duckdb"},
        description="serving.duckdb: the suppressed, contracted serving tables only, swapped in "
        "atomically (the previous version is kept for rollback).",
    )
    def serving_database(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        result = publishing.publish(warehouse.home_dir, context.run.run_id)
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(result.path)),
                "tables": len(result.tables),
                **{f"rows/{t}": n for t, n in result.tables.items()},
            }
        )

    return serving_database
