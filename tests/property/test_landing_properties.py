"""Properties of landing, on generated hostile files (hypothesis).

For every input: no crash (only quarantine); a file lands whole, exactly as its records were
written, or goes whole to quarantine with a note, never partly; the audit agrees with raw;
re-sending the same content lands nothing twice; a record re-sent with changed values in a later
file is what staging keeps. Each example lands a few tiny files in a fresh warehouse.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from orchestration.lib import landing, spec
from orchestration.lib.paths import Home
from orchestration.lib.pseudonym import (
    LinkageKey,
    attributor_status,
    normalised_attributor,
    parse_date_text,
    pseudonym,
)
from tests.db import rows as query
from tests.property.strategies import (
    NSP,
    HostileFile,
    ValidFile,
    decode_like_a_person,
    hostile_files,
    valid_files,
)

KEY = LinkageKey(b"property-test-linkage-key-0123456789", "test")
SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
KEPT = [c for c in NSP.column_names if c not in spec.IDENTIFYING_FIELDS]


@contextmanager
def warehouse() -> Iterator[tuple[Path, Home]]:
    root = Path(tempfile.mkdtemp(prefix="smw-prop-"))
    try:
        (root / "landing" / NSP.name).mkdir(parents=True)
        yield root / "landing", Home.at(root / "home")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def send(landing_dir: Path, name: str, data: bytes) -> None:
    (landing_dir / NSP.name / name).write_bytes(data)


def physical_lines(text: str) -> list[str]:
    return re.split(r"\r\n|\r|\n", text)


def too_long(f: ValidFile) -> bool:
    """Whether landing's size limits refuse the file (records and lines, in characters)."""
    text = decode_like_a_person(f.data) or ""
    if max((len(line) for line in physical_lines(text)), default=0) > landing.MAX_LINE_CHARS:
        return True
    return any(sum(map(len, r.values())) > landing.MAX_RECORD_CHARS for r in f.records)


def assert_whole_or_nothing(home: Home, outcome: landing.FileOutcome, data: bytes) -> None:
    """The audit agrees with raw; a quarantined file is kept unchanged, with a note."""
    in_raw = query(
        home, f"select count(*) from raw.{NSP.name} where _load_id = ?", [outcome.load_id]
    )
    audited = query(
        home, "select status, rows from audit.loads where load_id = ?", [outcome.load_id]
    )
    assert audited == [(outcome.status, outcome.rows)]
    assert in_raw == [(outcome.rows,)]
    stored = Path(outcome.stored_at)
    assert stored.read_bytes() == data
    if outcome.status == "quarantined":
        assert outcome.rows == 0 and outcome.error
        note = Path(outcome.stored_at + ".error.txt").read_text()
        assert f"File:     {outcome.file_name}" in note and outcome.error in note


# --------------------------------------------------------------------------------------------


@settings(SETTINGS, max_examples=40)
@given(st.lists(valid_files(), min_size=1, max_size=3))
def test_valid_files_land_exactly_as_written_and_once(files: list[ValidFile]):
    with warehouse() as (landing_dir, home):
        for i, f in enumerate(files):
            send(landing_dir, f"{i}-{f.name}", f.data)
            # the same content again, under another name that lands later: never twice
            send(landing_dir, f"z-resent-{i}-{f.name}", f.data)
        report = landing.land(landing_dir, home, KEY, "prop")
        assert len(report.outcomes) == 2 * len(files)
        firsts, resent = report.outcomes[: len(files)], report.outcomes[len(files) :]
        loaded = 0
        seen: dict[bytes, landing.FileOutcome] = {}
        for f, outcome in zip(files, firsts, strict=True):
            if f.data in seen:  # the same bytes twice in one batch: the second is a duplicate
                assert outcome.status == "duplicate" or seen[f.data].status == "quarantined"
                continue
            seen[f.data] = outcome
            event(
                f"valid {f.encoding}{' gzip' if f.name.endswith('.gz') else ''}: {outcome.status}"
            )
            assert_whole_or_nothing(home, outcome, f.data)
            if too_long(f):
                assert outcome.status == "quarantined" and "longer than" in outcome.error
                continue
            assert outcome.status == "loaded", outcome.error
            assert outcome.rows == len(f.records)
            loaded += outcome.rows
            got = query(
                home,
                f"select {', '.join(KEPT)}, person_id, birth_month, attributor_status, _extra "
                f"from raw.{NSP.name} where _load_id = ? order by _row_number",
                [outcome.load_id],
            )
            for r, row in zip(f.records, got, strict=True):
                assert list(row[: len(KEPT)]) == [r[c] or None for c in KEPT]
                person_id, birth_month, status, extra = row[len(KEPT) :]
                attributor = [r[c] for c in spec.ATTRIBUTOR_FIELDS]
                assert status == attributor_status(*attributor)
                message = normalised_attributor(*attributor)
                assert person_id == (pseudonym(KEY, message) if message else None)
                dob = parse_date_text(r["date_of_birth"])
                assert birth_month == (dob.strftime("%Y-%m") if dob else None)
                assert (extra is None) == (not f.extras)
            assert sorted(outcome.extra_columns) == sorted(f.extras)
        for f, outcome in zip(files, resent, strict=True):
            want = "duplicate" if seen[f.data].status in ("loaded", "duplicate") else "quarantined"
            assert outcome.status == want
        assert query(home, f"select count(*) from raw.{NSP.name}") == [(loaded,)]
        assert query(home, "select coalesce(sum(rows), 0) from audit.loads") == [(loaded,)]


