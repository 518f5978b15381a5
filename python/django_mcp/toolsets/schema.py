"""Model fields and DRF serializer fields described as pydantic types and JSON Schema.

A model toolset validates its arguments with pydantic models built here from
the model's fields, so a wrong type or an unknown field is refused before any
query runs, with a message naming the field. A DRF view validates with its own
serializer; for it only the advertised JSON Schema is built here.
"""

from __future__ import annotations

import datetime
import decimal
import re
import uuid
from typing import Annotated, Any, Literal

import pydantic
from django.db import models
from pydantic import ConfigDict, Field

#: Field names never exposed, whatever a toolset lists: they hold credentials.
SENSITIVE_NAME = re.compile(
    r"(^|_)(password|passwd|passphrase|secret|token|api_?key|private_?key|salt|otp|totp|pin_?code|"
    r"session_?key|credentials?)($|_)",
    re.I,
)

#: Model field classes a toolset can read and write, by how they look in JSON.
_SIMPLE_TYPES: list[tuple[type[models.Field], Any]] = [
    (models.BooleanField, bool),
    (models.DecimalField, decimal.Decimal),
    (models.FloatField, float),
    (models.DateTimeField, datetime.datetime),  # before DateField: it is a subclass
    (models.DateField, datetime.date),
    (models.TimeField, datetime.time),
    (models.DurationField, datetime.timedelta),
    (models.UUIDField, uuid.UUID),
    (models.JSONField, Any),
    (models.GenericIPAddressField, str),
    (models.IntegerField, int),  # and the Auto, Big, Small, Positive variants
    (models.AutoField, int),
    (models.BigAutoField, int),
    (models.SmallAutoField, int),
    (models.CharField, str),  # and Email, Slug, URL
    (models.TextField, str),
]


class UnsupportedField(TypeError):
    """A model field a toolset cannot describe (files, generic relations, ...)."""


def is_sensitive(model: type[models.Model], name: str) -> bool:
    """Whether a field holds credentials: by its name, or the auth user's password."""
    if SENSITIVE_NAME.search(name):
        return True
    from django.contrib.auth.base_user import AbstractBaseUser

    return issubclass(model, AbstractBaseUser) and name == "password"


def model_field(model: type[models.Model], name: str) -> models.Field:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or (field.auto_created and not field.concrete):
        raise UnsupportedField(f"{name!r} is a reverse relation; list it on the related model's toolset")
    return field


def python_type(field: models.Field) -> Any:
    """The Python type of a field's JSON value (a relation's: its target's key)."""
    if field.is_relation:
        if field.many_to_many:
            return list[python_type(field.target_field)]  # type: ignore[misc]
        if field.many_to_one or field.one_to_one:
            return python_type(field.target_field)
        raise UnsupportedField(f"{field.name!r}: {type(field).__name__} is not supported")
    if isinstance(field, models.FileField):
        raise UnsupportedField(f"{field.name!r}: file fields are not supported")
    for cls, annotation in _SIMPLE_TYPES:
        if isinstance(field, cls):
            if field.choices and annotation in (str, int):
                return Literal[tuple(value for value, _label in field.flatchoices)]
            return annotation
    raise UnsupportedField(f"{field.name!r}: {type(field).__name__} is not supported")


def _constraints(field: models.Field) -> dict[str, Any]:
    out: dict[str, Any] = {}
    description = str(field.help_text or "")
    if description:
        out["description"] = description
    if isinstance(field, (models.CharField, models.TextField)) and field.max_length and not field.choices:
        out["max_length"] = field.max_length
    if isinstance(field, models.DecimalField):
        out["max_digits"], out["decimal_places"] = field.max_digits, field.decimal_places
    if isinstance(
        field, (models.PositiveIntegerField, models.PositiveSmallIntegerField, models.PositiveBigIntegerField)
    ):
        out["ge"] = 0
    return out


def field_annotation(field: models.Field) -> Any:
    """``Annotated[type, Field(...)]`` for one model field, nullable where the column is."""
    annotation = python_type(field)
    if field.null:
        annotation = annotation | None
    return Annotated[annotation, Field(**_constraints(field))]


def writable(field: models.Field) -> bool:
    """Whether clients may set the field (the primary key and auto_now fields they may not)."""
    return bool(field.editable) and not field.primary_key and not getattr(field, "auto_now", False)


def required_on_create(field: models.Field) -> bool:
    return not (field.has_default() or field.blank or field.null or getattr(field, "auto_now_add", False))


