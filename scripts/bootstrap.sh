#!/usr/bin/env bash
# Creates .venv and installs django-mcp into it (building the Rust engine) with
# its test dependencies. Safe to run again: it rebuilds the engine each time.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test,dev]"
