"""Shared fixtures. The demo warehouse is built ONCE per test session (about a minute; once in
each of the two xdist workers)."""

from __future__ import annotations

import csv
import gzip
import io
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.lib.paths import Home

#: Small but complete: every source, area and period is present.
DEMO_SCALE = 0.03
DEMO_SEED = 7


@dataclass
class DemoBuild:
    root: Path
    landing: Path
    home: Home
    sent: Path  # a copy of every file as generated (landing empties as files are archived)
    manifest: dict
    summary: object


def read_extract(path: Path) -> list[dict[str, str]]:
    """Read a generated extract whatever its encoding, compression or header case."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader)]
    return [dict(zip(header, row, strict=False)) for row in reader]


def pytest_configure(config: pytest.Config) -> None:
    """Parse the dbt project once, before any test worker starts (xdist's controller, or the
    only process), so workers never write dbt's manifest at the same time.

    Tests write extracts and land them at once: landing's wait for files still being copied in
    is off unless a test sets it (``tests/unit/test_landing_hostile.py``); smw run as a
    subprocess inherits this."""
    from orchestration.lib.landing import SETTLE_ENV

    os.environ.setdefault(SETTLE_ENV, "0")
    if not hasattr(config, "workerinput"):
        from orchestration.defs.transform import ensure_manifest

        ensure_manifest()


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> DemoBuild:
    from orchestration.cli import run_build
    from smw_demo import generate

    root = tmp_path_factory.mktemp("demo")
    landing = root / "landing"
    manifest = generate(landing, scale=DEMO_SCALE, seed=DEMO_SEED).to_dict()
    sent = root / "sent"
    shutil.copytree(landing, sent)
    summary = run_build(root / "home", landing)
    return DemoBuild(root, landing, Home.at(root / "home"), sent, manifest, summary)
