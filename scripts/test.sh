#!/usr/bin/env bash
# Runs every test: the Rust engine's unit tests, then the Python tests that
# drive real uvicorn servers with real MCP clients.
set -euo pipefail
cd "$(dirname "$0")/.."

# System programs the tests start: curl (requests as users type them),
# redis-server (the shared session store), wrk (the bench's load generator),
# valgrind (the bench's instruction and cache counts), postgresql (a throwaway
# cluster for the model toolset tests; its server is not on PATH).
# Installed from Debian's packages when missing and this user can; otherwise
# the tests that need them fail naming what to install.
missing=()
for pkg in curl redis-server wrk valgrind; do
    command -v "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== Installing ${missing[*]} (Debian packages)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "!! not installed: ${missing[*]} (Debian packages of those names); the tests that start them will fail" >&2
    fi
fi

# Chromium for the explorer's browser tests (driven by Playwright, never a
# downloaded browser). Installed apart from the rest: where Debian cannot
# provide it, those tests are skipped and say why.
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== Installing chromium (Debian package)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null ||
            echo "!! chromium could not be installed; the explorer's browser tests will be skipped" >&2
    else
        echo "!! not installed: chromium (Debian package); the explorer's browser tests will be skipped" >&2
    fi
fi

bash scripts/bootstrap.sh
echo "== Node tools for interop and conformance tests (tests/interop)"
(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
echo "== Rust engine tests"
cargo test --quiet
echo "== Python tests (real servers, real clients)"
.venv/bin/python -m pytest "$@"
