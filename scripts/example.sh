#!/usr/bin/env bash
# Serves the example Django project with MCP on http://127.0.0.1:8000
# (SQLite, created on first run). PORT=... picks another port.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bootstrap.sh
cd example
../.venv/bin/python manage.py migrate --verbosity 0
echo "MCP endpoint: http://127.0.0.1:${PORT:-8000}/mcp/http (or /mcp/<user_uuid>/http)"
exec ../.venv/bin/python -m uvicorn example_project.asgi:application --host 127.0.0.1 --port "${PORT:-8000}"
