"""The strict reading: Python's csv module, streaming, every problem named by record and
line; and the header mapped onto the extract specification."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from orchestration.lib import spec
from orchestration.lib.landing.encoding import (
    FileBytes,
    hash_file,
    inspect_bytes,
)
from orchestration.lib.landing.model import (
    IDENTIFYING_EXTRA,
    MAX_LINE_CHARS,
    MAX_RECORD_CHARS,
    FileProblem,
)


class _Lines:
    """Physical lines of a text stream, remembering the last one's number and line ending."""

    def __init__(self, text: io.TextIOBase) -> None:
        self.text = text
        self.number = 0
        self.ending = ""
        self.bom_line = 0  # the first line holding a byte order mark past the file's start

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        try:
            line = self.text.readline(MAX_LINE_CHARS + 1)
        except UnicodeDecodeError as e:  # inspect_bytes decoded it all before: not expected
            raise FileProblem(
                f"line {self.number + 1} cannot be decoded ({e.reason})",
                "save the file as UTF-8 (or Windows-1252) CSV",
            ) from None
        if not line:
            raise StopIteration
        self.number += 1
        if not self.bom_line and _BOM in line:
            self.bom_line = self.number
        if line.endswith("\r\n"):
            self.ending = "\r\n"
        elif line.endswith(("\n", "\r")):
            self.ending = line[-1]
        elif len(line) > MAX_LINE_CHARS:
            raise FileProblem(
                f"line {self.number} is longer than {MAX_LINE_CHARS:,} characters",
                "check that the file is a CSV extract with one record per line; long free-text "
                "values must be shortened",
            )
        else:
            self.ending = ""  # the last line, without a line break
        return line


_ENDING_NAMES = {"\r\n": "CRLF", "\n": "LF", "\r": "CR"}
#: A byte order mark: allowed as a file's first character only (``utf-8-sig`` removes it).
_BOM = "\ufeff"


def _bom_problem(record: int, line: int, row: list[str], header: list[str]) -> FileProblem:
    """A byte order mark inside the file (two files joined, one of them saved with a BOM) is
    refused, not stripped: it would silently become part of a key or value, and a joined file
    may hold a second header row too."""
    column = next((i for i, v in enumerate(row) if _BOM in v), 0)
    name = header[column].replace(_BOM, "").strip() if column < len(header) else f"{column + 1}"
    # a header read from a damaged file can hold line breaks and control characters: show them
    # escaped, and no more than 60 characters of it, so the message stays one readable line
    name = "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)
    if len(name) > 60:
        name = name[:57] + "..."
    return FileProblem(
        f"{_where(record, line)}: field '{name}' holds a byte order mark (U+FEFF) inside the "
        "file, as when two files are joined together; it would become part of the value",
        "send each file separately, or join them without the second file's byte order mark "
        "(and its header row)",
    )


def _where(record: int, line: int) -> str:
    return f"the header row (line {line})" if record == 0 else f"record {record} (line {line})"


def _csv_problem(e: csv.Error, record: int, start: int, line: int) -> FileProblem:
    msg = str(e)
    if msg.startswith("field larger than field limit"):
        return FileProblem(
            f"{_where(record, start)} has a field longer than {MAX_RECORD_CHARS:,} characters",
            "check the quotes around that record: an unclosed quote swallows the rest of the file; "
            "otherwise shorten the value",
        )
    if msg == "unexpected end of data":
        return FileProblem(
            f"{_where(record, start)}: a quoted field is never closed (the file ends inside quotes)",
            'close the quote; a quote inside a quoted value is written twice (""), and a value '
            "holding a quote, comma or line break must be quoted",
        )
    if "expected after" in msg:
        return FileProblem(
            f"{_where(record, line)}: a closing quote is followed by other characters before "
            "the next comma",
            'a value holding a quote must be quoted as a whole, with the quote written twice: "5 ""A"" St"',
        )
    return FileProblem(
        f"{_where(record, start)} is not valid CSV at line {line} ({msg})",
        "export the file again as CSV from the source system",
    )


