"""Expectation suites: reviewed YAML files, loaded strictly and built into GX objects at run time.

One file per table: ``expectations/suites/<layer>/<table>.yml`` (the format is documented in
``expectations/README.md``). The YAML is the source of truth; GX's JSON is never written to the
repository. Code values are never copied into a suite: ``value_set: {code_list: <name>}`` (or
``regex: {code_list: <name>}`` for text as sent) is resolved from the code-list seed when the
suite is loaded, and ``{areas: <type>}`` from the areas seed. The SQL of
``expect_query_to_return_no_rows`` may call a few helpers (``{{ date('x') }}`` ...) that expand
to the same parsing rules staging uses (see :data:`SQL_HELPERS`).
"""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

import great_expectations as gx
import jinja2
import jinja2.sandbox
import yaml
from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.metadata_types import FailureSeverity

from orchestration.lib import spec as extract_spec
from orchestration.lib.paths import SUITES_DIR
from orchestration.lib.quality.expectations import CUSTOM_EXPECTATIONS
from orchestration.lib.quality.suite_codes import (
    AREAS_CSV,
    codes_regex,
    load_areas,
    load_code_lists,
)
from orchestration.lib.quality.suite_sql import (
    _SQL_TEMPLATES,
    SQL_HELPERS,
    _sql_out_of_range,
)
from orchestration.lib.spec import IDENTIFYING_FIELDS

Severity = Literal["error", "warning"]
SEVERITIES: tuple[str, ...] = get_args(Severity)

#: Columns whose values must never appear in results, examples or Data Docs: the attributor
#: fields (should one ever reach a table), the pseudonym and birth month that replace them, and
#: ``_extra``, which holds whatever unexpected columns a supplier sent (possibly identifiers).
PROTECTED_COLUMNS: frozenset[str] = frozenset(
    {*IDENTIFYING_FIELDS, "person_id", "birth_month", "_extra"}
)

_SUITE_KEYS = {
    "suite",
    "table",
    "description",
    "id_column",
    "expectations",
    "rule_prefix",
    "spec_rules",
    "spec_notes",
}
#: The rules a raw suite takes from the extract specification (``orchestration/lib/spec.py``)
#: when it is loaded, so that the suite file states only what needs judgement: ``columns`` (the
#: table has the specification's columns), ``required`` (a required column is filled) and
#: ``codes`` (a coded column holds a code of its list; area codes are left to the suite, which
#: chooses how many unknown areas to accept).
SPEC_RULE_GROUPS = ("columns", "required", "codes")
_SUITE_REQUIRED = ("suite", "table", "expectations")
_EXPECTATION_KEYS = {"type", "kwargs", "severity", "rule", "notes"}
_EXPECTATION_REQUIRED = ("type", "severity", "rule", "notes")
_CODE_LIST_KEYS = {"code_list", "lowercase"}
_AREA_KEYS = {"areas"}
# Fields of a GX expectation that this format sets itself (from severity, rule and notes) or that
# the runner controls for every expectation (result_format), so they may not appear in kwargs.
_RESERVED_KWARGS = {"meta", "notes", "severity", "id", "result_format", "rendered_content"}
# These evaluate from the table's reflected column types on SQL engines, not from a per-row
# condition, so they are supported even though their row condition has no SQL implementation.
_TYPE_EXPECTATIONS = {
    "expect_column_values_to_be_of_type",
    "expect_column_values_to_be_in_type_list",
}
_RULE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_TABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")


class SuiteError(ValueError):
    """A suite file that cannot be used; the message names the file, line and rule."""


