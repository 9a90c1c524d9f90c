"""Landing: every extract file into ``<home>/warehouse.duckdb`` schema ``raw``, exactly once.

One file = one transaction: its rows and its audit record commit together or not at all, so a
crash mid-file leaves nothing behind and the next run lands the file again. Values stay text;
attributors are replaced by a keyed pseudonym, a birth month and an attributor status inside the
CSV scan, so no table ever holds initials or a full date of birth. A file that cannot be read as
a CSV extract is moved to ``<home>/quarantine/<source>/`` with a readable ``.error.txt``; the
rest of the batch still lands. Landed files move to ``<home>/archive/<source>/`` (restricted),
never deleted.

Landing never wedges (issue 22): stored names are bounded (:func:`stored_name`); a file still
being written waits for the next build (:func:`settle_files`); a move is all or nothing and one
that fails is reported and finished by the next build without recording the file again
(:meth:`Lander._unfinished_move`); a quarantined file always has its ``.error.txt``; a symbolic
link lands as its file and a dangling one is reported. What moved nothing is in the report's
``waiting`` and ``warnings`` and in ``state/last_landing.json``.

Two readers must agree before anything lands. Python's ``csv`` module reads the file strictly,
streaming (record count, characters, field counts, line endings, record sizes: every problem is
named by record and line), then DuckDB's CSV reader reads it again for the insert. When they
disagree (some malformed quoting is read differently by different parsers) the file is
quarantined rather than landed with rows that a correct reading would not give.
"""

from __future__ import annotations

import codecs
import csv
import errno
import gzip
import hashlib
import io
import json
import logging
import os
import re
import shutil
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import duckdb

from orchestration.lib import spec
from orchestration.lib.paths import Home
from orchestration.lib.pseudonym import (
    KEY_ENV,
    LinkageKey,
    LinkageKeyMismatch,
    sql_hmac,
    sql_pseudonymise,
)

log = logging.getLogger(__name__)

Status = Literal["loaded", "duplicate", "quarantined"]
_CHUNK = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
#: Longest record (all its fields together, in characters) landing accepts; a longer one makes
#: the file unreadable (quarantined). Real records are a few hundred characters.
MAX_RECORD_CHARS = 1 << 18
#: Longest physical line, in characters, read before the CSV parser sees it (bounds memory).
MAX_LINE_CHARS = 1 << 20
#: DuckDB's line limit in bytes: above any record the strict reading accepts (at most
#: MAX_RECORD_CHARS characters of four UTF-8 bytes, plus quoting), so it is never the binding one.
MAX_LINE_BYTES = 2 << 20
#: Memory the landing connection may use. Landing streams, so this is a ceiling, not a need:
#: the scale-10 demo (17.8 million rows) lands in about 250 MB of resident memory with it.
MEMORY_LIMIT = "128MB"
#: Extra columns whose names say they hold identifiers are not kept (the archive has them).
IDENTIFYING_EXTRA = re.compile(
    r"initial|forename|surname|first_?name|last_?name|full_?name|birth|dob|nhs|postcode|address"
)

# csv's per-field limit is process-wide; it must not be lower than the record limit.
csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD_CHARS + 1))


class NotStored(Exception):
    """A file that could be neither landed nor quarantined (nothing recorded, nothing moved):
    it stays in the landing folder and is tried again at the next build."""


