"""What the pipeline can add around the engine's answers: CORS, compression
and Prometheus metrics, each configured by MCP_HTTP_* settings and composed
into a mount's pipeline only when turned on (see ``pipeline.py``)."""

from __future__ import annotations

import gzip
import threading
import time
from collections import defaultdict
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import _core
from ..conf import mcp_settings
from .io import Headers, Request, respond

#: Headers MCP clients send and read, beyond those the settings list.
MCP_REQUEST_HEADERS = (
    "Content-Type",
    "Accept",
    "Mcp-Session-Id",
    "MCP-Protocol-Version",
    "Mcp-Method",
    "Mcp-Name",
    "Last-Event-ID",
)
MCP_EXPOSED_HEADERS = "Mcp-Session-Id, MCP-Protocol-Version"

#: Bodies smaller than this are sent as they are: gzip would cost more than it saves.
COMPRESSION_THRESHOLD = 1024


@dataclass(frozen=True)
class Cors:
    origins: frozenset[str]
    methods: str
    headers: str

    @classmethod
    def from_settings(cls) -> Cors | None:
        if not mcp_settings.MCP_HTTP_CORS_ENABLED:
            return None
        wanted = [*mcp_settings.MCP_HTTP_CORS_HEADERS, *MCP_REQUEST_HEADERS]
        unique = list(dict.fromkeys(h.lower() for h in wanted))
        return cls(
            origins=frozenset(o.rstrip("/") for o in mcp_settings.MCP_HTTP_CORS_ORIGINS),
            methods=", ".join(mcp_settings.MCP_HTTP_CORS_METHODS),
            headers=", ".join(unique),
        )

    def allows(self, origin: str) -> bool:
        return "*" in self.origins or origin.rstrip("/") in self.origins

    def response_headers(self, origin: bytes | None) -> list[tuple[bytes, bytes]]:
        """Headers for an actual response (none when the origin is not allowed)."""
        if origin is None or not self.allows(origin.decode("latin-1")):
            return []
        return [
            (b"access-control-allow-origin", origin),
            (b"access-control-expose-headers", MCP_EXPOSED_HEADERS.encode()),
            (b"vary", b"Origin"),
        ]

    def preflight(self, origin: bytes | None) -> tuple[int, list[tuple[bytes, bytes]]]:
        if origin is None or not self.allows(origin.decode("latin-1")):
            return 403, [(b"vary", b"Origin")]
        return 204, [
            (b"access-control-allow-origin", origin),
            (b"access-control-allow-methods", self.methods.encode()),
            (b"access-control-allow-headers", self.headers.encode()),
            (b"access-control-max-age", b"600"),
            (b"vary", b"Origin"),
        ]


def _codecs() -> dict[str, Any]:
    """Encoders available here, best first: zstd and br when their optional
    packages (zstandard, brotli) are installed, gzip always."""
    found: dict[str, Any] = {}
    try:
        import zstandard

        found["zstd"] = zstandard.ZstdCompressor(level=3).compress
    except ImportError:
        pass
    try:
        import brotli

        found["br"] = lambda body: brotli.compress(body, quality=4)
    except ImportError:
        pass
    found["gzip"] = lambda body: gzip.compress(body, compresslevel=5)
    return found


CODECS = _codecs()


#: The engine's side of content-coding negotiation, knowing what CODECS holds.
_CODINGS = _core.Codings(list(CODECS))


def chosen_encoding(scope: Mapping[str, Any]) -> str | None:
    """The coding to answer with: the client's highest q-value among those
    available here (ties go to the better codec), or None."""
    return _CODINGS.choose(scope["headers"])


def encode_body(scope: Mapping[str, Any], headers: list[Any], body: bytes) -> tuple[list[Any], bytes]:
    """A large complete body in the best coding the client accepts, with the
    headers saying so (and without Content-Length: the sender adds it)."""
    if len(body) < COMPRESSION_THRESHOLD:
        return headers, body
    coding = chosen_encoding(scope)
    if coding is None:
        return headers, body
    packed = CODECS[coding](body)
    kept = [(k, v) for k, v in headers if k != b"content-length"]
    return [*kept, (b"content-encoding", coding.encode()), (b"vary", b"Accept-Encoding")], packed


