#!/usr/bin/env bash
# Command 1: set everything up and run the main job on the embedded default (DuckDB):
# build a demo workspace, print the core KPIs of the latest complete month, write the latest monthly
# report (demo/report-YYYY-MM.html and .pdf), then serve the dashboard.
#   scripts/demo.sh [--customers N] [--months M] [--seed S]
# Last step: the dashboard and API on http://$ADVOKIT_HOST:$ADVOKIT_PORT/ (127.0.0.1:8000 by default);
# set ADVOKIT_NO_SERVE=1 to skip it (automated runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p demo
export ADVOKIT_DB="${ADVOKIT_DB:-demo/advokit.duckdb}"
.venv/bin/advokit demo --replace "$@"
echo
echo "workspace: $ADVOKIT_DB  (try: .venv/bin/advokit --db $ADVOKIT_DB kpi compute nps --period quarter --by segment)"

# The latest monthly management report, next to the workspace (HTML and PDF; the lines say where).
echo
.venv/bin/advokit report --kind monthly --format html --format pdf --out-dir "$(dirname "$ADVOKIT_DB")"

# Last step (keep it last): the dashboard on the demo workspace, until Ctrl-C.
if [ "${ADVOKIT_NO_SERVE:-0}" != "1" ]; then
  host="${ADVOKIT_HOST:-127.0.0.1}"
  port="${ADVOKIT_PORT:-8000}"
  echo
  echo "dashboard: http://$host:$port/   (API: http://$host:$port/v1, stop with Ctrl-C; ADVOKIT_NO_SERVE=1 skips this step)"
  exec .venv/bin/advokit serve --host "$host" --port "$port"
fi
