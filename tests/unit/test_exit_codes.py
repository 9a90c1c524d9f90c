"""One exit-code table for every command (issue 22 §5), documented in the README; a full disk
is one clean line naming where and how much, not a traceback."""

from __future__ import annotations

import errno
import re
from pathlib import Path

import pytest

from orchestration import cli
from orchestration.lib.exit_codes import MEANING, Exit, is_disk_full
from orchestration.lib.paths import Home
from orchestration.lib.runlock import describe_holder, record_step, running_build, writer_lock

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_documents_every_exit_code():
    section = README.read_text().split("### Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.+?) \| (.+?) \|$", section, re.M)
    assert {int(code): (meaning, todo) for code, meaning, todo in rows} == {
        int(c): MEANING[c] for c in Exit
    }


def test_a_full_disk_is_one_line_and_code_6(monkeypatch, tmp_path, capsys):
    home = Home.at(tmp_path / "home")
    home.root.mkdir(parents=True)
    target = home.root / "warehouse.duckdb"

    def full(args):
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr(cli, "cmd_status", full)
    code = cli.main(["status", "--home", str(home.root)])
    out = capsys.readouterr()
    assert code == Exit.DISK_FULL == 6
    lines = [line for line in out.out.splitlines() if line.strip()]
    assert len(lines) == 1 and str(target) in lines[0] and "MB free" in lines[0], lines
    assert "Traceback" not in out.out + out.err


def test_other_os_errors_are_not_taken_for_a_full_disk(monkeypatch, tmp_path):
    def denied(args):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path))

    monkeypatch.setattr(cli, "cmd_status", denied)
    with pytest.raises(PermissionError):
        cli.main(["status", "--home", str(tmp_path)])


def _failed(tmp_path: Path, failures: list[str], kinds: list[str]) -> cli.BuildSummary:
    return cli.BuildSummary(
        run_id="r",
        success=False,
        started_at="now",
        seconds=1.0,
        home=str(tmp_path),
        landing=str(tmp_path),
        failures=failures,
        failure_kinds=kinds,
    )


def test_a_failed_build_says_why_in_its_exit_code(tmp_path, capsys):
    key = _failed(tmp_path, ["land_extracts: the linkage key ..."], ["LinkageKeyMismatch"])
    assert cli._failed_build_code(key) == Exit.KEY_MISMATCH
    path = tmp_path / "warehouse.duckdb.wal"
    disk = _failed(
        tmp_path,
        [f"dbt_models: OSError: [Errno 28] No space left on device: '{path}'"],
        ["OSError"],
    )
    assert cli._failed_build_code(disk) == Exit.DISK_FULL
    assert str(path) in capsys.readouterr().out
    other = _failed(tmp_path, ["dbt_models: Database Error in model x"], ["DbtError"])
    assert cli._failed_build_code(other) == Exit.FAILED
    assert is_disk_full("Disk quota exceeded") and not is_disk_full("Permission denied")


def test_status_names_the_step_a_running_build_is_in(tmp_path):
    home = Home.at(tmp_path / "home")
    home.root.mkdir(parents=True)
    with writer_lock(home, command="smw build", run_id="abcdef123"):
        record_step("dbt_models")
        holder = running_build(home)
        assert holder is not None and holder["step"] == "dbt_models"
        described = describe_holder(holder)
        assert "step dbt_models since" in described and "run abcdef12" in described


def test_a_verbose_build_still_records_its_step_and_prints_no_progress(tmp_path, capsys):
    """smw build --verbose shows the full logs, not progress lines; the progress logger (quiet)
    still records each step so that smw status can say where the build is."""
    import logging

    import dagster as dg

    from orchestration.defs.progress import terminal_progress

    home = Home.at(tmp_path / "home")
    home.root.mkdir(parents=True)
    logger = terminal_progress.logger_fn(
        dg.build_init_logger_context(logger_config={"quiet": True, "totals": {}})
    )
    event = type("Event", (), {"event_type_value": "STEP_START"})()
    record = logging.LogRecord("dagster", logging.INFO, __file__, 1, "step", None, None)
    record.dagster_meta = {"dagster_event": event, "step_key": "land_extracts"}
    with writer_lock(home, command="smw build", run_id="abcdef123"):
        for handler in logger.handlers:
            handler.handle(record)
        holder = running_build(home)
    assert holder is not None and holder["step"] == "land_extracts"
    assert capsys.readouterr().err == ""
