#!/usr/bin/env bash
# Runs every test: the Rust engine's unit tests, then the Python tests that
# drive real uvicorn servers with real MCP clients.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
echo "== Node tools for interop and conformance tests (tests/interop)"
(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
echo "== Rust engine tests"
cargo test --quiet
echo "== Python tests (real servers, real clients)"
.venv/bin/python -m pytest "$@"
