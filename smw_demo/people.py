"""Simulated people and their attributors.

Every simulated person gets one attributor (first initial, surname initial, date of birth, sex),
unique across the simulation, because the warehouse links sources by a pseudonym of exactly these
four fields: two people sharing an attributor would be merged by the warehouse and the
calibrated cohort sizes would no longer hold. Initials follow English letter frequencies so that
collisions are realistic to resolve; any that remain are re-drawn until none do.
"""

from __future__ import annotations

import numpy as np

from smw_demo.codes import CodeLists

SEX_MALE = 0
SEX_FEMALE = 1

_LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), dtype=object)
# Rough frequencies of English first-name and surname initials.
_FIRST = np.array(
    [
        75,
        30,
        65,
        70,
        40,
        15,
        30,
        25,
        10,
        120,
        50,
        55,
        90,
        30,
        8,
        45,
        1,
        55,
        75,
        45,
        1,
        8,
        15,
        1,
        3,
        5,
    ],
    dtype=float,
)
_SURNAME = np.array(
    [
        35,
        95,
        75,
        45,
        20,
        35,
        45,
        85,
        4,
        30,
        30,
        45,
        85,
        20,
        15,
        60,
        2,
        50,
        95,
        40,
        2,
        5,
        65,
        0.5,
        6,
        2,
    ],
    dtype=float,
)
_ETHNICITY = {
    "A": 92.0,
    "B": 1.0,
    "C": 2.4,
    "D": 0.9,
    "E": 0.3,
    "F": 0.3,
    "G": 0.4,
    "H": 0.3,
    "J": 0.2,
    "K": 0.1,
    "L": 0.2,
    "M": 0.4,
    "N": 0.4,
    "P": 0.2,
    "R": 0.1,
    "S": 0.3,
    "Z": 0.5,
}


