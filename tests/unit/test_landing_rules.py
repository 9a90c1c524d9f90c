"""Landing rules beyond the basics: the strict CSV reading, messages that name file, record, line
and field (and never a value), attributor status, crash recovery of moves, and the linkage key
(never logged or stored, owner-only key file, environment override)."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import duckdb
import pytest

from orchestration.lib import landing
from orchestration.lib.paths import Home
from orchestration.lib.pseudonym import (
    KEY_ENV,
    LinkageKey,
    LinkageKeyError,
    attributor_status,
    load_key,
    normalised_attributor,
    pseudonym,
)
from tests.db import rows as query
from tests.extracts import NSP, NSP_HEADER
from tests.extracts import NSP_GOOD_ROW as GOOD_ROW
from tests.extracts import write_extract as write


def land(landing_dir: Path, home: Home, key: LinkageKey) -> landing.LandingReport:
    return landing.land(landing_dir, home, key, "rules-test")


# --------------------------------------------------------------------------------------------
# The strict reading and its messages


@pytest.mark.parametrize(
    "content,message",
    [
        # DuckDB strips the space before a quote and reads `heroin`; a strict reading keeps
        # ` "heroin"`. Same number of rows, different values: not landed.
        (
            f'{NSP_HEADER}\nT1,A1,2020-04-01,J,S,1980-03-12,M, "heroin",10\n',
            "the CSV is ambiguous: a strict reading finds 1 record(s), DuckDB's CSV reader "
            "finds 1 with different values; they differ from record 1 (line 2)",
        ),
        (
            f"{NSP_HEADER}\n{GOOD_ROW}\r\n{GOOD_ROW}\n",
            "line 2 ends with CRLF but the header row ends with LF: the file mixes line endings",
        ),
        (
            f"{NSP_HEADER}\n{GOOD_ROW},\n",
            "record 1 (line 2) has 10 fields but the header row has 9: extra field(s) after "
            "the last column 'needles_issued'",
        ),
        (
            f'{NSP_HEADER}\n{GOOD_ROW}\nT2,A1,2020-04-01,J,S,1980-03-12,M,"heroin" ,10\n',
            "record 2 (line 3): a closing quote is followed by other characters",
        ),
        (
            f"{NSP_HEADER}\n{GOOD_ROW}\nT2,A1,2020-04-01,J,S,1980-03-12,M,{'x' * 300_000},1\n",
            "record 2 (line 3) has a field longer than 262,144 characters",
        ),
        (
            f"{NSP_HEADER}\nT2,{'a,' * 600_000}\n",
            "line 2 is longer than 1,048,576 characters",
        ),
        (
            f"\n{NSP_HEADER}\n{GOOD_ROW}\n",
            "the file has no header row (the first line is empty)",
        ),
    ],
    ids=["space-before-quote", "mixed-endings", "trailing-comma", "text-after-quote",
         "huge-field", "huge-line", "blank-first-line"],
)  # fmt: skip
def test_unreadable_csv_is_quarantined_naming_record_and_line(env, key, content, message):
    landing_dir, home = env
    write(landing_dir, NSP, "bad.csv", content)
    [outcome] = land(landing_dir, home, key).outcomes
    assert outcome.status == "quarantined"
    assert message in outcome.error
    note = Path(outcome.stored_at + ".error.txt").read_text()
    assert "bad.csv" in note and message in note
    assert query(home, f"select count(*) from raw.{NSP}") == [(0,)]


def test_blank_lines_are_not_records_and_record_numbers_skip_them(env, key):
    landing_dir, home = env
    body = f"{NSP_HEADER}\n\n{GOOD_ROW}\n\nT2,A1,2020-04-02,J,S,1980-03-12,M,heroin,3\n\n\n"
    write(landing_dir, NSP, "a.csv", body)
    [outcome] = land(landing_dir, home, key).outcomes
    assert (outcome.status, outcome.rows) == ("loaded", 2)
    assert query(home, f"select transaction_id, _row_number from raw.{NSP} order by 2") == [
        ("T1", 1),
        ("T2", 2),
    ]


def test_a_stray_quote_inside_a_value_is_kept_as_sent(env, key):
    """Both readers agree that a quote inside an unquoted value is a character of the value."""
    landing_dir, home = env
    write(
        landing_dir, NSP, "a.csv", f'{NSP_HEADER}\nT1,A"1,2020-04-01,J,S,1980-03-12,M,he"roin,1\n'
    )
    [outcome] = land(landing_dir, home, key).outcomes
    assert outcome.status == "loaded", outcome.error
    assert query(home, f"select agency_code, substance_injected from raw.{NSP}") == [
        ('A"1', 'he"roin')
    ]


def test_a_file_that_is_neither_utf8_nor_windows_1252_is_quarantined(env, key):
    """Found by the property tests: UTF-8 up to a truncated last character, with a byte that
    Windows-1252 does not define earlier on ("Á" is C3 81 in UTF-8)."""
    landing_dir, home = env
    data = f"{NSP_HEADER}\nT1,Á1,2020-04-01,J,S,1980-03-12,M,heroin,1\n".encode() + b"T2,\xc2"
    write(landing_dir, NSP, "a.csv", data)
    [outcome] = land(landing_dir, home, key).outcomes
    assert outcome.status == "quarantined"
    at = data.index(b"\x81")
    assert f"cannot be decoded as UTF-8 or Windows-1252 (bad byte at byte {at:,})" in outcome.error


def test_duckdb_errors_never_repeat_the_line_they_quote():
    """DuckDB quotes the offending line, initials and date of birth included: never kept."""
    err = duckdb.InvalidInputException(
        "Invalid Input Error: CSV Error on Line: 7\nOriginal Line: T1,A1,2020-04-01,J,S,"
        '1980-03-12,M,"heroin\n\nValue with unterminated quote found.\n\n  file = /x/y.csv\n'
    )
    problem = landing._friendly_duckdb_error(err)
    assert "line 7" in problem.problem and "not closed" in problem.problem
    text = problem.problem + problem.fix
    assert "1980-03-12" not in text and "Original Line" not in text and "/x/y.csv" not in text


def test_a_database_failure_stops_the_run_instead_of_blaming_the_file(env, key, monkeypatch):
    """Only DuckDB's invalid-input errors are the file's fault. Anything else (out of memory,
    disk full; simulated by a conversion error) must not quarantine a good file."""
    landing_dir, home = env
    write(landing_dir, NSP, "a.csv", f"{NSP_HEADER}\n{GOOD_ROW}\n")
    monkeypatch.setattr(landing.lander, "_chars_sql", lambda n: "cast('x' as integer)")
    with pytest.raises(duckdb.ConversionException):
        land(landing_dir, home, key)
    monkeypatch.undo()
    assert (landing_dir / NSP / "a.csv").exists()
    assert query(home, "select count(*) from audit.loads where status <> 'loaded'") == [(0,)]
    [outcome] = land(landing_dir, home, key).outcomes
    assert (outcome.status, outcome.rows) == ("loaded", 1)


def test_a_missing_header_names_only_specification_columns(env, key):
    """A file sent without its header row: the first data row must not be echoed back."""
    landing_dir, home = env
    write(landing_dir, NSP, "a.csv", "T1,A1,2020-04-01,J,J,1980-03-12,M,heroin,10\n")
    [outcome] = land(landing_dir, home, key).outcomes
    assert outcome.error.startswith("required column(s) missing from the header: transaction_id")
    assert "1980" not in outcome.error and "'j'" not in outcome.error


def test_extra_columns_named_like_identifiers_are_not_kept(env, key):
    landing_dir, home = env
    write(
        landing_dir,
        NSP,
        "a.csv",
        f"{NSP_HEADER},Client DOB,postcode,worker_notes\n{GOOD_ROW},12/03/1980,L1 1AA,called\n",
    )
    [outcome] = land(landing_dir, home, key).outcomes
    assert outcome.status == "loaded"
    assert outcome.extra_columns == ["worker_notes"]
    assert outcome.dropped_columns == ["client dob", "postcode"]
    assert query(home, f"select _extra from raw.{NSP}") == [('["worker_notes"]',)]
    assert query(home, "select extra_columns, dropped_columns from audit.loads") == [
        ("worker_notes", "client dob,postcode")
    ]


# --------------------------------------------------------------------------------------------
# The attributor: status names the part, never the value


@pytest.mark.parametrize(
    "fi,si,dob,sex,status",
    [
        ("J", "S", "1980-03-12", "M", "complete"),
        (" j ", "s", "12/03/1980", "f", "complete"),
        ("", "S", "1980-03-12", "M", "missing_first_initial"),
        ("J", "St", "1980-03-12", "M", "invalid_surname_initial"),
        ("J", "S", "1980-02-30", "M", "invalid_date_of_birth"),
        ("J", "S", "1980-3-12", "M", "invalid_date_of_birth"),
        ("J", "S", "0000-01-01", "M", "invalid_date_of_birth"),
        ("J", "S", "1980-03-12", "X", "invalid_sex"),
        ("1", "", "", "", "invalid_first_initial;missing_surname_initial;missing_date_of_birth;missing_sex"),
        ("É", "S", "1980-03-12", "M", "invalid_first_initial"),
    ],
)  # fmt: skip
def test_attributor_status_in_sql_matches_python(env, key, fi, si, dob, sex, status):
    landing_dir, home = env
    write(
        landing_dir,
        NSP,
        "a.csv",
        f"{NSP_HEADER}\nT1,A1,2020-04-01,{fi},{si},{dob},{sex},heroin,1\n",
    )
    land(landing_dir, home, key)
    [(got_status, got_person)] = query(home, f"select attributor_status, person_id from raw.{NSP}")
    assert got_status == status == attributor_status(fi, si, dob, sex)
    message = normalised_attributor(fi, si, dob, sex)
    assert got_person == (pseudonym(key, message) if message else None)


def test_same_person_in_two_sources_gets_the_same_pseudonym(env, key):
    landing_dir, home = env
    write(landing_dir, NSP, "a.csv", f"{NSP_HEADER}\nT1,A1,2020-04-01, j,S,12/03/1980,m,heroin,1\n")
    write(
        landing_dir,
        "mdt_results",
        "a.csv",
        "test_id,test_date,custody_suite,custody_la_code,first_initial,surname_initial,"
        "date_of_birth,sex,opiates,cocaine\nM1,2020-05-01,Suite,E08000012,J,s,1980-03-12,M,"
        "positive,negative\n",
    )
    land(landing_dir, home, key)
    nsp = query(home, f"select person_id from raw.{NSP}")
    mdt = query(home, "select person_id from raw.mdt_results")
    assert nsp == mdt and nsp[0][0] == pseudonym(key, "v1|J|S|1980-03-12|M")


# --------------------------------------------------------------------------------------------
# Crash recovery: an outcome is recorded before its file moves


@pytest.mark.parametrize("second", ["duplicate", "quarantined"])
def test_crash_between_audit_and_move_is_completed_not_recorded_twice(
    env, key, monkeypatch, second
):
    landing_dir, home = env
    write(landing_dir, NSP, "a.csv", f"{NSP_HEADER}\n{GOOD_ROW}\n")
    land(landing_dir, home, key)
    content = f"{NSP_HEADER}\n{GOOD_ROW}\n" if second == "duplicate" else b"\x00junk"
    write(landing_dir, NSP, "b.csv", content)
    real_move = landing._move

    def die(src, dest, *, restricted):
        raise KeyboardInterrupt("killed before the move")

    monkeypatch.setattr(landing.lander, "_move", die)
    with pytest.raises(KeyboardInterrupt):
        land(landing_dir, home, key)
    monkeypatch.setattr(landing.lander, "_move", real_move)
    assert (landing_dir / NSP / "b.csv").exists()
    [outcome] = land(landing_dir, home, key).outcomes
    assert outcome.status == second
    assert not (landing_dir / NSP / "b.csv").exists() and Path(outcome.stored_at).exists()
    assert query(home, "select status, count(*) from audit.loads group by 1 order by 1") == sorted(
        [(second, 1), ("loaded", 1)]
    )
    assert query(home, f"select count(*) from raw.{NSP}") == [(1,)]


# --------------------------------------------------------------------------------------------
# The linkage key


def _key_forms(k: LinkageKey) -> list[bytes]:
    ipad, opad = k.pads()
    forms = [k.value, k.value.hex().encode(), ipad, opad, ipad.hex().encode(), opad.hex().encode()]
    return [f for f in forms if len(f) >= 16]


def test_key_is_never_logged_or_stored_outside_the_key_file(env, monkeypatch, caplog):
    landing_dir, home = env
    secret = "env-secret-linkage-key-0123456789abcdef"
    monkeypatch.setenv(KEY_ENV, secret)
    k = load_key(home.key_file)
    assert k.value == secret.encode() and k.origin == "environment"
    assert not home.key_file.exists()  # the environment overrides: no key file is written
    write(
        landing_dir, NSP, "a.csv", f"{NSP_HEADER}\n{GOOD_ROW}\nT2,A1,2020-04-01,,S,x,M,heroin,1\n"
    )
    write(landing_dir, NSP, "bad.csv", f'{NSP_HEADER}\nT1,"A1\n')
    with caplog.at_level(logging.DEBUG):
        report = land(landing_dir, home, k)
    assert [o.status for o in report.outcomes] == ["loaded", "quarantined"]
    logged = "\n".join(r.getMessage() for r in caplog.records) + repr(report) + repr(k)
    for form in _key_forms(k):
        assert form.decode("latin-1") not in logged
    # every file under home: the warehouse, the audit, notes, archive, quarantine
    for f in home.root.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert not any(form in data for form in _key_forms(k)), f
    assert query(home, "select distinct key_fingerprint from audit.loads") == [(k.fingerprint,)]
    assert k.fingerprint not in secret and len(k.fingerprint) == 12


def test_key_file_is_created_owner_only_in_an_owner_only_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    home = Home.at(tmp_path / "home")
    k = load_key(home.key_file)
    assert stat.S_IMODE(home.key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.key_file.parent.stat().st_mode) == 0o700
    assert load_key(home.key_file) == k  # stable across runs
    monkeypatch.setenv(KEY_ENV, "another-key-from-the-environment-0123")
    assert load_key(home.key_file).value == b"another-key-from-the-environment-0123"
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(LinkageKeyError, match="shorter than 16"):
        load_key(home.key_file)


def test_a_key_file_readable_by_others_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    home = Home.at(tmp_path / "home")
    load_key(home.key_file)
    os.chmod(home.key_file, 0o644)
    with pytest.raises(LinkageKeyError, match="readable by others"):
        load_key(home.key_file)


def test_unknown_columns_are_dropped_and_only_their_names_kept(env, key, tmp_path):
    """Issue 22: the extract spec is an allow-list. A supplier who adds client_name, email,
    phone or born has the names recorded (audit.loads, raw._extra) and no value stored."""
    landing_dir, home = env
    write(
        landing_dir,
        NSP,
        "a.csv",
        f"{NSP_HEADER},client_name,email,phone,born\n"
        f"{GOOD_ROW},Jane Doe,jane@example.org,07700 900123,1980-03-12\n",
    )
    [outcome] = land(landing_dir, home, key).outcomes
    assert outcome.status == "loaded"
    [(extra, dropped)] = query(home, "select extra_columns, dropped_columns from audit.loads")
    names = set((extra or "").split(",")) | set((dropped or "").split(","))
    assert {"client_name", "email", "phone", "born"} <= names
    db = home.warehouse_db.read_bytes()
    for value in (b"Jane Doe", b"jane@example.org", b"07700 900123"):
        assert value not in db, value
    tables = query(
        home,
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = current_database()",
    )
    for schema, table in tables:
        for (row,) in query(home, f'select to_json(t)::varchar from "{schema}"."{table}" as t'):
            assert "Jane Doe" not in row and "jane@example.org" not in row, (schema, table)


def test_transcoded_copy_is_owner_only_and_a_stale_one_is_removed(env, key, monkeypatch):
    """Issue 22: a Windows-1252 file is transcoded to a plaintext copy under state/tmp. It is
    owner-only while it exists, and a copy left by a killed landing is removed at the next."""
    landing_dir, home = env
    tmp_dir = home.state_dir / "tmp"
    tmp_dir.mkdir(parents=True)
    stale = tmp_dir / "transcode-999-deadbeef.csv"
    stale.write_text("J,S,1980-03-12\n")
    write(
        landing_dir,
        NSP,
        "a.csv",
        f"{NSP_HEADER}\n{GOOD_ROW.replace('A1', 'Agência')}\n".encode("cp1252"),
    )
    modes: list[int] = []
    copy = landing.encoding.shutil.copyfileobj

    def spy(src, dst, *args):
        modes.append(stat.S_IMODE(os.fstat(dst.fileno()).st_mode))
        modes.append(stat.S_IMODE(os.stat(tmp_dir).st_mode))
        return copy(src, dst, *args)

    monkeypatch.setattr(landing.encoding.shutil, "copyfileobj", spy)
    [outcome] = land(landing_dir, home, key).outcomes
    assert outcome.status == "loaded", outcome.error
    assert outcome.encoding == "windows-1252"
    assert modes == [0o600, 0o700]
    assert not stale.exists()
    assert list(tmp_dir.iterdir()) == []


def test_a_different_key_lands_nothing(env, key):
    """Issue 22: with a key other than the one the warehouse was built with, every person would
    silently become a new person: landing refuses, names both fingerprints, lands nothing."""
    from orchestration.lib.pseudonym import LinkageKeyMismatch

    landing_dir, home = env
    write(landing_dir, NSP, "a.csv", f"{NSP_HEADER}\n{GOOD_ROW}\n")
    [first] = land(landing_dir, home, key).outcomes
    assert first.status == "loaded"
    other = LinkageKey(b"another-key-0123456789-abcdefghijklmn", "environment")
    write(landing_dir, NSP, "b.csv", f"{NSP_HEADER}\n{GOOD_ROW.replace('T1', 'T2')}\n")
    with pytest.raises(LinkageKeyMismatch) as e:
        land(landing_dir, home, other)
    message = str(e.value)
    assert other.fingerprint in message and key.fingerprint in message
    assert KEY_ENV in message and "Restore" in message
    assert query(home, f"select count(*) from raw.{NSP}") == [(1,)]
    assert (landing_dir / NSP / "b.csv").exists()  # nothing moved, nothing lost
    [again] = land(landing_dir, home, key).outcomes  # the right key lands it
    assert again.status == "loaded"


def test_a_lost_key_file_is_not_recreated_for_a_warehouse_with_people(tmp_path, monkeypatch):
    from orchestration.defs.resources import _holds_people
    from orchestration.lib.pseudonym import LinkageKeyMismatch

    monkeypatch.delenv(KEY_ENV, raising=False)
    landing_dir = tmp_path / "landing"
    home = Home.at(tmp_path / "home")
    assert not _holds_people(home)
    key = load_key(home.key_file, may_create=not _holds_people(home))  # first use: created
    write(landing_dir, NSP, "a.csv", f"{NSP_HEADER}\n{GOOD_ROW}\n")
    land(landing_dir, home, key)
    assert _holds_people(home)
    home.key_file.unlink()
    with pytest.raises(LinkageKeyMismatch, match="missing"):
        load_key(home.key_file, may_create=not _holds_people(home))
    assert not home.key_file.exists()


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_is_named_with_how_to_resave(env, key, encoding):
    landing_dir, home = env
    write(landing_dir, NSP, "a.csv", f"{NSP_HEADER}\n{GOOD_ROW}\n".encode(encoding))
    [outcome] = land(landing_dir, home, key).outcomes
    assert outcome.status == "quarantined"
    assert "UTF-16" in outcome.error, outcome.error
    errors = list((home.quarantine_dir / NSP).glob("*.error.txt"))
    assert errors and "UTF-16" in errors[0].read_text() and "CSV UTF-8" in errors[0].read_text()
