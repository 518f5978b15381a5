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
    """The JSON Schema an elicitation asks for, from a pydantic model or a ready dict.

    Elicitation schemas are flat (primitive properties, no references), so an
    Enum field's ``$ref`` is replaced by the enum itself, and pydantic's
    generated titles are dropped."""
    if isinstance(schema, dict):
        return schema
    generated = schema.model_json_schema()
    definitions = generated.pop("$defs", {})
    generated.pop("title", None)
    properties = generated.get("properties", {})
    for name, prop in properties.items():
        properties[name] = prop = _inline(prop, definitions)
        prop.pop("title", None)
        if isinstance(prop.get("items"), dict):
            prop["items"] = _inline(prop["items"], definitions)
            prop["items"].pop("title", None)
    return generated


def _inline(prop: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """``prop`` with a ``$ref`` to ``#/$defs/...`` replaced by what it refers to."""
    ref = prop.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/$defs/"):
        return prop
    target = definitions.get(ref.removeprefix("#/$defs/"), {})
    return {**target, **{k: v for k, v in prop.items() if k != "$ref"}}
