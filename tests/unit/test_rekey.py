"""``smw rekey`` (issue 22 §3): every person re-pseudonymised from the archive with a new key in
one transaction; a failure anywhere leaves the warehouse and the key file as they were."""

from __future__ import annotations

import gzip
import os
import shutil
import stat
from pathlib import Path

import duckdb
import pytest

from orchestration import cli
from orchestration.lib import landing, rekey, spec
from orchestration.lib.exit_codes import Exit
from orchestration.lib.paths import Home
from orchestration.lib.pseudonym import (
    KEY_ENV,
    LinkageKey,
    LinkageKeyMismatch,
    load_key,
    pseudonym,
)
from orchestration.lib.runlock import writer_lock
from smw_demo.generator import generate

NSP = "ims_nsp_transactions"
NSP_HEADER = (
    "transaction_id,agency_code,transaction_date,first_initial,surname_initial,"
    "date_of_birth,sex,substance_injected,needles_issued"
)
PERSON_SOURCES = [s.name for s in spec.SOURCES if s.person_level]
WINDOW = spec.DEMO_PERIODS[0][:4]  # "2013": month files of the demo's window sort after it
NEW = LinkageKey(b"rekey-test-new-key-0123456789-abcdefghijklmnop", "test")


@pytest.fixture()
def landed(tmp_path: Path, monkeypatch) -> Home:
    """A tiny demo (four files of every source from the window) plus a gzip and a Windows-1252 NSP file, landed
    with a key created in the home's key file."""
    monkeypatch.delenv(KEY_ENV, raising=False)
    demo = tmp_path / "demo"
    generate(demo, scale=0.002, seed=3)
    landing_dir = tmp_path / "landing"
    for source in spec.SOURCES:
        # the window's first four (Salford's own earlier months are near-empty at this scale)
        files = [f for f in sorted((demo / source.name).glob("*.csv*")) if f.name >= WINDOW][:4]
        (landing_dir / source.name).mkdir(parents=True)
        for f in files:
            shutil.copy(f, landing_dir / source.name / f.name)
    rows = f"{NSP_HEADER}\nZ1,A1,2020-04-01,J,S,1980-03-12,M,heroin,10\n"
    (landing_dir / NSP / "zipped.csv.gz").write_bytes(gzip.compress(rows.encode()))
    (landing_dir / NSP / "cp1252.csv").write_bytes(
        f"{NSP_HEADER}\nZ2,Café,2020-04-02,J,S,1980-03-12,M,heroin,5\n".encode("windows-1252")
    )
    home = Home.at(tmp_path / "home")
    key = load_key(home.key_file)  # created: the warehouse is empty
    report = landing.land(landing_dir, home, key, "rekey-test", settle=0)
    assert not report.by_status("quarantined"), [o.error for o in report.outcomes]
    return home


def _snapshot(home: Home) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(home.warehouse_db), read_only=True)
    try:
        snap = {
            name: con.execute(
                f"select _load_id, _row_number, person_id, birth_month, attributor_status "
                f"from raw.{name} order by _load_id, _row_number"
            ).fetchall()
            for name in PERSON_SOURCES
        }
        snap["audit"] = con.execute(
            "select load_id, status, rows, key_fingerprint from audit.loads order by load_id"
        ).fetchall()
        return snap
    finally:
        con.close()


def _untouched(home: Home, before: dict, key_bytes: bytes) -> None:
    assert _snapshot(home) == before
    assert home.key_file.read_bytes() == key_bytes
    assert list(home.key_file.parent.iterdir()) == [home.key_file]  # no staged key left
    assert rekey.full_refresh_required(home) is None


