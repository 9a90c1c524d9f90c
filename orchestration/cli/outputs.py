"""The commands that write or serve outputs: ``smw report``, ``bench`` and ``dagster-dev``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from orchestration.lib.exit_codes import Exit
from orchestration.lib.paths import Home


def cmd_report(args: argparse.Namespace) -> int:
    """Write the area profile reports (HTML, and PDF where Chromium can print) from serving.duckdb."""
    from orchestration.lib.reports import generate_reports
    from orchestration.lib.reports.data import ServingDataError

    home = Home.at(args.home)
    out = Path(args.out) if args.out else home.reports_dir
    try:
        index = generate_reports(
            home.serving_db,
            out,
            areas=args.area or None,
            period=args.period,
            pdf=not args.no_pdf,
        )
    except (ServingDataError, ValueError) as e:
        print(f"smw report: {e}", file=sys.stderr)
        return Exit.USAGE
    areas = len({p.area_code for p in index.pages})
    plural = "s" if areas != 1 else ""
    print(f"Reports    {len(index.pages)} pages for {areas} area{plural} in {index.out_dir}")
    for report, period in index.periods.items():
        print(f"           {report}: {period}")
    if index.pdfs:
        print(f"PDFs       {len(index.pdfs)} written beside the pages")
    elif index.pdf_note:
        print(f"PDFs       {index.pdf_note}")
    for note in index.skipped:
        print(f"Skipped    {note}")
    print(f"Index      {index.index_html}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Floor, full and incremental build, PostgreSQL peer, serving latency and memory."""
    from smw_bench import run_bench
    from smw_bench.postgres import PostgresUnavailable

    try:
        scales = [float(s) for s in args.scale.split(",") if s.strip()]
    except ValueError:
        print(f"smw bench: --scale takes numbers separated by commas, not {args.scale!r}")
        return Exit.USAGE
    out = Path(args.out)
    # SIGTERM unwinds like Ctrl-C, so the throwaway PostgreSQL server is stopped and deleted
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        report = run_bench(
            scales,
            out,
            seed=args.seed,
            postgres=not args.no_postgres,
            incremental=not args.no_incremental,
            spark=not args.no_spark,
            keep=args.keep,
            progress=lambda msg: print(f"  bench   {msg}", flush=True),
        )
    except PostgresUnavailable as e:
        print(f"smw bench: {e} (or run with --no-postgres)", file=sys.stderr)
        return Exit.USAGE
    except RuntimeError as e:
        print(f"smw bench: {e}", file=sys.stderr)
        return Exit.FAILED
    print()
    print((out / "bench.md").read_text())
    print(f"Results    {out / 'bench.json'} and {out / 'bench.md'}")
    missed = [
        f"scale {s['scale']:g}: {t['target']} ({t['value']})"
        for s in report["scales"]
        for t in s["targets"].values()
        if t["met"] is False
    ]
    for m in missed:
        print(f"Not met    {m}")
    return 0


def cmd_dagster_dev(args: argparse.Namespace) -> int:
    """The Dagster UI and daemon on the home's persistent instance (every build's runs)."""
    from orchestration.lib.dagster_instance import ensure_dagster_home

    home = Home.at(args.home)
    env = dict(
        os.environ,
        SMW_HOME=str(home.root),
        SMW_LANDING=str(Path(args.landing).resolve()),
        DAGSTER_HOME=str(ensure_dagster_home(home)),
    )
    exe = Path(sys.executable).parent / "dagster"
    argv = [str(exe), "dev", "-m", "orchestration.definitions", "--port", str(args.port)]
    if args.host:
        argv += ["--host", args.host]
    print(
        f"Dagster UI on http://{args.host or 'localhost'}:{args.port}, instance {env['DAGSTER_HOME']}"
    )
    sys.stdout.flush()
    os.execve(str(exe), argv, env)
    return 0  # pragma: no cover
