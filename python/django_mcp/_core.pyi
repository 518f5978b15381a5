"""Type stubs for the Rust protocol engine (``src/python.rs``)."""

from collections.abc import Iterable, Sequence
from typing import Any, Literal, final

__version__: str
SUPPORTED_PROTOCOL_VERSIONS: list[str]
LOG_LEVELS: list[str]
INVALID_PARAMS: int
MISSING_REQUIRED_CLIENT_CAPABILITY: int
INTERNAL_ERROR: int
RESOURCE_NOT_FOUND: int
REQUEST_CANCELLED: int
RATE_LIMITED: int

# Type aliases of the stub only (the extension has no such names).
Kind = Literal["tool", "resource", "template", "prompt", "completion", "listen", "task"]
AsgiHeaders = Iterable[Sequence[bytes]]

@final
class Response:
    """A finished HTTP answer."""

    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> list[tuple[bytes, bytes]]: ...
    @property
    def body(self) -> bytes: ...

@final
class Call:
    """One user function to run for one request."""

    @property
    def kind(self) -> Kind: ...
    @property
    def handle(self) -> int: ...
    @property
    def id(self) -> str:
        """The request id as raw JSON text."""
    @property
    def target(self) -> str:
        """Tool or prompt name, or the resource URI."""
    @property
    def arguments(self) -> str:
        """The arguments object as raw JSON text."""
    @property
    def kwargs(self) -> dict[str, Any] | None:
        """The arguments as keyword arguments when the function's ArgSpec read
        them (a dict of this call's own); None when they need the validator."""
    @property
    def variables(self) -> dict[str, str]: ...
    @property
    def progress_token(self) -> str | None: ...
    @property
    def traceparent(self) -> str | None:
        """``_meta.traceparent`` of the request (W3C Trace Context), if any."""
    @property
    def tracestate(self) -> str | None: ...
    @property
    def structured(self) -> bool:
        """The client's protocol revision allows structuredContent."""
    @property
    def protocol_version(self) -> str: ...
    @property
    def server_requests(self) -> bool:
        """Requests to the client may go on the response stream (handshake era)."""
    @property
    def cacheable(self) -> bool:
        """Results carry cache hints (2026-07-28)."""
    @property
    def log_opt_in(self) -> bool: ...
    @property
    def log_level(self) -> str | None: ...
    @property
    def client_capabilities(self) -> str | None: ...
    @property
    def client_info(self) -> str | None: ...
    @property
    def declares_tasks(self) -> bool:
        """The request declares the tasks extension (io.modelcontextprotocol/tasks)."""
    @property
    def input_responses(self) -> str | None: ...
    @property
    def request_state(self) -> str | None: ...
    @property
    def resumes(self) -> bool:
        """A 2026-07-28 retry carrying inputResponses or a requestState."""
    def scalar_result(self, value: object, structured: bool) -> bytes | None:
        """The response for a tool that returned a plain int, bool or str: one
        text block and, when ``structured``, the value as structuredContent.result.
        None for other values (floats, ints beyond 64 bits, lone surrogates)."""
    def error_status(self, code: int) -> int: ...
    def result(self, result: bytes, result_type: str = "complete") -> bytes: ...
    def text_result(self, text: str, structured: bytes | None = None, wrapped: bool = False) -> bytes:
        """The response for a tool result of one text block, ``structured`` (raw
        JSON) as structuredContent where the revision has it, under ``result``
        when ``wrapped``."""
    def error(self, code: int, message: str, data: str | None = None) -> bytes: ...

