"""Secondary suppression (domain: Disclosure control), the dbt macro itself, on random tables.

Property: after suppression, no suppressed cell can be recovered by subtraction from any
published total - i.e. no group whose total is published has exactly one suppressed cell -
and primary suppressions are kept, zeros are never primary-suppressed.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.lib.paths import DBT_PROJECT_DIR
from tests.dbt_inline import compile_inline

PRIMARY = "(cell_count between 1 and 4)"


GROUP_MEMBERS_MODEL = DBT_PROJECT_DIR / "models/marts/indicators/fct_disclosure_group_members.sql"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The macro, and the model that builds the groups (its refs name "warehouse" tables)."""
    return compile_inline(
        {
            "suppress": "{{ smw.secondary_suppression('cells', 'members') }}",
            # the model opens with a whitespace-stripping comment: keep the query's name line
            "members": "/* fct_disclosure_group_members */\n" + GROUP_MEMBERS_MODEL.read_text(),
        },
        tmp_path_factory.mktemp("dbt_suppression"),
    )


@pytest.fixture(scope="module")
def suppression_sql(compiled: dict[str, str]) -> str:
    return compiled["suppress"]


def two_way_table(counts: list[list[int]]) -> tuple[list[tuple], list[tuple]]:
    """A rows x columns table with row totals, column totals and a grand total, as cells and
    group memberships (each row and each column is a group whose total is published)."""
    cells, members = [], []
    n_rows, n_cols = len(counts), len(counts[0])
    for r in range(n_rows):
        for c in range(n_cols):
            cells.append((f"c{r}_{c}", counts[r][c]))
            members.append((f"row{r}", f"c{r}_{c}", False))
            members.append((f"col{c}", f"c{r}_{c}", False))
    for r in range(n_rows):
        cells.append((f"row_total{r}", sum(counts[r])))
        members.append((f"row{r}", f"row_total{r}", True))
        members.append(("col_totals", f"row_total{r}", False))
    for c in range(n_cols):
        cells.append((f"col_total{c}", sum(counts[r][c] for r in range(n_rows))))
        members.append((f"col{c}", f"col_total{c}", True))
        members.append(("row_totals", f"col_total{c}", False))
    grand = sum(map(sum, counts))
    cells.append(("grand", grand))
    members.append(("col_totals", "grand", True))
    members.append(("row_totals", "grand", True))
    return cells, members


def run(
    sql: str, cells: list[tuple], members: list[tuple], complements: frozenset[str] = frozenset()
) -> dict[str, bool]:
    """Suppress; ``complements`` are the cells of a residual category ("not known")."""
    con = duckdb.connect()
    try:
        con.execute(
            "create table cells (cell_id varchar, cell_count double, "
            "is_primary_suppressed boolean, is_complement boolean)"
        )
        con.executemany(
            f"insert into cells select ?, ?, {PRIMARY.replace('cell_count', '?')}, ?",
            [(i, n, n, i in complements) for i, n in cells],
        )
        con.execute("create table members (group_id varchar, cell_id varchar, is_total boolean)")
        con.executemany("insert into members values (?, ?, ?)", members)
        return dict(
            con.execute(f"select cell_id, is_suppressed from ({sql}) as suppressed").fetchall()
        )
    finally:
        con.close()


def recoverable(
    cells: dict[str, int], members: list[tuple], suppressed: dict[str, bool]
) -> list[str]:
    groups: dict[str, dict] = {}
    for g, cell, is_total in members:
        groups.setdefault(g, {"cells": [], "total": None})
        if is_total:
            groups[g]["total"] = cell
        else:
            groups[g]["cells"].append(cell)
    exposed = []
    for g, info in groups.items():
        hidden = [c for c in info["cells"] if suppressed[c]]
        if len(hidden) == 1 and info["total"] is not None and not suppressed[info["total"]]:
            # total - published cells = the hidden cell exactly
            exposed.append(
                f"{g}: {hidden[0]} = {cells[info['total']] - sum(cells[c] for c in info['cells'] if c != hidden[0])}"
            )
    return exposed