@dataclass(frozen=True)
class ExpectationSpec:
    """One reviewed rule: a GX expectation plus our severity, stable rule name and notes."""

    rule: str
    type: str  # GX snake_case expectation type
    kwargs: Mapping[str, Any]  # code lists already resolved
    severity: Severity
    notes: str

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the expectation reads (empty for table-level expectations)."""
        kw = self.kwargs
        if "column" in kw:
            return (str(kw["column"]),)
        if "column_A" in kw:
            return (str(kw["column_A"]), str(kw["column_B"]))
        if "column_list" in kw:
            return tuple(str(c) for c in kw["column_list"])
        return ()

    @property
    def touches_protected(self) -> bool:
        return any(c in PROTECTED_COLUMNS for c in self.columns)

    def build(self) -> Expectation:
        """A fresh GX expectation carrying rule, severity and notes (shown in Data Docs)."""
        cls = expectation_class(self.type)
        return cls(
            **dict(self.kwargs),
            meta={"rule": self.rule, "severity": self.severity},
            notes=self.notes,
            # GX's own severity field, so GX's pages show it too: error blocks, like "critical".
            severity=FailureSeverity.CRITICAL
            if self.severity == "error"
            else FailureSeverity.WARNING,
        )


@dataclass(frozen=True)
class Suite:
    """A suite file: the rules for one table."""

    name: str
    table: str  # schema.table in the warehouse
    expectations: tuple[ExpectationSpec, ...]
    path: Path
    description: str = ""
    id_column: str | None = None
    _rules: Mapping[str, ExpectationSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_rules", {e.rule: e for e in self.expectations})

    @property
    def schema_name(self) -> str:
        return self.table.split(".", 1)[0]

    @property
    def table_name(self) -> str:
        return self.table.split(".", 1)[1]

    def rule(self, name: str) -> ExpectationSpec:
        return self._rules[name]

    def build(self) -> gx.ExpectationSuite:
        """A fresh GX suite; built per run, so nothing GX holds outlives the run."""
        return gx.ExpectationSuite(
            name=self.name,
            expectations=[e.build() for e in self.expectations],
            meta={"table": self.table, "description": self.description, "source": str(self.path)},
        )


# --- expectation types ------------------------------------------------------------------------


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@cache
def _expectation_classes() -> dict[str, type[Expectation]]:
    """GX's expectations by snake_case type, from the public ``gx.expectations`` namespace."""
    classes: dict[str, type[Expectation]] = {}
    for name, obj in vars(gx.expectations).items():
        if inspect.isclass(obj) and issubclass(obj, Expectation) and obj is not Expectation:
            classes[_snake(name)] = obj
    classes.update(CUSTOM_EXPECTATIONS)
    return classes


