"""Real clients other than the Python SDK: the TypeScript SDK v1
(@modelcontextprotocol/sdk) and v2 (@modelcontextprotocol/client), the MCP
Inspector CLI, and the official conformance suite. scripts/test.sh installs
them into tests/interop/node_modules (with a Node 22 binary from the registry)."""

import json
import os
import re
import subprocess
import sys

import pytest
from conftest import ROOT, start_server

INTEROP = ROOT / "tests" / "interop"
NODE = INTEROP / "node_modules" / ".bin" / "node"


def node(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    if not NODE.exists():
        pytest.fail("Node tools are missing: run `cd tests/interop && npm ci` (scripts/test.sh does)")
    env = {**os.environ, "HOME": str(INTEROP / ".home")}
    return subprocess.run([str(NODE), *args], cwd=INTEROP, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.mark.parametrize(
    "sdk, mode, path, version",
    [
        ("v1", "legacy", "/mcp/http", "2025-11-25"),
        ("v2", "legacy", "/mcp/http", "2025-11-25"),
        ("v2", "auto", "/mcp/http", "2026-07-28"),
        # With sessions: stateful Streamable HTTP, and v1's HTTP+SSE transport.
        ("v1", "legacy", "/stateful/http", "2025-11-25"),
        ("v2", "legacy", "/stateful/http", "2025-11-25"),
        # v1's SSE transport keeps no record of the negotiated version.
        ("v1", "sse", "/stateful/sse", None),
    ],
)
def test_typescript_clients(sse_server, sdk, mode, path, version):
    done = node("client.mjs", sdk, mode, sse_server.url + path)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["protocolVersion"] == version
    assert {"add", "wait_for_release"} <= set(out["tools"])
    assert out["add"] == {"text": "42", "structured": {"result": 42}, "isError": False}
    assert out["fail"]["isError"] is True and "boom" in out["fail"]["text"]
    assert out["resource"] == "Hello, TS!" and out["prompt"] == "Hello Node."
    # Progress arrived while the tool was still blocked, before its result.
    assert out["progressBeforeResult"] == [1]
    if mode == "sse":
        # v1's Protocol runs notification handlers a microtask late and response
        # handlers at once: when the last progress and the result arrive in one
        # read, the result drops the progress handler first. The server's
        # stream order is checked in test_sessions.py.
        assert out["progress"][0] == 1
    else:
        assert out["progress"] == [1, 2]
    assert out["elicited"] == "2 x green"
    if version == "2026-07-28":
        assert out["logs"] == []  # no logLevel opt-in in _meta: no log notifications
    else:
        assert any(log.startswith("waiting on ts-") for log in out["logs"])
    if path.startswith("/stateful/") and mode != "sse":
        assert out["sessionId"]  # the client kept the session the server issued


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--method", "tools/list"], lambda r: "add" in {t["name"] for t in r["tools"]}),
        (
            ["--method", "tools/call", "--tool-name", "add", "--tool-arg", "a=2", "b=5"],
            lambda r: r["structuredContent"] == {"result": 7},
        ),
        (
            ["--method", "resources/read", "--uri", "greeting://Insp"],
            lambda r: r["contents"][0]["text"] == "Hello, Insp!",
        ),
        (
            ["--method", "prompts/get", "--prompt-name", "greet", "--prompt-args", "name=Ins"],
            lambda r: r["messages"][0]["content"]["text"] == "Hello Ins.",
        ),
    ],
)
def test_inspector_cli(json_server, args, expected):
    done = node("node_modules/.bin/mcp-inspector", "--cli", json_server.url + "/mcp/http", "--transport", "http", *args)
    assert done.returncode == 0, done.stderr[-3000:]
    assert expected(json.loads(done.stdout))


@pytest.mark.parametrize("path, transport", [("/stateful/http", "http"), ("/stateful/sse", "sse")])
def test_inspector_cli_with_sessions(sse_server, path, transport):
    args = ["--method", "tools/call", "--tool-name", "add", "--tool-arg", "a=20", "b=22"]
    done = node("node_modules/.bin/mcp-inspector", "--cli", sse_server.url + path, "--transport", transport, *args)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["content"][0]["text"] == "42"


@pytest.mark.parametrize("transport", ["http_stateless", "http"])
def test_conformance_suite(tmp_path_factory, capsys, transport):
    """Every server scenario of @modelcontextprotocol/conformance 0.1.16 (--suite all), no
    expected failures, against the stateless and the stateful transport."""
    tmp = tmp_path_factory.mktemp("conformance")
    env = {"DJANGO_SETTINGS_MODULE": "settings", "CONFORMANCE_TRANSPORT": transport}
    server = start_server("asgi:application", ROOT / "tests" / "conformance", tmp, env)
    try:
        done = node(
            "node_modules/@modelcontextprotocol/conformance/dist/index.js",
            "server",
            "--url",
            server.url + "/mcp/http",
            "--suite",
            "all",
            timeout=600,
        )
    finally:
        server.stop()
    summary = (
        done.stdout[done.stdout.find("=== SUMMARY ===") :] if "=== SUMMARY ===" in done.stdout else done.stdout[-4000:]
    )
    with capsys.disabled():
        sys.stdout.write(f"\n[transport {transport}]\n" + summary + "\n")
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    total = re.search(r"Total: (\d+) passed, (\d+) failed", done.stdout)
    assert total and int(total.group(2)) == 0 and int(total.group(1)) >= 40
    if transport == "http":
        # With sessions, the SSE polling (resume with Last-Event-ID) and multiple-streams checks run and pass.
        for scenario in ("server-sse-polling", "server-sse-multiple-streams"):
            assert re.search(scenario + r": [1-9]\d* passed, 0 failed", summary), summary
