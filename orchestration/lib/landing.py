"""Landing: every extract file into ``<home>/warehouse.duckdb`` schema ``raw``, exactly once.

One file = one transaction: its rows and its audit record commit together or not at all, so a
crash mid-file leaves nothing behind and the next run lands the file again. Values stay text;
attributors are replaced by a keyed pseudonym and a birth month inside the CSV scan, so no table
ever holds initials or a full date of birth. A file that cannot be read as a CSV extract is
moved to ``<home>/quarantine/<source>/`` with a readable ``.error.txt``; the rest of the batch
still lands. Landed files move to ``<home>/archive/<source>/`` (restricted), never deleted.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import logging
import os
import shutil
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import duckdb

from orchestration.lib import spec
from orchestration.lib.paths import Home
from orchestration.lib.pseudonym import (
    LinkageKey,
    sql_attributor_message,
    sql_date,
    sql_hmac,
)

log = logging.getLogger(__name__)

Status = Literal["loaded", "duplicate", "quarantined"]
_CHUNK = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
#: Longest line DuckDB accepts; longer lines make the file unreadable (quarantined).
MAX_LINE_BYTES = 8 << 20


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


@dataclass
class LandingReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def by_status(self, status: Status) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def rows_loaded(self) -> int:
        return sum(o.rows for o in self.by_status("loaded"))


# --------------------------------------------------------------------------------------------
# Discovery


def discover(landing: Path) -> tuple[list[tuple[spec.Source, Path]], list[str]]:
    """Files waiting in ``<landing>/<source>/``, in landing order, and what was ignored.

    Within a source, files land in name order (suppliers name extracts by date), so a record
    re-sent in a later file replaces the earlier version. Dotfiles are ignored silently
    (editor and tool droppings); anything else outside a known source folder is reported.
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
            if f.is_file() and not any(p.startswith(".") for p in f.relative_to(entry).parts):
                found.append((src, f))
    return found, ignored


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


