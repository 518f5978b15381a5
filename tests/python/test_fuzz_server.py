"""Generated hostile input through a real server: whatever body, headers, path
or arguments a client sends, the answer is never a 5xx nor Python's own words
(a traceback, an exception's name), a JSON answer is JSON-RPC, and the server
still answers a normal call afterwards with nothing in its log.

Bounded for CI (about a minute); MCP_FUZZ_EXAMPLES raises the number of
generated requests per test for a longer run."""

from __future__ import annotations

import json
import os
import re
import time
from urllib.parse import quote

import httpx
import pytest
from conftest import HEADERS, _test_project, parse_sse, rpc
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("MCP_FUZZ_EXAMPLES", "120"))
#: Without shrinking: each example is a request to a server, and a failing one is printed as found.
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)

#: The mounts fuzzed: stateless, with path parameters, and stateful (with the HTTP+SSE transport).
STATELESS = ["/mcp/http", "/slug/some-one/http", "/typed/7/0b0c5f4e-1d3b-4a6e-9d7e-3f1f3c3c3c3c/x/http"]
STATEFUL = "/stateful/http"
VERSIONS = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"]
METHODS = [
    "initialize",
    "ping",
    "server/discover",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/read",
    "resources/templates/list",
    "resources/subscribe",
    "resources/unsubscribe",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "logging/setLevel",
    "subscriptions/listen",
    "tasks/get",
    "tasks/list",
    "sampling/createMessage",
    "notifications/initialized",
    "notifications/cancelled",
    "notifications/progress",
    "notifications/roots/list_changed",
]
#: Tools whose code never raises for any argument their signatures admit
#: (a tool that raises logs its traceback on purpose: that is not the server's).
TOOLS = ["add", "add_async", "describe_arguments", "scalar_str", "scalar_bool", "scalar_mismatch", "move", "regional"]
ELICITING = ["ask_preferences", "two_questions", "trip_details"]
PROMPTS = ["greet", "conversation", "bulk_prompt_001"]
URIS = ["test://static-text", "test://static-binary", "greeting://Ada", "items://3/detail", "items://x/detail"]

#: Python's words, which a client must never read in an answer unless it sent them itself.
TRACEBACK = re.compile(r'Traceback \(most recent call last\)|File "[^"]*", line \d+| object at 0x[0-9a-f]+')
PYTHON_ERRORS = [
    "KeyError",
    "TypeError",
    "ValueError",
    "AttributeError",
    "IndexError",
    "UnicodeDecodeError",
    "UnicodeEncodeError",
    "RecursionError",
    "JSONDecodeError",
    "OverflowError",
    "AssertionError",
    "RuntimeError",
    "NameError",
    "SynchronousOnlyOperation",
]

# -- generators ---------------------------------------------------------------------------------------------------

#: Text with what breaks naive code: controls, quotes, backslashes, non-ASCII, surrogates escaped in JSON.
text = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["", " ", "\x00", "\n", "%00", "%0A", "../..", "\\", '"', "\u2028", "\ufeff", "😀", "a" * 5000]
)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4), max_leaves=12
)
ids = st.none() | st.integers(min_value=-(2**70), max_value=2**70) | text | st.floats(allow_nan=False) | json_values
meta = json_values | st.fixed_dictionaries(
    {},
    optional={
        "io.modelcontextprotocol/protocolVersion": st.sampled_from(VERSIONS) | json_values,
        "io.modelcontextprotocol/clientCapabilities": json_values
        | st.just({"elicitation": {}, "sampling": {}, "roots": {}}),
        "io.modelcontextprotocol/clientInfo": json_values | st.just({"name": "fuzz", "version": "1"}),
        "progressToken": ids,
        "io.modelcontextprotocol/logLevel": text,
    },
)
arguments = st.dictionaries(
    st.sampled_from(["a", "b", "n", "x", "s", "flag", "text", "point", "dx", "region", "name", "excited", "topic"])
    | text,
    json_values,
    max_size=5,
)
params = json_values | st.fixed_dictionaries(
    {},
    optional={
        "name": st.sampled_from(TOOLS + ELICITING + PROMPTS) | text | json_values,
        "arguments": arguments | json_values,
        "_meta": meta,
        "uri": st.sampled_from(URIS) | text | json_values,
        "ref": json_values
        | st.fixed_dictionaries({"type": st.sampled_from(["ref/prompt", "ref/resource"]) | text, "name": text}),
        "argument": json_values | st.fixed_dictionaries({"name": st.just("name") | text, "value": text}),
        "requestState": text | json_values,
        "inputResponses": json_values,
        "cursor": text | json_values,
        "level": st.sampled_from(["debug", "info", "emergency"]) | text,
        "requestId": ids,
        "progressToken": ids,
        "protocolVersion": st.sampled_from(VERSIONS) | json_values,
        "capabilities": json_values,
        "clientInfo": json_values,
    },
)
messages = st.fixed_dictionaries(
    {"jsonrpc": st.just("2.0") | json_values, "method": st.sampled_from(METHODS) | text | json_values},
    optional={"id": ids, "params": params, "result": json_values, "error": json_values},
)