def test_rekey_gives_every_person_a_new_pseudonym_and_keeps_every_row(landed):
    home = landed
    old = load_key(home.key_file, may_create=False)
    before = _snapshot(home)
    result = rekey.rekey(home, NEW)
    after = _snapshot(home)

    assert result.committed and result.old_fingerprint == old.fingerprint
    assert result.new_fingerprint == NEW.fingerprint
    assert result.rows == sum(len(before[s]) for s in PERSON_SOURCES) > 150
    people_old, people_new, pairs = set(), set(), set()
    for source in PERSON_SOURCES:
        assert len(after[source]) == len(before[source]) > 0, source  # row counts identical
        for b, a in zip(before[source], after[source], strict=True):
            assert a[:2] == b[:2] and a[3:] == b[3:]  # same record, birth month, status
            assert (a[2] is None) == (b[2] is None)
            if b[2] is not None:
                assert a[2] != b[2], (source, b[:2])  # every pseudonym changed
                people_old.add(b[2])
                people_new.add(a[2])
                pairs.add((b[2], a[2]))
    # The same people, linked the same way across sources: one new pseudonym per old one.
    assert len(pairs) == len(people_old) == len(people_new) > 30
    nsp = duckdb.connect(str(home.warehouse_db), read_only=True)
    try:
        # The gzip and Windows-1252 files were re-read too; the pseudonym is the new key's HMAC.
        got = nsp.execute(
            f"select distinct person_id from raw.{NSP} where transaction_id in ('Z1', 'Z2')"
        ).fetchall()
        assert got == [(pseudonym(NEW, "v1|J|S|1980-03-12|M"),)]
        assert {r[3] for r in after["audit"]} == {NEW.fingerprint}
        assert [r[:3] for r in after["audit"]] == [r[:3] for r in before["audit"]]
        assert nsp.execute(
            "select old_fingerprint, new_fingerprint, rows from audit.rekeys"
        ).fetchall() == [(old.fingerprint, NEW.fingerprint, result.rows)]
    finally:
        nsp.close()

    # The key file holds the new key, owner-only; the old key is refused, the new accepted.
    assert home.key_file.read_bytes().strip() == NEW.value
    assert stat.S_IMODE(home.key_file.stat().st_mode) == 0o600
    assert load_key(home.key_file, may_create=False).fingerprint == NEW.fingerprint
    con = landing.connect(home)
    try:
        with pytest.raises(LinkageKeyMismatch):
            landing.check_key_matches(con, old)
        landing.check_key_matches(con, NEW)
    finally:
        con.close()
    assert "smw rekey" in rekey.full_refresh_required(home)["reason"]


def test_a_missing_archive_file_is_named_and_nothing_changes(landed):
    home = landed
    before, key_bytes = _snapshot(home), home.key_file.read_bytes()
    gone = sorted((home.archive_dir / "ndtms_episodes").iterdir())[0]
    gone.unlink()
    with pytest.raises(rekey.RekeyError) as e:
        rekey.rekey(home, NEW)
    assert str(gone.relative_to(home.root)) in str(e.value) and "missing" in str(e.value)
    _untouched(home, before, key_bytes)


def test_a_failure_half_way_rolls_back_every_file(landed, monkeypatch):
    """An exception after some files were re-pseudonymised: none of it is kept."""
    home = landed
    before, key_bytes = _snapshot(home), home.key_file.read_bytes()
    calls = []
    real = landing.Lander.check_readers_agree

    def fails_on_the_fifth(self, *args):
        calls.append(args[0])
        if len(calls) == 5:
            raise RuntimeError("injected failure")
        return real(self, *args)

    monkeypatch.setattr(landing.Lander, "check_readers_agree", fails_on_the_fifth)
    with pytest.raises(RuntimeError, match="injected"):
        rekey.rekey(home, NEW)
    assert len(calls) == 5
    _untouched(home, before, key_bytes)
    monkeypatch.undo()
    rekey.rekey(home, NEW)  # and it can simply be run again
    assert _snapshot(home)["audit"][0][3] == NEW.fingerprint


def test_an_archive_file_that_no_longer_reads_is_named_by_file_and_record(landed):
    home = landed
    before, key_bytes = _snapshot(home), home.key_file.read_bytes()
    [target] = [p for p in (home.archive_dir / NSP).iterdir() if p.name.endswith("cp1252.csv")]
    changed = target.read_bytes() + b'Z3,"A1,2020-04-03,J,S,1980-03-12,M,heroin,1\n'
    target.write_bytes(changed)
    with pytest.raises(rekey.RekeyError, match="not the file that landed"):
        rekey.rekey(home, NEW)
    _untouched(home, before, key_bytes)
    # Even with the audit's hash made to match, the damaged file is named with its record.
    sha = landing.hash_file(target)[0]
    con = duckdb.connect(str(home.warehouse_db))
    con.execute("update audit.loads set sha256 = ? where stored_at like ?", [sha, "%cp1252.csv"])
    con.close()
    before = _snapshot(home)
    with pytest.raises(rekey.RekeyError) as e:
        rekey.rekey(home, NEW)
    message = str(e.value)
    assert target.name in message and "record 2" in message, message
    _untouched(home, before, key_bytes)


