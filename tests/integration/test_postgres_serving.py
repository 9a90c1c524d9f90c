"""PostgreSQL serving: publish twice into a throwaway PostgreSQL 15 while readers query through
psycopg2 and SQLAlchemy; they see one version or the other, never half; what they read equals
serving.duckdb; the read-only role cannot write; a failed load leaves the previous version."""

from __future__ import annotations

import shutil
import threading
import time
from collections import Counter
from pathlib import Path

import duckdb
import psycopg2
import pytest
import sqlalchemy as sa

from orchestration.cli import main
from orchestration.lib import postgres_serving as pg
from smw_bench.postgres import PostgresServer, PostgresUnavailable

SCHEMA = "serving"


@pytest.fixture(scope="module")
def server():
    try:
        server = PostgresServer.start(port=5433)
    except PostgresUnavailable as e:
        pytest.skip(f"PostgreSQL 15 is not installed here: {e}")
    with server:
        yield server


def url(server: PostgresServer, user: str) -> str:
    return f"postgresql://{user}@/{server.dbname}?host={server.socket_dir}&port={server.port}"


def variant(source: Path, target: Path, run_id: str, *, drop_every: int, bad: bool = False) -> Path:
    """A copy of a published serving file with fewer rows in every table and its own run id
    (and, when ``bad``, a value PostgreSQL refuses in the last table it loads)."""
    shutil.copyfile(source, target)
    target.chmod(0o644)
    con = duckdb.connect(str(target))
    try:
        tables = [r[0] for r in con.execute("select table_name from _publication").fetchall()]
        for t in tables:
            con.execute(f'delete from "{t}" where rowid % {drop_every} = 0')
            n = con.execute(f'select count(*) from "{t}"').fetchone()[0]
            con.execute("update _publication set row_count = ? where table_name = ?", [n, t])
        con.execute("update _publication set run_id = ?", [run_id])
        if bad:  # text with a NUL byte: DuckDB keeps it, PostgreSQL refuses it
            con.execute("update rpt_nsp_activity set area_name = area_name || chr(0)")
    finally:
        con.close()
    return target


def signature(serving_db: Path) -> tuple:
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        run = con.execute("select max(run_id) from _publication").fetchone()[0]
        counts = con.execute(
            "select table_name, row_count from _publication order by table_name"
        ).fetchall()
    finally:
        con.close()
    return (run, *(n for _, n in counts))


def signature_sql(serving_db: Path) -> str:
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        tables = [
            r[0] for r in con.execute("select table_name from _publication order by 1").fetchall()
        ]
    finally:
        con.close()
    counts = ", ".join(f'(select count(*) from {SCHEMA}."{t}")' for t in tables)
    return f"select (select max(run_id) from {SCHEMA}._publication), {counts}"


def rows_of(serving_db: Path, table: str) -> Counter:
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        return Counter(con.execute(f'select * from "{table}"').fetchall())
    finally:
        con.close()


def test_publish_twice_while_readers_read(demo_build, server, tmp_path):
    v1 = demo_build.home.serving_db
    v2 = variant(v1, tmp_path / "v2.duckdb", "run-two", drop_every=3)
    v3 = variant(v1, tmp_path / "v3.duckdb", "run-three", drop_every=2, bad=True)
    owner = url(server, server.superuser)
    first = pg.load_serving(v1, owner, SCHEMA)
    assert first.tables["rpt_indicator_values"] > 0
    sql = signature_sql(v1)
    allowed = {signature(v1), signature(v2)}
    assert len(allowed) == 2

    seen: list[tuple] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def psycopg_reader() -> None:
        try:
            con = psycopg2.connect(url(server, pg.READER_ROLE))
            con.autocommit = True
            with con, con.cursor() as cur:
                while not stop.is_set():
                    cur.execute(sql)
                    seen.append(("psycopg2", cur.fetchone()))
            con.close()
        except BaseException as e:  # noqa: BLE001 - reported by the test
            errors.append(e)

    def sqlalchemy_reader() -> None:
        try:
            engine = sa.create_engine(
                url(server, pg.READER_ROLE).replace("postgresql://", "postgresql+psycopg2://"),
                poolclass=sa.pool.NullPool,
            )
            while not stop.is_set():
                with engine.connect() as c:
                    seen.append(("sqlalchemy", tuple(c.execute(sa.text(sql)).one())))
            engine.dispose()
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    readers = [threading.Thread(target=f) for f in (psycopg_reader, sqlalchemy_reader)]
    for r in readers:
        r.start()

    def wait_for_both_readers(after: int) -> None:
        deadline = time.monotonic() + 60
        while {who for who, _ in seen[after:]} != {"psycopg2", "sqlalchemy"} and not errors:
            assert time.monotonic() < deadline, "the readers made no progress"
            time.sleep(0.01)

    try:
        wait_for_both_readers(0)  # both read version 1 before the loads start
        second = pg.load_serving(v2, owner, SCHEMA)
        third = pg.load_serving(v1, owner, SCHEMA)
        final = pg.load_serving(v2, owner, SCHEMA)
        wait_for_both_readers(len(seen))  # and both read the last version after them
    finally:
        stop.set()
        for r in readers:
            r.join(60)
    assert not errors, errors
    assert {who for who, _ in seen} == {"psycopg2", "sqlalchemy"}
    assert {s for _, s in seen} == allowed  # both versions were read
    assert seen[-1][1] == signature(v2)
    half = [s for _, s in seen if s not in allowed]
    assert not half, f"a reader saw a mix of versions: {half[:3]}"
    assert second.run_id == final.run_id == "run-two" and third.run_id == first.run_id

    # What readers see equals serving.duckdb, row for row.
    reader = psycopg2.connect(url(server, pg.READER_ROLE))
    try:
        with reader.cursor() as cur:
            for table in final.tables:
                cur.execute(f'select * from {SCHEMA}."{table}"')
                assert Counter(cur.fetchall()) == rows_of(v2, table), table
            # The read-only role cannot write.
            for statement in (
                f"insert into {SCHEMA}.rpt_nsp_activity (area_code) values ('x')",
                f"delete from {SCHEMA}.rpt_indicator_values",
                f"create table {SCHEMA}.oops (x int)",
                f"drop table {SCHEMA}.rpt_nsp_activity",
            ):
                with pytest.raises(psycopg2.Error):
                    cur.execute(statement)
                reader.rollback()
            cur.execute("set transaction read write")
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute(f"update {SCHEMA}.rpt_nsp_activity set clients = 0")
            reader.rollback()
    finally:
        reader.close()

    # A load that fails part-way (PostgreSQL refuses a value in the last table) changes nothing.
    with pytest.raises(pg.PostgresServingError, match="rpt_nsp_activity.*previous version"):
        pg.load_serving(v3, owner, SCHEMA)
    after = server.query(sql)[0]
    assert after == signature(v2)

    # Descriptions from the dbt docs, through SQLAlchemy as a BI tool reads them.
    engine = sa.create_engine(
        url(server, pg.READER_ROLE).replace("postgresql://", "postgresql+psycopg2://"),
        poolclass=sa.pool.NullPool,
    )
    inspector = sa.inspect(engine)
    assert set(inspector.get_table_names(schema=SCHEMA)) == set(final.tables)
    duck = sa.create_engine(f"duckdb+smw:///{v1}", connect_args={"read_only": True})
    try:
        for table in final.tables:
            want = {c["name"]: c["comment"] for c in sa.inspect(duck).get_columns(table)}
            got = {c["name"]: c["comment"] for c in inspector.get_columns(table, schema=SCHEMA)}
            assert got == want and any(want.values()), table
            assert inspector.get_table_comment(table, schema=SCHEMA)["text"]
    finally:
        duck.dispose()
        engine.dispose()


