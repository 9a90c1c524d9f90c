"""CSV that spreadsheets open safely (OWASP "CSV injection").

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula, so a value typed into an extract (or a
column alias in a query) could run when an analyst opens the file. Such text cells are written
with a leading apostrophe, which spreadsheets show as plain text. Numbers, dates and booleans
are not text cells and are written unchanged (``-3`` stays a number); ``raw=True`` writes every
value as it is.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv(
    out: TextIO, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, raw: bool = False
) -> None:
    """Write a header and rows as CSV, text cells neutralised unless ``raw``."""
    writer = csv.writer(out)
    if raw:
        writer.writerow(columns)
        writer.writerows(rows)
        return
    writer.writerow([neutralise_cell(c) for c in columns])
    for row in rows:
        writer.writerow([neutralise_cell(v) for v in row])
