"""The commands on a home's warehouse and serving database: ``smw status``, ``rollback``,
``verify``, ``rekey``, ``publish`` and ``query``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from pathlib import Path

from orchestration.lib.exit_codes import Exit
from orchestration.lib.paths import Home
from orchestration.lib.pseudonym import LinkageKeyError
from orchestration.lib.status import (
    _dagster_status,
    _landing_status,
    _published_status,
)


def cmd_status(args: argparse.Namespace) -> int:
    """Last run, landing per source (files, rows, rejects, row problems, newest data), and
    what is published and when."""
    from orchestration.lib.runlock import describe_holder, running_build

    h = Home.at(args.home)
    last = h.state_dir / "last_run.json"
    running = running_build(h) if h.state_dir.exists() else None
    if running is not None:
        print(f"Running    a build is in progress now: {describe_holder(running)}")
    if not last.exists() and not h.warehouse_db.exists():
        print(f"no build has run in {h.root} yet")
        return Exit.FAILED
    ok = True
    if last.exists():
        s = json.loads(last.read_text())
        ok = bool(s["success"])
        print(
            f"Last run   {s['run_id'][:8]} at {s['started_at']}: {'succeeded' if ok else 'FAILED'}"
        )
        for c in s.get("checks_failed", []):
            print(f"  blocking failure: {c}")
        for f in s.get("failures", []):
            print(f"  failure: {f}")
    else:
        print(f"Last run   none recorded in {h.root} (files were landed without a build)")
    from orchestration.lib.rekey import full_refresh_required

    pending = full_refresh_required(h)
    if pending is not None:
        print(
            f"Next build rebuilds every model from scratch: {pending.get('reason', 'required')}"
            f"{' (since ' + pending['at'] + ')' if pending.get('at') else ''}"
        )
    print(_landing_status(h))
    print(_published_status(h))
    print(_dagster_status(h))
    return Exit.OK if ok else Exit.FAILED


def cmd_rollback(args: argparse.Namespace) -> int:
    from orchestration.lib.publish import PublishError, rollback
    from orchestration.lib.runlock import BuildLockedError
    from orchestration.lib.runlog import published_version

    home = Home.at(args.home)
    try:
        path = rollback(home)
    except (PublishError, BuildLockedError) as e:
        print(f"smw rollback: {e}", file=sys.stderr)
        return Exit.FAILED
    now = published_version(home) or {}
    print(
        f"rolled back: {path} now holds run {str(now.get('run_id', '?'))[:8]} "
        f"(published {now.get('published_at', '?')}); the version it replaced is "
        f"{home.previous_serving_db.name} (smw rollback again to undo); exports follow"
    )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Reconcile archive, audit.loads, raw and serving; exit 1 on a discrepancy (after
    ``--reland``, on one that remains)."""
    from orchestration.lib import verify
    from orchestration.lib.runlock import BuildLockedError, writer_lock

    home = Home.at(args.home)
    report = verify.verify(home)
    print(verify.format_report(report))
    if args.reland and any(f.reland for f in report.findings):
        from orchestration.defs.resources import _holds_people
        from orchestration.lib.pseudonym import load_key

        try:
            with writer_lock(home, command="smw verify --reland"):
                key = load_key(home.key_file, may_create=not _holds_people(home))
                done = verify.reland(home, key, f"verify-{uuid.uuid4()}", report)
        except BuildLockedError as e:
            print(f"smw verify: {e}; not re-landing while it runs", file=sys.stderr)
            return Exit.BUSY
        for line in done:
            print(f"relanded {line}")
        report = verify.verify(home)
        print(verify.format_report(report))
    elif any(f.reland for f in report.findings):
        print("         smw verify --reland lands the archived files raw does not hold")
    return Exit.OK if report.clean else Exit.FAILED


