"""``mount_mcp_server``: an ASGI app that answers MCP below a path and hands
every other request (and lifespan) to the Django application untouched.

The mount resolves the route, then hands the request to the endpoint's
pipeline (``transport/pipeline.py``), built once from the settings. A
person's browser opening an MCP endpoint (a GET asking for HTML, with no MCP
headers) is routed to a page saying what the URL is and how to add it to a
client (``transport/browser.py``), before any credentials are asked for."""

from __future__ import annotations

import gc
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from asgiref.sync import markcoroutinefunction

from . import _core
from .auth.gate import WELL_KNOWN, remember_mount
from .conf import mcp_settings, on_reload
from .server import MCPApp
from .server import mcp_app as default_app
from .transport.browser import browser_page
from .transport.in_flight import InFlight
from .transport.io import ASGIApp, Headers, Receive, Request, Scope, Send, respond
from .transport.pipeline import Handler, compose
from .transport.services import Services
from .transport.sessions import SessionStore
from .transport.stateful import SSEMessages, SSEStream, Stateful
from .transport.stateless import Stateless

logger = logging.getLogger("django_mcp")

__all__ = ["TRANSPORTS", "ASGIApp", "MCPMount", "mount_mcp_server"]

#: ``http_stateless``: Streamable HTTP without sessions (2026-07-28 style for
#: every client); ``http``: Streamable HTTP with sessions for handshake-era
#: clients; ``sse``: the HTTP+SSE transport of 2024-11-05.
TRANSPORTS = ("http_stateless", "http", "sse")

_CONVERTERS: dict[str, Callable[[str], Any]] = {"int": int, "uuid": uuid.UUID}

#: Each endpoint below the mount path: its suffix, and what serves it.
_MCP_ENDPOINT = "/http"
_SSE_ENDPOINTS = {"/sse": "sse", "/messages/": "messages", "/messages": "messages"}


_heap_frozen = False


def _freeze_started_heap() -> None:
    """MCP_GC_FREEZE: once per process, when ``mount_mcp_server()`` runs (the
    ASGI module is loaded, Django is set up).

    A started Django process holds tens of thousands of objects that live as
    long as it does. Each full pass of the garbage collector walks all of
    them (tens of milliseconds here), and under load full passes come often
    enough to be the p99 latency: once the objects of the requests in flight
    outnumber the collector's first threshold (700), every few requests start
    a young collection, and every hundred or so of those a full one. Frozen
    (``gc.freeze()``), the started heap is left out of every later pass.
    Garbage is collected first, so none of it is kept for good. Not done for
    mounts made otherwise (``django_mcp.test``, the urls.py views), so a test
    process's heap is left alone."""
    global _heap_frozen
    if _heap_frozen or not mcp_settings.MCP_GC_FREEZE:
        return
    _heap_frozen = True
    gc.collect()
    gc.freeze()
    logger.debug(
        "Froze the %d objects of the started process out of the garbage collector's passes (MCP_GC_FREEZE)",
        gc.get_freeze_count(),
    )


