"""``smw verify``: nothing lost silently, nothing published that differs from its record.

Three reconciliations, read-only:

* archive and quarantine <-> ``audit.loads``: every file landing stored is recorded, and every
  recorded file is where its record says. A file in the archive that no record names was moved
  there by a landing whose transaction was then lost (``kill -9`` and a lost
  ``warehouse.duckdb.wal``): raw does not hold its rows. ``--reland`` lands it again from the
  archive (exactly once: by content hash, like any landing).
* ``audit.loads`` <-> raw: every loaded file's row count is what raw holds for its load id, and
  raw holds no rows of a load the audit does not record as loaded.
* ``serving.duckdb`` <-> ``_publication``: every published table has the row count and checksum
  recorded when it was published (``publish.checksum_sql``).
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.lib import exports, spec
from orchestration.lib.paths import Home
from orchestration.lib.publish import PUBLICATION_TABLE, checksum_sql

log = logging.getLogger(__name__)

_NOTE = ".error.txt"
_LOAD_PREFIX = re.compile(r"^\d{7}__")


@dataclass
class Finding:
    check: str  # "archive", "raw" or "serving"
    message: str
    #: An archived file raw does not hold: ``--reland`` lands it again.
    reland: tuple[str, Path] | None = None


@dataclass
class VerifyReport:
    findings: list[Finding] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)  # what was compared, for the summary

    @property
    def clean(self) -> bool:
        return not self.findings


def stored_path(home: Home, stored_at: str) -> Path:
    """Where a stored file recorded as ``stored_at`` is in ``home``."""
    kind, source, name = Path(stored_at).parts[-3:]
    return home.root / kind / source / name


def _stored_files(folder: Path) -> list[Path]:
    """Files landing stored under ``folder/<source>/`` (notes and partial copies excluded)."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.glob("*/*")
        if p.is_file() and not p.name.startswith(".") and not p.name.endswith(_NOTE)
    )


def _audit(home: Home) -> tuple[list[tuple], dict[tuple[str, int], int]]:
    """audit.loads rows, and raw row counts per (source, load id)."""
    if not home.warehouse_db.exists():
        return [], {}
    con = duckdb.connect(str(home.warehouse_db), read_only=True)
    try:
        tables = {
            (s, t)
            for s, t in con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_schema in ('audit', 'raw')"
            ).fetchall()
        }
        if ("audit", "loads") not in tables:
            return [], {}
        loads = con.execute(
            "select load_id, source, file_name, status, rows, stored_at, "
            "case when status = 'loaded' then sha256 end from audit.loads order by load_id"
        ).fetchall()
        counts: dict[tuple[str, int], int] = {}
        for src in spec.SOURCES:
            if ("raw", src.name) not in tables:
                continue
            for load_id, n in con.execute(
                f"select _load_id, count(*) from raw.{src.name} group by 1"
            ).fetchall():
                counts[(src.name, int(load_id))] = int(n)
        return loads, counts
    finally:
        con.close()


def verify(home: Home, *, serving: bool = True) -> VerifyReport:
    report = VerifyReport()
    loads, raw_counts = _audit(home)
    # Stored paths are compared inside this home (a home copied or moved elsewhere keeps the
    # paths of where it was in audit.loads): <archive|quarantine>/<source>/<name>.
    recorded = {stored_path(home, row[5]) for row in loads if row[5]}
    loaded_sha = {sha: load_id for load_id, *_, sha in loads if sha}

    # archive and quarantine <-> audit.loads
    for load_id, source, file_name, status, _, stored_at, _ in loads:
        if stored_at and not stored_path(home, stored_at).exists():
            report.findings.append(
                Finding(
                    "archive",
                    f"load {load_id} ({source}/{file_name}, {status}): {stored_at} is missing "
                    "(if the file is still in the landing folder its move failed, and the next "
                    "build finishes it; otherwise restore it from backup)",
                )
            )
        elif status == "quarantined" and stored_at:
            note = stored_path(home, stored_at + _NOTE)
            if not note.exists():
                report.findings.append(
                    Finding(
                        "archive",
                        f"load {load_id} ({source}/{file_name}): quarantined without its "
                        f"{note.name} (the next build that finishes a move writes it)",
                    )
                )
    archived = _stored_files(home.archive_dir)
    quarantined = _stored_files(home.quarantine_dir)
    for path in archived:
        if path in recorded:
            continue
        same = loaded_sha.get(_sha(path))
        if same is not None:  # its content is held: a stray copy, not lost rows
            report.findings.append(
                Finding(
                    "archive",
                    f"{path.relative_to(home.root)}: in the archive but no audit.loads row "
                    f"records it; its content is load {same}'s (raw holds it), so it is a copy "
                    "that can be removed",
                )
            )
        else:
            report.findings.append(
                Finding(
                    "archive",
                    f"{path.relative_to(home.root)}: in the archive but no audit.loads row "
                    "records it, so raw does not hold its rows (a landing whose transaction was "
                    "lost, e.g. after kill -9 and a lost warehouse.duckdb.wal); "
                    "smw verify --reland lands it again",
                    reland=(path.parent.name, path),
                )
            )
    for path in quarantined:
        if path not in recorded:
            report.findings.append(
                Finding(
                    "archive",
                    f"{path.relative_to(home.root)}: in quarantine but no audit.loads row "
                    "records it (to retry it, put it back in the landing folder)",
                )
            )

    # audit.loads <-> raw
    loaded: set[tuple[str, int]] = set()
    for load_id, source, file_name, status, rows, _, _ in loads:
        if status != "loaded":
            continue
        loaded.add((source, int(load_id)))
        held = raw_counts.get((source, int(load_id)), 0)
        if held != (rows or 0):
            report.findings.append(
                Finding(
                    "raw",
                    f"load {load_id} ({source}/{file_name}): audit.loads records {rows:,} rows, "
                    f"raw.{source} holds {held:,}",
                )
            )
    for (source, load_id), n in sorted(raw_counts.items()):
        if (source, load_id) not in loaded:
            report.findings.append(
                Finding(
                    "raw",
                    f"raw.{source} holds {n:,} rows of load {load_id}, which audit.loads does "
                    "not record as loaded",
                )
            )

    # serving.duckdb <-> _publication
    tables = _verify_serving(home, report) if serving else 0
    report.checked = {
        "loads": len(loads),
        "archived files": len(archived),
        "quarantined files": len(quarantined),
        "raw rows": sum(raw_counts.values()),
        "published tables": tables,
    }
    return report


def _verify_serving(home: Home, report: VerifyReport) -> int:
    serving = home.serving_db
    if not serving.exists():
        return 0
    damage = exports.serving_damage(serving)
    if damage:
        report.findings.append(
            Finding(
                "serving",
                f"{serving} is damaged ({damage}); smw rollback puts the previous version back",
            )
        )
        return 0
    con = duckdb.connect(str(serving), read_only=True)
    try:
        published = con.execute(
            f"select table_name, row_count, checksum from {PUBLICATION_TABLE} order by 1"
        ).fetchall()
        present = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        }
        for table, rows, checksum in published:
            if table not in present:
                report.findings.append(
                    Finding("serving", f"{serving.name}: table {table} is recorded but missing")
                )
                continue
            relation = f'main."{table}"'
            got_rows = con.execute(f"select count(*) from {relation}").fetchone()[0]
            got_sum = con.execute(checksum_sql(relation)).fetchone()[0]
            if (got_rows, got_sum) != (rows, checksum):
                report.findings.append(
                    Finding(
                        "serving",
                        f"{serving.name}: table {table} holds {got_rows:,} rows with checksum "
                        f"{got_sum}, but {PUBLICATION_TABLE} records {rows:,} rows with checksum "
                        f"{checksum} (changed after publication); smw rollback, or build again",
                    )
                )
        return len(published)
    finally:
        con.close()


def reland(home: Home, key: object, run_id: str, report: VerifyReport) -> list[str]:
    """Land again, from the archive, the files raw does not hold; returns what was done.

    Each is copied (under its name as received) into ``state/reland/<source>/`` and landed from
    there like any new file (its rows and one audit row), under the load id its archive name
    carries when that id is free, so that record versions keep their order; it is stored in the
    archive again under that name. Under a new id, the orphaned copy is removed once the new
    one is recorded with the same content. Hold the build lock while calling."""
    from orchestration.lib import landing

    todo = [f.reland for f in report.findings if f.reland is not None]
    if not todo:
        return []
    folder = home.state_dir / "reland"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, mode=0o700)
    done: list[str] = []
    con = landing.connect(home)
    try:
        lander = landing.Lander(con, home, key, run_id)  # type: ignore[arg-type]
        used = {int(r[0]) for r in con.execute("select load_id from audit.loads").fetchall()}
        highest = max(used, default=0)
        for source, original in todo:
            prefix = _LOAD_PREFIX.match(original.name)
            old_id = int(prefix[0][:7]) if prefix else None
            target = folder / source / _LOAD_PREFIX.sub("", original.name)
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            shutil.copyfile(original, target)
            sha = _sha(original)
            if old_id is not None and old_id not in used:
                lander.forced_load_id = old_id
                highest = max(highest, old_id)
            outcome = lander.land_file(
                spec.SOURCES_BY_NAME[source], target, landing.read_strictly(target)
            )
            lander.forced_load_id = None
            used.add(outcome.load_id)
            stored = Path(outcome.stored_at) if outcome.stored_at else None
            what = f"{original.relative_to(home.root)}: "
            if outcome.move_error or stored is None or not stored.exists():
                done.append(what + f"{outcome.status}, not archived ({outcome.move_error})")
                continue
            if stored != original and _sha(stored) == sha:
                original.unlink()
            if outcome.status == "quarantined":
                done.append(what + f"quarantined as load {outcome.load_id} ({outcome.error})")
            else:
                done.append(
                    what + f"landed again as load {outcome.load_id} ({outcome.status}, "
                    f"{outcome.rows:,} rows), archived as {stored.name}"
                )
        lander.advance_load_ids_past(highest)
        con.execute("checkpoint")
    finally:
        con.close()
        shutil.rmtree(folder, ignore_errors=True)
    return done


def before_landing(home: Home, key: object, run_id: str) -> list[str]:
    """What every build does before it lands: verify archive, audit.loads and raw (serving is
    checked when it publishes), land again the archived files raw does not hold, and say what
    else disagrees (one line each, for the run log)."""
    report = verify(home, serving=False)
    lines = [f"relanded {line}" for line in reland(home, key, run_id, report)]
    lines += [f"PROBLEM [{f.check}] {f.message}" for f in report.findings if f.reland is None]
    for line in lines:
        log.warning("verify: %s", line)
    return lines


def _sha(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def format_report(report: VerifyReport) -> str:
    c = report.checked
    lines = [
        f"checked  {c.get('loads', 0):,} audit.loads rows, {c.get('archived files', 0):,} archived "
        f"and {c.get('quarantined files', 0):,} quarantined files, {c.get('raw rows', 0):,} raw "
        f"rows, {c.get('published tables', 0)} published tables"
    ]
    if report.clean:
        lines.append("clean    archive, audit.loads, raw and serving agree")
    for f in report.findings:
        lines.append(f"PROBLEM  [{f.check}] {f.message}")
    return "\n".join(lines)
