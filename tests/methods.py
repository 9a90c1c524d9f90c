"""Statistical methods for public-health indicators: the Python twins of the dbt macros in
``dbt_project/macros/methods/``, a test oracle (the dbt macros compute what is published; these
check them, and are themselves checked against PHE's expected outputs).

Methodology (domain: Methods) follows Public Health England's indicator methods, the
PHEindicatormethods R package (publichealthengland/PHEindicatormethods, now OHID/UKHSA), which
Fingertips and the Public Health Outcomes Framework use:

- proportions: Wilson score interval (``wilson_lower`` / ``wilson_upper``, ``phe_proportion``);
- counts and rates: exact Poisson interval for counts below 10, Byar's method from 10
  (``byars_lower`` / ``byars_upper``, ``phe_rate``);
- comparison with a comparator by whether it lies outside the indicator's interval, and change
  against the previous period.

Missing or invalid inputs give ``None`` rather than an error, as the SQL macros give null. Pure
Python (``math`` only; no scipy).
"""

from __future__ import annotations

import math

__all__ = [
    "POLARITIES",
    "byar_interval",
    "change",
    "change_absolute",
    "change_relative",
    "comparison",
    "confidence_level",
    "count_interval",
    "exact_poisson_interval",
    "proportion",
    "rate_interval",
    "wilson_interval",
    "z_score",
]

Interval = tuple[float | None, float | None]

# z = qnorm(1 - alpha / 2) for the supported two-sided levels, to double precision. The SQL macros
# carry the same constants (macros/methods/z_score.sql): SQL has no inverse normal function.
Z_SCORES: dict[float, float] = {
    0.90: 1.6448536269514722,
    0.95: 1.959963984540054,
    0.99: 2.5758293035489004,
    0.998: 3.090232306167813,
    0.999: 3.2905267314919255,
}

# Below this count, rates and counts use the exact Poisson interval (phe_rate: x < 10).
EXACT_BELOW = 10

# Polarity -> (result when the indicator is significantly higher, when significantly lower).
POLARITIES: dict[str, tuple[str, str]] = {
    "higher_is_better": ("better", "worse"),
    "lower_is_better": ("worse", "better"),
    "no_judgement": ("higher", "lower"),
}


def confidence_level(confidence: float) -> float:
    """Normalise a confidence level given as a fraction (0.95) or, as PHE allows, a percentage
    (95) to one of the supported levels; any other level is an error, as in the SQL macros."""
    level = confidence / 100 if confidence > 1 else confidence
    for supported in Z_SCORES:
        if math.isclose(level, supported, rel_tol=0, abs_tol=5e-5):
            return supported
    raise ValueError(
        f"unsupported confidence level {confidence}: use one of {', '.join(map(str, Z_SCORES))}"
    )


def z_score(confidence: float = 0.95) -> float:
    """z = Φ⁻¹(1 − α/2) for a two-sided level 1 − α (PHE: ``qnorm(confidence + (1 - confidence)/2)``)."""
    return Z_SCORES[confidence_level(confidence)]


def _tail_probability(confidence: float) -> float:
    """α/2, without binary noise (1 − 0.998 is not exactly 0.002)."""
    return round((1 - confidence_level(confidence)) / 2, 10)


def _is_missing(*values: float | None) -> bool:
    return any(v is None or (isinstance(v, float) and math.isnan(v)) for v in values)


# --- Proportions ------------------------------------------------------------------------------


def wilson_interval(
    numerator: float | None, denominator: float | None, confidence: float = 0.95
) -> Interval:
    """Wilson score interval for the proportion x/n (PHEindicatormethods ``wilson_lower`` /
    ``wilson_upper``)::

        (2x + z² ∓ z·√(z² + 4x(1 − x/n))) / (2(n + z²))

    (None, None) when n is missing or not positive, or x is missing, negative or above n. The
    ends are exact (0 when x = 0, 1 when x = n), where the formula gives them only up to rounding.
    """
    z = z_score(confidence)
    if _is_missing(numerator, denominator):
        return None, None
    x, n = float(numerator), float(denominator)
    if n <= 0 or x < 0 or x > n:
        return None, None
    spread = z * math.sqrt(z * z + 4 * x * (1 - x / n))
    scale = 2 * (n + z * z)
    lower = 0.0 if x == 0 else (2 * x + z * z - spread) / scale
    upper = 1.0 if x == n else (2 * x + z * z + spread) / scale
    return lower, upper


