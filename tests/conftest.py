"""Shared fixtures. The demo warehouse is built ONCE per test session (about a minute): under
xdist the first worker to need it builds it in the session's shared temporary folder while the
other waits, and each worker then works on its own copy (tests may write to the home)."""

from __future__ import annotations

import csv
import fcntl
import gzip
import io
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

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


#: Where the temporary folders go if nothing else is said: tmpfs, when it has this much room.
TMPFS = Path("/dev/shm")
TMPFS_MIN_FREE = 8 * 2**30


def dbt_on_copy(
    warehouse: Path, tmp_path: Path, *args: str
) -> tuple[subprocess.CompletedProcess, Path, Path]:
    """Run the dbt CLI (``dbt <args>``) on a copy of a warehouse in tmp_path, with its own target
    and log folders; returns (the finished process, the copy, the target folder)."""
    from orchestration.lib.paths import DBT_PROJECT_DIR

    copy = tmp_path / "warehouse.duckdb"  # the catalogue dbt names after the file, as in a home
    shutil.copyfile(warehouse, copy)
    dbt = Path(sys.executable).with_name("dbt")
    env = {**os.environ, "SMW_WAREHOUSE_PATH": str(copy), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    target = tmp_path / "target"
    result = subprocess.run(
        [str(dbt), *args,
         "--profiles-dir", str(DBT_PROJECT_DIR), "--project-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(target), "--log-path", str(tmp_path / "logs")],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    return result, copy, target


def _temp_root_in_memory(config: pytest.Config) -> None:
    """Put the session's temporary folders (every test home) on tmpfs when the machine has one
    with room to spare (``SMW_TEST_TMPDIR`` names another folder; ``--basetemp`` wins).

    Each build writes every Dagster event to the home's SQLite event log in a transaction of its
    own (a few thousand per build), and each commit waits for the disk: a third of a small
    build's time on a busy disk. Nothing a test checks depends on the disk: a SIGKILL leaves the
    page cache (what the crash tests kill) as it leaves tmpfs. Under xdist the workers' folders
    are made inside the controller's, so this runs in the controller only."""
    if config.option.basetemp:
        return
    chosen = os.environ.get("SMW_TEST_TMPDIR")
    if not chosen:
        try:
            mounts = Path("/proc/mounts").read_text().split("\n")
            fs = os.statvfs(TMPFS)
        except OSError:
            return
        on_tmpfs = any(m.split()[1:3] == [str(TMPFS), "tmpfs"] for m in mounts if m.strip())
        if not on_tmpfs or fs.f_bavail * fs.f_frsize < TMPFS_MIN_FREE:
            return
        chosen = str(TMPFS)
    tempfile.tempdir = chosen


def pytest_configure(config: pytest.Config) -> None:
    """Parse the dbt project once, before any test worker starts (xdist's controller, or the
    only process), so workers never write dbt's manifest at the same time.

    Tests write extracts and land them at once: landing's wait for files still being copied in
    is off unless a test sets it (``tests/unit/test_landing_hostile.py``); smw run as a
    subprocess inherits this."""
    from orchestration.lib.landing import SETTLE_ENV

    os.environ.setdefault(SETTLE_ENV, "0")
    if not hasattr(config, "workerinput"):
        _temp_root_in_memory(config)
        from orchestration.defs.transform import ensure_manifest

        ensure_manifest()


T = TypeVar("T")


def _session_folder(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """The folder of ``once_per_session(name)``: in the session's own temp folder, which the
    xdist workers' base temps sit in (so both workers see it)."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / f"once-{name}"


def once_per_session(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], T]
) -> T:
    """``make(folder)`` run once in the whole session, whichever xdist worker (or module) asks
    first, under an exclusive lock; the others get its result (pickled) and share ``folder``,
    which they must only read. A failure is recorded and re-raised in the others rather than
    made again."""
    shared = _session_folder(tmp_path_factory, name)
    shared.mkdir(exist_ok=True)
    result, failed = shared / "result.pickle", shared / "failed.txt"
    with open(shared / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released by the kernel if this worker dies
        if failed.exists():
            raise RuntimeError(f"{name} failed in another worker:\n{failed.read_text()}")
        if not result.exists():
            try:
                made = make(shared)
            except BaseException as e:
                failed.write_text(f"{type(e).__name__}: {e}")
                raise
            tmp = result.with_suffix(".tmp")
            tmp.write_bytes(pickle.dumps(made))
            tmp.replace(result)
            return made
    return pickle.loads(result.read_bytes())


def _build_demo(root: Path) -> tuple[dict, object]:
    """Generate the demo extracts into ``root/landing`` (a copy in ``root/sent``) and build
    ``root/home``; returns the generator's manifest and the build summary."""
    from orchestration.cli import run_build
    from smw_demo import generate

    landing = root / "landing"
    manifest = generate(landing, scale=DEMO_SCALE, seed=DEMO_SEED).to_dict()
    shutil.copytree(landing, root / "sent")
    return manifest, run_build(root / "home", landing)


#: The slowest test files, slowest first (the ``--durations`` of a fresh-clone ``make test``).
#: They start the run: under ``--dist loadfile`` (pyproject) each file runs whole in one worker,
#: and a long file started last would leave the other core idle at the end. The session demo
#: (a dependency of spark_engine and calibration_demo) is built while the other worker runs the
#: files that need no demo.
SLOWEST_FIRST = (
    "tests/integration/test_crash_build.py",
    "tests/integration/test_spark_engine.py",
    "tests/integration/test_bench.py",
    "tests/conventions/test_sqlfluff.py",
    "tests/integration/test_serving_readers.py",
    "tests/integration/test_calibration_demo.py",
    "tests/integration/test_year_to_date.py",
    "tests/integration/test_reports.py",
    "tests/integration/test_data_quality.py",
    "tests/integration/test_rekey_build.py",
    "tests/integration/test_hostile_values.py",
    "tests/integration/test_reports_views.py",
    "tests/integration/test_pipeline.py",
)


@pytest.hookimpl(trylast=True)  # after pytest's own reordering by fixture
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: i for i, path in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


@pytest.fixture(scope="session")
def simulation(tmp_path_factory: pytest.TempPathFactory) -> Callable[[float], object]:
    """``simulation(scale)``: the demo's simulation (``smw_demo.generator.simulate``, seed 2021)
    at ``scale``, made once in the session (both xdist workers; about 20 s at scale 1) and read
    back for every other caller, so each has its own copy to change."""
    from smw_demo.generator import simulate

    def at(scale: float) -> object:
        return once_per_session(
            tmp_path_factory, f"simulation-{scale:g}", lambda _folder: simulate(2021, scale)
        )

    return at


@pytest.fixture(scope="session")
def salford_alone(tmp_path_factory: pytest.TempPathFactory) -> Callable[[float], tuple]:
    """``salford_alone(scale)``: ``(people, simulation)`` of Salford's treatment simulated on its
    own (``smw_demo.salford.simulate_salford``, seed 2021, a new person registry), made once
    in the session like :func:`simulation`; each caller gets its own copy of both."""
    from smw_demo.codes import load_code_lists
    from smw_demo.people import PersonRegistry
    from smw_demo.salford import simulate_salford

    def make(scale: float) -> tuple:
        people = PersonRegistry()
        return people, simulate_salford(2021, scale, people, load_code_lists())

    def at(scale: float) -> tuple:
        return once_per_session(tmp_path_factory, f"salford-{scale:g}", lambda _f: make(scale))

    return at


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> DemoBuild:
    # built once for the session (both xdist workers); each worker works on its own copy
    manifest, summary = once_per_session(tmp_path_factory, "demo", _build_demo)
    built = _session_folder(tmp_path_factory, "demo")
    root = tmp_path_factory.mktemp("demo")
    for name in ("landing", "sent", "home"):  # a second or so; modes and relative links kept
        shutil.copytree(built / name, root / name, symlinks=True)
    # the summary names the folders it built in; this worker's copy is where the tests look
    summary.home, summary.landing = str(root / "home"), str(root / "landing")
    return DemoBuild(
        root, root / "landing", Home.at(root / "home"), root / "sent", manifest, summary
    )


#: models kept by marker (smw.person_incremental_config, fct_row_problems, the windows of
#: fct_indicator_counts_periods): after incremental builds, each must equal what a full refresh
#: computes from the same warehouse
KEPT_BY_MARKER = {
    "int_person_records_unioned": "intermediate",
    "int_people_linked": "intermediate",
    "int_treatment_journeys_chained": "intermediate",
    "int_ims_client_periods": "intermediate",
    "int_treatment_person_periods_summarised": "intermediate",
    "int_treatment_person_periods": "intermediate",
    "fct_row_problems": "marts",
    "fct_indicator_counts_periods": "marts",
}


#: Columns that record which build wrote a row, not what it computes: a full refresh writes them
#: as a first build does (the kept tables' marker; int_person_records_tracked's record of the
#: version a build replaced and the date from which that changed the periods).
BUILD_HISTORY_COLUMNS = {
    "_through_load_id",
    "_since_load_id",
    "previous_person_id",
    "changed_from_date",
}


def full_refresh_differences(
    warehouse: Path, tmp_path: Path, *, everything: bool = False
) -> dict[str, tuple[int, int]]:
    """Rebuild models from scratch on a copy of the warehouse (dbt run --full-refresh) and
    count, per table, the rows only in the incremental warehouse and only in the rebuilt one
    (the :data:`BUILD_HISTORY_COLUMNS` aside). The models kept by marker, or with
    ``everything`` every model, compared table by table over the intermediate, marts and
    serving schemas."""
    import duckdb

    selection = ("--select", *KEPT_BY_MARKER) if not everything else ()
    run, copy, _ = dbt_on_copy(warehouse, tmp_path, "run", "--full-refresh", *selection)
    assert run.returncode == 0, run.stdout[-3000:]
    con = duckdb.connect()
    try:
        con.execute(f"attach '{warehouse}' as kept (read_only)")
        con.execute(f"attach '{copy}' as rebuilt (read_only)")
        tables = [f"{schema}.{model}" for model, schema in KEPT_BY_MARKER.items()]
        if everything:
            tables = [
                f"{schema}.{name}"
                for schema, name in con.execute(
                    "select table_schema, table_name from information_schema.tables "
                    "where table_catalog = 'rebuilt' and table_type = 'BASE TABLE' "
                    "and table_schema in ('intermediate', 'marts', 'serving') order by all"
                ).fetchall()
            ]
        found = {}
        for table in tables:
            columns = [
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns where table_catalog = "
                    "'rebuilt' and table_schema || '.' || table_name = ? order by ordinal_position",
                    [table],
                ).fetchall()
                if r[0] not in BUILD_HISTORY_COLUMNS
            ]
            both = f"(select {', '.join(map(quote, columns))} from {{}}.{table})"
            kept, rebuilt = both.format("kept"), both.format("rebuilt")
            only_kept = con.sql(f"select count(*) from ({kept} except all {rebuilt})")
            only_rebuilt = con.sql(f"select count(*) from ({rebuilt} except all {kept})")
            found[table.split(".", 1)[1]] = (
                only_kept.fetchall()[0][0],
                only_rebuilt.fetchall()[0][0],
            )
        return found
    finally:
        con.close()


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