def expectation_class(type_name: str) -> type[Expectation]:
    """The GX class for ``expect_x_y`` or ``ExpectXY``; KeyError (with suggestions) if unknown."""
    classes = _expectation_classes()
    key = type_name if type_name in classes else _snake(type_name)
    try:
        return classes[key]
    except KeyError:
        close = difflib.get_close_matches(key, classes, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown GX expectation type {type_name!r}{hint}") from None


def _sql_unsupported_reason(type_name: str) -> str | None:
    """Why GX cannot run this expectation on a SQL database, or None if it can.

    Some GX expectations only have a pandas/Spark implementation (JSON parsing, strftime and
    dateutil parsing, increasing/decreasing); on SQL they fail at run time with "No provider
    found". Asking GX's metric registry catches that when the suite is loaded instead.
    """
    if type_name in _TYPE_EXPECTATIONS:
        return None
    map_metric = getattr(expectation_class(type_name), "map_metric", None)
    if not map_metric:
        return None
    from great_expectations.expectations.registry import _registered_metrics

    providers = _registered_metrics.get(f"{map_metric}.condition", {}).get("providers")
    if providers is None or "SqlAlchemyExecutionEngine" in providers:
        return None
    return f"GX has no SQL implementation of {map_metric!r} (pandas/Spark only)"


# --- YAML -------------------------------------------------------------------------------------


class _Node(dict):  # type: ignore[type-arg]
    """A YAML mapping that remembers its line, so errors can point at it."""

    line: int = 0


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that rejects duplicate keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> _Node:
    loader.flatten_mapping(node)
    result = _Node()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise SuiteError(f"line {key_node.start_mark.line + 1}: duplicate key {key!r}")
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _where(path: Path, node: Any, rule: str | None = None, index: int | None = None) -> str:
    parts = [str(path)]
    if isinstance(node, _Node) and node.line:
        parts.append(f"line {node.line}")
    if rule:
        parts.append(f"rule {rule!r}")
    elif index is not None:
        parts.append(f"expectation {index + 1}")
    return ", ".join(parts)


def _resolve_code_lists(
    kwargs: Mapping[str, Any], code_lists: Mapping[str, Sequence[str]], where: str
) -> dict[str, Any]:
    """Replace ``{code_list: name[, lowercase: true]}`` and ``{areas: type}`` values with the
    codes themselves (or, for ``regex``, with a pattern matching them as the spec compares)."""
    resolved: dict[str, Any] = {}
    for key, value in kwargs.items():
        if isinstance(value, Mapping) and "code_list" in value:
            unknown = set(value) - _CODE_LIST_KEYS
            if unknown:
                raise SuiteError(
                    f"{where}: kwargs.{key}: unknown key(s) {sorted(unknown)}; "
                    f"allowed: {sorted(_CODE_LIST_KEYS)}"
                )
            name = value["code_list"]
            if name not in code_lists:
                close = difflib.get_close_matches(str(name), code_lists, n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise SuiteError(f"{where}: kwargs.{key}: unknown code list {name!r}{hint}")
            lowercase = value.get("lowercase", False)
            if not isinstance(lowercase, bool):
                raise SuiteError(f"{where}: kwargs.{key}.lowercase must be true or false")
            codes = code_lists[name]
            if key == "regex":
                resolved[key] = codes_regex(codes)
            else:
                resolved[key] = [c.lower() for c in codes] if lowercase else list(codes)
        elif isinstance(value, Mapping) and "areas" in value:
            unknown = set(value) - _AREA_KEYS
            if unknown:
                raise SuiteError(
                    f"{where}: kwargs.{key}: unknown key(s) {sorted(unknown)}; "
                    f"allowed: {sorted(_AREA_KEYS)}"
                )
            areas = load_areas()
            kind = value["areas"]
            if kind not in areas:
                raise SuiteError(
                    f"{where}: kwargs.{key}: no areas of type {kind!r} in {AREAS_CSV.name}; "
                    f"types: {', '.join(sorted(areas))}"
                )
            resolved[key] = codes_regex(areas[kind]) if key == "regex" else list(areas[kind])
        else:
            resolved[key] = value
    return resolved


# --- SQL rules --------------------------------------------------------------------------------


def _render_sql(kwargs: Mapping[str, Any], where: str, table: str = "") -> dict[str, Any]:
    out = dict(kwargs)
    query = out.get("unexpected_rows_query")
    if isinstance(query, str):

        def out_of_range(column: str) -> str:
            return _sql_out_of_range(table, column)

        try:
            out["unexpected_rows_query"] = " ".join(
                _SQL_TEMPLATES.from_string(query)
                .render(**SQL_HELPERS, out_of_range=out_of_range)
                .split()
            )
        except jinja2.TemplateError as e:
            raise SuiteError(f"{where}: kwargs.unexpected_rows_query: {e}") from None
        if "{batch}" not in out["unexpected_rows_query"]:
            raise SuiteError(
                f"{where}: kwargs.unexpected_rows_query must read the checked table as {{batch}}"
            )
    return out


def _pydantic_message(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            return "; ".join(
                f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in errors()
            )
        except Exception:  # fall back to the plain message
            pass
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _parse_expectation(
    raw: Any, index: int, path: Path, code_lists: Mapping[str, Sequence[str]], table: str = ""
) -> ExpectationSpec:
    if not isinstance(raw, Mapping):
        raise SuiteError(f"{path}: expectation {index + 1} must be a mapping")
    rule = raw.get("rule")
    where = _where(path, raw, rule if isinstance(rule, str) else None, index)
    unknown = set(raw) - _EXPECTATION_KEYS
    if unknown:
        raise SuiteError(
            f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_EXPECTATION_KEYS)}"
        )
    missing = [k for k in _EXPECTATION_REQUIRED if raw.get(k) in (None, "")]
    if missing:
        raise SuiteError(f"{where}: missing {', '.join(missing)}")
    if not isinstance(rule, str) or not _RULE_NAME.match(rule):
        raise SuiteError(f"{where}: rule must be a snake_case name, got {rule!r}")
    severity = raw["severity"]
    if severity not in SEVERITIES:
        raise SuiteError(
            f"{where}: severity must be one of {', '.join(SEVERITIES)}, got {severity!r}"
        )
    try:
        cls = expectation_class(str(raw["type"]))
    except KeyError as e:
        raise SuiteError(f"{where}: {e.args[0]}") from None
    type_name = _snake(cls.__name__)
    reason = _sql_unsupported_reason(type_name)
    if reason:
        raise SuiteError(f"{where}: {type_name} cannot run on DuckDB: {reason}")
    kwargs = raw.get("kwargs") or {}
    if not isinstance(kwargs, Mapping):
        raise SuiteError(f"{where}: kwargs must be a mapping")
    reserved = set(kwargs) & _RESERVED_KWARGS
    if reserved:
        raise SuiteError(
            f"{where}: kwargs may not set {sorted(reserved)}: severity, rule and notes are "
            "set beside kwargs, and the runner chooses the result format"
        )
    kwargs = _render_sql(_resolve_code_lists(kwargs, code_lists, where), where, table)
    spec = ExpectationSpec(
        rule=rule,
        type=type_name,
        kwargs=kwargs,
        severity=severity,
        notes=str(raw["notes"]).strip(),
    )
    try:
        spec.build()  # GX (pydantic) checks the kwargs: unknown or missing arguments, types.
    except Exception as e:  # any GX construction failure is a suite error
        raise SuiteError(f"{where}: invalid kwargs for {type_name}: {_pydantic_message(e)}") from e
    return spec


def spec_rules(source: extract_spec.Source, prefix: str, groups: Sequence[str]) -> list[dict]:
    """The raw-suite rules the extract specification implies for ``source`` (suite-file form).

    Rule names are ``<prefix>_columns_present``, ``<prefix>_<column>_present`` and
    ``<prefix>_<column>_coded``; notes are written from the specification (a suite may replace
    them with ``spec_notes``).
    """
    rules: list[dict] = []
    if "columns" in groups:
        rules.append(
            {
                "type": "expect_table_columns_to_match_set",
                "kwargs": {
                    "column_set": [*source.raw_columns, *extract_spec.LINEAGE_COLUMNS],
                    "exact_match": False,
                },
                "severity": "error",
                "rule": f"{prefix}_columns_present",
                "notes": "Landing builds this table from the extract specification; a missing "
                "column means landing and the specification disagree.",
            }
        )
    for c in source.columns:
        if c.name in IDENTIFYING_FIELDS:
            continue
        if "required" in groups and c.required:
            rules.append(
                {
                    "type": "expect_column_values_to_not_be_null",
                    "kwargs": {"column": c.name},
                    "severity": "warning",
                    "rule": f"{prefix}_{c.name}_present",
                    "notes": f"{c.name} is required by the extract specification. "
                    f"Supplier: every row needs its {c.name}.",
                }
            )
        if "codes" in groups and c.type == "code" and c.code_list and c.code_list != "la_code":
            rules.append(
                {
                    "type": "expect_column_values_to_match_regex",
                    "kwargs": {"column": c.name, "regex": {"code_list": c.code_list}},
                    "severity": "warning",
                    "rule": f"{prefix}_{c.name}_coded",
                    "notes": f"Must be a code of the list {c.code_list} (any case, spaces around "
                    "ignored). Supplier: use the listed codes.",
                }
            )
    return rules


def _derived_items(raw: Mapping[str, Any], path: Path, table: str) -> list[Any]:
    """The rules a raw suite takes from the extract specification, notes overlaid."""
    schema, name = table.split(".", 1)
    keys = {"rule_prefix", "spec_rules", "spec_notes"} & set(raw)
    if schema != "raw" or name not in extract_spec.SOURCES_BY_NAME:
        if keys:
            raise SuiteError(f"{path}: {sorted(keys)} are for raw suites of extract sources only")
        return []
    prefix = raw.get("rule_prefix")
    if not keys:
        return []  # a suite without rule_prefix states all its rules (tests/conventions: not ours)
    if not isinstance(prefix, str) or not _RULE_NAME.match(prefix):
        raise SuiteError(
            f"{path}: rule_prefix (snake_case) is the start of the names of the rules a raw "
            "suite takes from the extract specification; spec_rules and spec_notes need it"
        )
    groups = raw.get("spec_rules", list(SPEC_RULE_GROUPS))
    if not isinstance(groups, list) or set(groups) - set(SPEC_RULE_GROUPS):
        raise SuiteError(f"{path}: spec_rules must be a list of {', '.join(SPEC_RULE_GROUPS)}")
    items = spec_rules(extract_spec.source(name), prefix, groups)
    notes = raw.get("spec_notes") or {}
    if not isinstance(notes, Mapping):
        raise SuiteError(f"{path}: spec_notes must map a rule name to its notes")
    unknown = set(notes) - {i["rule"] for i in items}
    if unknown:
        raise SuiteError(
            f"{path}: spec_notes names rule(s) the specification does not give this suite: "
            f"{sorted(unknown)}"
        )
    for item in items:
        if item["rule"] in notes:
            item["notes"] = str(notes[item["rule"]]).strip()
    return items


def load_suite(path: Path, code_lists: Mapping[str, Sequence[str]] | None = None) -> Suite:
    """Read and check one suite file; :class:`SuiteError` names the file, line and rule."""
    path = Path(path)
    try:
        raw = yaml.load(
            path.read_text(encoding="utf-8"), Loader=_StrictLoader
        )  # a SafeLoader subclass
    except SuiteError as e:
        raise SuiteError(f"{path}: {e}") from None
    except yaml.YAMLError as e:
        raise SuiteError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(raw, Mapping):
        raise SuiteError(
            f"{path}: a suite file must be a mapping with {', '.join(_SUITE_REQUIRED)}"
        )
    unknown = set(raw) - _SUITE_KEYS
    if unknown:
        raise SuiteError(
            f"{path}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_SUITE_KEYS)}"
        )
    missing = [k for k in _SUITE_REQUIRED if not raw.get(k)]
    if missing:
        raise SuiteError(f"{path}: missing {', '.join(missing)}")
    table = raw["table"]
    if not isinstance(table, str) or not _TABLE_NAME.match(table):
        raise SuiteError(f"{path}: table must be 'schema.table' in lower case, got {table!r}")
    id_column = raw.get("id_column")
    if id_column is not None:
        if not isinstance(id_column, str) or not id_column:
            raise SuiteError(f"{path}: id_column must be a column name")
        if id_column in PROTECTED_COLUMNS:
            raise SuiteError(
                f"{path}: id_column {id_column!r} identifies a person and may not be reported; "
                "use the source record id"
            )
    items = raw["expectations"]
    if not isinstance(items, list):
        raise SuiteError(f"{path}: expectations must be a list")
    lists = load_code_lists() if code_lists is None else code_lists
    items = [*_derived_items(raw, path, table), *items]
    specs = [_parse_expectation(item, i, path, lists, table) for i, item in enumerate(items)]
    seen: set[str] = set()
    for spec in specs:
        if spec.rule in seen:
            raise SuiteError(f"{path}: rule {spec.rule!r} appears more than once")
        seen.add(spec.rule)
    return Suite(
        name=str(raw["suite"]),
        table=table,
        description=str(raw.get("description") or "").strip(),
        id_column=id_column,
        expectations=tuple(specs),
        path=path,
    )


def suite_files(suites_dir: Path = SUITES_DIR) -> list[Path]:
    """Every suite file under ``suites_dir`` (``<layer>/<table>.yml``), in a stable order."""
    return sorted(p for p in Path(suites_dir).glob("*/*.y*ml") if p.suffix in (".yml", ".yaml"))


def load_suites(
    suites_dir: Path = SUITES_DIR,
    layers: Iterable[str] | None = None,
    code_lists: Mapping[str, Sequence[str]] | None = None,
) -> list[Suite]:
    """Load every suite (optionally only some layers) and check them against each other.

    A file's place must match its table (``<layer>/<table>.yml`` for ``layer.table``), and suite
    and rule names must be unique across all suites: scorecards and defect reports key on them.
    """
    lists = load_code_lists() if code_lists is None else code_lists
    wanted = set(layers) if layers is not None else None
    suites: list[Suite] = []
    for path in suite_files(suites_dir):
        if wanted is not None and path.parent.name not in wanted:
            continue
        suite = load_suite(path, lists)
        if (path.parent.name, path.stem) != (suite.schema_name, suite.table_name):
            raise SuiteError(
                f"{path}: table {suite.table!r} belongs in "
                f"{suite.schema_name}/{suite.table_name}{path.suffix}"
            )
        suites.append(suite)
    _check_unique(suites)
    return suites


def _check_unique(suites: Sequence[Suite]) -> None:
    names: dict[str, Path] = {}
    rules: dict[str, Path] = {}
    for suite in suites:
        if suite.name in names:
            raise SuiteError(
                f"{suite.path}: suite name {suite.name!r} also used by {names[suite.name]}"
            )
        names[suite.name] = suite.path
        for spec in suite.expectations:
            if spec.rule in rules:
                raise SuiteError(
                    f"{suite.path}: rule {spec.rule!r} also used by {rules[spec.rule]}"
                )
            rules[spec.rule] = suite.path
