"""The linkage key of the session demo build is nowhere but its key file: not in the warehouse,
serving, logs, data docs, archive, quarantine or state, and not in the repository; the audit
holds only its fingerprint; the key file and its folder are owner-only."""

from __future__ import annotations

import stat
import subprocess

import duckdb
import pytest

from orchestration.lib.paths import REPO_ROOT
from orchestration.lib.pseudonym import load_key

pytestmark = pytest.mark.slow


def test_the_key_is_only_in_its_key_file(demo_build, monkeypatch):
    home = demo_build.home
    if not home.key_file.exists():
        pytest.skip("the demo build took its key from SMW_LINKAGE_KEY")
    monkeypatch.delenv("SMW_LINKAGE_KEY", raising=False)
    key = load_key(home.key_file)
    assert stat.S_IMODE(home.key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.key_file.parent.stat().st_mode) == 0o700
    ipad, opad = key.pads()
    forms = [key.value, ipad, opad, ipad.hex().encode(), opad.hex().encode()]
    files = [f for f in home.root.rglob("*") if f.is_file() and f != home.key_file]
    assert len(files) > 100  # warehouse, serving, logs, docs, archive, state
    leaks = [str(f) for f in files if any(form in f.read_bytes() for form in forms)]
    assert not leaks
    tracked = subprocess.run(
        ["git", "grep", "-l", "-F", key.value.decode()], cwd=REPO_ROOT, capture_output=True
    )
    assert tracked.stdout == b""
    con = duckdb.connect(str(home.warehouse_db), read_only=True)
    try:
        assert con.execute("select distinct key_fingerprint from audit.loads").fetchall() == [
            (key.fingerprint,)
        ]
    finally:
        con.close()
