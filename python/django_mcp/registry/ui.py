"""MCP Apps (the ``io.modelcontextprotocol/ui`` extension): what a tool's
interactive view becomes on the wire.

A view is a ``ui://`` resource of MIME type ``text/html;profile=mcp-app``
whose ``_meta.ui`` tells the host the Content Security Policy and browser
permissions the page needs; a tool names its view in ``_meta.ui.resourceUri``
(and, for hosts of the extension's first drafts, ``_meta["ui/resourceUri"]``).
https://github.com/modelcontextprotocol/ext-apps (specification 2026-01-26)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .signature import RegistrationError

#: The extension's identifier, advertised in ``capabilities.extensions``.
EXTENSION = "io.modelcontextprotocol/ui"
#: The MIME type of an HTML view.
MIME_TYPE = "text/html;profile=mcp-app"
#: The tool ``_meta`` key of the extension's drafts, deprecated for ``ui.resourceUri``; hosts still read it.
LEGACY_RESOURCE_URI = "ui/resourceUri"
#: Who may call a tool with a view: the model, the view (app), or both (the default).
VISIBILITIES = frozenset({"model", "app"})
#: The CSP lists a view may declare (each maps to CSP directives the host writes).
CSP_KEYS = {
    "connect_domains": "connectDomains",
    "resource_domains": "resourceDomains",
    "frame_domains": "frameDomains",
    "base_uri_domains": "baseUriDomains",
}
#: The browser permissions a view may ask for (Permission Policy features).
PERMISSIONS = frozenset({"camera", "microphone", "geolocation", "clipboardWrite"})


@dataclass(frozen=True)
class ToolUI:
    """A tool's view: the ``ui://`` resource that renders its results, and
    who may call the tool (``["model", "app"]`` when None; ``["app"]`` for a
    tool only the view calls, which hosts keep out of the model's tool list)."""

    resource_uri: str
    visibility: Sequence[str] | None = None


def tool_meta(name: str, meta: Mapping[str, Any] | None, ui: str | ToolUI) -> dict[str, Any]:
    """The tool's ``_meta`` with its view linked."""
    view = ToolUI(ui) if isinstance(ui, str) else ui
    _check_uri(f"tool {name!r}", view.resource_uri)
    linked: dict[str, Any] = {"resourceUri": view.resource_uri}
    if view.visibility is not None:
        unknown = set(view.visibility) - VISIBILITIES
        if unknown or not view.visibility:
            raise RegistrationError(
                f"tool {name!r}: visibility must list 'model', 'app' or both, not {list(view.visibility)}"
            )
        linked["visibility"] = list(view.visibility)
    merged = dict(meta or {})
    merged["ui"] = {**merged.get("ui", {}), **linked}
    merged[LEGACY_RESOURCE_URI] = view.resource_uri
    return merged


def resource_meta(
    uri: str,
    csp: Mapping[str, Sequence[str]] | None,
    permissions: Sequence[str] | Mapping[str, Any] | None,
    domain: str | None,
    prefers_border: bool | None,
) -> dict[str, Any]:
    """A view's ``_meta.ui``: ``csp`` with the spec's keys (``connectDomains``)
    or their snake_case spelling (``connect_domains``); ``permissions`` as
    names (``["camera"]``) or the spec's object (``{"camera": {}}``)."""
    _check_uri(f"view {uri!r}", uri)
    ui: dict[str, Any] = {}
    if csp:
        known = set(CSP_KEYS) | set(CSP_KEYS.values())
        unknown = set(csp) - known
        if unknown:
            raise RegistrationError(f"view {uri!r}: unknown CSP keys {sorted(unknown)}; use {sorted(CSP_KEYS)}")
        ui["csp"] = {CSP_KEYS.get(key, key): list(domains) for key, domains in csp.items()}
    if permissions:
        names = list(permissions)
        unknown = set(names) - PERMISSIONS
        if unknown:
            raise RegistrationError(
                f"view {uri!r}: unknown permissions {sorted(unknown)}; the extension knows {sorted(PERMISSIONS)}"
            )
        ui["permissions"] = {name: {} for name in names}
    if domain is not None:
        ui["domain"] = domain
    if prefers_border is not None:
        ui["prefersBorder"] = prefers_border
    return {"ui": ui}


def page(fn: Callable[..., Any] | None, template: str | None) -> Callable[..., Any]:
    """The function a view's reads call: ``fn`` itself (it returns the HTML),
    or, with a Django ``template``, one rendering it with the context ``fn``
    returns (an empty one without ``fn``)."""
    from django.template.loader import render_to_string

    if template is None:
        assert fn is not None
        return fn
    if fn is None:

        def render() -> str:
            return render_to_string(template)

        return render
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def render_async(*args: Any, **kwargs: Any) -> str:
            return render_to_string(template, await fn(*args, **kwargs))

        return render_async

    @functools.wraps(fn)
    def render_sync(*args: Any, **kwargs: Any) -> str:
        return render_to_string(template, fn(*args, **kwargs))

    return render_sync


def _check_uri(what: str, uri: str) -> None:
    if not isinstance(uri, str) or not uri.startswith("ui://") or "{" in uri:
        raise RegistrationError(f"{what}: an MCP Apps view is a fixed ui:// resource URI, not {uri!r}")
