"""JSON Schemas and argument validation from a user function's type hints.

pydantic builds one model per function at registration; each call validates
the raw JSON arguments with it in a single pass. Functions whose parameters
are all plain ``int``, ``float``, ``str`` or ``bool`` (or those or None) also
get an ``ArgSpec``: the engine reads arguments that are exactly of those JSON
types while it plans the call (``Call.kwargs``), and everything else goes to
pydantic.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic_core import PydanticUndefined, SchemaValidator

from .. import _core
from ..context import Context, is_context_annotation


class RegistrationError(TypeError):
    """A function cannot be registered as it is; the message says why and how to fix it."""


@dataclass(frozen=True)
class Parameters:
    """What a function takes: the JSON-visible arguments and where Context goes."""

    model: type[BaseModel]
    context_param: str | None
    #: model field name -> the function's parameter name (they differ for names pydantic reserves)
    field_to_param: dict[str, str]
    #: positional-only and *args/**kwargs cannot be called by keyword
    names: tuple[str, ...]
    #: How the engine reads plain arguments without pydantic (None: it cannot).
    arg_spec: _core.ArgSpec | None = dataclasses.field(init=False, default=None)

    def __post_init__(self) -> None:
        # Per call, the arguments are validated into a plain dict of fields by
        # the model's own field validator, so no model instance is built; when
        # every field is named like its parameter that dict is the keyword
        # arguments as it is. A model whose schema is not plain fields is
        # validated whole.
        object.__setattr__(self, "_fields", _fields_validator(self.model))
        object.__setattr__(self, "_validate_json", self.model.__pydantic_validator__.validate_json)
        object.__setattr__(self, "_same_names", all(f == p for f, p in self.field_to_param.items()))
        spec = _arg_spec(self.model) if self._same_names else None  # type: ignore[attr-defined]
        object.__setattr__(self, "arg_spec", spec)

    def validate_json(self, raw: str | bytes) -> dict[str, Any]:
        fields = self._fields  # type: ignore[attr-defined]
        if fields is not None:
            values: dict[str, Any] = fields(raw)[0]
        else:
            values = self._validate_json(raw).__dict__  # type: ignore[attr-defined]
        if self._same_names:  # type: ignore[attr-defined]
            return values
        return {self.field_to_param[f]: values[f] for f in self.field_to_param}

    def validate_python(self, data: dict[str, Any]) -> dict[str, Any]:
        validated = self.model.model_validate(data)
        return {self.field_to_param[f]: getattr(validated, f) for f in self.field_to_param}

    def json_schema(self) -> dict[str, Any]:
        schema = self.model.model_json_schema(by_alias=True)
        schema.pop("title", None)
        schema.setdefault("properties", {})
        return schema


def _fields_validator(model: type[BaseModel]) -> Callable[[str | bytes], tuple[dict[str, Any], Any, Any]] | None:
    """``validate_json`` of the model's fields schema (field values, extra,
    fields set), or None when the model is more than plain fields."""
    core = model.__pydantic_core_schema__
    if (
        core.get("type") != "model"
        or core.get("custom_init")
        or core.get("root_model")
        or core["schema"].get("type") != "model-fields"
    ):
        return None
    try:
        return SchemaValidator(core["schema"], core.get("config")).validate_json
    except Exception:
        return None


_PLAIN_TYPES = {int: "int", float: "float", str: "str", bool: "bool"}
#: Defaults an absent argument can share between calls: immutable values.
_SHAREABLE = (type(None), int, float, str, bool)


def _arg_spec(model: type[BaseModel]) -> _core.ArgSpec | None:
    """The engine's reader for the model's arguments, when every field is a
    plain ``int``, ``float``, ``str`` or ``bool`` (or that or None) with no
    constraints, alias or default factory, and an immutable default if any.
    The engine skips keys it does not know, so a model that forbids unknown
    fields is always validated by pydantic."""
    if model.model_config.get("extra") == "forbid":
        return None
    params = []
    for name, info in model.model_fields.items():
        annotation, nullable = info.annotation, False
        if typing.get_origin(annotation) in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            nullable = len(members) == 1 and len(typing.get_args(annotation)) == 2
            annotation = members[0] if nullable else None
        kind = _PLAIN_TYPES.get(annotation) if isinstance(annotation, type) else None
        if (
            kind is None
            or info.metadata
            or info.alias is not None
            or info.validation_alias is not None
            or info.default_factory is not None
        ):
            return None
        if info.default is PydanticUndefined:
            default: tuple[Any, ...] = ()
        elif type(info.default) in _SHAREABLE:
            default = (info.default,)
        else:
            return None
        params.append((name, kind, nullable, default))
    return _core.ArgSpec(params)


def type_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except NameError as e:
        raise RegistrationError(
            f"{_qualname(fn)}: cannot resolve a type hint ({e}); import the type at module level"
        ) from e


def _qualname(fn: Callable[..., Any]) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def _reserved(name: str) -> bool:
    return name.startswith("_") or hasattr(BaseModel, name)


def parameters(fn: Callable[..., Any], *, skip: tuple[str, ...] = ()) -> Parameters:
    """Inspects ``fn``'s signature; ``skip`` names parameters filled by other means."""
    hints = type_hints(fn)
    fields: dict[str, Any] = {}
    field_to_param: dict[str, str] = {}
    context_param = None
    for param in inspect.signature(fn).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.kind is param.POSITIONAL_ONLY:
            raise RegistrationError(
                f"{_qualname(fn)}: parameter {param.name!r} is positional-only; MCP arguments are passed by name"
            )
        annotation = hints.get(param.name, Any)
        if is_context_annotation(annotation):
            context_param = param.name
            continue
        if param.name in skip:
            continue
        default = ... if param.default is param.empty else param.default
        field = f"field_{param.name}" if _reserved(param.name) else param.name
        if field != param.name:
            fields[field] = (annotation, Field(default, alias=param.name))
        else:
            fields[field] = (annotation, default)
        field_to_param[field] = param.name
    try:
        model = pydantic.create_model(
            f"{getattr(fn, '__name__', 'function')}Arguments",
            __config__=ConfigDict(arbitrary_types_allowed=False, populate_by_name=True),
            **fields,
        )
        model.model_json_schema()
    except (pydantic.PydanticSchemaGenerationError, pydantic.PydanticUserError, TypeError) as e:
        raise RegistrationError(f"{_qualname(fn)}: its parameters cannot be described as JSON Schema: {e}") from e
    return Parameters(model, context_param, field_to_param, tuple(field_to_param.values()))


