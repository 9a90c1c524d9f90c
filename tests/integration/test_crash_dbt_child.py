"""dbt dies with the build that started it (so a killed build leaves nothing writing)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from orchestration.lib.dbt_launcher import launcher_script

PARENT = r"""
import subprocess, sys, time
child = subprocess.Popen([sys.argv[1], "arg with spaces", "--flag"])
print(child.pid, flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_dbt_started_by_a_killed_build_is_killed_too(tmp_path):
    fake_dbt = tmp_path / "dbt"
    record = tmp_path / "args"
    fake_dbt.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\nexec sleep 600\n')
    fake_dbt.chmod(0o755)
    launcher = launcher_script(sys.executable, fake_dbt, tmp_path / "target")
    assert launcher_script(sys.executable, fake_dbt, tmp_path / "target") == launcher
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(launcher)], stdout=subprocess.PIPE, text=True
    )
    dbt_pid = int(parent.stdout.readline())
    deadline = time.monotonic() + 10
    while not record.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert record.read_text().splitlines() == ["arg with spaces", "--flag"]
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(dbt_pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(dbt_pid, signal.SIGKILL)
    pytest.fail("dbt outlived the killed build")
