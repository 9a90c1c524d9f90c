"""Writing extract files: CSV text, encodings, line endings, gzip and header variants.

Output must be byte-for-byte reproducible for a seed: rows are in a fixed order, gzip headers
carry no timestamp or file name (``mtime=0``), and nothing depends on the clock, the locale or
hash order. CSV quoting follows RFC 4180 (quote a value holding a comma, quote or line break;
double embedded quotes), which is also what spreadsheet exports produce.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from smw_demo.manifest import FileRecord
from smw_demo.sources import SourceRows

EXTRA_COLUMN = "worker_notes"
_NOTES = (
    "called twice, no answer",
    'client asked for "harm reduction" leaflet',
    "follow-up booked",
    "see previous contact",
    "interpreter needed",
    "moved address, new number on file",
)
_SPECIAL = (",", '"', "\n", "\r")


@dataclass(frozen=True)
class FileVariant:
    """How one file departs from the plain form (UTF-8, LF, uncompressed, spec header)."""

    encoding: str = "utf-8"  # utf-8, utf-8-sig (BOM) or cp1252
    newline: str = "\n"
    gzip: bool = False
    header_shuffled: bool = False  # upper-case, padded header names in another order
    extra_column: bool = False  # an unexpected column at the end
    uk_dates: bool = False  # every date written DD/MM/YYYY (a spreadsheet export)


PLAIN = FileVariant()


def relative_path(src: SourceRows, file_index: int, variant: FileVariant) -> str:
    suffix = ".csv.gz" if variant.gzip else ".csv"
    return f"{src.name}/{src.file_stems[file_index]}{suffix}"


def _quote_column(values: list[str]) -> list[str]:
    joined = "\x00".join(values)
    if not any(ch in joined for ch in _SPECIAL):
        return values
    out = []
    for v in values:
        if any(ch in v for ch in _SPECIAL):
            v = '"' + v.replace('"', '""') + '"'
        out.append(v)
    return out


def date_columns(src: SourceRows) -> list[str]:
    cols = [c.name for c in src.spec.columns if c.type == "date"]
    if "date_of_birth" in src.spec.column_names:
        cols.append("date_of_birth")
    return cols


def _to_uk(values: list[str]) -> tuple[list[str], int]:
    out = []
    n = 0
    for v in values:
        if len(v) == 10 and v[4] == "-" and v[7] == "-":
            out.append(f"{v[8:10]}/{v[5:7]}/{v[0:4]}")
            n += 1
        else:
            out.append(v)
    return out, n


def render_file(
    src: SourceRows,
    file_index: int,
    variant: FileVariant,
    overrides: dict[int, dict[str, str]],
    rng: np.random.Generator,
) -> tuple[bytes, int, int]:
    """The bytes of one file; also its row count and the number of dates written UK-style."""
    bounds = src.file_bounds()
    lo, hi = int(bounds[file_index]), int(bounds[file_index + 1])
    rows = np.arange(lo, hi)
    cols = src.render(rows) if hi > lo else {c: [] for c in src.spec.column_names}
    for r, cells in overrides.items():
        if lo <= r < hi:
            for name, value in cells.items():
                cols[name][r - lo] = value
    names = list(src.spec.column_names)
    uk_cells = 0
    if variant.uk_dates:
        for name in date_columns(src):
            cols[name], k = _to_uk(cols[name])
            uk_cells += k
    header = list(names)
    if variant.header_shuffled:
        perm = rng.permutation(len(names))
        names = [names[i] for i in perm]
        header = [f" {n.upper()}  " if i % 2 else n.upper() for i, n in enumerate(names)]
    if variant.extra_column:
        notes = np.array(["", *_NOTES], dtype=object)
        pick = np.where(rng.random(hi - lo) < 0.12, rng.integers(1, len(notes), hi - lo), 0)
        cols[EXTRA_COLUMN] = notes[pick].tolist()
        names.append(EXTRA_COLUMN)
        header.append(EXTRA_COLUMN)
    body_cols = [_quote_column(cols[n]) for n in names]
    nl = variant.newline
    lines = [",".join(_quote_column(header))]
    lines.extend(",".join(r) for r in zip(*body_cols, strict=True))
    text = nl.join(lines) + nl
    data = text.encode(variant.encoding)
    if variant.gzip:
        data = gzip.compress(data, compresslevel=6, mtime=0)
    return data, hi - lo, uk_cells


def write_bytes(
    out_dir: Path, rel: str, data: bytes, rows: int, variant: FileVariant
) -> FileRecord:
    path = out_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return FileRecord(
        path=rel,
        rows=rows,
        encoding=variant.encoding,
        newline="CRLF" if variant.newline == "\r\n" else "LF",
        gzip=variant.gzip,
        sha256=hashlib.sha256(data).hexdigest(),
    )
