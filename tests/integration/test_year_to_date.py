"""A build on extracts that end mid-year publishes that year as year to date (issue 16): never
as a whole year, never left out; quarters and rolling twelve months only where whole. A tiny
demo with every monthly extract after October 2020 removed."""

from __future__ import annotations

import re

import pytest

from orchestration.lib.paths import Home
from tests.db import rows

pytestmark = pytest.mark.slow

REGION = "E54000008"
CUT_MONTH = "2020-10"
HEADLINE = ("tx_in_treatment", "tx_successful_completion", "nsp_clients", "dip_contacts")


@pytest.fixture(scope="module")
def mid_year(tmp_path_factory) -> Home:
    from orchestration.cli import run_build
    from smw_demo import generate

    root = tmp_path_factory.mktemp("mid-year")
    landing = root / "landing"
    generate(landing, scale=0.01, seed=3)
    removed = 0
    for path in landing.glob("*/*"):
        month = path.name.split(".", 1)[0]
        if re.fullmatch(r"\d{4}-\d{2}", month) and month > CUT_MONTH:
            path.unlink()
            removed += 1
    assert removed > 0
    run_build(root / "home", landing)
    return Home.at(root / "home")


def test_the_unfinished_year_is_published_as_year_to_date(mid_year):
    got = rows(
        mid_year.serving_db,
        "select indicator_code, period, period_type, cast(data_to as varchar), is_provisional "
        "from rpt_indicator_values where area_code = ? and breakdown_type = 'all' "
        "and period in ('2019-20', '2020-21')",
        [REGION],
    )
    by = {(c, p): (t, d, prov) for c, p, t, d, prov in got}
    for code in HEADLINE:
        assert by[(code, "2019-20")] == ("year", "2020-03-31", False), code
        period_type, data_to, provisional = by[(code, "2020-21")]
        assert period_type == "ytd" and provisional, code
        # data_to is the source's latest date: within the cut month, or shortly before it for a
        # source as sparse as DIP at this tiny scale
        assert "2020-09-15" <= data_to <= "2020-10-31", (code, data_to)
    # no 2020-21 row anywhere claims to be a whole year
    assert not rows(
        mid_year.serving_db,
        "select 1 from rpt_indicator_values where period = '2020-21' and period_type <> 'ytd'",
    )


def test_quarters_and_rolling_twelve_months_only_where_the_data_cover_them(mid_year):
    published = {
        (p, t)
        for p, t in rows(
            mid_year.serving_db,
            "select distinct period, period_type from rpt_indicator_values "
            "where indicator_code = 'tx_in_treatment' and period_type in ('quarter', 'rolling_12m')",
        )
    }
    assert ("2020-21 Q2", "quarter") in published
    assert ("12m to 2020-09", "rolling_12m") in published
    assert ("2020-21 Q3", "quarter") not in published
    assert ("12m to 2020-12", "rolling_12m") not in published


def test_status_and_reports_say_which_year_is_to_date(mid_year, capsys):
    from orchestration.cli import main
    from orchestration.lib.reports.content import build_page
    from orchestration.lib.reports.data import load_serving

    main(["status", "--home", str(mid_year.root)])
    said = capsys.readouterr().out
    assert re.search(
        r"2020-21 is year to date \(provisional\), data to 2020-10-\d\d: .*tx_in_treatment", said
    )
    page = build_page(load_serving(mid_year.serving_db), "treatment", REGION, "2020-21")
    assert any(n.startswith("2020-21 is year to date") and "2020-10-" in n for n in page.notes)
