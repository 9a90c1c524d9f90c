"""Read the published figures file and compare each figure with serving.

A figure is compared with one serving row of ``rpt_indicator_values`` (or the sum of several: a
breakdown ``a + b`` (spaces around the plus: ``50+`` is one breakdown) adds the rows' numerators, as "63% aged between 30 and 54" adds five age bands).
Counts are compared at scale 1 (the demo's counts divided by its scale); below scale 1 each
tolerance is widened by three standard errors of what a sample of that size can show, so the
test suite's small demo is held to what it can reproduce and no more.
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import duckdb

FIGURES_PATH = Path(__file__).with_name("published_figures.csv")
ENGLAND = "E92000001"

COLUMNS = (
    "figure_id",
    "report",
    "reference",
    "measure",
    "label",
    "indicator_code",
    "area_code",
    "period",
    "breakdown_type",
    "breakdown",
    "statistic",
    "published",
    "tolerance",
    "status",
    "note",
)

#: The seed reports, in the order the page shows them.
REPORTS: dict[str, str] = {
    "IMS": "IMS overview 2020-21 (Cheshire & Merseyside)",
    "PACK": "NDTMS JSNA support pack (template; national figures)",
    "LEIC": "Leicestershire substance misuse JSNA chapter (2017-18)",
    "SEF": "Sefton DIP activity profile 2015-16",
    "SAL": "Salford DAAT adult needs assessment 2007-08",
}

#: statistic -> (serving column, compared as a count at scale 1, default tolerance, relative?)
STATISTICS: dict[str, tuple[str, bool, float, bool]] = {
    "count": ("numerator", True, 0.05, True),
    "denominator": ("denominator", True, 0.05, True),
    "share": ("value", False, 0.02, False),
    "rate": ("value", False, 0.05, True),
    "change_count": ("change_absolute", True, 0.05, True),
    "change_relative": ("change_relative", False, 0.02, False),
    "change_share": ("change_absolute", False, 0.02, False),
    "areas_falling": ("change_absolute", False, 0.0, False),
}

#: Indicators whose denominator is a resident population (reference data, never scaled): below
#: scale 1 their denominators are compared as they are and their rates divided by the scale.
POPULATION_DENOMINATOR = frozenset({"prev_rate"})

#: status -> meaning; only ``compare`` figures are checked.
STATUSES: dict[str, str] = {
    "compare": "smw publishes the measure for this area and period: it must reproduce the figure",
    "not_in_demo": "smw publishes the measure, but the demo does not cover this area or year yet",
    "not_calibrated": "the demo covers the area and year, but its generator does not reproduce "
    "the figure yet: a known gap, the note gives the demo's value at scale 1",
    "not_reproducible": "cannot be reproduced by construction",
    "out_of_scope": "smw publishes no measure for it",
}

#: verdicts of an outcome, in the order the page counts them
VERDICTS = (
    "within",
    "outside",
    "missing",
    "too_small",
    "not_in_demo",
    "not_calibrated",
    "not_reproducible",
    "out_of_scope",
)


class CalibrationError(ValueError):
    """The figures file or the serving database cannot be read as calibration needs."""


@dataclass(frozen=True)
class Figure:
    line: int
    figure_id: str
    report: str
    reference: str
    measure: str
    label: str
    indicator_code: str
    area_code: str
    period: str
    breakdown_type: str
    breakdown: str
    statistic: str
    published: float | None
    tolerance: float | None
    status: str
    note: str

    @property
    def is_count(self) -> bool:
        return STATISTICS[self.statistic][1] if self.statistic in STATISTICS else False

    @property
    def base_tolerance(self) -> float:
        if self.tolerance is not None:
            return self.tolerance
        return STATISTICS[self.statistic][2]

    @property
    def relative(self) -> bool:
        return STATISTICS[self.statistic][3]


@dataclass(frozen=True)
class Outcome:
    figure: Figure
    verdict: str
    smw: float | None = None  # at scale 1, in the figure's units
    difference: float | None = None  # relative (counts, rates) or absolute (shares)
    tolerance: float | None = None  # as applied, after any widening for the demo's scale
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict not in ("outside", "missing")


@dataclass
class Summary:
    scale: float
    outcomes: list[Outcome]
    by_report: dict[str, Counter] = field(default_factory=dict)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def totals(self) -> Counter:
        return Counter(o.verdict for o in self.outcomes)

    @property
    def measures(self) -> int:
        return len({(o.figure.report, o.figure.measure) for o in self.outcomes})


def _number(text: str, line: int, name: str, path: Path) -> float | None:
    if text.strip() == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise CalibrationError(
            f"{path.name} line {line}: field '{name}' is not a number: {text!r}"
        ) from None
    if not math.isfinite(value):
        raise CalibrationError(f"{path.name} line {line}: field '{name}' is not finite: {text!r}")
    return value


def load_figures(path: Path = FIGURES_PATH) -> list[Figure]:
    """Every figure of the file, checked: a bad row is named by line and field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CalibrationError(f"cannot read the figures file {path}: {exc.strerror}") from None
    reader = csv.DictReader(text.splitlines())
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise CalibrationError(
            f"{path.name} line 1: the columns must be {', '.join(COLUMNS)}; "
            f"found {', '.join(reader.fieldnames or [])}"
        )
    figures: list[Figure] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        values = {k: (row.get(k) or "").strip() for k in COLUMNS}

        def bad(name: str, why: str, line: int = line) -> CalibrationError:
            return CalibrationError(f"{path.name} line {line}: field '{name}' {why}")

        if row.get(None):  # type: ignore[call-overload]
            raise CalibrationError(
                f"{path.name} line {line}: more fields than the header's "
                f"{len(COLUMNS)} (a comma outside quotes?): {row[None]!r}"  # type: ignore[index]
            )
        if not values["figure_id"]:
            raise bad("figure_id", "is empty")
        if values["figure_id"] in seen:
            raise bad("figure_id", f"repeats line {seen[values['figure_id']]}'s id")
        seen[values["figure_id"]] = line
        if values["report"] not in REPORTS:
            raise bad("report", f"must be one of {', '.join(REPORTS)}: {values['report']!r}")
        if values["status"] not in STATUSES:
            raise bad("status", f"must be one of {', '.join(STATUSES)}: {values['status']!r}")
        if values["status"] != "compare" and not values["note"]:
            raise bad("note", f"is empty: a {values['status']} figure says why")
        if not values["label"]:
            raise bad("label", "is empty")
        published = _number(values["published"], line, "published", path)
        tolerance = _number(values["tolerance"], line, "tolerance", path)
        if tolerance is not None and tolerance < 0:
            raise bad("tolerance", "is negative")
        if values["status"] in ("compare", "not_in_demo", "not_calibrated"):
            for name in ("indicator_code", "area_code", "period", "breakdown_type", "breakdown"):
                if not values[name]:
                    raise bad(name, f"is empty: a {values['status']} figure names its serving row")
            if values["statistic"] not in STATISTICS:
                raise bad(
                    "statistic", f"must be one of {', '.join(STATISTICS)}: {values['statistic']!r}"
                )
            if published is None:
                raise bad("published", "is empty")
        figures.append(
            Figure(line=line, **{**values, "published": published, "tolerance": tolerance})
        )
    return figures


