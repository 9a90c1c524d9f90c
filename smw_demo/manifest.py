"""What a demo generation wrote: files, rows, re-sent keys and every planted defect.

The manifest lets tests check that the warehouse finds *exactly* what was planted: each planted
cell or file is one entry (kind, source, file, record key, field, count), and the totals per kind
are repeated for convenience. ``error`` separates real defects (which the warehouse must count as
data-quality failures) from legal variants of the contract (UK dates, encodings, gzip, header
case, extra columns, re-sends) which it must accept.

Counting rules, so that a warehouse can reproduce every number:
* row-level kinds count **cells** (one entry per planted cell, ``count`` 1);
* file-level kinds (``duplicate_file``, ``windows_1252_file``, ``utf8_bom_file``, ``crlf_file``,
  ``gzip_file``, ``header_case_and_order``, ``extra_column``) count **files**;
* a whole file written with UK dates is one ``uk_date_format`` entry with ``field`` ``"*"`` and
  ``count`` = the number of date cells in it;
* ``resent_record`` counts **keys** whose record appears again in a later file with changed
  values: the natural episode re-sends (one entry per file, ``field`` ``discharge_date``), the
  planted NSP and DIP corrections (one entry per key) and the agency snapshots whose values
  changed (one entry per file).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

#: Kinds that are data-quality errors; every other kind is a legal variant.
ERROR_KINDS = frozenset(
    {
        "missing_required",
        "unknown_code",
        "negative_count",
        "impossible_date_discharge_before_referral",
        "impossible_date_birth_in_future",
        "first_intervention_before_referral",
        "incomplete_attributor",
    }
)
VARIANT_KINDS = frozenset(
    {
        "uk_date_format",
        "resent_record",
        "duplicate_file",
        "windows_1252_file",
        "utf8_bom_file",
        "crlf_file",
        "gzip_file",
        "code_case_and_spaces",
        "header_case_and_order",
        "extra_column",
        "quoted_field_with_comma_newline",
    }
)


@dataclass(frozen=True)
class PlantedDefect:
    kind: str
    source: str
    file: str  # path relative to the output folder, POSIX separators
    key: str | None  # the record key (e.g. "NSP-00001234"); None for file-level kinds
    field: str | None  # the column; None for file-level kinds, "*" for every date in a file
    count: int = 1
    value: str | None = None  # the value written (None for file-level kinds)

    @property
    def error(self) -> bool:
        return self.kind in ERROR_KINDS


@dataclass
class FileRecord:
    path: str
    rows: int  # data records, excluding the header
    encoding: str  # utf-8, utf-8-sig or cp1252
    newline: str  # "LF" or "CRLF"
    gzip: bool
    sha256: str  # of the bytes on disk


@dataclass
class SourceSummary:
    files: list[FileRecord] = field(default_factory=list)
    rows: int = 0  # data records over all files (a re-sent record counts each time)
    distinct_keys: int = 0
    resent_keys: list[str] = field(default_factory=list)


@dataclass
class DemoManifest:
    seed: int
    scale: float
    periods: list[str]
    areas: list[str]
    sources: dict[str, SourceSummary] = field(default_factory=dict)
    defects: list[PlantedDefect] = field(default_factory=list)
    calibration: dict[str, Any] = field(default_factory=dict)
    generator: str = "smw_demo"
    format_version: int = 1

    def defect_counts(self) -> dict[str, int]:
        """Total count per kind."""
        out: dict[str, int] = {}
        for d in self.defects:
            out[d.kind] = out.get(d.kind, 0) + d.count
        return dict(sorted(out.items()))

    def defect_counts_by_source(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for d in self.defects:
            per = out.setdefault(d.source, {})
            per[d.kind] = per.get(d.kind, 0) + d.count
        return {s: dict(sorted(v.items())) for s, v in sorted(out.items())}

    def defects_of(self, kind: str, source: str | None = None) -> list[PlantedDefect]:
        return [
            d for d in self.defects if d.kind == kind and (source is None or d.source == source)
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "generator": self.generator,
            "format_version": self.format_version,
            "seed": self.seed,
            "scale": self.scale,
            "periods": list(self.periods),
            "areas": list(self.areas),
            "sources": {name: asdict(s) for name, s in self.sources.items()},
            "defect_counts": self.defect_counts(),
            "defect_counts_by_source": self.defect_counts_by_source(),
            "error_kinds": sorted(ERROR_KINDS),
            "defects": [{**asdict(d), "error": d.error} for d in self.defects],
            "calibration": self.calibration,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=False, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DemoManifest:
        sources = {
            name: SourceSummary(
                files=[FileRecord(**f) for f in s["files"]],
                rows=s["rows"],
                distinct_keys=s["distinct_keys"],
                resent_keys=list(s["resent_keys"]),
            )
            for name, s in data["sources"].items()
        }
        defects = [
            PlantedDefect(
                kind=d["kind"],
                source=d["source"],
                file=d["file"],
                key=d["key"],
                field=d["field"],
                count=d["count"],
                value=d.get("value"),
            )  # fmt: skip
            for d in data["defects"]
        ]
        return cls(
            seed=data["seed"],
            scale=data["scale"],
            periods=list(data["periods"]),
            areas=list(data["areas"]),
            sources=sources,
            defects=defects,
            calibration=data.get("calibration", {}),
            generator=data.get("generator", "smw_demo"),
            format_version=data.get("format_version", 1),
        )
