"""Descriptions of the published tables and their columns, from the dbt docs.

BI users see them as table and column comments: in serving.duckdb (``COMMENT ON``, read by
``duckdb_tables()``/``duckdb_columns()`` and SQLAlchemy reflection) and in the PostgreSQL serving
schema (``lib/postgres_serving.py``). The text is the dbt project's own documentation of the
serving models (``models/serving/_serving__models.yml``), as compiled into dbt's manifest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.lib.paths import DBT_PROJECT_DIR

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
SERVING_LAYER = "serving"

#: The publication record smw adds beside the serving tables (lib/publish.py).
PUBLICATION_DOC = (
    "What this file holds: one row per published table with its row count, checksum, the run "
    "that published it and when (UTC).",
    {
        "table_name": "A published table of this file.",
        "row_count": "Rows the table holds.",
        "checksum": "Order-independent checksum of every row (lib/publish.py checksum_sql).",
        "run_id": "The smw build (Dagster run) that published it.",
        "published_at": "When it was published (UTC).",
    },
)


@dataclass(frozen=True)
class TableDoc:
    description: str
    columns: dict[str, str] = field(default_factory=dict)


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def serving_docs(manifest: Path = MANIFEST) -> dict[str, TableDoc]:
    """Per serving model: its description and its columns' descriptions (dbt docs)."""
    if not manifest.is_file():
        raise FileNotFoundError(
            f"{manifest}: dbt's manifest is missing (dbt parse writes it; smw build does)"
        )
    nodes = json.loads(manifest.read_text(encoding="utf-8")).get("nodes", {})
    docs: dict[str, TableDoc] = {}
    for node in nodes.values():
        if node.get("resource_type") != "model" or SERVING_LAYER not in node.get("fqn", [])[1:-1]:
            continue
        docs[node["name"]] = TableDoc(
            _clean(node.get("description")),
            {
                name: _clean(col.get("description"))
                for name, col in node.get("columns", {}).items()
                if _clean(col.get("description"))
            },
        )
    docs["_publication"] = TableDoc(PUBLICATION_DOC[0], dict(PUBLICATION_DOC[1]))
    return docs


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def comment_statements(
    table: str, doc: TableDoc | None, columns: list[str], schema: str | None = None
) -> list[str]:
    """``COMMENT ON TABLE/COLUMN`` statements for one table (DuckDB and PostgreSQL alike).

    Only for columns the table has; nothing for a table the docs do not describe."""
    if doc is None:
        return []
    rel = f"{_ident(schema)}.{_ident(table)}" if schema else _ident(table)
    out = []
    if doc.description:
        out.append(f"comment on table {rel} is {_literal(doc.description)}")
    for col in columns:
        text = doc.columns.get(col)
        if text:
            out.append(f"comment on column {rel}.{_ident(col)} is {_literal(text)}")
    return out
