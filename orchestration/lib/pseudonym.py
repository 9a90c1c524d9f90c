"""Keyed pseudonyms for the attributor (initials, date of birth, sex).

The pseudonym is HMAC-SHA256 over the normalised attributor
``v1|<FIRST INITIAL>|<SURNAME INITIAL>|<YYYY-MM-DD>|<SEX>`` with a secret linkage key. The same
person in two sources gets the same pseudonym, so sources link; without the key nobody can
recompute it from a guessed attributor (a plain hash of initials and a birth date could be
reversed by trying every combination in seconds).

The HMAC is computed inside DuckDB (``sha256`` over blobs) while the CSV is scanned, so initials
and dates of birth never land in any table, temporary or not. :func:`pseudonym` is the same
function in Python, used by tests and tools to check the SQL.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from orchestration.lib.sql_parsing import parse_date_sql

KEY_ENV = "SMW_LINKAGE_KEY"
PSEUDONYM_VERSION = "v1"
_BLOCK = 64  # SHA-256 block size in bytes


class LinkageKeyError(RuntimeError):
    pass


class LinkageKeyMismatch(LinkageKeyError):
    """The key in use is not the one the warehouse's pseudonyms were made with."""


@dataclass(frozen=True)
class LinkageKey:
    """The secret key. Its repr never shows the value, so it cannot leak into logs."""

    value: bytes
    origin: str  # "environment" or the key file path

    def __repr__(self) -> str:
        return f"LinkageKey(origin={self.origin!r}, value=<hidden>)"

    def pads(self) -> tuple[bytes, bytes]:
        """The HMAC inner and outer padded keys (RFC 2104), for computing HMAC in SQL."""
        k = self.value if len(self.value) <= _BLOCK else hashlib.sha256(self.value).digest()
        k = k.ljust(_BLOCK, b"\0")
        return bytes(b ^ 0x36 for b in k), bytes(b ^ 0x5C for b in k)

    @property
    def fingerprint(self) -> str:
        """A short, non-reversible identifier of the key, to tell keys apart in the audit."""
        return hashlib.sha256(b"smw-key-fingerprint|" + self.value).hexdigest()[:12]


def load_key(key_file: Path, may_create: bool = True) -> LinkageKey:
    """The key from ``SMW_LINKAGE_KEY``, else from ``key_file``, created on first use (0600).

    ``may_create`` is false once the warehouse holds pseudonyms: a lost key file is then an
    error, never silently replaced by a new key (issue 22)."""
    env = os.environ.get(KEY_ENV)
    if env is not None:
        if len(env.strip()) < 16:
            raise LinkageKeyError(
                f"{KEY_ENV} is set but shorter than 16 characters; use a long random value"
            )
        return LinkageKey(env.strip().encode(), "environment")
    if key_file.exists():
        return read_key_file(key_file)
    if not may_create:
        raise LinkageKeyMismatch(
            f"the linkage key file {key_file} is missing but the warehouse already holds people "
            f"pseudonymised with it; a new key would make everyone a new person, so none is "
            f"created. Restore the key file from its backup (owner-only, mode 600), or set "
            f"{KEY_ENV} to the key's value, and build again (if the key is lost for good, "
            "smw rekey re-pseudonymises everyone from the archive with a new key)"
        )
    key_file.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(key_file.parent, 0o700)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(new_key_value() + "\n")
    return load_key(key_file)


def new_key_value() -> str:
    """A new random key (256 bits, hex)."""
    return secrets.token_hex(32)


def read_key_file(key_file: Path) -> LinkageKey:
    """The key in a key file: owner-only (no group or other permission), at least 32 characters."""
    mode = key_file.stat().st_mode & 0o777
    if mode & 0o077:
        raise LinkageKeyError(
            f"linkage key file {key_file} is readable by others (mode {mode:o}); "
            f"run: chmod 600 {key_file}"
        )
    value = key_file.read_text().strip()
    if len(value) < 32:
        raise LinkageKeyError(f"linkage key file {key_file} is too short or empty")
    return LinkageKey(value.encode(), str(key_file))


def stage_key_file(key_file: Path, key: LinkageKey) -> Path:
    """Write ``key`` owner-only (0600) beside ``key_file``, flushed to disk, without touching
    ``key_file``: :func:`install_key_file` then puts it in place with one rename."""
    key_file.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(key_file.parent, 0o700)
    staged = key_file.with_name(f".{key_file.name}.new")
    staged.unlink(missing_ok=True)
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.value + b"\n")
        f.flush()
        os.fsync(f.fileno())
    return staged


