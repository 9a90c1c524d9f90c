"""Outputs made from what was just published: the area profile reports and the outputs index.

They read serving.duckdb only, so disclosure control always applies to them.
"""

import dagster as dg

from orchestration.defs.publish import PUBLISH_KEY
from orchestration.defs.resources import WarehouseResource
from orchestration.lib.outputs import write_outputs_index
from orchestration.lib.reports import generate_reports

REPORTS_KEY = dg.AssetKey(["outputs", "area_reports"])


@dg.asset(
    key=REPORTS_KEY,
    deps=[PUBLISH_KEY],
    group_name="outputs",
    kinds={"html"},
    description="Area profile reports (harm-reduction overview, treatment profile, DIP activity "
    "profile) for every area, as HTML from serving.duckdb, and the outputs index "
    "(<home>/index.html) linking everything the build produced. `smw report` also prints PDFs.",
)
def area_reports(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    home = warehouse.home_dir
    index = generate_reports(home.serving_db, home.reports_dir, pdf=False)
    outputs_index = write_outputs_index(home)
    context.log.info(f"wrote {len(index.pages)} report pages; outputs index {outputs_index}")
    return dg.MaterializeResult(
        metadata={
            "pages": len(index.pages),
            "reports_index": dg.MetadataValue.path(str(index.index_html)),
            "outputs_index": dg.MetadataValue.path(str(outputs_index)),
        }
    )