def cmd_rekey(args: argparse.Namespace) -> int:
    """Re-pseudonymise every person in the warehouse with a new linkage key, from the archive,
    in one transaction; the new key file replaces the old one only after the commit."""

    from orchestration.lib import rekey
    from orchestration.lib.pseudonym import (
        KEY_ENV,
        LinkageKey,
        load_key,
        new_key_value,
        read_key_file,
    )
    from orchestration.lib.runlock import (
        BuildLockedError,
        WarehouseInUseError,
        wait_until_writable,
        writer_lock,
    )

    home = Home.at(args.home)
    in_env = os.environ.get(KEY_ENV) is not None
    chosen = [
        flag
        for flag, on in (
            ("--new-key-file", args.new_key_file),
            ("--generate-key", args.generate_key),
        )
        if on
    ]
    if in_env and chosen:
        print(
            f"smw rekey: {KEY_ENV} is set, and it would override the new key given by "
            f"{chosen[0]} in every build; unset {KEY_ENV}, or put the new key in it and leave "
            f"out {chosen[0]}",
            file=sys.stderr,
        )
        return Exit.USAGE
    if len(chosen) > 1:
        print("smw rekey: give --new-key-file or --generate-key, not both", file=sys.stderr)
        return Exit.USAGE
    try:
        if args.new_key_file:
            new_key = read_key_file(Path(args.new_key_file))
        elif args.generate_key:
            new_key = LinkageKey(new_key_value().encode(), "generated")
        elif in_env:
            new_key = load_key(home.key_file, may_create=False)  # the environment's value
        else:
            print(
                f"smw rekey: which new key? Set {KEY_ENV} to it, or give --new-key-file PATH "
                "(owner-only, at least 32 characters) or --generate-key",
                file=sys.stderr,
            )
            return Exit.USAGE
    except (LinkageKeyError, OSError) as e:
        print(f"smw rekey: the new key cannot be used: {e}", file=sys.stderr)
        return Exit.USAGE
    # A key only in the environment stays there: the key file is replaced only where one is.
    write_file = not in_env or home.key_file.exists()
    if not args.dry_run and not args.yes:
        question = (
            f"Re-pseudonymise every person in {home.warehouse_db} with the key "
            f"{new_key.fingerprint} ({new_key.origin}); the old key will no longer work. "
            "Type yes to go on: "
        )
        if not sys.stdin.isatty():
            print("smw rekey: add --yes to re-key without a question", file=sys.stderr)
            return Exit.USAGE
        if input(question).strip().lower() != "yes":
            print("smw rekey: nothing changed")
            return Exit.USAGE
    try:
        with writer_lock(home, command="smw rekey", wait_seconds=args.wait):
            if home.warehouse_db.exists():
                wait_until_writable(home.warehouse_db, wait_seconds=args.wait)
            result = rekey.rekey(home, new_key, dry_run=args.dry_run, write_key_file=write_file)
    except BuildLockedError as e:
        print(f"smw rekey: {e}; not re-keying while it runs (use --wait SECONDS)", file=sys.stderr)
        return Exit.BUSY
    except WarehouseInUseError as e:
        print(f"smw rekey: {e}", file=sys.stderr)
        return Exit.BUSY
    except rekey.RekeyError as e:
        print(f"smw rekey: {e}", file=sys.stderr)
        nothing_to_do = "nothing to re-key" in str(e)
        return Exit.USAGE if nothing_to_do else Exit.ARCHIVE_INCOMPLETE
    what = "would re-pseudonymise" if args.dry_run else "re-pseudonymised"
    print(
        f"{what} {result.rows:,} rows of {result.files:,} archived files: key fingerprint "
        f"{result.old_fingerprint} -> {result.new_fingerprint}"
    )
    if args.dry_run:
        print("dry run: nothing changed (the transaction was rolled back)")
    elif result.key_file is not None:
        print(
            f"the new key is in {result.key_file} (mode 600): back it up now; "
            "the next build rebuilds every model (--full-refresh) and publishes"
        )
    else:
        print(
            f"the new key stays in {KEY_ENV} only (no key file in this home); the next build "
            "rebuilds every model (--full-refresh) and publishes"
        )
    return Exit.OK


def cmd_publish(args: argparse.Namespace) -> int:
    """Load the version published now (serving.duckdb) into a PostgreSQL schema for BI tools."""
    from orchestration.lib import postgres_serving as pg
    from orchestration.lib.runlock import BuildLockedError, writer_lock

    home = Home.at(args.home)
    url = args.postgres or pg.configured_url()
    if not url:
        print(f"smw publish: give --postgres URL or set {pg.URL_ENV}", file=sys.stderr)
        return Exit.USAGE
    if not home.serving_db.exists():
        print(
            f"smw publish: nothing is published yet in {home.root} (run smw build)", file=sys.stderr
        )
        return Exit.USAGE
    try:
        with writer_lock(home, command="smw publish", wait_seconds=args.wait):
            load = pg.load_serving(home.serving_db, url, args.schema or pg.configured_schema())
    except BuildLockedError as e:
        print(f"smw publish: {e} (use --wait SECONDS to queue)", file=sys.stderr)
        return Exit.BUSY
    except pg.PostgresServingError as e:
        print(f"smw publish: {e}", file=sys.stderr)
        return Exit.FAILED
    rows = ", ".join(f"{t} ({n:,} rows)" for t, n in load.tables.items())
    print(
        f"Published  run {load.run_id[:8]} to {load.url} schema {load.schema} in {load.seconds:.1f} s"
    )
    print(f"  {rows}")
    print(f"  read-only role: {pg.READER_ROLE} (SELECT on {load.schema} only)")
    return Exit.OK


def cmd_query(args: argparse.Namespace) -> int:
    """Run one read-only SQL query on serving.duckdb (or, with --restricted, the warehouse)."""
    import duckdb

    from orchestration.lib.readers import WarehouseBusyError, connect_restricted, connect_serving

    home = Home.at(args.home)
    try:
        con = connect_restricted(home) if args.restricted else connect_serving(home)
    except (WarehouseBusyError, FileNotFoundError) as e:
        print(f"smw query: {e}", file=sys.stderr)
        return Exit.USAGE
    try:
        rel = con.sql(args.sql)
        if rel is None:
            return 0
        if args.csv or args.raw:
            from orchestration.lib.csv_safe import write_csv

            write_csv(sys.stdout, rel.columns, rel.fetchall(), raw=args.raw)
        else:
            rel.show(max_rows=args.max_rows, max_width=200)
    except duckdb.Error as e:
        print(f"smw query: {e}", file=sys.stderr)
        return Exit.FAILED
    finally:
        con.close()
    return 0