counts_strategy = st.integers(min_value=1, max_value=5).flatmap(
    lambda n_cols: st.lists(
        st.lists(
            st.sampled_from([0, 1, 2, 3, 4, 5, 6, 8, 12, 20, 40, 100]),
            min_size=n_cols,
            max_size=n_cols,
        ),
        min_size=1,
        max_size=6,
    )
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(counts=counts_strategy)
def test_no_suppressed_cell_can_be_recovered_by_subtraction(suppression_sql, counts):
    cells, members = two_way_table(counts)
    suppressed = run(suppression_sql, cells, members)
    values = dict(cells)
    assert recoverable(values, members, suppressed) == []
    for cell, n in values.items():
        if 1 <= n <= 4:
            assert suppressed[cell], f"primary suppression lost for {cell}={n}"
        if not suppressed[cell]:
            assert n == 0 or n >= 5


def test_a_single_small_cell_forces_the_next_smallest_to_be_suppressed(suppression_sql):
    cells, members = two_way_table([[3, 7, 20]])
    suppressed = run(suppression_sql, cells, members)
    assert suppressed["c0_0"] and suppressed["c0_1"]  # 7 is the next smallest in the row
    assert not suppressed["c0_2"]


def test_nothing_small_means_nothing_suppressed(suppression_sql):
    cells, members = two_way_table([[0, 7], [20, 9]])
    assert not any(run(suppression_sql, cells, members).values())


def test_a_not_known_complement_is_hidden_before_a_named_group(suppression_sql):
    """Either cell protects the small one equally: the residual category goes, the named group
    stays (the DIP case of issue 17: hide "not known", not "female")."""
    cells, members = two_way_table([[3, 9, 12]])
    plain = run(suppression_sql, cells, members)
    assert plain["c0_1"] and not plain["c0_2"]
    preferring = run(suppression_sql, cells, members, complements=frozenset({"c0_2"}))
    assert preferring["c0_0"] and preferring["c0_2"] and not preferring["c0_1"]


def test_equal_candidates_are_ordered_by_cell_id_not_by_row_order(suppression_sql):
    """The tie-break is part of the data: of two equal candidates the smaller cell_id
    (quantity|period|area|breakdown type|breakdown, byte order) is hidden, whatever order the
    rows arrive in - two publications of the same data hide the same cells."""
    for order in (["x_b", "x_a"], ["x_a", "x_b"]):
        cells = [("s", 3)] + [(c, 7) for c in order] + [("total", 17)]
        members = [("g", c, False) for c in ["s", *order]] + [("g", "total", True)]
        suppressed = run(suppression_sql, cells, members)
        assert suppressed["x_a"] and not suppressed["x_b"], order


NORTH_WEST, EAST_MIDLANDS = "E54000008", "E12000004"
AREAS = [  # area_code, area_type, parent_code (the areas seed's shape)
    ("E08000011", "la", NORTH_WEST),
    ("E06000006", "la", NORTH_WEST),
    ("E08000012", "la", NORTH_WEST),
    (NORTH_WEST, "region", "E92000001"),
    ("E10000018", "la", EAST_MIDLANDS),  # the county: its region is not rolled up
    (EAST_MIDLANDS, "region", "E92000001"),
]
# quantity -> area -> count. county_hidden: a hidden county cell must not make a North West
# cell "exposed"; north_west_pair: one hidden North West cell beside a hidden county cell is
# still recoverable from the North West total, so a second North West cell must go.
COUNTS = {
    "county_hidden": {"E08000011": 12, "E06000006": 15, NORTH_WEST: 27, "E10000018": 3},
    "north_west_pair": {
        "E08000011": 3,
        "E06000006": 15,
        "E08000012": 20,
        NORTH_WEST: 38,
        "E10000018": 2,
    },
}


def suppress_areas(compiled: dict[str, str], folder: Path, with_county: bool) -> dict[str, bool]:
    """Build the groups with the model and suppress with the macro, on hand-made cells."""
    kinds = dict((code, kind) for code, kind, _ in AREAS)
    rows = [
        (f"{q}|2020-21|{area}|all|all", q, area, kinds[area], n)
        for q, by_area in COUNTS.items()
        for area, n in by_area.items()
        if with_county or area != "E10000018"
    ]
    folder.mkdir()
    con = duckdb.connect(str(folder / "warehouse.duckdb"))  # the compiled refs' catalog
    try:
        con.execute("create schema marts; create schema reference")
        con.execute(
            "create table marts.fct_indicator_value_cells (cell_id varchar, quantity varchar, "
            "period varchar, area_code varchar, area_type varchar, breakdown_type varchar, "
            "breakdown varchar, cell_count double)"
        )
        con.executemany(
            "insert into marts.fct_indicator_value_cells "
            "values (?, ?, '2020-21', ?, ?, 'all', 'all', ?)",
            rows,
        )
        con.execute(
            "create table reference.areas (area_code varchar, area_type varchar, "
            "parent_code varchar)"
        )
        con.executemany("insert into reference.areas values (?, ?, ?)", AREAS)
        con.execute(
            "create table marts.dim_reporting_periods as select '2020-21' as period, "
            "'year' as period_type, '2020-21' as financial_year"
        )
        con.execute(f"create table members as {compiled['members']}")
        con.execute(
            f"create table cells as select cell_id, cell_count, {PRIMARY} as "
            "is_primary_suppressed, false as is_complement from marts.fct_indicator_value_cells"
        )
        sql = compiled["suppress"]
        return dict(con.execute(f"select cell_id, is_suppressed from ({sql}) as s").fetchall())
    finally:
        con.close()


def test_an_authority_of_another_region_changes_nothing_in_the_north_west(compiled, tmp_path):
    """Adding an area must not move the secondary suppression of another region's cells
    (Leicestershire joining the demo once hid different North West cells, and left one
    recoverable): the area groups are per region."""
    alone = suppress_areas(compiled, tmp_path / "alone", with_county=False)
    county = suppress_areas(compiled, tmp_path / "county", with_county=True)
    assert {c: s for c, s in county.items() if "E10000018" not in c} == alone
    assert not any(alone[f"county_hidden|2020-21|{a}|all|all"] for a in ("E08000011", "E06000006"))
    # 3 is hidden; 15 goes with it, else 3 = 38 - 15 - 20
    assert alone["north_west_pair|2020-21|E08000011|all|all"]
    assert alone["north_west_pair|2020-21|E06000006|all|all"]
    assert not alone["north_west_pair|2020-21|E08000012|all|all"]
