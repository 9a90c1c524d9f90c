"""Where things are: the repository's own folders and the layout of a warehouse home."""

from __future__ import annotations

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

    def ensure(self) -> Home:
        for d in (self.root, self.archive_dir, self.quarantine_dir, self.state_dir):
            d.mkdir(parents=True, exist_ok=True)
        return self