@final
class Plan:
    """Requests that need user code, plus the answers already known."""

    @property
    def calls(self) -> list[Call]: ...
    @property
    def headers(self) -> list[tuple[bytes, bytes]]: ...
    @property
    def stream(self) -> bool: ...
    @property
    def cancels(self) -> tuple[str, ...]: ...
    @property
    def has_responses(self) -> bool: ...
    @property
    def replies(self) -> tuple[tuple[str, bool, str], ...]:
        """Client answers to our requests: (id, is_error, raw JSON)."""
    @property
    def protocol_version(self) -> str: ...
    @property
    def stateless(self) -> bool:
        """Whether the request speaks a revision without sessions (2026-07-28)."""
    def finish(self, messages: Sequence[bytes]) -> bytes: ...
    def json_answer(self, messages: list[bytes]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """The answer as one JSON body: its HTTP status, headers and body
        (``finish``). A body that is one call's message alone takes that
        message's status: 429 with Retry-After for a rate-limited call
        (``RATE_LIMITED``), the error's own status from 2026-07-28; else 200."""
    def messages(self, messages: Sequence[bytes]) -> list[bytes]:
        """Each message of the answer on its own; empty ones are left out."""
    def complete_stream(self, messages: list[bytes]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """An event stream sent as one body: its status, headers (without
        those an event stream needs only while it stays open) and body (the
        ready answers, then each non-empty message as an event); a lone error
        with its own status (429 with Retry-After for a rate-limited call) as
        a JSON body instead."""
    def ready_events(self) -> bytes: ...

@final
class Engine:
    def __new__(
        cls,
        name: str,
        version: str,
        *,
        title: str | None = None,
        instructions: str | None = None,
        json_response: bool = False,
        allowed_hosts: list[str] | None = None,
        allowed_origins: list[str] = ...,
        page_size: int = 0,
        cache_ttl_ms: int = 0,
        cache_public: bool = False,
        tasks: bool = False,
        extensions: list[tuple[str, str]] = ...,
    ) -> Engine:
        """``extensions``: (identifier, settings as JSON text) advertised as ``capabilities.extensions``."""
    def register(
        self, kind: Kind, key: str, handle: int, definition: str, arguments: ArgSpec | None = None
    ) -> Kind: ...
    def handle(self, method: str, headers: AsgiHeaders, body: bytes, hidden: Sequence[int] = ...) -> Response | Plan:
        """One request to the stateless endpoint; ``hidden``: handles left out of list results."""
    def handle_stateful(
        self,
        method: str,
        headers: AsgiHeaders,
        body: bytes,
        session: tuple[str, str] | None,
        path: str,
        seed: bytes,
        hidden: Sequence[int] = ...,
    ) -> tuple[Response | Plan, tuple[str, str] | None]:
        """The stateful endpoint: ``session`` is ``(version, path)`` of the live
        session named by Mcp-Session-Id; returns the outcome and a session to create."""
    def open_sse(self, headers: AsgiHeaders, seed: bytes) -> tuple[Response, str | None]: ...
    def handle_sse_post(
        self,
        headers: AsgiHeaders,
        body: bytes,
        session_id: str | None,
        session: tuple[str, str] | None,
        path: str,
        hidden: Sequence[int] = ...,
    ) -> tuple[Response | Plan, str | None]: ...
    def host_refusal(self, headers: Sequence[tuple[bytes, bytes]]) -> Response | None:
        """The endpoint's 403 for a Host or Origin that is not allowed, or None."""
    def health(self, method: str) -> Response: ...
    def find_resource(self, uri: str) -> tuple[Kind, int, list[tuple[str, str]]] | None: ...
    def initialize_result(self, version: str) -> str: ...
    # Last: inside the class body, later annotations would read ``list`` as this method.
    def list(self, kind: Kind, version: str = "2025-11-25") -> str: ...

@final
class Codings:
    """The content codings this process can send, best first."""

    def __new__(cls, names: list[str]) -> Codings: ...
    def choose(self, headers: AsgiHeaders) -> str | None:
        """The coding the request's Accept-Encoding rates highest among ours
        (ties to the better one), or None."""

@final
class ArgSpec:
    """Reads the arguments of a tool whose parameters are all plain ``int``,
    ``float``, ``str`` or ``bool`` (or those or None) without the validator."""

    def __new__(cls, params: list[tuple[str, str, bool, tuple[Any, ...]]]) -> ArgSpec:
        """``(name, type, nullable, default)``; type is "int", "float", "str"
        or "bool"; default is ``(value,)``, or ``()`` for a required parameter."""
    def read(self, raw: str) -> dict[str, Any] | None:
        """The keyword arguments, or None when they need the full validator."""

@final
class Route:
    def __new__(cls, pattern: str, endpoints: list[str]) -> Route: ...
    @property
    def pattern(self) -> str: ...
    @property
    def param_names(self) -> list[str]: ...
    def match(self, path: str) -> tuple[int, list[tuple[str, str, str]]] | None: ...

def notification(method: str, params: bytes) -> bytes: ...
def request(id: str, method: str, params: bytes) -> bytes: ...
def sse_event(message: bytes, id: str | None = None) -> bytes: ...
def sse_priming(id: str, retry_ms: int) -> bytes: ...
def sse_named(event: str, data: str) -> bytes: ...
def event_id(stream: str, position: str) -> str: ...
def parse_event_id(id: str) -> tuple[str, str] | None: ...

# The first value of the ASGI header ``name`` (lower-case bytes), or None.
def header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None: ...
def declares_more_than(headers: Iterable[tuple[bytes, bytes]], limit: int) -> bool: ...
def auth_refusal(
    status: int, resource_metadata: str, description: str, scope: str | None = None, error: str | None = None
) -> Response: ...
def resource_metadata(
    resource: str, authorization_servers: list[str], scopes: list[str], name: str | None = None
) -> bytes: ...

__all__ = [
    "INTERNAL_ERROR",
    "INVALID_PARAMS",
    "LOG_LEVELS",
    "MISSING_REQUIRED_CLIENT_CAPABILITY",
    "RATE_LIMITED",
    "REQUEST_CANCELLED",
    "RESOURCE_NOT_FOUND",
    "SUPPORTED_PROTOCOL_VERSIONS",
    "ArgSpec",
    "Call",
    "Codings",
    "Engine",
    "Plan",
    "Response",
    "Route",
    "__version__",
    "auth_refusal",
    "declares_more_than",
    "event_id",
    "header",
    "notification",
    "parse_event_id",
    "request",
    "resource_metadata",
    "sse_event",
    "sse_named",
    "sse_priming",
]
