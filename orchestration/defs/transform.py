"""dbt assets: the dbt project as Dagster assets (dbt tests become asset checks)."""

import logging
import os
import shutil
import uuid
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
from orchestration.lib.paths import DBT_PROJECT_DIR, SEEDS_DIR, Home

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


#: dbt's parse cache of a home's last build: ``<home>/state/dbt-parse/partial_parse.msgpack``
PARSE_CACHE = Path("dbt-parse") / "partial_parse.msgpack"


def invocation_target(context: dg.AssetExecutionContext) -> Path:
    """A new target folder for this dbt call, named as dagster-dbt names its own
    (``target/dbt_models-<run>-<random>``; ``DBT_TARGET_PATH`` moves ``target``)."""
    base = Path(os.environ.get("DBT_TARGET_PATH", "target"))
    if not base.is_absolute():
        base = Path(DBT_PROJECT.project_dir) / base
    return base / f"dbt_models-{context.run.run_id[:7]}-{uuid.uuid4().hex[:7]}"


def seed_partial_parse(home: Home, invocation_target: Path) -> None:
    """Start this dbt call from the parse cache of the home's last build (dagster-dbt copies
    the shared ``target/partial_parse.msgpack`` only into a target folder without one).

    dbt reuses a cache only if it was parsed with the same profile, and the warehouse path is
    part of the profile: a cache shared by every home is a full parse (seconds) whenever the
    last build was of another home, as when tests or two teams build side by side."""
    cache = home.state_dir / PARSE_CACHE
    if cache.is_file():
        invocation_target.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(cache, invocation_target / PARSE_CACHE.name)
        except OSError as e:  # only a cache
            log.warning("could not use dbt's partial parse cache: %s", e)


def keep_partial_parse(home: Home, invocation_target: Path) -> None:
    """Keep this build's parse cache in the home, where its next build starts from it
    (:func:`seed_partial_parse`). Replaced atomically; a damaged or missing cache only means a
    full parse (dbt checks every file's hash and the profile's before it reuses one)."""
    cache = invocation_target / PARSE_CACHE.name
    if not cache.exists():
        return
    kept = home.state_dir / PARSE_CACHE
    staged = kept.with_name(f".{kept.name}.{os.getpid()}.tmp")
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        for stale in kept.parent.glob(f".{kept.name}.*.tmp"):  # a build killed while copying
            stale.unlink(missing_ok=True)
        shutil.copyfile(cache, staged)
        os.replace(staged, kept)
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
        target = invocation_target(context)
        seed_partial_parse(warehouse.home_dir, target)
        with warehouse.dbt_env():
            invocation = dbt.cli(args, context=context, target_path=target)
            yield from invocation.stream()
        keep_partial_parse(warehouse.home_dir, invocation.target_path)
        if on_spark:
            rows = spark.import_layers(local, warehouse.home_dir.warehouse_db)
            context.log.info(f"Spark build read back into DuckDB: {len(rows)} tables")
        if rekeyed is not None and invocation.is_successful():
            rekey.clear_full_refresh(warehouse.home_dir)

    return dbt_models
