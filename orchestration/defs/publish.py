"""Publish: the serving layer into serving.duckdb and Parquet exports, atomically, after every
blocking check."""

import dagster as dg

from orchestration.defs.freshness import PUBLISHED_FRESHNESS
from orchestration.defs.resources import WarehouseResource
from orchestration.lib import postgres_serving
from orchestration.lib import publish as publishing

PUBLISH_KEY = dg.AssetKey(["published", "serving_database"])
POSTGRES_KEY = dg.AssetKey(["published", "postgres_serving"])


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


@dg.asset(
    key=POSTGRES_KEY,
    deps=[PUBLISH_KEY],
    group_name="publish",
    kinds={"postgres"},
    output_required=False,
    description="With SMW_POSTGRES_URL set: what was just published, loaded into a PostgreSQL "
    "schema (SMW_POSTGRES_SCHEMA, default serving) in one transaction, readable by the "
    "read-only role smw_reader, with the dbt docs as comments (lib/postgres_serving.py). "
    "Without it, nothing: smw stays DuckDB-only.",
)
def postgres_serving_schema(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    url = postgres_serving.configured_url()
    if not url:
        context.log.info(f"{postgres_serving.URL_ENV} is not set: no PostgreSQL serving")
        return
    load = postgres_serving.load_serving(
        warehouse.home_dir.serving_db, url, postgres_serving.configured_schema()
    )
    context.log.info(
        f"loaded {len(load.tables)} tables into {load.url} schema {load.schema} "
        f"in {load.seconds:.1f} s"
    )
    yield dg.MaterializeResult(
        metadata={
            "url": load.url,
            "schema": load.schema,
            "run_id": load.run_id,
            "dagster/row_count": sum(load.tables.values()),
            "seconds": load.seconds,
            **{f"rows/{t}": n for t, n in load.tables.items()},
        }
    )
