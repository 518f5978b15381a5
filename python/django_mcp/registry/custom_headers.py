"""Tool parameters mirrored in HTTP headers (revision 2026-07-28, SEP-2243).

A property of a tool's input schema marked ``"x-mcp-header": "Region"`` is sent
by the client both in the body and as the header ``Mcp-Param-Region``, so that
proxies and load balancers can route on it without reading the body. The server
checks that the two agree: a request whose header is missing, undecodable or
different from the body's value is refused with HTTP 400 and -32020.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from .signature import RegistrationError

#: JSON-RPC error code for a header that does not match the body (HeaderMismatch).
HEADER_MISMATCH = -32020

#: What the spec allows in an x-mcp-header name: ASCII, no space, no ':', no controls.
_NAME = re.compile(r"^[!-9;-~]+$")
_PRIMITIVE = {"string", "number", "integer", "boolean"}
_BASE64 = re.compile(r"^=\?base64\?(.*)\?=$", re.DOTALL)


class HeaderMismatch(Exception):
    """A mirrored header disagrees with the request body."""


def mirrored_parameters(name: str, input_schema: Mapping[str, Any]) -> dict[str, str]:
    """``{parameter: header name}`` for a tool's input schema, checked as the spec
    requires (non-empty, ASCII without space or ':', unique ignoring case, on
    primitive types only); a RegistrationError names what is wrong."""
    mirrored: dict[str, str] = {}
    seen: dict[str, str] = {}
    for param, schema in (input_schema.get("properties") or {}).items():
        header = schema.get("x-mcp-header") if isinstance(schema, Mapping) else None
        if header is None:
            continue
        if not isinstance(header, str) or not _NAME.match(header):
            raise RegistrationError(
                f"tool {name!r}: x-mcp-header {header!r} of {param!r} must be non-empty ASCII without spaces or ':'"
            )
        if header.lower() in seen:
            raise RegistrationError(
                f"tool {name!r}: x-mcp-header {header!r} is used by both {seen[header.lower()]!r} and {param!r}"
            )
        types = _types(schema) - {"null"}
        if not types or not types <= _PRIMITIVE:
            raise RegistrationError(
                f"tool {name!r}: x-mcp-header on {param!r} needs a string, number or boolean parameter"
            )
        seen[header.lower()] = param
        mirrored[param] = header
    return mirrored


def _types(schema: Mapping[str, Any]) -> set[str]:
    """The JSON types a property schema allows (``anyOf`` arms included, as
    pydantic writes ``int | None``)."""
    declared = schema.get("type")
    if declared is None:
        arms = schema.get("anyOf") or schema.get("oneOf") or ()
        return set().union(*(_types(arm) for arm in arms if isinstance(arm, Mapping)))
    return set(declared) if isinstance(declared, list) else {declared}


def header_value(raw: str) -> str:
    """A header's value as the client meant it: ``=?base64?...?=`` is Base64 of
    UTF-8 text (strictly decoded), anything else is literal."""
    wrapped = _BASE64.match(raw)
    if wrapped is None:
        return raw
    try:
        return base64.b64decode(wrapped.group(1), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as e:
        raise HeaderMismatch(f"the value {raw!r} is not valid Base64 of UTF-8 text") from e


def _matches(text: str, value: Any) -> bool:
    if isinstance(value, bool):
        return text == ("true" if value else "false")
    if isinstance(value, (int, float)):
        try:
            number = float(text)
        except ValueError:
            return False
        return math.isfinite(number) and number == value
    return isinstance(value, str) and text == value


def check(mirrored: Mapping[str, str], arguments: str, headers: Mapping[str, str]) -> None:
    """Raises HeaderMismatch unless each mirrored parameter's header agrees with
    the body's ``arguments`` (raw JSON); ``headers`` are keyed in lower case."""
    values = json.loads(arguments or "{}")
    for param, header in mirrored.items():
        value = values.get(param) if isinstance(values, dict) else None
        raw = headers.get(f"mcp-param-{header.lower()}")
        if value is None:
            if raw is not None:
                raise HeaderMismatch(f"Mcp-Param-{header} is sent but the arguments have no {param!r}")
            continue
        if raw is None:
            raise HeaderMismatch(f"Mcp-Param-{header} is missing; it must mirror the argument {param!r}")
        try:
            text = header_value(raw)
        except HeaderMismatch as e:
            raise HeaderMismatch(f"Mcp-Param-{header}: {e}") from None
        if not _matches(text, value):
            raise HeaderMismatch(f"Mcp-Param-{header} does not match the argument {param!r}")
