"""Reading the bytes: hash, compression, encoding, and a UTF-8 copy for DuckDB where needed."""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import os
import re
import shutil
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from orchestration.lib.landing.model import (
    _CHUNK,
    _GZIP_MAGIC,
    FileProblem,
)


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
