"""Sampling helpers that hit published figures exactly rather than only in expectation.

Calibrated figures (cohort sizes, category shares, funnel counts) are met with exact integer
allocation — largest remainder, then a shuffle — so that the data reproduce the published numbers
at scale 1 and proportionally at other scales, with randomness only in *who* and *when*.
"""

from __future__ import annotations

import zlib

import numpy as np


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    if total <= 0 or w.sum() <= 0:
        return np.zeros(len(w), dtype=np.int64)
    raw = total * w / w.sum()
    out = np.floor(raw).astype(np.int64)
    short = int(total - out.sum())
    if short > 0:
        order = np.argsort(-(raw - out), kind="stable")
        out[order[:short]] += 1
    return out


def exact_categories(rng: np.random.Generator, n: int, probs: np.ndarray) -> np.ndarray:
    """``n`` category indices whose counts match ``probs`` exactly (after rounding), shuffled."""
    counts = allocate(n, probs)
    out = np.repeat(np.arange(len(counts)), counts)
    rng.shuffle(out)
    return out


def categories(rng: np.random.Generator, n: int, probs: np.ndarray) -> np.ndarray:
    """``n`` independent category draws (cheaper than ``rng.choice`` for long vectors)."""
    cum = np.cumsum(np.asarray(probs, dtype=float))
    cum /= cum[-1]
    return np.searchsorted(cum, rng.random(n), side="right").astype(np.int64)


def spread(rng: np.random.Generator, total: int, n: int, shape: float) -> np.ndarray:
    """Counts for ``n`` people, each at least 1, summing to ``total``; gamma-mixed so that a few
    people account for much of the activity (as NSP visits and interventions do)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    extra = max(total - n, 0)
    w = rng.gamma(shape, 1.0, n)
    return 1 + rng.multinomial(extra, w / w.sum())


def top_k(priority: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest priorities (all if fewer), in ascending position order."""
    k = min(k, len(priority))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    if k == len(priority):
        return np.arange(k)
    pos = np.argpartition(-priority, k - 1)[:k]
    return np.sort(pos)


def stratified_pick(
    strata: np.ndarray, priority: np.ndarray, targets: dict[int, int]
) -> tuple[np.ndarray, dict[int, int]]:
    """Pick, per stratum, the ``targets[s]`` highest-priority positions.

    Returns the chosen positions and the shortfall per stratum (targets not met), which callers
    fill with newly created people so that totals are always exact.
    """
    chosen: list[np.ndarray] = []
    short: dict[int, int] = {}
    for s, k in targets.items():
        pos = np.flatnonzero(strata == s)
        got = pos[top_k(priority[pos], k)]
        chosen.append(got)
        if len(got) < k:
            short[s] = k - len(got)
    out = np.sort(np.concatenate(chosen)) if chosen else np.empty(0, dtype=np.int64)
    return out, short


def rng_for(seed: int, name: str) -> np.random.Generator:
    """An independent, reproducible random stream per purpose, so that changing how one part of
    the simulation draws does not shift the data of every other part."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(name.encode())]))
