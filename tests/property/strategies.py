"""Hypothesis strategies for extract files: valid ones built in a known way (so the records they
hold are known without reading them back), and hostile ones made by breaking valid ones."""

from __future__ import annotations

import gzip
import random
import zlib
from dataclasses import dataclass, field

from hypothesis import strategies as st

from orchestration.lib import landing, spec

NSP = spec.source("ims_nsp_transactions")
FORMULAS = (
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://example.invalid","click")',
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    '=1+1,"x"',
)
AWKWARD = (
    '"',
    '""',
    ",",
    "\n",
    "\r\n",
    "\r",
    ' "quoted" ',
    "é",
    "😀",
    "  ",
    "",
    ";",
    "\u2028",
)
EXTRA_HEADERS = (
    "worker_notes",
    " Notes 2 ",
    "=cmd|' /C calc'!A0",
    "Région",
    "postcode",
    "dob_copy",
)

# U+FEFF (a byte order mark) past a file's first character makes it invalid: landing refuses it
# (tests/unit/test_landing_hostile.py), so valid files never hold one.
_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufeff")
hostile_text = st.one_of(
    st.text(_chars, max_size=12),
    st.sampled_from(FORMULAS + AWKWARD),
    st.text(alphabet=',"\r\n ;x=', max_size=10),
)
huge_text = st.builds(
    lambda ch, n: ch * n, st.sampled_from(["x", "é", ",", '"', "\n"]), st.integers(20_000, 120_000)
)
attributor_text = st.one_of(
    st.sampled_from(["J", "s", " k ", "", "JJ", "1", "É", "ı", "-"]),
    st.sampled_from(["1980-03-12", "12/03/1980", "1980-02-30", "1980-3-12", "0000-01-01", " 1999-12-31 ", "31/12/1999", ""]),
    st.sampled_from(["M", "f", " u ", "I", "X", "", "ｍ"]),
    hostile_text,
)  # fmt: skip


records_strategy = st.lists(
    st.fixed_dictionaries(
        {
            c: attributor_text if c in spec.ATTRIBUTOR_FIELDS else hostile_text
            for c in NSP.column_names
        }
    ),
    max_size=6,
)


def rfc4180(fields: list[str], newline: str) -> str:
    """One CSV line: a value holding a comma, quote or line break is quoted, quotes doubled."""
    out = []
    for f in fields:
        if any(ch in f for ch in ',"\r\n'):
            f = '"' + f.replace('"', '""') + '"'
        out.append(f)
    return ",".join(out) + newline


@dataclass
class ValidFile:
    """A file whose records are known: what landing must land, exactly."""

    name: str
    data: bytes
    records: list[dict[str, str]]
    extras: dict[str, list[str]] = field(default_factory=dict)  # kept extra column -> values
    encoding: str = "utf-8"


@st.composite
def valid_files(draw: st.DrawFn, name: str = "f.csv") -> ValidFile:
    records = draw(records_strategy)
    if records and draw(st.integers(0, 7)) == 0:  # huge values, sometimes over the record limit
        r = draw(st.integers(0, len(records) - 1))
        for c in draw(
            st.lists(
                st.sampled_from(["agency_code", "substance_injected"]), min_size=1, unique=True
            )
        ):
            records[r][c] = draw(huge_text)
    order = draw(st.permutations(list(NSP.column_names)))
    styled = [
        draw(st.sampled_from([c, c.upper(), c.title(), f" {c} ", f"{c.upper()}  "])) for c in order
    ]
    extras = draw(st.lists(st.sampled_from(EXTRA_HEADERS), unique=True, max_size=3))
    extra_values = {e: [draw(hostile_text) for _ in records] for e in extras}
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = rfc4180(styled + extras, newline)
    for i, r in enumerate(records):
        text += rfc4180([r[c] for c in order] + [extra_values[e][i] for e in extras], newline)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    data = _encode(text, encoding)
    if data is None:  # not representable in Windows-1252, or ambiguous with UTF-8
        encoding, data = "utf-8", text.encode("utf-8")
    gz = draw(st.booleans())
    if gz:
        data = gzip.compress(data, mtime=0)
    kept = {
        e.strip().lower(): v
        for e, v in extra_values.items()
        if not landing.IDENTIFYING_EXTRA.search(e.strip().lower())
    }
    return ValidFile(name + (".gz" if gz else ""), data, records, kept, encoding)