class FileProblem(Exception):
    """A file-level problem: the file cannot be landed and goes to quarantine."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


@dataclass
class FileOutcome:
    source: str
    file_name: str
    status: Status
    load_id: int
    rows: int = 0
    sha256: str = ""
    encoding: str = ""
    extra_columns: list[str] = field(default_factory=list)
    error: str | None = None
    duplicate_of: int | None = None
    stored_at: str = ""  # archive or quarantine path
    dropped_columns: list[str] = field(default_factory=list)
    #: Why the file is still in the landing folder although its outcome is recorded (the move
    #: failed); the next build finishes the move without recording the file again.
    move_error: str | None = None


@dataclass
class LandingReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    #: Files left in the landing folder for the next build (still being written), one line each.
    waiting: list[str] = field(default_factory=list)
    #: Problems that landed nothing and moved nothing (a dangling link, a move that failed).
    warnings: list[str] = field(default_factory=list)

    def by_status(self, status: Status) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def rows_loaded(self) -> int:
        return sum(o.rows for o in self.by_status("loaded"))


# --------------------------------------------------------------------------------------------
# Discovery


def discover(
    landing: Path, problems: list[str] | None = None
) -> tuple[list[tuple[spec.Source, Path]], list[str]]:
    """Files waiting in ``<landing>/<source>/``, in landing order, and what was ignored.

    Within a source, files land in name order (suppliers name extracts by date), so a record
    re-sent in a later file replaces the earlier version. Dotfiles are ignored silently
    (editor and tool droppings); anything else outside a known source folder is reported.
    A symbolic link to a file lands as that file (and is archived as its content); a link that
    leads nowhere is added to ``problems``, naming it and where it points.
    """
    found: list[tuple[spec.Source, Path]] = []
    ignored: list[str] = []
    if not landing.exists():
        return found, ignored
    for entry in sorted(landing.iterdir()):
        if entry.name.startswith("."):
            continue
        if not entry.is_dir():
            ignored.append(f"{entry.name}: not inside a source folder")
            continue
        if entry.name not in spec.SOURCES_BY_NAME:
            ignored.append(f"{entry.name}/: not a known source folder")
            continue
        src = spec.SOURCES_BY_NAME[entry.name]
        for f in sorted(entry.rglob("*")):
            if any(p.startswith(".") for p in f.relative_to(entry).parts):
                continue
            if f.is_file():
                found.append((src, f))
            elif f.is_symlink() and problems is not None:
                problems.append(_dangling(f, landing))
    return found, ignored


def _dangling(link: Path, landing: Path) -> str:
    try:
        target = os.readlink(link)
    except OSError:
        target = "?"
    return (
        f"{link.relative_to(landing)}: a symbolic link to {target}, which does not exist or "
        "cannot be followed (a dangling link); nothing landed from it. Put the file itself in "
        "the landing folder, or remove the link"
    )


# --------------------------------------------------------------------------------------------
# Files still being copied in

SETTLE_ENV = "SMW_LANDING_SETTLE_SECONDS"
#: A file changed less than this many seconds ago may still be being copied in.
DEFAULT_SETTLE_SECONDS = 5.0


def settle_seconds() -> float:
    """How long a file must be unchanged before it lands: ``SMW_LANDING_SETTLE_SECONDS``, else 5."""
    configured = os.environ.get(SETTLE_ENV, "").strip()
    if not configured:
        return DEFAULT_SETTLE_SECONDS
    try:
        seconds = float(configured)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:
        raise ValueError(
            f"{SETTLE_ENV}={configured!r}: expected a number of seconds from 0 to 3600"
        )
    return seconds


def _changed_at(st: os.stat_result) -> float:
    """When the file last changed: its ctime too, which a copy that keeps the sender's mtime
    (``cp -p``, Windows Explorer) cannot set back."""
    return max(st.st_mtime, st.st_ctime)


def _fingerprint(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def settle_files(
    files: list[tuple[spec.Source, Path]],
    landing: Path,
    seconds: float,
    *,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> tuple[list[tuple[spec.Source, Path, tuple[int, int, int]]], list[str]]:
    """Files unchanged for ``seconds``, with their size and times, and the ones still being
    written (one line each, for the report).

    A file that changed less than ``seconds`` ago is watched until it is that old (one wait for
    the whole batch, at most ``seconds``): unchanged by then, it lands; changed again, it is
    left in the landing folder for the next build, never landed half-copied.
    """
    clock = clock or time.time
    sleep = sleep or time.sleep
    first: dict[Path, os.stat_result] = {}
    waiting: list[str] = []
    for _, path in files:
        try:
            first[path] = os.stat(path)
        except OSError as e:  # removed or renamed since it was listed
            waiting.append(f"{path.relative_to(landing)}: gone while listed ({e.strerror})")
    if seconds > 0 and first:
        wait = seconds - (clock() - max(map(_changed_at, first.values())))
        if wait > 0:
            sleep(wait + 0.05)
    ready: list[tuple[spec.Source, Path, tuple[int, int, int]]] = []
    for src, path in files:
        if path not in first:
            continue
        try:
            st = os.stat(path)
        except OSError as e:
            waiting.append(f"{path.relative_to(landing)}: gone while listed ({e.strerror})")
            continue
        age = clock() - _changed_at(st)
        if _fingerprint(st) != _fingerprint(first[path]) or age < seconds:
            waiting.append(
                f"{path.relative_to(landing)}: still being written (changed {max(age, 0):.1f} s "
                f"ago, size {st.st_size:,} bytes); left for the next build"
            )
            continue
        ready.append((src, path, _fingerprint(st)))
    return ready, waiting


# --------------------------------------------------------------------------------------------
# Reading the bytes: hash, compression, encoding


@dataclass(frozen=True)
class FileBytes:
    sha256: str
    size: int
    gzipped: bool
    encoding: str  # "utf-8", "utf-8-sig" or "windows-1252"


def _open_decompressed(path: Path, gzipped: bool) -> io.BufferedIOBase:
    return gzip.open(path, "rb") if gzipped else open(path, "rb")  # noqa: SIM115


def hash_file(path: Path) -> tuple[str, int, bytes]:
    """SHA-256, size and first bytes of the file as received, streaming."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            if not head:
                head = chunk[:4]
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size, head


def inspect_bytes(path: Path, hashed: tuple[str, int, bytes] | None = None) -> FileBytes:
    """Find how to decode the file, streaming (never the whole file in memory)."""
    sha, size, head = hashed or hash_file(path)
    if size == 0:
        raise FileProblem(
            "the file is empty (0 bytes)", "send the extract again with its header row and data"
        )
    gzipped = head[:2] == _GZIP_MAGIC
    if path.name.lower().endswith(".gz") and not gzipped:
        raise FileProblem(
            "the file name ends in .gz but the content is not gzip-compressed",
            "compress the CSV with gzip, or send it uncompressed without the .gz suffix",
        )
    if not gzipped and not path.name.lower().endswith(".csv"):
        raise FileProblem(
            f"'{path.name}' is not a CSV extract (expected a .csv or .csv.gz file)",
            "export the data as comma-separated values (.csv)",
        )
    encoding = _detect_encoding(path, gzipped)
    return FileBytes(sha, size, gzipped, encoding)


#: Bytes that Windows-1252 leaves undefined: a file holding one is not Windows-1252 text.
_CP1252_UNDEFINED = re.compile(b"[\x81\x8d\x8f\x90\x9d]")


