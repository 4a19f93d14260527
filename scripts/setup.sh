#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install advokit into it.
#   scripts/setup.sh          runtime only
#   scripts/setup.sh dev      runtime + test tools
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:-}"

pick_python() {
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "error: Python 3.11 or newer is required (none found on PATH)" >&2
  return 1
}

if [ ! -x .venv/bin/python ]; then
  py=$(pick_python)
  echo "setup: creating .venv with $($py --version)" >&2
  "$py" -m venv .venv
fi
stamp=".venv/.advokit-installed-${extra:-runtime}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing advokit${extra:+ [$extra]} into .venv (first run takes a few minutes)" >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  if [ "$extra" = "dev" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
  else
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
  fi
  touch "$stamp"
fi