def _encode(text: str, encoding: str) -> bytes | None:
    if encoding != "cp1252":
        return text.encode(encoding)
    try:
        data = text.encode("cp1252")
    except UnicodeEncodeError:
        return None
    if landing.UTF8_MULTIBYTE.search(data):
        # Valid UTF-8 throughout, or in part: landing reads it as UTF-8, or refuses it as a
        # file mixing UTF-8 and Windows-1252 (tests/unit/test_landing_hostile.py).
        return None
    return data


# --------------------------------------------------------------------------------------------
# Hostile files: valid ones broken in the ways real files break


def _at(data: bytes, r: random.Random) -> int:
    return r.randrange(len(data) + 1)


def _mutate(data: bytes, how: str, r: random.Random, junk: bytes) -> bytes:
    raw = data
    gz = raw[:2] == b"\x1f\x8b"
    if gz:
        raw = gzip.decompress(raw)
    if how == "truncate":
        raw = raw[: _at(raw, r)]
    elif how == "stray_quote":
        i = _at(raw, r)
        raw = raw[:i] + b'"' + raw[i:]
    elif how == "insert_junk":
        i = _at(raw, r)
        raw = raw[:i] + junk + raw[i:]
    elif how == "delete_span":
        i = _at(raw, r)
        raw = raw[:i] + raw[i + r.randrange(1, 40) :]
    elif how == "mixed_endings":
        i = raw.find(b"\n", _at(raw, r))
        if i > 0:
            raw = raw[:i] + r.choice([b"\r\n", b"\r", b"\n\n", b"\r\r\n"]) + raw[i + 1 :]
    elif how == "extra_field":
        i = raw.rfind(b"\n", 0, max(raw.rfind(b"\n"), 0))
        raw = raw[: i + 1] + b"x," + raw[i + 1 :] if i >= 0 else raw + b"x,"
    elif how == "header_missing_column":
        head, _, rest = raw.partition(b"\n")
        cols = head.split(b",")
        cols.pop(r.randrange(len(cols)))
        raw = b",".join(cols) + b"\n" + rest
    elif how == "header_duplicate":
        head, _, rest = raw.partition(b"\n")
        raw = head.rstrip(b"\r") + b",Transaction_ID" + b"\n" + rest
    elif how == "no_header":
        raw = raw.partition(b"\n")[2]
    elif how == "binary":
        raw = junk * 3
    elif how == "empty":
        raw = b""
    if how == "corrupt_gzip":
        z = gzip.compress(raw, mtime=0)
        i = r.randrange(10, len(z)) if len(z) > 10 else 0
        return z[:i] + bytes([z[i] ^ 0xFF]) + z[i + 1 :] if r.random() < 0.5 else z[: len(z) // 2]
    return gzip.compress(raw, mtime=0) if gz else raw


MUTATIONS = (
    "truncate", "stray_quote", "insert_junk", "delete_span", "mixed_endings", "extra_field",
    "header_missing_column", "header_duplicate", "no_header", "binary", "empty", "corrupt_gzip",
    "none",
)  # fmt: skip


@dataclass
class HostileFile:
    name: str
    data: bytes
    mutation: str


@st.composite
def hostile_files(draw: st.DrawFn, name: str = "h.csv") -> HostileFile:
    base = draw(valid_files(name))
    how = draw(st.sampled_from(MUTATIONS))
    r = random.Random(draw(st.integers(0, 2**32)))
    junk = draw(st.binary(min_size=1, max_size=12))
    data = base.data if how == "none" else _mutate(base.data, how, r, junk)
    name = base.name
    if draw(st.integers(0, 9)) == 0:  # the name lies about the compression
        name = name[:-3] if name.endswith(".gz") else name + ".gz"
    return HostileFile(name, data, how)


def decode_like_a_person(data: bytes) -> str | None:
    """The text of a file as anyone would read it (None when it is not text)."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            return None
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return None