def iter_records(path: Path, compression: str) -> Iterator[tuple[int, int, list[str]]]:
    """(record number, first line, fields) of every record; record 0 is the header row.

    Blank lines are skipped (they are not records, and DuckDB skips them too). Raises
    :class:`FileProblem` naming the record and line for anything that is not strict CSV:
    unclosed or misplaced quotes, over-long lines or fields, and line endings that change
    within the file.
    """
    opener: Callable[..., io.BufferedIOBase] = gzip.open if compression == "gzip" else open
    with opener(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        lines = _Lines(text)
        reader = csv.reader(lines, strict=True)
        record = -1
        end = 0
        file_ending: str | None = None
        header: list[str] = []
        while True:
            start = end + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise _csv_problem(e, record + 1, start, lines.number) from None
            end = lines.number
            ending = lines.ending
            if file_ending is None:
                file_ending = ending
            elif ending and ending != file_ending:
                raise FileProblem(
                    f"line {end} ends with {_ENDING_NAMES[ending]} but the header row ends with "
                    f"{_ENDING_NAMES.get(file_ending, 'nothing')}: the file mixes line endings",
                    "save the file again so that every line ends the same way (LF or CRLF)",
                )
            if not row:
                continue
            record += 1
            if lines.bom_line and any(_BOM in v for v in row):
                raise _bom_problem(record, lines.bom_line, row, header or row)
            if record == 0:
                header = row
            yield record, start, row


def read_header(path: Path, compression: str) -> list[str]:
    """The header row's field names as sent (first CSV record)."""
    opener: Callable[..., io.BufferedIOBase] = gzip.open if compression == "gzip" else open
    with opener(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        lines = _Lines(text)
        try:
            row = next(csv.reader(lines), None)
        except csv.Error as e:
            raise _csv_problem(e, 0, 1, 1) from None
    if row and lines.bom_line and any(_BOM in v for v in row):
        raise _bom_problem(0, lines.bom_line, row, row)
    if not row or all(not c.strip() for c in row):
        raise FileProblem(
            "the file has no header row (the first line is empty)",
            "send the extract with a header row of column names on the first line",
        )
    return row


@dataclass(frozen=True)
class CsvScan:
    records: int  # data records (the header and blank lines excluded)
    chars: int  # characters over every field of every data record


def scan_records(path: Path, compression: str, header: list[str]) -> CsvScan:
    """Read every record strictly and count it; a record with the wrong number of fields or
    over the size limit makes the file unreadable (named by record, line and column)."""
    n_cols = len(header)
    records = chars = 0
    for number, line, row in iter_records(path, compression):
        if number == 0:
            continue
        if len(row) != n_cols:
            if len(row) > n_cols:
                detail = f"extra field(s) after the last column '{header[-1].strip()}'"
            else:
                detail = f"the first missing field is '{header[len(row)].strip()}'"
            raise FileProblem(
                f"record {number} (line {line}) has {len(row)} fields but the header row has "
                f"{n_cols}: {detail}",
                "every record needs exactly as many fields as the header row; a value holding a "
                "comma must be quoted",
            )
        size = sum(map(len, row))
        if size > MAX_RECORD_CHARS:
            longest = max(range(n_cols), key=lambda i: len(row[i]))
            raise FileProblem(
                f"record {number} (line {line}) is {size:,} characters long (longest field "
                f"'{header[longest].strip()}'); the limit is {MAX_RECORD_CHARS:,}",
                "check the quotes around that record; otherwise shorten the value",
            )
        records += 1
        chars += size
    return CsvScan(records, chars)


@dataclass
class StrictReading:
    """What landing reads in a file before it writes anything: its hash, how to decode it,
    and (for files DuckDB reads in place) the header and the strict scan. A problem found is
    kept and raised where landing would have met it, so a file is judged as if read in turn."""

    _hashed: tuple[str, int, bytes] | None = None
    _hash_error: OSError | None = None
    _file_bytes: FileBytes | None = None
    _header: list[str] | None = None
    _scan: CsvScan | None = None
    _problem: FileProblem | None = None
    _problem_at: str = ""  # "bytes", "header" or "scan": the step that found it

    @property
    def scanned(self) -> bool:
        """The header and records were read (false for files landing transcodes first)."""
        return self._problem_at in ("header", "scan") or self._scan is not None

    def hashed(self) -> tuple[str, int, bytes]:
        if self._hash_error is not None:
            raise self._hash_error
        assert self._hashed is not None
        return self._hashed

    def _raise_if(self, step: str) -> None:
        if self._problem is not None and self._problem_at == step:
            raise self._problem

    def file_bytes(self) -> FileBytes:
        self._raise_if("bytes")
        assert self._file_bytes is not None
        return self._file_bytes

    def header(self) -> list[str]:
        self._raise_if("header")
        assert self._header is not None
        return self._header

    def scan(self) -> CsvScan:
        self._raise_if("scan")
        assert self._scan is not None
        return self._scan


def read_strictly(path: Path) -> StrictReading:
    """Hash, decode check, header and strict scan of one file, writing nothing (so it can run
    for the next file while the current one is inserted). Files that are not UTF-8 are scanned
    later, after transcoding, as before."""
    reading = StrictReading()
    try:
        reading._hashed = hash_file(path)
    except OSError as e:
        reading._hash_error = e
        return reading
    step = "bytes"
    try:
        reading._file_bytes = fb = inspect_bytes(path, reading._hashed)
        if fb.encoding == "windows-1252":
            return reading
        compression = "gzip" if fb.gzipped else "none"
        step = "header"
        reading._header = read_header(path, compression)
        step = "scan"
        reading._scan = scan_records(path, compression, reading._header)
    except FileProblem as p:
        reading._problem, reading._problem_at = p, step
    return reading


@dataclass(frozen=True)
class HeaderMap:
    positions: dict[str, int]  # spec column -> position in the file
    extra: dict[str, int]  # normalised extra column name -> position (its name goes in _extra)
    dropped: tuple[str, ...] = ()  # extra columns not kept: their names say they identify people


def map_header(source: spec.Source, header: list[str]) -> HeaderMap:
    """Match header names case-insensitively ignoring surrounding spaces; order is free.

    Missing required columns are checked first: a file sent without a header row then gets
    that message, which names only specification columns (never the data in its first row).
    """
    names = [name.strip().lower() for name in header]
    missing = [c for c in source.required_columns if c not in names]
    if missing:
        raise FileProblem(
            f"required column(s) missing from the header: {', '.join(missing)}",
            f"add the column(s) {', '.join(missing)} (see the extract specification for {source.name})",
        )
    seen: dict[str, int] = {}
    for i, norm in enumerate(names):
        if not norm:
            raise FileProblem(
                f"header column {i + 1} has no name", "give every column a name in the header row"
            )
        if norm in seen:
            raise FileProblem(
                f"column '{norm}' appears twice in the header (columns {seen[norm] + 1} and {i + 1})",
                "send each column once",
            )
        seen[norm] = i
    positions = {c: seen[c] for c in source.column_names if c in seen}
    extra = {n: i for n, i in seen.items() if n not in positions}
    dropped = tuple(sorted(n for n in extra if IDENTIFYING_EXTRA.search(n)))
    return HeaderMap(positions, {n: i for n, i in extra.items() if n not in dropped}, dropped)
