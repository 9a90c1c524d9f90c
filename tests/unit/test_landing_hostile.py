"""Landing never wedges (issue 22, section 4): each case a small hostile file or a scripted
accident. Long names, files still being copied in, moves that fail, quarantine notes, symbolic
links and mixed encodings."""

from __future__ import annotations

import codecs
import os
import re
from pathlib import Path

import pytest

from orchestration.cli import main
from orchestration.lib import landing
from orchestration.lib.paths import Home
from orchestration.lib.pseudonym import LinkageKey
from tests.db import rows as query
from tests.extracts import NSP, NSP_HEADER, nsp_file, write_extract

GOOD = nsp_file()


def write(landing_dir: Path, name: str, content: str | bytes, source: str = NSP) -> Path:
    return write_extract(landing_dir, source, name, content)


def land(landing_dir: Path, home: Home, key: LinkageKey) -> landing.LandingReport:
    return landing.land(landing_dir, home, key, "hostile-test")


# --------------------------------------------------------------------------------------------
# 1. Names too long to store


def test_names_of_240_and_250_characters_are_stored_under_a_bounded_name(env, key):
    landing_dir, home = env
    long_good = "extract-" + "x" * 238 + ".csv"  # 250 characters
    long_bad = "broken-" + "é" * 10 + "y" * 219 + ".csv"  # 240 characters, 250 bytes
    write(landing_dir, long_good, GOOD)
    write(landing_dir, long_bad, b"\x00junk")
    report = land(landing_dir, home, key)
    by_name = {o.file_name: o for o in report.outcomes}
    assert by_name[long_good].status == "loaded" and by_name[long_bad].status == "quarantined"
    for o in report.outcomes:
        stored = Path(o.stored_at)
        assert stored.exists(), o.file_name
        assert len(stored.name.encode()) <= landing.MAX_STORED_NAME_BYTES
        assert stored.name.endswith(f"~{o.sha256[:16]}.csv")  # content hash, extension kept
        assert stored.name.startswith(f"{o.load_id:07d}__{o.file_name[:20]}")  # readable
    note = Path(by_name[long_bad].stored_at + ".error.txt").read_text()
    assert long_bad in note and "binary data" in note
    assert query(home, "select file_name, status from audit.loads order by status") == [
        (long_good, "loaded"),
        (long_bad, "quarantined"),
    ]
    assert query(home, f"select distinct _file_name from raw.{NSP}") == [(long_good,)]
    assert not list((landing_dir / NSP).iterdir())  # nothing left to retry: not wedged
    assert land(landing_dir, home, key).outcomes == []


def test_short_names_are_stored_as_before():
    assert landing.stored_name(12, "2020-04.csv", "ab" * 32) == "0000012__2020-04.csv"
    bounded = landing.stored_name(12, "é" * 300 + ".csv.gz", "")
    assert bounded.endswith(".csv.gz") and len(bounded.encode()) <= 200


# --------------------------------------------------------------------------------------------
# 2. A file still being copied in


def test_a_file_still_being_written_waits_for_the_next_build(env, key, monkeypatch):
    landing_dir, home = env
    monkeypatch.setenv(landing.SETTLE_ENV, "0.3")
    write(landing_dir, "a-done.csv", GOOD)
    growing = write(landing_dir, "b-copying.csv", f"{NSP_HEADER}\nT2,A1,2020-04-01,J,S,")
    real_sleep = landing.discovery.time.sleep

    def copy_goes_on(seconds: float) -> None:  # the copy writes more while landing waits
        with open(growing, "a") as f:
            f.write("1980-03-12,M,heroin,10\n")
        real_sleep(seconds)

    monkeypatch.setattr(landing.discovery.time, "sleep", copy_goes_on)
    report = land(landing_dir, home, key)
    assert [(o.file_name, o.status) for o in report.outcomes] == [("a-done.csv", "loaded")]
    [waiting] = report.waiting
    assert waiting.startswith(f"{NSP}/b-copying.csv: still being written (changed 0.")
    assert waiting.endswith("left for the next build")
    assert growing.exists()
    assert query(home, "select file_name from audit.loads") == [("a-done.csv",)]
    assert landing.read_notes(home, "hostile-test")["waiting"] == [waiting]

    monkeypatch.setattr(landing.discovery.time, "sleep", real_sleep)  # the copy has finished
    report = land(landing_dir, home, key)
    assert [(o.file_name, o.status, o.rows) for o in report.outcomes] == [
        ("b-copying.csv", "loaded", 1)
    ]
    assert report.waiting == []


