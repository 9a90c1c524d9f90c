"""After ``smw rekey`` the next build rebuilds every model from scratch (incremental models keep
rows by load id) and publishes the same numbers: pseudonyms change, counts do not."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from orchestration.lib import rekey
from orchestration.lib.paths import Home
from orchestration.lib.pseudonym import KEY_ENV, LinkageKey

pytestmark = pytest.mark.slow

NEW = LinkageKey(b"rekey-build-test-new-key-0123456789-abcdefghij", "test")


def _serving(db) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main' "
                "and table_name <> '_publication' order by 1"
            ).fetchall()
        ]
        return {t: sorted(con.execute(f'select * from "{t}"').fetchall(), key=repr) for t in tables}
    finally:
        con.close()


def test_the_build_after_a_rekey_publishes_the_same_rows(demo_build, tmp_path, monkeypatch):
    from orchestration.cli import run_build

    monkeypatch.delenv(KEY_ENV, raising=False)
    home = Home.at(tmp_path / "home")
    shutil.copytree(demo_build.home.root, home.root, symlinks=True)
    shutil.rmtree(home.root / "dagster", ignore_errors=True)  # the copy's run history
    before = _serving(home.serving_db)
    con = duckdb.connect(str(home.warehouse_db), read_only=True)
    old_people = con.execute(
        "select person_id from intermediate.int_nsp_transactions_accumulated "
        "where person_id is not null limit 1"
    ).fetchone()
    con.close()

    rekey.rekey(home, NEW)
    empty = tmp_path / "landing"
    empty.mkdir()
    summary = run_build(home.root, empty, reports=False)

    assert summary.success, summary.failures
    assert summary.full_refresh and rekey.full_refresh_required(home) is None
    assert _serving(home.serving_db) == before
    con = duckdb.connect(str(home.warehouse_db), read_only=True)
    try:
        # The incremental model was rebuilt: it holds only the new pseudonyms.
        stale = con.execute(
            "select count(*) from intermediate.int_nsp_transactions_accumulated a "
            "where a.person_id is not null and a.person_id not in "
            "(select person_id from raw.ims_nsp_transactions where person_id is not null)"
        ).fetchone()
        assert stale == (0,)
        assert con.execute(
            "select count(*) from intermediate.int_nsp_transactions_accumulated "
            "where person_id = ?",
            [old_people[0]],
        ).fetchone() == (0,)
    finally:
        con.close()
