"""Freshness: policies Dagster evaluates, and checks on when each source last sent data.

- Raw assets carry a time-window ``FreshnessPolicy``: landing runs at least daily (the daily
  schedule), so a raw table not refreshed for two days means the pipeline has stopped.
- ``published/serving_database`` carries a cron ``FreshnessPolicy``: published every morning.
- ``raw_extract_freshness`` checks each source's newest landed file against how often the
  supplier sends it (monthly extracts, yearly reference files); it warns, it never blocks.
- Row counts (``dagster/row_count``), files landed, newest file and latest event date are
  attached to each raw asset's materialization (see :func:`raw_table_metadata`).
"""

from datetime import UTC, timedelta

import dagster as dg

from orchestration.defs.resources import WarehouseResource
from orchestration.lib import spec
from orchestration.lib.freshness import SourceState, expected_every, source_states
from orchestration.lib.paths import Home

RAW_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(days=2), warn_window=timedelta(hours=30)
)
PUBLISHED_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron="0 9 * * *", lower_bound_delta=timedelta(hours=3), timezone="Europe/London"
)
CHECK_NAME = "extract_freshness"


def raw_asset_key(source_name: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", source_name])


def with_raw_freshness(assets: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """The landing assets with the raw freshness policy."""
    return assets.map_asset_specs(lambda s: s.replace_attributes(freshness_policy=RAW_FRESHNESS))


def state_metadata(state: SourceState | None) -> dict[str, object]:
    if state is None:
        return {"dagster/row_count": 0, "files_landed_total": 0}
    md: dict[str, object] = {
        "dagster/row_count": state.rows,
        "files_landed_total": state.files_loaded,
        "last_data_date": str(state.last_data_date) if state.last_data_date else "none",
    }
    if state.last_landed_at is not None:
        md["last_file_landed_at"] = dg.MetadataValue.timestamp(
            state.last_landed_at.replace(tzinfo=UTC)
        )
    return md


def raw_table_metadata(home: Home) -> dict[str, dict[str, object]]:
    """Metadata for each raw asset: rows now held, files landed, newest file, latest date."""
    states = source_states(home.warehouse_db)
    return {s.name: state_metadata(states.get(s.name)) for s in spec.SOURCES}


@dg.multi_asset_check(
    name="raw_extract_freshness",
    specs=[
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=raw_asset_key(s.name),
            blocking=False,
            description=f"A {s.name} extract landed within the last {expected_every(s).days} days.",
        )
        for s in spec.SOURCES
    ],
    description="Has each supplier sent data as often as expected? Warns; never blocks.",
)
def raw_extract_freshness(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    states = source_states(warehouse.home_dir.warehouse_db)
    for s in spec.SOURCES:
        state = states.get(s.name)
        fresh = state is not None and state.is_fresh(s)
        age = state.age() if state else None
        md = state_metadata(state)
        md["expected_every_days"] = expected_every(s).days
        md["days_since_last_file"] = round(age / timedelta(days=1), 1) if age else -1
        yield dg.AssetCheckResult(
            asset_key=raw_asset_key(s.name),
            check_name=CHECK_NAME,
            passed=fresh,
            severity=dg.AssetCheckSeverity.WARN,
            metadata=md,
            description=None
            if fresh
            else f"no {s.name} file has landed in the last {expected_every(s).days} days",
        )