class PersonRegistry:
    """An append-only table of simulated people (numpy columns)."""

    def __init__(self) -> None:
        self._chunks: list[tuple[np.ndarray, ...]] = []
        self._cache: tuple[np.ndarray, ...] | None = None
        self.first_initial: np.ndarray = np.empty(0, np.int8)
        self.surname_initial: np.ndarray = np.empty(0, np.int8)
        self.sex_code: np.ndarray = np.empty(0, np.int8)
        self.ethnicity: np.ndarray = np.empty(0, np.int8)
        self._pinned: list[tuple[np.ndarray, float]] = []

    def pin_profile(self, persons: np.ndarray, white_british: float) -> None:
        """People of a team-year a published profile describes exactly (Sefton's DIP contacts
        in 2015-16): their sex is recorded (never "not stated"), and exactly ``white_british``
        of them are White British, as the profile prints."""
        self._pinned.append((np.unique(np.asarray(persons, np.int64)), white_british))

    def __len__(self) -> int:
        return sum(len(c[0]) for c in self._chunks)

    def add(
        self,
        dob: np.ndarray,
        sex: np.ndarray,
        home: np.ndarray,
        service: np.ndarray | None = None,
    ) -> np.ndarray:
        """Append people; returns their indices. ``service`` defaults to ``home``."""
        n = len(dob)
        start = len(self)
        home = np.asarray(home, np.int8)
        service = home.copy() if service is None else np.asarray(service, np.int8)
        self._chunks.append((np.asarray(dob, np.int32), np.asarray(sex, np.int8), home, service))
        self._cache = None
        return np.arange(start, start + n, dtype=np.int32)

    def _columns(self) -> tuple[np.ndarray, ...]:
        if self._cache is None:
            if not self._chunks:
                empty = np.empty(0, np.int32)
                self._cache = (empty, empty.astype(np.int8), empty.astype(np.int8), empty)
            else:
                self._cache = tuple(np.concatenate([c[i] for c in self._chunks]) for i in range(4))
                self._chunks = [self._cache]
        return self._cache

    @property
    def dob(self) -> np.ndarray:
        return self._columns()[0]

    @property
    def sex(self) -> np.ndarray:
        return self._columns()[1]

    @property
    def home(self) -> np.ndarray:
        return self._columns()[2]

    @property
    def service(self) -> np.ndarray:
        return self._columns()[3]

    def finalise(
        self,
        rng: np.random.Generator,
        codes: CodeLists,
        later: tuple[int, np.random.Generator] | None = None,
        own: tuple[int, np.random.Generator, dict[str, float]] | None = None,
    ) -> None:
        """Draw initials (unique attributors), recorded sex codes and ethnicity.

        ``later = (first, rng2)`` draws the people from index ``first`` on with ``rng2`` after the
        others (the county's people): the earlier people's draws do not depend on them, and a
        later person whose attributor collides with an earlier one is the one redrawn.
        ``own = (first, rng3, ethnicity)`` does the same for the people from ``first`` on (after
        the ``later`` block; Salford's), with the area's own ethnicity weights.
        """
        n = len(self)
        end = n if own is None else own[0]
        first = end if later is None else later[0]
        self.sex_code = np.empty(n, np.int8)
        self.ethnicity = np.empty(n, np.int8)
        self.first_initial = np.empty(n, np.int8)
        self.surname_initial = np.empty(n, np.int8)
        self._finalise_block(rng, codes, 0, first)
        if later is not None and first < end:
            self._finalise_block(later[1], codes, first, end)
        if own is not None and end < n:
            self._finalise_block(own[1], codes, end, n, own[2])

    def make_unique(
        self, rng: np.random.Generator, hi: int | None = None, only: np.ndarray | None = None
    ) -> None:
        """Redraw the initials of every person (of the first ``hi``) whose attributor (birth
        date, recorded sex, initials) an earlier person already has, until none repeats: the
        later person of two is the one redrawn. ``only``: the people who may be redrawn (those
        whose birth date or sex a quota changed), whenever anyone shares their attributor."""
        hi = len(self) if hi is None else hi
        pf = _FIRST / _FIRST.sum()
        ps = _SURNAME / _SURNAME.sum()
        fi = self.first_initial[:hi]
        si = self.surname_initial[:hi]
        base = (self.dob[:hi].astype(np.int64) + 100_000) * 8 + self.sex_code[:hi]
        for _ in range(100):
            key = base * 676 + fi.astype(np.int64) * 26 + si
            dup = np.zeros(hi, bool)
            if only is None:
                order = np.argsort(key, kind="stable")
                dup[order[1:]] = key[order[1:]] == key[order[:-1]]
            else:
                _, inv, n = np.unique(key, return_inverse=True, return_counts=True)
                dup[only] = n[inv[only]] > 1
            k = int(dup.sum())
            if k == 0:
                return
            fi[dup] = rng.choice(26, size=k, p=pf)
            si[dup] = rng.choice(26, size=k, p=ps)
        raise RuntimeError("could not make attributors unique")  # pragma: no cover

    def _finalise_block(
        self,
        rng: np.random.Generator,
        codes: CodeLists,
        lo: int,
        hi: int,
        ethnicity: dict[str, float] | None = None,
    ) -> None:
        n = hi - lo
        sex_list = codes.of("sex")
        m, f, ind, ns = (sex_list.index(c) for c in ("M", "F", "I", "U"))
        sex_code = np.where(self.sex[lo:hi] == SEX_MALE, m, f).astype(np.int8)
        u = rng.random(n)
        sex_code[u < 0.003] = ns  # not stated
        sex_code[(u >= 0.003) & (u < 0.0035)] = ind  # indeterminate
        pinned = self._pinned if lo == 0 else []
        for ids, _ in pinned:
            sex_code[ids] = np.where(self.sex[ids] == SEX_MALE, m, f)
        self.sex_code[lo:hi] = sex_code
        weights = ethnicity or _ETHNICITY
        eth_codes = list(weights)
        p = np.array(list(weights.values()))
        if ethnicity is None:
            eth = rng.choice(len(p), size=n, p=p / p.sum())
        else:  # an area's own weights are met exactly (largest remainders), in random order
            want = p / p.sum() * n
            k = np.floor(want).astype(np.int64)
            k[np.argsort(k - want, kind="stable")[: n - int(k.sum())]] += 1
            eth = rng.permutation(np.repeat(np.arange(len(p)), k))
        self.ethnicity[lo:hi] = codes.indices("ethnicity", eth_codes)[eth].astype(np.int8)
        self.first_initial[lo:hi] = rng.choice(26, size=n, p=_FIRST / _FIRST.sum()).astype(np.int8)
        self.surname_initial[lo:hi] = rng.choice(26, size=n, p=_SURNAME / _SURNAME.sum()).astype(
            np.int8
        )
        self.make_unique(rng, hi)
        white_british = codes.index("ethnicity", "A")
        others = codes.indices("ethnicity", eth_codes[1:])
        for ids, share in pinned:
            order = ids[rng.permutation(len(ids))]
            k = int(round(share * len(ids)))
            self.ethnicity[order[:k]] = white_british
            rest = order[k:][self.ethnicity[order[k:]] == white_british]
            self.ethnicity[rest] = others[rng.choice(len(others), len(rest), p=p[1:] / p[1:].sum())]


LETTER_LOOKUP = np.array([*_LETTERS.tolist(), ""], dtype=object)


def dob_for_age(rng: np.random.Generator, age: np.ndarray, at_day: np.ndarray | int) -> np.ndarray:
    """A birth date making the person ``age`` years old at ``at_day`` (ages kept within 14-88:
    long gamma tails would otherwise produce the odd centenarian)."""
    age = np.clip(np.asarray(age, dtype=float), 14.0, 88.0)
    return (np.asarray(at_day) - np.floor(age * 365.25) - rng.integers(0, 365, age.shape)).astype(
        np.int32
    )
