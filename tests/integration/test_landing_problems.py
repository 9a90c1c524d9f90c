"""Row-level problems on the session demo warehouse: every planted defect of the demo manifest is
in marts.fct_row_problems with the right kind, file, record and field; nothing else is reported;
and no value is shown."""

from __future__ import annotations

import pytest

from orchestration.lib import spec
from tests.conftest import read_extract
from tests.db import rows as query

pytestmark = pytest.mark.slow

#: manifest kind -> (problem_kind, value class given the field)
EXPECTED = {
    "missing_required": ("missing_required", lambda f: "blank"),
    "unknown_code": ("unknown_code", lambda f: "unknown_code"),
    "negative_count": ("negative_count", lambda f: "negative"),
    "impossible_date_discharge_before_referral": ("impossible_date", lambda f: "before_referral"),
    "first_intervention_before_referral": ("impossible_date", lambda f: "before_referral"),
    "impossible_date_birth_in_future": ("impossible_date", lambda f: "after_event"),
    "incomplete_attributor": ("incomplete_attributor", lambda f: f"incomplete_attributor:missing_{f}"),
}  # fmt: skip


def record_numbers(demo_build, rel: str) -> dict[str, int]:
    """key -> record number (1 = first after the header) in a file as sent."""
    src = spec.source(rel.split("/", 1)[0])
    key = src.key[0]
    return {row[key]: i for i, row in enumerate(read_extract(demo_build.sent / rel), 1)}


@pytest.fixture(scope="module")
def problems(demo_build) -> list[tuple]:
    return query(
        demo_build.home.warehouse_db,
        "select source_name, file_name, record_number, record_key, field_name, problem_kind, "
        "value_class, message from marts.fct_row_problems",
    )


def test_every_planted_row_defect_is_reported_with_its_kind(demo_build, problems):
    defects = [d for d in demo_build.manifest["defects"] if d["error"]]
    assert {d["kind"] for d in defects} == set(EXPECTED)  # every error kind is covered here
    found = {p[:7] for p in problems}
    numbers: dict[str, dict[str, int]] = {}
    missing = []
    for d in defects:
        kind, value_class = EXPECTED[d["kind"]]
        rel = d["file"]
        n = numbers.setdefault(rel, record_numbers(demo_build, rel))[d["key"]]
        want = (
            d["source"],
            rel.split("/", 1)[1],
            n,
            d["key"],
            d["field"],
            kind,
            value_class(d["field"]),
        )
        if want not in found:
            missing.append(want)
    assert not missing, f"{len(missing)} planted defects not reported, e.g. {missing[:3]}"


def test_nothing_but_planted_defects_is_reported(demo_build, problems):
    planted = {(d["source"], d["key"], d["field"]) for d in demo_build.manifest["defects"]}
    extra = [p for p in problems if (p[0], p[3], p[4]) not in planted]
    assert not extra, extra[:5]


def test_problems_name_file_record_and_field_never_the_value(demo_build, problems):
    for source, file_name, n, _, field, _, value_class, message in problems:
        assert message.startswith(f"{source}/{file_name}, record {n}, field {field}: {value_class}")
    values = {
        d["value"]
        for d in demo_build.manifest["defects"]
        if d["error"] and d["value"] and len(d["value"]) > 2
    }
    assert values  # planted dates of birth, codes, dates
    text = " ".join(p[7] for p in problems)
    assert not [v for v in values if v in text]


def test_raw_says_which_attributor_part_is_missing(demo_build):
    db = demo_build.home.warehouse_db
    for d in demo_build.manifest["defects"]:
        if d["kind"] != "incomplete_attributor":
            continue
        key = spec.source(d["source"]).key[0]
        [(status, person)] = query(
            db,
            f"select attributor_status, person_id from raw.{d['source']} where {key} = ?",
            [d["key"]],
        )
        assert (status, person) == (f"missing_{d['field']}", None)