def _lone_surrogate(message: dict) -> str:
    return json.dumps(message).replace("}", ',"z":"\\udc80"}', 1)


def _huge_number(message: dict) -> str:
    return json.dumps(message).replace("}", ',"z":' + "9" * 5000 + "}", 1)


bodies = st.one_of(
    messages.map(json.dumps),
    st.lists(messages, max_size=4).map(json.dumps),  # batches, empty ones included
    messages.map(_lone_surrogate),
    messages.map(_huge_number),
    messages.map(json.dumps).flatmap(lambda s: st.integers(0, len(s)).map(lambda n: s[:n])),  # cut short
    st.integers(1, 100_000).map(lambda depth: "[" * depth + "]" * depth),  # deeply nested
    st.integers(1, 50_000).map(lambda depth: '{"a":' * depth + "1" + "}" * depth),
    json_values.map(json.dumps),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.just('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"p":"' + "x" * 70_000 + '"}}'),  # over the size bound
)

#: Header values as bytes: printable ASCII and Latin-1, which HTTP/1.1 lets through.
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=60)
ACCEPTS = ["application/json, text/event-stream", "application/json", "text/event-stream", "*/*", "text/html", ""]
CONTENT_TYPES = ["application/json", "application/json; charset=latin-1", "text/plain", "multipart/form-data", ""]
odd_headers = st.fixed_dictionaries(
    {},
    optional={
        "accept": st.sampled_from(ACCEPTS) | header_text,
        "content-type": st.sampled_from(CONTENT_TYPES) | header_text,
        "mcp-protocol-version": st.sampled_from([*VERSIONS, "2099-01-01"]) | header_text,
        "mcp-session-id": header_text,
        "last-event-id": st.sampled_from(["0", "0.0", "-1", "1.99999999999999999999", "a.b.c"]) | header_text,
        "origin": st.sampled_from(["http://evil.example", "null", "http://127.0.0.1", "file://"]) | header_text,
        "host": st.sampled_from(["evil.example", "127.0.0.1:1", "localhost", "[::1]", "127.0.0.1\t"]) | header_text,
        "mcp-method": st.sampled_from(METHODS) | header_text,
        "mcp-name": header_text,
        "accept-encoding": st.sampled_from(["gzip", "br", "zstd", "identity;q=0", "*"]) | header_text,
        "authorization": st.sampled_from(["Bearer ", "Bearer x", "Basic Og=="]) | header_text,
    },
)
HTTP_METHODS = ["POST", "GET", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD"]
path_piece = st.sampled_from(
    [
        "mcp",
        "http",
        "sse",
        "messages",
        "messages/",
        "stateful",
        "slug",
        "typed",
        "files",
        "named",
        "%0A",
        "%00",
        "%2F",
        "%2e%2e",
        "..",
        "%ZZ",
        "%C0%AF",
        "%ED%A0%80",
        "%F4%90%80%80",
        "~",
        ";",
        "@",
        "//",
        "0",
        "-1",
        "%C3%A9",
        "%E2%80%A8",
    ]
) | st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="?#"), max_size=12)
paths = st.lists(path_piece, min_size=1, max_size=6).map(lambda parts: "/" + "/".join(parts))
query_piece = st.sampled_from(["session_id", "sessionId", "cursor", "", "x", "%00", "%0A", "%ZZ", "a" * 3000]) | (
    header_text.map(lambda value: quote(value, safe=""))
)
queries = st.just("") | st.lists(st.tuples(query_piece, query_piece), max_size=3).map(
    lambda pairs: "?" + "&".join(f"{key}={value}" for key, value in pairs)
)


