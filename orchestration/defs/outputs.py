"""Outputs made from what was just published: the area profile reports and the outputs index.

They read serving.duckdb only, so disclosure control always applies to them.
"""

from collections.abc import Iterator

import dagster as dg

from orchestration.defs.publish import PUBLISH_KEY
from orchestration.defs.resources import WarehouseResource
from orchestration.lib.outputs import write_outputs_index
from orchestration.lib.reports import generate_reports

REPORTS_KEY = dg.AssetKey(["outputs", "area_reports"])


class AreaReportsConfig(dg.Config):
    """Run config of the reports step: ``smw build --no-reports`` sets ``enabled`` to false (the
    build then publishes and exports as usual; `smw report` writes the reports later)."""

    enabled: bool = True


#: Run config for a build without the area reports.
NO_REPORTS_RUN_CONFIG = {"ops": {"outputs__area_reports": {"config": {"enabled": False}}}}


@dg.asset(
    key=REPORTS_KEY,
    deps=[PUBLISH_KEY],
    group_name="outputs",
    kinds={"html"},
    output_required=False,
    description="Area profile reports (harm-reduction overview, treatment profile, DIP activity "
    "profile) for every area, as HTML from serving.duckdb, and the outputs index "
    "(<home>/index.html) linking everything the build produced. `smw report` also prints PDFs.",
)
def area_reports(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, config: AreaReportsConfig
) -> Iterator[dg.MaterializeResult]:
    home = warehouse.home_dir
    if not config.enabled:
        context.log.info("area reports not asked for in this run (smw build --no-reports)")
        return
    index = generate_reports(home.serving_db, home.reports_dir, pdf=False)
    outputs_index = write_outputs_index(home)
    context.log.info(f"wrote {len(index.pages)} report pages; outputs index {outputs_index}")
    yield dg.MaterializeResult(
        metadata={
            "pages": len(index.pages),
            "reports_index": dg.MetadataValue.path(str(index.index_html)),
            "outputs_index": dg.MetadataValue.path(str(outputs_index)),
        }
    )
