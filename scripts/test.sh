#!/usr/bin/env bash
# Command 2: set everything up and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
# System packages the tests drive (never a downloaded browser): Debian's chromium for the dashboard's
# browser tests, poppler-utils (pdftoppm, pdftotext) to turn report PDFs into pages. Installed when missing.
need=""
[ -x /usr/bin/chromium ] || need="$need chromium"
command -v pdftoppm >/dev/null 2>&1 || need="$need poppler-utils"
if [ -n "$need" ] && command -v apt-get >/dev/null 2>&1; then
  echo "test: installing$need (apt-get)" >&2
  sudo_cmd=""
  if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then sudo_cmd="sudo -n"; fi
  # shellcheck disable=SC2086  # $need is a list of package names
  { $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq $need; } \
    >/dev/null 2>&1 || echo "test: could not install$need; tests that need them fail (ADVOKIT_REQUIRE_BROWSER=1) or skip" >&2
fi
# One worker per core (ADVOKIT_TEST_WORKERS to change; 0 runs in this process), a test file per worker at a time.
workers="${ADVOKIT_TEST_WORKERS:-$(.venv/bin/python -c 'import os; print(min(4, max(1, len(os.sched_getaffinity(0)))))')}"
if [ "$workers" = "0" ]; then
  exec .venv/bin/python -m pytest "$@"
fi
exec .venv/bin/python -m pytest -n "$workers" --dist loadfile "$@"
