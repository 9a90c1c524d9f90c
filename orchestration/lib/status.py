"""What ``smw status`` reports beside the last run: landing per source (files, rows, rejects,
row problems, newest data), what is published and which periods, and the Dagster instance."""

from __future__ import annotations

from orchestration.lib.paths import Home
from orchestration.lib.sql_parsing import parse_date_sql


def _dagster_status(h: Home) -> str:
    """The persistent Dagster instance: runs, schedules and sensors on or off, the daemon."""
    from orchestration.lib.dagster_instance import describe_status, instance_status

    try:
        return describe_status(h, instance_status(h))
    except Exception as e:  # noqa: BLE001 - status reports, it never fails on this
        return f"Dagster    cannot read {h.dagster_dir}: {str(e).splitlines()[0]}"


def _landing_status(h: Home) -> str:
    """Per source: files landed, duplicates, rejected, rows, row problems and newest data."""
    import duckdb

    from orchestration.lib import spec

    if not h.warehouse_db.exists():
        return "Landed     nothing yet"
    try:
        con = duckdb.connect(str(h.warehouse_db), read_only=True)
    except duckdb.Error as e:  # a build holds the write lock
        return f"Landed     (the warehouse is busy, try again when the build ends: {str(e).splitlines()[0]})"
    try:
        tables = {
            f"{schema}.{name}"
            for schema, name in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        if "audit.loads" not in tables:
            return "Landed     nothing yet"
        files = {
            (source, status): (n, last)
            for source, status, n, last in con.execute(
                "select source, status, count(*), max(landed_at) from audit.loads group by all"
            ).fetchall()
        }
        has_problems = "marts.fct_row_problems" in tables
        problems = (
            dict(
                con.execute(
                    "select source_name, count(*) from marts.fct_row_problems group by all"
                ).fetchall()
            )
            if has_problems
            else {}
        )
        rows_out = []
        for src in spec.SOURCES:
            rows = newest = None
            if f"raw.{src.name}" in tables:
                rows = con.execute(f"select count(*) from raw.{src.name}").fetchone()[0]
                if src.date_column:
                    newest = con.execute(
                        f"select max(d) from (select {parse_date_sql(src.date_column)} as d "
                        f"from raw.{src.name}) where d <= current_date"
                    ).fetchone()[0]
                elif {"period", "year"} & set(src.column_names):  # reference data
                    col = "period" if "period" in src.column_names else "year"
                    latest = con.execute(
                        f"select max(trim({col})) from raw.{src.name} "
                        f"where regexp_full_match(trim({col}), '[0-9]{{4}}(-[0-9]{{2}})?')"
                    ).fetchone()[0]
                    newest = f"{col} {latest}" if latest else None
            loaded, last = files.get((src.name, "loaded"), (0, None))
            if isinstance(newest, str):
                newest_text = newest
            elif newest is not None:
                newest_text = f"{newest:%Y-%m-%d}"
            elif last is not None:
                newest_text = f"no event date; last file {last:%Y-%m-%d}"
            else:
                newest_text = "-"
            rows_out.append(
                (
                    src.name,
                    f"{loaded:,}",
                    f"{files.get((src.name, 'duplicate'), (0, None))[0]:,}",
                    f"{files.get((src.name, 'quarantined'), (0, None))[0]:,}",
                    f"{rows or 0:,}",
                    f"{problems.get(src.name, 0):,}" if has_problems else "not built",
                    newest_text,
                )
            )
        rejected = con.execute(
            "select source, file_name, error, stored_at from audit.loads "
            "where status = 'quarantined' order by load_id desc limit 10"
        ).fetchall()
        n_rejected = sum(n for (_, status), (n, _) in files.items() if status == "quarantined")
    finally:
        con.close()
    head = ("source", "landed", "duplicate", "rejected", "rows", "row problems", "newest data")
    widths = [max(len(r[i]) for r in [head, *rows_out]) for i in range(len(head))]

    def line(r: tuple[str, ...]) -> str:
        cells = [r[0].ljust(widths[0])] + [r[i].rjust(widths[i]) for i in range(1, 6)]
        return "  " + "  ".join([*cells, r[6]])

    out = [f"Landed     {h.warehouse_db} (files per source; rows as landed, every version)"]
    out += [line(head), *(line(r) for r in rows_out)]
    if has_problems:
        out.append("  row problems: marts.fct_row_problems (latest version of each record)")
    else:
        out.append("  row problems: not built yet (run smw build)")
    if rejected:
        out.append(f"Rejected   {n_rejected} file(s) in {h.quarantine_dir}, latest first:")
        out += [f"  {s}/{f}: {e}" for s, f, e, _ in rejected]
        if n_rejected > len(rejected):
            out.append(f"  ... and {n_rejected - len(rejected)} more (audit.loads)")
    from orchestration.lib.landing import read_notes

    notes = read_notes(h) or {}
    for label, lines in (("Waiting", notes.get("waiting")), ("Warning", notes.get("warnings"))):
        if lines:
            out.append(f"{label:<10} at the last landing ({notes.get('at', '?')}):")
            out += [f"  {line}" for line in lines]
    return "\n".join(out)


def _published_status(h: Home) -> str:
    import duckdb

    from orchestration.lib.exports import serving_damage

    if not h.serving_db.exists():
        return "Published  nothing yet"
    damage = serving_damage(h.serving_db)
    if damage:
        previous = h.previous_serving_db
        fix = (
            f"smw rollback puts the previous version back ({previous.name})"
            if previous.exists() and not serving_damage(previous)
            else "there is no readable previous version: the next smw build publishes a new one"
        )
        return f"Published  {h.serving_db} is DAMAGED and cannot be read ({damage}); {fix}"
    con = duckdb.connect(str(h.serving_db), read_only=True)
    try:
        rows = con.execute(
            "select table_name, row_count, published_at from _publication order by table_name"
        ).fetchall()
        periods = _published_periods(con)
    finally:
        con.close()
    lines = [f"Published  {h.serving_db}"]
    lines += [f"  {t}: {n:,} rows (published {p:%Y-%m-%d %H:%M} UTC)" for t, n, p in rows]
    return "\n".join(lines + periods)


def _published_periods(con) -> list[str]:
    """The periods published (whole years, quarters, rolling twelve months) and which year is
    only year to date, for which indicators, and to when: a part-year is never passed off as a
    whole one."""
    columns = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_name = 'rpt_indicator_values'"
        ).fetchall()
    }
    if "period_type" not in columns:
        return []
    lines = ["Periods"]
    for period_type, first, last, n in con.execute(
        "select period_type, min(period), max(period), count(distinct period) from rpt_indicator_values "
        "where period_type <> 'ytd' group by period_type order by period_type"
    ).fetchall():
        lines.append(f"  {period_type}: {n} periods, {first} to {last}")
    for period, data_to, codes in con.execute(
        "select period, cast(data_to as varchar), string_agg(distinct indicator_code, ', ' order by indicator_code) "
        "from rpt_indicator_values where period_type = 'ytd' group by period, data_to order by period, data_to"
    ).fetchall():
        lines.append(f"  {period} is year to date (provisional), data to {data_to}: {codes}")
    return lines
