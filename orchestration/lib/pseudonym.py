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
import secrets
from dataclasses import dataclass
from pathlib import Path

KEY_ENV = "SMW_LINKAGE_KEY"
PSEUDONYM_VERSION = "v1"
_BLOCK = 64  # SHA-256 block size in bytes


class LinkageKeyError(RuntimeError):
    pass


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


def load_key(key_file: Path) -> LinkageKey:
    """The key from ``SMW_LINKAGE_KEY``, else from ``key_file``, created on first use (0600)."""
    env = os.environ.get(KEY_ENV)
    if env is not None:
        if len(env.strip()) < 16:
            raise LinkageKeyError(
                f"{KEY_ENV} is set but shorter than 16 characters; use a long random value"
            )
        return LinkageKey(env.strip().encode(), "environment")
    if key_file.exists():
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
    key_file.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(key_file.parent, 0o700)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    return load_key(key_file)


def normalised_attributor(
    first_initial: str | None,
    surname_initial: str | None,
    date_of_birth_iso: str | None,
    sex: str | None,
) -> str | None:
    """The message that is hashed, or None when the attributor is incomplete."""
    fi = (first_initial or "").strip().upper()
    si = (surname_initial or "").strip().upper()
    sx = (sex or "").strip().upper()
    if not (len(fi) == 1 and fi.isascii() and fi.isalpha()):
        return None
    if not (len(si) == 1 and si.isascii() and si.isalpha()):
        return None
    if not date_of_birth_iso or sx not in {"M", "F", "I", "U"}:
        return None
    return f"{PSEUDONYM_VERSION}|{fi}|{si}|{date_of_birth_iso}|{sx}"


def pseudonym(key: LinkageKey, message: str) -> str:
    return hmac.new(key.value, message.encode(), hashlib.sha256).hexdigest()


def sql_date(expr: str) -> str:
    """SQL parsing a text date in either accepted format (ISO, or UK DD/MM/YYYY)."""
    e = f"trim({expr})"
    return f"coalesce(try_strptime({e}, '%Y-%m-%d'), try_strptime({e}, '%d/%m/%Y'))::date"


def sql_attributor_message(fi: str, si: str, dob: str, sex: str) -> str:
    """SQL building the normalised attributor from raw text columns (NULL when incomplete).

    Mirrors :func:`normalised_attributor`.
    """
    f = f"upper(trim({fi}))"
    s = f"upper(trim({si}))"
    x = f"upper(trim({sex}))"
    d = sql_date(dob)
    return (
        f"case when regexp_full_match(coalesce({f}, ''), '[A-Z]') "
        f"and regexp_full_match(coalesce({s}, ''), '[A-Z]') "
        f"and {d} is not null and {x} in ('M', 'F', 'I', 'U') "
        f"then '{PSEUDONYM_VERSION}|' || {f} || '|' || {s} || '|' || strftime({d}, '%Y-%m-%d') "
        f"|| '|' || {x} end"
    )


def sql_hmac(message_expr: str, ipad_param: str, opad_param: str) -> str:
    """SQL computing HMAC-SHA256 (hex) of a text expression with padded keys as blob params."""
    return f"sha256({opad_param} || unhex(sha256({ipad_param} || encode({message_expr}))))"
