"""Publish: the serving layer into serving.duckdb and Parquet exports, atomically, after every
blocking check."""

import dagster as dg

from orchestration.defs.freshness import PUBLISHED_FRESHNESS
from orchestration.defs.resources import WarehouseResource
from orchestration.lib import publish as publishing

PUBLISH_KEY = dg.AssetKey(["published", "serving_database"])


def build_publish_asset(serving_keys: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=PUBLISH_KEY,
        deps=serving_keys,
        group_name="publish",
        kinds={"duckdb", "parquet"},
        freshness_policy=PUBLISHED_FRESHNESS,
        description="serving.duckdb: the suppressed, contracted serving tables only, checked "
        "(row counts and checksums) and swapped in atomically; the previous version is kept for "
        "rollback, and every table is exported to Parquet under <home>/exports/.",
    )
    def serving_database(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        result = publishing.publish(warehouse.home_dir, context.run.run_id)
        context.log.info(
            f"published {len(result.tables)} tables to {result.path} in {result.seconds:.1f} s"
        )
        metadata: dict[str, object] = {
            "path": dg.MetadataValue.path(str(result.path)),
            "tables": len(result.tables),
            "dagster/row_count": sum(result.tables.values()),
            "seconds": result.seconds,
            "published_at": dg.MetadataValue.timestamp(result.published_at),
            **{f"rows/{t}": n for t, n in result.tables.items()},
        }
        # Row counts on the serving models themselves, as seen in what was published.
        for table, rows in result.tables.items():
            key = dg.AssetKey(["serving", table])
            if key in serving_keys:
                context.log_event(
                    dg.AssetObservation(
                        asset_key=key,
                        metadata={"dagster/row_count": rows, "published_by_run": result.run_id},
                    )
                )
        if result.exports is not None:
            metadata["exports"] = dg.MetadataValue.path(str(result.exports))
        return dg.MaterializeResult(metadata=metadata)

    return serving_database
