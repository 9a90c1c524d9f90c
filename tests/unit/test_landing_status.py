"""`smw status` on a warehouse that only landed files (no build yet): per source counts, the
newest event date, rejected files with their reason, and row problems not built yet."""

from __future__ import annotations

from pathlib import Path

from orchestration.cli import main
from orchestration.lib import landing
from orchestration.lib.paths import Home
from orchestration.lib.pseudonym import LinkageKey

HEADER = (
    "transaction_id,agency_code,transaction_date,first_initial,surname_initial,"
    "date_of_birth,sex,substance_injected,needles_issued"
)


def test_status_after_landing_only(tmp_path: Path, capsys):
    home = Home.at(tmp_path / "home")
    assert main(["status", "--home", str(home.root)]) == 1
    assert "no build has run" in capsys.readouterr().out

    folder = tmp_path / "landing" / "ims_nsp_transactions"
    folder.mkdir(parents=True)
    rows = [
        "T1,A1,2020-04-01,J,S,1980-03-12,M,heroin,10",
        "T2,A1,14/05/2020,J,S,1980-03-12,M,heroin,10",
        "T3,A1,2999-01-01,J,S,1980-03-12,M,heroin,10",  # in the future: not the newest data
    ]
    (folder / "2020-05.csv").write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    (folder / "2020-05 (copy).csv").write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    (folder / "2020-06.csv").write_text(HEADER + "\nT4,A1\n")
    key = LinkageKey(b"status-test-key-0123456789abcdefgh", "test")
    landing.land(tmp_path / "landing", home, key, "status-test")

    assert main(["status", "--home", str(home.root)]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("  ims_nsp_transactions"))
    assert line.split() == [
        "ims_nsp_transactions",
        "1",
        "1",
        "1",
        "3",
        "not",
        "built",
        "2020-05-14",
    ]
    assert "row problems: not built yet" in out
    assert "Rejected   1 file(s)" in out
    assert "ims_nsp_transactions/2020-06.csv: record 1 (line 2) has 2 fields" in out
    agencies = next(x for x in out.splitlines() if x.startswith("  ims_agencies"))
    assert agencies.split()[1:5] == ["0", "0", "0", "0"]
    assert "Published  nothing yet" in out
