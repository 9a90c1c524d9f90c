"""Landing assets: one per raw table, keyed like the dbt sources (``raw/<source>``)."""

from collections import defaultdict

import dagster as dg

from orchestration.defs.freshness import raw_table_metadata
from orchestration.defs.resources import WarehouseResource
from orchestration.lib import landing, spec, verify

LANDING_GROUP = "landing"


def raw_asset_key(source_name: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", source_name])


@dg.multi_asset(
    name="land_extracts",
    specs=[
        dg.AssetSpec(
            key=raw_asset_key(s.name),
            group_name=LANDING_GROUP,
            description=f"{s.description} Landed from <landing>/{s.name}/ as text with lineage; "
            "attributors replaced by a keyed pseudonym.",
            kinds={"duckdb", "csv"},
            metadata={"source_system": s.system, "key": ", ".join(s.key)},
        )
        for s in spec.SOURCES
    ],
    description="Land every new extract file: exactly once, one transaction per file, bad files "
    "quarantined with a readable error, landed files archived.",
)
def land_extracts(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    home = warehouse.home_dir

    def progress(i: int, n: int, outcome: landing.FileOutcome) -> None:
        context.log.info(
            f"[{i}/{n}] {outcome.source}/{outcome.file_name}: {outcome.status} ({outcome.rows} rows)"
        )
        if outcome.status == "quarantined":
            context.log.warning(
                f"quarantined {outcome.source}/{outcome.file_name}: {outcome.error}"
            )

    key = warehouse.linkage_key()
    # smw verify's archive <-> audit.loads <-> raw reconciliation: an archived file raw does not
    # hold (a landing whose transaction was lost) is landed again before anything new.
    for line in verify.before_landing(home, key, context.run.run_id):
        context.log.warning(f"verify: {line}")
    report = landing.land(warehouse.landing_dir, home, key, context.run.run_id, progress)
    for item in report.ignored:
        context.log.warning(f"ignored in landing folder: {item}")
    for item in report.waiting:
        context.log.warning(f"waiting in landing folder: {item}")
    for item in report.warnings:
        context.log.warning(f"landing: {item}")
    per_source: dict[str, list[landing.FileOutcome]] = defaultdict(list)
    for o in report.outcomes:
        per_source[o.source].append(o)
    table_metadata = raw_table_metadata(home)  # rows held, newest file, latest event date
    for s in spec.SOURCES:
        outs = per_source.get(s.name, [])
        yield dg.MaterializeResult(
            asset_key=raw_asset_key(s.name),
            metadata={
                **table_metadata[s.name],
                "files_loaded": sum(o.status == "loaded" for o in outs),
                "files_duplicate": sum(o.status == "duplicate" for o in outs),
                "files_quarantined": sum(o.status == "quarantined" for o in outs),
                "rows_loaded": sum(o.rows for o in outs if o.status == "loaded"),
                "quarantined": ", ".join(o.file_name for o in outs if o.status == "quarantined")
                or "none",
            },
        )
