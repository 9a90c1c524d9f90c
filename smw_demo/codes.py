"""Code values for the demo generator, read at run time from the code-list seed.

The seed ``seeds/code_lists/code_lists.csv`` is the only place code values live. The generator
refers to codes by name for their meaning (heroin is an opiate, ``completed_*`` is a success) and
every such name is checked against the seed here, so a renamed or removed code fails loudly
instead of silently producing data the warehouse would map to ``unknown``.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orchestration.lib.paths import CODE_LISTS_CSV


@dataclass(frozen=True)
class CodeLists:
    """Code lists by name: ordered codes and their categories."""

    codes: Mapping[str, tuple[str, ...]]
    categories: Mapping[str, tuple[str, ...]]

    def of(self, name: str) -> tuple[str, ...]:
        try:
            return self.codes[name]
        except KeyError:
            raise KeyError(f"code list {name!r} is not in the code-list seed") from None

    def index(self, name: str, code: str) -> int:
        """Position of ``code`` in code list ``name`` (the integer the simulation stores)."""
        values = self.of(name)
        try:
            return values.index(code)
        except ValueError:
            raise KeyError(f"code {code!r} is not in code list {name!r}") from None

    def indices(self, name: str, codes: list[str] | tuple[str, ...]) -> np.ndarray:
        return np.array([self.index(name, c) for c in codes], dtype=np.int16)

    def lookup(self, name: str) -> np.ndarray:
        """Object array of the codes followed by ``''``, so that index ``-1`` formats as blank."""
        return np.array([*self.of(name), ""], dtype=object)

    def weights(self, name: str, shares: Mapping[str, float]) -> np.ndarray:
        """A probability vector over code list ``name`` from named shares (others get 0)."""
        values = self.of(name)
        w = np.zeros(len(values))
        for code, share in shares.items():
            w[self.index(name, code)] = share
        total = w.sum()
        if total <= 0:
            raise ValueError(f"shares for {name!r} sum to zero")
        return w / total

    def in_category(self, name: str, category: str) -> tuple[str, ...]:
        return tuple(
            c
            for c, cat in zip(self.of(name), self.categories[name], strict=True)
            if cat == category
        )


def load_code_lists(path: Path = CODE_LISTS_CSV) -> CodeLists:
    """Read the long-format seed (code_list, code, label, category, sort_order)."""
    rows: dict[str, list[tuple[int, str, str]]] = {}
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rows.setdefault(row["code_list"], []).append(
                (int(row["sort_order"] or 0), row["code"], row["category"] or "")
            )
    codes: dict[str, tuple[str, ...]] = {}
    cats: dict[str, tuple[str, ...]] = {}
    for name, items in rows.items():
        items.sort(key=lambda t: t[0])
        codes[name] = tuple(c for _, c, _ in items)
        cats[name] = tuple(cat for _, _, cat in items)
    return CodeLists(codes=codes, categories=cats)
