"""Database connections under load, on PostgreSQL: token-authenticated calls
of sync and async tools that use the ORM, many at once, through a real server.
Every call succeeds (a connection used from the wrong thread would raise), the
server holds no more connections than its threads can use, and a second burst
opens none that the first did not."""

from __future__ import annotations

import asyncio
import json
import os

import httpx
import pytest
from conftest import HEADERS, _test_project, django_python

SETTINGS = "testproject.toolsets_settings"
#: MCP_SYNC_THREADS (8), their spares for calls that time out, and the
#: thread-sensitive thread of Django's async ORM: the most a server may hold.
MAX_CONNECTIONS = 8 + 4 + 1


@pytest.fixture(scope="module")
def site(tmp_path_factory, postgres):
    database = postgres.create_database("connections")
    env = {"DJANGO_SETTINGS_MODULE": SETTINGS, "MCP_TEST_POSTGRES": json.dumps(postgres.settings(database))}
    server = _test_project(tmp_path_factory, "orm-connections", env)
    made = django_python(
        "from django.contrib.auth.models import User\n"
        "from django_mcp.tokens.models import APIToken\n"
        "print(APIToken.objects.issue(User.objects.create_user('pat'), 'load')[1])\n",
        {**os.environ, **env},
    )
    yield server, made.splitlines()[-1], postgres, database
    server.stop()


def connections_to(postgres, database: str) -> int:
    """Open connections to ``database`` (the server's), counted by PostgreSQL."""
    done = postgres._run(
        "psql",
        "-h",
        postgres.host,
        "-p",
        str(postgres.port),
        "-U",
        postgres.user,
        "-d",
        "postgres",
        "-tAc",
        f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{database}'",
    )
    return int(done.stdout.strip())


async def burst(url: str, token: str, calls: int) -> list[dict]:
    headers = {**HEADERS, "MCP-Protocol-Version": "2025-11-25", "Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(headers=headers, timeout=60, limits=limits) as http:

        async def one(n: int) -> dict:
            tool = ("sync_orm", "async_orm", "count_notes")[n % 3]
            arguments = {} if tool == "count_notes" else {"text": f"note {n}"}
            message = {
                "jsonrpc": "2.0",
                "id": n,
                "method": "tools/call",
                "params": {"name": tool, "arguments": arguments},
            }
            r = await http.post(url, json=message)
            assert r.status_code == 200, r.text
            lines = [json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: {")]
            return (lines or [r.json()])[-1]

        return await asyncio.gather(*(one(n) for n in range(calls)))


def test_sync_and_async_orm_tools_under_load_hold_bounded_connections(site):
    server, token, postgres, database = site
    url = server.url + "/mcp/http"
    answers = asyncio.run(burst(url, token, 300))
    failed = [a for a in answers if "error" in a or a["result"].get("isError")]
    assert not failed, failed[:3]
    first = connections_to(postgres, database)
    assert 1 <= first <= MAX_CONNECTIONS, first

    answers = asyncio.run(burst(url, token, 300))
    assert all("result" in a and not a["result"].get("isError") for a in answers)
    # The same threads, the same connections: none leaked by the first burst.
    assert connections_to(postgres, database) <= first
    log = server.log
    assert "Traceback" not in log and "DatabaseError" not in log
