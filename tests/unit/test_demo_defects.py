"""Where the demo plants NSP substance defects: never on an IPED transaction, so an IPED
injector's period keeps its IPED visits (and its steroids stay out of the psychoactive cohort)."""

from __future__ import annotations

import numpy as np

from smw_demo.defects import NSP, RowDefect, _allowed, _move_off


class _Rows:
    def __init__(self, heroin: list[bool], iped: list[bool]) -> None:
        self.numeric = {"heroin": np.array(heroin), "iped": np.array(iped)}

    def __len__(self) -> int:
        return len(self.numeric["heroin"])


def test_nsp_substance_defects_avoid_iped_rows() -> None:
    rows = _Rows(heroin=[True, False, False, True], iped=[False, True, False, False])
    unknown = _allowed(RowDefect("unknown_code", NSP, ("substance_injected",), 1.0), rows)
    missing = _allowed(RowDefect("missing_required", NSP, ("substance_injected",), 1.0), rows)
    other = _allowed(RowDefect("negative_count", NSP, ("needles_issued",), 1.0), rows)
    assert unknown.tolist() == [True, False, False, True]
    assert missing.tolist() == [True, False, True, True]
    assert other.tolist() == [True, True, True, True]


def test_a_disallowed_pick_moves_to_the_next_free_allowed_row() -> None:
    allowed = np.array([True, False, True, True, False, False])
    # row 1 moves to 3 (2 is taken), row 4 wraps round to 0
    assert _move_off(np.array([1, 2, 4]), allowed).tolist() == [0, 2, 3]
    # nothing left to move to: the pick is dropped
    assert _move_off(np.array([0, 1, 2, 3]), allowed).tolist() == [0, 2, 3]
    picks = np.array([0, 3])
    assert _move_off(picks, allowed) is picks
