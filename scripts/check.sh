#!/usr/bin/env bash
# Formatting, lint and type checks of the whole tree, in a few seconds once the
# Rust dependencies are compiled: cargo fmt and clippy over both crates (the
# engine and its bindings), ruff's formatter and linter over the Python
# (rules in pyproject.toml), mypy over the django_mcp package (strict on its
# public API). Runs every check, names each one that failed, and exits 1 if
# any did. Needs .venv (scripts/bootstrap.sh installs ruff and mypy into it).
#   bash scripts/check.sh          check only
#   bash scripts/check.sh --fix    let cargo fmt, ruff format and ruff check --fix
#                                  rewrite what they can first
set -uo pipefail
cd "$(dirname "$0")/.."

PYTHON_DIRS=(python tests bench example)
BIN=.venv/bin
if [ ! -x "$BIN/ruff" ] || [ ! -x "$BIN/mypy" ]; then
    echo "!! $BIN/ruff or $BIN/mypy missing: run bash scripts/bootstrap.sh first" >&2
    exit 2
fi

if [ "${1:-}" = "--fix" ]; then
    cargo fmt --all
    "$BIN/ruff" format "${PYTHON_DIRS[@]}"
    "$BIN/ruff" check --fix "${PYTHON_DIRS[@]}"
fi

failed=()
check() {
    local name=$1
    shift
    echo "== $name"
    if ! "$@"; then
        failed+=("$name")
        echo "!! failed: $name ($*)" >&2
    fi
}

check "rust format" cargo fmt --all --check
# --workspace: the bindings crate too (compiled without linking, so no libpython needed).
check "rust lint" cargo clippy --workspace --all-targets --quiet -- -D warnings
check "python format" "$BIN/ruff" format --check --quiet "${PYTHON_DIRS[@]}"
check "python lint" "$BIN/ruff" check --quiet "${PYTHON_DIRS[@]}"
check "python types" "$BIN/mypy" # files and strictness: [tool.mypy] in pyproject.toml

if [ ${#failed[@]} -gt 0 ]; then
    echo "!! checks failed: ${failed[*]}" >&2
    exit 1
fi
echo "== all checks passed"