@dataclass(frozen=True)
class Output:
    """How a return value becomes ``structuredContent``, per the return annotation."""

    adapter: TypeAdapter[Any]
    schema: dict[str, Any]
    #: non-object results are wrapped as {"result": value}, as the spec requires an object
    wrapped: bool
    #: The annotation when it is exactly ``int``, ``bool`` or ``str``: a value
    #: of that very type is its own structured content (``Call.scalar_result``).
    plain: type | None = None

    def structured(self, value: Any) -> Any:
        data = self.adapter.dump_python(value, mode="json", by_alias=True)
        return {"result": data} if self.wrapped else data

    def __post_init__(self) -> None:
        object.__setattr__(self, "_to_json", self.adapter.serializer.to_json)

    def dump_json(self, value: Any) -> bytes:
        """The value as JSON per the annotation (unwrapped; see ``wrapped``)."""
        return self._to_json(value, by_alias=True)  # type: ignore[attr-defined]


_NO_OUTPUT = (inspect.Signature.empty, None, type(None), Any)


def output(fn: Callable[..., Any], *, content_types: tuple[type, ...]) -> Output | None:
    """The tool's output schema from its return annotation, or None when it has none."""
    annotation = type_hints(fn).get("return", inspect.Signature.empty)
    if annotation in _NO_OUTPUT or is_context_annotation(annotation):
        return None
    if isinstance(annotation, type) and issubclass(annotation, content_types):
        return None
    try:
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
        schema = adapter.json_schema(mode="serialization", by_alias=True)
    except (pydantic.PydanticSchemaGenerationError, pydantic.PydanticUserError, TypeError):
        # Not describable (e.g. an arbitrary class): the tool still works, without structured output.
        return None
    wrapped = schema.get("type") != "object" and "$ref" not in schema
    if wrapped:
        # $refs point at the root's $defs, so they move up with the wrapping.
        defs = schema.pop("$defs", None)
        schema = {"type": "object", "properties": {"result": schema}, "required": ["result"]}
        if defs:
            schema["$defs"] = defs
    else:
        schema.setdefault("type", "object")
    return Output(adapter, schema, wrapped, annotation if annotation in (int, bool, str) else None)


__all__ = ["Context", "Output", "Parameters", "RegistrationError", "output", "parameters", "type_hints"]
