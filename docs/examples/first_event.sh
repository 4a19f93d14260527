#!/usr/bin/env bash
# Start the REST API, create a key, send a first customer and event with curl, read NPS back.
# (Run by tests/test_api_docs.py, so it stays true.)
set -euo pipefail
export ADVOKIT_DB="${ADVOKIT_DB:-quickstart.duckdb}"
PORT="${PORT:-8000}"
API="http://127.0.0.1:$PORT/v1"

# 1. A key with write scope (read < write < admin): printed once, stored only as a hash.
KEY=$(advokit apikey create --scope write --name quickstart)

# 2. The server: one process over the workspace (the workspace is locked while it runs).
advokit serve --host 127.0.0.1 --port "$PORT" &
SERVER=$!
trap 'kill $SERVER' EXIT
until curl -sf "$API/health" > /dev/null; do sleep 0.2; done

# 3. A customer, then a first event (resending either changes nothing).
curl -sf -X POST "$API/customers" -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \
  -d '{"customers": [{"customer_id": "acme", "segment": "SMB", "signup_at": "2025-01-02"}]}'
echo
curl -sf -X POST "$API/events" -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \
  -d '{"events": [{"event_id": "nps-1", "customer_id": "acme", "type": "nps_response",
                   "occurred_at": "2025-01-30T09:00:00Z", "score": 9}]}'
echo

# 4. NPS by month: the same rows as `advokit kpi compute nps --format json`.
curl -sf "$API/kpis/nps/values?period=month" -H "Authorization: Bearer $KEY"
echo