def demo_scale(landing: Path) -> float | None:
    """The scale the demo extracts in ``landing`` were generated at (None: not a demo)."""
    manifest = landing / ".demo-manifest.json"
    try:
        with manifest.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    scale = data.get("scale") if isinstance(data, dict) else None
    return float(scale) if isinstance(scale, int | float) and scale > 0 else None


_ROWS_SQL = """
select area_code, area_type, breakdown, numerator, denominator, value,
       change_absolute, change_relative, is_suppressed
from rpt_indicator_values
where indicator_code = ? and period = ? and breakdown_type = ?
"""


class _Row(NamedTuple):
    """One serving row, as _ROWS_SQL selects it."""

    area_code: str
    area_type: str
    breakdown: str
    numerator: float | None
    denominator: float | None
    value: float | None
    change_absolute: float | None
    change_relative: float | None
    is_suppressed: bool


def _serving_rows(con: duckdb.DuckDBPyConnection, figure: Figure) -> list[_Row]:
    return [
        _Row(*r)
        for r in con.execute(
            _ROWS_SQL, [figure.indicator_code, figure.period, figure.breakdown_type]
        ).fetchall()
    ]


def _sampling_allowance(figure: Figure, scale: float, rows: Sequence[_Row]) -> float:
    """Three standard errors of the compared number at the demo's scale (0 at scale 1, and
    for England's rows, which are reference data)."""
    if scale >= 1 or figure.area_code == ENGLAND:
        return 0.0
    stat = figure.statistic
    published = figure.published or 0.0
    if stat in ("count", "denominator"):
        expected = max(abs(published) * scale, 1.0)
        return 3.0 / math.sqrt(expected)
    if stat == "share":
        n = max(float(rows[0].denominator or 0), 1.0) if rows else 1.0
        p = min(max(published, 0.0), 1.0)
        return 3.0 * math.sqrt(max(p * (1 - p), 1.0 / n) / n)
    if stat == "change_share":
        n = max(float(rows[0].denominator or 0), 1.0) if rows else 1.0
        p = min(max(float(rows[0].value or 0.0), 0.0), 1.0) if rows else 0.5
        return 3.0 * math.sqrt(2.0 * max(p * (1 - p), 1.0 / n) / n)
    if stat == "rate" and figure.indicator_code in POPULATION_DENOMINATOR:
        return 3.0 / math.sqrt(max(float(rows[0].numerator or 0), 1.0)) if rows else math.inf
    if stat in ("change_count", "change_relative"):
        current = sum((r.numerator or 0) for r in rows)
        change = sum((r.change_absolute or 0) for r in rows)
        previous = current - change
        if current <= 0 or previous <= 0:
            return math.inf
        if stat == "change_count":
            return 3.0 * math.sqrt(current + previous) / max(abs(change), 1.0)
        return 3.0 * math.sqrt(1 / current + 1 / previous) * current / previous
    return 0.0