@settings(SETTINGS, max_examples=50)
@given(st.lists(hostile_files(), min_size=1, max_size=4))
def test_hostile_files_land_whole_or_go_whole_to_quarantine(files: list[HostileFile]):
    with warehouse() as (landing_dir, home):
        names = [f"{i}-{f.name}" for i, f in enumerate(files)]
        for name, f in zip(names, files, strict=True):
            send(landing_dir, name, f.data)
        report = landing.land(landing_dir, home, KEY, "prop")  # never raises
        assert [o.file_name for o in report.outcomes] == names
        assert not list((landing_dir / NSP.name).iterdir())  # nothing left waiting
        seen: set[bytes] = set()
        for f, outcome in zip(files, report.outcomes, strict=True):
            if outcome.status == "duplicate":
                assert f.data in seen
                continue
            seen.add(f.data)
            event(f"{f.mutation}: {outcome.status}")
            assert outcome.status in ("loaded", "quarantined")
            assert_whole_or_nothing(home, outcome, f.data)
            if outcome.status == "loaded":
                assert_matches_an_independent_reading(home, outcome, f.data)


def assert_matches_an_independent_reading(home: Home, outcome: landing.FileOutcome, data: bytes):
    """A landed file holds exactly the records Python's csv module reads, in order."""
    text = decode_like_a_person(data)
    assert text is not None
    rows = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
    header = [h.strip().lower() for h in rows[0]]
    expected = [r[header.index("transaction_id")] or None for r in rows[1:]]
    got = query(
        home,
        f"select transaction_id from raw.{NSP.name} where _load_id = ? order by _row_number",
        [outcome.load_id],
    )
    assert [g[0] for g in got] == expected


# --------------------------------------------------------------------------------------------
# Latest file wins, through the real staging model


keys = st.sampled_from([f"T{i}" for i in range(6)])
versions = st.lists(
    st.tuples(keys, st.text("abcXYZ019", min_size=1, max_size=6), st.integers(0, 99)),
    min_size=1,
    max_size=8,
)


def nsp_file(rows: list[tuple[str, str, int]]) -> bytes:
    lines = ["transaction_id,agency_code,transaction_date,first_initial,surname_initial,"
             "date_of_birth,sex,substance_injected,needles_issued"]  # fmt: skip
    lines += [f"{k},{agency},2020-04-01,J,S,1980-03-12,M,heroin,{n}" for k, agency, n in rows]
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.slow
@settings(SETTINGS, max_examples=25)
@given(st.lists(versions, min_size=1, max_size=4), st.data())
def test_a_record_resent_in_a_later_file_replaces_the_earlier_one(staging_nsp, batches, data):
    with warehouse() as (landing_dir, home):
        expected: dict[str, tuple[str, int]] = {}
        sent: set[bytes] = set()
        for month, rows in enumerate(batches, 1):
            content = nsp_file(rows)
            send(landing_dir, f"2020-{month:02d}.csv", content)
            if data.draw(st.booleans(), label="land this file on its own"):
                landing.land(landing_dir, home, KEY, f"prop-{month}")
            if content in sent:
                # The same content again is skipped (exactly once), even after other files:
                # it does not bring back the values it carried.
                continue
            sent.add(content)
            for k, agency, n in rows:  # within a file too, the later line wins
                expected[k] = (agency, n)
        # and an old file re-sent later: same content, so nothing changes
        send(landing_dir, "2020-99 (resent).csv", nsp_file(batches[0]))
        landing.land(landing_dir, home, KEY, "prop-last")
        got = staging_nsp(home)
        assert got == {k: (a, n) for k, (a, n) in expected.items()}
