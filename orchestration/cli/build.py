"""The commands that make a build: ``smw generate``, ``build``, ``demo`` and ``calibrate``."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from orchestration.lib.build_runner import BuildSummary, print_summary, run_build
from orchestration.lib.exit_codes import Exit, disk_full_message, is_disk_full
from orchestration.lib.paths import Home


def cmd_generate(args: argparse.Namespace) -> int:
    from smw_demo import generate

    out = Path(args.out)
    if args.if_empty and _has_extracts(out):
        print(f"{out} already holds extract files: not generating")
        return 0
    manifest = generate(out, scale=args.scale, seed=args.seed)
    d = manifest.to_dict()
    files = d.get("files") or d.get("sources") or {}
    print(
        f"generated demo extracts in {out} (scale {args.scale}, seed {args.seed}); manifest {out / '.demo-manifest.json'}"
    )
    if isinstance(files, dict):
        print(f"  {len(files)} sources")
    return 0


def _has_extracts(landing: Path) -> bool:
    from orchestration.lib.landing import discover

    files, _ = discover(landing)
    return bool(files)


def cmd_build(args: argparse.Namespace) -> int:
    from orchestration.lib.runlock import BuildLockedError

    try:
        summary = run_build(
            Path(args.home),
            Path(args.landing),
            verbose=args.verbose,
            full_refresh=getattr(args, "full_refresh", False),
            wait_seconds=getattr(args, "wait", 0.0),
            engine=getattr(args, "engine", None),
            reports=not getattr(args, "no_reports", False),
        )
    except BuildLockedError as e:
        print(f"smw build: {e}; not starting a second one (use --wait SECONDS to queue)")
        return Exit.BUSY
    print_summary(summary)
    if not summary.success:
        return _failed_build_code(summary)
    if args.strict and summary.files.get("quarantined", 0):
        return Exit.QUARANTINED
    return Exit.OK


def _failed_build_code(summary: BuildSummary) -> Exit:
    """The exit code of a failed build: a linkage key that is not the warehouse's, a full disk
    (with one line naming where and how much to free), or any other failure."""
    if any(kind in ("LinkageKeyMismatch", "LinkageKeyError") for kind in summary.failure_kinds):
        return Exit.KEY_MISMATCH
    texts = [*summary.failures, summary.failure_message]
    full = next((t for t in texts if is_disk_full(t)), None)
    if full is not None:
        found = re.search(r"No space left on device: '([^']+)'", full)
        print(disk_full_message("build", Path(summary.home), found.group(1) if found else None))
        return Exit.DISK_FULL
    return Exit.FAILED


def cmd_demo(args: argparse.Namespace) -> int:
    """Generate demo extracts if nothing waits and nothing was ever landed, then build."""
    landing, home = Path(args.landing), Home.at(args.home)
    if not _has_extracts(landing) and not _ever_landed(home):
        from smw_demo import generate

        print(
            f"landing folder {landing} is empty: generating demo extracts (scale {args.scale}) ..."
        )
        generate(landing, scale=args.scale, seed=args.seed)
    code = cmd_build(
        argparse.Namespace(home=args.home, landing=args.landing, strict=False, verbose=args.verbose)
    )
    if code == Exit.OK:
        # The demo's numbers beside the seed reports' own figures; informative here (smw
        # calibrate is the command whose exit code holds the line).
        _calibrate(home, landing, None, None, quiet=True)
    return code


def _calibrate(
    home: Home, landing: Path, scale: float | None, figures_file: str | None, quiet: bool = False
) -> int:
    from orchestration.lib.calibration import (
        FIGURES_PATH,
        CalibrationError,
        calibrate,
        demo_scale,
        load_figures,
        write_outputs,
    )
    from orchestration.lib.outputs import write_outputs_index

    where = "the --scale option"
    if scale is None:
        scale = demo_scale(landing)
        where = f"{landing / '.demo-manifest.json'}"
    if scale is None:
        scale, where = 1.0, f"no demo manifest in {landing}: assumed"
    try:
        figures = load_figures(Path(figures_file) if figures_file else FIGURES_PATH)
        summary = calibrate(home.serving_db, figures, scale)
    except CalibrationError as e:
        print(f"smw calibrate: {e}", file=sys.stderr)
        return Exit.USAGE
    page, md = write_outputs(summary, home.root)
    write_outputs_index(home)
    totals = summary.totals
    compared = totals["within"] + totals["outside"] + totals["missing"]
    small = f", {totals['too_small']} withheld at this scale" if totals["too_small"] else ""
    print(
        f"calibration (scale {scale:g}, from {where}): {totals['within']} of {compared} "
        f"figures compared are within tolerance{small}; {totals['not_in_demo']} not in the demo yet, "
        f"{totals['not_calibrated']} not calibrated yet, "
        f"{totals['not_reproducible']} not reproducible, {totals['out_of_scope']} out of scope "
        f"({len(summary.outcomes)} figures, {summary.measures} measures)"
    )
    print(f"  page {page}\n  table {md}")
    if not quiet:
        for o in summary.failures:
            f = o.figure
            print(
                f"  {o.verdict.upper()} {f.figure_id} (line {f.line}): published {f.published:g}, "
                f"smw {'-' if o.smw is None else format(o.smw, '.4g')}"
                + (f" ({o.detail})" if o.detail else "")
            )
    return Exit.FAILED if summary.failures else Exit.OK


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Compare serving with the seed reports' published figures; exit 1 when a figure is
    outside its tolerance or missing from serving."""
    scale = args.scale
    if scale is not None and scale <= 0:
        print("smw calibrate: --scale must be above 0", file=sys.stderr)
        return Exit.USAGE
    return _calibrate(Home.at(args.home), Path(args.landing), scale, args.figures)


def _ever_landed(home: Home) -> bool:
    return home.archive_dir.exists() and any(home.archive_dir.rglob("*.csv*"))
