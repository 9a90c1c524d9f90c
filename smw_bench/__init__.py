"""``smw bench``: speed and memory of the build against the floor and a PostgreSQL peer."""

from smw_bench.runner import markdown, run_bench

__all__ = ["markdown", "run_bench"]
