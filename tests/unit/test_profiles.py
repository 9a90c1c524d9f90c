"""dbt_project/profiles.yml: dbt's DuckDB memory settings (default, override, insertion order)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.runlog import DUCKDB_MEMORY_LIMIT_DEFAULT

PROFILES = Path(__file__).resolve().parents[2] / "dbt_project" / "profiles.yml"


def _duckdb_output(env: dict[str, str]) -> dict:
    """The profile's duckdb output as dbt renders it with ``env`` as the environment."""
    from dbt.clients.yaml_helper import load_yaml_text
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    set_invocation_context(env)
    rendered = ProfileRenderer({}).render_data(load_yaml_text(PROFILES.read_text()))
    return rendered["smw"]["outputs"]["duckdb"]


def _applied(settings: dict) -> tuple[int, bool]:
    """DuckDB's memory limit (bytes) and insertion order once the settings are applied the way
    dbt-duckdb applies them (``SET key = 'value'`` on each cursor)."""
    con = duckdb.connect()
    try:
        for key, value in settings.items():
            con.execute(f"SET {key} = '{value}'")
        limit = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
        order = con.execute("select current_setting('preserve_insertion_order')").fetchall()[0][0]
    finally:
        con.close()
    number, unit = limit.split()
    scale = {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}[unit]
    return int(float(number) * scale), bool(order)


def test_default_profile_lets_duckdb_stream_and_names_its_memory_limit():
    env = {k: v for k, v in os.environ.items() if k != "SMW_DUCKDB_MEMORY_LIMIT"}
    settings = _duckdb_output(env)["settings"]
    # the default the out-of-memory hint names (orchestration/lib/runlog.py)
    assert settings["memory_limit"] == DUCKDB_MEMORY_LIMIT_DEFAULT
    assert settings["preserve_insertion_order"] is False
    limit, keeps_order = _applied(settings)
    assert limit > 0
    assert keeps_order is False


@pytest.mark.parametrize("value", ["6GB", "80%"])
def test_the_environment_overrides_the_memory_limit(value):
    env = {**os.environ, "SMW_DUCKDB_MEMORY_LIMIT": value}
    settings = _duckdb_output(env)["settings"]
    assert settings["memory_limit"] == value
    assert settings["preserve_insertion_order"] is False
