"""MCP served by Django's own URL routing and views, for projects that run
under ``manage.py runserver`` or a WSGI server:

    # urls.py
    path("mcp/<slug:user_uuid>/", include("django_mcp.urls"))

serves ``mcp/<user_uuid>/http`` (the MCP endpoint) and ``.../health``. The
URL's captured values are the tools' ``ctx.path_params``.

The trade-off against ``mount_mcp_server``: every request goes through
Django's middleware and view machinery (slower), answers are always complete
``application/json`` bodies (no progress or log notifications while a tool
runs, no server-to-client requests such as elicitation for handshake-era
clients), and there are no sessions.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from . import _core
from .conf import mcp_settings
from .server import mcp_app
from .transport.body import too_large
from .transport.browser import browser_page
from .transport.io import Request

_mount: Any = None


def _get_mount() -> Any:
    global _mount
    if _mount is None:
        from .asgi import MCPMount

        async def unreachable(scope: Any, receive: Any, send: Any) -> None:
            raise RuntimeError("not reached")

        _mount = MCPMount(unreachable, "/mcp", "http_stateless", mcp_app)
    if _mount._route is None:
        _mount._build()  # settings changed: read them again
    return _mount


async def _no_stream(*args: Any) -> Any:
    raise RuntimeError("the view answers with one JSON body: no ASGI messages are exchanged")


def _response(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> HttpResponse:
    response = HttpResponse(body, status=status)
    for name, value in headers:
        response[name.decode("latin-1")] = value.decode("latin-1")
    return response


_JSON_ONLY = (
    b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Not Acceptable: '
    b'this endpoint answers application/json only (mount_mcp_server serves event streams)"}}'
)


def _asgi_headers(request: HttpRequest) -> list[tuple[bytes, bytes]]:
    headers = []
    for name, value in request.headers.items():
        key = name.lower()
        if key == "accept" and _takes_json(value):
            value = "application/json"  # always a complete JSON body here
        headers.append((key.encode("latin-1"), value.encode("latin-1")))
    return headers


def _takes_json(accept: str) -> bool:
    return any(
        item.split(";")[0].strip().lower() in ("application/json", "application/*", "*/*") for item in accept.split(",")
    )


async def mcp_endpoint(request: HttpRequest, **path_params: Any) -> HttpResponse:
    """The MCP endpoint (Streamable HTTP, stateless, JSON answers)."""
    limit = int(mcp_settings.MCP_HTTP_MAX_REQUEST_SIZE or 0)
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if limit and declared.isdigit() and int(declared) > limit:
        return _response(413, [(b"content-type", b"application/json")], too_large(limit))
    mount = _get_mount()
    headers = _asgi_headers(request)
    if request.method == "GET":
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in request.headers.items()]
        page = browser_page({"method": "GET", "headers": raw, "scheme": request.scheme}, request.path)
        if page is not None:
            return _response(*page)
    user = getattr(request, "user", None)
    scope_for_access: dict[str, Any] = {"headers": headers, "user": user} if user is not None else {"headers": headers}
    hidden = await mcp_app.hidden_for(scope_for_access, path_params) if mcp_app.has_access_rules else []
    outcome = mcp_app.engine.handle(
        request.method or "GET", headers, request.body if request.method == "POST" else b"", hidden
    )
    if isinstance(outcome, _core.Response):
        return _response(outcome.status, outcome.headers, outcome.body)
    plan = outcome
    if plan.stream:
        return _response(406, [(b"content-type", b"application/json")], _JSON_ONLY)
    client = request.META.get("REMOTE_ADDR", "")
    scope: dict[str, Any] = {
        "type": "http",
        "method": request.method,
        "path": request.path,
        "headers": headers,
        "client": (client, 0),
    }
    if user is not None:
        scope["user"] = user
    for request_id in plan.cancels:
        mount.in_flight.cancel((client, request_id))
    if not plan.has_responses:
        return HttpResponse(status=202)
    # The whole path is the endpoint: a view has no mount path before it (``base`` is "").
    call_request = Request(scope, _no_stream, _no_stream, request.path, request.path, path_params)
    messages = await mount.services.calls.run_all(plan, call_request, client)
    status, headers, body = plan.json_answer(messages)
    return _response(status, headers, body)


# Django's CsrfViewMiddleware skips views marked this way; MCP clients send no
# CSRF token (protection against cross-site use is the Origin check instead).
mcp_endpoint.csrf_exempt = True  # type: ignore[attr-defined]


async def health(request: HttpRequest, **path_params: Any) -> HttpResponse:
    r = mcp_app.engine.health(request.method or "GET")
    return _response(r.status, r.headers, r.body)
