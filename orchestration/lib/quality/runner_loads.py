"""Raw suites on an incremental build: validate the loads landed since the last validation.

Every landed row carries its load (``_load_id``; ``audit.loads`` lists each load with status
``loaded``; a quarantined file lands no row). A raw suite's rules split in two
(:func:`rule_scope`, the rule is written down in ``expectations/README.md``):

* ``loads``: the answer for a row (or for the rows of one file) depends only on that row (or
  file): column-map rules (not null, regex, like patterns, value sets, ranges), uniqueness
  whose columns include ``_load_id`` (keys once per file), and SQL rules that read only
  ``{batch}``. These run on the rows of the loads not yet validated, and their results are kept
  per set of loads in a ledger (``<docs_dir>/raw-loads/<suite>.json``);
* ``table``: the answer depends on other rows or tables (uniqueness across loads, row counts,
  aggregates, SQL rules that read another table): these run on the whole table every time.

What every consumer sees is the whole picture: a ``loads`` rule's result combines this run's
new loads with the stored results of the earlier loads still in the table (counts add up, a
failure of an earlier load still fails and still blocks), and says how many failing rows are
in this run's new loads. A full build, a changed suite, a missing ledger, or a load that has
left the table makes the suite run on the whole table again and the ledger start over.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from orchestration.lib.quality.expectations import CUSTOM_EXPECTATIONS
from orchestration.lib.quality.suites import ExpectationSpec, Suite

Scope = Literal["loads", "table"]

LOAD_COLUMN = "_load_id"
LEDGER_VERSION = 1

#: Expectations whose answer for a row depends on that row alone (GX column-map, pair-map and
#: multicolumn-map rules that compare values within a row).
_ROW_TYPES = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_not_match_regex",
        "expect_column_values_to_match_regex_list",
        "expect_column_values_to_not_match_regex_list",
        "expect_column_values_to_match_like_pattern",
        "expect_column_values_to_not_match_like_pattern",
        "expect_column_values_to_match_like_pattern_list",
        "expect_column_values_to_not_match_like_pattern_list",
        "expect_column_value_lengths_to_be_between",
        "expect_column_value_lengths_to_equal",
        "expect_column_values_to_be_in_type_list",
        "expect_column_values_to_be_of_type",
        "expect_column_pair_values_to_be_equal",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_pair_values_to_be_in_set",
        "expect_multicolumn_sum_to_equal",
        "expect_select_column_values_to_be_unique_within_record",
    }
)
#: Uniqueness across rows: per load only when ``_load_id`` is one of the columns.
_UNIQUE_TYPES = frozenset(
    {
        "expect_column_values_to_be_unique",
        "expect_compound_columns_to_be_unique",
        "expect_multicolumn_values_to_be_unique",
    }
)
# A schema-qualified table in a SQL rule (``raw.ims_agencies``): the rule reads another table.
_OTHER_TABLE = re.compile(r"\b(?:from|join)\s+(?!\{batch\})[A-Za-z_][A-Za-z0-9_]*\.", re.I)
# An aggregate in a SQL rule (the ``*_systemic`` share of the table, a count per group): its
# answer depends on every row of the batch, so on a month's file it would differ.
_AGGREGATE = re.compile(
    r"\b(?:count|sum|avg|min|max|string_agg|list)\s*\(|\bgroup\s+by\b|\bhaving\b|\bover\s*\(",
    re.I,
)


def rule_scope(spec: ExpectationSpec) -> Scope:
    """``loads`` when the rule's answer for the rows of a load depends on those rows alone."""
    if spec.type in _ROW_TYPES:
        return "loads"
    if spec.type in _UNIQUE_TYPES:
        return "loads" if LOAD_COLUMN in spec.columns else "table"
    if spec.type in CUSTOM_EXPECTATIONS:
        query = str(spec.kwargs.get("unexpected_rows_query", ""))
        return "table" if _OTHER_TABLE.search(query) or _AGGREGATE.search(query) else "loads"
    return "table"  # row counts, column sets, aggregates, anything unknown: the whole table


