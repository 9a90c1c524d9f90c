"""``smw``: the command line. ``smw build`` runs the Dagster job of ``orchestration.definitions``
in-process: one definition of the pipeline, whether started here, by the schedule, the sensor
or from the Dagster UI.

The parser and ``main`` are here; the commands are in ``build``, ``warehouse`` and
``outputs``, the build runner in ``orchestration.lib.build_runner`` and the status readings in
``orchestration.lib.status``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from orchestration.cli.build import (
    _calibrate,
    _ever_landed,
    _failed_build_code,
    _has_extracts,
    cmd_build,
    cmd_calibrate,
    cmd_demo,
    cmd_generate,
)
from orchestration.cli.outputs import cmd_bench, cmd_dagster_dev, cmd_report
from orchestration.cli.warehouse import (
    cmd_publish,
    cmd_query,
    cmd_rekey,
    cmd_rollback,
    cmd_status,
    cmd_verify,
)
from orchestration.lib.build_runner import BuildSummary, print_summary, run_build
from orchestration.lib.exit_codes import Exit, disk_full_message, is_disk_full
from orchestration.lib.paths import DEFAULT_HOME, DEFAULT_LANDING
from orchestration.lib.pseudonym import LinkageKeyError
from orchestration.lib.status import (
    _dagster_status,
    _landing_status,
    _published_periods,
    _published_status,
)

log = logging.getLogger("smw")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="smw", description="Substance Misuse Intelligence Warehouse")
    p.add_argument("-v", "--verbose", action="store_true", help="show pipeline logs")
    sub = p.add_subparsers(dest="command", required=True)

    def command(
        name: str, help: str, func: Callable[[argparse.Namespace], Any], *, home: bool = True
    ) -> argparse.ArgumentParser:
        """A subcommand running ``func``; ``home``: with ``--home`` (the warehouse home)."""
        sp = sub.add_parser(name, help=help)
        sp.set_defaults(func=func)
        if home:
            sp.add_argument("--home", default=str(DEFAULT_HOME))
        return sp

    def paths(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--home", default=str(DEFAULT_HOME), help="warehouse home folder (default ./warehouse)"
        )
        sp.add_argument(
            "--landing", default=str(DEFAULT_LANDING), help="landing folder (default ./landing)"
        )

    def flag(sp: argparse.ArgumentParser, name: str, help: str) -> None:
        sp.add_argument(name, action="store_true", help=help)

    def wait(sp: argparse.ArgumentParser, help: str = "wait for a running build") -> None:
        sp.add_argument("--wait", type=float, default=0.0, metavar="SECONDS", help=help)

    g = command("generate", "write demo extracts for every source", cmd_generate, home=False)
    g.add_argument("--out", required=True)
    g.add_argument("--scale", type=float, default=1.0)
    g.add_argument("--seed", type=int, default=2021)
    flag(g, "--if-empty", "do nothing if the folder already holds extracts")

    b = command("build", "land new files, build, validate, publish", cmd_build, home=False)
    paths(b)
    flag(b, "--strict", "exit non-zero (3) when any file was quarantined")
    flag(
        b, "--full-refresh", "rebuild every dbt model from scratch (what the monthly schedule does)"
    )
    wait(b, "if another build is running, wait this long for it (default: exit 4 at once)")
    b.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        help="where dbt builds: duckdb (default) or spark (local mode unless profiles.yml "
        "points the spark target at a cluster); default from SMW_DBT_TARGET",
    )
    flag(
        b, "--no-reports", "publish without writing the area reports (smw report writes them later)"
    )

    d = command(
        "demo",
        "generate demo extracts if the landing folder is empty, then build",
        cmd_demo,
        home=False,
    )
    paths(d)
    d.add_argument("--scale", type=float, default=1.0)
    d.add_argument("--seed", type=int, default=2021)

    command("status", "last run, what is published and when", cmd_status)
    command("rollback", "put the previous published serving database back", cmd_rollback)

    v = command(
        "verify",
        "reconcile archive, audit.loads, raw and serving (exit 1 on a discrepancy)",
        cmd_verify,
    )
    flag(v, "--reland", "land again the archived files raw does not hold (under the build lock)")

    cal = command(
        "calibrate",
        "the published numbers against the seed reports' own figures (exit 1 when one is "
        "outside its tolerance)",
        cmd_calibrate,
    )
    cal.add_argument(
        "--landing",
        default=str(DEFAULT_LANDING),
        help="where the demo was generated: its manifest gives the scale (default ./landing)",
    )
    cal.add_argument(
        "--scale", type=float, default=None, help="the demo's scale, instead of the manifest's"
    )
    cal.add_argument(
        "--figures", default=None, help="another figures file (default: the project's own)"
    )

    rk = command(
        "rekey",
        "re-pseudonymise everyone from the archive with a new linkage key (one transaction)",
        cmd_rekey,
    )
    rk.add_argument(
        "--new-key-file",
        metavar="PATH",
        help="the new key: a file holding it (owner-only, at least 32 characters); "
        "default SMW_LINKAGE_KEY",
    )
    flag(rk, "--generate-key", "the new key: a new random one")
    flag(rk, "--yes", "do not ask for confirmation")
    flag(
        rk, "--dry-run", "re-read every archived file and re-derive every pseudonym, then roll back"
    )
    wait(rk)

    pb = command(
        "publish",
        "load what is published now (serving.duckdb) into a PostgreSQL schema for BI tools",
        cmd_publish,
    )
    pb.add_argument(
        "--postgres",
        metavar="URL",
        help="postgresql://user:password@host:5432/dbname (default SMW_POSTGRES_URL)",
    )
    pb.add_argument(
        "--schema", help="the PostgreSQL schema (default SMW_POSTGRES_SCHEMA or serving)"
    )
    wait(pb)

    q = command(
        "query",
        "run one read-only SQL query on serving.duckdb (or the restricted warehouse)",
        cmd_query,
    )
    q.add_argument("sql", help='the SQL to run, e.g. "select * from rpt_nsp_activity limit 5"')
    flag(q, "--restricted", "query the restricted warehouse (only while no build runs)")
    flag(
        q,
        "--csv",
        "write CSV to stdout instead of a table; text that a spreadsheet would run as a "
        "formula (starting =, +, -, @, tab, CR) gets a leading ' (numbers stay numbers)",
    )
    flag(q, "--raw", "with --csv: write every value exactly as it is")
    q.add_argument("--max-rows", type=int, default=40)

    rp = command(
        "report", "write the area profile reports (HTML and PDF) from serving.duckdb", cmd_report
    )
    rp.add_argument(
        "--area",
        action="append",
        metavar="CODE",
        help="only this area (repeatable; default every local authority and the region)",
    )
    rp.add_argument("--period", metavar="YYYY-YY", help="financial year (default: the latest)")
    rp.add_argument("--out", metavar="DIR", help="output folder (default <home>/reports)")
    flag(rp, "--no-pdf", "HTML only, even if Chromium is here")

    bn = command(
        "bench",
        "benchmark: floor, full and incremental build, PostgreSQL peer, serving, memory",
        cmd_bench,
        home=False,
    )
    bn.add_argument(
        "--scale", default="1", help="demo scales, comma-separated (default 1; e.g. 1,10)"
    )
    bn.add_argument(
        "--out", default="bench-results", help="output folder (default ./bench-results)"
    )
    bn.add_argument("--seed", type=int, default=2021)
    flag(bn, "--no-postgres", "skip the PostgreSQL peer")
    flag(bn, "--no-spark", "skip the Spark (local mode) build")
    flag(bn, "--no-incremental", "skip the incremental build (two builds)")
    flag(bn, "--keep", "keep the built warehouses under --out (large)")

    dd = command(
        "dagster-dev", "open the Dagster UI on the same definitions", cmd_dagster_dev, home=False
    )
    paths(dd)
    dd.add_argument("--port", type=int, default=3000, help="the UI's port (default 3000)")
    dd.add_argument("--host", help="the address to listen on (default localhost)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        result: Any = args.func(args)
    except OSError as e:
        if not is_disk_full(e):
            raise
        print(disk_full_message(args.command, Path(getattr(args, "home", ".")), e.filename))
        return Exit.DISK_FULL
    except LinkageKeyError as e:
        print(f"smw {args.command}: {e}", file=sys.stderr)
        return Exit.KEY_MISMATCH
    return int(result or 0)


# What ``orchestration.cli`` has always offered (tests and scripts import these from here).
__all__ = [
    "BuildSummary",
    "_calibrate",
    "_dagster_status",
    "_ever_landed",
    "_failed_build_code",
    "_has_extracts",
    "_landing_status",
    "_published_periods",
    "_published_status",
    "cmd_bench",
    "cmd_build",
    "cmd_calibrate",
    "cmd_dagster_dev",
    "cmd_demo",
    "cmd_generate",
    "cmd_publish",
    "cmd_query",
    "cmd_rekey",
    "cmd_report",
    "cmd_rollback",
    "cmd_status",
    "cmd_verify",
    "main",
    "parser",
    "print_summary",
    "run_build",
]
