"""Handmade GX suite files for the quality tests."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_suite(root: Path, layer: str, table: str, body: str) -> Path:
    """Write ``body`` (dedented YAML) as the suite of ``layer.table`` under ``root``, the way the
    committed suites are laid out (``<layer>/<table>.yml``)."""
    path = root / layer / f"{table}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path