def strict_model(name: str, fields: dict[str, Any]) -> type[pydantic.BaseModel]:
    """A pydantic model refusing unknown fields, so a misspelt name is an error, not ignored."""
    return pydantic.create_model(name, __config__=ConfigDict(extra="forbid", populate_by_name=True), **fields)


def output_model(name: str, fields: dict[str, models.Field]) -> type[pydantic.BaseModel]:
    """How one object looks in results: every listed field, nullable where the column is."""
    return pydantic.create_model(name, **{attr: (field_annotation(f), ...) for attr, f in fields.items()})  # type: ignore[call-overload]


# -- lookups ---------------------------------------------------------------

#: Lookups whose value is not of the field's own type.
_LOOKUP_TYPES: dict[str, Any] = {"isnull": bool, "year": int, "month": int, "day": int, "week_day": int}
_TEXT_LOOKUPS = {"contains", "icontains", "startswith", "istartswith", "endswith", "iendswith", "iexact", "regex"}


def lookup_annotation(field: models.Field, lookup: str) -> Any:
    if lookup in _LOOKUP_TYPES:
        return _LOOKUP_TYPES[lookup] | None
    if lookup in _TEXT_LOOKUPS:
        return str | None
    base = python_type(field)
    if field.many_to_many:
        base = python_type(field.target_field)
    if lookup == "in":
        return list[base] | None  # type: ignore[valid-type]
    return base | None


# -- DRF serializers -----------------------------------------------------------


def serializer_schema(serializer: Any, *, partial: bool = False) -> dict[str, Any]:
    """JSON Schema of what a DRF serializer accepts (its writable fields)."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        prop = drf_field_schema(field)
        if field.help_text or field.label:
            prop.setdefault("description", str(field.help_text or field.label))
        properties[name] = prop
        if field.required and not partial:
            required.append(name)
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def drf_field_schema(field: Any) -> dict[str, Any]:
    from rest_framework import relations, serializers

    nullable = getattr(field, "allow_null", False)
    schema: dict[str, Any]
    if isinstance(field, serializers.ListSerializer):
        schema = {"type": "array", "items": serializer_schema(field.child)}
    elif isinstance(field, serializers.BaseSerializer):
        schema = serializer_schema(field)
    elif isinstance(field, relations.ManyRelatedField):
        schema = {"type": "array", "items": drf_field_schema(field.child_relation)}
    elif isinstance(field, relations.PrimaryKeyRelatedField):
        pk = field.queryset.model._meta.pk if field.queryset is not None else None
        schema = {"type": "integer"} if isinstance(pk, (models.AutoField, models.IntegerField)) else {"type": "string"}
    elif isinstance(field, serializers.ListField):
        schema = {"type": "array", "items": drf_field_schema(field.child) if field.child else {}}
    elif isinstance(field, serializers.ChoiceField):
        schema = {"enum": [str(c) if not isinstance(c, (int, str)) else c for c in field.choices]}
    elif isinstance(field, serializers.BooleanField):
        schema = {"type": "boolean"}
    elif isinstance(field, serializers.IntegerField):
        schema = {"type": "integer"}
        if field.min_value is not None:
            schema["minimum"] = field.min_value
        if field.max_value is not None:
            schema["maximum"] = field.max_value
    elif isinstance(field, serializers.FloatField):
        schema = {"type": "number"}
    elif isinstance(field, serializers.DecimalField):
        schema = {"type": ["number", "string"], "description": "a decimal number"}
    elif isinstance(field, serializers.DateTimeField):
        schema = {"type": "string", "format": "date-time"}
    elif isinstance(field, serializers.DateField):
        schema = {"type": "string", "format": "date"}
    elif isinstance(field, serializers.TimeField):
        schema = {"type": "string", "format": "time"}
    elif isinstance(field, serializers.UUIDField):
        schema = {"type": "string", "format": "uuid"}
    elif isinstance(field, serializers.EmailField):
        schema = {"type": "string", "format": "email"}
    elif isinstance(field, serializers.URLField):
        schema = {"type": "string", "format": "uri"}
    elif isinstance(field, serializers.CharField):
        schema = {"type": "string"}
        if field.max_length is not None:
            schema["maxLength"] = field.max_length
    elif isinstance(field, (serializers.JSONField, serializers.DictField)):
        schema = {}
    else:
        schema = {"type": "string"}
    if nullable and "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        schema["type"] = [*kinds, "null"]
    return schema
