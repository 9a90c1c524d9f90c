"""Indicator methods against Public Health England's own expected outputs.

Every row of the PHEindicatormethods oracle (tests/data/phe_indicator_methods/) is checked against
the Python methods (tests/methods.py, a test oracle) and against the dbt macros
(dbt_project/macros/methods/): the macros are compiled once, in one `dbt compile --inline`, and the
SQL runs in DuckDB over the same rows.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from statistics import NormalDist

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import methods
from tests.dbt_inline import compile_inline

ORACLE_DIR = Path(__file__).resolve().parents[1] / "data" / "phe_indicator_methods"
ORACLE_REL = 1e-6  # the oracle's tolerance: every row, every language
EXACT_REL = 1e-9  # exact Poisson in SQL (Newton steps) against the Python solver
LEVELS = (0.90, 0.95, 0.99, 0.998, 0.999)
ORACLE_LEVELS = {"95": 0.95, "998": 0.998}  # the levels in the oracle, by column suffix


# --- The oracle -------------------------------------------------------------------------------


def read_oracle(name: str) -> list[dict[str, str | float | None]]:
    rows = []
    with (ORACLE_DIR / name).open(newline="") as f:
        for row in csv.DictReader(f):
            parsed: dict[str, str | float | None] = {}
            for key, text in row.items():
                if text == "":
                    parsed[key] = None
                else:
                    try:
                        parsed[key] = float(text)
                    except ValueError:
                        parsed[key] = text
            rows.append(parsed)
    return rows


def level_of(text: str) -> float:
    """'95%' -> 0.95, '99.8%' -> 0.998."""
    return round(float(text.rstrip("%")) / 100, 6)


def oracle_checks() -> list[dict]:
    """One check per row and confidence level: method, inputs and expected (value,) lower, upper.

    method is 'proportion' or 'rate' (value, lower, upper) or 'wilson' or 'byar' (lower, upper)."""
    checks = []
    wide = [("lower95_0cl", "upper95_0cl", 0.95), ("lower99_8cl", "upper99_8cl", 0.998)]
    for name, method in [("testdata_Prop.csv", "proportion"), ("testdata_Rate.csv", "rate")]:
        for i, row in enumerate(read_oracle(name), start=2):
            for lower, upper, level in wide:
                checks.append(
                    {
                        "id": f"{name}:{i}:{level}",
                        "method": method,
                        "numerator": row["Numerator"],
                        "denominator": row["Denominator"],
                        "multiplier": row["multiplier"],
                        "confidence": level,
                        "expected": (row["value"], row[lower], row[upper]),
                        "phe_method": row["method"],
                    }
                )
    for name, method in [("testdata_Prop_g.csv", "proportion"), ("testdata_Rate_g.csv", "rate")]:
        for i, row in enumerate(read_oracle(name), start=2):
            checks.append(
                {
                    "id": f"{name}:{i}",
                    "method": method,
                    "numerator": row["Numerator"],
                    "denominator": row["Denominator"],
                    "multiplier": row["multiplier"],
                    "confidence": level_of(row["confidence"]),
                    "expected": (row["value"], row["lowercl"], row["uppercl"]),
                    "phe_method": row["method"],
                }
            )
    for i, row in enumerate(read_oracle("testdata_B_W.csv"), start=2):
        checks.append(
            {
                "id": f"testdata_B_W.csv:{i}",
                "method": {"Byars": "byar", "Wilson": "wilson"}[row["method"]],
                "numerator": row["x"],
                "denominator": row["n"],
                "multiplier": 1.0,
                "confidence": level_of(row["confidence"]),
                "expected": (row["lowercl"], row["uppercl"]),
                "phe_method": row["method"],
            }
        )
    return checks


CHECKS = oracle_checks()


def close(actual: float | None, expected: float | None, rel: float = ORACLE_REL) -> bool:
    if expected is None:
        return actual is None
    return actual is not None and math.isclose(actual, expected, rel_tol=rel, abs_tol=1e-300)


def assert_close(actual: tuple, expected: tuple, what: str, rel: float = ORACLE_REL) -> None:
    assert len(actual) == len(expected)
    assert all(close(a, e, rel) for a, e in zip(actual, expected, strict=True)), (
        f"{what}: got {actual}, expected {expected}"
    )


def test_the_oracle_covers_both_levels_both_count_methods_and_missing_inputs():
    assert len(CHECKS) == 2 * 19 + 11 + 2 * 20 + 12 + 13
    assert {c["confidence"] for c in CHECKS} == {0.95, 0.998}
    assert {c["phe_method"] for c in CHECKS} >= {"Wilson", "Byars", "Exact", None}
    assert {c["multiplier"] for c in CHECKS} == {1.0, 100.0, 100000.0}
    assert any(c["numerator"] is None for c in CHECKS)
    assert any(c["denominator"] is None and c["method"] == "rate" for c in CHECKS)


# --- Python methods against every oracle row ------------------------------------------------------


def python_result(check: dict) -> tuple:
    x, n, level = check["numerator"], check["denominator"], check["confidence"]
    if check["method"] == "proportion":
        return methods.proportion(x, n, level, multiplier=check["multiplier"])
    if check["method"] == "rate":
        return methods.rate_interval(x, n, multiplier=check["multiplier"], confidence=level)
    if check["method"] == "wilson":
        return methods.wilson_interval(x, n, level)
    return methods.byar_interval(x, level)


@pytest.mark.parametrize("check", CHECKS, ids=[c["id"] for c in CHECKS])
def test_python_methods_reproduce_phe(check):
    assert_close(python_result(check), check["expected"], check["id"])


@pytest.mark.parametrize(
    "check", [c for c in CHECKS if c["method"] == "rate"], ids=lambda c: c["id"]
)
def test_rates_switch_from_exact_to_byar_at_ten_as_phe(check):
    count = check["numerator"]
    if count is None:
        return
    assert check["phe_method"] == ("Exact" if count < methods.EXACT_BELOW else "Byars")
    interval = methods.count_interval(count, check["confidence"])
    if count < methods.EXACT_BELOW:
        assert interval == methods.exact_poisson_interval(count, check["confidence"])
    else:
        assert interval == methods.byar_interval(count, check["confidence"])


def test_z_scores_are_the_normal_quantiles():
    for level, z in methods.Z_SCORES.items():
        assert math.isclose(z, NormalDist().inv_cdf(1 - (1 - level) / 2), rel_tol=1e-14)
    assert methods.z_score(95) == methods.z_score(0.95)
    assert methods.z_score(99.8) == methods.z_score(0.998)
    with pytest.raises(ValueError, match="unsupported confidence level"):
        methods.z_score(0.97)


@pytest.mark.parametrize("level", LEVELS)
def test_exact_poisson_bounds_solve_the_poisson_equations(level):
    """Independent of the oracle: the bounds are the means at which the Poisson tails are α/2."""
    tail = (1 - level) / 2
    for x in [*range(0, 30), 100, 1000]:
        lower, upper = methods.exact_poisson_interval(x, level)
        cdf = math.fsum(
            math.exp(-upper + j * math.log(upper) - math.lgamma(j + 1)) for j in range(x + 1)
        )
        assert math.isclose(cdf, tail, rel_tol=1e-10), (x, upper)
        if x == 0:
            assert lower == 0
        else:
            below = math.fsum(
                math.exp(-lower + j * math.log(lower) - math.lgamma(j + 1)) for j in range(x)
            )
            assert math.isclose(1 - below, tail, rel_tol=1e-9), (x, lower)


def test_closed_forms_of_the_smallest_counts():
    # x = 0: P(X = 0; μ) = e^(−μ) = α/2; x = 1 lower: P(X ≥ 1; μ) = 1 − e^(−μ) = α/2.
    for level in LEVELS:
        tail = round((1 - level) / 2, 10)
        assert methods.exact_poisson_interval(0, level) == (
            0.0,
            pytest.approx(-math.log(tail), rel=1e-14),
        )
        lower, _ = methods.exact_poisson_interval(1, level)
        assert lower == pytest.approx(-math.log1p(-tail), rel=1e-13)


def test_missing_and_invalid_inputs_give_none():
    assert methods.proportion(None, 100) == (None, None, None)
    assert methods.proportion(10, None) == (None, None, None)
    assert methods.proportion(10, 0) == (None, None, None)
    assert methods.proportion(11, 10) == (None, None, None)
    assert methods.proportion(-1, 10) == (None, None, None)
    assert methods.proportion(0, 10)[:2] == (0.0, 0.0)  # exact ends, not 0 +/- rounding
    assert methods.proportion(13, 13, 0.99)[1:] == (pytest.approx(0.66, abs=0.01), 1.0)
    assert methods.rate_interval(10, None) == (None, None, None)
    assert methods.rate_interval(10, 0) == (None, None, None)
    assert methods.rate_interval(None, 100) == (None, None, None)
    assert methods.exact_poisson_interval(2.5) == (None, None)
    assert methods.exact_poisson_interval(-1) == (None, None)
    assert methods.byar_interval(-1) == (None, None)
    assert methods.byar_interval(0)[0] is None  # PHE: NaN
    assert methods.count_interval(float("nan")) == (None, None)


# --- Comparison and change --------------------------------------------------------------------

# (value, lower, upper, comparator, polarity, expected). The interval is closed: a comparator
# equal to a bound is inside it, so 'similar'.
COMPARISONS = [
    (50, 40, 60, 30, "higher_is_better", "better"),
    (50, 40, 60, 70, "higher_is_better", "worse"),
    (50, 40, 60, 50, "higher_is_better", "similar"),
    (50, 40, 60, 40, "higher_is_better", "similar"),
    (50, 40, 60, 60, "higher_is_better", "similar"),
    (50, 40, 60, 39.999, "higher_is_better", "better"),
    (50, 40, 60, 30, "lower_is_better", "worse"),
    (50, 40, 60, 70, "lower_is_better", "better"),
    (50, 40, 60, 60, "lower_is_better", "similar"),
    (50, 40, 60, 30, "no_judgement", "higher"),
    (50, 40, 60, 70, "no_judgement", "lower"),
    (50, 40, 60, 40, "no_judgement", "similar"),
    (50, 40, 60, 30, "not_applicable", "not_compared"),
    (50, 40, 60, 30, None, "not_compared"),
    (50, 40, 60, 30, "sideways", "not_compared"),
    (50, 40, 60, None, "higher_is_better", "not_compared"),
    (50, None, 60, 30, "higher_is_better", "not_compared"),
    (50, 40, None, 70, "higher_is_better", "not_compared"),
    (None, 40, 60, 30, "higher_is_better", "not_compared"),
    (0, 0, 0.1, 0, "lower_is_better", "similar"),
]

# (current, previous, absolute, relative)
CHANGES = [
    (3765, 6500, -2735, -2735 / 6500),
    (120, 100, 20, 0.2),
    (100, 100, 0, 0.0),
    (5, 0, 5, None),
    (0, 0, 0, None),
    (None, 100, None, None),
    (100, None, None, None),
]


@pytest.mark.parametrize("case", COMPARISONS, ids=lambda c: f"{c[3]}-{c[4]}")
def test_python_comparison(case):
    *args, expected = case
    assert methods.comparison(*args) == expected


@pytest.mark.parametrize("case", CHANGES)
def test_python_change(case):
    current, previous, absolute, relative = case
    got_absolute, got_relative = methods.change(current, previous)
    assert got_absolute == absolute
    assert close(got_relative, relative, 1e-12)


def test_change_reads_as_the_published_sentence():
    # "2,735 fewer people, 42% decrease"
    absolute, relative = methods.change(3765, 6500)
    assert (-absolute, round(-relative * 100)) == (2735, 42)


# --- The dbt macros: one compile for the module ------------------------------------------------

POLARITY_LITERALS = ["higher_is_better", "lower_is_better", "no_judgement", "not_applicable"]


def inline_queries() -> dict[str, str]:
    """The queries compiled together: each name is a query over a table of the same name."""
    oracle_columns = []
    for suffix, level in ORACLE_LEVELS.items():
        oracle_columns += [
            f"{{{{ smw.wilson_lower('numerator', 'denominator', {level}) }}}} * multiplier as wilson_lower_{suffix}",
            f"{{{{ smw.wilson_upper('numerator', 'denominator', {level}) }}}} * multiplier as wilson_upper_{suffix}",
            f"{{{{ smw.byar_lower('numerator', {level}) }}}} as byar_lower_{suffix}",
            f"{{{{ smw.byar_upper('numerator', {level}) }}}} as byar_upper_{suffix}",
            # a rate: the count's interval divided by denominator x multiplier
            f"{{{{ smw.count_ci_lower('numerator', {level}) }}}} / denominator * multiplier as rate_lower_{suffix}",
            f"{{{{ smw.count_ci_upper('numerator', {level}) }}}} / denominator * multiplier as rate_upper_{suffix}",
        ]
    grid_columns = []
    for level in LEVELS:
        suffix = f"{level:g}".replace("0.", "")
        grid_columns += [
            f"{{{{ smw.exact_poisson_lower('event_count', {level}) }}}} as exact_lower_{suffix}",
            f"{{{{ smw.exact_poisson_upper('event_count', {level}) }}}} as exact_upper_{suffix}",
            f"{{{{ smw.count_ci_lower('event_count', {level}) }}}} as count_lower_{suffix}",
            f"{{{{ smw.count_ci_upper('event_count', {level}) }}}} as count_upper_{suffix}",
            f"{{{{ smw.z_score({level}) }}}} as z_{suffix}",
        ]
    judgement_columns = [
        "{{ smw.comparison('value', 'lower_bound', 'upper_bound', 'comparator_value', 'polarity') }} as by_column",
        *[
            f"{{{{ smw.comparison('value', 'lower_bound', 'upper_bound', 'comparator_value', '{p}') }}}} as {p}"
            for p in POLARITY_LITERALS
        ],
        "{{ smw.change_absolute('current_value', 'previous_value') }} as change_absolute",
        "{{ smw.change_relative('current_value', 'previous_value') }} as change_relative",
    ]
    spark_columns = [
        f"{{{{ smw.spark__exact_poisson_bound('event_count', {level}, '{bound}') }}}} as {bound}_{i}"
        for i, level in enumerate(LEVELS)
        for bound in ("lower", "upper")
    ]
    return {
        "oracle": "select check_id, " + ", ".join(oracle_columns) + " from oracle",
        "grid": "select event_count, " + ", ".join(grid_columns) + " from grid",
        "judgements": "select case_id, " + ", ".join(judgement_columns) + " from judgements",
        "spark": "select event_count, " + ", ".join(spark_columns) + " from grid",
        "edges": "select numerator, denominator,"
        " {{ smw.wilson_lower('numerator', 'denominator') }} as wilson_lower,"
        " {{ smw.wilson_upper('numerator', 'denominator') }} as wilson_upper,"
        " {{ smw.byar_lower('numerator') }} as byar_lower,"
        " {{ smw.byar_upper('numerator') }} as byar_upper"
        " from edges",
        "settings": "select {{ smw.is_supported_confidence(0.97) }} as supports_97,"
        " {{ smw.z_score(99.8) == smw.z_score(0.998) }} as percent_equals_fraction,"
        " {{ smw.exact_poisson_settings().newton_steps }} as newton_steps,"
        " {{ smw.exact_poisson_upper('x') | length }} as exact_call_chars",
    }


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Compile every macro call at once (dbt takes seconds to start), in a scratch target."""
    return compile_inline(inline_queries(), tmp_path_factory.mktemp("dbt_methods"))


