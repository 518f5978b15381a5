"""Return values of tools, resources and prompts turned into MCP results."""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_json

CONTENT_TYPES = frozenset({"text", "image", "audio", "resource", "resource_link"})


class _Media:
    """Binary media from ``data`` or a file ``path``; the MIME type comes from
    ``format`` (``"png"``), ``mime_type``, or the file name."""

    kind = ""
    default_mime = "application/octet-stream"

    def __init__(
        self,
        path: str | Path | None = None,
        data: bytes | None = None,
        format: str | None = None,
        *,
        mime_type: str | None = None,
    ) -> None:
        if (path is None) == (data is None):
            raise ValueError(f"{type(self).__name__} needs exactly one of path or data")
        self.path = Path(path) if path is not None else None
        self.data = data
        if mime_type is None and format is not None:
            mime_type = f"{self.kind}/{format.lower()}"
        if mime_type is None and self.path is not None:
            mime_type = mimetypes.guess_type(self.path.name)[0]
        self.mime_type = mime_type or self.default_mime

    def _bytes(self) -> bytes:
        return self.data if self.data is not None else self.path.read_bytes()  # type: ignore[union-attr]

    def to_content(self) -> dict[str, Any]:
        return {"type": self.kind, "data": base64.b64encode(self._bytes()).decode("ascii"), "mimeType": self.mime_type}


class Image(_Media):
    """An image a tool returns: ``Image(data=png_bytes, format="png")``."""

    kind = "image"
    default_mime = "image/png"


class Audio(_Media):
    """Audio a tool returns: ``Audio(path="clip.wav")``."""

    kind = "audio"
    default_mime = "audio/wav"


class EmbeddedResource:
    """A resource's contents inside a tool result or prompt message."""

    def __init__(
        self, uri: str, *, text: str | None = None, blob: bytes | None = None, mime_type: str | None = None
    ) -> None:
        if (text is None) == (blob is None):
            raise ValueError("EmbeddedResource needs exactly one of text or blob")
        self.uri, self.text, self.blob, self.mime_type = uri, text, blob, mime_type

    def to_content(self) -> dict[str, Any]:
        resource: dict[str, Any] = {"uri": self.uri}
        if self.text is not None:
            resource.update(mimeType=self.mime_type or "text/plain", text=self.text)
        else:
            resource.update(
                mimeType=self.mime_type or "application/octet-stream",
                blob=base64.b64encode(self.blob or b"").decode("ascii"),
            )
        return {"type": "resource", "resource": resource}


class ResourceLink:
    """A link to a resource the client can read later (``resource_link`` content)."""

    def __init__(
        self,
        uri: str,
        name: str,
        *,
        title: str | None = None,
        description: str | None = None,
        mime_type: str | None = None,
    ) -> None:
        self.uri, self.name, self.title, self.description, self.mime_type = uri, name, title, description, mime_type

    def to_content(self) -> dict[str, Any]:
        block = {
            "type": "resource_link",
            "uri": self.uri,
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "mimeType": self.mime_type,
        }
        return {k: v for k, v in block.items() if v is not None}


#: Values that render themselves as one content block.
ContentItem = (_Media, EmbeddedResource, ResourceLink)


def _content_block(value: Any) -> dict[str, Any] | None:
    """A value that already is a content block: ours, a dict with a content
    ``type``, or a pydantic model shaped like one (e.g. the upstream SDK's types)."""
    if isinstance(value, ContentItem):
        return value.to_content()
    if isinstance(value, dict) and value.get("type") in CONTENT_TYPES and len(value) > 1:
        return value
    if isinstance(value, BaseModel) and getattr(value, "type", None) in CONTENT_TYPES:
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    return None


def _content_list(value: Any) -> list[dict[str, Any]] | None:
    """A list of content blocks and strings, with at least one block, as content;
    each string is a text block. A list of plain values is data (None)."""
    if not isinstance(value, (list, tuple)) or not value:
        return None
    blocks = [{"type": "text", "text": v} if isinstance(v, str) else _content_block(v) for v in value]
    if any(b is None for b in blocks) or all(isinstance(v, str) for v in value):
        return None
    return blocks  # type: ignore[return-value]


def is_content(value: Any) -> bool:
    """Whether a return value already is MCP content (so it has no structured form)."""
    return _content_block(value) is not None or _content_list(value) is not None


def text(value: Any) -> str:
    return value if isinstance(value, str) else to_json(value).decode()


def tool_content(value: Any, *, tool_name: str) -> list[dict[str, Any]]:
    """MCP content for a tool's return value."""
    if value is None:
        return []
    block = _content_block(value)
    if block is not None:
        return [block]
    if isinstance(value, (bytes, bytearray, memoryview)):
        blob = base64.b64encode(bytes(value)).decode("ascii")
        resource = {"uri": f"mcp-result://{tool_name}", "mimeType": "application/octet-stream", "blob": blob}
        return [{"type": "resource", "resource": resource}]
    blocks = _content_list(value)
    if blocks is not None:
        return blocks
    return [{"type": "text", "text": text(value)}]


def resource_contents(value: Any, *, uri: str, mime_type: str | None) -> list[dict[str, Any]]:
    """The ``contents`` of a resources/read result."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        blob = base64.b64encode(bytes(value)).decode("ascii")
        return [{"uri": uri, "mimeType": mime_type or "application/octet-stream", "blob": blob}]
    if isinstance(value, str):
        return [{"uri": uri, "mimeType": mime_type or "text/plain", "text": value}]
    return [{"uri": uri, "mimeType": mime_type or "application/json", "text": text(value)}]


def prompt_messages(value: Any) -> list[dict[str, Any]]:
    """The ``messages`` of a prompts/get result from a str, a message, or a list of them."""
    items = value if isinstance(value, (list, tuple)) else [value]
    return [_message(item) for item in items]


def _message(item: Any) -> dict[str, Any]:
    if isinstance(item, BaseModel):
        item = item.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(item, dict) and "role" in item:
        content = item.get("content")
        block = _content_block(content)
        if block is None:
            block = {"type": "text", "text": text(content)}
        return {"role": item["role"], "content": block}
    block = _content_block(item)
    return {"role": "user", "content": block if block is not None else {"type": "text", "text": text(item)}}
