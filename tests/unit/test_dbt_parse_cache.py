"""dbt's parse cache is kept per home (``orchestration.defs.transform``): a build starts from its
own home's last parse, never from another home's, whose profile (the warehouse path) differs
and would cost dbt a full parse."""

from __future__ import annotations

from pathlib import Path

from orchestration.defs.transform import PARSE_CACHE, keep_partial_parse, seed_partial_parse
from orchestration.lib.paths import Home


def _invocation(root: Path, content: bytes | None) -> Path:
    target = root / "target" / "dbt_models-abc1234-def5678"
    target.mkdir(parents=True)
    if content is not None:
        (target / "partial_parse.msgpack").write_bytes(content)
    return target


def test_a_build_keeps_its_parse_in_its_home_and_the_next_build_there_starts_from_it(
    tmp_path: Path,
) -> None:
    a, b = Home.at(tmp_path / "a").ensure(), Home.at(tmp_path / "b").ensure()
    keep_partial_parse(a, _invocation(tmp_path / "1", b"parse of a"))
    keep_partial_parse(b, _invocation(tmp_path / "2", b"parse of b"))
    assert (a.state_dir / PARSE_CACHE).read_bytes() == b"parse of a"
    assert (b.state_dir / PARSE_CACHE).read_bytes() == b"parse of b"

    nxt = tmp_path / "3" / "target" / "dbt_models-next"
    seed_partial_parse(a, nxt)  # the folder is made: dagster-dbt then leaves the cache as it is
    assert (nxt / "partial_parse.msgpack").read_bytes() == b"parse of a"


def test_no_cache_seeds_nothing_and_a_call_without_one_keeps_the_last(tmp_path: Path) -> None:
    home = Home.at(tmp_path / "h").ensure()
    nxt = tmp_path / "target" / "dbt_models-first"
    seed_partial_parse(home, nxt)
    assert not (nxt / "partial_parse.msgpack").exists()  # dagster-dbt's shared one, if any
    keep_partial_parse(home, _invocation(tmp_path / "1", b"first"))
    keep_partial_parse(home, _invocation(tmp_path / "2", None))  # a dbt call that failed early
    assert (home.state_dir / PARSE_CACHE).read_bytes() == b"first"


def test_a_copy_left_by_a_killed_build_is_removed_by_the_next(tmp_path: Path) -> None:
    home = Home.at(tmp_path / "h").ensure()
    folder = (home.state_dir / PARSE_CACHE).parent
    folder.mkdir(parents=True)
    stale = folder / ".partial_parse.msgpack.999999.tmp"
    stale.write_bytes(b"half a copy")
    keep_partial_parse(home, _invocation(tmp_path / "1", b"whole"))
    assert not stale.exists()
    assert sorted(p.name for p in folder.iterdir()) == ["partial_parse.msgpack"]