class MCPMount:
    """The ASGI application returned by :func:`mount_mcp_server`."""

    def __init__(
        self, django_http_app: ASGIApp, mcp_base_path: str, transport_type: str | Sequence[str], app: MCPApp
    ) -> None:
        transports = [transport_type] if isinstance(transport_type, str) else list(transport_type)
        unknown = [t for t in transports if t not in TRANSPORTS]
        if unknown or not transports:
            raise ValueError(
                f"transport_type {transport_type!r} is not supported; "
                f"use one of {', '.join(TRANSPORTS)} (or a list of them)"
            )
        if "http" in transports and "http_stateless" in transports:
            raise ValueError(
                "transport_type lists both 'http' and 'http_stateless'; they share <base>/http, so pick one"
            )
        self.django_http_app = django_http_app
        self.mcp_base_path = mcp_base_path
        self.transports = transports
        self.app = app
        self.stateful = "http" in transports
        self.services = Services(app, mcp_base_path)
        self._route: _core.Route | None = None
        self._stale = False
        self._build()  # fail at startup on a bad pattern, not at the first request
        on_reload(self._reset)

    def _reset(self) -> None:
        self._route = None
        self._stale = True

    def _build(self) -> _core.Route:
        """Reads the settings: the endpoints to route to, and each one's pipeline."""
        services = self.services
        if self._stale:
            services.configure()
            self._stale = False
        else:
            services.recompose()  # the per-call concerns, as the pipelines: a provider may have come
        endpoints: dict[str, Handler] = {}
        if "http" in self.transports:
            endpoints[_MCP_ENDPOINT] = compose(Stateful(services).serve, services)
        elif "http_stateless" in self.transports:
            endpoints[_MCP_ENDPOINT] = compose(Stateless(services).serve, services)
        if "sse" in self.transports:
            stream, messages = (
                compose(SSEStream(services).serve, services),
                compose(SSEMessages(services).serve, services),
            )
            endpoints.update({suffix: stream if kind == "sse" else messages for suffix, kind in _SSE_ENDPOINTS.items()})
        #: The MCP endpoints come first; a browser's GET of one gets its page.
        self._mcp_endpoints = len(endpoints)
        if mcp_settings.MCP_HTTP_HEALTH_CHECK_ENABLED:
            endpoints.setdefault(mcp_settings.MCP_HTTP_HEALTH_CHECK_PATH, self._health)
        if mcp_settings.MCP_HTTP_ENABLE_METRICS:
            endpoints.setdefault(mcp_settings.MCP_HTTP_METRICS_PATH, self._metrics)
        #: The suffixes served, and by what (by the route's endpoint index).
        self._suffixes = list(endpoints)
        self._handlers = list(endpoints.values())
        self._rules = self.app.has_access_rules
        route = _core.Route(self.mcp_base_path, self._suffixes)
        telemetry = services.telemetry
        # Until the site sets a provider, the event loop looks for one; built
        # where no loop runs (at start-up), the first request builds again.
        watched = telemetry is None or telemetry.watch(self._provider_set)
        self._route = route if watched else None
        return route

    def _provider_set(self) -> None:
        """A tracer or meter provider was set: the next request builds the
        pipelines again, with OpenTelemetry."""
        self._route = None

    @property
    def in_flight(self) -> InFlight:
        """The calls this mount is running."""
        return self.services.in_flight

    @property
    def store(self) -> SessionStore:
        """Where sessions live (MCP_SESSION_STORE), made on first use."""
        return self.services.store

    @markcoroutinefunction
    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        """The ASGI entry point. It routes the request and returns the
        coroutine that answers it, which the server awaits: the endpoint's
        coroutine is the request's first, one level fewer under every call
        (CONTRIBUTING.md). Marked a coroutine function (asgiref's
        ``markcoroutinefunction``) so that servers see an ASGI 3 application."""
        if scope["type"] == "http":
            route = self._route
            if route is None or self._rules is not self.app.has_access_rules:
                route = self._build()  # the settings changed, or the first access rule came
            path = scope["path"]
            root = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            if path.startswith(WELL_KNOWN) and self.services.gate.active:
                metadata = self._metadata(scope, route, path[len(WELL_KNOWN) :])
                if metadata is not None:
                    return respond(send, *metadata)
            found = route.match(path)
            if found is not None:
                index, raw_params = found
                if (
                    scope["method"] == "GET"
                    and index < self._mcp_endpoints
                    and (page := browser_page(scope, path)) is not None
                ):
                    return respond(send, *page)
                params = (
                    {name: _CONVERTERS.get(conv, str)(value) for name, conv, value in raw_params} if raw_params else {}
                )
                return self._handlers[index](Request(scope, receive, send, path, self._suffixes[index], params))
        return self.django_http_app(scope, receive, send)

    async def _health(self, request: Request) -> None:
        r = self.app.engine.health(request.scope["method"])
        await respond(request.send, r.status, r.headers, r.body)

    async def _metrics(self, request: Request) -> None:
        metrics = self.services.metrics
        assert metrics is not None
        sessions = self.services.active_sessions() if (self.stateful or "sse" in self.transports) else None
        headers = [(b"content-type", b"text/plain; version=0.0.4; charset=utf-8")]
        await respond(request.send, 200, headers, metrics.render(sessions))

    def _metadata(self, scope: Scope, route: _core.Route, resource_path: str) -> tuple[int, Headers, bytes] | None:
        """The answer to a request for RFC 9728 metadata of this mount's
        endpoint at ``resource_path`` (or, for a base path without parameters,
        at the bare well-known path); None when that is no endpoint of ours."""
        if resource_path in ("", "/") and not route.param_names:
            resource_path = self.mcp_base_path.rstrip("/") + _MCP_ENDPOINT
        found = route.match(resource_path)
        if found is None or self._suffixes[found[0]] not in (_MCP_ENDPOINT, "/sse"):
            return None
        if scope["method"] not in ("GET", "HEAD"):
            return 405, [(b"allow", b"GET, HEAD")], b""
        return self.services.gate.metadata(scope, resource_path)


def mount_mcp_server(
    django_http_app: ASGIApp,
    mcp_base_path: str = "/mcp",
    transport_type: str | Sequence[str] = "http_stateless",
    *,
    mcp_app: MCPApp | None = None,
) -> MCPMount:
    """Wraps ``django_http_app`` so that MCP is served below ``mcp_base_path``.

    ``mcp_base_path`` may hold Django path converters (``/mcp/<slug:user_uuid>``);
    their values reach tools as ``ctx.path_params``. ``<base>/http`` is the MCP
    endpoint and ``<base>/health`` the health check.
    """
    from django.apps import apps
    from django.core.exceptions import ImproperlyConfigured

    if apps.ready and not apps.is_installed("django_mcp"):
        raise ImproperlyConfigured(
            "mount_mcp_server() needs 'django_mcp' in INSTALLED_APPS (it loads your apps' mcp.py modules and settings)"
        )
    mount = MCPMount(django_http_app, mcp_base_path, transport_type, mcp_app or default_app)
    remember_mount(mcp_base_path, mount.transports)  # this site's resources, for django_mcp.oauth
    _freeze_started_heap()
    return mount