def _detect_encoding(path: Path, gzipped: bool) -> str:
    """UTF-8 (with or without BOM) if every byte decodes so, else Windows-1252 if every byte
    does; two streaming passes at most (the second only for files that are not UTF-8)."""
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = True
    offset = 0
    first = b""
    try:
        with _open_decompressed(path, gzipped) as f:
            for chunk in iter(lambda: f.read(_CHUNK), b""):
                if not first:
                    first = chunk[:3]
                    if first[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or (
                        len(chunk) >= 4
                        and (chunk[1::2][:2] == b"\0\0" or chunk[0::2][:2] == b"\0\0")
                    ):
                        raise FileProblem(
                            "the file is UTF-16 (Excel's 'Unicode Text'), not UTF-8 or Windows-1252",
                            "re-save it as 'CSV UTF-8 (Comma delimited)' (Excel: File > Save As) "
                            "and send it again",
                        )
                if b"\x00" in chunk:
                    at = offset + chunk.index(b"\x00")
                    raise FileProblem(
                        f"the file holds binary data (a NUL byte at byte {at:,}); it is not a CSV text file",
                        "export the data as a CSV text file (UTF-8 or Windows-1252)",
                    )
                if utf8_ok:
                    try:
                        utf8.decode(chunk)
                    except UnicodeDecodeError:
                        utf8_ok = False
                offset += len(chunk)
            if utf8_ok:
                try:
                    utf8.decode(b"", final=True)
                except UnicodeDecodeError:  # ends inside a multi-byte character
                    utf8_ok = False
        if offset == 0:
            raise FileProblem(
                "the file is empty (no header row)", "send the extract with its header row and data"
            )
        if utf8_ok:
            return "utf-8-sig" if first.startswith(codecs.BOM_UTF8) else "utf-8"
        _check_windows_1252(path, gzipped)
    except (OSError, EOFError, zlib.error) as e:
        raise FileProblem(
            f"the compressed file is corrupt or truncated ({e})", "compress and send the file again"
        ) from None
    return "windows-1252"


#: A well-formed UTF-8 sequence of two to four bytes (a character beyond ASCII).
UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


def _check_windows_1252(path: Path, gzipped: bool) -> None:
    """A file that is not UTF-8 is Windows-1252 only if every byte is defined there and no line
    holds UTF-8 text: a file mixing the two (rows pasted from another file, two exports joined)
    would land with either half garbled, so it is refused naming a line of each. Streaming,
    line by line."""
    offset = 0
    number = 1
    utf8_line: int | None = None
    other: tuple[int, int] | None = None  # (line, byte) of the first byte that is not UTF-8
    with _open_decompressed(path, gzipped) as f:
        for line in iter(lambda: f.readline(_CHUNK), b""):
            bad = _CP1252_UNDEFINED.search(line)
            if bad:
                raise FileProblem(
                    "the file cannot be decoded as UTF-8 or Windows-1252 (bad byte at byte "
                    f"{offset + bad.start():,}) on line {number}",
                    "save the file as UTF-8 (or Windows-1252) CSV",
                )
            if not line.isascii() and (utf8_line is None or other is None):
                if utf8_line is None and UTF8_MULTIBYTE.search(line):
                    utf8_line = number
                if other is None:
                    try:
                        line.decode("utf-8")
                    except UnicodeDecodeError as e:
                        if e.reason != "unexpected end of data" or line.endswith(b"\n"):
                            other = (number, line[e.start])
            if utf8_line is not None and other is not None:
                where = (
                    f"line {utf8_line} holds UTF-8 text and a byte (0x{other[1]:02X}) that is not"
                    if utf8_line == other[0]
                    else f"line {utf8_line} holds UTF-8 text but line {other[0]} holds a byte "
                    f"(0x{other[1]:02X}) that is not"
                )
                raise FileProblem(
                    f"the file mixes UTF-8 and Windows-1252: {where} UTF-8 (Windows-1252); "
                    "read as either, part of it would be garbled",
                    "save the whole file in one encoding ('CSV UTF-8') and send it again",
                )
            offset += len(line)
            number += line.endswith(b"\n")


TRANSCODE_PREFIX = "transcode-"


def remove_stale_transcodes(tmp_dir: Path) -> list[Path]:
    """Delete plaintext transcoded copies a killed landing left behind (one build lands at a
    time, under the build lock, so none of them is in use); returns what was removed."""
    removed = []
    if tmp_dir.is_dir():
        for stale in tmp_dir.glob(f"{TRANSCODE_PREFIX}*"):
            stale.unlink(missing_ok=True)
            removed.append(stale)
    return removed


@contextmanager
def readable_csv(path: Path, fb: FileBytes, tmp_dir: Path) -> Iterator[tuple[Path, str]]:
    """A path DuckDB can read (UTF-8, maybe gzip) and its compression option.

    UTF-8 files are read in place; Windows-1252 files are transcoded, streaming, to a temporary
    UTF-8 copy under the (restricted) home, removed afterwards.
    """
    if fb.encoding != "windows-1252":
        yield path, ("gzip" if fb.gzipped else "none")
        return
    tmp_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(tmp_dir, 0o700)
    # The copy holds the file's identifiers in plain text: owner-only from its first byte (not
    # chmod-ed afterwards), hash-named, and removed here or, after a kill, at the next landing.
    digest = hashlib.sha256(path.name.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    tmp = tmp_dir / f"{TRANSCODE_PREFIX}{os.getpid()}-{digest}.csv"
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with (
            _open_decompressed(path, fb.gzipped) as src,
            open(fd, "w", encoding="utf-8", newline="") as dst,
        ):
            text = io.TextIOWrapper(src, encoding="cp1252", newline="")
            try:
                shutil.copyfileobj(text, dst, _CHUNK)
            except UnicodeDecodeError as e:
                raise FileProblem(
                    f"the file could not be converted from Windows-1252 ({e.reason}, byte "
                    f"0x{e.object[e.start]:02X})",
                    "save the file as UTF-8 (or Windows-1252) CSV and send it again",
                ) from None
            except (EOFError, zlib.error, gzip.BadGzipFile) as e:
                raise FileProblem(
                    f"the compressed file is corrupt or truncated ({e})",
                    "compress and send the file again",
                ) from None
        yield tmp, "none"
    finally:
        tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------
# The strict reading: Python's csv module, streaming, every problem named by record and line


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


# --------------------------------------------------------------------------------------------
# The warehouse side

_AUDIT_COLUMNS = (
    "load_id",
    "run_id",
    "source",
    "file_name",
    "status",
    "sha256",
    "bytes",
    "rows",
    "encoding",
    "extra_columns",
    "error",
    "duplicate_of",
    "key_fingerprint",
    "stored_at",
    "landed_at",
    "dropped_columns",
)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw and audit tables, or add the columns a newer specification gained.

    One catalogue query decides what is missing, so landing a single small file stays cheap."""
    existing: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_schema || '.' || table_name, column_name from information_schema.columns "
        "where table_schema in ('raw', 'audit')"
    ).fetchall():
        existing.setdefault(table, set()).add(column)
    if "audit.loads" not in existing:
        con.execute("create schema if not exists raw")
        con.execute("create schema if not exists audit")
        con.execute("create sequence if not exists audit.load_id_seq start 1")
        con.execute(
            """
            create table if not exists audit.loads (
                load_id bigint primary key,
                run_id varchar,
                source varchar not null,
                file_name varchar not null,
                status varchar not null,
                sha256 varchar,
                bytes bigint,
                rows bigint,
                encoding varchar,
                extra_columns varchar,
                error varchar,
                duplicate_of bigint,
                key_fingerprint varchar,
                stored_at varchar,
                landed_at timestamp not null,
                dropped_columns varchar
            )
            """
        )
    elif "dropped_columns" not in existing["audit.loads"]:
        con.execute("alter table audit.loads add column dropped_columns varchar")
    for src in spec.SOURCES:
        have = existing.get(f"raw.{src.name}")
        if have is None:
            cols = [f"{c} varchar" for c in src.raw_columns]
            cols += [
                "_load_id bigint not null",
                "_file_name varchar not null",
                "_row_number bigint not null",
                "_extra json",
            ]
            con.execute(f"create table raw.{src.name} ({', '.join(cols)})")
            continue
        for c in src.raw_columns:
            if c not in have:  # the spec gained an optional column
                con.execute(f"alter table raw.{src.name} add column {c} varchar")


def _select_for(source: spec.Source, hm: HeaderMap) -> str:
    """The SELECT list turning file columns c0..cn into raw columns (identifiers replaced)."""

    def col(name: str) -> str:
        return f"c{hm.positions[name]}" if name in hm.positions else "null"

    parts: list[str] = []
    for c in source.column_names:
        if c in spec.IDENTIFYING_FIELDS:
            continue
        parts.append(f"{col(c)} as {c}")
    if source.person_level:  # computed by sql_pseudonymise in the FROM clause (_from_for)
        parts.append(f"{sql_hmac('_attributor_message', '$ipad', '$opad')} as person_id")
        parts.append("_birth_month as birth_month")
        parts.append("_attributor_status as attributor_status")
    parts.append("$load_id as _load_id")
    parts.append("$file_name as _file_name")
    parts.append("ordinality as _row_number")
    if hm.extra:
        # The extract spec is an allow-list: a column it does not name is dropped. Only its
        # *name* is kept (a JSON array, the same on every row of the file), so that data quality
        # can tell the supplier; its values, which may identify people, are never stored.
        names = json.dumps(sorted(hm.extra)).replace("'", "''")
        parts.append(f"cast('{names}' as json) as _extra")
    else:
        parts.append("null as _extra")
    return ",\n    ".join(parts)


def _from_for(source: spec.Source, hm: HeaderMap, read: str) -> str:
    """The FROM clause: the CSV scan, with the attributor's derivatives for person-level data."""
    scan = f"{read} with ordinality"
    if not source.person_level:
        return scan

    def col(name: str) -> str:
        return f"c{hm.positions[name]}" if name in hm.positions else "null"

    return sql_pseudonymise(scan, *(col(c) for c in spec.ATTRIBUTOR_FIELDS))


def _read_csv_sql(n_cols: int, compression: str) -> str:
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n_cols))
    return (
        "read_csv($path, header = true, auto_detect = false, delim = ',', quote = '\"', "
        f"escape = '\"', columns = {{{columns}}}, compression = '{compression}', "
        f"max_line_size = {MAX_LINE_BYTES}, strict_mode = true, null_padding = false)"
    )


