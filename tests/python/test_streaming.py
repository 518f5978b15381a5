"""Event-stream answers: notifications arrive while the tool runs, and
notifications/cancelled stops a running call."""

import json
import threading
import uuid

import httpx
from conftest import HEADERS, rpc


def call_message(id, name, arguments, progress_token=None):
    params = {"name": name, "arguments": arguments}
    if progress_token is not None:
        params["_meta"] = {"progressToken": progress_token}
    return {"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params}


def events(response):
    """Yields each JSON message of an event stream as it arrives."""
    data = []
    for line in response.iter_lines():
        if line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "" and data:
            if "".join(data):  # a priming event carries no message
                yield json.loads("".join(data))
            data = []


def test_progress_is_observed_while_the_tool_is_still_running(sse_server):
    gate = uuid.uuid4().hex
    url = sse_server.url + "/mcp/http"
    with (
        httpx.Client(timeout=30) as client,
        client.stream(
            "POST", url, json=call_message(1, "wait_for_release", {"gate": gate}, progress_token="tok"), headers=HEADERS
        ) as response,
    ):
        assert response.headers["content-type"] == "text/event-stream"
        stream = events(response)
        first = next(stream)
        # The tool is now blocked on the gate: this arrived before any result.
        assert first["method"] == "notifications/progress"
        assert first["params"] == {"progressToken": "tok", "progress": 1, "total": 2, "message": "waiting"}
        second = next(stream)
        assert second["method"] == "notifications/message"
        assert second["params"] == {"level": "info", "data": f"waiting on {gate}"}
        assert (
            rpc(url, "tools/call", {"name": "release", "arguments": {"gate": gate}})["result"]["content"][0]["text"]
            == "ok"
        )
        rest = list(stream)
    assert rest[0]["params"]["progress"] == 2
    assert rest[-1]["id"] == 1 and rest[-1]["result"]["content"][0]["text"] == f"released {gate}"


def test_no_progress_without_a_token(sse_server):
    gate = uuid.uuid4().hex
    url = sse_server.url + "/mcp/http"
    threading.Timer(0.5, lambda: rpc(url, "tools/call", {"name": "release", "arguments": {"gate": gate}})).start()
    r = httpx.post(url, json=call_message(1, "wait_for_release", {"gate": gate}), headers=HEADERS, timeout=30)
    methods = [
        m.get("method") for m in [json.loads(line[5:]) for line in r.text.splitlines() if line.startswith("data:")]
    ]
    assert "notifications/progress" not in methods and "notifications/message" in methods


def test_cancelled_notification_stops_the_running_call(sse_server):
    # In a session: a cancellation reaches the session's own calls, whatever connection brings it.
    from test_sessions import initialize

    gate = uuid.uuid4().hex
    url = sse_server.url + "/mcp/http"
    session_url = sse_server.url + "/stateful/http"
    in_session = {**HEADERS, "Mcp-Session-Id": initialize(session_url)}
    request_id = f"cancel-{gate}"
    with (
        httpx.Client(timeout=30) as client,
        client.stream(
            "POST", session_url, json=call_message(request_id, "cancellable", {"gate": gate}), headers=in_session
        ) as response,
    ):
        cancel = {
            "jsonrpc": "2.0",
            "method": "notifications/cancelled",
            "params": {"requestId": request_id, "reason": "user"},
        }
        # The call is registered once its stream has started.
        for _ in range(50):
            r = httpx.post(session_url, json=cancel, headers=in_session)
            assert r.status_code == 202
            if (
                rpc(url, "tools/call", {"name": "is_waiting_cancelled", "arguments": {"gate": gate}})["result"][
                    "content"
                ][0]["text"]
                == "true"
            ):
                break
        else:
            raise AssertionError("the call was never cancelled")
        remaining = list(events(response))
    # A cancelled request gets no response.
    assert all(m.get("id") != request_id for m in remaining)
    assert "was cancelled by the client" in sse_server.log
    assert rpc(url, "ping")["result"] == {}


def test_cancel_in_json_mode_answers_request_cancelled(json_server):
    from test_sessions import initialize

    gate = uuid.uuid4().hex
    url = json_server.url + "/stateful/http"
    in_session = {**HEADERS, "Mcp-Session-Id": initialize(url)}
    request_id = f"cancel-{gate}"
    result = {}

    def call():
        result["r"] = httpx.post(
            url, json=call_message(request_id, "cancellable", {"gate": gate}), headers=in_session, timeout=30
        )

    t = threading.Thread(target=call)
    t.start()
    cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": request_id}}
    for _ in range(100):
        httpx.post(url, json=cancel, headers=in_session)
        t.join(0.1)
        if not t.is_alive():
            break
    t.join(10)
    assert result["r"].json()["error"]["code"] == -32800


def test_timeout_cancels_the_tool_with_a_clear_error(tmp_path_factory):
    from conftest import _test_project

    server = _test_project(
        tmp_path_factory, "timeout", {"MCP_HTTP_REQUEST_TIMEOUT": "0.5", "MCP_HTTP_JSON_RESPONSE": "1"}
    )
    try:
        url = server.url + "/mcp/http"
        # A sync tool (its worker thread is left to finish) and an async one
        # (cancelled where it waits), each alongside a quick call that must
        # not be caught up in it.
        for name, arguments in (("sleepy", {"seconds": 3}), ("slow_steps", {"steps": 1, "delay": 0.01})):
            outcome = {}
            slow = threading.Thread(
                target=lambda n=name, a=arguments, o=outcome: o.update(
                    msg=rpc(url, "tools/call", {"name": n, "arguments": a})
                )
            )
            slow.start()
            quick = rpc(url, "tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}})
            assert quick["result"]["content"][0]["text"] == "3"
            slow.join(20)
            msg = outcome["msg"]
            assert msg["result"]["isError"] is True, msg
            assert msg["result"]["content"][0]["text"] == f"Tool {name} timed out after 0.5 seconds"
        # Past the deadline outside any user function's call (here a completion
        # handler): a JSON-RPC error, the server unharmed.
        slow = rpc(
            url,
            "completion/complete",
            {"ref": {"type": "ref/prompt", "name": "greet"}, "argument": {"name": "delay", "value": "3"}},
        )
        assert slow["error"] == {"code": -32603, "message": "Request timed out after 0.5 seconds"}, slow
        assert "MCP request 1 timed out" in server.log
        quick = rpc(
            url,
            "completion/complete",
            {"ref": {"type": "ref/prompt", "name": "greet"}, "argument": {"name": "delay", "value": "0"}},
        )
        assert quick["result"] == {"completion": {"values": []}}
        # The server still answers, and a call well within the limit is not cut short.
        assert rpc(url, "tools/call", {"name": "sleepy", "arguments": {"seconds": 0.05}})["result"]["isError"] is False
    finally:
        server.stop()


def test_a_silent_call_gets_keepalives_then_its_result(sse_server):
    # MCP_HTTP_SSE_KEEPALIVE is 0.5 s in the test project.
    r = httpx.post(
        sse_server.url + "/mcp/http", json=call_message(9, "sleepy", {"seconds": 1.3}), headers=HEADERS, timeout=30
    )
    assert r.headers["content-type"] == "text/event-stream"
    # Held open: the headers that keep proxies from buffering it.
    assert r.headers["x-accel-buffering"] == "no" and r.headers["cache-control"] == "no-cache, no-transform"
    assert r.text.count(": keepalive") >= 2
    assert r.text.rstrip().endswith('"isError":false}}')


def test_a_quick_call_is_one_complete_body(sse_server):
    r = httpx.post(
        sse_server.url + "/mcp/http", json=call_message(3, "add", {"a": 1, "b": 2}), headers=HEADERS, timeout=30
    )
    assert r.headers["content-length"] == str(len(r.content))
    assert r.text.startswith("event: message")
    # Complete when sent: nothing for a proxy to hold back, so no anti-buffering headers.
    assert r.headers["content-type"] == "text/event-stream"
    assert "x-accel-buffering" not in r.headers and "cache-control" not in r.headers


def test_a_batch_answered_on_a_stream_keeps_every_answer(sse_server):
    # 2025-03-26 batch: the first call answers silently, then the second one
    # opens the stream with its log notifications; the first answer must
    # still be sent.
    batch = [call_message(1, "add", {"a": 1, "b": 2}), call_message(2, "log_levels", {})]
    r = httpx.post(
        sse_server.url + "/mcp/http", json=batch, headers={**HEADERS, "MCP-Protocol-Version": "2025-03-26"}, timeout=30
    )
    assert r.headers["content-type"] == "text/event-stream"
    messages = [json.loads(line[5:]) for line in r.text.splitlines() if line.startswith("data:")]
    answers = {m["id"]: m for m in messages if "id" in m}
    assert any(m.get("method") == "notifications/message" for m in messages), messages
    assert answers[1]["result"]["content"][0]["text"] == "3"
    assert answers[2]["result"]["content"][0]["text"] == "logged"
