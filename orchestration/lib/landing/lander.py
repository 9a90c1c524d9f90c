"""The Lander: one file into ``raw`` and ``audit.loads`` in one transaction, then archived,
recorded as a duplicate, or quarantined."""

from __future__ import annotations

import logging
import os
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.lib import spec
from orchestration.lib.landing.encoding import (
    FileBytes,
    readable_csv,
)
from orchestration.lib.landing.model import (
    FileOutcome,
    FileProblem,
    NotStored,
)
from orchestration.lib.landing.reading import (
    CsvScan,
    HeaderMap,
    StrictReading,
    iter_records,
    map_header,
    read_header,
    scan_records,
)
from orchestration.lib.landing.storage import (
    _NOTE_SUFFIX,
    MAX_STORED_NAME_BYTES,
    _move,
    _move_problem,
    _same_content,
    _write_note,
    stored_name,
)
from orchestration.lib.landing.warehouse import (
    _AUDIT_COLUMNS,
    _chars_sql,
    _friendly_duckdb_error,
    _from_for,
    _read_csv_sql,
    _select_for,
    check_key_matches,
    ensure_schema,
)
from orchestration.lib.paths import Home
from orchestration.lib.pseudonym import (
    LinkageKey,
)

#: One logger for all of landing (its name is the package's).
log = logging.getLogger("orchestration.lib.landing")


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
        #: Seconds spent in each step of landing, over every file this lander saw
        #: (:data:`PROFILE_STEPS`): the profile ``smw bench`` shows.
        self.seconds: dict[str, float] = defaultdict(float)
        ensure_schema(con)
        if check_key:
            check_key_matches(con, key)

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        """Add the block's wall time to ``seconds[step]``."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[step] += time.perf_counter() - started

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

        with self.timed("history"):
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

        with self.timed("archive"):
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
        with self.timed("check"):
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
                with self.timed("insert"):
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
            with self.timed("commit"):
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
