"""The build lock's record (``orchestration.lib.runlock``) is readable whenever a build dies:
a kill between writing a new record and cutting the file to its length leaves the new record
followed by the tail of the old one, and that reads as the new record."""

from __future__ import annotations

import json
import os
from pathlib import Path

from orchestration.lib import runlock
from orchestration.lib.paths import Home


def test_a_kill_between_write_and_cut_leaves_the_new_record(tmp_path: Path, monkeypatch) -> None:
    home = Home.at(tmp_path / "home").ensure()
    with runlock.writer_lock(home, command="smw build", run_id="run-with-a-long-identifier"):
        runlock.record_step("published__serving_database")
        longer = runlock.running_build(home)
        assert longer is not None and longer["step"] == "published__serving_database"

        def killed(fd: int, length: int) -> None:  # SIGKILL after pwrite, before ftruncate
            raise SystemExit("killed")

        monkeypatch.setattr(os, "ftruncate", killed)
        try:
            runlock.record_step("outputs__area_reports")
        except SystemExit:
            pass
        monkeypatch.undo()
        raw = runlock.lock_path(home).read_bytes()
        # the new record, then the old one's tail: not one JSON document
        assert raw.startswith(b'{"pid"') and raw.count(b"}") > 1
        try:
            json.loads(raw)
            whole = True
        except json.JSONDecodeError:
            whole = False
        assert not whole
        record = runlock.running_build(home)
        assert record is not None
        assert record["step"] == "outputs__area_reports"
        assert record["run_id"] == "run-with-a-long-identifier"


def test_the_record_is_cut_to_the_new_length(tmp_path: Path) -> None:
    home = Home.at(tmp_path / "home").ensure()
    with runlock.writer_lock(home, command="smw build", run_id="r" * 200):
        runlock.record_run_id(home, "short")
        assert json.loads(runlock.lock_path(home).read_bytes())["run_id"] == "short"
    assert runlock.lock_path(home).read_bytes() == b""  # ended, not died
