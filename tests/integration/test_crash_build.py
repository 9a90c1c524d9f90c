"""SIGKILL ``smw build`` at 20+ points spread over a run; serving survives every one.

Kill points are placed by what the build is doing (its progress lines) plus an offset, so they
fall in the same phases on a fast or a slow machine: startup, landing, the raw checks, the
freshness checks, dbt, the model checks, publish and after publish. They are visited in run
order, each in a new build, so every build after a kill runs past the point where the previous
one died (any leftover that broke a build would show up as a build that fails on its own); a
final build must then succeed and leave no temporary files.

After every kill, before anything else runs:
- serving.duckdb opens read-only and is complete (each table's rows and checksum equal its
  ``_publication`` record);
- it is the version from before the killed build, unchanged (``_publication`` identical), unless
  the kill came after the killed build swapped in its own complete version;
- the Parquet exports are a complete set of one of those two versions.

To keep this within a few minutes, most builds are forked from a process that has already
imported smw (what ``smw build`` spends its first seconds on); the two kills during startup use
a fresh ``python -m orchestration.cli build``. Every kill is a real SIGKILL of a real process
running ``smw build``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from orchestration.lib import exports, publish
from orchestration.lib.paths import REPO_ROOT, Home
from orchestration.lib.runlock import interrupted_build, running_build
from tests.integration.test_serving_readers import (
    MONTHLY_SOURCES,
    base_files,
    clean_files,
    generate_sent,
    stage,
)

pytestmark = pytest.mark.slow

FORK_SERVER = r"""
import json, os, sys, traceback
sys.path.insert(0, sys.argv[1])
import orchestration.cli as cli
import orchestration.definitions  # dagster, dagster-dbt, dbt, Great Expectations: imported once