def _suppressed(figure: Figure, scale: float) -> Outcome:
    """Withheld by disclosure control: a failure at scale 1 (the figure cannot be shown), but
    expected of a small demo, whose counts are a fraction of the report's."""
    if scale < 1:
        return Outcome(figure, "too_small", detail=f"suppressed in serving at scale {scale:g}")
    return Outcome(figure, "missing", detail="suppressed in serving")


def _nothing_before(figure: Figure, scale: float) -> Outcome:
    """A change from a year with nothing in it, or whose figure was suppressed, has no value:
    expected of a small demo, in which a small agency's first year can be empty; a failure at
    scale 1."""
    if scale < 1:
        return Outcome(
            figure, "too_small", detail=f"the year before is empty or suppressed at scale {scale:g}"
        )
    return Outcome(figure, "missing", detail="the year before is empty or suppressed in serving")


def _compare(con: duckdb.DuckDBPyConnection, figure: Figure, scale: float) -> Outcome:
    rows = _serving_rows(con, figure)
    published = float(figure.published or 0.0)
    if figure.statistic == "areas_falling":
        local = [
            r
            for r in rows
            if r.area_type == "la"
            and r.breakdown == figure.breakdown
            and r.change_absolute is not None
        ]
        if not local:
            return Outcome(figure, "missing", detail="no local authority rows in serving")
        falling = sum(1 for r in local if r.change_absolute < 0)
        diff = falling - published
        verdict = "within" if abs(diff) <= figure.base_tolerance else "outside"
        return Outcome(
            figure, verdict, float(falling), diff, figure.base_tolerance, f"of {len(local)} areas"
        )
    wanted = [b.strip() for b in figure.breakdown.split(" + ")]
    picked = [r for r in rows if r.area_code == figure.area_code and r.breakdown in wanted]
    found = {r.breakdown for r in picked}
    missing = [b for b in wanted if b not in found]
    if missing:
        detail = f"no serving row for {', '.join(missing)}"
        if scale < 1:  # a category nobody in a small demo falls into has no row
            return Outcome(figure, "too_small", detail=f"{detail} at scale {scale:g}")
        return Outcome(figure, "missing", detail=detail)
    column, is_count, _, relative = STATISTICS[figure.statistic]
    if figure.statistic == "share" and len(picked) > 1:
        numerators = [r.numerator for r in picked]
        denominators = {r.denominator for r in picked}
        if any(n is None for n in numerators) or None in denominators:
            return _suppressed(figure, scale)
        if len(denominators) != 1:
            raise CalibrationError(
                f"{FIGURES_PATH.name} line {figure.line}: the rows of {figure.breakdown} "
                "do not share one denominator, so they cannot be added"
            )
        smw = sum(numerators) / denominators.pop()
    elif figure.statistic == "change_relative" and len(picked) > 1:
        # the change of a sum (the report's all-agency caseload): its rows' changes over their
        # previous values
        currents = [r.numerator for r in picked]
        changes = [r.change_absolute for r in picked]
        if any(v is None for v in (*currents, *changes)):
            if any(r.is_suppressed for r in picked):
                return _suppressed(figure, scale)
            return Outcome(figure, "missing", detail="change_absolute is empty in serving")
        previous = sum(currents) - sum(changes)
        if previous <= 0:
            return _nothing_before(figure, scale)
        smw = sum(changes) / previous
    else:
        values = [getattr(r, column) for r in picked]
        if any(v is None for v in values):
            if any(r.is_suppressed for r in picked):
                return _suppressed(figure, scale)
            if figure.statistic.startswith("change"):
                # a change has no value when the year before is empty or was suppressed
                return _nothing_before(figure, scale)
            return Outcome(figure, "missing", detail=f"{column} is empty in serving")
        if len(values) > 1 and figure.statistic in ("rate", "denominator"):
            raise CalibrationError(
                f"{FIGURES_PATH.name} line {figure.line}: a {figure.statistic} cannot add "
                f"several breakdowns ({figure.breakdown})"
            )
        smw = float(sum(values))
        population = figure.indicator_code in POPULATION_DENOMINATOR
        if figure.area_code == ENGLAND:
            pass  # England's rows are the national benchmarks: reference data, never scaled.
        elif population and figure.statistic == "denominator":
            pass  # a resident population: reference data, never scaled
        elif is_count or (population and figure.statistic == "rate"):
            smw /= scale
    if relative:
        if published == 0:
            diff = 0.0 if smw == 0 else math.inf
        else:
            diff = (smw - published) / abs(published)
    else:
        diff = smw - published
    tolerance = max(figure.base_tolerance, _sampling_allowance(figure, scale, picked))
    if is_count and relative and published:
        # A count is never held closer than one (12 against 11 is as close as counts get).
        tolerance = max(tolerance, 1.0 / abs(published))
    verdict = "within" if abs(diff) <= tolerance + 1e-9 else "outside"
    return Outcome(figure, verdict, smw, diff, tolerance)


def calibrate(serving_db: Path, figures: Iterable[Figure], scale: float = 1.0) -> Summary:
    """Compare every ``compare`` figure with serving; the others carry their status."""
    if scale <= 0:
        raise CalibrationError(f"the demo scale must be above 0, not {scale}")
    if not serving_db.exists():
        raise CalibrationError(f"{serving_db} does not exist: build (smw demo) first")
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        outcomes = [
            _compare(con, f, scale) if f.status == "compare" else Outcome(f, f.status)
            for f in figures
        ]
    except duckdb.Error as exc:
        raise CalibrationError(f"cannot read {serving_db}: {exc}") from None
    finally:
        con.close()
    return summarise(outcomes, scale)


def summarise(outcomes: list[Outcome], scale: float) -> Summary:
    by_report: dict[str, Counter] = {r: Counter() for r in REPORTS}
    for o in outcomes:
        by_report[o.figure.report][o.verdict] += 1
    return Summary(scale=scale, outcomes=outcomes, by_report=by_report)
