#!/usr/bin/env bash
# Run dbt-project-evaluator once on a scratch copy of this dbt project (never on the repository:
# the package is not a dependency, and the dbt hub cannot be reached here).
#   dbt_project/evaluator/run.sh <dbt-project-evaluator checkout> <dbt-utils checkout> [scratch dir]
# Findings that are by design are waived in dbt_project_evaluator_exceptions.csv (with reasons);
# the evaluator's settings are under vars: dbt_project_evaluator in dbt_project.yml.
set -euo pipefail
evaluator=$(realpath "$1"); utils=$(realpath "$2"); scratch=${3:-$(mktemp -d)}
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../.." && pwd)
dbt=${DBT:-$repo/.venv/bin/dbt}
mkdir -p "$scratch/pkgs"
rm -rf "$scratch/pkgs/evaluator" "$scratch/pkgs/utils" "$scratch/dbt_project" "$scratch/seeds"
cp -r "$evaluator" "$scratch/pkgs/evaluator"; cp -r "$utils" "$scratch/pkgs/utils"
printf 'packages:\n  - local: %s\n' "$scratch/pkgs/utils" > "$scratch/pkgs/evaluator/packages.yml"
cp -r "$repo/dbt_project" "$scratch/dbt_project"; cp -r "$repo/seeds" "$scratch/seeds"
rm -rf "$scratch/dbt_project/target" "$scratch/dbt_project/logs" "$scratch/dbt_project/dbt_packages"
cd "$scratch/dbt_project"
printf 'packages:\n  - local: %s\n' "$scratch/pkgs/evaluator" > packages.yml
# the exceptions seed must be the root project's (the evaluator ignores its own when filtering)
# (and the package's own empty one disabled: the evaluator filters only when the root's is the one)
sed -i 's|^seed-paths: \["../seeds"\]|seed-paths: ["../seeds", "evaluator"]|' dbt_project.yml
sed -i 's|^seeds:$|seeds:\n  dbt_project_evaluator:\n    dbt_project_evaluator_exceptions:\n      +enabled: false|' dbt_project.yml
export SMW_DBT_TARGET=duckdb SMW_WAREHOUSE_PATH="$scratch/evaluator.duckdb"
"$dbt" deps --profiles-dir .
"$dbt" build --profiles-dir . --select package:dbt_project_evaluator dbt_project_evaluator_exceptions
