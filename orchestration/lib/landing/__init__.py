"""Landing: every extract file into ``<home>/warehouse.duckdb`` schema ``raw``, exactly once.

One file = one transaction: its rows and its audit record commit together or not at all, so a
crash mid-file leaves nothing behind and the next run lands the file again. Values stay text;
attributors are replaced by a keyed pseudonym, a birth month and an attributor status inside the
CSV scan, so no table ever holds initials or a full date of birth. A file that cannot be read as
a CSV extract is moved to ``<home>/quarantine/<source>/`` with a readable ``.error.txt``; the
rest of the batch still lands. Landed files move to ``<home>/archive/<source>/`` (restricted),
never deleted.

Landing never wedges (issue 22): stored names are bounded (:func:`stored_name`); a file still
being written waits for the next build (:func:`settle_files`); a move is all or nothing and one
that fails is reported and finished by the next build without recording the file again
(:meth:`Lander._unfinished_move`); a quarantined file always has its ``.error.txt``; a symbolic
link lands as its file and a dangling one is reported. What moved nothing is in the report's
``waiting`` and ``warnings`` and in ``state/last_landing.json``.

Two readers must agree before anything lands. Python's ``csv`` module reads the file strictly,
streaming (record count, characters, field counts, line endings, record sizes: every problem is
named by record and line), then DuckDB's CSV reader reads it again for the insert. When they
disagree (some malformed quoting is read differently by different parsers) the file is
quarantined rather than landed with rows that a correct reading would not give.

The package, in the order a file meets it: ``discovery`` (waiting files), ``encoding`` and
``reading`` (the bytes, then the strict reading), ``warehouse`` (tables, SQL, DuckDB's errors,
the key check), the ``lander`` (one file), ``storage`` (archive and quarantine moves) and
``batch`` (:func:`land`); ``model`` holds the outcomes, problems and limits.
"""

from orchestration.lib.landing.batch import (
    LAST_LANDING,
    PROFILE_STEPS,
    connect,
    land,
    read_notes,
)
from orchestration.lib.landing.discovery import (
    DEFAULT_SETTLE_SECONDS,
    SETTLE_ENV,
    discover,
    settle_files,
    settle_seconds,
)
from orchestration.lib.landing.encoding import (
    TRANSCODE_PREFIX,
    UTF8_MULTIBYTE,
    FileBytes,
    hash_file,
    inspect_bytes,
    readable_csv,
    remove_stale_transcodes,
)
from orchestration.lib.landing.lander import Lander
from orchestration.lib.landing.model import (
    IDENTIFYING_EXTRA,
    MAX_LINE_BYTES,
    MAX_LINE_CHARS,
    MAX_RECORD_CHARS,
    MEMORY_LIMIT,
    FileOutcome,
    FileProblem,
    LandingReport,
    NotStored,
    Status,
)
from orchestration.lib.landing.reading import (
    CsvScan,
    HeaderMap,
    StrictReading,
    iter_records,
    map_header,
    read_header,
    read_strictly,
    scan_records,
)
from orchestration.lib.landing.storage import (
    MAX_STORED_NAME_BYTES,
    _move,
    remove_partial_moves,
    stored_name,
)
from orchestration.lib.landing.warehouse import (
    _friendly_duckdb_error,
    check_key_matches,
    ensure_schema,
    warehouse_key_fingerprint,
)

__all__ = [
    "PROFILE_STEPS",
    "CsvScan",
    "DEFAULT_SETTLE_SECONDS",
    "FileBytes",
    "FileOutcome",
    "FileProblem",
    "HeaderMap",
    "IDENTIFYING_EXTRA",
    "LAST_LANDING",
    "Lander",
    "LandingReport",
    "MAX_LINE_BYTES",
    "MAX_LINE_CHARS",
    "MAX_RECORD_CHARS",
    "MAX_STORED_NAME_BYTES",
    "MEMORY_LIMIT",
    "NotStored",
    "SETTLE_ENV",
    "Status",
    "StrictReading",
    "TRANSCODE_PREFIX",
    "UTF8_MULTIBYTE",
    "_friendly_duckdb_error",
    "_move",
    "check_key_matches",
    "connect",
    "discover",
    "ensure_schema",
    "hash_file",
    "inspect_bytes",
    "iter_records",
    "land",
    "map_header",
    "read_header",
    "read_notes",
    "read_strictly",
    "readable_csv",
    "remove_partial_moves",
    "remove_stale_transcodes",
    "scan_records",
    "settle_files",
    "settle_seconds",
    "stored_name",
    "warehouse_key_fingerprint",
]