def test_a_file_written_while_it_is_read_is_not_landed(env, key, monkeypatch):
    landing_dir, home = env
    path = write(landing_dir, "a.csv", GOOD)
    real = landing.read_strictly

    def read_while_copying(p: Path) -> landing.StrictReading:
        reading = real(p)
        with open(p, "a") as f:
            f.write("T2,A1,2020-04-01,J,S,1980-03-12,M,heroin,10\n")
        return reading

    monkeypatch.setattr(landing.batch, "read_strictly", read_while_copying)
    report = land(landing_dir, home, key)
    assert report.outcomes == [] and path.exists()
    assert report.waiting == [
        f"{NSP}/a.csv: still being written (changed while it was read); left for the next build"
    ]


def test_the_settle_setting_is_checked(monkeypatch):
    monkeypatch.delenv(landing.SETTLE_ENV, raising=False)
    assert landing.settle_seconds() == 5.0
    monkeypatch.setenv(landing.SETTLE_ENV, "soon")
    with pytest.raises(ValueError, match="SMW_LANDING_SETTLE_SECONDS='soon': expected a number"):
        landing.settle_seconds()


# --------------------------------------------------------------------------------------------
# 3. A move that fails is reported and finished by the next build, never recorded twice


def _failing_moves(monkeypatch, landing_dir: Path, how: str) -> None:
    """Script the accident: the landing folder (or the archive) refuses the move."""
    import errno

    real_rename, real_unlink = os.rename, os.unlink

    def rename(src, dest, *a, **k):
        if how == "landing folder not writable" and str(src).startswith(str(landing_dir)):
            raise PermissionError(errno.EACCES, "Permission denied", str(src))
        if how == "archive not writable":
            raise PermissionError(errno.EACCES, "Permission denied", str(dest))
        if how == "other file system, source not removable" and str(src).startswith(
            str(landing_dir)
        ):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_rename(src, dest, *a, **k)

    def unlink(path, *a, **k):
        if how != "archive not writable" and str(path).startswith(str(landing_dir)):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_unlink(path, *a, **k)

    monkeypatch.setattr(landing.storage.os, "rename", rename)
    monkeypatch.setattr(landing.storage.os, "unlink", unlink)


@pytest.mark.parametrize(
    "how",
    [
        "landing folder not writable",
        "archive not writable",
        "other file system, source not removable",
    ],
)
@pytest.mark.parametrize("kind", ["loaded", "duplicate", "quarantined"])
def test_a_failed_move_is_reported_and_finished_next_build_exactly_once(
    env, key, monkeypatch, how, kind
):
    landing_dir, home = env
    if kind == "duplicate":
        write(landing_dir, "a.csv", GOOD)
        land(landing_dir, home, key)
    content = b"\x00junk" if kind == "quarantined" else GOOD
    path = write(landing_dir, "b.csv", content)
    expected_rows = [(0,)] if kind == "quarantined" else [(1,)]
    with monkeypatch.context() as m:
        _failing_moves(m, landing_dir, how)
        for _ in range(2):  # the accident persists for two builds: still one record
            report = land(landing_dir, home, key)
            [outcome] = report.outcomes
            assert outcome.status == kind and outcome.move_error
            [warning] = report.warnings
            assert warning.startswith(f"{NSP}/b.csv: ")
            assert "could not be moved to " in warning and "Permission denied" in warning
            assert "next build moves it, without recording it again" in warning
            assert path.read_bytes() == (
                content if isinstance(content, bytes) else content.encode()
            )
            assert not Path(outcome.stored_at).exists()  # never in both places
            assert query(home, f"select count(*) from raw.{NSP}") == expected_rows
            assert query(home, "select count(*) from audit.loads where file_name = 'b.csv'") == [
                (1,)
            ]
    report = land(landing_dir, home, key)  # put right: the move is finished
    [outcome] = report.outcomes
    assert outcome.status == kind and outcome.move_error is None and report.warnings == []
    assert not path.exists() and Path(outcome.stored_at).exists()
    assert query(home, f"select count(*) from raw.{NSP}") == expected_rows
    assert query(home, "select count(*) from audit.loads where file_name = 'b.csv'") == [(1,)]
    assert land(landing_dir, home, key).outcomes == []