def inspect_bytes(path: Path) -> FileBytes:
    """Hash the file and find how to decode it, streaming (never the whole file in memory)."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        head = f.read(2)
        f.seek(0)
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    if size == 0:
        raise FileProblem(
            "the file is empty (0 bytes)", "send the extract again with its header row and data"
        )
    gzipped = head == _GZIP_MAGIC
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
    return FileBytes(digest.hexdigest(), size, gzipped, encoding)


def _detect_encoding(path: Path, gzipped: bool) -> str:
    utf8 = codecs.getincrementaldecoder("utf-8")()
    cp1252 = codecs.getincrementaldecoder("cp1252")()
    utf8_ok = True
    offset = 0
    first = b""
    try:
        with _open_decompressed(path, gzipped) as f:
            for chunk in iter(lambda: f.read(_CHUNK), b""):
                if not first:
                    first = chunk[:3]
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
                if not utf8_ok:
                    try:
                        cp1252.decode(chunk)
                    except UnicodeDecodeError as e:
                        raise FileProblem(
                            f"the file cannot be decoded as UTF-8 or Windows-1252 (bad byte at byte {offset + e.start:,})",
                            "save the file as UTF-8 (or Windows-1252) CSV",
                        ) from None
                offset += len(chunk)
            if utf8_ok:
                try:
                    utf8.decode(b"", final=True)
                except UnicodeDecodeError:
                    utf8_ok = False
    except (OSError, EOFError, zlib.error) as e:
        if isinstance(e, FileProblem):
            raise
        raise FileProblem(
            f"the compressed file is corrupt or truncated ({e})", "compress and send the file again"
        ) from None
    if offset == 0:
        raise FileProblem(
            "the file is empty (no header row)", "send the extract with its header row and data"
        )
    if utf8_ok:
        return "utf-8-sig" if first.startswith(codecs.BOM_UTF8) else "utf-8"
    return "windows-1252"


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
    tmp = tmp_dir / f"transcode-{os.getpid()}-{path.name}.csv"
    try:
        with (
            _open_decompressed(path, fb.gzipped) as src,
            open(tmp, "w", encoding="utf-8", newline="") as dst,
        ):
            text = io.TextIOWrapper(src, encoding="cp1252", newline="")
            shutil.copyfileobj(text, dst, _CHUNK)
        yield tmp, "none"
    finally:
        tmp.unlink(missing_ok=True)


def read_header(path: Path, compression: str) -> list[str]:
    """The header row's field names as sent (first CSV record)."""
    opener: Callable[..., io.BufferedIOBase] = gzip.open if compression == "gzip" else open
    with opener(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        try:
            row = next(csv.reader(text), None)
        except csv.Error as e:
            raise FileProblem(
                f"the header row cannot be parsed ({e})", "send a header row of column names"
            ) from None
    if not row or all(not c.strip() for c in row):
        raise FileProblem(
            "the file has no header row", "send the extract with a header row of column names"
        )
    return row


@dataclass(frozen=True)
class HeaderMap:
    positions: dict[str, int]  # spec column -> position in the file
    extra: dict[str, int]  # normalised extra column name -> position


def map_header(source: spec.Source, header: list[str]) -> HeaderMap:
    """Match header names case-insensitively ignoring surrounding spaces; order is free."""
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        norm = name.strip().lower()
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
    missing = [c for c in source.required_columns if c not in seen]
    if missing:
        raise FileProblem(
            f"required column(s) missing from the header: {', '.join(missing)}",
            f"add the column(s) {', '.join(missing)} (see the extract specification for {source.name})",
        )
    positions = {c: seen[c] for c in source.column_names if c in seen}
    extra = {n: i for n, i in seen.items() if n not in positions}
    return HeaderMap(positions, extra)


# --------------------------------------------------------------------------------------------
# The warehouse side


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
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
            landed_at timestamp not null
        )
        """
    )
    for src in spec.SOURCES:
        cols = [f"{c} varchar" for c in src.raw_columns]
        cols += [
            "_load_id bigint not null",
            "_file_name varchar not null",
            "_row_number bigint not null",
            "_extra json",
        ]
        con.execute(f"create table if not exists raw.{src.name} ({', '.join(cols)})")
        existing = {
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ?",
                [src.name],
            ).fetchall()
        }
        for c in src.raw_columns:
            if c not in existing:  # the spec gained an optional column
                con.execute(f"alter table raw.{src.name} add column {c} varchar")


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _select_for(source: spec.Source, hm: HeaderMap, n_cols: int) -> str:
    """The SELECT list turning file columns c0..cn into raw columns (identifiers replaced)."""

    def col(name: str) -> str:
        return f"c{hm.positions[name]}" if name in hm.positions else "null"

    parts: list[str] = []
    for c in source.column_names:
        if c in spec.IDENTIFYING_FIELDS:
            continue
        parts.append(f"{col(c)} as {c}")
    if source.person_level:
        msg = sql_attributor_message(
            col("first_initial"), col("surname_initial"), col("date_of_birth"), col("sex")
        )
        parts.append(f"{sql_hmac(msg, '$ipad', '$opad')} as person_id")
        parts.append(f"strftime({sql_date(col('date_of_birth'))}, '%Y-%m') as birth_month")
        parts.append(
            f"case when ({msg}) is null then 'incomplete' else 'complete' end as attributor_status"
        )
    parts.append("$load_id as _load_id")
    parts.append("$file_name as _file_name")
    parts.append("ordinality as _row_number")
    if hm.extra:
        pairs = ", ".join(
            f"'{n.replace(chr(39), chr(39) * 2)}', c{i}" for n, i in sorted(hm.extra.items())
        )
        parts.append(f"json_object({pairs}) as _extra")
    else:
        parts.append("null as _extra")
    return ",\n    ".join(parts)


def _read_csv_sql(n_cols: int, compression: str) -> str:
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n_cols))
    return (
        "read_csv($path, header = true, auto_detect = false, delim = ',', quote = '\"', "
        f"escape = '\"', columns = {{{columns}}}, compression = '{compression}', "
        f"max_line_size = {MAX_LINE_BYTES}, strict_mode = true, null_padding = false)"
    )


def _friendly_duckdb_error(e: duckdb.Error) -> FileProblem:
    msg = str(e).strip()
    first = msg.splitlines()[0] if msg else type(e).__name__
    detail = " ".join(line.strip() for line in msg.splitlines()[1:6] if line.strip())
    text = f"the CSV is malformed: {first}"
    if detail:
        text += f" ({detail[:400]})"
    return FileProblem(
        text,
        "check the line named above: every row needs as many fields as the header, and quotes "
        "must be closed; export again from the source system",
    )


class Lander:
    """Lands files into one open warehouse connection (DuckDB has one writer)."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, home: Home, key: LinkageKey, run_id: str
    ) -> None:
        self.con = con
        self.home = home
        self.key = key
        self.run_id = run_id
        self.ipad, self.opad = key.pads()
        ensure_schema(con)

    def _next_load_id(self) -> int:
        row = self.con.execute("select nextval('audit.load_id_seq')").fetchone()
        assert row is not None
        return int(row[0])

    def land_file(self, source: spec.Source, path: Path) -> FileOutcome:
        load_id = self._next_load_id()
        try:
            fb = inspect_bytes(path)
        except FileProblem as p:
            return self._quarantine(source, path, load_id, p, sha="", size=path.stat().st_size)

        earlier = self.con.execute(
            "select load_id, stored_at from audit.loads where source = ? and sha256 = ? and status = 'loaded' "
            "order by load_id limit 1",
            [source.name, fb.sha256],
        ).fetchone()
        if earlier is not None:
            return self._duplicate(source, path, load_id, fb, int(earlier[0]), earlier[1])

        try:
            with readable_csv(path, fb, self.home.state_dir / "tmp") as (readable, compression):
                header = read_header(readable, compression)
                hm = map_header(source, header)
                rows = self._insert(
                    source, readable, compression, len(header), hm, load_id, path.name, fb
                )
        except FileProblem as p:
            return self._quarantine(
                source, path, load_id, p, sha=fb.sha256, size=fb.size, encoding=fb.encoding
            )

        stored = self._archive(source, path, load_id)
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
        )
        log.info("landed %s/%s: %d rows (load %d)", source.name, path.name, rows, load_id)
        return outcome

    def _insert(
        self,
        source: spec.Source,
        path: Path,
        compression: str,
        n_cols: int,
        hm: HeaderMap,
        load_id: int,
        file_name: str,
        fb: FileBytes,
    ) -> int:
        archive_path = self._archive_path(source, path, load_id, file_name)
        params: dict[str, object] = {"path": str(path), "load_id": load_id, "file_name": file_name}
        if source.person_level:
            params["ipad"] = self.ipad
            params["opad"] = self.opad
        cols = [*source.raw_columns, "_load_id", "_file_name", "_row_number", "_extra"]
        sql = (
            f"insert into raw.{source.name} ({', '.join(cols)})\n"
            f"select\n    {_select_for(source, hm, n_cols)}\n"
            f"from {_read_csv_sql(n_cols, compression)} with ordinality"
        )
        self.con.execute("begin transaction")
        try:
            try:
                res = self.con.execute(sql, params).fetchone()
            except duckdb.Error as e:
                raise _friendly_duckdb_error(e) from None
            rows = int(res[0]) if res else 0
            self.con.execute(
                "insert into audit.loads values (?, ?, ?, ?, 'loaded', ?, ?, ?, ?, ?, null, null, ?, ?, ?)",
                [
                    load_id,
                    self.run_id,
                    source.name,
                    file_name,
                    fb.sha256,
                    fb.size,
                    rows,
                    fb.encoding,
                    ",".join(sorted(hm.extra)) or None,
                    self.key.fingerprint,
                    str(archive_path),
                    datetime.now(UTC).replace(tzinfo=None),
                ],
            )
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise
        return rows

    def _archive_path(
        self, source: spec.Source, path: Path, load_id: int, file_name: str | None = None
    ) -> Path:
        return self.home.archive_dir / source.name / f"{load_id:07d}__{file_name or path.name}"

    def _archive(self, source: spec.Source, path: Path, load_id: int) -> Path:
        dest = self._archive_path(source, path, load_id)
        _move(path, dest, restricted=True)
        return dest

    def _duplicate(
        self,
        source: spec.Source,
        path: Path,
        load_id: int,
        fb: FileBytes,
        original: int,
        original_stored: str | None,
    ) -> FileOutcome:
        # A crash between commit and archiving leaves the landed file in place: finish the move
        # for the original load instead of recording a duplicate.
        if original_stored and not Path(original_stored).exists():
            _move(path, Path(original_stored), restricted=True)
            log.info("completed archiving of load %d (%s)", original, path.name)
            return FileOutcome(
                source.name,
                path.name,
                "loaded",
                original,
                0,
                fb.sha256,
                fb.encoding,
                stored_at=original_stored,
            )
        dest = self._archive_path(source, path, load_id)
        self.con.execute(
            "insert into audit.loads values (?, ?, ?, ?, 'duplicate', ?, ?, 0, ?, null, ?, ?, ?, ?, ?)",
            [
                load_id,
                self.run_id,
                source.name,
                path.name,
                fb.sha256,
                fb.size,
                fb.encoding,
                f"same content as load {original} (already landed)",
                original,
                self.key.fingerprint,
                str(dest),
                datetime.now(UTC).replace(tzinfo=None),
            ],
        )
        _move(path, dest, restricted=True)
        log.info("skipped %s/%s: same content as load %d", source.name, path.name, original)
        return FileOutcome(
            source.name,
            path.name,
            "duplicate",
            load_id,
            0,
            fb.sha256,
            fb.encoding,
            duplicate_of=original,
            stored_at=str(dest),
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
        dest = qdir / f"{load_id:07d}__{path.name}"
        note = dest.with_name(dest.name + ".error.txt")
        message = f"{source.name}/{path.name}: {p.problem}"
        self.con.execute(
            "insert into audit.loads values (?, ?, ?, ?, 'quarantined', ?, ?, 0, ?, null, ?, null, ?, ?, ?)",
            [
                load_id,
                self.run_id,
                source.name,
                path.name,
                sha or None,
                size,
                encoding or None,
                p.problem,
                self.key.fingerprint,
                str(dest),
                datetime.now(UTC).replace(tzinfo=None),
            ],
        )
        _move(path, dest, restricted=True)
        note.write_text(
            "\n".join(
                [
                    f"File:     {path.name}",
                    f"Source:   {source.name} ({source.description})",
                    f"Received: {datetime.now(UTC).isoformat(timespec='seconds')} (load {load_id})",
                    f"Problem:  {p.problem}",
                    f"To fix:   {p.fix}",
                    "",
                    "Nothing from this file was loaded. The rest of the batch landed as normal.",
                    "When a corrected file is placed in the landing folder, it will be loaded.",
                    f"The file is kept here unchanged: {dest}",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        log.warning("quarantined %s: %s", message, p.fix)
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
        )


def _move(src: Path, dest: Path, *, restricted: bool) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if restricted:
        os.chmod(dest.parent, 0o700)
    shutil.move(str(src), str(dest))


def land(
    landing: Path,
    home: Home,
    key: LinkageKey,
    run_id: str,
    progress: Callable[[int, int, FileOutcome], None] | None = None,
) -> LandingReport:
    """Land every waiting file; returns what happened to each."""
    home.ensure()
    files, ignored = discover(landing)
    report = LandingReport(ignored=ignored)
    con = duckdb.connect(str(home.warehouse_db))
    try:
        lander = Lander(con, home, key, run_id)
        for i, (src, path) in enumerate(files, 1):
            outcome = lander.land_file(src, path)
            report.outcomes.append(outcome)
            if progress:
                progress(i, len(files), outcome)
        con.execute("checkpoint")
    finally:
        con.close()
    return report
