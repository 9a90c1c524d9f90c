"""Files generated from the extract contract (orchestration/lib/spec.py) are current."""

from __future__ import annotations

from orchestration.lib import spec_codegen


def test_generated_files_match_the_spec():
    stale = [str(p.relative_to(spec_codegen.PROJECT_ROOT)) for p in spec_codegen.stale_files()]
    assert not stale, (
        f"out of date with orchestration/lib/spec.py: {stale}; run {spec_codegen.REGENERATE}"
    )


def test_generated_files_carry_the_do_not_edit_header():
    for path, text in spec_codegen.generated_files().items():
        assert text.startswith(spec_codegen.HEADER), path
        assert "do not edit" in spec_codegen.HEADER


def test_a_column_added_to_the_spec_makes_the_sources_yaml_stale(monkeypatch):
    from dataclasses import replace

    from orchestration.lib import spec

    src = spec.SOURCES[0]
    changed = replace(src, columns=(*src.columns, spec.Column("new_column")))
    monkeypatch.setattr(spec, "SOURCES", (changed, *spec.SOURCES[1:]))
    assert "          - name: new_column" in spec_codegen.sources_yaml(src.system)
    assert any(p.name == f"_{src.system}__sources.yml" for p in spec_codegen.stale_files())