def write_compressed(request: Request, status: int, headers: Headers, body: bytes) -> Awaitable[None]:
    """The Writer when MCP_HTTP_ENABLE_COMPRESSION is on: ``respond`` with a
    large body encoded in the best coding the client accepts."""
    if len(body) >= COMPRESSION_THRESHOLD:
        headers, body = encode_body(request.scope, headers, body)
    return respond(request.send, status, headers, body)


_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class Metrics:
    """Counters in Prometheus' text exposition format, for MCP_HTTP_ENABLE_METRICS."""

    requests: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    calls: dict[tuple[str, str, str], int] = field(default_factory=lambda: defaultdict(int))
    buckets: list[int] = field(default_factory=lambda: [0] * (len(_BUCKETS) + 1))
    duration_sum: float = 0.0
    duration_count: int = 0
    in_flight: int = 0
    sessions_opened: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def request_started(self) -> float:
        self.in_flight += 1
        return time.perf_counter()

    def request_finished(self, started: float, method: str, status: int) -> None:
        elapsed = time.perf_counter() - started
        with self.lock:
            self.in_flight -= 1
            self.requests[(method, status)] += 1
            self.duration_sum += elapsed
            self.duration_count += 1
            for i, bound in enumerate(_BUCKETS):
                if elapsed <= bound:
                    self.buckets[i] += 1
                    break
            else:
                self.buckets[-1] += 1

    def call_finished(self, kind: str, name: str, message: bytes) -> None:
        outcome = "error" if (b'"isError":true' in message or b'"error":{' in message[:200]) else "ok"
        with self.lock:
            self.calls[(kind, name, outcome)] += 1

    def render(self, active_sessions: int | None = None) -> bytes:
        """The exposition text; ``active_sessions`` when the store can count them (in-process)."""
        lines = [
            "# HELP mcp_http_requests_total MCP endpoint requests by HTTP method and status.",
            "# TYPE mcp_http_requests_total counter",
        ]
        with self.lock:
            for (method, status), n in sorted(self.requests.items()):
                lines.append(f'mcp_http_requests_total{{method="{method}",status="{status}"}} {n}')
            lines += [
                "# HELP mcp_calls_total Tool, resource and prompt calls by name and outcome.",
                "# TYPE mcp_calls_total counter",
            ]
            for (kind, name, outcome), n in sorted(self.calls.items()):
                lines.append(f'mcp_calls_total{{kind="{kind}",name="{_escape(name)}",outcome="{outcome}"}} {n}')
            lines += [
                "# HELP mcp_http_request_duration_seconds Time to answer MCP endpoint requests.",
                "# TYPE mcp_http_request_duration_seconds histogram",
            ]
            cumulative = 0
            for bound, n in zip(_BUCKETS, self.buckets, strict=False):
                cumulative += n
                lines.append(f'mcp_http_request_duration_seconds_bucket{{le="{bound}"}} {cumulative}')
            lines.append(f'mcp_http_request_duration_seconds_bucket{{le="+Inf"}} {self.duration_count}')
            lines.append(f"mcp_http_request_duration_seconds_sum {self.duration_sum}")
            lines.append(f"mcp_http_request_duration_seconds_count {self.duration_count}")
            lines += [
                "# HELP mcp_http_requests_in_flight MCP endpoint requests being answered now.",
                "# TYPE mcp_http_requests_in_flight gauge",
            ]
            lines.append(f"mcp_http_requests_in_flight {self.in_flight}")
            lines += [
                "# HELP mcp_sessions_opened_total Sessions this process opened (stateful transports).",
                "# TYPE mcp_sessions_opened_total counter",
            ]
            lines.append(f"mcp_sessions_opened_total {self.sessions_opened}")
            if active_sessions is not None:
                lines += [
                    "# HELP mcp_sessions_active Live sessions in this process's session store.",
                    "# TYPE mcp_sessions_active gauge",
                ]
                lines.append(f"mcp_sessions_active {active_sessions}")
        return ("\n".join(lines) + "\n").encode()


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