def split_rules(suite: Suite) -> tuple[Suite, Suite]:
    """The suite's ``loads`` rules and its ``table`` rules, as two suites on the same table."""
    loads = tuple(e for e in suite.expectations if rule_scope(e) == "loads")
    table = tuple(e for e in suite.expectations if rule_scope(e) == "table")
    return (
        replace(suite, name=suite.name + NEW_LOADS_SUFFIX, expectations=loads),
        replace(suite, name=suite.name + TABLE_RULES_SUFFIX, expectations=table),
    )


#: GX suite names of a raw suite's two parts on an incremental run (each its own results page).
NEW_LOADS_SUFFIX = "__new_loads"
TABLE_RULES_SUFFIX = "__table_rules"


def fingerprint(suite: Suite) -> str:
    """Changes whenever a rule of the suite changes (type, arguments, severity, name)."""
    rules = [
        [e.rule, e.type, e.severity, json.dumps(dict(e.kwargs), sort_keys=True, default=str)]
        for e in suite.expectations
    ]
    text = json.dumps([suite.table, suite.id_column, rules])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- the ledger: stored results of the loads already validated ----------------------------------


@dataclass(frozen=True)
class RuleOutcome:
    """One ``loads`` rule on one set of loads (counts and record ids only, as in our results)."""

    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    missing_count: int | None = None
    unexpected_percent: float | None = None
    observed_value: Any = None
    example_ids: tuple[Any, ...] = ()
    exception: str | None = None


@dataclass(frozen=True)
class LedgerEntry:
    run_id: str
    run_time: str
    loads: tuple[int, ...]
    rules: Mapping[str, RuleOutcome]
    # The sha256 of each load's file (audit.loads), so that a load id reused for other rows (a
    # warehouse rebuilt from the archive, a re-landed file) never matches stored results.
    shas: tuple[str, ...] = ()


@dataclass
class Ledger:
    suite: str
    fingerprint: str
    entries: list[LedgerEntry] = field(default_factory=list)

    def covered(self) -> set[int]:
        return {load for e in self.entries for load in e.loads}


def ledger_dir(docs_dir: Path) -> Path:
    return docs_dir / "raw-loads"


def ledger_path(docs_dir: Path, suite: str) -> Path:
    return ledger_dir(docs_dir) / f"{suite}.json"


def read_ledger(docs_dir: Path, suite: str) -> Ledger | None:
    """The stored ledger of ``suite``, or None (absent, unreadable or of another version)."""
    path = ledger_path(docs_dir, suite)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or data.get("version") != LEDGER_VERSION:
        return None
    try:
        entries = [
            LedgerEntry(
                run_id=str(e["run_id"]),
                run_time=str(e["run_time"]),
                loads=tuple(int(x) for x in e["loads"]),
                shas=tuple(str(x) for x in e["shas"]),
                rules={
                    rule: RuleOutcome(**{**o, "example_ids": tuple(o.get("example_ids") or ())})
                    for rule, o in e["rules"].items()
                },
            )
            for e in data["entries"]
        ]
        return Ledger(
            suite=str(data["suite"]), fingerprint=str(data["fingerprint"]), entries=entries
        )
    except (KeyError, TypeError, ValueError):
        return None  # a damaged ledger: the suite runs on the whole table and starts a new one


def write_ledger(docs_dir: Path, ledger: Ledger) -> Path:
    path = ledger_path(docs_dir, ledger.suite)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "version": LEDGER_VERSION,
        "suite": ledger.suite,
        "fingerprint": ledger.fingerprint,
        "entries": [
            {
                "run_id": e.run_id,
                "run_time": e.run_time,
                "loads": list(e.loads),
                "shas": list(e.shas),
                "rules": {
                    rule: {**o.__dict__, "example_ids": list(o.example_ids)}
                    for rule, o in e.rules.items()
                },
            }
            for e in ledger.entries
        ],
    }
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    tmp.replace(path)
    return path


@dataclass(frozen=True)
class Plan:
    """What one raw suite validates in this run."""

    whole_table: bool  # every rule on the whole table (and the ledger starts over)
    new_loads: tuple[int, ...]  # loads whose rows the ``loads`` rules read in this run
    kept: tuple[LedgerEntry, ...]  # stored results of earlier loads still in the table
    reason: str  # why, in words (shown with the results)
    new_shas: tuple[str, ...] = ()  # the sha256 of each new load's file


