"""Resources shared by the assets: where the warehouse lives and where extracts land."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from orchestration.lib.paths import Home
from orchestration.lib.pseudonym import LinkageKey, load_key


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse home folder and the landing folder of one deployment."""

    home: str
    landing: str

    @property
    def home_dir(self) -> Home:
        return Home.at(self.home)

    @property
    def landing_dir(self) -> Path:
        return Path(self.landing).resolve()

    def linkage_key(self) -> LinkageKey:
        return load_key(self.home_dir.key_file)

    @contextmanager
    def dbt_env(self) -> Iterator[None]:
        """Point the in-repo dbt profile at this warehouse for the duration of a dbt call."""
        name = "SMW_WAREHOUSE_PATH"
        before = os.environ.get(name)
        os.environ[name] = str(self.home_dir.warehouse_db)
        try:
            yield
        finally:
            if before is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = before
