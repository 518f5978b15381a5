"""``manage.py check`` for django-mcp's configuration."""

from __future__ import annotations

import os
from collections import Counter
from numbers import Real
from typing import Any

from django.core.checks import Error, Tags, Warning, register

from .conf import DEFAULTS, mcp_settings
from .runtime.bus import redis_url

_NUMBER = (int, float)


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _is_str_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)


def _imports_callable(path: str) -> bool:
    from django.utils.module_loading import import_string

    try:
        return callable(import_string(path))
    except ImportError:
        return False


#: setting -> (test, what it must be)
SETTING_RULES = {
    "MCP_LOG_LEVEL": (
        lambda v: isinstance(v, str) and v.upper() in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"},
        "one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
    ),
    "MCP_LOG_TOOL_REGISTRATION": (lambda v: isinstance(v, bool), "True or False"),
    "MCP_LOG_TOOL_DESCRIPTIONS": (lambda v: isinstance(v, bool), "True or False"),
    "MCP_SERVER_NAME": (lambda v: isinstance(v, str) and v, "a non-empty string"),
    "MCP_SERVER_TITLE": (lambda v: v is None or isinstance(v, str), "a string"),
    "MCP_SERVER_VERSION": (lambda v: isinstance(v, str) and v, "a non-empty string"),
    "MCP_SERVER_INSTRUCTIONS": (lambda v: v is None or isinstance(v, str), "a string"),
    "MCP_DIRS": (
        lambda v: isinstance(v, (list, tuple)) and all(isinstance(d, (str,)) or hasattr(d, "__fspath__") for d in v),
        "a list of folder paths",
    ),
    "MCP_PATCH_SDK_TOOL_LOGGING": (lambda v: isinstance(v, bool), "True or False"),
    "MCP_PATCH_SDK_GET_CONTEXT": (lambda v: isinstance(v, bool), "True or False"),
    "MCP_HTTP_REQUEST_TIMEOUT": (
        lambda v: v is None or (_is_number(v) and v > 0),
        "a positive number of seconds, or None",
    ),
    "MCP_HTTP_MAX_REQUEST_SIZE": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
        "a positive number of bytes",
    ),
    "MCP_HTTP_JSON_RESPONSE": (lambda v: isinstance(v, bool), "True or False"),
    "MCP_OPENTELEMETRY": (lambda v: isinstance(v, bool), "True or False"),
    "MCP_HTTP_HEALTH_CHECK_ENABLED": (lambda v: isinstance(v, bool), "True or False"),
    "MCP_HTTP_HEALTH_CHECK_PATH": (
        lambda v: isinstance(v, str) and v.startswith("/") and v != "/http",
        "a path starting with '/' (not '/http')",
    ),
    "MCP_HTTP_SSE_KEEPALIVE": (lambda v: _is_number(v) and v > 0, "a positive number of seconds"),
    "MCP_HTTP_CORS_ORIGINS": (_is_str_list, "a list of origins"),
    "MCP_ALLOWED_ORIGINS": (_is_str_list, "a list of origins"),
    "MCP_DNS_REBINDING_PROTECTION": (lambda v: isinstance(v, bool), "True or False"),
    "MCP_PAGE_SIZE": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "a whole number (0: no pagination)",
    ),
    "MCP_LIST_CACHE_TTL_MS": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "a whole number of milliseconds",
    ),
    "MCP_LIST_CACHE_SCOPE": (lambda v: v in ("public", "private"), "'public' or 'private'"),
    "MCP_SYNC_THREADS": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
        "a whole number of threads, at least 1",
    ),
    "MCP_SYNC_SPARE_THREADS": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "a whole number of threads (0: none)",
    ),
    "MCP_SYNC_SWITCH_INTERVAL": (
        lambda v: v is None or (_is_number(v) and 0 < v <= 1),
        "a number of seconds between 0 and 1, or None",
    ),
    "MCP_GC_FREEZE": (lambda v: isinstance(v, bool), "True or False"),
    "MCP_REQUEST_STATE_MAX_AGE": (lambda v: _is_number(v) and v > 0, "a positive number of seconds"),
    "MCP_HTTP_SESSION_TTL": (lambda v: _is_number(v) and v > 0, "a positive number of seconds"),
    "MCP_HTTP_SESSION_CLEANUP_INTERVAL": (lambda v: _is_number(v) and v > 0, "a positive number of seconds"),
    "MCP_SESSION_STORE": (lambda v: v in ("memory", "cache"), "'memory' or 'cache'"),
    "MCP_SESSION_CACHE_ALIAS": (lambda v: isinstance(v, str) and v, "the name of a cache in CACHES"),
    "MCP_SESSION_REDIS_URL": (
        lambda v: v is None or (isinstance(v, str) and v.startswith(("redis://", "rediss://", "unix://"))),
        "a redis:// URL, or None",
    ),
    "MCP_HTTP_LOST_CALL_TIMEOUT": (lambda v: _is_number(v) and v > 0, "a positive number of seconds"),
    "MCP_SESSION_STORE_TIMEOUT": (lambda v: _is_number(v) and v > 0, "a positive number of seconds"),
    "MCP_HTTP_EVENT_STORE_SIZE": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
        "a whole number of events, at least 1",
    ),
    "MCP_HTTP_EVENT_STORE_STREAMS": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
        "a whole number of streams, at least 1",
    ),
    "MCP_HTTP_EVENT_STORE_SESSION_BYTES": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "a whole number of bytes",
    ),
    "MCP_HTTP_EVENT_STORE_MAX_BYTES": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "a whole number of bytes",
    ),
    "MCP_HTTP_SSE_RETRY_MS": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
        "a whole number of milliseconds",
    ),
    "MCP_AUTHENTICATION_CLASSES": (_is_str_list, "a list of dotted paths to authentication classes"),
    "MCP_AUTH_REQUIRED": (lambda v: isinstance(v, bool), "True or False"),
    "MCP_AUTH_CACHE_SECONDS": (lambda v: _is_number(v) and v >= 0, "a number of seconds, 0 to verify every request"),
    "MCP_AUTH_AUTHORIZATION_SERVERS": (_is_str_list, "a list of authorization server URLs"),
    "MCP_AUTH_SCOPES_SUPPORTED": (_is_str_list, "a list of scope names"),
    "MCP_AUTH_RESOURCE_ORIGIN": (
        lambda v: v is None or (isinstance(v, str) and v.startswith(("http://", "https://"))),
        "an origin such as 'https://api.example.com', or None",
    ),
    "MCP_AUTH_JWKS_URL": (
        lambda v: v is None or (isinstance(v, str) and v.startswith(("http://", "https://"))),
        "a JWKS URL, or None",
    ),
    "MCP_AUTH_JWT_ALGORITHMS": (_is_str_list, "a list of JWS algorithm names"),
    "MCP_AUDIT_ENABLED": (lambda v: isinstance(v, bool), "True or False"),
    "MCP_AUDIT_RETENTION_DAYS": (
        lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v >= 0),
        "a whole number of days, or None to keep every row",
    ),
    "MCP_AUDIT_SECRET_NAMES": (_is_str_list, "a list of words"),
    "MCP_AUDIT_REDACT": (
        lambda v: isinstance(v, dict) and all(isinstance(k, str) and _is_str_list(n) for k, n in v.items()),
        "a dict of lists of argument names, e.g. {'tool:charge': ['card_number']}",
    ),
    "MCP_AUDIT_QUEUE_SIZE": (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
        "a whole number of entries, at least 1",
    ),
    "MCP_THROTTLE_CLASSES": (_is_str_list, "a list of dotted paths to throttle classes"),
    "MCP_THROTTLE_RATES": (
        lambda v: isinstance(v, dict) and all(isinstance(k, str) for k in v),
        "a dict of rates by scope, e.g. {'user': '100/min'}",
    ),
    "MCP_THROTTLE_CACHE_ALIAS": (lambda v: isinstance(v, str) and v, "the name of a cache in CACHES"),
    "MCP_EXPLORER_ACCESS": (
        lambda v: callable(v) or (isinstance(v, str) and _imports_callable(v)),
        "a callable taking the request, or the dotted path of one",
    ),
}


