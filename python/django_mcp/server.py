"""``MCPApp``: the registry of tools, resources and prompts that one MCP
server offers, and the calls into them."""

from __future__ import annotations

import asyncio
import base64
import functools
import inspect
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

import pydantic
from pydantic_core import to_json

from . import _core
from .auth.access import Access
from .conf import mcp_settings, on_reload
from .context import Context, ResourceContents, get_context
from .registry import content, custom_headers, signature
from .registry import ui as _ui
from .runtime.errors import ProtocolError
from .runtime.invoke import logged_call
from .runtime.multiround import InputRequired, MissingCapability
from .runtime.outbound import OutboundRequests
from .runtime.subscriptions import Subscriptions
from .tasks import TASK_SUPPORT
from .tasks import methods as task_methods

logger = logging.getLogger("django_mcp")

F = TypeVar("F", bound=Callable[..., Any])


def _dump(value: Any) -> Any:
    """Accepts plain dicts or pydantic models (e.g. the upstream SDK's ToolAnnotations)."""
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, (list, tuple)):
        return [_dump(v) for v in value]
    return value


def _describe(fn: Callable[..., Any], description: str | None) -> str | None:
    return description if description is not None else inspect.getdoc(fn)


@dataclass
class Function:
    """A registered user function and what is needed to call it."""

    kind: _core.Kind
    key: str
    fn: Callable[..., Any]
    params: signature.Parameters
    definition: dict[str, Any]
    is_async: bool = field(init=False)
    #: Wrapped in log_mcp_tool_calls, so it logs itself.
    logs_itself: bool = field(init=False)
    #: Who may use it (None: whoever may use the endpoint).
    access: Access | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        self.is_async = inspect.iscoroutinefunction(self.fn)
        self.logs_itself = getattr(self.fn, "_django_mcp_logged", False)

    @property
    def name(self) -> str:
        return self.definition.get("name", self.key)