def test_a_copy_left_in_landing_by_an_older_move_is_removed_not_landed_again(env, key):
    landing_dir, home = env
    path = write(landing_dir, "a.csv", GOOD)
    [first] = land(landing_dir, home, key).outcomes
    write(landing_dir, "a.csv", GOOD)  # copied to the archive, the source never removed
    [again] = land(landing_dir, home, key).outcomes
    assert (again.status, again.load_id, again.rows) == ("loaded", first.load_id, 0)
    assert not path.exists()
    assert query(home, "select count(*) from audit.loads") == [(1,)]
    assert query(home, f"select count(*) from raw.{NSP}") == [(1,)]


def test_a_quarantine_that_cannot_be_written_records_nothing(env, key, monkeypatch):
    landing_dir, home = env
    path = write(landing_dir, "bad.csv", b"\x00junk")
    with monkeypatch.context() as m:

        def refuse(*a, **k):
            raise PermissionError(13, "Permission denied", "quarantine/x.error.txt")

        m.setattr(landing.lander, "_write_note", refuse)
        report = land(landing_dir, home, key)
    assert report.outcomes == [] and path.exists()
    [warning] = report.warnings
    assert warning.startswith(f"{NSP}/bad.csv: the file holds binary data")
    assert "could not be quarantined (Permission denied" in warning
    assert query(home, "select count(*) from audit.loads") == [(0,)]
    [outcome] = land(landing_dir, home, key).outcomes
    assert outcome.status == "quarantined" and Path(outcome.stored_at + ".error.txt").exists()
    assert query(home, "select count(*) from audit.loads") == [(1,)]


# --------------------------------------------------------------------------------------------
# 4. Every file in quarantine has its note


def _quarantine_without_notes(home: Home) -> list[str]:
    files = [p for p in home.quarantine_dir.rglob("*") if p.is_file()]
    notes = {p for p in files if p.name.endswith(".error.txt")}
    return sorted(
        str(p.relative_to(home.quarantine_dir))
        for p in files
        if p not in notes and p.with_name(p.name + ".error.txt") not in notes
    )


def test_every_quarantined_file_has_its_note(env, key, monkeypatch):
    landing_dir, home = env
    corpus = {
        "binary.csv": b"\x00\x01junk",
        "empty.csv": b"",
        "utf16.csv": GOOD.encode("utf-16"),
        "ragged.csv": f"{NSP_HEADER}\nT1,A1\n".encode(),
        "sheet.xlsx": b"PK\x03\x04",
        "not-gzip.csv.gz": GOOD.encode(),
        # A byte Windows-1252 leaves undefined, missed by detection: the transcode fails.
        "transcode.csv": NSP_HEADER.encode() + b"\nT1,A1,2020-04-01,J,S,1980-03-12,M,h\xe9\x81,1\n",
        "q-" + "z" * 240 + ".csv": b"\x00",
        "moved-later.csv": b"\x00late",
    }
    for name, content in corpus.items():
        write(landing_dir, name, content)
    monkeypatch.setattr(landing.encoding, "_CP1252_UNDEFINED", re.compile(b"(?!x)x"))
    real_store = landing.Lander._store

    def fail_one(self, path, dest, load_id, what):  # its move fails: moved by the next build
        if path.name == "moved-later.csv":
            return "could not be moved (scripted)"
        return real_store(self, path, dest, load_id, what)

    monkeypatch.setattr(landing.Lander, "_store", fail_one)
    report = land(landing_dir, home, key)
    assert {o.status for o in report.outcomes} == {"quarantined"}
    transcode = next(o for o in report.outcomes if o.file_name == "transcode.csv")
    assert transcode.error == (
        "the file could not be converted from Windows-1252 (character maps to <undefined>, "
        "byte 0x81)"
    )
    assert _quarantine_without_notes(home) == []
    late = next(o for o in report.outcomes if o.file_name == "moved-later.csv")
    Path(late.stored_at + ".error.txt").unlink()  # lost (an older version wrote it last)
    monkeypatch.setattr(landing.Lander, "_store", real_store)
    [again] = land(landing_dir, home, key).outcomes
    assert again.file_name == "moved-later.csv" and Path(again.stored_at).exists()
    note = Path(again.stored_at + ".error.txt").read_text()
    assert "Problem:  moved-later.csv: the file holds binary data" in note
    assert _quarantine_without_notes(home) == []
    assert len(list(home.quarantine_dir.rglob("*.error.txt"))) == len(corpus)


