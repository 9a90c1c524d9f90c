"""The code lists and areas the suites check codes against, read from the reference seeds, and
the pattern that matches a code as the extract specification compares codes. Moved out of
``suites.py``; :mod:`orchestration.lib.quality.suites` still exports these names."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

from orchestration.lib.paths import CODE_LISTS_CSV, SEEDS_DIR

AREAS_CSV = SEEDS_DIR / "reference" / "areas.csv"


def _codes_by_group(path: Path, group_column: str, code_column: str) -> dict[str, tuple[str, ...]]:
    """``group_column`` value → its ``code_column`` values in ``sort_order``, from a seed CSV."""
    groups: dict[str, list[tuple[float, str]]] = {}
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            order = float(row.get("sort_order") or 0)
            groups.setdefault(row[group_column], []).append((order, row[code_column]))
    return {name: tuple(code for _, code in sorted(items)) for name, items in groups.items()}


def load_code_lists(path: Path = CODE_LISTS_CSV) -> dict[str, tuple[str, ...]]:
    """Code list name → its codes in sort order, read from the code-list seed."""
    return _codes_by_group(path, "code_list", "code")


def load_areas(path: Path = AREAS_CSV) -> dict[str, tuple[str, ...]]:
    """Area type (``la``, ``region``, ``country``) → its area codes, from the areas seed."""
    return _codes_by_group(path, "area_type", "area_code")


def codes_regex(codes: Sequence[str]) -> str:
    """A regular expression matching any of ``codes`` as the extract specification compares
    codes: whole value, any case, surrounding spaces ignored (DuckDB's RE2 syntax)."""
    alternatives = "|".join(re.escape(c) for c in codes)
    return rf"^\s*(?i:{alternatives})\s*$"