def _chars_sql(n_cols: int) -> str:
    """Characters in one record as DuckDB read it (an empty field reads as NULL: 0)."""
    return " + ".join(f"coalesce(length(c{i}), 0)" for i in range(n_cols))


#: DuckDB's own explanations that may be repeated. Its messages also quote the offending line
#: ("Original Line: ...") which holds identifiers, so nothing else of them is ever kept.
_DUCKDB_REASONS = (
    (re.compile(r"unterminated quote", re.I), "a quoted value is not closed"),
    (re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)"), None),
    (re.compile(r"maximum line size", re.I), "the line is too long"),
    (re.compile(r"invalid state", re.I), "the line does not follow the CSV rules"),
    (re.compile(r"unicode|utf-?8", re.I), "the line holds bytes that are not valid text"),
)


def _friendly_duckdb_error(e: duckdb.Error) -> FileProblem:
    """A file problem from DuckDB's CSV reader refusing the file. Only its invalid-input errors
    are the file's fault; others (out of memory, disk full) stop the run instead of
    quarantining a good file, and the next run lands it."""
    msg = str(e)
    line = re.search(r"CSV Error on Line: (\d+)", msg)
    where = f" at line {line[1]}" if line else ""
    reason = "the file does not follow the CSV rules"
    for pattern, text in _DUCKDB_REASONS:
        m = pattern.search(msg)
        if m:
            reason = text or f"a record has {m[2]} fields where {m[1]} were expected"
            break
    return FileProblem(
        f"the CSV is malformed: DuckDB's CSV reader stopped{where}: {reason}",
        "check that line: every row needs as many fields as the header, quotes must be closed, "
        "and every line must end the same way; export again from the source system",
    )


def warehouse_key_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    """The fingerprint of the linkage key the warehouse's people were pseudonymised with (the
    latest landed file's), or None for a warehouse that has landed nothing."""
    has_audit = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'audit' and table_name = 'loads'"
    ).fetchall()[0][0]
    if not has_audit:
        return None
    rows = con.execute(
        "select key_fingerprint from audit.loads where status = 'loaded' "
        "and key_fingerprint is not null order by load_id desc limit 1"
    ).fetchall()
    return rows[0][0] if rows else None


def check_key_matches(con: duckdb.DuckDBPyConnection, key: LinkageKey) -> None:
    """Refuse to land with a key other than the warehouse's: everyone would silently become a
    new person (issue 22). Nothing is landed; the message says which key is in use, which the
    warehouse expects, and how to restore it."""
    expected = warehouse_key_fingerprint(con)
    if expected is not None and expected != key.fingerprint:
        raise LinkageKeyMismatch(
            f"the linkage key in use (fingerprint {key.fingerprint}, from "
            f"{KEY_ENV if key.origin == 'environment' else key.origin}) is not "
            f"the key this warehouse was built with (fingerprint {expected}); landing nothing, "
            "so that no person becomes a new person. Restore the original key (the backup of "
            f"secrets/linkage.key, or the value of {KEY_ENV} used before) and build again; "
            "to change the key on purpose, run smw rekey (it re-pseudonymises from the archive)."
        )