# -- probing ------------------------------------------------------------------------------------------------------


class Sessions:
    """Live sessions on the stateful mount, opened again when a fuzzed DELETE ends one."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.ids: list[str] = []

    def one(self, index: int) -> str:
        while len(self.ids) < 3:
            self.ids.append(_initialize(self.url))
        return self.ids[index % len(self.ids)]

    def forget(self, session_id: str) -> None:
        if session_id in self.ids:
            self.ids.remove(session_id)


def _initialize(url: str) -> str:
    init = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "1"}}
    r = httpx.post(url, json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": init}, headers=HEADERS)
    assert r.status_code == 200, r.text
    session_id = r.headers["mcp-session-id"]
    notified = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    httpx.post(url, json=notified, headers={**HEADERS, "Mcp-Session-Id": session_id})
    return session_id


def _send(
    client: httpx.Client, method: str, url: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, str, bytes]:
    """Status, content type and what arrived of the body within a short while
    (a stream that stays open is read for a moment, then let go)."""
    # HTTP/1.1 clients cannot send a value with whitespace at its ends (h11 refuses it).
    raw_headers = [(name.encode("latin-1"), value.strip(" \t").encode("latin-1")) for name, value in headers.items()]
    received = bytearray()
    with client.stream(method, url, headers=raw_headers, content=body) as response:
        deadline = time.monotonic() + 0.6
        try:
            for chunk in response.iter_bytes():  # decoded: answers may be compressed
                received += chunk
                if time.monotonic() > deadline or len(received) > 2_000_000:
                    break
        except httpx.ReadTimeout:
            assert response.headers.get("content-type", "").startswith("text/event-stream"), (method, url, headers)
        return response.status_code, response.headers.get("content-type", ""), bytes(received)


def _check(status: int, content_type: str, body: bytes, sent: str, complete: bool = True) -> None:
    event(f"HTTP {status}")  # the spread of answers, shown by pytest --hypothesis-show-statistics
    assert status < 500, (status, body[:2000], sent[:2000])
    shown = body.decode("utf-8", "replace")
    assert not TRACEBACK.search(shown), (shown[:3000], sent[:2000])
    leaked = [name for name in PYTHON_ERRORS if name in shown and name not in sent]
    assert not leaked, (leaked, shown[:3000], sent[:2000])
    if not body:
        return
    if content_type.startswith("application/json"):
        _check_jsonrpc(json.loads(body), sent)
    elif content_type.startswith("text/event-stream"):
        whole = shown if complete else shown[: shown.rfind("\n\n") + 2]
        # The HTTP+SSE transport's first event names its endpoint: a path, not JSON.
        events = [block for block in whole.split("\n\n") if not block.startswith("event: endpoint")]
        for message in parse_sse("\n\n".join(events)):
            _check_jsonrpc(message, sent)


def _check_jsonrpc(answer: object, sent: str) -> None:
    for message in answer if isinstance(answer, list) and answer else [answer]:
        assert isinstance(message, dict) and message.get("jsonrpc") == "2.0", (answer, sent[:2000])
        if "error" in message:
            error = message["error"]
            assert isinstance(error.get("code"), int) and isinstance(error.get("message"), str), (message, sent[:2000])
            assert "id" in message, message
        else:
            assert "result" in message or "method" in message, (message, sent[:2000])


def _still_serves(server) -> None:
    for path in [*STATELESS, "/stateful/http"]:
        headers = {"Mcp-Session-Id": _initialize(server.url + path)} if path == STATEFUL else {}
        answer = rpc(server.url + path, "tools/call", {"name": "add", "arguments": {"a": 2, "b": 40}}, headers=headers)
        assert answer["result"]["content"][0]["text"] == "42", answer
    assert "Traceback" not in server.log, server.log[-5000:]
    assert " 500 " not in server.log, server.log[-5000:]


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    server = _test_project(tmp_path_factory, "fuzz", {"MCP_HTTP_REQUEST_TIMEOUT": "5"})
    yield server
    server.stop()


# -- the fuzz -----------------------------------------------------------------------------------------------------


def test_generated_bodies_get_clean_answers(fuzz_server):
    """Malformed, nested, huge, cut and wrong-typed JSON-RPC, batches included, to each mount."""
    sessions = Sessions(fuzz_server.url + STATEFUL)

    @FUZZ
    @given(body=bodies, mount=st.integers(0, len(STATELESS)), accept=st.sampled_from(ACCEPTS[:3]))
    def probe(body: str, mount: int, accept: str) -> None:
        headers = {"accept": accept, "content-type": "application/json"}
        if mount == len(STATELESS):
            path = STATEFUL
            headers["mcp-session-id"] = sessions.one(len(body))
        else:
            path = STATELESS[mount]
        encoded = body.encode("utf-8", "surrogatepass")
        with httpx.Client(timeout=10) as client:
            _check(*_send(client, "POST", fuzz_server.url + path, headers, encoded), sent=body)

    probe()
    _still_serves(fuzz_server)


def test_generated_headers_methods_and_paths_get_clean_answers(fuzz_server):
    """Odd headers, HTTP methods, paths, percent-encodings and query strings."""
    sessions = Sessions(fuzz_server.url + STATEFUL)

    @FUZZ
    @given(
        method=st.sampled_from(HTTP_METHODS),
        path=st.sampled_from([*STATELESS, STATEFUL, "/stateful/sse", "/stateful/messages/"]) | paths,
        query=queries,
        headers=odd_headers,
        real_session=st.booleans(),
        message=messages,
    )
    def probe(method: str, path: str, query: str, headers: dict, real_session: bool, message: dict) -> None:
        if real_session and path.startswith("/stateful"):
            headers["mcp-session-id"] = sessions.one(len(query))
        body = json.dumps(message).encode() if method in ("POST", "PUT", "PATCH") else b""
        url = httpx.URL(fuzz_server.url).copy_with(raw_path=(path + query).encode())
        with httpx.Client(timeout=10) as client:
            status, content_type, answer = _send(client, method, url, headers, body)
        if method == "DELETE" and "mcp-session-id" in headers:
            sessions.forget(headers["mcp-session-id"])
        sent = json.dumps([method, path, query, headers, message])
        _check(status, content_type, answer, sent, complete=method != "GET")

    probe()
    _still_serves(fuzz_server)


def test_generated_arguments_get_clean_answers(fuzz_server):
    """Tools with typed signatures given arguments of any shape, and 2026-07-28
    multi-round calls given any inputResponses and requestState."""

    @FUZZ
    @given(
        name=st.sampled_from(TOOLS + ELICITING),
        args=arguments | json_values,
        modern=st.booleans(),
        responses=st.none() | json_values | st.dictionaries(text, json_values, max_size=3),
        state=st.none() | text,
        mount=st.sampled_from(STATELESS),
    )
    def probe(name: str, args: object, modern: bool, responses: object, state: str | None, mount: str) -> None:
        headers = dict(HEADERS)
        call: dict = {"name": name, "arguments": args}
        # An older client is asked on the call's stream and answers on another request: it would wait here.
        if modern or name in ELICITING:
            headers.update({"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": name})
            call["_meta"] = {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}, "sampling": {}, "roots": {}},
            }
            if responses is not None:
                call["inputResponses"] = responses
            if state is not None:
                call["requestState"] = state
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": call})
        with httpx.Client(timeout=10) as client:
            _check(*_send(client, "POST", fuzz_server.url + mount, headers, body.encode()), sent=body)

    probe()
    _still_serves(fuzz_server)
