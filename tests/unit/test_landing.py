"""Landing file rules (extract spec: Files, Person identifiers) on small handmade files."""

from __future__ import annotations

import gzip
import hashlib
import hmac
from pathlib import Path

import pytest

from orchestration.lib import landing, spec
from orchestration.lib.paths import Home
from orchestration.lib.pseudonym import LinkageKey, normalised_attributor, pseudonym
from tests.db import rows
from tests.extracts import NSP, NSP_HEADER, nsp_file
from tests.extracts import write_extract as write


def run(landing_dir: Path, home: Home, key: LinkageKey) -> landing.LandingReport:
    return landing.land(landing_dir, home, key, "test-run")


def test_lands_values_as_text_with_lineage(env, key):
    landing_dir, home = env
    write(landing_dir, NSP, "2020-04.csv", nsp_file())
    report = run(landing_dir, home, key)
    assert [o.status for o in report.outcomes] == ["loaded"]
    got = rows(
        home,
        "select transaction_id, needles_issued, _file_name, _row_number, _load_id from raw.ims_nsp_transactions",
    )
    assert got == [("T1", "10", "2020-04.csv", 1, report.outcomes[0].load_id)]
    types = dict(
        rows(
            home,
            "select column_name, data_type from information_schema.columns where table_name = 'ims_nsp_transactions' and table_schema = 'raw'",
        )
    )
    assert types["needles_issued"] == "VARCHAR"
    # the landed file moved to the restricted archive, never deleted
    assert not (landing_dir / "ims_nsp_transactions" / "2020-04.csv").exists()
    assert Path(report.outcomes[0].stored_at).exists()


def test_the_batch_records_where_its_time_went(env, key):
    landing_dir, home = env
    write(landing_dir, NSP, "2020-04.csv", nsp_file())
    write(landing_dir, NSP, "2020-05.csv", nsp_file().replace("T1", "T2"))
    report = run(landing_dir, home, key)
    seconds = report.seconds
    assert set(seconds) == {step for step, _ in landing.PROFILE_STEPS} | {"other", "total"}
    for step in ("strict reading", "history", "check", "insert", "commit"):
        assert seconds[step] > 0, (step, seconds)
    # every second of the batch is in one step, but the strict reading runs beside the others
    added = sum(v for k, v in seconds.items() if k not in ("strict reading", "total"))
    assert added == pytest.approx(seconds["total"], abs=0.01)
    notes = landing.read_notes(home, "test-run")
    assert notes is not None and notes["seconds"] == seconds  # for the build summary


def test_identifiers_replaced_by_keyed_pseudonym_and_birth_month(env, key):
    landing_dir, home = env
    write(
        landing_dir,
        NSP,
        "a.csv",
        nsp_file(
            "T1,A1,2020-04-01, j ,s,12/03/1980,m,heroin,10",
            "T2,A1,2020-04-01,,S,1980-03-12,M,heroin,1",
        ),
    )
    run(landing_dir, home, key)
    cols = {
        r[0]
        for r in rows(
            home,
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = 'ims_nsp_transactions'",
        )
    }
    assert not cols & set(spec.IDENTIFYING_FIELDS)
    got = rows(
        home,
        "select transaction_id, person_id, birth_month, attributor_status from raw.ims_nsp_transactions order by 1",
    )
    expected = pseudonym(key, normalised_attributor("J", "S", "1980-03-12", "M"))
    # HMAC-SHA256 with the key, computed independently of our own helper
    independent = hmac.new(key.value, b"v1|J|S|1980-03-12|M", hashlib.sha256).hexdigest()
    assert expected == independent
    assert got == [
        ("T1", expected, "1980-03", "complete"),
        ("T2", None, "1980-03", "missing_first_initial"),
    ]


def test_pseudonym_changes_with_the_key(env, key):
    landing_dir, home = env
    write(landing_dir, NSP, "a.csv", nsp_file())
    run(landing_dir, home, key)
    other = LinkageKey(b"another-key-0123456789-abcdefghijk", "test")
    assert rows(home, "select person_id from raw.ims_nsp_transactions")[0][0] != pseudonym(
        other, "v1|J|S|1980-03-12|M"
    )