def plan(
    suite: Suite, present: Mapping[int, str] | None, ledger: Ledger | None, incremental: bool
) -> Plan:
    """Decide what ``suite`` validates, given the loads now in its table (``present``: load id →
    its file's sha256; None when the warehouse has no load audit) and its stored ledger."""
    everything = tuple(sorted(present or ()))
    shas = tuple((present or {})[load] for load in everything)
    if not incremental:
        return Plan(True, everything, (), "full build: whole table", shas)
    if present is None:
        return Plan(True, everything, (), "no load audit: whole table", shas)
    if ledger is None:
        return Plan(True, everything, (), "no stored results of earlier loads: whole table", shas)
    if ledger.fingerprint != fingerprint(suite):
        return Plan(True, everything, (), "the suite's rules changed: whole table", shas)
    now = set(present)
    if not now:
        return Plan(True, everything, (), "no loads in the table: whole table", shas)
    # An entry whose loads are not all in the table any more (a load removed or re-landed) no
    # longer describes it: its results are dropped and its remaining loads validated again.
    kept = tuple(
        e
        for e in ledger.entries
        if len(e.shas) == len(e.loads)
        and all(present.get(load) == sha for load, sha in zip(e.loads, e.shas, strict=True))
    )
    covered = {load for e in kept for load in e.loads}
    new = tuple(sorted(now - covered))
    dropped = len(ledger.entries) - len(kept)
    return Plan(
        False,
        new,
        kept,
        f"incremental: {len(new)} new load(s) validated, {len(covered)} earlier load(s) from "
        "stored results"
        + (
            f" ({dropped} stored result(s) dropped: a load left the table or changed)"
            if dropped
            else ""
        ),
        tuple(present[load] for load in new),
    )


def new_loads_query(table: str, loads: Iterable[int]) -> str:
    """The rows of ``loads`` in ``table`` (a GX query asset; load ids are integers we hold)."""
    ids = ", ".join(str(int(x)) for x in loads)
    return f"select * from {table} where {LOAD_COLUMN} in ({ids})"


def combine(
    outcomes: Sequence[RuleOutcome], max_examples: int, mostly: float | None = None
) -> RuleOutcome:
    """One rule over disjoint sets of loads, as GX would judge it on all their rows together:
    failing rows add up, and the verdict is GX's on the summed counts (with ``mostly``, the
    share of the rows considered that passed; else none may fail). ``outcomes`` newest first
    (example ids of the newest loads first)."""
    if len(outcomes) == 1:
        return outcomes[0]

    def total(name: str) -> int | None:
        values = [getattr(o, name) for o in outcomes]
        if name == "missing_count" and all(v is None for v in values):
            return None
        if name == "missing_count":
            values = [v or 0 for v in values]
        return None if any(v is None for v in values) else sum(values)

    element, unexpected, missing = (
        total("element_count"),
        total("unexpected_count"),
        total("missing_count"),
    )
    considered = None if element is None else element - (missing or 0)
    percent = None
    if considered and unexpected is not None:
        percent = 100.0 * unexpected / considered
    observed = [o.observed_value for o in outcomes]
    ids: list[Any] = []
    for o in outcomes:
        ids += [i for i in o.example_ids if i not in ids]
    exceptions = [o.exception for o in outcomes if o.exception]
    if exceptions or unexpected is None:
        success = all(o.success for o in outcomes) and not exceptions
    elif mostly is None or not considered:
        success = unexpected == 0 or not considered and mostly is not None
    else:
        success = (considered - unexpected) / considered >= mostly  # GX's _mostly_success
    return RuleOutcome(
        success=success,
        element_count=element,
        unexpected_count=unexpected,
        missing_count=missing,
        unexpected_percent=percent,
        observed_value=sum(observed)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in observed)
        else None,
        example_ids=tuple(ids[:max_examples]),
        exception="; ".join(dict.fromkeys(exceptions)) or None,
    )