# --------------------------------------------------------------------------------------------
# 5. Symbolic links


def test_a_link_lands_as_its_file_and_a_dangling_link_is_reported(env, key, tmp_path, capsys):
    landing_dir, home = env
    elsewhere = tmp_path / "share" / "2020-04.csv"
    elsewhere.parent.mkdir()
    elsewhere.write_text(GOOD)
    folder = landing_dir / NSP
    folder.mkdir()
    (folder / "linked.csv").symlink_to(elsewhere)
    (folder / "dangling.csv").symlink_to(tmp_path / "share" / "gone.csv")
    report = land(landing_dir, home, key)
    [outcome] = report.outcomes
    assert (outcome.file_name, outcome.status, outcome.rows) == ("linked.csv", "loaded", 1)
    archived = Path(outcome.stored_at)
    assert archived.is_file() and not archived.is_symlink()
    assert archived.read_text() == GOOD  # the content, kept even if the target changes
    assert elsewhere.read_text() == GOOD  # the target is not the warehouse's to move
    assert not (folder / "linked.csv").is_symlink()
    expected = (
        f"{NSP}/dangling.csv: a symbolic link to {tmp_path / 'share' / 'gone.csv'}, which does "
        "not exist or cannot be followed (a dangling link); nothing landed from it. Put the "
        "file itself in the landing folder, or remove the link"
    )
    assert report.warnings == [expected]
    assert landing.read_notes(home)["warnings"] == [expected]
    assert (folder / "dangling.csv").is_symlink()  # left for the operator
    again = land(landing_dir, home, key)
    assert again.outcomes == [] and again.warnings == [expected]  # reported every build
    assert main(["status", "--home", str(home.root)]) == 0
    status = capsys.readouterr().out
    assert "Warning    at the last landing (" in status and f"  {expected}" in status


# --------------------------------------------------------------------------------------------
# 6. Encodings: mixed UTF-8 and Windows-1252, a byte order mark inside the file

ROW2 = "T2,A1,2020-04-01,J,S,1980-03-12,M,{},10\n"
MIXED = (
    "the file mixes UTF-8 and Windows-1252: line {} holds UTF-8 text {} byte (0xE9) that is "
    "not UTF-8 (Windows-1252); read as either, part of it would be garbled"
)