class Lander:
    """Lands files into one open warehouse connection (DuckDB has one writer)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        home: Home,
        key: LinkageKey,
        run_id: str,
        *,
        check_key: bool = True,
    ) -> None:
        """``check_key`` false: only for ``smw rekey``, which re-derives every pseudonym with a
        new key and lands nothing."""
        self.con = con
        self.home = home
        self.key = key
        self.run_id = run_id
        self.ipad, self.opad = key.pads()
        ensure_schema(con)
        if check_key:
            check_key_matches(con, key)

    #: The load id the next file lands under instead of a new one (``smw verify --reland``
    #: lands an archived file again under the id it had, so record versions keep their order).
    forced_load_id: int | None = None

    def _next_load_id(self) -> int:
        if self.forced_load_id is not None:
            load_id, self.forced_load_id = self.forced_load_id, None
            return load_id
        row = self.con.execute("select nextval('audit.load_id_seq')").fetchone()
        assert row is not None
        return int(row[0])

    def advance_load_ids_past(self, load_id: int) -> None:
        """Make the next new load id greater than ``load_id`` (after a lost transaction log the
        sequence may lag behind ids already in the archive)."""
        row = self.con.execute("select nextval('audit.load_id_seq')").fetchone()
        assert row is not None
        if int(row[0]) < load_id:
            self.con.execute(
                "select max(nextval('audit.load_id_seq')) from range(?)", [load_id - int(row[0])]
            )

    def land_file(self, source: spec.Source, path: Path, reading: StrictReading) -> FileOutcome:
        """Land one file. ``reading``: what :func:`read_strictly` found in it (``land`` reads
        the next file while this one is inserted)."""
        try:
            hashed = reading.hashed()
        except OSError as e:
            problem = FileProblem(
                f"the file cannot be read ({e.strerror})", "send the file again as a readable file"
            )
            return self._quarantine(source, path, self._next_load_id(), problem, sha="", size=0)
        sha, size, _ = hashed

        history = self.con.execute(
            "select load_id, status, file_name, stored_at, encoding, error, duplicate_of "
            "from audit.loads where source = ? and sha256 = ? order by load_id",
            [source.name, sha],
        ).fetchall()
        unfinished = self._unfinished_move(source, path, sha, history)
        if unfinished is not None:
            return unfinished

        load_id = self._next_load_id()
        earlier = next((h for h in history if h[1] == "loaded"), None)
        if earlier is not None:  # same bytes as a landed file: recorded, not landed again
            return self._duplicate(source, path, load_id, sha, size, earlier[4] or "", earlier[0])

        try:
            fb = reading.file_bytes()
        except FileProblem as p:
            return self._quarantine(source, path, load_id, p, sha=sha, size=size)

        try:
            with self.read_for_insert(source, path, reading) as (
                readable,
                compression,
                header,
                hm,
                scan,
            ):
                rows = self._insert(
                    source, readable, compression, header, hm, scan, load_id, path.name, fb
                )
        except FileProblem as p:
            return self._quarantine(
                source, path, load_id, p, sha=fb.sha256, size=fb.size, encoding=fb.encoding
            )

        stored, move_error = self._archive(source, path, load_id, fb.sha256)
        outcome = FileOutcome(
            source.name,
            path.name,
            "loaded",
            load_id,
            rows,
            fb.sha256,
            fb.encoding,
            sorted(hm.extra),
            stored_at=str(stored),
            dropped_columns=list(hm.dropped),
            move_error=move_error,
        )
        log.info("landed %s/%s: %d rows (load %d)", source.name, path.name, rows, load_id)
        if hm.dropped:
            log.warning(
                "%s/%s: extra column(s) not kept, their names say they identify people: %s",
                source.name,
                path.name,
                ", ".join(hm.dropped),
            )
        return outcome

    @contextmanager
    def read_for_insert(
        self, source: spec.Source, path: Path, reading: StrictReading
    ) -> Iterator[tuple[Path, str, list[str], HeaderMap, CsvScan]]:
        """The file as DuckDB reads it (transcoded to UTF-8 first when needed: the copy lives
        while the context is open), its header, header map and strict scan. Raises
        :class:`FileProblem`. Landing and ``smw rekey`` (which re-reads archived files) share it."""
        fb = reading.file_bytes()
        with readable_csv(path, fb, self.home.state_dir / "tmp") as (readable, compression):
            if reading.scanned:  # read in place, already read strictly
                header = reading.header()
                hm = map_header(source, header)
                scan = reading.scan()
            else:
                header = read_header(readable, compression)
                hm = map_header(source, header)
                scan = scan_records(readable, compression, header)
            yield readable, compression, header, hm, scan

    def rows_sql(self, source: spec.Source, hm: HeaderMap, n_cols: int, compression: str) -> str:
        """The SELECT turning a file into raw rows (identifiers replaced by the pseudonym, birth
        month and attributor status), with parameters ``path``, ``load_id``, ``file_name`` and,
        for person-level sources, ``ipad`` and ``opad`` (:meth:`params`)."""
        read = _read_csv_sql(n_cols, compression)
        return f"select\n    {_select_for(source, hm)}\nfrom {_from_for(source, hm, read)}"

    def params(
        self, source: spec.Source, path: Path, load_id: int, file_name: str
    ) -> dict[str, object]:
        params: dict[str, object] = {"path": str(path), "load_id": load_id, "file_name": file_name}
        if source.person_level:
            params["ipad"] = self.ipad
            params["opad"] = self.opad
        return params

    def check_readers_agree(
        self, path: Path, compression: str, header: list[str], scan: CsvScan
    ) -> None:
        """DuckDB's reading of the file gives the records and characters the strict reading
        found, else :class:`FileProblem` naming where they part."""
        n_cols = len(header)
        read = _read_csv_sql(n_cols, compression)
        try:
            check = self.con.execute(
                f"select count(*), coalesce(sum({_chars_sql(n_cols)}), 0) from {read}",
                {"path": str(path)},
            ).fetchone()
        except duckdb.InvalidInputException as e:  # the file; anything else is not
            raise _friendly_duckdb_error(e) from None
        assert check is not None
        if (int(check[0]), int(check[1])) != (scan.records, scan.chars):
            raise self._disagreement(path, compression, header, scan, int(check[0]), int(check[1]))

    def _insert(
        self,
        source: spec.Source,
        path: Path,
        compression: str,
        header: list[str],
        hm: HeaderMap,
        scan: CsvScan,
        load_id: int,
        file_name: str,
        fb: FileBytes,
    ) -> int:
        archive_path = self._archive_path(source, load_id, file_name, fb.sha256)
        params = self.params(source, path, load_id, file_name)
        cols = [*source.raw_columns, "_load_id", "_file_name", "_row_number", "_extra"]
        sql = f"insert into raw.{source.name} ({', '.join(cols)})\n" + self.rows_sql(
            source, hm, len(header), compression
        )
        self.check_readers_agree(path, compression, header, scan)
        log.info(
            "landing %s/%s (load %d): %d records, inserting",
            source.name,
            file_name,
            load_id,
            scan.records,
        )
        self.con.execute("begin transaction")
        try:
            try:
                res = self.con.execute(sql, params).fetchone()
            except duckdb.InvalidInputException as e:
                raise _friendly_duckdb_error(e) from None
            rows = int(res[0]) if res else 0
            if rows != scan.records:  # the file changed under us, or a reader is wrong
                raise FileProblem(
                    f"DuckDB's CSV reader read {rows:,} records where the strict reading found "
                    f"{scan.records:,}",
                    "send the file again; if this persists, report it to the warehouse team",
                )
            self._audit(
                load_id=load_id,
                source=source.name,
                file_name=file_name,
                status="loaded",
                sha256=fb.sha256,
                bytes=fb.size,
                rows=rows,
                encoding=fb.encoding,
                extra_columns=",".join(sorted(hm.extra)) or None,
                stored_at=str(archive_path),
                dropped_columns=",".join(hm.dropped) or None,
            )
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise
        return rows

    def _disagreement(
        self,
        path: Path,
        compression: str,
        header: list[str],
        scan: CsvScan,
        duck_records: int,
        duck_chars: int,
    ) -> FileProblem:
        """The two readers disagree: find the first record where they part, for the supplier."""
        n_cols = len(header)
        result = self.con.execute(
            f"select {_chars_sql(n_cols)} from {_read_csv_sql(n_cols, compression)} "
            "with ordinality order by ordinality",
            {"path": str(path)},
        )
        python = ((n, line, sum(map(len, row))) for n, line, row in iter_records(path, compression))
        next(python)  # the header
        where = "at the end of the file"
        batch: list[tuple] = []
        while True:
            if not batch:
                batch = result.fetchmany(10_000)
                batch.reverse()
            theirs = batch.pop()[0] if batch else None
            ours = next(python, None)
            if ours is None or theirs is None:
                if ours is not None:
                    where = f"from record {ours[0]} (line {ours[1]})"
                break
            if ours[2] != theirs:
                where = f"from record {ours[0]} (line {ours[1]})"
                break
        return FileProblem(
            f"the CSV is ambiguous: a strict reading finds {scan.records:,} record(s), DuckDB's "
            f"CSV reader finds {duck_records:,}"
            + (" with different values" if duck_records == scan.records else "")
            + f"; they differ {where}",
            "quote every value that holds a quote, comma or line break, with no spaces between the "
            'quotes and the commas, and write a quote inside a value twice ("5 ""A"" St")',
        )

    def _audit(self, **values: object) -> None:
        row = {
            "run_id": self.run_id,
            "key_fingerprint": self.key.fingerprint,
            "landed_at": datetime.now(UTC).replace(tzinfo=None),
            **values,
        }
        cols = [c for c in _AUDIT_COLUMNS if c in row]
        self.con.execute(
            f"insert into audit.loads ({', '.join(cols)}) values ({', '.join('?' for _ in cols)})",
            [row[c] for c in cols],
        )

    def _archive_path(
        self, source: spec.Source, load_id: int, file_name: str, sha: str = ""
    ) -> Path:
        return self.home.archive_dir / source.name / stored_name(load_id, file_name, sha)

    def _archive(
        self, source: spec.Source, path: Path, load_id: int, sha: str
    ) -> tuple[Path, str | None]:
        dest = self._archive_path(source, load_id, path.name, sha)
        return dest, self._store(path, dest, load_id, "landed")

    def _store(self, path: Path, dest: Path, load_id: int, what: str) -> str | None:
        """Move a file whose outcome is recorded to ``dest``; a failure is returned (and
        logged), not raised: the outcome stands, and the next build finishes the move."""
        try:
            _move(path, dest, restricted=True)
        except OSError as e:
            problem = (
                f"{what} (load {load_id}) but {_move_problem(path, dest, e)}; it stays in the "
                "landing folder and the next build moves it, without recording it again"
            )
            log.warning("%s: %s", path.name, problem)
            return problem
        return None

    def _unfinished_move(
        self, source: spec.Source, path: Path, sha: str, history: list[tuple]
    ) -> FileOutcome | None:
        """Finish what a crash interrupted: the audit committed, the file was not moved yet.

        Every outcome is recorded before its file moves, so a file still waiting in landing
        whose latest audit record (same source, name and content) points at a stored copy that
        does not exist was interrupted there. Completing the move, rather than landing the file
        again, keeps it exactly once.
        """
        same_name = [h for h in history if h[2] == path.name]
        if not same_name:
            return None
        load_id, status, _, stored_at, encoding, error, duplicate_of = same_name[-1]
        if not stored_at:
            return None
        dest = Path(stored_at)
        if len(dest.name.encode("utf-8", "surrogateescape")) > MAX_STORED_NAME_BYTES:
            # Recorded before names were bounded: a name the file system refuses. Store the
            # file under its bounded name and say so in its audit record.
            dest = dest.with_name(stored_name(int(load_id), path.name, sha))
            self.con.execute(
                "update audit.loads set stored_at = ? where load_id = ?", [str(dest), load_id]
            )
            stored_at = str(dest)
        if dest.exists():
            if not _same_content(dest, path):
                return None  # stored already: this is the same name sent again
            # An older version copied it across file systems and could not remove the source.
            try:
                path.unlink()
                move_error = None
            except OSError as e:
                move_error = (
                    f"{status} (load {load_id}) and stored in {dest.parent}, but it cannot be "
                    f"removed from the landing folder ({e.strerror}); the next build tries again"
                )
        else:
            move_error = self._store(path, dest, int(load_id), status)
        if status == "quarantined":
            self._write_note_if_missing(dest, source, path.name, int(load_id), error or "")
        if move_error is None:
            log.info(
                "completed moving %s/%s for load %d (%s)", source.name, path.name, load_id, status
            )
        return FileOutcome(
            source.name,
            path.name,
            status,
            int(load_id),
            0,  # its rows were counted by the run that committed them
            sha,
            encoding or "",
            error=error,
            duplicate_of=duplicate_of,
            stored_at=stored_at,
            move_error=move_error,
        )

    def _duplicate(
        self,
        source: spec.Source,
        path: Path,
        load_id: int,
        sha: str,
        size: int,
        encoding: str,
        original: int,
    ) -> FileOutcome:
        dest = self._archive_path(source, load_id, path.name, sha)
        self._audit(
            load_id=load_id,
            source=source.name,
            file_name=path.name,
            status="duplicate",
            sha256=sha,
            bytes=size,
            rows=0,
            encoding=encoding or None,
            error=f"same content as load {original} (already landed)",
            duplicate_of=original,
            stored_at=str(dest),
        )
        move_error = self._store(path, dest, load_id, "recorded as a duplicate")
        log.info("skipped %s/%s: same content as load %d", source.name, path.name, original)
        return FileOutcome(
            source.name,
            path.name,
            "duplicate",
            load_id,
            0,
            sha,
            encoding,
            duplicate_of=original,
            stored_at=str(dest),
            move_error=move_error,
        )

    def _quarantine(
        self,
        source: spec.Source,
        path: Path,
        load_id: int,
        p: FileProblem,
        *,
        sha: str,
        size: int,
        encoding: str = "",
    ) -> FileOutcome:
        qdir = self.home.quarantine_dir / source.name
        dest = qdir / stored_name(load_id, path.name, sha)
        # The note is written first: a file is never in quarantine without it. If even the note
        # cannot be written, nothing is recorded and the file waits in landing for the next build.
        try:
            qdir.mkdir(parents=True, exist_ok=True)
            os.chmod(qdir, 0o700)
            _write_note(dest, source, path.name, load_id, p.problem, p.fix)
        except OSError as e:
            raise NotStored(
                f"{p.problem}; it could not be quarantined ({e.strerror or e}: {e.filename}), "
                "so nothing was recorded: it stays in the landing folder and the next build "
                "tries again"
            ) from None
        self._audit(
            load_id=load_id,
            source=source.name,
            file_name=path.name,
            status="quarantined",
            sha256=sha or None,
            bytes=size,
            rows=0,
            encoding=encoding or None,
            error=p.problem,
            stored_at=str(dest),
        )
        move_error = self._store(path, dest, load_id, f"quarantined ({p.problem})")
        log.warning("quarantined %s/%s: %s (%s)", source.name, path.name, p.problem, p.fix)
        return FileOutcome(
            source.name,
            path.name,
            "quarantined",
            load_id,
            0,
            sha,
            encoding,
            error=p.problem,
            stored_at=str(dest),
            move_error=move_error,
        )

    def _write_note_if_missing(
        self, dest: Path, source: spec.Source, file_name: str, load_id: int, problem: str
    ) -> None:
        """A quarantined file whose note was lost (or never written, by an older version)."""
        note = dest.with_name(dest.name + _NOTE_SUFFIX)
        if dest.exists() and not note.exists():
            fix = "correct the problem above and send the file again"
            _write_note(dest, source, file_name, load_id, problem, fix)


def _write_note(
    dest: Path, source: spec.Source, file_name: str, load_id: int, problem: str, fix: str
) -> None:
    """The readable ``.error.txt`` beside a quarantined file (written whole or not at all)."""
    note = dest.with_name(dest.name + _NOTE_SUFFIX)
    staged = note.with_name(f".{note.name}{_PARTIAL}")
    staged.write_text(
        "\n".join(
            [
                f"File:     {file_name}",
                f"Source:   {source.name} ({source.description})",
                f"Received: {datetime.now(UTC).isoformat(timespec='seconds')} (load {load_id})",
                f"Problem:  {file_name}: {problem}",
                f"To fix:   {fix}",
                "",
                "Nothing from this file was loaded. The rest of the batch landed as normal.",
                "When a corrected file is placed in the landing folder, it will be loaded.",
                f"The file is kept here unchanged: {dest}",
                "",
            ]
        ),
        encoding="utf-8",
    )
    os.replace(staged, note)


def _same_content(a: Path, b: Path) -> bool:
    try:
        if os.stat(a).st_size != os.stat(b).st_size:
            return False
        return hash_file(a)[0] == hash_file(b)[0]
    except OSError:
        return False


#: Longest name, in bytes, of a file landing stores (archive or quarantine). File systems allow
#: 255; the quarantine's ``.error.txt`` note adds 10, and a margin is kept for copies' suffixes.
MAX_STORED_NAME_BYTES = 200
_NOTE_SUFFIX = ".error.txt"


def stored_name(load_id: int, file_name: str, sha: str = "") -> str:
    """The archive or quarantine name of a file: ``<load id>__<name as received>``, or, for a
    name too long to store with its note (a 236-character name once wedged landing), a readable
    prefix of the name, ``~``, 16 hex digits of the content hash (of the name when the content
    could not be read) and the name's extension. The name as received stays in ``audit.loads``."""
    name = f"{load_id:07d}__{file_name}"
    if len(name.encode("utf-8", "surrogateescape")) <= MAX_STORED_NAME_BYTES:
        return name
    lower = file_name.lower()
    ext = next((e for e in (".csv.gz", ".csv", ".gz") if lower.endswith(e)), "")
    ext = file_name[len(file_name) - len(ext) :] if ext else ""
    digest = sha or hashlib.sha256(file_name.encode("utf-8", "surrogateescape")).hexdigest()
    tail = f"~{digest[:16]}{ext}"
    room = MAX_STORED_NAME_BYTES - len(f"{load_id:07d}__".encode()) - len(tail.encode())
    prefix = file_name[: len(file_name) - len(ext)] if ext else file_name
    prefix = prefix.encode("utf-8", "surrogateescape")[:room].decode("utf-8", "ignore")
    return f"{load_id:07d}__{prefix}{tail}"


