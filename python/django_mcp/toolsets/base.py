"""What model toolsets and DRF view toolsets share: turning one operation into a
registered tool, the errors a call reports, and the configuration problems that
``manage.py check`` reports."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pydantic
from django.core import checks

from ..auth.access import Access
from ..context import Context
from ..registry import content, signature
from ..server import MCPApp, Tool, mcp_app

logger = logging.getLogger("django_mcp")

#: The attribute of a tool function naming where the tool came from (``manage.py mcp_tools``).
ORIGIN = "_django_mcp_origin"


class ToolError(Exception):
    """A call the toolset refuses: its message becomes the ``isError`` result's text."""


@dataclass
class Operation:
    """One tool of a toolset: a sync function of the Context and its validated arguments."""

    name: str
    run: Callable[..., Any]
    arguments: type[pydantic.BaseModel]
    description: str
    returns: Any = None
    annotations: dict[str, Any] = field(default_factory=dict)
    permissions: Sequence[str] = ()
    #: Advertised instead of the arguments model's schema (a DRF serializer's).
    input_schema: dict[str, Any] | None = None


def register_operation(
    app: MCPApp,
    op: Operation,
    *,
    origin: str,
    scopes: Sequence[str] = (),
    allow: Callable[[Any, Any], bool] | None = None,
) -> None:
    """Registers ``op`` as a tool of ``app``, like ``@app.tool()`` would a function."""

    def call(ctx: Context, **arguments: Any) -> Any:
        return op.run(ctx, **arguments)

    call.__name__ = call.__qualname__ = op.name
    call.__doc__ = op.description
    call.__annotations__ = {"return": op.returns} if op.returns is not None else {}
    setattr(call, ORIGIN, origin)
    names = tuple(op.arguments.model_fields)
    params = signature.Parameters(op.arguments, "ctx", {n: n for n in names}, names)
    output = signature.output(call, content_types=content.ContentItem) if op.returns is not None else None
    schema = op.input_schema if op.input_schema is not None else params.json_schema()
    definition = {"name": op.name, "description": op.description, "inputSchema": schema}
    if output is not None:
        definition["outputSchema"] = output.schema
    if op.annotations:
        definition["annotations"] = op.annotations
    access = Access.of(op.permissions, scopes, allow)
    app._add(Tool("tool", op.name, call, params, definition, output=output, access=access))


def flatten_errors(errors: Any, prefix: str = "") -> list[str]:
    """DRF-style validation errors (``{"field": ["message"], "nested": {...}}``) as
    ``field: message`` lines, nested fields and list items joined by dots."""
    if isinstance(errors, Mapping):
        out = []
        for key, value in errors.items():
            name = "data" if key == "non_field_errors" else str(key)
            out += flatten_errors(value, f"{prefix}.{name}" if prefix else name)
        return out
    if isinstance(errors, (list, tuple)) and all(isinstance(e, str) for e in errors):
        return [f"{prefix or 'data'}: {' '.join(errors)}"]
    if isinstance(errors, (list, tuple)):
        return [
            m
            for i, item in enumerate(errors)
            if item
            for m in flatten_errors(item, f"{prefix}.{i}" if prefix else str(i))
        ]
    return [f"{prefix or 'data'}: {errors}"]


def register_toolset(toolset: Any = None, *, app: MCPApp | None = None) -> Any:
    """Registers a toolset class on ``app`` (``django_mcp.mcp_app`` by default);
    usable as ``register_toolset(InvoiceTools)`` or as a class decorator."""
    if toolset is None:
        return lambda cls: register_toolset(cls, app=app)
    toolset.register(app if app is not None else mcp_app)
    return toolset


# -- configuration problems, reported by manage.py check -----------------------

_problems: list[checks.CheckMessage] = []


def problem(message: str, *, hint: str | None = None, obj: Any = None, id: str) -> None:
    """Records a configuration error of a toolset (which is then left unregistered)."""
    logger.error("MCP toolset %s: %s", getattr(obj, "__qualname__", obj), message)
    _problems.append(checks.Error(message, hint=hint, obj=obj, id=id))


@checks.register()
def check_toolsets(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return list(_problems)


def qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