def proportion(
    numerator: float | None,
    denominator: float | None,
    confidence: float = 0.95,
    multiplier: float = 1,
) -> tuple[float | None, float | None, float | None]:
    """(value, lower, upper) of a proportion with its Wilson interval, all × multiplier
    (100 for a percentage), as PHEindicatormethods ``phe_proportion``."""
    lower, upper = wilson_interval(numerator, denominator, confidence)
    if lower is None or upper is None:
        return None, None, None
    value = float(numerator) / float(denominator)
    return value * multiplier, lower * multiplier, upper * multiplier


# --- Counts and rates -------------------------------------------------------------------------


def byar_interval(count: float | None, confidence: float = 0.95) -> Interval:
    """Byar's approximation to the Poisson interval for a count x (Breslow & Day 1987;
    PHEindicatormethods ``byars_lower`` / ``byars_upper``)::

        lower = x (1 − 1/(9x) − z/(3√x))³
        upper = (x + 1)(1 − 1/(9(x + 1)) + z/(3√(x + 1)))³

    As PHE, a lower limit that comes out negative is None (so is that of a zero count, which PHE
    returns as NaN). (None, None) for a missing or negative count.
    """
    z = z_score(confidence)
    if _is_missing(count) or count < 0:
        return None, None
    x = float(count)
    lower = None
    if x > 0:
        base = 1 - 1 / (9 * x) - z / (3 * math.sqrt(x))
        lower = x * base**3 if base >= 0 else None
    upper = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * math.sqrt(x + 1))) ** 3
    return lower, upper


def _poisson_pmf(j: int, mean: float) -> float:
    return math.exp(-mean + j * math.log(mean) - math.lgamma(j + 1))


def _poisson_cdf(k: int, mean: float) -> float:
    """P(X ≤ k) for X ~ Poisson(mean)."""
    return math.fsum(_poisson_pmf(j, mean) for j in range(k + 1))


def _poisson_upper_tail(x: int, mean: float) -> float:
    """P(X ≥ x), summed directly while the mean is below x, where 1 − P(X ≤ x − 1) would cancel."""
    if mean >= x:
        return 1 - _poisson_cdf(x - 1, mean)
    total, j, term = 0.0, x, _poisson_pmf(x, mean)
    while term > 0 and term > 1e-17 * total:
        total += term
        j += 1
        term *= mean / j
    return total


def _solve_decreasing(f, derivative, target: float, start: float) -> float:
    """Root of f(mean) = target for f decreasing in mean > 0: Newton's method kept inside a
    bracket [low, high], bisecting when a step would leave it."""
    low, high = 0.0, max(start, 1.0)
    while f(high) > target:
        low, high = high, 2 * high
    mean = min(max(start, low), high)
    for _ in range(200):
        value = f(mean)
        if value > target:
            low = mean
        else:
            high = mean
        candidate = mean - (value - target) / derivative(mean)
        if not low < candidate < high:
            candidate = (low + high) / 2
        if abs(candidate - mean) <= 1e-15 * mean:
            return candidate
        mean = candidate
    return mean


