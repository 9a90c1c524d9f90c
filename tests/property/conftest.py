"""The real staging model for NSP transactions (and the base model it reads), compiled once, to
run on property warehouses."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable

import duckdb
import pytest

from orchestration.lib.paths import CODE_LISTS_CSV, DBT_PROJECT_DIR, Home

MODEL = "stg_ims__nsp_transactions"
BASE = "base_ims__nsp_transactions"


@pytest.fixture(scope="session")
def staging_nsp(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Home], dict]:
    """A function: warehouse home -> {transaction_id: (agency_code, needles_issued)} in staging."""
    from dbt.cli.main import dbtRunner

    root = tmp_path_factory.mktemp("dbt-compile")
    before = os.environ.get("SMW_WAREHOUSE_PATH")
    # the compiled SQL names the catalogue after this file: "warehouse", like every home's
    os.environ["SMW_WAREHOUSE_PATH"] = str(root / "warehouse.duckdb")
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            res = dbtRunner().invoke(
                ["compile", "--quiet", "--select", BASE, MODEL,
                 "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
                 "--target-path", str(root / "target"), "--log-path", str(root / "logs")]
            )  # fmt: skip
    finally:
        if before is None:
            os.environ.pop("SMW_WAREHOUSE_PATH")
        else:
            os.environ["SMW_WAREHOUSE_PATH"] = before
    assert res.success, res.exception
    [compiled] = list((root / "target" / "compiled").rglob(f"{MODEL}.sql"))
    sql = compiled.read_text()
    [compiled_base] = list((root / "target" / "compiled").rglob(f"{BASE}.sql"))
    base_sql = compiled_base.read_text()

    def run(home: Home) -> dict:
        con = duckdb.connect(str(home.warehouse_db))
        try:
            con.execute("create schema if not exists reference")
            con.execute(
                "create or replace table reference.code_lists as select * from read_csv(?, "
                "header = true, all_varchar = true)",
                [str(CODE_LISTS_CSV)],
            )
            con.execute("create schema if not exists staging")
            con.execute(f"create or replace view staging.{BASE} as {base_sql}")
            rows = con.execute(
                f"select transaction_id, agency_code, needles_issued from ({sql})"
            ).fetchall()
        finally:
            con.close()
        return {k: (a, n) for k, a, n in rows}

    return run