def oracle_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "create table oracle (check_id varchar, numerator double, denominator double, multiplier double)"
    )
    con.executemany(
        "insert into oracle values (?, ?, ?, ?)",
        [(c["id"], c["numerator"], c["denominator"], c["multiplier"]) for c in CHECKS],
    )


GRID_COUNTS = [*range(0, 16), 2.5, -1, None, 1045]

# Zero and missing denominators, numerators out of range, and the ends of the Wilson interval.
EDGES = [(0, None), (0, 0), (5, 0), (11, 10), (-1, 10), (0, 10), (10, 10), (None, None), (1, 1)]


@pytest.fixture(scope="module")
def warehouse(compiled) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    oracle_table(con)
    con.execute("create table grid (event_count double)")
    con.executemany("insert into grid values (?)", [(x,) for x in GRID_COUNTS])
    con.execute(
        "create table judgements (case_id integer, value double, lower_bound double,"
        " upper_bound double, comparator_value double, polarity varchar,"
        " current_value bigint, previous_value bigint)"
    )
    con.executemany(
        "insert into judgements values (?, ?, ?, ?, ?, ?, ?, ?)",
        [(i, *case[:5], None, None) for i, case in enumerate(COMPARISONS)]
        + [(100 + i, None, None, None, None, None, *case[:2]) for i, case in enumerate(CHANGES)],
    )
    con.execute("create table edges (numerator bigint, denominator bigint)")
    con.executemany("insert into edges values (?, ?)", EDGES)
    return con