def exact_poisson_interval(count: float | None, confidence: float = 0.95) -> Interval:
    """Exact Poisson interval for a whole-number count x (Armitage & Berry 2002;
    PHEindicatormethods ``phe_rate`` for x < 10)::

        lower = qchisq(α/2, 2x) / 2            (0 when x = 0)
        upper = qchisq(1 − α/2, 2x + 2) / 2

    computed, as the SQL macros do, from the identity with the Poisson distribution: lower is
    the mean μ with P(X ≥ x; μ) = α/2, upper the μ with P(X ≤ x; μ) = α/2
    (d/dμ P(X ≤ k; μ) = −e^(−μ) μ^k / k!). Solved by a bracketed Newton iteration to full double
    precision, for any whole count (the SQL macros support 0–9, the range where they are used).
    (None, None) for a missing, negative or fractional count.
    """
    tail = _tail_probability(confidence)
    if _is_missing(count) or count < 0 or count != int(count):
        return None, None
    x = int(count)
    byar_lower, byar_upper = byar_interval(x, confidence)
    upper = _solve_decreasing(
        lambda mean: _poisson_cdf(x, mean),
        lambda mean: -_poisson_pmf(x, mean),
        tail,
        byar_upper,
    )
    if x == 0:
        return 0.0, upper
    # P(X ≥ x; μ) increases with μ: solve −P(X ≥ x; μ) = −α/2, a decreasing function.
    lower = _solve_decreasing(
        lambda mean: -_poisson_upper_tail(x, mean),
        lambda mean: -_poisson_pmf(x - 1, mean),
        -tail,
        max(byar_lower or 0.0, math.exp((math.log(tail) + math.lgamma(x + 1)) / x)),
    )
    return lower, upper


def count_interval(count: float | None, confidence: float = 0.95) -> Interval:
    """Interval for a count as PHE ``phe_rate``: exact Poisson below 10, Byar's from 10
    (domain: "exact Poisson below 10 and Byar's method from 10")."""
    if _is_missing(count):
        return None, None
    if count < EXACT_BELOW:
        return exact_poisson_interval(count, confidence)
    return byar_interval(count, confidence)


def rate_interval(
    count: float | None,
    denominator: float | None,
    multiplier: float = 100_000,
    confidence: float = 0.95,
) -> tuple[float | None, float | None, float | None]:
    """(value, lower, upper) of the rate count / denominator × multiplier, with the count's
    interval (``count_interval``) scaled the same way, as PHE ``phe_rate``. All None when the
    count is missing or the denominator is missing or not positive."""
    if _is_missing(count, denominator) or denominator <= 0:
        return None, None, None
    scale = multiplier / float(denominator)
    lower, upper = count_interval(count, confidence)
    return (
        float(count) * scale,
        None if lower is None else lower * scale,
        None if upper is None else upper * scale,
    )


# --- Comparison and change --------------------------------------------------------------------


def comparison(
    value: float | None,
    lower: float | None,
    upper: float | None,
    comparator_value: float | None,
    polarity: str | None,
) -> str:
    """Compare an indicator with a comparator by its interval (domain: Methods; Fingertips).

    The indicator is significantly higher when the comparator is below the interval, lower when
    above it, similar when inside. The interval is closed: a comparator exactly equal to a bound
    is 'similar'. Polarity gives the judgement: ``higher_is_better`` / ``lower_is_better`` →
    'better' / 'similar' / 'worse'; ``no_judgement`` → 'higher' / 'similar' / 'lower';
    ``not_applicable``, None or anything else → 'not_compared', as is any missing input.
    """
    judgements = POLARITIES.get(polarity) if polarity is not None else None
    if judgements is None or _is_missing(value, lower, upper, comparator_value):
        return "not_compared"
    if comparator_value < lower:
        return judgements[0]
    if comparator_value > upper:
        return judgements[1]
    return "similar"


def change_absolute(current: float | None, previous: float | None) -> float | None:
    """current − previous; None when either is missing."""
    if _is_missing(current, previous):
        return None
    return current - previous


def change_relative(current: float | None, previous: float | None) -> float | None:
    """(current − previous) / previous as a fraction (−0.42 for a 42% decrease); None when
    either is missing or previous is zero."""
    if _is_missing(current, previous) or previous == 0:
        return None
    return (current - previous) / previous


def change(current: float | None, previous: float | None) -> tuple[float | None, float | None]:
    """(absolute, relative) change against the previous period, as in "2,735 fewer people, 42%
    decrease" (domain: Methods)."""
    return change_absolute(current, previous), change_relative(current, previous)
