"""``ViewToolset``: a Django REST framework view as MCP tools, one per action::

    class InvoiceAPITools(ViewToolset):
        view = InvoiceViewSet          # a ViewSet, a generic view or an APIView
        basename = "invoices"
        actions = ["list", "retrieve", "create"]   # default: every action the view has

    register_toolset(InvoiceAPITools)

A call runs the view in-process, as DRF would for an HTTP request: the view's
permission classes, throttles, filter backends, pagination and serializer
validation apply, and the view sees the MCP caller as ``request.user``. Nothing
goes over HTTP. An error response (400, 403, 404, 429, ...) becomes an
``isError`` result; a 400 names each field the serializer refused.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from io import BytesIO
from typing import Any, ClassVar
from urllib.parse import urlencode

from django.db import DEFAULT_DB_ALIAS, router, transaction

from ..context import Context
from ..server import MCPApp
from . import schema
from .base import Operation, ToolError, flatten_errors, problem, qualname, register_operation

#: ViewSet actions and the HTTP method each is called with.
VIEWSET_ACTIONS = {
    "list": "get",
    "create": "post",
    "retrieve": "get",
    "update": "put",
    "partial_update": "patch",
    "destroy": "delete",
}
DETAIL_ACTIONS = frozenset({"retrieve", "update", "partial_update", "destroy"})
#: Generic views' handlers per HTTP method, for naming their tools like a ViewSet's.
GENERIC_ACTIONS = {"post": "create", "put": "update", "patch": "partial_update", "delete": "destroy"}
SAFE_METHODS = frozenset({"get", "head", "options"})
JSON_SCALAR = {"type": ["string", "number", "integer", "boolean"]}


class ViewToolset:
    """Declares a DRF view whose actions MCP clients may call."""

    view: ClassVar[type]
    #: Tool names are ``<basename>_<action>``.
    basename: ClassVar[str]
    #: The actions to expose; every action the view has when None.
    actions: ClassVar[Sequence[str] | None] = None
    #: Descriptions per action, else the action's docstring.
    descriptions: ClassVar[Mapping[str, str]] = {}
    #: Names of the URL keyword arguments an APIView takes (generic views and ViewSets know their lookup).
    url_kwargs: ClassVar[Sequence[str]] = ()
    #: Django permissions, OAuth scopes and ``allow(user, ctx)``, checked before the view's own permissions.
    permissions: ClassVar[Sequence[str]] = ()
    scopes: ClassVar[Sequence[str]] = ()
    allow: ClassVar[Any] = None

    @classmethod
    def register(cls, app: MCPApp) -> None:
        try:
            from rest_framework.views import APIView
        except ImportError:
            problem(
                "ViewToolset needs Django REST framework",
                hint='pip install "django-mcp[drf]"',
                obj=cls,
                id="django_mcp.E210",
            )
            return
        view = getattr(cls, "view", None)
        if not (isinstance(view, type) and issubclass(view, APIView)) or not getattr(cls, "basename", None):
            problem("a ViewToolset needs `view` (a DRF view class) and `basename`", obj=cls, id="django_mcp.E211")
            return
        offered = _actions_of(view)
        wanted = list(cls.actions) if cls.actions is not None else list(offered)
        unknown = [a for a in wanted if a not in offered]
        if unknown:
            problem(
                f"{view.__qualname__} has no actions {unknown}",
                hint=f"it has {sorted(offered)}",
                obj=cls,
                id="django_mcp.E212",
            )
            return
        origin = f"view {qualname(view)} ({qualname(cls)})"
        for action in wanted:
            method, detail = offered[action]
            op = _ViewAction(cls, view, action, method, detail, only_action=len(offered) == 1).operation()
            register_operation(app, op, origin=origin, scopes=cls.scopes, allow=cls.allow)


def _actions_of(view: Any) -> dict[str, tuple[str, bool]]:
    """action -> (HTTP method, whether it acts on one object)."""
    from rest_framework.viewsets import ViewSetMixin

    if issubclass(view, ViewSetMixin):
        out = {a: (m, a in DETAIL_ACTIONS) for a, m in VIEWSET_ACTIONS.items() if hasattr(view, a)}
        for extra in view.get_extra_actions():
            method = next(iter(extra.mapping))
            out[extra.__name__] = (method, extra.detail)
        return out
    out = {}
    detail = hasattr(view, "retrieve") or (hasattr(view, "lookup_field") and not hasattr(view, "list"))
    for method in ("get", "post", "put", "patch", "delete"):
        if not hasattr(view, method):
            continue
        if method == "get":
            action = "list" if hasattr(view, "list") else "retrieve" if hasattr(view, "retrieve") else "get"
        else:
            action = GENERIC_ACTIONS[method] if hasattr(view, GENERIC_ACTIONS[method]) else method
        out[action] = (method, detail and hasattr(view, "get_object"))
    return out


class _ViewAction:
    """One action of a view: its arguments, and how a call becomes a DRF request."""

    def __init__(
        self, toolset: type[ViewToolset], view: Any, action: str, method: str, detail: bool, only_action: bool = False
    ) -> None:
        self.toolset, self.view, self.action, self.method, self.detail = toolset, view, action, method, detail
        self.only_action = only_action
        from rest_framework.viewsets import ViewSetMixin

        self.is_viewset = issubclass(view, ViewSetMixin)
        self.handler = view.as_view({method: action}) if self.is_viewset else view.as_view()
        self.lookup: str = str(getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk"))
        self.url_kwargs: list[str] = [self.lookup] if detail else []
        if not self.is_viewset and not hasattr(view, "get_object"):
            self.url_kwargs = list(toolset.url_kwargs)
        self.takes_body = method in ("post", "put", "patch")
        #: A ViewSet's own create and update need the serializer's fields; other actions may take none.
        self.requires_body = action in ("create", "update") or (not self.is_viewset and method in ("post", "put"))
        queryset = getattr(view, "queryset", None)
        self.db = router.db_for_write(queryset.model) if queryset is not None else DEFAULT_DB_ALIAS

    def instance(self) -> Any:
        """A view object as DRF makes one per request, to ask for its serializer and backends."""
        view = self.view()
        view.action = self.action
        view.request = None
        view.format_kwarg = None
        view.kwargs = {}
        view.args = ()
        return view

    def body_schema(self) -> dict[str, Any] | None:
        try:
            serializer = self.instance().get_serializer()
        except Exception:
            serializer_class = getattr(self.view, "serializer_class", None)
            if serializer_class is None:
                return None
            serializer = serializer_class()
        return schema.serializer_schema(serializer, partial=not self.requires_body)

    def query_params(self) -> dict[str, dict[str, Any]]:
        """The query parameters the view's pagination and filter backends read."""
        if self.method != "get" or self.detail:
            return {}
        params: dict[str, dict[str, Any]] = {}
        view = self.instance()
        paginator = getattr(self.view, "pagination_class", None)
        if paginator is not None:
            for attr in (
                "page_query_param",
                "page_size_query_param",
                "limit_query_param",
                "offset_query_param",
                "cursor_query_param",
            ):
                name = getattr(paginator, attr, None)
                if name:
                    params[name] = {
                        **JSON_SCALAR,
                        "description": f"pagination: {attr.removesuffix('_query_param').replace('_', ' ')}",
                    }
        for backend in getattr(self.view, "filter_backends", ()):
            name = backend.__name__
            if name == "SearchFilter" and getattr(self.view, "search_fields", None):
                params[backend.search_param] = {
                    "type": "string",
                    "description": f"text to look for in {', '.join(self.view.search_fields)}",
                }
            elif name == "OrderingFilter":
                fields = getattr(self.view, "ordering_fields", None)
                described = f"; one of {', '.join(fields)}" if isinstance(fields, (list, tuple)) else ""
                params[backend.ordering_param] = {
                    "type": "string",
                    "description": "order by (-field descending)" + described,
                }
            elif name == "DjangoFilterBackend":
                try:
                    filterset = backend().get_filterset_class(view, getattr(self.view, "queryset", None))
                except Exception:
                    filterset = None
                for field in getattr(filterset, "base_filters", {}) if filterset else {}:
                    params[field] = {**JSON_SCALAR, "description": "filter"}
        return params

    def describe(self) -> str:
        """The action's docstring, else the view's (naming the action when the view has several)."""
        own = inspect.getdoc(getattr(self.view, self.action, None))
        inherited_from_drf = own is not None and getattr(self.view, self.action).__module__.startswith("rest_framework")
        if own and not inherited_from_drf:
            return own
        words = self.action.replace("_", " ")
        view_doc = (self.view.__doc__ or "").strip()
        if view_doc:
            return view_doc if self.only_action else f"{view_doc} ({words})"
        return f"{words.capitalize()} ({self.view.__name__})"

    def operation(self) -> Operation:
        properties: dict[str, Any] = {}
        required: list[str] = []
        fields: dict[str, Any] = {}
        for name in self.url_kwargs:
            properties[name] = {"type": ["string", "integer"]}
            required.append(name)
            fields[name] = (str | int, ...)
        query = self.query_params()
        for name, prop in query.items():
            properties[name] = prop
            fields[name] = (str | int | float | bool | None, None)
        body = self.body_schema() if self.takes_body else None
        if self.takes_body:
            properties["data"] = body if body is not None else {"type": "object"}
            if self.requires_body:
                required.append("data")
                fields["data"] = (dict[str, Any], ...)
            else:
                fields["data"] = (dict[str, Any] | None, None)
        input_schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
        if required:
            input_schema["required"] = required
        arguments = schema.strict_model(f"{self.toolset.basename}_{self.action}_arguments", fields)
        writable = set(body["properties"]) if body is not None else None
        description = self.toolset.descriptions.get(self.action) or self.describe()

        def run(ctx: Context, **arguments: Any) -> Any:
            data = arguments.pop("data", None)
            if data is not None and writable is not None:
                unknown = sorted(set(data) - writable)
                if unknown:
                    raise ToolError(
                        f"Invalid data: unknown fields {', '.join(unknown)}; this action takes {', '.join(sorted(writable))}"
                    )
            kwargs = {name: str(arguments.pop(name)) for name in self.url_kwargs}
            query = {k: _query_value(v) for k, v in arguments.items() if v is not None}
            return self.call(ctx, kwargs, query, data)

        return Operation(
            name=f"{self.toolset.basename}_{self.action}",
            run=run,
            arguments=arguments,
            description=description,
            annotations={"readOnlyHint": self.method in SAFE_METHODS},
            permissions=self.toolset.permissions,
            input_schema=input_schema,
        )

    def call(self, ctx: Context, kwargs: dict[str, str], query: dict[str, str], data: Any) -> Any:
        request = _django_request(ctx, self.method, f"/{self.toolset.basename}/", query, data)
        writes = self.method not in SAFE_METHODS
        with transaction.atomic(using=self.db) if writes else nullcontext():
            response = self.handler(request, **kwargs)
            if writes and response.status_code >= 400:
                transaction.set_rollback(True, using=self.db)
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        payload = _payload(response)
        if response.status_code >= 400:
            raise ToolError(_describe_error(response.status_code, payload))
        if payload is None:
            return {"status": response.status_code}
        return payload


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _django_request(ctx: Context, method: str, path: str, query: dict[str, str], data: Any) -> Any:
    """An HttpRequest for the view, carrying the MCP caller as its user."""
    from django.core.handlers.wsgi import WSGIRequest

    body = json.dumps(data).encode() if data is not None else b""
    host = ctx.headers.get("host") or "localhost"
    client = (ctx.scope or {}).get("client") or ("127.0.0.1", 0)
    environ = {
        "REQUEST_METHOD": method.upper(),
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": urlencode(query),
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_ACCEPT": "application/json",
        "HTTP_HOST": host,
        "SERVER_NAME": host.split(":")[0],
        "SERVER_PORT": "443" if (ctx.scope or {}).get("scheme") == "https" else "80",
        "REMOTE_ADDR": client[0],
        "wsgi.input": BytesIO(body),
        "wsgi.url_scheme": (ctx.scope or {}).get("scheme", "http"),
    }
    request = WSGIRequest(environ)
    user = ctx.user
    request.user = user
    if getattr(user, "is_authenticated", False):
        # DRF's forced authentication: the view's authenticators are not asked, the
        # caller django-mcp authenticated is the view's request.user (and auth its token info).
        request._force_auth_user = user
        request._force_auth_token = ctx.auth
    return request


def _payload(response: Any) -> Any:
    data = getattr(response, "data", None)
    if data is None:
        return None
    from rest_framework.renderers import JSONRenderer

    return json.loads(JSONRenderer().render(data))


def _describe_error(status: int, payload: Any) -> str:
    if status == 400 and isinstance(payload, (dict, list)):
        return "Invalid data: " + "; ".join(flatten_errors(payload))
    detail = payload.get("detail") if isinstance(payload, dict) else payload
    return f"HTTP {status}: {detail}" if detail else f"HTTP {status}"
