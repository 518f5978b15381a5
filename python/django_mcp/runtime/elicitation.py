"""Results of ``Context.elicit`` and ``Context.sample``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


@dataclass(frozen=True)
class ElicitationResult(Generic[T]):
    """What the user answered: ``action`` is accept, decline or cancel.

    On accept, ``content`` is the submitted object and ``data`` the same
    validated into the schema's model (when a model was given)."""

    action: Literal["accept", "decline", "cancel"]
    content: dict[str, Any] = field(default_factory=dict)
    data: T | None = None

    @property
    def accepted(self) -> bool:
        return self.action == "accept"


@dataclass(frozen=True)
class SamplingResult:
    """A completion the client's model produced for ``Context.sample``."""

    role: str
    content: dict[str, Any]
    model: str
    stop_reason: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str | None:
        return self.content.get("text") if isinstance(self.content, dict) else None


def requested_schema(schema: type[BaseModel] | dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema an elicitation asks for, from a pydantic model or a ready dict."""
    if isinstance(schema, dict):
        return schema
    generated = schema.model_json_schema()
    generated.pop("title", None)
    for prop in generated.get("properties", {}).values():
        prop.pop("title", None)
    return generated