@pytest.mark.parametrize(
    "content,error",
    [
        (  # a row pasted from a UTF-8 file into a Windows-1252 one
            GOOD.encode() + ROW2.format("Zoë").encode() + ROW2.format("café").encode("cp1252"),
            MIXED.format(3, "but line 4 holds a"),
        ),
        (
            GOOD.encode() + ROW2.format("café").encode("cp1252") + ROW2.format("Zoë").encode(),
            MIXED.format(4, "but line 3 holds a"),
        ),
        (
            GOOD.encode() + "T2,A1,2020-04-01,J,S,1980-03-12,M,Zoë".encode() + b",caf\xe9\n",
            MIXED.format(3, "and a"),
        ),
    ],
)
def test_a_file_mixing_utf8_and_windows_1252_is_quarantined_naming_the_lines(
    env, key, content, error
):
    landing_dir, home = env
    write(landing_dir, "mixed.csv", content)
    [outcome] = land(landing_dir, home, key).outcomes
    assert outcome.status == "quarantined"
    assert outcome.error == error
    assert "'CSV UTF-8'" in Path(outcome.stored_at + ".error.txt").read_text()
    assert query(home, f"select count(*) from raw.{NSP}") == [(0,)]


def test_windows_1252_alone_still_lands(env, key):
    landing_dir, home = env
    write(landing_dir, "w.csv", (GOOD + ROW2.format("café Zoë")).encode("cp1252"))
    [outcome] = land(landing_dir, home, key).outcomes
    assert (outcome.status, outcome.encoding, outcome.rows) == ("loaded", "windows-1252", 2)
    assert query(home, f"select substance_injected from raw.{NSP} order by 1") == [
        ("café Zoë",),
        ("heroin",),
    ]


BOM = "\ufeff"


@pytest.mark.parametrize(
    "content,where",
    [
        # two UTF-8 files saved with a BOM, joined (`cat a.csv b.csv`): the second header is line 3
        (
            (BOM + GOOD + BOM + GOOD.replace("T1", "T2")).encode(),
            "record 2 (line 3): field 'transaction_id'",
        ),
        # joined without the second header: the BOM would start the key T2
        (
            (BOM + GOOD + BOM + ROW2.format("heroin")).encode(),
            "record 2 (line 3): field 'transaction_id'",
        ),
        (
            (GOOD + ROW2.format("her" + BOM + "oin")).encode(),
            "record 2 (line 3): field 'substance_injected'",
        ),
        ((BOM + BOM + GOOD).encode(), "the header row (line 1): field 'transaction_id'"),
        # the same, Windows-1252: the joined BOM is UTF-8, so the file mixes encodings
        (
            GOOD.encode("cp1252") + codecs.BOM_UTF8 + ROW2.format("café").encode("cp1252"),
            "the file mixes UTF-8 and Windows-1252: line 3 holds UTF-8 text and a byte (0xE9)",
        ),
    ],
)
def test_a_byte_order_mark_inside_the_file_never_becomes_part_of_a_key(env, key, content, where):
    landing_dir, home = env
    write(landing_dir, "joined.csv", content)
    [outcome] = land(landing_dir, home, key).outcomes
    assert outcome.status == "quarantined"
    assert outcome.error.startswith(where)
    if "mixes" not in where:
        assert outcome.error.endswith(
            "holds a byte order mark (U+FEFF) inside the file, as when two files are joined "
            "together; it would become part of the value"
        )
    assert query(home, f"select count(*) from raw.{NSP}") == [(0,)]


def test_a_row_recorded_under_a_name_too_long_to_store_is_finished_under_a_bounded_one(
    env, key, monkeypatch
):
    """What older versions left: the row committed with an archive name the file system
    refuses, the file still in landing. The next build moves it and corrects the record."""
    landing_dir, home = env
    name = "extract-" + "x" * 238 + ".csv"
    path = write(landing_dir, name, GOOD)
    with monkeypatch.context() as m:
        m.setattr(
            landing.lander,
            "stored_name",
            lambda load_id, file_name, sha="": f"{load_id:07d}__{file_name}",
        )
        [first] = land(landing_dir, home, key).outcomes
    assert first.move_error and "File name too long" in first.move_error and path.exists()
    [again] = land(landing_dir, home, key).outcomes
    assert again.move_error is None and not path.exists()
    [(stored_at,)] = query(home, "select stored_at from audit.loads")
    assert stored_at == again.stored_at and Path(stored_at).exists()
    assert len(Path(stored_at).name) <= landing.MAX_STORED_NAME_BYTES
    assert query(home, f"select count(*) from raw.{NSP}") == [(1,)]
