"""dbt assets: the dbt project as Dagster assets (dbt tests become asset checks)."""

import logging
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from orchestration.defs.resources import WarehouseResource
from orchestration.lib import rekey, spark
from orchestration.lib.dbt_launcher import BUILD_EXCLUDES
from orchestration.lib.paths import DBT_PROJECT_DIR, SEEDS_DIR

log = logging.getLogger(__name__)

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
LAYERS = ("staging", "intermediate", "marts", "serving")


def _inputs_newer_than(path: Path) -> bool:
    if not path.exists():
        return True
    built = path.stat().st_mtime
    roots = [DBT_PROJECT_DIR / d for d in ("models", "macros", "tests")] + [SEEDS_DIR]
    files = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for root in roots:
        files.extend(p for p in root.rglob("*") if p.is_file())
    return any(f.stat().st_mtime > built for f in files)


def ensure_manifest() -> Path:
    """Parse the dbt project when the manifest is missing or older than the project files."""
    manifest = DBT_PROJECT.manifest_path
    if _inputs_newer_than(manifest):
        from dbt.cli.main import dbtRunner

        log.info("parsing the dbt project (manifest missing or stale)")
        res = dbtRunner().invoke(
            [
                "parse",
                "--quiet",
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
            ]
        )
        if not res.success:
            raise RuntimeError(f"dbt parse failed: {res.exception}")
    return manifest


class SmwDbtTranslator(DagsterDbtTranslator):
    """Asset keys by layer: raw/<table> for sources, <schema>/<model> for models and seeds."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(["raw", dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        for layer in LAYERS:
            if layer in fqn:
                return layer
        return None


def keep_partial_parse(invocation_target: Path) -> None:
    """Keep this build's parse cache where the next build's dbt finds it.

    dagster-dbt gives every dbt call its own target folder, seeded with
    ``target/partial_parse.msgpack``. dbt only reuses a cache parsed with the same profile (the
    warehouse path is part of it), so caching the one from the last build of this warehouse
    spares the next build a full parse (seconds). Replaced atomically; a cache for another
    warehouse only means a full parse."""
    cache = invocation_target / "partial_parse.msgpack"
    if not cache.exists():
        return
    target = Path(DBT_PROJECT.project_dir) / "target"
    staged = target / f".partial_parse.{os.getpid()}.msgpack"
    try:
        shutil.copyfile(cache, staged)
        os.replace(staged, target / "partial_parse.msgpack")
    except OSError as e:  # only a cache
        log.warning("could not keep dbt's partial parse cache: %s", e)


class DbtBuildConfig(dg.Config):
    """Run config of the dbt step; the monthly full-refresh schedule sets ``full_refresh``."""

    full_refresh: bool = False


def build_dbt_assets(manifest: Path) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=manifest,
        project=DBT_PROJECT,
        dagster_dbt_translator=SmwDbtTranslator(),
        name="dbt_models",
    )
    def dbt_models(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        warehouse: WarehouseResource,
        config: DbtBuildConfig,
    ):
        # After smw rekey every model is rebuilt: incremental ones keep rows by load id and
        # would keep the old pseudonyms (state/full_refresh_required.json, cleared on success).
        rekeyed = rekey.full_refresh_required(warehouse.home_dir)
        if rekeyed is not None:
            context.log.info(f"full refresh: {rekeyed.get('reason', 'required')}")
        args = [
            "build",
            *BUILD_EXCLUDES,
            *(["--full-refresh"] if config.full_refresh or rekeyed is not None else []),
        ]
        on_spark = spark.selected_engine(warehouse.engine) == "spark"
        if on_spark:
            local = spark.prepare_local_build(warehouse.home_dir.root)
            context.log.info(f"Spark engine: raw tables exported as Parquet to {local.raw_dir}")
        with warehouse.dbt_env():
            invocation = dbt.cli(args, context=context)
            yield from invocation.stream()
        keep_partial_parse(invocation.target_path)
        if on_spark:
            rows = spark.import_layers(local, warehouse.home_dir.warehouse_db)
            context.log.info(f"Spark build read back into DuckDB: {len(rows)} tables")
        if rekeyed is not None and invocation.is_successful():
            rekey.clear_full_refresh(warehouse.home_dir)

    return dbt_models
