"""Where things are: the repository's own folders and the layout of a warehouse home."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
SEEDS_DIR = REPO_ROOT / "seeds"
CODE_LISTS_CSV = SEEDS_DIR / "code_lists" / "code_lists.csv"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
SUITES_DIR = EXPECTATIONS_DIR / "suites"

DEFAULT_LANDING = Path("landing")
DEFAULT_HOME = Path("warehouse")


#: Folders of the home that hold restricted data (identifiers as received, pseudonymised or
#: unsuppressed records, record ids, logs, the key): owner-only.
RESTRICTED_DIRS: tuple[str, ...] = (
    "archive",
    "quarantine",
    "state",
    "logs",
    "secrets",
    "data-docs",
    "spark",
    "dagster",
)


@dataclass(frozen=True)
class Home:
    """The warehouse home folder: restricted databases, archive, quarantine and outputs."""

    root: Path

    @classmethod
    def at(cls, root: Path | str) -> Home:
        return cls(Path(root).resolve())

    @property
    def warehouse_db(self) -> Path:
        """The restricted warehouse: raw, staging, intermediate and marts."""
        return self.root / "warehouse.duckdb"

    @property
    def serving_db(self) -> Path:
        """Published, suppressed marts only: what BI tools read."""
        return self.root / "serving.duckdb"

    @property
    def previous_serving_db(self) -> Path:
        return self.root / "serving.previous.duckdb"

    @property
    def archive_dir(self) -> Path:
        """Landed files as received (restricted: they hold identifiers)."""
        return self.root / "archive"

    @property
    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    @property
    def data_docs_dir(self) -> Path:
        return self.root / "data-docs"

    @property
    def data_quality_dir(self) -> Path:
        """Per-provider data-quality feedback pages (index.html and one page per provider)."""
        return self.root / "data-quality"

    @property
    def exports_dir(self) -> Path:
        return self.root / "exports"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def key_file(self) -> Path:
        """The linkage key, created on first use with owner-only permissions."""
        return self.root / "secrets" / "linkage.key"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def dagster_dir(self) -> Path:
        """The home's persistent Dagster instance (``DAGSTER_HOME``): runs, materializations,
        check results, schedule and sensor state (``lib/dagster_instance.py``)."""
        return self.root / "dagster"

    def ensure(self) -> Home:
        for d in (self.root, self.archive_dir, self.quarantine_dir, self.state_dir):
            d.mkdir(parents=True, exist_ok=True)
        return self.restrict()

    def restrict(self) -> Home:
        """Owner-only where the home holds restricted data; group-readable where it publishes.

        The home itself is 0750: its owner's group (the group BI readers run as) may reach the
        published files (serving.duckdb, exports, reports) and nothing else, others nothing.
        Restricted folders are 0700 and the warehouse database files 0600. Applied at the start
        and the end of every build (files DuckDB, GX or Dagster created meanwhile included).
        """
        os.chmod(self.root, 0o750)
        for name in RESTRICTED_DIRS:
            d = self.root / name
            if d.is_dir() and not d.is_symlink():
                os.chmod(d, 0o700)
        for f in self.root.glob(f"{self.warehouse_db.name}*"):
            if f.is_file() and not f.is_symlink():
                os.chmod(f, 0o600)
        return self
