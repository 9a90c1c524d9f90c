"""What landing reports (each file's outcome, the batch's report), the problems that
stop a file, and the limits of what it reads."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from typing import Literal

Status = Literal["loaded", "duplicate", "quarantined"]
_CHUNK = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
#: Longest record (all its fields together, in characters) landing accepts; a longer one makes
#: the file unreadable (quarantined). Real records are a few hundred characters.
MAX_RECORD_CHARS = 1 << 18
#: Longest physical line, in characters, read before the CSV parser sees it (bounds memory).
MAX_LINE_CHARS = 1 << 20
#: DuckDB's line limit in bytes: above any record the strict reading accepts (at most
#: MAX_RECORD_CHARS characters of four UTF-8 bytes, plus quoting), so it is never the binding one.
MAX_LINE_BYTES = 2 << 20
#: Memory the landing connection may use. Landing streams, so this is a ceiling, not a need:
#: the scale-10 demo (17.8 million rows) lands in about 250 MB of resident memory with it.
MEMORY_LIMIT = "128MB"
#: Extra columns whose names say they hold identifiers are not kept (the archive has them).
IDENTIFYING_EXTRA = re.compile(
    r"initial|forename|surname|first_?name|last_?name|full_?name|birth|dob|nhs|postcode|address"
)

# csv's per-field limit is process-wide; it must not be lower than the record limit.
csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD_CHARS + 1))


class NotStored(Exception):
    """A file that could be neither landed nor quarantined (nothing recorded, nothing moved):
    it stays in the landing folder and is tried again at the next build."""


class FileProblem(Exception):
    """A file-level problem: the file cannot be landed and goes to quarantine."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


@dataclass
class FileOutcome:
    source: str
    file_name: str
    status: Status
    load_id: int
    rows: int = 0
    sha256: str = ""
    encoding: str = ""
    extra_columns: list[str] = field(default_factory=list)
    error: str | None = None
    duplicate_of: int | None = None
    stored_at: str = ""  # archive or quarantine path
    dropped_columns: list[str] = field(default_factory=list)
    #: Why the file is still in the landing folder although its outcome is recorded (the move
    #: failed); the next build finishes the move without recording the file again.
    move_error: str | None = None


@dataclass
class LandingReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    #: Files left in the landing folder for the next build (still being written), one line each.
    waiting: list[str] = field(default_factory=list)
    #: Problems that landed nothing and moved nothing (a dangling link, a move that failed).
    warnings: list[str] = field(default_factory=list)
    #: Seconds per step of the batch (``batch.PROFILE_STEPS``, ``other`` and ``total``).
    seconds: dict[str, float] = field(default_factory=dict)

    def by_status(self, status: Status) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def rows_loaded(self) -> int:
        return sum(o.rows for o in self.by_status("loaded"))
