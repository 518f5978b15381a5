"""Hostile and careless input through a real server: nothing it sends gets a
500, a traceback, a hang or another caller's data."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from conftest import HEADERS, _test_project, rpc_messages

VERSION = "2026-07-28"
META = {
    "io.modelcontextprotocol/protocolVersion": VERSION,
    "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}, "sampling": {}},
}
#: An integer Python refuses to parse from text (more than 4300 digits).
HUGE = "9" * 5000
#: A lone surrogate escape: valid JSON, not Unicode text.
LONE = '"\\ud800"'


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    server = _test_project(tmp_path_factory, "hardening", {})
    yield server
    server.stop()


def _post(url: str, body: str, method: str, name: str | None = None, modern: bool = False) -> httpx.Response:
    headers = {**HEADERS}
    if modern:
        headers.update({"MCP-Protocol-Version": VERSION, "Mcp-Method": method, **({"Mcp-Name": name} if name else {})})
    return httpx.post(url, content=body.encode(), headers=headers, timeout=15)


def _refused_cleanly(response: httpx.Response) -> None:
    """A JSON-RPC error (-32700 / -32602) or an isError result, never a 5xx."""
    assert response.status_code < 500, response.text
    (message,) = [m for m in rpc_messages(response) if "id" in m][-1:]
    if "error" in message:
        assert message["error"]["code"] in (-32700, -32602), message
    else:
        assert message["result"].get("isError") is True, message


def _modern(method: str, params: str, id: str = "1") -> str:
    meta = json.dumps(META)
    return f'{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":{{{params},"_meta":{meta}}}}}'


@pytest.mark.parametrize(
    "method,name,body,modern",
    [
        (
            "completion/complete",
            None,
            '{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/prompt",'
            f'"name":"greet"}},"argument":{{"name":"name","value":{LONE}}}}}}}',
            False,
        ),
        (
            "completion/complete",
            None,
            '{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/prompt",'
            f'"name":"greet"}},"argument":{{"name":"name","value":"A"}},"context":{{"arguments":{{"n":{HUGE}}}}}}}}}',
            False,
        ),
        (
            "tools/call",
            "scalar_str",
            f'{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"scalar_str","arguments":{{"text":{LONE}}}}}}}',
            False,
        ),
        (
            "tools/call",
            "describe_arguments",
            '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"describe_arguments",'
            f'"arguments":{{"n":{HUGE},"x":1}}}}}}',
            False,
        ),
        (
            "subscriptions/listen",
            None,
            _modern("subscriptions/listen", '"notifications":{"toolsListChanged":true}', HUGE),
            True,
        ),
        (
            "subscriptions/listen",
            None,
            _modern("subscriptions/listen", f'"notifications":{{"toolsListChanged":true,"x":{HUGE}}}'),
            True,
        ),
        (
            "tools/call",
            "two_questions",
            _modern("tools/call", f'"name":"two_questions","arguments":{{"x":{LONE}}}'),
            True,
        ),
        (
            "tools/call",
            "two_questions",
            _modern(
                "tools/call",
                '"name":"two_questions","arguments":{},"requestState":"x",'
                f'"inputResponses":{{"k":{{"action":"accept","content":{{"color":{LONE}}}}}}}',
            ),
            True,
        ),
        (
            "tools/call",
            "two_questions",
            _modern(
                "tools/call",
                '"name":"two_questions","arguments":{},"requestState":"x",'
                f'"inputResponses":{{"k":{{"action":"accept","content":{{"count":{HUGE}}}}}}}',
            ),
            True,
        ),
    ],
    ids=[
        "complete-surrogate",
        "complete-huge",
        "tool-surrogate",
        "tool-huge",
        "listen-huge-id",
        "listen-huge",
        "elicit-surrogate-argument",
        "elicit-surrogate-answer",
        "elicit-huge-answer",
    ],
)
def test_input_python_cannot_represent_is_refused_cleanly(plain, method, name, body, modern):
    response = _post(plain.url + "/mcp/http", body, method, name, modern)
    _refused_cleanly(response)
    # The server serves on, and logged no traceback for it.
    ok = httpx.post(
        plain.url + "/mcp/http",
        json={
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "add", "arguments": {"a": 1, "b": 2}},
        },
        headers=HEADERS,
        timeout=15,
    )
    assert [m for m in rpc_messages(ok) if "id" in m][-1]["result"]["content"][0]["text"] == "3"
    assert "Traceback" not in plain.log


def test_representable_edge_cases_still_work(plain):
    """Paired surrogates (an emoji), the longest integer Python takes, and long float text pass."""
    body = (
        '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"scalar_str",'
        '"arguments":{"text":"\\ud83d\\ude00 \\\\ud800"}}}'
    )
    message = [m for m in rpc_messages(_post(plain.url + "/mcp/http", body, "tools/call")) if "id" in m][-1]
    assert message["result"]["content"][0]["text"] == "\U0001f600 \\ud800"
    edge = "1" + "0" * 4299
    body = (
        '{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/prompt",'
        f'"name":"greet"}},"argument":{{"name":"name","value":"A"}},"context":{{"arguments":{{"n":{edge}}}}}}}}}'
    )
    message = [m for m in rpc_messages(_post(plain.url + "/mcp/http", body, "completion/complete")) if "id" in m][-1]
    assert message["result"]["completion"]["values"] == ["Ada", "Alan"]


def _call(url: str, name: str, arguments: dict, timeout: float = 30) -> dict:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
    response = httpx.post(url, json=body, headers=HEADERS, timeout=timeout)
    assert response.status_code == 200, response.text
    return [m for m in rpc_messages(response) if "id" in m][-1]


def test_sync_calls_past_their_timeout_do_not_starve_the_others(tmp_path_factory):
    """Blocked sync calls time out and keep their threads; spares take their
    places, so a quick sync tool is served meanwhile."""
    settings = {"MCP_SYNC_THREADS": 2, "MCP_SYNC_SPARE_THREADS": 4}
    server = _test_project(
        tmp_path_factory, "starved", {"MCP_HTTP_REQUEST_TIMEOUT": "1", "MCP_TEST_SETTINGS": json.dumps(settings)}
    )
    try:
        url = server.url + "/mcp/http"
        with ThreadPoolExecutor(4) as pool:
            blocked = list(pool.map(lambda _: _call(url, "sleepy", {"seconds": 15}), range(4)))
        assert all("timed out" in str(m) for m in blocked), blocked
        started = time.monotonic()
        quick = _call(url, "add", {"a": 2, "b": 3})
        assert quick["result"]["content"][0]["text"] == "5", quick
        assert time.monotonic() - started < 1
        # Beyond the spares, given-up calls keep their workers (bounded threads): said in the log.
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda _: _call(url, "sleepy", {"seconds": 15}), range(2)))
        assert "MCP_SYNC_SPARE_THREADS" in server.log
    finally:
        server.stop()


def _stateful_call(url: str, session_id: str, name: str, id: int) -> tuple[str, list[dict]]:
    """A prompts/get answered on a resumable stream: its first event id and its messages."""
    body = {
        "jsonrpc": "2.0",
        "id": id,
        "method": "prompts/get",
        "params": {"name": "greet", "arguments": {"name": name}},
    }
    response = httpx.post(url, json=body, headers={**HEADERS, "Mcp-Session-Id": session_id}, timeout=15)
    assert response.status_code == 200, response.text
    first_id = next(line[4:] for line in response.text.splitlines() if line.startswith("id: "))
    return first_id, rpc_messages(response)


def _resume(url: str, session_id: str, last_event_id: str) -> list[dict]:
    headers = {"Accept": "text/event-stream", "Mcp-Session-Id": session_id, "Last-Event-ID": last_event_id}
    response = httpx.get(url, headers=headers, timeout=10)  # the stream ends: its call is over
    assert response.status_code == 200, response.text
    return rpc_messages(response)


def test_events_kept_for_resuming_are_bounded_in_bytes(tmp_path_factory):
    from test_sessions import initialize

    settings = {"MCP_HTTP_EVENT_STORE_SESSION_BYTES": 300_000, "MCP_HTTP_EVENT_STORE_MAX_BYTES": 600_000}
    server = _test_project(tmp_path_factory, "bounded-events", {"MCP_TEST_SETTINGS": json.dumps(settings)})
    try:
        url = server.url + "/stateful/http"
        big = "x" * 40_000
        a = initialize(url)
        calls = [_stateful_call(url, a, big, i) for i in range(1, 11)]  # ~400 KB for A
        assert all(messages[-1]["id"] == i for i, (_, messages) in enumerate(calls, 1))
        # The session's oldest results went; its stream still ends, the newest is kept.
        assert _resume(url, a, calls[0][0]) == []
        assert big in json.dumps(_resume(url, a, calls[-1][0]))
        # Two more sessions take the process past its bound: A, keeping the longest, loses first.
        for session in (initialize(url), initialize(url)):
            for i in range(7):
                _stateful_call(url, session, big, i)
        assert _resume(url, a, calls[-1][0]) == []
        assert "Traceback" not in server.log
    finally:
        server.stop()


def _cancelled(url: str, gate: str) -> bool:
    return _call(url, "is_waiting_cancelled", {"gate": gate})["result"]["content"][0]["text"] == "true"


def test_anonymous_clients_cannot_cancel_each_others_calls(plain):
    """Without a session or a user, clients share an address (a proxy, a NAT):
    a cancellation from another connection does not reach a call, even with its id."""
    import threading
    import uuid

    url = plain.url + "/mcp/http"
    gate = uuid.uuid4().hex
    answer: dict = {}

    def call() -> None:
        answer["message"] = _call(url, "cancellable", {"gate": gate})

    caller = threading.Thread(target=call)
    caller.start()
    time.sleep(0.5)  # the call is running
    cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}
    for _ in range(10):
        assert httpx.post(url, json=cancel, headers=HEADERS).status_code == 202
    time.sleep(0.3)
    assert not _cancelled(url, gate)
    _call(url, "release", {"gate": gate})
    caller.join(10)
    assert answer["message"]["result"]["content"][0]["text"] == "finished"
