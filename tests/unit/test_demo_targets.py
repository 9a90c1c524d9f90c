"""The generator's targets come from the published figures file: correcting a figure there
changes the demo's target (smw_demo/targets.py)."""

from __future__ import annotations

import csv
import importlib
from pathlib import Path

import pytest

from orchestration.lib.calibration import check
from smw_demo import targets


def test_targets_are_the_printed_figures() -> None:
    assert targets.PSYCH_MAIN["crack"] == 191 / 5536
    assert targets.PSYCH_SECOND["crack"] == 704
    assert targets.BI_MAIN_2020["none"] == 325 / 4713
    assert targets.DIP_AGE_SHARE[0].tolist() == [81, 84, 69, 75, 76, 41, 23]


def test_a_figure_corrected_in_the_file_changes_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = list(csv.DictReader(check.FIGURES_PATH.read_text(encoding="utf-8").splitlines()))
    for r in rows:
        if r["figure_id"] == "ims-2020-21-pwid_psychoactive-second-crack":
            r["published"] = "700"
    corrected = tmp_path / "published_figures.csv"
    with corrected.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    monkeypatch.setattr(check, "FIGURES_PATH", corrected)
    try:
        changed = importlib.reload(targets)
        assert changed.PSYCH_SECOND["crack"] == 700
        with pytest.raises(KeyError, match="has no figure 'nonsense'"):
            changed.published("nonsense")
    finally:
        monkeypatch.undo()
        importlib.reload(targets)
    assert targets.PSYCH_SECOND["crack"] == 704