def fetch(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def sql_result(row: dict, check: dict) -> tuple:
    suffix = {0.95: "95", 0.998: "998"}[check["confidence"]]
    method = check["method"]
    if method in ("proportion", "rate"):
        x, n, m = check["numerator"], check["denominator"], check["multiplier"]
        value = x / n * m if x is not None and n else None
        prefix = "wilson" if method == "proportion" else "rate"
        return value, row[f"{prefix}_lower_{suffix}"], row[f"{prefix}_upper_{suffix}"]
    return row[f"{method}_lower_{suffix}"], row[f"{method}_upper_{suffix}"]


def test_macros_reproduce_every_oracle_row(warehouse, compiled):
    rows = {r["check_id"]: r for r in fetch(warehouse, compiled["oracle"])}
    assert len(rows) == len(CHECKS)
    failures = []
    for check in CHECKS:
        got = sql_result(rows[check["id"]], check)
        if not all(close(a, e) for a, e in zip(got, check["expected"], strict=True)):
            failures.append(f"{check['id']}: got {got}, expected {check['expected']}")
    assert not failures, "\n".join(failures)


def test_macro_exact_poisson_matches_python_to_1e9_for_every_small_count(warehouse, compiled):
    rows = fetch(warehouse, compiled["grid"])
    assert len(rows) == len(GRID_COUNTS)
    for row in rows:
        x = row["event_count"]
        for level in LEVELS:
            suffix = f"{level:g}".replace("0.", "")
            exact = (row[f"exact_lower_{suffix}"], row[f"exact_upper_{suffix}"])
            counted = (row[f"count_lower_{suffix}"], row[f"count_upper_{suffix}"])
            assert float(row[f"z_{suffix}"]) == methods.z_score(level)
            if x is not None and 0 <= x <= 9 and x == int(x):
                assert_close(
                    exact, methods.exact_poisson_interval(x, level), f"{x} {level}", EXACT_REL
                )
            else:
                assert exact == (None, None), (x, level)  # SQL supports counts 0-9
            assert_close(counted, methods.count_interval(x, level), f"{x} {level}", EXACT_REL)


def test_macro_comparison_and_change(warehouse, compiled):
    rows = {r["case_id"]: r for r in fetch(warehouse, compiled["judgements"])}
    for i, (*args, polarity, expected) in enumerate(COMPARISONS):
        row = rows[i]
        assert row["by_column"] == expected, (args, polarity)
        for literal in POLARITY_LITERALS:
            assert row[literal] == methods.comparison(*args, literal), (args, literal)
    for i, (_, _, absolute, relative) in enumerate(CHANGES):
        row = rows[100 + i]
        assert row["change_absolute"] == absolute
        assert close(row["change_relative"], relative, 1e-12)


def test_macro_edges_give_null_or_exact_ends(warehouse, compiled):
    rows = fetch(warehouse, compiled["edges"])
    assert len(rows) == len(EDGES)
    for row in rows:
        x, n = row["numerator"], row["denominator"]
        wilson = (row["wilson_lower"], row["wilson_upper"])
        assert_close(wilson, methods.wilson_interval(x, n), f"wilson {x}/{n}", 1e-12)
        assert_close(
            (row["byar_lower"], row["byar_upper"]), methods.byar_interval(x), f"byar {x}", 1e-12
        )
        if wilson != (None, None):
            assert wilson[0] <= x / n <= wilson[1]
            assert wilson[0] == 0 if x == 0 else wilson[0] > 0
            assert wilson[1] == 1 if x == n else wilson[1] < 1
        else:
            assert x is None or not n or not 0 <= x <= n


def test_macro_settings_and_size(compiled, warehouse):
    (row,) = fetch(warehouse, compiled["settings"])
    assert row["supports_97"] is False  # confidence_level() raises a compile error for it
    assert row["percent_equals_fraction"] is True
    assert row["newton_steps"] == 5
    assert row["exact_call_chars"] < 8000, "keep the exact Poisson SQL small: one call per column"


def test_spark_exact_poisson_fold_gives_the_same_bounds(warehouse, compiled):
    """The Spark implementation (aggregate() fold), transpiled to DuckDB by sqlglot and run."""
    sqlglot = pytest.importorskip("sqlglot")
    duck = sqlglot.transpile(compiled["spark"], read="spark", write="duckdb")[0]
    for row in fetch(warehouse, duck):
        x = row["event_count"]
        for i, level in enumerate(LEVELS):
            got = (row[f"lower_{i}"], row[f"upper_{i}"])
            if x is not None and 0 <= x <= 9 and x == int(x):
                assert_close(
                    got, methods.exact_poisson_interval(x, level), f"{x} {level}", EXACT_REL
                )
            else:
                assert got == (None, None)


def test_macros_parse_as_postgresql(compiled):
    sqlglot = pytest.importorskip("sqlglot")
    for name in ("oracle", "grid", "judgements"):
        sqlglot.parse_one(compiled[name], read="postgres")


# --- Properties -------------------------------------------------------------------------------

levels = st.sampled_from(LEVELS)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(min_value=1, max_value=10**7), share=st.floats(0, 1), level=levels)
def test_wilson_interval_contains_the_proportion(n, share, level):
    x = round(share * n)
    value, lower, upper = methods.proportion(x, n, level)
    assert 0 <= lower <= value <= upper <= 1


