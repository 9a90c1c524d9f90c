"""The one Dagster Definitions loads with every asset, check, schedule and sensor."""

from __future__ import annotations

import dagster as dg

from orchestration.definitions import BUILD_JOB, build_definitions
from orchestration.defs.sensors import landing_fingerprint
from orchestration.lib import spec
from orchestration.lib.runlog import DUCKDB_MEMORY_LIMIT_DEFAULT


def test_definitions_hold_the_whole_graph(tmp_path):
    defs = build_definitions(tmp_path / "home", tmp_path / "landing")
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {f"raw/{s.name}" for s in spec.SOURCES} <= keys
    assert {
        "marts/fct_nsp_area_periods",
        "serving/rpt_nsp_activity",
        "published/serving_database",
        "outputs/area_reports",
    } <= keys
    # the reports read what was published, never the restricted warehouse
    report_parents = graph.get(dg.AssetKey(["outputs", "area_reports"])).parent_keys
    assert {p.to_user_string() for p in report_parents} == {"published/serving_database"}
    assert any(k.startswith("staging/stg_") for k in keys)
    # every staging model reads the raw asset that landing produces (same keys as the dbt sources)
    for s in spec.SOURCES:
        children = graph.get(dg.AssetKey(["raw", s.name])).child_keys
        assert any(c.path[0] == "staging" for c in children), s.name
    # the publish asset depends on every serving model (and on marts gated by blocking suites)
    publish_parents = graph.get(dg.AssetKey(["published", "serving_database"])).parent_keys
    assert {k for k in keys if k.startswith("serving/")} <= {
        p.to_user_string() for p in publish_parents
    }
    checks = list(graph.asset_check_keys)
    assert any(c.asset_key.path[0] == "staging" for c in checks), "dbt tests are asset checks"
    # the singular disclosure test reads two models; its meta attaches it to the cells it protects
    assert dg.AssetCheckKey(
        dg.AssetKey(["marts", "fct_disclosure_cells"]),
        "assert_no_suppressed_cell_recoverable_by_subtraction",
    ) in set(checks)
    gx = {c.asset_key.to_user_string(): c.name for c in checks if c.name.startswith("gx_")}
    assert gx["raw/ims_nsp_transactions"] == "gx_ims_nsp_transactions"
    assert gx["marts/fct_nsp_area_periods"] == "gx_fct_nsp_area_periods"
    job = defs.resolve_job_def(BUILD_JOB)
    assert job is not None
    assert defs.resolve_schedule_def("daily_build").job_name == BUILD_JOB
    assert {s.name for s in defs.sensors} == {"landing_folder_sensor", "record_run_failure"}


def test_landing_sensor_requests_a_run_only_for_new_files(tmp_path):
    landing = tmp_path / "landing"
    defs = build_definitions(tmp_path / "home", landing)
    sensor = defs.resolve_sensor_def("landing_folder_sensor")
    with dg.build_sensor_context() as ctx:
        assert isinstance(sensor(ctx), dg.SkipReason)
    (landing / "ims_agencies").mkdir(parents=True)
    (landing / "ims_agencies" / "a.csv").write_text("agency_code\n")
    digest, n = landing_fingerprint(landing)
    assert n == 1
    with dg.build_sensor_context(cursor=None) as ctx:
        req = sensor(ctx)
        assert isinstance(req, dg.RunRequest) and req.run_key == digest
    with dg.build_sensor_context(cursor=digest) as ctx:
        assert isinstance(sensor(ctx), dg.SkipReason)


def test_a_failed_dbt_build_is_reported_by_its_first_failing_model():
    from orchestration.defs.hooks import _first_line

    text = (
        "The dbt CLI process with command\n\n`dbt build --select ...`\n\nfailed with exit code `1`."
        " Check the stdout in the Dagster compute logs.\nErrors parsed from dbt logs:\n"
        "172 of 248 ERROR creating sql table model intermediate.int_ims_client_periods .. [ERROR]\n"
        "  Runtime Error in model int_ims_client_periods (models/intermediate/ims/x.sql)\n"
        "  Out of Memory Error: failed to pin block of size 256.0 KiB (1.8 GiB/1.8 GiB used)\n"
    )
    message = _first_line(RuntimeError(text))
    assert message.startswith(
        "dbt: Runtime Error in model int_ims_client_periods: Out of Memory Error: failed to pin"
    )
    assert "SMW_DUCKDB_MEMORY_LIMIT" in message
    # the hint names the default the profile really has (tests/unit/test_profiles.py)
    assert f"by default {DUCKDB_MEMORY_LIMIT_DEFAULT}: raise it" in message
    other = text.replace(
        "Out of Memory Error: failed to pin block of size 256.0 KiB (1.8 GiB/1.8 GiB used)",
        "Binder Error: column x not found",
    )
    assert _first_line(RuntimeError(other)) == (
        "dbt: Runtime Error in model int_ims_client_periods: Binder Error: column x not found"
    )
    assert _first_line(ValueError("plain\n\nmore")) == "ValueError: plain"