def test_header_case_order_spaces_and_extra_columns(env, key):
    landing_dir, home = env
    header = " NEEDLES_ISSUED ,Transaction_ID,agency_code,transaction_date,first_initial,surname_initial,date_of_birth,SEX,substance_injected,Worker Notes"
    write(
        landing_dir,
        "ims_nsp_transactions",
        "a.csv",
        f'{header}\n7,T9,A1,2020-04-01,J,S,1980-03-12,M,heroin,"note, with comma"\n',
    )
    report = run(landing_dir, home, key)
    assert report.outcomes[0].extra_columns == ["worker notes"]
    # The spec is an allow-list: the extra column's name is kept, its values are not.
    got = rows(home, "select transaction_id, needles_issued, _extra from raw.ims_nsp_transactions")
    assert got == [("T9", "7", '["worker notes"]')]
    assert rows(
        home, "select count(*) from raw.ims_nsp_transactions where _extra::varchar like '%comma%'"
    ) == [(0,)]


@pytest.mark.parametrize(
    "encoding,prefix,newline,gz",
    [
        ("utf-8", b"", "\n", False),
        ("utf-8", b"\xef\xbb\xbf", "\r\n", False),
        ("cp1252", b"", "\r\n", False),
        ("utf-8", b"", "\n", True),
        ("cp1252", b"", "\n", True),
    ],
)
def test_encodings_line_endings_and_gzip(env, key, encoding, prefix, newline, gz):
    landing_dir, home = env
    text = (
        newline.join(
            [
                "agency_code,agency_name,agency_type,la_code",
                'A1,"Café ‘One’, Bootle\nsite",pharmacy,E08000014',
                "A2,Plain,outreach,E08000012",
            ]
        )
        + newline
    )
    data = prefix + text.encode(encoding)
    name = "agencies.csv"
    if gz:
        data = gzip.compress(data, mtime=0)
        name += ".gz"
    write(landing_dir, "ims_agencies", name, data)
    report = run(landing_dir, home, key)
    assert report.outcomes[0].status == "loaded", report.outcomes[0].error
    got = rows(home, "select agency_code, agency_name from raw.ims_agencies order by 1")
    # the quoted field keeps its comma and its line break (DuckDB normalises CRLF to LF)
    assert got[0] == ("A1", "Café ‘One’, Bootle\nsite")
    assert got[1] == ("A2", "Plain")
    assert (
        report.outcomes[0].encoding
        == {"utf-8": "utf-8-sig" if prefix else "utf-8", "cp1252": "windows-1252"}[encoding]
    )


def test_same_content_twice_is_landed_once(env, key):
    landing_dir, home = env
    content = nsp_file()
    write(landing_dir, "ims_nsp_transactions", "a.csv", content)
    run(landing_dir, home, key)
    write(landing_dir, "ims_nsp_transactions", "a (copy).csv", content)
    report = run(landing_dir, home, key)
    assert [(o.status, o.duplicate_of is not None) for o in report.outcomes] == [
        ("duplicate", True)
    ]
    assert rows(home, "select count(*) from raw.ims_nsp_transactions") == [(1,)]
    assert rows(home, "select status, count(*) from audit.loads group by 1 order by 1") == [
        ("duplicate", 1),
        ("loaded", 1),
    ]


