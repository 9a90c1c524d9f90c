"""Fixtures of the landing tests (``test_landing*.py``): a linkage key, and an empty landing
folder beside a warehouse home. Their handmade files are written with :func:`tests.extracts.write_extract`."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.lib.paths import Home
from orchestration.lib.pseudonym import LinkageKey


@pytest.fixture()
def key() -> LinkageKey:
    return LinkageKey(b"test-key-0123456789-abcdefghijklmnop", "test")


@pytest.fixture()
def env(tmp_path: Path) -> tuple[Path, Home]:
    """``(landing folder, home)`` in the test's temporary folder."""
    landing_dir = tmp_path / "landing"
    landing_dir.mkdir()
    return landing_dir, Home.at(tmp_path / "home")