def test_smw_publish_loads_the_published_version(demo_build, server, capsys, monkeypatch):
    monkeypatch.delenv(pg.URL_ENV, raising=False)
    home = str(demo_build.home.root)
    assert main(["publish", "--home", home]) == 2
    assert pg.URL_ENV in capsys.readouterr().err
    code = main(
        ["publish", "--home", home, "--postgres", url(server, server.superuser), "--schema", "bi"]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "schema bi" in out and "smw_reader" in out
    assert (
        server.query("select max(run_id) from bi._publication")[0][0]
        == signature(demo_build.home.serving_db)[0]
    )
    bad = "postgresql://nobody@/nodb?host=/nonexistent&port=1"
    assert main(["publish", "--home", home, "--postgres", bad]) == 1
    assert "cannot connect to PostgreSQL" in capsys.readouterr().err


def test_the_build_step_loads_only_when_the_url_is_set(demo_build, server, monkeypatch):
    import dagster as dg

    from orchestration.defs.publish import POSTGRES_KEY, postgres_serving_schema
    from orchestration.defs.resources import WarehouseResource

    resources = {
        "warehouse": WarehouseResource(
            home=str(demo_build.home.root), landing=str(demo_build.landing)
        )
    }
    monkeypatch.delenv(pg.URL_ENV, raising=False)
    result = dg.materialize([postgres_serving_schema], resources=resources)
    assert result.success and not result.asset_materializations_for_node(
        "published__postgres_serving"
    )
    monkeypatch.setenv(pg.URL_ENV, url(server, server.superuser))
    monkeypatch.setenv(pg.SCHEMA_ENV, "from_build")
    result = dg.materialize([postgres_serving_schema], resources=resources)
    (mat,) = result.asset_materializations_for_node("published__postgres_serving")
    assert mat.asset_key == POSTGRES_KEY
    assert mat.metadata["schema"].value == "from_build"
    run_id = signature(demo_build.home.serving_db)[0]
    assert server.query("select max(run_id) from from_build._publication")[0][0] == run_id


def test_an_unreachable_server_fails_the_step_naming_it_never_the_password(demo_build, monkeypatch):
    """The build's PostgreSQL step fails with a message naming the server (password hidden);
    serving.duckdb, published before it, is untouched. No PostgreSQL needed."""
    import dagster as dg

    from orchestration.defs.publish import postgres_serving_schema
    from orchestration.defs.resources import WarehouseResource

    secret = "s3cret-Pa55"
    before = signature(demo_build.home.serving_db)
    monkeypatch.setenv(pg.URL_ENV, f"postgresql://loader:{secret}@127.0.0.1:1/publichealth")
    result = dg.materialize(
        [postgres_serving_schema],
        resources={
            "warehouse": WarehouseResource(
                home=str(demo_build.home.root), landing=str(demo_build.landing)
            )
        },
        raise_on_error=False,
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    error = failure.step_failure_data.error
    while error.cause is not None:  # what smw build's summary shows: the innermost error
        error = error.cause
    message = error.message
    first = message.splitlines()[0]  # what smw build's summary shows
    assert "PostgresServingError: PostgreSQL load failed: cannot connect to PostgreSQL at " in first
    assert "postgresql://loader:***@127.0.0.1:1/publichealth" in first and "refused" in first
    assert all(secret not in str(e) for e in result.all_events)
    assert signature(demo_build.home.serving_db) == before
    assert pg.redact(f"postgresql://u@/db?host=/x&password={secret}") == (
        "postgresql://u@/db?host=/x&password=***"
    )
