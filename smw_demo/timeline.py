"""Dates for the demo: financial years, months, activity seasonality and date formatting.

Days are plain integers (days since 1970-01-01, as numpy ``datetime64[D]``) so that every date
computation is vectorised. Activity is spread over the days of a year by weights that carry the
things the published monitoring reports show: quieter weekends, a Christmas dip and the three
2020-21 lockdowns (23 March 2020; 5 November – 2 December 2020; from 6 January 2021).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from orchestration.lib.spec import DEMO_PERIODS

NO_DATE = np.int32(-(2**31))  # sentinel for an empty date cell

ActivityKind = Literal["nsp", "intervention", "justice", "treatment"]


def to_day(iso: str) -> int:
    return int(np.datetime64(iso, "D").astype(np.int64))


N_YEARS = len(DEMO_PERIODS)
FIRST_FY = int(DEMO_PERIODS[0][:4])  # 2013
FY_START = np.array([to_day(f"{FIRST_FY + i}-04-01") for i in range(N_YEARS + 1)], np.int64)
START_DAY = int(FY_START[0])
END_DAY = int(FY_START[-1]) - 1  # 2021-03-31
#: Period midpoints (30 September): the age reference for period counts.
FY_MID = np.array([to_day(f"{FIRST_FY + i}-09-30") for i in range(N_YEARS)], np.int64)


def _month_starts() -> np.ndarray:
    starts = np.arange(
        np.datetime64(f"{FIRST_FY}-04", "M"), np.datetime64(f"{FIRST_FY + N_YEARS}-05", "M")
    )
    return starts.astype("datetime64[D]").astype(np.int64)


MONTH_STARTS = _month_starts()  # 97 boundaries: 96 months and the day after the last
N_MONTHS = len(MONTH_STARTS) - 1
MONTH_LABELS: tuple[str, ...] = tuple(
    str(np.datetime64(int(d), "D").astype("datetime64[M]")) for d in MONTH_STARTS[:-1]
)


def fy_of(days: np.ndarray | int) -> np.ndarray:
    """Financial-year index (0 = 2013-14); -1 before the window, N_YEARS after it."""
    return np.searchsorted(FY_START, np.asarray(days), side="right") - 1


def month_of(days: np.ndarray | int) -> np.ndarray:
    """Month index (0 = 2013-04), clipped into the window."""
    m = np.searchsorted(MONTH_STARTS, np.asarray(days), side="right") - 1
    return np.clip(m, 0, N_MONTHS - 1)


def years_between(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """Whole years from day ``a`` to day ``b`` (age in completed years when ``a`` is a birth)."""
    da = np.asarray(a, dtype=np.int64).astype("datetime64[D]")
    db = np.broadcast_to(np.asarray(b, dtype=np.int64), da.shape).astype("datetime64[D]")
    ya = da.astype("datetime64[Y]").astype(np.int64)
    yb = db.astype("datetime64[Y]").astype(np.int64)
    return yb - ya - (_month_day(db) < _month_day(da))


def _month_day(d: np.ndarray) -> np.ndarray:
    months = d.astype("datetime64[M]")
    mon = months.astype(np.int64) % 12
    day = (d - months).astype(np.int64)
    return mon * 100 + day


# --- activity weights -------------------------------------------------------------------------

_MONTH_FACTOR = np.array([0.97, 0.95, 1.0, 0.98, 1.0, 1.0, 1.02, 0.95, 1.02, 1.04, 1.02, 0.86])
_WEEKDAY_SERVICE = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.45, 0.15])  # Mon..Sun
_WEEKDAY_JUSTICE = np.array([0.95, 0.95, 1.0, 1.0, 1.1, 1.15, 0.9])

# (first day, last day, factor by kind): the 2020-21 lockdowns and the easing between them.
_LOCKDOWNS: tuple[tuple[str, str, dict[str, float]], ...] = (
    ("2020-03-23", "2020-05-31", {"nsp": 0.55, "intervention": 0.45, "justice": 0.6}),
    ("2020-06-01", "2020-11-04", {"nsp": 0.85, "intervention": 0.75, "justice": 0.85}),
    ("2020-11-05", "2020-12-02", {"nsp": 0.68, "intervention": 0.58, "justice": 0.75}),
    ("2020-12-03", "2021-01-05", {"nsp": 0.85, "intervention": 0.75, "justice": 0.85}),
    ("2021-01-06", "2021-03-31", {"nsp": 0.64, "intervention": 0.55, "justice": 0.75}),
)


def _weights(kind: ActivityKind) -> np.ndarray:
    days = np.arange(START_DAY, END_DAY + 1)
    d64 = days.astype("datetime64[D]")
    month = d64.astype("datetime64[M]").astype(np.int64) % 12
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    table = _WEEKDAY_JUSTICE if kind == "justice" else _WEEKDAY_SERVICE
    w = _MONTH_FACTOR[month] * table[weekday]
    if kind != "treatment":
        for first, last, factors in _LOCKDOWNS:
            sel = (days >= to_day(first)) & (days <= to_day(last))
            w[sel] *= factors[kind]
    return w


_CUM: dict[str, np.ndarray] = {}


def _cumulative(kind: ActivityKind) -> np.ndarray:
    if kind not in _CUM:
        _CUM[kind] = np.concatenate([[0.0], np.cumsum(_weights(kind))])
    return _CUM[kind]


def sample_days(rng: np.random.Generator, fy: np.ndarray, kind: ActivityKind) -> np.ndarray:
    """One activity day per element of ``fy`` (year index), drawn by the activity weights."""
    fy = np.asarray(fy, dtype=np.int64)
    cum = _cumulative(kind)
    lo = cum[FY_START[fy] - START_DAY]
    hi = cum[FY_START[fy + 1] - START_DAY]
    u = lo + rng.random(fy.shape) * (hi - lo)
    return (np.searchsorted(cum, u, side="right") - 1 + START_DAY).astype(np.int32)


# --- formatting ---------------------------------------------------------------------------------

_FMT_FIRST = to_day("1900-01-01")
_FMT_LAST = to_day("2069-12-31")
_ISO: np.ndarray | None = None
_UK: np.ndarray | None = None


def _tables() -> tuple[np.ndarray, np.ndarray]:
    global _ISO, _UK
    if _ISO is None or _UK is None:
        iso = np.arange(_FMT_FIRST, _FMT_LAST + 1).astype("datetime64[D]").astype(str)
        _ISO = np.array([*iso.tolist(), ""], dtype=object)
        _UK = np.array([*[f"{s[8:10]}/{s[5:7]}/{s[0:4]}" for s in iso.tolist()], ""], dtype=object)
    return _ISO, _UK


def _positions(days: np.ndarray) -> np.ndarray:
    days = np.asarray(days, dtype=np.int64)
    pos = days - _FMT_FIRST
    blank = days == NO_DATE
    if not blank.all() and ((pos[~blank] < 0).any() or (days[~blank] > _FMT_LAST).any()):
        raise ValueError("date outside the formatting range 1900-2069")
    pos[blank] = -1
    return pos


def iso_dates(days: np.ndarray) -> list[str]:
    """``YYYY-MM-DD`` strings ('' for NO_DATE)."""
    iso, _ = _tables()
    return iso[_positions(days)].tolist()


def uk_date(day: int) -> str:
    """``DD/MM/YYYY``: the spreadsheet form the contract also accepts."""
    _, uk = _tables()
    return str(uk[_positions(np.array([day]))[0]])


def iso_date(day: int) -> str:
    return iso_dates(np.array([day]))[0]


# --- areas with their own earlier years ------------------------------------------------------
# An area whose published report is about years before the demo window (Salford 2006-07 and
# 2007-08) is simulated on the window's calendar and moved back by whole calendar years, so
# every date rule above (financial years, weekdays aside) applies unchanged. Its extracts end
# with its own last year and go to month files of their own, listed after the window's months.


def shift_years(days: np.ndarray, years: int) -> np.ndarray:
    """The same calendar day ``years`` years later (earlier when negative); 29 February becomes
    28 February in a year that has none. ``NO_DATE`` stays ``NO_DATE``."""
    days = np.asarray(days, dtype=np.int64)
    blank = days == NO_DATE
    d = np.where(blank, 0, days).astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    offset = (d - months.astype("datetime64[D]")).astype(np.int64)
    moved = months + 12 * years
    length = ((moved + 1).astype("datetime64[D]") - moved.astype("datetime64[D]")).astype(np.int64)
    out = moved.astype("datetime64[D]").astype(np.int64) + np.minimum(offset, length - 1)
    return np.where(blank, NO_DATE, out)


def own_month_labels(first_fy: int, n_years: int) -> tuple[str, ...]:
    """Month file stems ``YYYY-MM`` of financial years ``first_fy`` .. ``first_fy + n_years - 1``."""
    months = np.arange(
        np.datetime64(f"{first_fy}-04", "M"), np.datetime64(f"{first_fy + n_years}-04", "M")
    )
    return tuple(str(m) for m in months)


def own_month_of(days: np.ndarray, first_fy: int, n_years: int) -> np.ndarray:
    """Month index within ``own_month_labels(first_fy, n_years)``, clipped into those years."""
    months = np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]")
    m = months.astype(np.int64) - np.datetime64(f"{first_fy}-04", "M").astype(np.int64)
    return np.clip(m, 0, 12 * n_years - 1)


def fy_bounds(fy: int) -> tuple[int, int]:
    """First and last day of financial year index ``fy`` (0 = 2013-14; a negative index is a
    year before the window, as the county's history from 2009-10)."""
    year = FIRST_FY + int(fy)
    return to_day(f"{year}-04-01"), to_day(f"{year + 1}-03-31")


def fy_mid(fy: int) -> int:
    """The midpoint (30 September) of financial year index ``fy`` (negative: before the window):
    the age reference for period counts."""
    return to_day(f"{FIRST_FY + int(fy)}-09-30")