@settings(max_examples=200, deadline=None)
@given(n=st.integers(min_value=1, max_value=10**6), share=st.floats(0, 1), level=levels)
def test_wilson_interval_is_monotone_in_the_numerator(n, share, level):
    x = min(round(share * n), n - 1)
    lower, upper = methods.wilson_interval(x, n, level)
    next_lower, next_upper = methods.wilson_interval(x + 1, n, level)
    assert lower < next_lower and upper < next_upper


@settings(max_examples=300, deadline=None)
@given(
    count=st.one_of(st.integers(0, 30), st.integers(0, 10**7)),
    level=levels,
)
def test_count_interval_contains_the_count_and_is_monotone(count, level):
    lower, upper = methods.count_interval(count, level)
    assert lower is not None and upper is not None
    assert 0 <= lower <= count <= upper
    next_lower, next_upper = methods.count_interval(count + 1, level)
    # across the switch from exact (9) to Byar's (10) too
    assert lower < next_lower and upper < next_upper


@settings(max_examples=100, deadline=None)
@given(count=st.integers(0, 200), level=levels)
def test_exact_and_byar_intervals_are_monotone_in_the_count(count, level):
    lower, upper = methods.exact_poisson_interval(count, level)
    next_lower, next_upper = methods.exact_poisson_interval(count + 1, level)
    assert lower < next_lower and upper < next_upper
    assert lower <= count <= upper
    b_lower, b_upper = methods.byar_interval(count + 1, level)
    b_next_lower, b_next_upper = methods.byar_interval(count + 2, level)
    assert b_upper < b_next_upper
    assert b_lower is None or (b_next_lower is not None and b_lower < b_next_lower)


