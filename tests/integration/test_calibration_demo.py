"""smw calibrate on the session's demo: every figure the demo covers is reproduced (at the demo's
scale, within what a sample of its size can show), and the page is linked from the outputs."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from orchestration.cli import main
from orchestration.lib.calibration import FIGURES_PATH, calibrate, load_figures

pytestmark = pytest.mark.slow


def test_calibrate_on_the_demo_passes_and_writes_its_page(demo_build, capsys) -> None:
    home = demo_build.home
    code = main(["calibrate", "--home", str(home.root), "--landing", str(demo_build.landing)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "calibration (scale 0.03, from" in out
    page = home.root / "calibration" / "index.html"
    md = home.root / "calibration" / "calibration.md"
    assert page.exists() and md.exists()
    text = page.read_text(encoding="utf-8")
    for report in ("IMS", "LEIC", "SEF", "SAL", "PACK"):
        if any(f.report == report for f in load_figures()):
            assert f'id="{report.lower()}"' in text
    index = (home.root / "index.html").read_text(encoding="utf-8")
    assert 'href="calibration/index.html"' in index


def test_every_compared_figure_is_within_tolerance(demo_build) -> None:
    summary = calibrate(demo_build.home.serving_db, load_figures(), scale=0.03)
    failures = [
        f"{o.figure.figure_id}: published {o.figure.published}, smw {o.smw} ({o.verdict} {o.detail})"
        for o in summary.failures
    ]
    assert not failures, "\n".join(failures)
    assert summary.totals["within"] >= 60


def test_leicestershire_2017_18_figures_are_compared_not_skipped(demo_build) -> None:
    """The county chapter's local figures are compared on the county's own demo rows."""
    summary = calibrate(demo_build.home.serving_db, load_figures(), scale=0.03)
    got = {o.figure.figure_id: o for o in summary.outcomes}
    for fid in (
        "leic-2017-18-t1-in-treatment-opiate",
        "leic-2017-18-t2-in-treatment-all",
        "leic-2017-18-t13-completions-share-all",
        "leic-2014-15-t4-prevalence-ocu",
    ):
        assert got[fid].figure.area_code == "E10000018"
        assert got[fid].verdict == "within", (fid, got[fid])
    leic = [o for o in summary.outcomes if o.figure.area_code == "E10000018"]
    within = sum(o.verdict == "within" for o in leic)
    assert within >= 30, (within, Counter(o.verdict for o in leic))
    # the county's history (from 2009-10) is in the demo: its figures are compared too
    assert not [o.figure.figure_id for o in leic if o.verdict == "not_in_demo"]
    assert got["leic-2009-10-np-under-25"].verdict == "within", got["leic-2009-10-np-under-25"]


def test_a_wrong_figure_fails_with_exit_1_naming_it(demo_build, tmp_path: Path, capsys) -> None:
    rows = list(csv.DictReader(FIGURES_PATH.read_text(encoding="utf-8").splitlines()))
    target = next(r for r in rows if r["figure_id"] == "ims-2020-21-bi_only-size")
    target["published"] = str(float(target["published"]) * 2)
    wrong = tmp_path / "figures.csv"
    with wrong.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    code = main(
        [
            "calibrate",
            "--home",
            str(tmp_path / "home-copy"),
            "--figures",
            str(wrong),
            "--scale",
            "0.03",
        ]
    )
    assert code == 2  # no serving.duckdb in that home: a usage error, not a crash
    assert "does not exist: build" in capsys.readouterr().err
    home = demo_build.home
    code = main(["calibrate", "--home", str(home.root), "--figures", str(wrong), "--scale", "0.03"])
    out = capsys.readouterr().out
    assert code == 1
    assert "OUTSIDE ims-2020-21-bi_only-size" in out
    # the page written last says so too; the project's own figures put it right again
    assert "OUTSIDE tolerance" in (home.root / "calibration" / "index.html").read_text()
    assert main(["calibrate", "--home", str(home.root), "--scale", "0.03"]) == 0
