"""The dbt unit tests (hand-made people through the cohort, journey, indicator and quality
rules: models/**/_*__models.yml) run here, once per test session, and not in production builds.

dbt's advice: unit-test inputs are static, so they belong in development and CI, not in every
scheduled build; `smw build` excludes them (--exclude-resource-type unit_test). They need the
parents of each tested model to exist, so they run against a copy of the session's demo warehouse.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import dbt_on_copy

pytestmark = pytest.mark.slow


def test_every_dbt_unit_test_passes(demo_build, tmp_path):
    result, _, target = dbt_on_copy(
        demo_build.home.warehouse_db, tmp_path, "test", "--select", "test_type:unit"
    )
    manifest = json.loads((target / "manifest.json").read_text())
    defined = set(manifest["unit_tests"])
    results = [  # unit tests only (the run also has the project's on-run-start hook)
        r
        for r in json.loads((target / "run_results.json").read_text())["results"]
        if r["unique_id"].startswith("unit_test.")
    ]
    failed = [r["unique_id"] for r in results if r["status"] != "pass"]
    assert result.returncode == 0 and not failed, (failed, result.stdout[-6000:])
    assert len(defined) >= 16
    assert {r["unique_id"] for r in results} == defined, "every unit test ran"
