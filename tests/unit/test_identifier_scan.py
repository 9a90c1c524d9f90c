"""The identifier scan used on the demo warehouse finds planted leaks (so it can fail)."""

from __future__ import annotations

import duckdb

from tests.identifier_scan import find_identifier_leaks, write_sent


def test_scan_finds_planted_leaks_and_passes_clean_tables(tmp_path):
    sent = [
        ("ims_nsp_transactions", "a.csv", i, f"19{50 + i % 40}-0{1 + i % 9}-1{i % 10}", "J", "S")
        for i in range(1, 60)
    ]
    sent_csv = tmp_path / "sent.csv"
    write_sent(sent, sent_csv)
    db = tmp_path / "w.duckdb"
    con = duckdb.connect(str(db))
    con.execute(
        "create table clean (_file_name varchar, _row_number bigint, event_date date, note varchar, sex varchar)"
    )
    con.execute(
        "insert into clean select 'a.csv', i, date '2020-01-01', 'fine', 'M' from range(1, 60) t(i)"
    )
    con.close()
    assert find_identifier_leaks(db, sent_csv) == []

    con = duckdb.connect(str(db))
    con.execute(
        "create table dob_column as select cast(dob as date) as dob_copy from read_csv(?, header=false, columns={'s':'varchar','f':'varchar','r':'bigint','dob':'varchar','fi':'varchar','si':'varchar'})",
        [str(sent_csv)],
    )
    con.execute("create table row_leak (_file_name varchar, _row_number bigint, _extra json)")
    con.execute("""insert into row_leak values ('a.csv', 3, '{"notes": "born 1953-04-13"}')""")
    con.execute("create table initials (client_code varchar)")
    con.execute("insert into initials values ('J'), ('S'), ('k')")
    con.execute("create table named (date_of_birth varchar)")
    con.close()
    leaks = find_identifier_leaks(db, sent_csv)
    assert "dates of birth in main.dob_column.dob_copy" in leaks
    assert "1 records of main.row_leak hold their own date of birth" in leaks
    assert "initials-like values in main.initials.client_code" in leaks
    assert "identifier column main.named.date_of_birth" in leaks
