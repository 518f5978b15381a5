"""django-mcp's settings, read from Django settings with defaults.

One object, read lazily and reset on ``setting_changed``, so
``override_settings`` works in tests. Nothing is written into
``django.conf.settings``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.signals import setting_changed

DEFAULTS: dict[str, Any] = {
    "MCP_LOG_LEVEL": "INFO",
    "MCP_LOG_TOOL_REGISTRATION": True,
    "MCP_LOG_TOOL_DESCRIPTIONS": False,
    "MCP_SERVER_NAME": "django-mcp",
    "MCP_SERVER_INSTRUCTIONS": "Provides MCP tools",
    "MCP_SERVER_TITLE": "Django MCP Server",
    "MCP_SERVER_VERSION": "0.1.0",
    "MCP_DIRS": [],
    "MCP_PATCH_SDK_TOOL_LOGGING": True,
    "MCP_PATCH_SDK_GET_CONTEXT": True,
    "MCP_HTTP_REQUEST_TIMEOUT": 30.0,
    "MCP_HTTP_MAX_REQUEST_SIZE": 10 * 1024 * 1024,
    "MCP_HTTP_ENABLE_COMPRESSION": True,
    "MCP_HTTP_CORS_ENABLED": False,
    "MCP_HTTP_CORS_ORIGINS": [],
    "MCP_HTTP_CORS_METHODS": ["GET", "POST", "OPTIONS"],
    "MCP_HTTP_CORS_HEADERS": ["Content-Type", "Authorization"],
    "MCP_HTTP_JSON_RESPONSE": False,
    # Seconds an event stream may stay silent before a keepalive comment is sent.
    "MCP_HTTP_SSE_KEEPALIVE": 15.0,
    "MCP_HTTP_HEALTH_CHECK_ENABLED": True,
    "MCP_HTTP_HEALTH_CHECK_PATH": "/health",
    "MCP_HTTP_ENABLE_METRICS": False,
    "MCP_HTTP_METRICS_PATH": "/metrics",
    # OpenTelemetry spans and the mcp.server.operation.duration metric, when
    # opentelemetry-api is installed and the site sets a tracer or meter provider.
    "MCP_OPENTELEMETRY": True,
    # Stateful transports: seconds a session lives without requests, and how
    # often the in-process store sweeps expired ones.
    "MCP_HTTP_SESSION_TTL": 3600,
    "MCP_HTTP_SESSION_CLEANUP_INTERVAL": 300,
    # Where sessions live: "memory" (this process) or "cache" (Django's cache,
    # with events in Redis streams when that cache is Redis).
    "MCP_SESSION_STORE": "memory",
    "MCP_SESSION_CACHE_ALIAS": "default",
    # Redis for events when the session cache is not Redis itself (None: the cache's LOCATION).
    "MCP_SESSION_REDIS_URL": None,
    # Seconds a client resuming a stream on another process waits for a sign of
    # life from the process running its calls (Redis events); then it gets a
    # JSON-RPC error for each unanswered call: the call was lost.
    "MCP_HTTP_LOST_CALL_TIMEOUT": 30.0,
    # Seconds the session cache and Redis have to answer each operation; past
    # that the request gets 503 with Retry-After, as when they are down.
    "MCP_SESSION_STORE_TIMEOUT": 3.0,
    # Events kept per stream for clients that resume with Last-Event-ID, and
    # resumable streams kept per session (in-process store).
    "MCP_HTTP_EVENT_STORE_SIZE": 100,
    "MCP_HTTP_EVENT_STORE_STREAMS": 16,
    # ...and in bytes of messages, per session and for the whole process
    # (in-process events; the oldest go first).
    "MCP_HTTP_EVENT_STORE_SESSION_BYTES": 8 * 1024 * 1024,
    "MCP_HTTP_EVENT_STORE_MAX_BYTES": 128 * 1024 * 1024,
    # Reconnection delay that resumable streams tell clients (SSE retry field).
    "MCP_HTTP_SSE_RETRY_MS": 1000,
    # DNS-rebinding protection: Host must match ALLOWED_HOSTS, Origin must name
    # an allowed host or be listed here.
    "MCP_DNS_REBINDING_PROTECTION": True,
    "MCP_ALLOWED_ORIGINS": [],
    # Items per page of tools/list, resources/list, ... (0: everything at once).
    "MCP_PAGE_SIZE": 100,
    # Cache hints on 2026-07-28 list results: how long clients may reuse them.
    "MCP_LIST_CACHE_TTL_MS": 0,
    "MCP_LIST_CACHE_SCOPE": "private",
    # ...and resources/read results (always private: they may depend on the caller).
    "MCP_RESOURCE_CACHE_TTL_MS": 0,
    # Worker threads for sync tools, resources and prompts; each may hold a
    # database connection.
    "MCP_SYNC_THREADS": 8,
    # Threads started to stand in for workers still running a sync call that
    # timed out or was cancelled (a thread cannot be stopped), so such calls
    # do not starve the others; 0: given-up calls keep their workers.
    "MCP_SYNC_SPARE_THREADS": 32,
    # When sync functions first run in worker threads, the interpreter's GIL
    # switch interval is lowered to this many seconds (never raised), so the
    # workers are not kept waiting by a busy event loop (None: left alone).
    "MCP_SYNC_SWITCH_INTERVAL": 0.0005,
    # Once per process, when mount_mcp_server() runs at startup: collect, then
    # gc.freeze() what the started process holds (modules, models, apps), so
    # that the collector's full passes no longer walk it.
    "MCP_GC_FREEZE": True,
    # Seconds a multi-round-trip requestState stays valid.
    "MCP_REQUEST_STATE_MAX_AGE": 3600,
    # The tasks extension: the cache alias task state lives in (every process
    # serving the endpoint must share it), how long a task is kept after it is
    # created, and the polling interval suggested to clients.
    "MCP_TASKS_CACHE": "default",
    "MCP_TASKS_TTL_MS": 60 * 60 * 1000,
    "MCP_TASKS_POLL_INTERVAL_MS": 500,
    # The Django tasks backend alias task rounds are enqueued on; None runs them
    # in the web process that received the request.
    "MCP_TASKS_BACKEND": None,
    # Authentication: classes tried in order (django_mcp.auth), and whether a
    # request without a user is refused (401) everywhere.
    "MCP_AUTHENTICATION_CLASSES": [],
    "MCP_AUTH_REQUIRED": False,
    # Seconds a verified bearer token is remembered in each process (no database
    # query while it is): the longest a revocation, expiry or deactivation made
    # in another process can go unseen. 0: every request is verified afresh.
    "MCP_AUTH_CACHE_SECONDS": 5,
    # RFC 9728 metadata: where clients get tokens, the scopes there are, and the
    # origin resource URLs are built on (None: the request's own scheme and Host).
    "MCP_AUTH_AUTHORIZATION_SERVERS": [],
    "MCP_AUTH_SCOPES_SUPPORTED": [],
    "MCP_AUTH_RESOURCE_ORIGIN": None,
    # JWTAuthentication: the JWKS with the signing keys, the trusted issuer, the
    # expected audience (None: the endpoint's own URL) and the algorithms allowed.
    "MCP_AUTH_JWKS_URL": None,
    "MCP_AUTH_JWT_ISSUER": None,
    "MCP_AUTH_JWT_AUDIENCE": None,
    "MCP_AUTH_JWT_ALGORITHMS": ["RS256", "ES256"],
    # Who may open the explorer (django_mcp.explorer.urls): a callable taking
    # the request, or its dotted path.
    "MCP_EXPLORER_ACCESS": "django_mcp.explorer.access.staff_only",
    # django_mcp.oauth (this site as the authorization server): Dynamic Client
    # Registration on or off, and how many registrations one client address
    # may make per hour (Django's cache counts them).
    "MCP_OAUTH_REGISTRATION_ENABLED": True,
    "MCP_OAUTH_REGISTRATIONS_PER_HOUR": 10,
    # Client ID Metadata Documents: https client_ids fetched on first sight;
    # hosts listed here may resolve to private or loopback addresses
    # (Django's ALLOWED_HOSTS syntax), which are refused otherwise.
    "MCP_OAUTH_CLIENT_METADATA_DOCUMENTS": True,
    "MCP_OAUTH_CLIENT_METADATA_ALLOWED_HOSTS": [],
    # Template of the consent page (override it, or name your own).
    "MCP_OAUTH_CONSENT_TEMPLATE": "django_mcp/oauth/authorize.html",
    # The audit log (django_mcp.audit in INSTALLED_APPS): a row per tool,
    # resource and prompt call, written in the background.
    "MCP_AUDIT_ENABLED": False,
    # Days rows are kept; `manage.py mcp_audit_prune` deletes older ones (None: kept).
    "MCP_AUDIT_RETENTION_DAYS": 90,
    # Arguments whose name has one of these words (api_key, accessToken,
    # client-secret, ...) are stored as "[redacted]", at any depth.
    "MCP_AUDIT_SECRET_NAMES": [
        "password",
        "passwd",
        "passphrase",
        "secret",
        "token",
        "key",
        "apikey",
        "authorization",
        "credential",
        "credentials",
        "cookie",
        "signature",
    ],
    # More arguments to redact, per function: {"tool:charge": ["card_number"]}.
    "MCP_AUDIT_REDACT": {},
    # Rows waiting to be written; past that, new ones are dropped (and a warning logged).
    "MCP_AUDIT_QUEUE_SIZE": 10000,
    # Rate limits (django_mcp.throttling): the throttle classes applied to
    # every call, and their rates ("100/min") by scope: "user", "anon",
    # "global", or "tool:<name>" / "prompt:<name>" / "resource:<uri>".
    # Nothing is limited, and nothing paid, while no rate is set.
    "MCP_THROTTLE_CLASSES": [
        "django_mcp.throttling.UserRateThrottle",
        "django_mcp.throttling.AnonRateThrottle",
        "django_mcp.throttling.ToolRateThrottle",
        "django_mcp.throttling.GlobalRateThrottle",
    ],
    "MCP_THROTTLE_RATES": {},
    # The Django cache that counts calls (Redis: one count for every process).
    "MCP_THROTTLE_CACHE_ALIAS": "default",
}


class MCPSettings:
    """Attribute access to every ``MCP_*`` setting: ``mcp_settings.MCP_LOG_LEVEL``.

    All settings are read from ``django.conf.settings`` together on first use
    and then held as plain instance attributes. The loaded object's class has
    no ``__getattr__``: that hook would make every read, on every request, go
    through a slower path. Before loading (and after ``reload``) the object is
    an ``_UnloadedSettings``, whose ``__getattr__`` loads them.
    """

    if TYPE_CHECKING:
        # For type checkers: every MCP_* name in DEFAULTS reads as an attribute.
        def __getattr__(self, name: str) -> Any: ...

    def reload(self) -> None:
        """Forgets the values (read again on next use) and tells the callbacks."""
        self.__class__ = _UnloadedSettings
        self.__dict__.clear()
        for callback in list(_reload_callbacks):
            callback()


class _UnloadedSettings(MCPSettings):
    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown django-mcp setting: {name!r}")
        from django.conf import settings

        self.__dict__.update({key: getattr(settings, key, default) for key, default in DEFAULTS.items()})
        self.__class__ = MCPSettings  # type: ignore[assignment]
        return self.__dict__[name]


_reload_callbacks: list[Callable[[], None]] = []


def on_reload(callback: Callable[[], None]) -> None:
    """Call ``callback`` whenever an ``MCP_*`` setting changes (tests' override_settings)."""
    _reload_callbacks.append(callback)


mcp_settings: MCPSettings = _UnloadedSettings()


def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in DEFAULTS:
        mcp_settings.reload()


setting_changed.connect(_setting_changed)
