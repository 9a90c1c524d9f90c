"""A minimal column table: a dict of equal-length numpy arrays.

The simulation keeps every source as numeric columns (day numbers, code indices, person indices)
and only turns them into text one file at a time when writing, which keeps memory modest at
large scales.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


class Table:
    def __init__(self, **cols: np.ndarray) -> None:
        self.cols: dict[str, np.ndarray] = {}
        n: int | None = None
        for name, values in cols.items():
            arr = np.asarray(values)
            if n is None:
                n = len(arr)
            elif len(arr) != n:
                raise ValueError(f"column {name!r} has {len(arr)} rows, expected {n}")
            self.cols[name] = arr

    def __len__(self) -> int:
        return len(next(iter(self.cols.values()))) if self.cols else 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]

    def __setitem__(self, name: str, values: np.ndarray) -> None:
        arr = np.asarray(values)
        if self.cols and len(arr) != len(self):
            raise ValueError(f"column {name!r} has {len(arr)} rows, expected {len(self)}")
        self.cols[name] = arr

    def __contains__(self, name: object) -> bool:
        return name in self.cols

    def __iter__(self) -> Iterator[str]:
        return iter(self.cols)

    def take(self, idx: np.ndarray) -> Table:
        return Table(**{k: v[idx] for k, v in self.cols.items()})

    @staticmethod
    def concat(tables: list[Table]) -> Table:
        tables = [t for t in tables if t.cols]
        if not tables:
            return Table()
        names = list(tables[0].cols)
        return Table(**{k: np.concatenate([t.cols[k] for t in tables]) for k in names})