_PARTIAL = ".partial"


def _move(src: Path, dest: Path, *, restricted: bool) -> None:
    """Move a file from landing to the archive or quarantine: all of it, or (raising OSError)
    nothing, so that it is never in both places and a failed move is simply tried again.

    A rename within one file system; across file systems, or for a symbolic link, a copy of the
    content beside the destination, renamed into place, then the source (the link) removed;
    the copy is removed again if the source cannot be.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    if restricted:
        os.chmod(dest.parent, 0o700)
    if not src.is_symlink():
        try:
            os.rename(src, dest)
            return
        except OSError as e:
            if e.errno != errno.EXDEV:
                raise
    # Another file system, or a symbolic link: stored as the content it leads to, not as a
    # link (whose target may change or vanish); the link itself is removed, its target kept.
    staged = dest.with_name(f".{dest.name}{_PARTIAL}")
    try:
        shutil.copyfile(src, staged)
        shutil.copystat(src, staged)
        os.replace(staged, dest)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    try:
        os.unlink(src)
    except BaseException:
        dest.unlink(missing_ok=True)  # not moved after all: one place only
        raise


def remove_partial_moves(home: Home) -> list[Path]:
    """Delete copies a move across file systems left half-written when it was killed."""
    removed = []
    for folder in (home.archive_dir, home.quarantine_dir):
        for partial in folder.glob(f"*/.*{_PARTIAL}"):
            partial.unlink(missing_ok=True)
            removed.append(partial)
    return removed


def _move_problem(path: Path, dest: Path, e: OSError) -> str:
    where = f" ({e.filename})" if e.filename else ""
    return f"could not be moved to {dest.parent} ({e.strerror or e}{where})"


def connect(home: Home) -> duckdb.DuckDBPyConnection:
    """The landing connection: bounded memory; row order need not be kept (rows carry their
    file and record number), which lets DuckDB stream inserts without buffering."""
    tmp = home.state_dir / "duckdb-tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    os.chmod(tmp, 0o700)
    con = duckdb.connect(
        str(home.warehouse_db),
        config={
            "memory_limit": MEMORY_LIMIT,
            "preserve_insertion_order": False,
            "temp_directory": str(tmp),
        },
    )
    con.execute("set enable_progress_bar = false")  # long inserts would draw on the terminal
    os.chmod(home.warehouse_db, 0o600)  # restricted from the moment it exists
    return con


def land(
    landing: Path,
    home: Home,
    key: LinkageKey,
    run_id: str,
    progress: Callable[[int, int, FileOutcome], None] | None = None,
    settle: float | None = None,
) -> LandingReport:
    """Land every waiting file; returns what happened to each. ``settle``: seconds a file must
    be unchanged (default :func:`settle_seconds`)."""
    home.ensure()
    for stale in remove_stale_transcodes(home.state_dir / "tmp"):
        log.warning("removed %s, a transcoded copy left by a landing that was killed", stale.name)
    for stale in remove_partial_moves(home):
        log.warning("removed %s, a partial copy left by a move that was killed", stale)
    dangling: list[str] = []
    found, ignored = discover(landing, dangling)
    files, waiting = settle_files(found, landing, settle_seconds() if settle is None else settle)
    report = LandingReport(ignored=ignored, waiting=waiting, warnings=dangling)
    for line in dangling:
        log.warning("%s", line)
    con = connect(home)
    try:
        lander = Lander(con, home, key, run_id)
        # The strict reading of the next file (Python) runs beside this file's insert (DuckDB,
        # which releases the GIL): the two readings of a file no longer add up. It only reads.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="smw-strict-read") as ahead:
            upcoming = ahead.submit(read_strictly, files[0][1]) if files else None
            for i, (src, path, settled) in enumerate(files, 1):
                assert upcoming is not None
                reading = upcoming.result()
                if i < len(files):
                    upcoming = ahead.submit(read_strictly, files[i][1])
                try:
                    changed = _fingerprint(os.stat(path)) != settled
                except OSError:
                    changed = True
                if changed:  # written to while it was read: what was read may be half of it
                    report.waiting.append(
                        f"{path.relative_to(landing)}: still being written (changed while it "
                        "was read); left for the next build"
                    )
                    continue
                try:
                    outcome = lander.land_file(src, path, reading)
                except NotStored as e:
                    report.warnings.append(f"{path.relative_to(landing)}: {e}")
                    log.warning("%s: %s", path.relative_to(landing), e)
                    continue
                report.outcomes.append(outcome)
                if outcome.move_error:
                    report.warnings.append(f"{path.relative_to(landing)}: {outcome.move_error}")
                if progress:
                    progress(i, len(files), outcome)
        con.execute("checkpoint")
    finally:
        con.close()
        _write_notes(home, run_id, report)
    for line in report.waiting:
        log.warning("waiting: %s", line)
    return report


LAST_LANDING = "last_landing.json"


def _write_notes(home: Home, run_id: str, report: LandingReport) -> None:
    """What the build summary and ``smw status`` show beside ``audit.loads``: files ignored,
    waiting, and problems that moved nothing (``state/last_landing.json``)."""
    path = home.state_dir / LAST_LANDING
    staged = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    notes = {
        "run_id": run_id,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "ignored": report.ignored,
        "waiting": report.waiting,
        "warnings": report.warnings,
    }
    staged.write_text(json.dumps(notes, indent=2) + "\n", encoding="utf-8")
    os.replace(staged, path)


def read_notes(home: Home, run_id: str | None = None) -> dict | None:
    """The notes of the last landing (of ``run_id`` when given), or None."""
    try:
        notes = json.loads((home.state_dir / LAST_LANDING).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if run_id is not None and notes.get("run_id") != run_id:
        return None
    return notes
