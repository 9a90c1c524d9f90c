"""Permissions of a built home (issue 22): the home is not world-readable; what holds restricted
data is owner-only; what is published stays readable by the home's group (BI readers)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from orchestration.lib.paths import RESTRICTED_DIRS, Home

pytestmark = pytest.mark.slow


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_built_home_is_restricted_where_it_must_be(demo_build):
    home = demo_build.home
    assert mode(home.root) == 0o750  # group may reach what is published; others nothing
    for name in ("archive", "quarantine", "state", "logs", "secrets", "data-docs"):
        d = home.root / name
        assert d.is_dir(), name
        assert mode(d) == 0o700, (name, oct(mode(d)))
    assert mode(home.warehouse_db) == 0o600
    # published: readable by the group, never writable (read-only on disk)
    assert mode(home.serving_db) & 0o440 == 0o440 and not mode(home.serving_db) & 0o222
    exports = home.exports_dir.resolve()
    assert mode(exports) & 0o050 == 0o050
    for f in exports.iterdir():
        assert mode(f) & 0o040, f


def test_restrict_fixes_a_home_left_open(tmp_path):
    home = Home.at(tmp_path / "home").ensure()
    for name in RESTRICTED_DIRS:
        (home.root / name).mkdir(exist_ok=True)
        (home.root / name).chmod(0o755)
    home.warehouse_db.write_bytes(b"")
    home.warehouse_db.chmod(0o644)
    home.root.chmod(0o755)
    home.restrict()
    assert mode(home.root) == 0o750
    assert all(mode(home.root / name) == 0o700 for name in RESTRICTED_DIRS)
    assert mode(home.warehouse_db) == 0o600
