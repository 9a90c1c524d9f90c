"""The per-provider data-quality feedback pages, as an asset after the quality marts.

``<home>/data-quality/index.html`` and one page per provider (``lib/quality/feedback.py``),
rebuilt on every run from ``marts.fct_quality_scorecard`` and ``marts.fct_provider_volumes``.
"""

import time

import dagster as dg

from orchestration.defs.resources import WarehouseResource
from orchestration.lib.quality import docs
from orchestration.lib.quality.feedback import write_feedback_pages

FEEDBACK_KEY = dg.AssetKey(["outputs", "data_quality_feedback"])
SCORECARD_KEYS = [
    dg.AssetKey(["marts", "fct_quality_scorecard"]),
    dg.AssetKey(["marts", "fct_provider_volumes"]),
]


@dg.asset(
    key=FEEDBACK_KEY,
    deps=SCORECARD_KEYS,
    group_name="outputs",
    description="Data-quality feedback pages: one per provider (failing rules, counts, example "
    "record ids, volume flags) and an index, in <home>/data-quality/.",
)
def data_quality_feedback(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    home = warehouse.home_dir
    started = time.perf_counter()
    index = write_feedback_pages(
        home.warehouse_db, home.data_quality_dir, home.data_docs_dir / "index.html"
    )
    if home.data_docs_dir.is_dir():  # the Data Docs index links the pages once they exist
        docs.write_index(home.data_docs_dir)
    context.log.info(
        f"data-quality feedback: {index.providers} provider page(s), {index.findings} failing "
        f"rule(s), index {index.index_html}"
    )
    return dg.MaterializeResult(
        metadata={
            "index": dg.MetadataValue.path(str(index.index_html)),
            "provider_pages": index.providers,
            "failing_rules": index.findings,
            "seconds": round(time.perf_counter() - started, 2),
        }
    )
