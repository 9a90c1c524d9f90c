"""Where files go once their outcome is recorded: bounded stored names, all-or-nothing moves
into the archive or quarantine, and the quarantine's ``.error.txt`` notes."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from orchestration.lib import spec
from orchestration.lib.landing.encoding import (
    hash_file,
)
from orchestration.lib.paths import Home


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
