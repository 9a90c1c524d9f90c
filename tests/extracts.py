"""Handmade extract files for the landing tests."""

from __future__ import annotations

from pathlib import Path

NSP = "ims_nsp_transactions"
NSP_HEADER = (
    "transaction_id,agency_code,transaction_date,first_initial,surname_initial,"
    "date_of_birth,sex,substance_injected,needles_issued"
)

#: A record every rule accepts.
NSP_GOOD_ROW = "T1,A1,2020-04-01,J,S,1980-03-12,M,heroin,10"


def nsp_file(*records: str) -> str:
    """An NSP extract's text: the header, then ``records`` (default: the good record)."""
    return "".join(f"{line}\n" for line in (NSP_HEADER, *(records or (NSP_GOOD_ROW,))))


def write_extract(landing_dir: Path, source: str, name: str, content: str | bytes) -> Path:
    """``<landing>/<source>/<name>`` holding ``content`` byte for byte (text as UTF-8, line
    endings as written)."""
    d = landing_dir / source
    d.mkdir(parents=True, exist_ok=True)
    p = d / name
    p.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return p
