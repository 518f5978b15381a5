"""Management commands and system checks, run as a user runs them."""

import asyncio
import json
import os
import re
import subprocess
import sys

from conftest import ROOT, TESTS, free_port
from mcp import Client, StdioServerParameters


def manage(*args: str, settings: str = "testproject.settings", timeout: int = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings}
    return subprocess.run(
        [sys.executable, "-m", "django", *args], cwd=TESTS, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_mcp_tools_lists_everything_with_schemas():
    done = manage("mcp_tools", "--json")
    assert done.returncode == 0, done.stderr
    lists = json.loads(done.stdout)
    add = next(t for t in lists["tools"] if t["name"] == "add")
    assert add["inputSchema"]["required"] == ["a", "b"]
    assert "greeting://{name}" in {t["uriTemplate"] for t in lists["resourceTemplates"]}
    assert "greet" in {p["name"] for p in lists["prompts"]}
    text = manage("mcp_tools")
    assert "add - Add two numbers" in text.stdout


def test_check_passes_for_a_good_configuration():
    done = manage("check")
    assert done.returncode == 0, done.stderr


def test_check_reports_bad_settings_and_duplicate_names():
    done = manage("check", settings="testproject.bad_settings")
    assert done.returncode != 0
    assert "django_mcp.E001" in done.stderr and "MCP_HTTP_JSON_RESPONSE is 'yes'" in done.stderr
    assert "MCP_PAGE_SIZE is -1" in done.stderr and "MCP_LOG_LEVEL is 'LOUD'" in done.stderr
    assert "django_mcp.E002" in done.stderr and "'twice' is registered 2 times" in done.stderr
    assert "HINT" in done.stderr
    # Registration itself warns, naming both definitions (servers started without `check` see it too).
    assert re.search(
        r"MCP tool 'twice' is registered twice, at \S+extra_mcp/tools\.py:4 and at \S+extra_mcp_b/tools\.py:4",
        done.stderr,
    ), done.stderr
    assert "MCP_EXPLORER_ACCESS is 'testproject.nowhere.nobody'" in done.stderr


def test_mcp_dirs_are_loaded_relative_to_base_dir():
    done = manage("mcp_tools", "--json", settings="testproject.bad_settings")
    names = {t["name"] for t in json.loads(done.stdout)["tools"]}
    assert {"from_mcp_dirs", "twice"} <= names


def test_mcp_inspector_runs_the_inspector_cli(json_server):
    node = ROOT / "tests" / "interop" / "node_modules" / ".bin"
    command = f"{node / 'node'} {node / 'mcp-inspector'}"
    done = manage(
        "mcp_inspector",
        json_server.url + "/mcp/http",
        "--cli",
        "--inspector-command",
        command,
        "--",
        "--method",
        "tools/list",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "add" in {t["name"] for t in json.loads(done.stdout)["tools"]}
    # --url works too, and a failing Inspector's exit status is the command's.
    dead = f"http://127.0.0.1:{free_port()}/mcp/http"
    failed = manage(
        "mcp_inspector", "--url", dead, "--cli", "--inspector-command", command, "--", "--method", "tools/list"
    )
    assert failed.returncode != 0 and "exited with status" in failed.stderr


def test_mcp_stdio_serves_the_python_sdk_stdio_client(tmp_path):
    db = tmp_path / "db.sqlite3"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "testproject.settings", "TEST_DB": str(db)}
    subprocess.run([sys.executable, "-m", "django", "migrate", "-v0", "--run-syncdb"], cwd=TESTS, env=env, check=True)
    params = StdioServerParameters(command=sys.executable, args=["-m", "django", "mcp_stdio"], cwd=str(TESTS), env=env)
    logs = []

    async def on_log(p):
        logs.append(p.data)

    async def go():
        async with Client(params, mode="legacy", logging_callback=on_log) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            added = await client.call_tool("add", {"a": 2, "b": 40})
            orm = await client.call_tool("sync_orm", {"text": "stdio"})
            resource = await client.read_resource("greeting://stdio")
            prompt = await client.get_prompt("greet", {"name": "Pipe"})
            logged = await client.call_tool("log_levels", {})
            return tools, added, orm, resource, prompt, logged

    tools, added, orm, resource, prompt, logged = asyncio.run(asyncio.wait_for(go(), 60))
    assert "add" in tools
    assert added.content[0].text == "42" and added.structured_content == {"result": 42}
    assert orm.is_error is False and orm.structured_content["count"] == 1
    assert resource.contents[0].text == "Hello, stdio!"
    assert prompt.messages[0].content.text == "Hello Pipe."
    assert logged.content[0].text == "logged" and "at warning" in logs
