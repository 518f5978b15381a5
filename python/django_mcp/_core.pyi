"""Type stubs for the Rust protocol engine (``src/python.rs``)."""

from typing import Any, Iterable, Literal, Sequence

__version__: str
SUPPORTED_PROTOCOL_VERSIONS: list[str]
LOG_LEVELS: list[str]
INVALID_PARAMS: int
INTERNAL_ERROR: int
RESOURCE_NOT_FOUND: int
REQUEST_CANCELLED: int

Kind = Literal["tool", "resource", "template", "prompt", "completion"]
AsgiHeaders = Iterable[Sequence[bytes]]

class Response:
    """A finished HTTP answer."""

    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> list[tuple[bytes, bytes]]: ...
    @property
    def body(self) -> bytes: ...

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
    def variables(self) -> dict[str, str]: ...
    @property
    def progress_token(self) -> str | None: ...
    @property
    def structured(self) -> bool:
        """The client's protocol revision allows structuredContent."""
    def result(self, result: bytes) -> bytes: ...
    def error(self, code: int, message: str, data: str | None = None) -> bytes: ...

class Plan:
    """Requests that need user code, plus the answers already known."""

    @property
    def calls(self) -> list[Call]: ...
    @property
    def headers(self) -> list[tuple[bytes, bytes]]: ...
    @property
    def stream(self) -> bool: ...
    @property
    def cancels(self) -> list[str]: ...
    @property
    def has_responses(self) -> bool: ...
    @property
    def replies(self) -> list[tuple[str, bool, str]]:
        """Client answers to our requests: (id, is_error, raw JSON)."""
    @property
    def protocol_version(self) -> str: ...
    def finish(self, messages: Sequence[bytes]) -> bytes: ...
    def ready_events(self) -> bytes: ...

class Engine:
    def __init__(
        self,
        name: str,
        version: str,
        *,
        title: str | None = None,
        instructions: str | None = None,
        json_response: bool = False,
        allowed_hosts: list[str] | None = None,
        allowed_origins: list[str] = ...,
        page_size: int = 0,
    ) -> None: ...
    def register(self, kind: Kind, key: str, handle: int, definition: str) -> Kind: ...
    def handle(self, method: str, headers: AsgiHeaders, body: bytes) -> Response | Plan: ...
    def health(self, method: str) -> Response: ...
    def list(self, kind: Kind, version: str = "2025-11-25") -> str: ...
    def find_resource(self, uri: str) -> tuple[Kind, int, list[tuple[str, str]]] | None: ...
    def initialize_result(self, version: str) -> str: ...

class Route:
    def __init__(self, pattern: str, endpoints: list[str]) -> None: ...
    @property
    def pattern(self) -> str: ...
    @property
    def param_names(self) -> list[str]: ...
    def match(self, path: str) -> tuple[int, list[tuple[str, str, str]]] | None: ...

def notification(method: str, params: bytes) -> bytes: ...
def request(id: str, method: str, params: bytes) -> bytes: ...
def sse_event(message: bytes, id: str | None = None) -> bytes: ...

__all__: Any