def test_cli_refuses_while_a_build_holds_the_lock_and_without_a_new_key(
    landed, monkeypatch, capsys
):
    home = landed
    before, key_bytes = _snapshot(home), home.key_file.read_bytes()
    args = ["rekey", "--home", str(home.root), "--generate-key", "--yes"]
    with writer_lock(home, command="smw build"):
        # The lock is re-entrant within a process; forgetting that it is held here makes this
        # process ask for it as a second process would.
        monkeypatch.setattr("orchestration.lib.runlock._held", {})
        assert cli.main(args) == Exit.BUSY
        monkeypatch.undo()
    monkeypatch.delenv(KEY_ENV, raising=False)
    assert cli.main(["rekey", "--home", str(home.root), "--yes"]) == Exit.USAGE
    monkeypatch.setenv(KEY_ENV, "x" * 40)
    assert cli.main(args) == Exit.USAGE  # the environment would override the new key file
    monkeypatch.delenv(KEY_ENV)
    _untouched(home, before, key_bytes)
    sorted((home.archive_dir / NSP).iterdir())[0].unlink()
    assert cli.main(args) == Exit.ARCHIVE_INCOMPLETE
    assert "missing" in capsys.readouterr().err
    _untouched(home, before, key_bytes)


def test_cli_rekeys_with_a_new_key_file_and_dry_run_changes_nothing(landed, tmp_path, capsys):
    home = landed
    before, key_bytes = _snapshot(home), home.key_file.read_bytes()
    new_file = tmp_path / "new.key"
    new_file.write_bytes(NEW.value + b"\n")
    os.chmod(new_file, 0o600)
    base = ["rekey", "--home", str(home.root), "--new-key-file", str(new_file)]
    assert cli.main([*base, "--dry-run"]) == Exit.OK
    assert "nothing changed" in capsys.readouterr().out
    _untouched(home, before, key_bytes)
    assert cli.main([*base, "--yes"]) == Exit.OK
    assert home.key_file.read_bytes().strip() == NEW.value
    capsys.readouterr()
    cli.main(["status", "--home", str(home.root)])
    assert "Next build rebuilds every model from scratch: smw rekey" in capsys.readouterr().out
    assert {r[3] for r in _snapshot(home)["audit"]} == {NEW.fingerprint}
    assert cli.main([*base, "--yes"]) == Exit.USAGE  # already the warehouse's key


def test_cli_refuses_while_another_process_has_the_warehouse_open(landed, capsys):
    """An analyst's read-only session holds DuckDB's file lock: rekey waits (--wait) then says
    who holds it, changing nothing."""
    import subprocess
    import sys

    home = landed
    before, key_bytes = _snapshot(home), home.key_file.read_bytes()
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            f"c = duckdb.connect({str(home.warehouse_db)!r}, read_only=True)\n"
            "print('open', flush=True)\ntime.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "open"
        args = ["rekey", "--home", str(home.root), "--generate-key", "--yes"]
        assert cli.main(args) == Exit.BUSY
        assert "open in another process" in capsys.readouterr().err
    finally:
        reader.kill()
        reader.wait()
    _untouched(home, before, key_bytes)


def test_raw_rows_no_loaded_file_accounts_for_stop_the_rekey(landed):
    """Rows raw holds for a load audit.loads does not record as loaded could not be given new
    pseudonyms: the rekey stops naming the table and the load."""
    home = landed
    con = duckdb.connect(str(home.warehouse_db))
    load_id = con.execute(f"select min(_load_id) from raw.{NSP}").fetchone()[0]
    con.execute("update audit.loads set status = 'quarantined' where load_id = ?", [load_id])
    con.close()
    before, key_bytes = _snapshot(home), home.key_file.read_bytes()
    with pytest.raises(rekey.RekeyError, match=f"raw.{NSP} holds .* of load {load_id}"):
        rekey.rekey(home, NEW)
    _untouched(home, before, key_bytes)