@pytest.mark.parametrize(
    "name,content,problem",
    [
        ("empty.csv", b"", "empty"),
        ("no_required.csv", b"transaction_id,agency_code\nT1,A1\n", "required column(s) missing"),
        ("binary.csv", b"\x00\x01\x02binary junk", "binary data"),
        ("sheet.xlsx", b"PK\x03\x04 not a csv", "not a CSV extract"),
        ("fake.csv.gz", b"transaction_id\n", "not gzip-compressed"),
        ("dup_header.csv", (NSP_HEADER + ",needles_issued\n").encode(), "appears twice"),
        (
            "ragged.csv",
            f"{NSP_HEADER}\nT1,A1,2020-04-01,J,S,1980-03-12,M,heroin\n".encode(),
            "record 1 (line 2) has 8 fields but the header row has 9: the first missing field is 'needles_issued'",
        ),
        (
            "bad_quote.csv",
            f'{NSP_HEADER}\nT1,A1,2020-04-01,J,S,1980-03-12,M,"heroin,10\n'.encode(),
            "record 1 (line 2): a quoted field is never closed",
        ),
        (
            "undecodable.csv",
            NSP_HEADER.encode() + b"\nT1,A1,\x81\x8d,J,S,1980-03-12,M,heroin,1\n",
            "cannot be decoded",
        ),
    ],
)
def test_bad_files_are_quarantined_with_a_readable_error(env, key, name, content, problem):
    landing_dir, home = env
    write(landing_dir, "ims_nsp_transactions", name, content)
    good = nsp_file()
    write(landing_dir, "ims_nsp_transactions", "zz-good.csv", good)
    report = run(landing_dir, home, key)
    statuses = {o.file_name: o.status for o in report.outcomes}
    assert statuses == {name: "quarantined", "zz-good.csv": "loaded"}  # the rest of the batch lands
    bad = next(o for o in report.outcomes if o.status == "quarantined")
    assert problem in bad.error
    stored = Path(bad.stored_at)
    assert stored.read_bytes() == content  # kept unchanged: nothing lost
    note = Path(str(stored) + ".error.txt").read_text()
    assert name in note and problem in note and "To fix:" in note
    assert rows(home, "select count(*) from raw.ims_nsp_transactions") == [(1,)]


def test_unknown_folders_and_dotfiles(env, key):
    landing_dir, home = env
    write(landing_dir, "not_a_source", "x.csv", "a\n1\n")
    (landing_dir / ".demo-manifest.json").write_text("{}")
    (landing_dir / "stray.csv").write_text("a\n1\n")
    report = run(landing_dir, home, key)
    assert report.outcomes == []
    assert sorted(report.ignored) == [
        "not_a_source/: not a known source folder",
        "stray.csv: not inside a source folder",
    ]


def test_crash_after_commit_before_archive_completes_without_duplicate(env, key, monkeypatch):
    landing_dir, home = env
    write(landing_dir, NSP, "a.csv", nsp_file())

    def crash(*a, **k):
        raise KeyboardInterrupt("killed after commit")

    monkeypatch.setattr(landing.Lander, "_archive", crash)
    with pytest.raises(KeyboardInterrupt):
        run(landing_dir, home, key)
    monkeypatch.undo()
    report = run(landing_dir, home, key)
    assert [o.status for o in report.outcomes] == ["loaded"]
    assert rows(home, "select count(*) from raw.ims_nsp_transactions") == [(1,)]
    assert rows(home, "select status, count(*) from audit.loads group by 1") == [("loaded", 1)]
    assert not (landing_dir / "ims_nsp_transactions" / "a.csv").exists()


def test_failure_inside_the_transaction_leaves_nothing(env, key, monkeypatch):
    landing_dir, home = env
    write(landing_dir, NSP, "a.csv", nsp_file())
    original = landing.Lander._insert

    def insert_then_die(self, *args, **kwargs):
        original_execute = self.con.execute

        def execute(sql, *a, **k):
            if sql.startswith("insert into audit.loads"):
                raise KeyboardInterrupt("killed mid-file")
            return original_execute(sql, *a, **k)

        self.con = type("C", (), {"execute": staticmethod(execute)})()
        try:
            return original(self, *args, **kwargs)
        finally:
            pass

    monkeypatch.setattr(landing.Lander, "_insert", insert_then_die)
    with pytest.raises(KeyboardInterrupt):
        run(landing_dir, home, key)
    monkeypatch.undo()
    assert rows(home, "select count(*) from raw.ims_nsp_transactions") == [(0,)]
    report = run(landing_dir, home, key)
    assert [o.status for o in report.outcomes] == ["loaded"]
    assert rows(home, "select count(*) from raw.ims_nsp_transactions") == [(1,)]
