"""Free text never leaves the restricted warehouse (issue 22, section 2).

`transferred_to`, `transfer_from` and `custody_suite` are typed by people: a name or an address
typed there must not be published. On the session demo, every such value that was sent is looked
for in every text column of serving.duckdb, in every Parquet export and in every report page.
(A typed name is mapped to `other` by the transfer_destination_group macro: dbt unit test
dip_funnel_stages_never_grow.)
"""

from __future__ import annotations

import duckdb
import pytest

from tests.conftest import read_extract

pytestmark = pytest.mark.slow

FREE_TEXT = {
    "dip_contacts": ("transferred_to", "transfer_from"),
    "mdt_results": ("custody_suite",),
}


def _sent_free_text(demo_build) -> set[str]:
    values: set[str] = set()
    for source, columns in FREE_TEXT.items():
        for path in sorted((demo_build.sent / source).iterdir()):
            for row in read_extract(path):
                for column in columns:
                    value = (row.get(column) or "").strip()
                    if len(value) >= 4:  # shorter strings match codes by chance
                        values.add(value.lower())
    return values


def test_demo_sends_free_text(demo_build):
    """The scan below is only meaningful if the demo really sends free text."""
    sent = _sent_free_text(demo_build)
    assert any(v.startswith("hmp ") for v in sent), sorted(sent)[:10]
    assert any(v.endswith(" cjit") for v in sent), sorted(sent)[:10]


def test_no_free_text_value_is_published(demo_build):
    sent = _sent_free_text(demo_build)
    home = demo_build.home
    found: list[str] = []
    con = duckdb.connect(str(home.serving_db), read_only=True)
    try:
        columns = con.execute(
            "select table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' and table_schema not in ('information_schema', 'pg_catalog')"
        ).fetchall()
        assert columns
        for table, column in columns:
            for (value,) in con.execute(f'select distinct "{column}" from "{table}"').fetchall():
                if value is not None and value.strip().lower() in sent:
                    found.append(f"serving {table}.{column}: {value!r}")
    finally:
        con.close()
    exports = sorted(home.exports_dir.resolve().glob("*.parquet"))
    assert exports
    for path in exports:
        con = duckdb.connect()
        try:
            rel = con.sql(f"select * from read_parquet('{path}')")
            for i, dtype in enumerate(rel.dtypes):
                if str(dtype) != "VARCHAR":
                    continue
                column = rel.columns[i]
                for (value,) in con.sql(f'select distinct "{column}" from rel').fetchall():
                    if value is not None and value.strip().lower() in sent:
                        found.append(f"export {path.name}.{column}: {value!r}")
        finally:
            con.close()
    pages = sorted(home.reports_dir.rglob("*.html")) if home.reports_dir.exists() else []
    for page in pages:
        text = page.read_text(encoding="utf-8").lower()
        for value in sent:
            if value in text:
                found.append(f"report {page.relative_to(home.reports_dir)}: {value!r}")
    assert not found, "\n".join(found[:20])
