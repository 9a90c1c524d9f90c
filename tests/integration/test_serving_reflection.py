"""SQLAlchemy reflection of serving.duckdb, as BI tools do it (read-only): every serving table's
columns, types, keys and the descriptions from the dbt docs."""

from __future__ import annotations

import duckdb
import pytest
import sqlalchemy as sa
import yaml

from orchestration.lib.paths import DBT_PROJECT_DIR
from orchestration.lib.readers import sqlalchemy_url
from orchestration.lib.sqlalchemy_duckdb import SmwDuckDBDialect

SERVING_YML = DBT_PROJECT_DIR / "models" / "serving" / "_serving__models.yml"


def _docs() -> dict[str, dict]:
    models = yaml.safe_load(SERVING_YML.read_text())["models"]
    return {m["name"]: m for m in models}


def _text(value: str | None) -> str:
    return " ".join((value or "").split())


@pytest.fixture(scope="module")
def engine(demo_build):
    engine = sa.create_engine(
        sqlalchemy_url(demo_build.home.serving_db), poolclass=sa.pool.NullPool
    )
    assert isinstance(engine.dialect, SmwDuckDBDialect)  # the entry point is installed
    yield engine
    engine.dispose()


def test_every_serving_table_reflects_with_the_dbt_docs(demo_build, engine):
    con = duckdb.connect(str(demo_build.home.serving_db), read_only=True)
    try:
        published = [r[0] for r in con.execute("select table_name from _publication").fetchall()]
        described = {
            t: [(r[0], r[1]) for r in con.execute(f'describe "{t}"').fetchall()] for t in published
        }
    finally:
        con.close()
    docs = _docs()
    assert set(published) == set(docs), "every serving model is published"
    inspector = sa.inspect(engine)
    assert set(inspector.get_table_names()) == {*published, "_publication"}
    for table in [*published, "_publication"]:
        columns = inspector.get_columns(table)
        assert columns, table
        assert all(not isinstance(c["type"], sa.types.NullType) for c in columns), table
        pk = inspector.get_pk_constraint(table)
        assert pk["constrained_columns"] == []  # published copies carry no key constraints
        assert inspector.get_foreign_keys(table) == []
        comment = inspector.get_table_comment(table)["text"]
        assert comment, f"{table} has no description"
        if table == "_publication":
            continue
        assert [c["name"] for c in columns] == [c for c, _ in described[table]]
        model = docs[table]
        assert _text(comment) == _text(model["description"])
        for col in model["columns"]:
            got = next(c for c in columns if c["name"] == col["name"])
            assert _text(got["comment"]) == _text(col["description"]), f"{table}.{col['name']}"
    # Reflecting the whole file at once (what Superset's table list does) works too.
    metadata = sa.MetaData()
    metadata.reflect(engine)
    assert set(metadata.tables) == {*published, "_publication"}
    with engine.connect() as c:
        t = metadata.tables["rpt_nsp_activity"]
        assert c.execute(sa.select(sa.func.count()).select_from(t)).scalar() > 0
        with pytest.raises(sa.exc.DBAPIError):  # read-only
            c.execute(sa.text("comment on table rpt_nsp_activity is 'changed'"))
