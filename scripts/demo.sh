#!/usr/bin/env bash
# Command 1: set everything up and run the main job on the embedded default (DuckDB):
# build a demo workspace and print the core KPIs of the latest complete month.
#   scripts/demo.sh [--customers N] [--months M] [--seed S]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p demo
export ADVOKIT_DB="${ADVOKIT_DB:-demo/advokit.duckdb}"
.venv/bin/advokit demo --replace "$@"
echo
echo "workspace: $ADVOKIT_DB  (try: .venv/bin/advokit --db $ADVOKIT_DB kpi compute nps --period quarter --by segment)"