def install_key_file(staged: Path, key_file: Path) -> None:
    """Replace ``key_file`` by the staged key atomically (readers see the old or the new key)."""
    os.replace(staged, key_file)
    dir_fd = os.open(key_file.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


#: The parts of the attributor, in the order ``attributor_status`` reports them.
ATTRIBUTOR_PARTS: tuple[str, ...] = ("first_initial", "surname_initial", "date_of_birth", "sex")
SEX_CODES: tuple[str, ...] = ("M", "F", "I", "U")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UK_DATE = re.compile(r"[0-9]{2}/[0-9]{2}/[0-9]{4}")


def _clean(value: str | None) -> str:
    # Surrounding spaces only (what the SQL's trim(x, ' ') removes), so both sides agree.
    return (value or "").strip(" ")


def parse_date_text(text: str | None) -> date | None:
    """A date in either accepted form (``YYYY-MM-DD`` or UK ``DD/MM/YYYY``), else None."""
    t = _clean(text)
    try:
        if _ISO_DATE.fullmatch(t):
            return datetime.strptime(t, "%Y-%m-%d").date()
        if _UK_DATE.fullmatch(t):
            return datetime.strptime(t, "%d/%m/%Y").date()
    except ValueError:
        return None
    return None


def _initial_ok(value: str) -> bool:
    return len(value) == 1 and value.isascii() and value.isalpha()


def attributor_status(
    first_initial: str | None,
    surname_initial: str | None,
    date_of_birth: str | None,
    sex: str | None,
) -> str:
    """``complete``, or which parts are missing or invalid, ``;``-separated in part order.

    E.g. ``missing_first_initial`` or ``invalid_date_of_birth;missing_sex``. It names parts,
    never values, so it can be stored and reported. Mirrors :func:`sql_attributor_status`.
    """
    fi, si, dob, sx = (_clean(v) for v in (first_initial, surname_initial, date_of_birth, sex))
    problems = []
    for part, value, ok in (
        ("first_initial", fi, _initial_ok(fi)),
        ("surname_initial", si, _initial_ok(si)),
        ("date_of_birth", dob, parse_date_text(dob) is not None),
        ("sex", sx, sx.upper() in SEX_CODES and sx.isascii()),
    ):
        if not value:
            problems.append(f"missing_{part}")
        elif not ok:
            problems.append(f"invalid_{part}")
    return ";".join(problems) or "complete"


def normalised_attributor(
    first_initial: str | None,
    surname_initial: str | None,
    date_of_birth: str | None,
    sex: str | None,
) -> str | None:
    """The message that is hashed, or None when the attributor is incomplete.

    ``date_of_birth`` is the text as sent (either accepted form)."""
    if attributor_status(first_initial, surname_initial, date_of_birth, sex) != "complete":
        return None
    dob = parse_date_text(date_of_birth)
    assert dob is not None
    fi, si, sx = (_clean(v).upper() for v in (first_initial, surname_initial, sex))
    return f"{PSEUDONYM_VERSION}|{fi}|{si}|{dob.isoformat()}|{sx}"


def pseudonym(key: LinkageKey, message: str) -> str:
    return hmac.new(key.value, message.encode(), hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------------------------
# The same rules in SQL (DuckDB), applied inside the CSV scan


def _sql_clean(expr: str) -> str:
    return f"trim(coalesce({expr}, ''), ' ')"


def sql_pseudonymise(relation: str, fi: str, si: str, dob: str, sex: str) -> str:
    """A subquery over ``relation`` adding, to all its columns, the attributor's derivatives.

    ``_attributor_message`` (the normalised attributor, NULL when incomplete: mirrors
    :func:`normalised_attributor`), ``_attributor_status`` (mirrors :func:`attributor_status`)
    and ``_birth_month`` (YYYY-MM). Each part is cleaned and checked once per row, in nested
    projections, because the derivatives share them. The identifying columns flow through the
    query only; the caller selects what is stored.
    """
    sex_codes = ", ".join(f"'{c}'" for c in SEX_CODES + tuple(c.lower() for c in SEX_CODES))
    parts = ("first_initial", "surname_initial", "date_of_birth", "sex")
    cleaned = ", ".join(
        f"{_sql_clean(expr)} as _a_{part}"
        for part, expr in zip(parts, (fi, si, dob, sex), strict=True)
    )
    dob = parse_date_sql("_a_date_of_birth")
    checked = (
        "regexp_full_match(_a_first_initial, '[A-Za-z]') as _ok_first_initial, "
        "regexp_full_match(_a_surname_initial, '[A-Za-z]') as _ok_surname_initial, "
        # Year 0000 parses in DuckDB (as 1 BC) but is no date of birth.
        f"case when {dob} >= date '0001-01-01' then {dob} end as _dob, "
        f"_a_sex in ({sex_codes}) as _ok_sex"
    )
    status = ", ".join(
        f"case when _a_{part} = '' then 'missing_{part}' "
        f"when not coalesce({ok}, false) then 'invalid_{part}' end"
        for part, ok in (
            ("first_initial", "_ok_first_initial"),
            ("surname_initial", "_ok_surname_initial"),
            ("date_of_birth", "_dob is not null"),
            ("sex", "_ok_sex"),
        )
    )
    derived = (
        "case when _ok_first_initial and _ok_surname_initial and _dob is not null and _ok_sex "
        f"then '{PSEUDONYM_VERSION}|' || upper(_a_first_initial) || '|' || upper(_a_surname_initial) "
        "|| '|' || strftime(_dob, '%Y-%m-%d') || '|' || upper(_a_sex) end as _attributor_message, "
        f"coalesce(nullif(concat_ws(';', {status}), ''), 'complete') as _attributor_status, "
        "strftime(_dob, '%Y-%m') as _birth_month"
    )
    return (
        f"(select *, {derived} from (select *, {checked} from "
        f"(select *, {cleaned} from {relation})))"
    )


def sql_hmac(message_expr: str, ipad_param: str, opad_param: str) -> str:
    """SQL computing HMAC-SHA256 (hex) of a text expression with padded keys as blob params."""
    return f"sha256({opad_param} || unhex(sha256({ipad_param} || encode({message_expr}))))"