@dataclass
class Tool(Function):
    output: signature.Output | None = None
    #: Parameters the client mirrors in ``Mcp-Param-*`` headers: {parameter: header name}.
    mirrored: dict[str, str] = field(default_factory=dict)
    #: The tasks extension: "optional" or "required" (None: never a task), and
    #: whether the task starts with the call or when the tool asks (``ctx.start_task()``).
    task: str | None = None
    task_starts: str = "at_call"
    #: Called without any check or task on the way (most tools).
    plain: bool = field(init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.plain = self.access is None and self.task is None


@dataclass
class Resource(Function):
    mime_type: str | None = None
    #: ``_meta`` of each item of its contents (an MCP Apps view's CSP and permissions).
    contents_meta: dict[str, Any] | None = None


@dataclass
class Prompt(Function):
    pass


#: Return types that become one text block (and, with an output schema, a
#: structured value) without looking any further.
_SCALARS = frozenset({int, float, str, bool})


def _without_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _validation_message(e: pydantic.ValidationError) -> str:
    parts = []
    for err in e.errors(include_url=False):
        loc = ".".join(str(p) for p in err["loc"]) or "arguments"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


class MCPApp:
    """The server's catalogue. Use the module-level ``django_mcp.mcp_app``.

    Its decorators mirror the upstream SDK's FastMCP / MCPServer ones, so code
    written for those registers here unchanged.
    """

    def __init__(self) -> None:
        self._functions: list[Function] = []
        #: The latest handle registered under each (kind, name or URI).
        self._handles: dict[tuple[str, str], int] = {}
        #: Our requests to clients (elicitation, sampling) awaiting their answers.
        self.outbound = OutboundRequests()
        #: Open subscriptions/listen streams of this process.
        self.subscriptions = Subscriptions()
        self._completion: Callable[..., Any] | None = None
        #: Completion handlers of single resource templates (model toolsets' keys).
        self._resource_completions: dict[str, Callable[..., Any]] = {}
        #: Whether anything registered limits who may use it (read per request).
        self.has_access_rules = False
        #: Extensions advertised in ``capabilities.extensions``: identifier, settings (JSON text).
        self._extensions: dict[str, str] = {}
        on_reload(self._reset_engine)

    # -- registration ------------------------------------------------------

    @overload
    def tool(self, name: F) -> F: ...
    @overload
    def tool(
        self,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        annotations: Any = None,
        icons: Any = None,
        meta: dict[str, Any] | None = None,
        structured_output: bool | None = None,
        input_schema: dict[str, Any] | None = None,
        output_schema: dict[str, Any] | None = None,
        permissions: Sequence[str] | None = None,
        scopes: Sequence[str] | None = None,
        allow: Callable[[Any, Any], bool] | None = None,
        task: str | None = None,
        task_starts: str = "at_call",
        ui: str | _ui.ToolUI | None = None,
    ) -> Callable[[F], F]: ...

    def tool(  # type: ignore[no-untyped-def]  # the overloads above type it
        self,
        name=None,
        title=None,
        description=None,
        annotations=None,
        icons=None,
        meta=None,
        structured_output=None,
        input_schema=None,
        output_schema=None,
        permissions=None,
        scopes=None,
        allow=None,
        task=None,
        task_starts="at_call",
        ui=None,
    ):
        """Registers a function as an MCP tool; its type hints give the input schema.

        ``input_schema`` / ``output_schema`` replace the advertised JSON Schemas
        (e.g. to publish JSON Schema 2020-12 keywords verbatim); arguments are
        still validated against the function's type hints.

        ``permissions`` (Django permission names), ``scopes`` (OAuth scopes the
        request's token must carry) and ``allow`` (a callable taking the user
        and the Context) limit who may see and call it.

        ``task`` ("forbidden", "optional" or "required") lets the call run as a
        task of the tasks extension (see docs/tasks.md); with
        ``task_starts="when_asked"`` the call runs in the request until the tool
        awaits ``ctx.start_task()``.

        ``ui`` links an MCP Apps view: the URI of a ``ui://`` resource
        (``ui_resource``), or ``ToolUI(uri, visibility=["app"])`` for a tool
        only that view calls."""
        if callable(name):
            return self.tool()(name)

        def decorator(fn: F) -> F:
            self.add_tool(
                fn,
                name=name,
                title=title,
                description=description,
                annotations=annotations,
                icons=icons,
                meta=meta,
                structured_output=structured_output,
                input_schema=input_schema,
                output_schema=output_schema,
                permissions=permissions,
                scopes=scopes,
                allow=allow,
                task=task,
                task_starts=task_starts,
                ui=ui,
            )
            return fn

        return decorator

    def add_tool(
        self,
        fn: Callable[..., Any],
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        annotations: Any = None,
        icons: Any = None,
        meta: dict[str, Any] | None = None,
        structured_output: bool | None = None,
        input_schema: dict[str, Any] | None = None,
        output_schema: dict[str, Any] | None = None,
        permissions: Sequence[str] | None = None,
        scopes: Sequence[str] | None = None,
        allow: Callable[[Any, Any], bool] | None = None,
        task: str | None = None,
        task_starts: str = "at_call",
        ui: str | _ui.ToolUI | None = None,
    ) -> None:
        name = name or fn.__name__
        access = Access.of(permissions, scopes, allow)
        if task is not None and task not in TASK_SUPPORT:
            raise signature.RegistrationError(f"tool {name!r}: task must be one of {', '.join(TASK_SUPPORT)}")
        if task_starts not in ("at_call", "when_asked"):
            raise signature.RegistrationError(f"tool {name!r}: task_starts must be 'at_call' or 'when_asked'")
        if task == "forbidden":
            task = None
        if name == "<lambda>":
            raise signature.RegistrationError("a lambda needs an explicit name: add_tool(fn, name=...)")
        if ui is not None:
            meta = _ui.tool_meta(name, meta, ui)
            self._uses_extension(_ui.EXTENSION)
        params = signature.parameters(fn)
        output = None
        if structured_output is not False:
            output = signature.output(fn, content_types=content.ContentItem)
            if structured_output and output is None:
                raise signature.RegistrationError(
                    f"tool {name!r}: structured_output=True needs a return annotation that pydantic can describe"
                )
        definition = _without_none(
            {
                "name": name,
                "title": title,
                "description": _describe(fn, description),
                "inputSchema": input_schema if input_schema is not None else params.json_schema(),
                "outputSchema": output_schema if output_schema is not None else (output.schema if output else None),
                "annotations": _dump(annotations),
                "icons": _dump(icons),
                "_meta": meta,
                "execution": {"taskSupport": task} if task else None,
            }
        )
        mirrored = custom_headers.mirrored_parameters(name, definition["inputSchema"])
        tool = Tool(
            "tool",
            name,
            fn,
            params,
            definition,
            output=output,
            access=access,
            mirrored=mirrored,
            task=task,
            task_starts=task_starts,
        )
        if task and self._built_engine() is not None and not self._engine_has_tasks:
            self._reset_engine()  # rebuilt to advertise the extension
        self._add(tool)

    def resource(
        self,
        uri: str,
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        mime_type: str | None = None,
        icons: Any = None,
        annotations: Any = None,
        meta: dict[str, Any] | None = None,
        size: int | None = None,
        permissions: Sequence[str] | None = None,
        scopes: Sequence[str] | None = None,
        allow: Callable[[Any, Any], bool] | None = None,
    ) -> Callable[[F], F]:
        """Registers a function as a resource; ``{vars}`` in ``uri`` make it a template
        whose variables are passed to the function by name."""
        if callable(uri):
            raise TypeError("@mcp_app.resource needs a URI: @mcp_app.resource('greeting://{name}')")
        access = Access.of(permissions, scopes, allow)

        def decorator(fn: F) -> F:
            template = "{" in uri
            params = signature.parameters(fn)
            if template:
                self._check_template(uri, fn, params)
            elif params.names:
                raise signature.RegistrationError(
                    f"resource {uri!r}: {fn.__qualname__} takes parameters {list(params.names)}, but the URI has no "
                    "{variables} to fill them; use a template such as 'scheme://{" + params.names[0] + "}'"
                )
            definition = _without_none(
                {
                    "uriTemplate" if template else "uri": uri,
                    "name": name or fn.__name__,
                    "title": title,
                    "description": _describe(fn, description),
                    "mimeType": mime_type,
                    "icons": _dump(icons),
                    "annotations": _dump(annotations),
                    "size": size,
                    "_meta": meta,
                }
            )
            self._add(Resource("resource", uri, fn, params, definition, mime_type=mime_type, access=access))
            return fn

        return decorator

    def ui_resource(
        self,
        uri: str,
        *,
        template: str | None = None,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        csp: Mapping[str, Sequence[str]] | None = None,
        browser_permissions: Sequence[str] | None = None,
        domain: str | None = None,
        prefers_border: bool | None = None,
        meta: dict[str, Any] | None = None,
        permissions: Sequence[str] | None = None,
        scopes: Sequence[str] | None = None,
        allow: Callable[[Any, Any], bool] | None = None,
    ) -> Callable[[F], F]:
        """Registers an MCP Apps view: a ``ui://`` resource of MIME type
        ``text/html;profile=mcp-app`` that tools link with ``ui=uri``.

        The function returns the page's HTML, or, with ``template``, the
        context the Django template is rendered with. ``csp`` lists the origins
        the page may reach (``connect_domains``, ``resource_domains``,
        ``frame_domains``, ``base_uri_domains``), ``browser_permissions`` the
        browser features it asks for (``camera``, ``microphone``, ``geolocation``,
        ``clipboardWrite``); ``domain`` and ``prefers_border`` are passed to the
        host as they are. ``permissions`` (Django permission names), ``scopes``
        and ``allow`` limit who may read it, as for ``resource``."""

        def decorator(fn: F) -> F:
            self.add_ui_resource(
                uri,
                fn,
                template=template,
                name=name,
                title=title,
                description=description,
                csp=csp,
                browser_permissions=browser_permissions,
                domain=domain,
                prefers_border=prefers_border,
                meta=meta,
                permissions=permissions,
                scopes=scopes,
                allow=allow,
            )
            return fn

        return decorator

    def add_ui_resource(
        self,
        uri: str,
        fn: Callable[..., Any] | None = None,
        *,
        template: str | None = None,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        csp: Mapping[str, Sequence[str]] | None = None,
        browser_permissions: Sequence[str] | None = None,
        domain: str | None = None,
        prefers_border: bool | None = None,
        meta: dict[str, Any] | None = None,
        permissions: Sequence[str] | None = None,
        scopes: Sequence[str] | None = None,
        allow: Callable[[Any, Any], bool] | None = None,
    ) -> None:
        """``ui_resource`` without a decorator: ``add_ui_resource(uri,
        template="app/view.html")`` renders the template with an empty context."""
        if fn is None and template is None:
            raise signature.RegistrationError(f"view {uri!r}: give a function returning HTML, or a template")
        view_meta = _ui.resource_meta(uri, csp, browser_permissions, domain, prefers_border)
        page = _ui.page(fn, template)
        definition = _without_none(
            {
                "uri": uri,
                "name": name or (fn.__name__ if fn is not None else uri.removeprefix("ui://")),
                "title": title,
                "description": _describe(fn, description) if fn is not None else description,
                "mimeType": _ui.MIME_TYPE,
                "_meta": {**(meta or {}), **view_meta},
            }
        )
        self._add(
            Resource(
                "resource",
                uri,
                page,
                signature.parameters(page),
                definition,
                mime_type=_ui.MIME_TYPE,
                access=Access.of(permissions, scopes, allow),
                contents_meta=view_meta,
            )
        )
        self._uses_extension(_ui.EXTENSION)

    def _uses_extension(self, identifier: str) -> None:
        """Advertises an extension in ``capabilities.extensions`` from now on."""
        if identifier not in self._extensions:
            self._extensions[identifier] = "{}"
            self._reset_engine()  # built again with it

    @staticmethod
    def _check_template(uri: str, fn: Callable[..., Any], params: signature.Parameters) -> None:
        variables = set(_template_variables(uri))
        required = {n for f, n in params.field_to_param.items() if params.model.model_fields[f].is_required()}
        if not required <= variables or not variables <= set(params.names):
            raise signature.RegistrationError(
                f"resource template {uri!r}: its variables {sorted(variables)} must match the parameters of "
                f"{fn.__qualname__} {sorted(params.names)}"
            )

    @overload
    def prompt(self, name: F) -> F: ...
    @overload
    def prompt(
        self,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        icons: Any = None,
        meta: dict[str, Any] | None = None,
        permissions: Sequence[str] | None = None,
        scopes: Sequence[str] | None = None,
        allow: Callable[[Any, Any], bool] | None = None,
    ) -> Callable[[F], F]: ...

    def prompt(  # type: ignore[no-untyped-def]  # the overloads above type it
        self, name=None, title=None, description=None, icons=None, meta=None, permissions=None, scopes=None, allow=None
    ):
        """Registers a function as a prompt; its parameters are the prompt's arguments."""
        if callable(name):
            return self.prompt()(name)
        access = Access.of(permissions, scopes, allow)

        def decorator(fn: F) -> F:
            params = signature.parameters(fn)
            schema = params.json_schema()
            required = set(schema.get("required", ()))
            arguments = [
                _without_none({"name": arg, "description": prop.get("description"), "required": arg in required})
                for arg, prop in schema.get("properties", {}).items()
            ]
            definition = _without_none(
                {
                    "name": name or fn.__name__,
                    "title": title,
                    "description": _describe(fn, description),
                    "arguments": arguments,
                    "icons": _dump(icons),
                    "_meta": meta,
                }
            )
            self._add(Prompt("prompt", definition["name"], fn, params, definition, access=access))
            return fn

        return decorator

    def completion(self) -> Callable[[F], F]:
        """Registers the server's completion handler for prompt arguments and
        resource-template variables: ``fn(ref, argument, context)`` returning a
        list of strings (or a dict / the SDK's Completion) or None."""

        def decorator(fn: F) -> F:
            self._completion = fn
            return fn

        return decorator

    def complete_resource(self, uri_template: str, fn: Callable[..., Any]) -> None:
        """Registers the completion of one resource template's variables:
        ``fn(ref, argument, context, ctx)`` answers as a ``completion()`` handler
        does, for that template only (the ``completion()`` handler answers the rest)."""
        self._resource_completions[uri_template] = fn

    def _add(self, function: Function) -> None:
        if function.access is not None:
            self.has_access_rules = True
        handle = len(self._functions)
        earlier = self._handles.get((function.kind, function.key))
        if earlier is not None:
            _warn_duplicate(self._functions[earlier], function)
        self._handles[(function.kind, function.key)] = handle
        self._functions.append(function)
        engine = self._built_engine()
        if engine is not None:
            self._register(engine, handle, function)
            self.notify_list_changed(function.kind)
        _log_registration(function)

    @staticmethod
    def _register(engine: _core.Engine, handle: int, function: Function) -> None:
        engine.register(
            function.kind, function.key, handle, to_json(function.definition).decode(), function.params.arg_spec
        )

    # -- the engine --------------------------------------------------------

    @functools.cached_property
    def engine(self) -> _core.Engine:
        """The protocol engine, built on first use from settings and the
        catalogue, then an attribute of the app (read per request) until a
        settings change or a new extension resets it."""
        engine = _core.Engine(
            mcp_settings.MCP_SERVER_NAME,
            str(mcp_settings.MCP_SERVER_VERSION),
            title=mcp_settings.MCP_SERVER_TITLE or None,
            instructions=mcp_settings.MCP_SERVER_INSTRUCTIONS or None,
            json_response=bool(mcp_settings.MCP_HTTP_JSON_RESPONSE),
            allowed_hosts=_allowed_hosts() if mcp_settings.MCP_DNS_REBINDING_PROTECTION else None,
            allowed_origins=_allowed_origins(),
            page_size=max(0, int(mcp_settings.MCP_PAGE_SIZE or 0)),
            cache_ttl_ms=max(0, int(mcp_settings.MCP_LIST_CACHE_TTL_MS)),
            cache_public=mcp_settings.MCP_LIST_CACHE_SCOPE == "public",
            tasks=self._engine_has_tasks,
            extensions=list(self._extensions.items()),
        )
        for handle, function in enumerate(self._functions):
            self._register(engine, handle, function)
        return engine

    def _built_engine(self) -> _core.Engine | None:
        """The engine if it is built (``engine`` keeps it in the instance dict), else None."""
        engine: _core.Engine | None = self.__dict__.get("engine")
        return engine

    def _reset_engine(self) -> None:
        self.__dict__.pop("engine", None)

    @property
    def _engine_has_tasks(self) -> bool:
        return any(isinstance(f, Tool) and f.task for f in self._functions)

    def notify_list_changed(self, kind: str) -> None:
        """Tells listening clients that the tools, prompts or resources changed."""
        section = {"tool": "tools", "prompt": "prompts", "resource": "resources"}.get(kind, kind)
        self.subscriptions.publish(f"notifications/{section}/list_changed")

    def notify_resource_updated(self, uri: str) -> None:
        """Tells clients subscribed to ``uri`` that it changed; callable from any thread."""
        self.subscriptions.publish("notifications/resources/updated", {"uri": uri})

    def get_context(self) -> Context:
        """The Context of the request being served (upstream SDK API)."""
        return get_context()

    def function(self, handle: int) -> Function:
        return self._functions[handle]

    def functions(self, kind: str | None = None) -> Iterable[Function]:
        """The current registrations, latest per name."""
        latest: dict[tuple[str, str], Function] = {}
        for f in self._functions:
            latest[(f.kind, f.key)] = f
        return [f for f in latest.values() if kind is None or f.kind == kind]

    # -- calls -------------------------------------------------------------

    def function_for(self, call: _core.Call) -> Function | None:
        """The registered function a planned call runs (None for completions and listens)."""
        if call.kind in ("completion", "listen", "task"):
            return None
        return self._functions[call.handle]

    async def hidden_for(self, scope: Mapping[str, Any], path_params: Mapping[str, Any]) -> list[int]:
        """Handles of what the request's caller may not use, to leave out of its
        lists. Permission checks may query the database: they run in a thread."""
        if not self.has_access_rules:
            return []
        from asgiref.sync import sync_to_async

        return await sync_to_async(self._hidden_sync)(scope, path_params)

    def _hidden_sync(self, scope: Mapping[str, Any], path_params: Mapping[str, Any]) -> list[int]:
        user = scope.get("user")
        info = scope.get("mcp.auth")
        granted = getattr(info, "scopes", None)
        ctx = Context(app=self, path_params=path_params, scope=scope)
        return [
            handle
            for handle, f in enumerate(self._functions)
            if f.access is not None and f.access.refusal(user, granted, ctx) is not None
        ]

    def _refusal(self, function: Function, ctx: Context) -> str | None:
        if function.access is None:
            return None
        info = (ctx.scope or {}).get("mcp.auth")
        return function.access.refusal(ctx.user, getattr(info, "scopes", None), ctx)

    def call(self, call: _core.Call, ctx: Context) -> Awaitable[bytes]:
        """Runs one planned call; awaiting it gives its JSON-RPC response message."""
        if call.kind == "tool":
            tool = self._functions[call.handle]
            if tool.plain:  # type: ignore[attr-defined]
                return self._call_tool(tool, call, ctx)  # type: ignore[arg-type]
        return self._call_checked(call, ctx)

    async def _call_checked(self, call: _core.Call, ctx: Context) -> bytes:
        if call.kind == "completion":
            return await self._complete(call, ctx)
        if call.kind == "task":
            return await task_methods.handle(self, call, ctx)
        function = self._functions[call.handle]
        if function.access is not None:
            from asgiref.sync import sync_to_async

            reason = await sync_to_async(self._refusal)(function, ctx)
            if reason is not None:
                who = ctx.user.get_username() if getattr(ctx.user, "is_authenticated", False) else "an anonymous caller"
                logger.warning("MCP %s %s refused for %s: %s", function.kind, function.name, who, reason)
                return call.error(_core.INVALID_PARAMS, f"Forbidden: {function.kind} {function.name}: {reason}")
        if call.kind == "tool":
            if function.task:  # type: ignore[attr-defined]
                return await task_methods.call_tool(self, function, call, ctx)
            return await self._call_tool(function, call, ctx)  # type: ignore[arg-type]
        if call.kind == "prompt":
            return await self._get_prompt(function, call, ctx)
        return await self._read(function, call, ctx)

    async def _call_tool(self, tool: Tool, call: _core.Call, ctx: Context) -> bytes:
        if tool.mirrored and call.client_capabilities is not None:  # headers mirror the body from 2026-07-28
            try:
                custom_headers.check(tool.mirrored, call.arguments, ctx.headers)
            except custom_headers.HeaderMismatch as e:
                return call.error(custom_headers.HEADER_MISMATCH, f"Header mismatch: {e}")
        kwargs = call.kwargs  # read by the engine when they are plain, else validated here
        if kwargs is None:
            try:
                kwargs = tool.params.validate_json(call.arguments)
            except pydantic.ValidationError as e:
                return call.result(_error_result(f"Invalid arguments for tool {tool.name}: {_validation_message(e)}"))
        try:
            value = await logged_call(tool, kwargs, ctx)
        except asyncio.CancelledError:
            raise
        except InputRequired as need:
            return _input_required(call, ctx, need)
        except MissingCapability as e:
            return call.error(_core.MISSING_REQUIRED_CLIENT_CAPABILITY, str(e), to_json(e.data).decode())
        except ProtocolError as e:
            return call.error(e.code, e.message, None if e.data is None else to_json(e.data).decode())
        except asyncio.TimeoutError:
            return call.result(
                _error_result(f"Tool {tool.name} timed out after {mcp_settings.MCP_HTTP_REQUEST_TIMEOUT} seconds")
            )
        except Exception as e:
            return call.result(_error_result(f"Error executing tool {tool.name}: {e}"))
        try:
            if type(value) in _SCALARS:
                # One text block: the engine writes the result around it.
                output = tool.output
                structured = output is not None and call.structured
                if not structured or output.plain is type(value):  # type: ignore[union-attr]
                    message = call.scalar_result(value, structured)
                    if message is not None:
                        return message
                text = value if type(value) is str else to_json(value).decode()
                if structured:
                    return call.text_result(text, output.dump_json(value), output.wrapped)  # type: ignore[union-attr]
                return call.text_result(text)
            result: dict[str, Any] = {"content": content.tool_content(value, tool_name=tool.name)}
            if call.structured and tool.output is not None and not content.is_content(value):
                result["structuredContent"] = tool.output.structured(value)
            result["isError"] = False
            return call.result(to_json(result))
        except Exception as e:
            logger.warning("MCP tool %s returned a value that cannot be sent as MCP content", tool.name, exc_info=True)
            return call.result(
                _error_result(f"Tool {tool.name} returned a value that cannot be sent as MCP content: {e}")
            )

    def tool_named(self, name: str) -> Tool | None:
        """The tool served under ``name`` (a task's tool, found again in any process)."""
        handle = self._handles.get(("tool", name))
        return self._functions[handle] if handle is not None else None  # type: ignore[return-value]

    def tool_result(self, tool: Tool, value: Any) -> dict[str, Any]:
        """A tool's return value as a CallToolResult (a task's result)."""
        result: dict[str, Any] = {"content": content.tool_content(value, tool_name=tool.name)}
        if tool.output is not None and not content.is_content(value):
            result["structuredContent"] = tool.output.structured(value)
        result["isError"] = False
        return result

    async def _complete(self, call: _core.Call, ctx: Context) -> bytes:
        params = json.loads(call.arguments)
        values: list[str] = []
        total = has_more = None
        ref = params["ref"]
        handler = self._completion
        extra: tuple[Context, ...] = ()
        if ref.get("type") == "ref/resource" and ref.get("uri") in self._resource_completions:
            handler, extra = self._resource_completions[ref["uri"]], (ctx,)
        if handler is not None:
            argument = params.get("argument") or {}
            context = params.get("context")
            try:
                answer = handler(
                    CompletionRef(ref.get("type", ""), ref.get("name"), ref.get("uri")),
                    CompletionArgument(argument.get("name", ""), argument.get("value", "")),
                    CompletionContext(dict((context or {}).get("arguments") or {})) if context is not None else None,
                    *extra,
                )
                if inspect.isawaitable(answer):
                    answer = await answer
            except Exception as e:
                logger.warning("MCP completion handler raised an exception", exc_info=True)
                return call.error(_core.INTERNAL_ERROR, f"Error completing {call.target}: {e}")
            answer = _dump(answer)
            if isinstance(answer, dict):
                values, total, has_more = list(answer.get("values", [])), answer.get("total"), answer.get("hasMore")
            elif answer is not None:
                values = [str(v) for v in answer]
        # The spec caps a completion at 100 values.
        if len(values) > 100:
            total, has_more, values = total or len(values), True, values[:100]
        completion = _without_none({"values": values, "total": total, "hasMore": has_more})
        return call.result(to_json({"completion": completion}))

    async def _get_prompt(self, prompt: Function, call: _core.Call, ctx: Context) -> bytes:
        kwargs = call.kwargs
        if kwargs is None:
            try:
                kwargs = prompt.params.validate_json(call.arguments)
            except pydantic.ValidationError as e:
                return call.error(
                    _core.INVALID_PARAMS, f"Invalid arguments for prompt {prompt.name}: {_validation_message(e)}"
                )
        try:
            value = await logged_call(prompt, kwargs, ctx)
        except asyncio.CancelledError:
            raise
        except InputRequired as need:
            return _input_required(call, ctx, need)
        except MissingCapability as e:
            return call.error(_core.MISSING_REQUIRED_CLIENT_CAPABILITY, str(e), to_json(e.data).decode())
        except Exception as e:
            return call.error(_core.INTERNAL_ERROR, f"Error rendering prompt {prompt.name}: {e}")
        result = _without_none(
            {"description": prompt.definition.get("description"), "messages": content.prompt_messages(value)}
        )
        return call.result(to_json(result))

    async def _read(self, resource: Function, call: _core.Call, ctx: Context) -> bytes:
        try:
            contents = await self._read_contents(resource, call.target, call.variables, ctx)  # type: ignore[arg-type]
        except asyncio.CancelledError:
            raise
        except InputRequired as need:
            return _input_required(call, ctx, need)
        except MissingCapability as e:
            return call.error(_core.MISSING_REQUIRED_CLIENT_CAPABILITY, str(e), to_json(e.data).decode())
        except pydantic.ValidationError as e:
            return call.error(
                _core.INVALID_PARAMS, f"Invalid URI for resource {resource.key}: {_validation_message(e)}"
            )
        except Exception as e:
            return call.error(_core.INTERNAL_ERROR, f"Error reading resource {call.target}: {e}")
        result: dict[str, Any] = {"contents": contents}
        if call.cacheable:
            result.update(ttlMs=int(mcp_settings.MCP_RESOURCE_CACHE_TTL_MS), cacheScope="private")
        return call.result(to_json(result))

    async def _read_contents(
        self, resource: Resource, uri: str, variables: Mapping[str, str], ctx: Context
    ) -> list[dict[str, Any]]:
        kwargs = resource.params.validate_python(dict(variables))
        value = await logged_call(resource, kwargs, ctx)
        contents = content.resource_contents(value, uri=uri, mime_type=resource.mime_type)
        if resource.contents_meta is not None:
            for item in contents:
                item["_meta"] = resource.contents_meta
        return contents

    async def read_resource(self, uri: str, *, context: Context) -> list[ResourceContents]:
        """Reads a resource of this server from inside a call (``ctx.read_resource``)."""
        found = self.engine.find_resource(uri)
        if found is None:
            raise ValueError(f"Resource not found: {uri}")
        _kind, handle, variables = found
        resource: Any = self._functions[handle]  # a Resource: find_resource only finds those
        contents = await self._read_contents(resource, uri, dict(variables), context)
        out = []
        for item in contents:
            data: str | bytes = item["text"] if "text" in item else base64.b64decode(item["blob"])
            out.append(ResourceContents(data, item.get("mimeType")))
        return out


@dataclass(frozen=True)
class CompletionRef:
    """What is being completed: ``type`` is "ref/prompt" (with ``name``) or "ref/resource" (with ``uri``)."""

    type: str
    name: str | None = None
    uri: str | None = None


@dataclass(frozen=True)
class CompletionArgument:
    name: str
    value: str


@dataclass(frozen=True)
class CompletionContext:
    """Values the client already has for the other arguments."""

    arguments: dict[str, str]


def _allowed_origins() -> list[str]:
    """Origins that may call the endpoint: MCP_ALLOWED_ORIGINS, and the CORS origins when CORS is on."""
    origins = [str(o) for o in mcp_settings.MCP_ALLOWED_ORIGINS]
    if mcp_settings.MCP_HTTP_CORS_ENABLED:
        origins += [str(o) for o in mcp_settings.MCP_HTTP_CORS_ORIGINS]
    return origins


def _allowed_hosts() -> list[str]:
    """ALLOWED_HOSTS as Django applies it: with DEBUG and an empty list, the local names."""
    from django.conf import settings

    hosts = list(settings.ALLOWED_HOSTS)
    if not hosts and settings.DEBUG:
        hosts = [".localhost", "127.0.0.1", "[::1]"]
    return hosts


def _template_variables(uri: str) -> list[str]:
    names = []
    for expr in re.findall(r"\{([^}]*)\}", uri):
        for var in expr.lstrip("+#").split(","):
            names.append(var.rstrip("*"))
    return names


def _input_required(call: _core.Call, ctx: Context, need: InputRequired) -> bytes:
    assert ctx._input is not None  # only raised by an InputRound
    return call.result(to_json(ctx._input.input_required_result(need)), result_type="input_required")


def _where(fn: Callable[..., Any]) -> str:
    """``file:line`` of a function's definition, for messages about it."""
    code = getattr(inspect.unwrap(fn), "__code__", None)
    return f"{code.co_filename}:{code.co_firstlineno}" if code is not None else repr(fn)


def _warn_duplicate(earlier: Function, later: Function) -> None:
    """A second registration under one name replaces the first: say so, naming
    both places, unless it is the same definition registered again (a module
    imported twice)."""
    first, second = _where(earlier.fn), _where(later.fn)
    if first != second:
        logger.warning(
            "MCP %s %r is registered twice, at %s and at %s; the one at %s is served",
            later.kind,
            later.key,
            first,
            second,
            second,
        )


def _error_result(message: str) -> bytes:
    return to_json({"content": [{"type": "text", "text": message}], "isError": True})


def _log_registration(function: Function) -> None:
    try:
        from django.conf import settings

        if not settings.configured or not mcp_settings.MCP_LOG_TOOL_REGISTRATION:
            return
        describe = mcp_settings.MCP_LOG_TOOL_DESCRIPTIONS
    except Exception:
        return
    description = function.definition.get("description")
    if describe and description:
        logger.info("Registered MCP %s %r: %s", function.kind, function.key, description)
    else:
        logger.info("Registered MCP %s %r", function.kind, function.key)


mcp_app = MCPApp()

__all__ = ["MCPApp", "mcp_app"]


def notify_resource_updated(uri: str) -> None:
    """Tells the clients subscribed to ``uri`` that it changed, in every
    process of the site (with the Redis session store). Callable from any
    code: a tool, a model signal, a management command, a task worker."""
    mcp_app.notify_resource_updated(uri)


def notify_list_changed(kind: str) -> None:
    """Tells listening clients of every process that the ``"tool"``,
    ``"prompt"`` or ``"resource"`` list changed."""
    mcp_app.notify_list_changed(kind)
