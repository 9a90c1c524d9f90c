"""Serving latency: ten queries of the kind a BI dashboard sends to ``serving.duckdb``, each
run repeatedly on a read-only connection, timed from execute to the last row fetched."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

#: name -> SQL. Filters pick the latest year and the first area from the data itself, so
#: the queries fit any build (they are what a dashboard's drop-downs would send).
_TOP_INDICATOR = """(select indicator_code from rpt_indicator_values where breakdown_type = 'all'
      and value is not null group by indicator_code order by count(*) desc, indicator_code limit 1)"""

BI_QUERIES: dict[str, str] = {
    "catalogue": "select indicator_code, title, unit, polarity from rpt_indicator_catalogue order by indicator_code",
    "latest_one_area": """
        select indicator_code, indicator_title, value, lower_95, upper_95, comparator_value, comparison
        from rpt_indicator_latest
        where area_code = (select min(area_code) from rpt_indicator_latest where area_type = 'la')
          and breakdown_type = 'all'
        order by indicator_code""",
    "indicator_all_areas": f"""
        select area_name, value, lower_95, upper_95, comparison
        from rpt_indicator_values
        where indicator_code = {_TOP_INDICATOR}
          and period = (select max(period) from rpt_indicator_values
                        where indicator_code = {_TOP_INDICATOR} and period_type in ('year', 'ytd'))
          and breakdown_type = 'all'
        order by value desc nulls last""",
    "trend_one_indicator": f"""
        select period, area_code, value
        from rpt_indicator_values
        where indicator_code = {_TOP_INDICATOR}
          and breakdown_type = 'all'
        order by area_code, period""",
    "breakdown_with_labels": """
        select v.area_code, v.breakdown_type, l.label, v.numerator, v.value
        from rpt_indicator_values as v
        left join rpt_breakdown_labels as l
            on v.breakdown_type = l.breakdown_type and v.breakdown = l.breakdown
        where v.period = (select max(period) from rpt_indicator_values where period_type in ('year', 'ytd'))
          and v.breakdown_type <> 'all'
        order by v.area_code, v.breakdown_type, l.label""",
    "comparison_counts": """
        select period, comparison, count(*) as indicators
        from rpt_indicator_values
        where area_type = 'la'
        group by period, comparison
        order by period, comparison""",
    "suppression_share": """
        select indicator_code, avg(case when is_suppressed then 1.0 else 0.0 end) as share_withheld
        from rpt_indicator_values
        group by indicator_code
        order by share_withheld desc""",
    "nsp_trend": """
        select period, area_name, clients, visits, needles, clients_change_relative
        from rpt_nsp_activity
        order by area_name, period""",
    "nsp_region_latest": """
        select area_name, sum(needles) as needles, sum(visits) as visits
        from rpt_nsp_activity
        where period = (select max(period) from rpt_nsp_activity)
        group by area_name
        order by needles desc nulls last""",
    "publication": "select table_name, row_count, published_at from _publication order by table_name",
}


@dataclass
class ServingResult:
    repeats: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    per_query: dict[str, dict[str, float]]  # name -> {p50_ms, p95_ms, rows}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1]


def measure_serving(serving_db: Path, repeats: int = 20) -> ServingResult:
    """Each query once to warm up, then ``repeats`` timed runs; p50/p95 over all runs."""
    con = duckdb.connect(str(serving_db), read_only=True)
    per_query: dict[str, dict[str, float]] = {}
    everything: list[float] = []
    try:
        for name, sql in BI_QUERIES.items():
            rows = len(con.execute(sql).fetchall())
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                con.execute(sql).fetchall()
                times.append((time.perf_counter() - t0) * 1000)
            everything.extend(times)
            per_query[name] = {
                "p50_ms": round(_percentile(times, 50), 2),
                "p95_ms": round(_percentile(times, 95), 2),
                "rows": rows,
            }
    finally:
        con.close()
    return ServingResult(
        repeats=repeats,
        p50_ms=round(_percentile(everything, 50), 2),
        p95_ms=round(_percentile(everything, 95), 2),
        max_ms=round(max(everything), 2),
        per_query=per_query,
    )
