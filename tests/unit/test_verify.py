"""`smw verify` (issue 22, section 5): archive <-> audit.loads <-> raw, and serving <->
_publication. Each discrepancy is a scripted accident; a clean warehouse verifies clean."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main
from orchestration.lib import landing, verify
from orchestration.lib.paths import Home
from orchestration.lib.pseudonym import LinkageKey
from orchestration.lib.publish import PUBLICATION_TABLE, checksum_sql

NSP = "ims_nsp_transactions"
HEADER = (
    "transaction_id,agency_code,transaction_date,first_initial,surname_initial,"
    "date_of_birth,sex,substance_injected,needles_issued"
)
ROW = "{},A1,2020-04-01,J,S,1980-03-12,M,heroin,10"


@pytest.fixture()
def landed(tmp_path: Path, monkeypatch) -> tuple[Home, Path]:
    key = "verify-test-key-0123456789-abcdefghijk"
    monkeypatch.setenv("SMW_LINKAGE_KEY", key)
    folder = tmp_path / "landing" / NSP
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text(f"{HEADER}\n{ROW.format('T1')}\n{ROW.format('T2')}\n")
    (folder / "b.csv").write_text(f"{HEADER}\n{ROW.format('T3')}\n")
    (folder / "bad.csv").write_bytes(b"\x00junk")
    home = Home.at(tmp_path / "home")
    landing.land(tmp_path / "landing", home, LinkageKey(key.encode(), "environment"), "verify")
    return home, tmp_path / "landing"


def _sql(home: Home, *statements: str) -> None:
    con = duckdb.connect(str(home.warehouse_db))
    try:
        for s in statements:
            con.execute(s)
    finally:
        con.close()


def test_a_clean_warehouse_verifies_clean(landed, capsys):
    home, _ = landed
    assert main(["verify", "--home", str(home.root)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "checked  3 audit.loads rows, 2 archived and 1 quarantined files, 3 raw rows, "
        "0 published tables",
        "clean    archive, audit.loads, raw and serving agree",
    ]


def test_an_archived_file_raw_does_not_hold_is_named_and_relanded_once(landed, capsys):
    home, landing_dir = landed
    # kill -9 and a lost warehouse.duckdb.wal: the file moved, its transaction is gone
    [(load_id, stored)] = (
        duckdb.connect(str(home.warehouse_db), read_only=True)
        .execute("select load_id, stored_at from audit.loads where file_name = 'a.csv'")
        .fetchall()
    )
    _sql(
        home,
        f"delete from raw.{NSP} where _load_id = {load_id}",
        f"delete from audit.loads where load_id = {load_id}",
        # the lost log held the sequence's advance too
        "drop sequence audit.load_id_seq",
        "create sequence audit.load_id_seq start 1",
    )
    assert main(["verify", "--home", str(home.root)]) == 1
    out = capsys.readouterr().out
    name = Path(stored).name
    assert (
        f"PROBLEM  [archive] archive/{NSP}/{name}: in the archive but no audit.loads row records "
        "it, so raw does not hold its rows" in out
    )
    assert "smw verify --reland lands the archived files raw does not hold" in out

    assert main(["verify", "--home", str(home.root), "--reland"]) == 0
    out = capsys.readouterr().out
    # under its own load id (record versions keep their order), stored where it was
    assert (
        f"relanded archive/{NSP}/{name}: landed again as load {load_id} (loaded, 2 rows), "
        f"archived as {name}" in out
    )
    assert out.rstrip().endswith("clean    archive, audit.loads, raw and serving agree")
    con = duckdb.connect(str(home.warehouse_db), read_only=True)
    try:
        assert con.execute(f"select count(*) from raw.{NSP}").fetchall() == [(3,)]
        assert con.execute(
            "select load_id, file_name, status from audit.loads where file_name = 'a.csv'"
        ).fetchall() == [(load_id, "a.csv", "loaded")]
        assert con.execute(
            f"select distinct _load_id from raw.{NSP} where _file_name = 'a.csv'"
        ).fetchall() == [(load_id,)]
    finally:
        con.close()
    assert Path(stored).exists()
    assert main(["verify", "--home", str(home.root), "--reland"]) == 0  # nothing more to do
    capsys.readouterr()
    # a new file gets a new load id, past every id in use
    (landing_dir / NSP / "c.csv").write_text(f"{HEADER}\n{ROW.format('T9')}\n")
    key = LinkageKey(b"verify-test-key-0123456789-abcdefghijk", "environment")
    [new] = landing.land(landing_dir, home, key, "after").outcomes
    assert new.status == "loaded" and new.load_id == 4
    assert main(["verify", "--home", str(home.root)]) == 0


def test_raw_and_audit_disagreeing_and_a_missing_archive_file_are_named(landed, capsys):
    home, _ = landed
    con = duckdb.connect(str(home.warehouse_db), read_only=True)
    (a, a_stored), (b, _) = con.execute(
        "select load_id, stored_at from audit.loads where status = 'loaded' order by file_name"
    ).fetchall()
    con.close()
    _sql(home, f"delete from raw.{NSP} where transaction_id = 'T2'")
    Path(a_stored).unlink()
    _sql(home, f"insert into raw.{NSP} (_load_id, _file_name, _row_number) values (99, 'x', 1)")
    report = verify.verify(home)
    assert [(f.check, f.message) for f in report.findings] == [
        (
            "archive",
            f"load {a} ({NSP}/a.csv, loaded): {a_stored} is missing (if the file is still in "
            "the landing folder its move failed, and the next build finishes it; otherwise "
            "restore it from backup)",
        ),
        ("raw", f"load {a} ({NSP}/a.csv): audit.loads records 2 rows, raw.{NSP} holds 1"),
        (
            "raw",
            f"raw.{NSP} holds 1 rows of load 99, which audit.loads does not record as loaded",
        ),
    ]
    assert main(["verify", "--home", str(home.root)]) == 1


def test_serving_that_differs_from_its_publication_record_is_named(landed, capsys):
    home, _ = landed
    con = duckdb.connect(str(home.serving_db))
    con.execute("create table rpt_x as select 1 as a union all select 2")
    [(checksum,)] = con.execute(checksum_sql("rpt_x")).fetchall()
    con.execute(
        f"create table {PUBLICATION_TABLE} as select 'rpt_x' as table_name, 2::bigint as "
        f"row_count, {checksum}::bigint as checksum, 'run' as run_id, now() as published_at"
    )
    con.close()
    assert main(["verify", "--home", str(home.root)]) == 0
    capsys.readouterr()
    con = duckdb.connect(str(home.serving_db))
    con.execute("update rpt_x set a = 3 where a = 2")  # edited after publication
    con.close()
    assert main(["verify", "--home", str(home.root)]) == 1
    out = capsys.readouterr().out
    assert (
        "PROBLEM  [serving] serving.duckdb: table rpt_x holds 2 rows with checksum" in out
        and f"but _publication records 2 rows with checksum {checksum} (changed after publication)"
        in out
    )
    home.serving_db.write_bytes(b"not a database")
    assert main(["verify", "--home", str(home.root)]) == 1
    assert "is damaged" in capsys.readouterr().out


def test_every_build_relands_an_orphaned_archive_file_before_landing(landed):
    home, _ = landed
    con = duckdb.connect(str(home.warehouse_db), read_only=True)
    [(load_id, stored)] = con.execute(
        "select load_id, stored_at from audit.loads where file_name = 'b.csv'"
    ).fetchall()
    con.close()
    _sql(
        home,
        f"delete from raw.{NSP} where _load_id = {load_id}",
        f"delete from audit.loads where load_id = {load_id}",
    )
    key = LinkageKey(b"verify-test-key-0123456789-abcdefghijk", "environment")
    [line] = verify.before_landing(home, key, "next-build")
    assert line.startswith(f"relanded archive/{NSP}/{Path(stored).name}: landed again as load ")
    assert verify.verify(home).clean
    assert verify.before_landing(home, key, "after") == []


def test_a_copied_home_verifies_clean_and_a_stray_copy_is_not_relanded(landed, tmp_path):
    import shutil

    home, _ = landed
    copy = Home.at(tmp_path / "copied-home")
    shutil.copytree(home.root, copy.root)  # audit.loads still names the first home's paths
    assert verify.verify(copy).clean
    key = LinkageKey(b"verify-test-key-0123456789-abcdefghijk", "environment")
    assert verify.before_landing(copy, key, "copied") == []
    [a] = sorted((copy.archive_dir / NSP).glob("*a.csv"))
    shutil.copyfile(a, a.with_name("0000077__a-again.csv"))
    [finding] = verify.verify(copy).findings
    assert finding.reland is None
    assert finding.message == (
        f"archive/{NSP}/0000077__a-again.csv: in the archive but no audit.loads row records it; "
        "its content is load 1's (raw holds it), so it is a copy that can be removed"
    )
    assert verify.before_landing(copy, key, "copied") == [f"PROBLEM [archive] {finding.message}"]