@settings(max_examples=200, deadline=None)
@given(
    count=st.integers(0, 10**6),
    denominator=st.integers(1, 10**8),
    multiplier=st.sampled_from([100, 1000, 100_000]),
    level=levels,
)
def test_rate_interval_scales_the_count_interval(count, denominator, multiplier, level):
    value, lower, upper = methods.rate_interval(count, denominator, multiplier, level)
    c_lower, c_upper = methods.count_interval(count, level)
    scale = multiplier / denominator
    assert value == pytest.approx(count * scale, rel=1e-12)
    assert lower == pytest.approx(c_lower * scale, rel=1e-12)
    assert upper == pytest.approx(c_upper * scale, rel=1e-12)
    assert lower <= value <= upper


@settings(max_examples=200, deadline=None)
@given(
    lower=st.floats(-1e6, 1e6),
    width=st.floats(0, 1e6),
    comparator=st.floats(-3e6, 3e6),
    polarity=st.sampled_from([*methods.POLARITIES, "not_applicable"]),
)
def test_comparison_is_symmetric_in_polarity(lower, width, comparator, polarity):
    upper = lower + width
    result = methods.comparison((lower + upper) / 2, lower, upper, comparator, polarity)
    inside = lower <= comparator <= upper
    if polarity == "not_applicable":
        assert result == "not_compared"
    elif inside:
        assert result == "similar"
    else:
        flipped = {"higher_is_better": "lower_is_better", "lower_is_better": "higher_is_better"}
        other = methods.comparison(
            (lower + upper) / 2, lower, upper, comparator, flipped.get(polarity)
        )
        assert result != "similar" and (
            polarity == "no_judgement" or {result, other} == {"better", "worse"}
        )