for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:  # the build: a new process running smw build's main
        code = 70
        try:
            out = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(out, 1)
            os.dup2(out, 2)
            os.chdir(request["cwd"])
            code = cli.main(request["argv"])
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code or 0)
    print(json.dumps({"pid": pid}), flush=True)
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"exit": os.waitstatus_to_exitcode(status)}), flush=True)
"""


class ForkServer:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.proc = subprocess.Popen(
            [sys.executable, "-c", FORK_SERVER, str(REPO_ROOT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=cwd,
        )

    def start(self, argv: list[str], output: Path) -> int:
        assert self.proc.stdin and self.proc.stdout
        request = {"argv": argv, "output": str(output), "cwd": str(self.cwd)}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())["pid"]

    def wait(self) -> int:
        assert self.proc.stdout
        return json.loads(self.proc.stdout.readline())["exit"]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


@dataclass(frozen=True)
class KillPoint:
    marker: str | None  # a line of the build's output; None: time since the process started
    offset: float  # seconds after the marker
    phase: str


def wait_for(output: Path, pattern: str, pid_alive, timeout: float = 300) -> float:
    deadline = time.monotonic() + timeout
    regex = re.compile(pattern, re.M)
    while time.monotonic() < deadline:
        if output.exists() and regex.search(output.read_text(errors="replace")):
            return time.monotonic()
        if not pid_alive():
            raise AssertionError(
                f"the build ended before {pattern!r}:\n{output.read_text(errors='replace')[-3000:]}"
            )
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {pattern!r}")


def serving_state(home: Home) -> tuple[str, list[tuple]]:
    """The run id and _publication rows of serving.duckdb, after checking it is complete."""
    con = duckdb.connect(str(home.serving_db), read_only=True)
    try:
        pub = con.execute(
            "select table_name, row_count, checksum, run_id, published_at "
            "from _publication order by table_name"
        ).fetchall()
        for table, rows, checksum, _, _ in pub:
            got = con.execute(
                f"select (select count(*) from {table}), ({publish.checksum_sql(table)})"
            ).fetchone()
            assert got == (rows, checksum), f"{table} is not what was published"
    finally:
        con.close()
    (run_id,) = {r[3] for r in pub}
    return run_id, pub


PHASES = {
    "land_extracts": "landing",
    "gx_raw_suites": "raw checks",
    "raw_extract_freshness": "freshness checks",
    "dbt_models": "dbt",
    "gx_model_suites": "model checks",
    "outputs__data_quality_feedback": "feedback pages",
    "outputs__area_reports": "area reports",
    "published__serving_database": "publish",
}


def phase_at_kill(output: str) -> str:
    """What the build was doing when it died, from its progress lines."""
    started = re.findall(r"^\s+\.\.\.\s+(\S+)$", output, re.M)
    finished = set(re.findall(r"^\s+(?:done|FAILED|skipped)\s+(\S+) \(", output, re.M))
    if not started:
        return "startup"
    running = [s for s in started if s not in finished]
    if running:
        return PHASES.get(running[-1], running[-1])
    return "after " + PHASES.get(started[-1], started[-1])


def step_seconds(output: str, step: str) -> float:
    m = re.search(rf"done\s+{step} \(([\d.]+) s", output)
    assert m, f"no duration for {step}"
    return float(m.group(1))


def test_sigkill_at_twenty_points_leaves_serving_good_and_the_next_build_succeeds(tmp_path):
    sent, manifest = generate_sent(tmp_path)
    landing, home = tmp_path / "landing", Home.at(tmp_path / "home")
    # the area reports come after publish and only read serving: left out to keep this quick
    build_argv = ["build", "--no-reports", "--landing", str(landing), "--home", str(home.root)]
    months = {s: clean_files(manifest, s)[1:] for s in MONTHLY_SOURCES}
    months["ims_nsp_transactions"] = [
        f for f in clean_files(manifest, "ims_nsp_transactions") if f not in base_files(manifest)
    ]
    batches = iter(range(10_000))

    def stage_next_batch() -> None:
        """A month of every monthly source: every build has files to land, data changes."""
        i = next(batches)
        stage(sent, landing, [files[i] for files in months.values() if i < len(files)])

    server = ForkServer(tmp_path)
    try:
        # A good build first: the last good version every kill must leave in place.
        stage(sent, landing, base_files(manifest))
        out = tmp_path / "reference.out"
        server.start(build_argv, out)
        assert server.wait() == 0, out.read_text()[-3000:]
        reference = out.read_text()
        dbt_seconds = step_seconds(reference, "dbt_models")
        land_seconds = step_seconds(reference, "land_extracts")

        def started(step: str) -> str:
            return rf"^\s+\.\.\.\s+{step}$"

        points = [
            KillPoint(None, 1.0, "startup"),
            KillPoint(None, 3.0, "startup"),
            # a kill late in the run costs a whole build: most points are early, every phase
            # has at least one
            # fractions of the reference build's landing (each build after it lands more files:
            # at least a month of every monthly source), so all eight fall inside landing on a
            # fast disk (or tmpfs) as on a slow one
            *(
                KillPoint(started("land_extracts"), land_seconds * f, "landing")
                for f in (0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.8)
            ),
            *(KillPoint(started("gx_raw_suites"), o, "raw checks") for o in (0, 0.2, 0.5, 1.0)),
            KillPoint(started("raw_extract_freshness"), 0, "freshness checks"),
            # fractions of the reference build's dbt step, which is the slowest (first) one
            *(KillPoint(started("dbt_models"), dbt_seconds * f, "dbt") for f in (0.1, 0.4)),
            KillPoint(started("gx_model_suites"), 0.1, "model checks"),
            *(KillPoint(started("published__serving_database"), o, "publish") for o in (0, 0.1)),
            KillPoint(r"^\s+done\s+published__serving_database", 0, "after publish"),
        ]
        assert len(points) == 21
        kills: list[tuple[str, str]] = []
        t0 = time.monotonic()
        for n, point in enumerate(points):
            before_run, before_pub = serving_state(home)
            before_export = exports.current_export(home)
            stage_next_batch()
            out = tmp_path / f"kill-{n:02d}.out"
            if point.marker is None:  # a fresh interpreter, killed while it starts up
                with open(out, "w") as sink:
                    proc = subprocess.Popen(
                        [sys.executable, "-m", "orchestration.cli", *build_argv],
                        cwd=REPO_ROOT,
                        stdout=sink,
                        stderr=subprocess.STDOUT,
                    )
                    time.sleep(point.offset)
                    assert proc.poll() is None, out.read_text()
                    proc.send_signal(signal.SIGKILL)
                    exit_code = proc.wait()
            else:
                pid = server.start(build_argv, out)

                def pid_alive(pid: int = pid) -> bool:
                    try:
                        os.kill(pid, 0)
                    except ProcessLookupError:
                        return False
                    return True

                t = wait_for(out, point.marker, pid_alive)
                time.sleep(max(0.0, t + point.offset - time.monotonic()))
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pytest.fail(
                        f"kill point {n} ({point.phase}): the build ended before the kill\n"
                        + out.read_text(errors="replace")[-3000:]
                    )
                exit_code = server.wait()
            assert exit_code == -signal.SIGKILL, (
                f"kill point {n} ({point.phase}): the build exited by itself ({exit_code})\n"
                + out.read_text(errors="replace")[-3000:]
            )
            killed = interrupted_build(home) or {}  # the record the next build reads
            text = out.read_text(errors="replace")
            actual = phase_at_kill(text)
            kills.append((actual, str(killed.get("run_id"))))
            print(
                f"kill {n:2d} aimed at {point.phase:<16} died in {actual:<16} (+{time.monotonic() - t0:.0f} s)"
            )
            # What a reader sees right now, before anything cleans up:
            run_id, pub = serving_state(home)
            if run_id == before_run:
                assert pub == before_pub, f"kill point {n}: serving changed under the same run"
            else:
                # only a build that had started to publish may have swapped in its version
                # (after publish come the outputs: reports, feedback pages)
                assert re.search(started("published__serving_database"), text, re.M), (
                    f"kill point {n} (in {actual}): serving changed to {run_id}"
                )
                assert run_id == killed.get("run_id"), "a version from no build"
            export = exports.current_export(home)
            assert export is not None
            assert export.run_id in (before_run, run_id)
            if export.run_id == before_run:
                assert export == before_export
            assert running_build(home) is None, "the kernel released the build lock"

        # The next build succeeds, cleans up after all the dead ones, and publishes.
        stage_next_batch()
        out = tmp_path / "final.out"
        server.start(build_argv, out)
        assert server.wait() == 0, out.read_text()[-3000:]
    finally:
        server.close()

    final_run, _ = serving_state(home)
    last = json.loads((home.state_dir / "last_run.json").read_text())
    assert last["success"] and last["run_id"] == final_run
    assert "did not finish" in last["interrupted_before"]
    assert not list(home.root.glob(".serving.*")), "temporary serving files left"
    assert not (home.root / ".exports.link").exists()
    assert exports.current_export(home).run_id == final_run
    assert all(exports.read_manifest(p) for p in exports.versions_dir(home).iterdir())
    assert not [p for p in home.state_dir.glob(".*.tmp")]
    assert (home.state_dir / "build.lock").read_text() == "", "no build recorded as running"
    phases = {phase for phase, _ in kills}
    assert {"startup", "landing", "dbt", "raw checks", "publish"} <= phases, phases
    assert phases & {"model checks", "after dbt"}, phases
    assert len(kills) >= 20
    # every file sent was landed exactly once, despite builds killed mid-landing
    con = duckdb.connect(str(home.warehouse_db), read_only=True)
    try:
        dupes = con.execute(
            "select file_name, count(*) from audit.loads where status = 'loaded' "
            "group by source, file_name having count(*) > 1"
        ).fetchall()
    finally:
        con.close()
    assert dupes == []
    assert not [p for p in landing.rglob("*") if p.is_file()], "every staged file was landed"