@register(Tags.compatibility)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    for name, (ok, expected) in SETTING_RULES.items():
        value = getattr(mcp_settings, name)
        if not ok(value):
            errors.append(
                Error(
                    f"{name} is {value!r}, which is not {expected}.",
                    hint=(
                        f"Set {name} to {expected} in settings.py, or remove it to use the default {DEFAULTS[name]!r}."
                    ),
                    id="django_mcp.E001",
                )
            )
    return errors


@register(Tags.compatibility)
def check_registrations(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    from .server import mcp_app

    counts = Counter((f.kind, f.key) for f in mcp_app._functions)
    errors = []
    for (kind, key), count in counts.items():
        if count < 2:
            continue
        places = [
            f"{f.fn.__module__}.{f.fn.__qualname__}" for f in mcp_app._functions if (f.kind, f.key) == (kind, key)
        ]
        errors.append(
            Error(
                f"The MCP {kind} {key!r} is registered {count} times ({', '.join(places)}); only the last "
                "one is served.",
                hint="Give each a distinct name (the decorator's name= argument), or remove the duplicate.",
                id="django_mcp.E002",
            )
        )
    return errors


@register(Tags.compatibility)
def check_views(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Each MCP Apps view a tool names (``ui=``) is a registered resource: hosts read it with resources/read."""
    from .server import mcp_app

    resources = {f.key for f in mcp_app._functions if f.kind == "resource"}
    errors = []
    for f in mcp_app._functions:
        view = (f.definition.get("_meta") or {}).get("ui", {}).get("resourceUri") if f.kind == "tool" else None
        if view is not None and view not in resources:
            errors.append(
                Error(
                    f"The MCP tool {f.key!r} shows its results in the view {view!r}, which is not registered.",
                    hint="Register it with @mcp_app.ui_resource(" + repr(view) + ", ...), or fix the tool's ui=.",
                    id="django_mcp.E030",
                )
            )
    return errors


#: Cache backends that keep entries inside one process.
_PROCESS_LOCAL_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache")


@register(Tags.caches)
def check_session_store(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    from django.conf import settings

    if mcp_settings.MCP_SESSION_STORE != "cache":
        return []
    alias = mcp_settings.MCP_SESSION_CACHE_ALIAS
    caches = getattr(settings, "CACHES", {})
    if alias not in caches:
        return [
            Error(
                f"MCP_SESSION_STORE is 'cache' but CACHES has no {alias!r} cache.",
                hint=(
                    f"Add a {alias!r} entry to CACHES (Redis for several processes), or set "
                    f"MCP_SESSION_CACHE_ALIAS to one of {sorted(caches)}."
                ),
                id="django_mcp.E010",
            )
        ]
    backend = caches[alias].get("BACKEND", "")
    if backend in _PROCESS_LOCAL_CACHES:
        return [
            Warning(
                f"MCP sessions are stored in the {alias!r} cache ({backend}), which no other process can see.",
                hint=(
                    "Use a shared cache (django.core.cache.backends.redis.RedisCache) so sessions survive "
                    "restarts and need no sticky load balancing."
                ),
                id="django_mcp.W010",
            )
        ]
    if redis_url() is None:
        return [
            Warning(
                f"MCP sessions are shared through the {alias!r} cache ({backend}), but their event streams, "
                "the answers to elicitation and sampling requests and change notifications stay in the process "
                "that holds them.",
                hint=(
                    "Use a Redis cache, or name a Redis server in MCP_SESSION_REDIS_URL; otherwise route every "
                    "request of a session to one process (sticky sessions)."
                ),
                id="django_mcp.W011",
            )
        ]
    return []


@register(Tags.caches)
def check_tasks(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    """Where task state lives and where tasks run, once a tool supports tasks."""
    from django.conf import settings

    from .server import mcp_app

    if not any(getattr(f, "task", None) for f in mcp_app._functions):
        return []
    problems: list[Error | Warning] = []
    alias, backend = mcp_settings.MCP_TASKS_CACHE, mcp_settings.MCP_TASKS_BACKEND
    caches = getattr(settings, "CACHES", {})
    if alias not in caches:
        problems.append(
            Error(
                f"MCP_TASKS_CACHE is {alias!r}, which CACHES does not define.",
                hint=f"Add a {alias!r} entry to CACHES, or set MCP_TASKS_CACHE to one of {sorted(caches)}.",
                id="django_mcp.E020",
            )
        )
    elif caches[alias].get("BACKEND", "") in _PROCESS_LOCAL_CACHES:
        problems.append(
            (Error if backend else Warning)(
                f"Task state is kept in the {alias!r} cache ({caches[alias]['BACKEND']}), which no other process "
                "can see.",
                hint=(
                    "Use a cache every web process and task worker shares (Redis, the database or file-based "
                    "cache); tasks/get asked of another process answers as for an unknown task."
                ),
                id="django_mcp.E021" if backend else "django_mcp.W020",
            )
        )
    if backend and backend not in getattr(settings, "TASKS", {}):
        problems.append(
            Error(
                f"MCP_TASKS_BACKEND is {backend!r}, which the TASKS setting does not define.",
                hint=(
                    "Define it in TASKS (with Django before 6, install django-mcp[tasks] and add 'django_tasks' "
                    "and 'django_tasks_db' to INSTALLED_APPS), or set MCP_TASKS_BACKEND to None."
                ),
                id="django_mcp.E022",
            )
        )
    return problems


@register(Tags.caches)
def check_several_processes(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Sessions kept in one process while WEB_CONCURRENCY (read by gunicorn
    and uvicorn for their number of workers) asks for several."""
    workers = os.environ.get("WEB_CONCURRENCY", "")
    if not workers.isdigit() or int(workers) < 2 or mcp_settings.MCP_SESSION_STORE != "memory":
        return []
    return [
        Warning(
            f"WEB_CONCURRENCY={workers} runs several worker processes, but MCP sessions are kept in each "
            "process's memory (MCP_SESSION_STORE = 'memory').",
            hint=(
                "Set MCP_SESSION_STORE = 'cache' with a Redis cache, so that any process serves any request; "
                "otherwise route every request of a session to one process (sticky sessions)."
            ),
            id="django_mcp.W012",
        )
    ]


@register(Tags.security)
def check_authentication(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    from django.apps import apps
    from django.utils.module_loading import import_string

    errors = []
    classes = mcp_settings.MCP_AUTHENTICATION_CLASSES
    if not _is_str_list(classes):
        return []  # E001 reports the type
    for path in classes:
        try:
            import_string(path)
        except ImportError as e:
            errors.append(
                Error(
                    f"MCP_AUTHENTICATION_CLASSES names {path!r}, which cannot be imported ({e}).",
                    hint=(
                        "Use a dotted path such as 'django_mcp.auth.TokenAuthentication', and install what it "
                        "needs (django-mcp[jwt], django-mcp[oauth])."
                    ),
                    id="django_mcp.E011",
                )
            )
            continue
        needs = {
            "TokenAuthentication": "django_mcp.tokens",
            "OAuth2Authentication": "oauth2_provider",
            "SessionAuthentication": "django.contrib.sessions",
        }
        app = needs.get(path.rsplit(".", 1)[-1])
        if path.startswith("django_mcp.auth.") and app and not apps.is_installed(app):
            errors.append(
                Error(
                    f"{path} needs {app!r} in INSTALLED_APPS.",
                    hint=f"Add {app!r} to INSTALLED_APPS (and run migrate).",
                    id="django_mcp.E012",
                )
            )
        if path == "django_mcp.auth.JWTAuthentication" and not mcp_settings.MCP_AUTH_JWKS_URL:
            errors.append(
                Error(
                    "JWTAuthentication is listed but MCP_AUTH_JWKS_URL is not set, so no JWT can be verified.",
                    hint=(
                        "Set MCP_AUTH_JWKS_URL to your authorization server's JWKS (e.g. "
                        "https://auth.example.com/.well-known/jwks.json)."
                    ),
                    id="django_mcp.E013",
                )
            )
    return errors


@register(Tags.urls)
def check_mounts(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Loads ASGI_APPLICATION, when set, so a bad ``mcp_base_path`` or
    ``transport_type`` given to mount_mcp_server shows up in ``manage.py check``
    rather than when the server starts."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    path = getattr(settings, "ASGI_APPLICATION", None)
    if not path:
        return []
    try:
        import_string(path)
    except ValueError as e:
        text = str(e)
        if "mcp_base_path" not in text and "transport_type" not in text:
            raise
        return [
            Error(
                f"mount_mcp_server() in {path}: {text}",
                hint=(
                    "Fix the mount in your ASGI module, e.g. mcp_base_path='/mcp/<slug:user_uuid>' and "
                    "transport_type='http_stateless', 'http' or 'sse'."
                ),
                id="django_mcp.E003",
            )
        ]
    return []


@register(Tags.caches)
def check_throttles(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    """Rate limits: rates that parse, classes that import, a cache that exists
    (and is shared when limits should hold across processes)."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    from .throttling import BaseThrottle, parse_rate

    problems: list[Error | Warning] = []
    rates = mcp_settings.MCP_THROTTLE_RATES
    if isinstance(rates, dict):
        for scope, rate in rates.items():
            try:
                parse_rate(rate)
            except ValueError:
                problems.append(
                    Error(
                        f"MCP_THROTTLE_RATES[{scope!r}] is {rate!r}, which is not a rate.",
                        hint="Write rates as calls per period: '100/min', '10/s', '1000/hour', '5000/day' (or None).",
                        id="django_mcp.E301",
                    )
                )
    classes = mcp_settings.MCP_THROTTLE_CLASSES
    for path in classes if _is_str_list(classes) else ():
        try:
            found = import_string(path)
        except ImportError as e:
            found, reason = None, f"cannot be imported ({e})"
        else:
            reason = "is not a subclass of django_mcp.throttling.BaseThrottle"
        if not (isinstance(found, type) and issubclass(found, BaseThrottle)):
            problems.append(
                Error(
                    f"MCP_THROTTLE_CLASSES names {path!r}, which {reason}.",
                    hint="Use a dotted path such as 'django_mcp.throttling.UserRateThrottle', or your subclass of it.",
                    id="django_mcp.E302",
                )
            )
    if not rates:
        return problems
    alias = mcp_settings.MCP_THROTTLE_CACHE_ALIAS
    caches = getattr(settings, "CACHES", {"default": {}})
    if alias not in caches:
        problems.append(
            Error(
                f"MCP_THROTTLE_CACHE_ALIAS is {alias!r} but CACHES has no such cache.",
                hint=f"Add a {alias!r} entry to CACHES (Redis for several processes), or name one of {sorted(caches)}.",
                id="django_mcp.E303",
            )
        )
    elif caches[alias].get("BACKEND", "django.core.cache.backends.locmem.LocMemCache") in _PROCESS_LOCAL_CACHES:
        problems.append(
            Warning(
                f"Rate limits are counted in the {alias!r} cache, which no other process can see: "
                "each process allows the full rate.",
                hint="Use a shared cache (django.core.cache.backends.redis.RedisCache) when you run several processes.",
                id="django_mcp.W301",
            )
        )
    return problems


@register()
def check_audit(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    from django.apps import apps

    if mcp_settings.MCP_AUDIT_ENABLED is True and not apps.is_installed("django_mcp.audit"):
        return [
            Error(
                "MCP_AUDIT_ENABLED is True but 'django_mcp.audit' is not in INSTALLED_APPS, so there is no table "
                "to write the audit log to.",
                hint="Add 'django_mcp.audit' to INSTALLED_APPS and run migrate.",
                id="django_mcp.E304",
            )
        ]
    return []
