"""Plain arguments read by the engine (ArgSpec) are exactly what pydantic makes
of them; everything else is left to pydantic. Checked on the functions'
own Parameters, then through a real server."""

from __future__ import annotations

import itertools
from typing import Annotated

import pydantic
import pytest
from conftest import rpc
from pydantic import Field

from django_mcp.registry import signature


def plain(n: int, x: float, s: str | None = None, flag: bool = False, note: str | None = "hi") -> None: ...


def strings_only(name: str, other: str = "") -> None: ...


def nothing() -> None: ...


def constrained(n: Annotated[int, Field(ge=0)]) -> None: ...


def model_arg(p: pydantic.BaseModel) -> None: ...


def listed(items: list[int]) -> None: ...


def mutable_default(tags: str = "", extra: dict | None = None) -> None: ...


def factory_default(n: int = Field(default_factory=lambda: 3)) -> None: ...


def reserved_name(schema: str) -> None: ...


VALUES = [
    "0",
    "-7",
    "9007199254740993",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "1.5",
    "-0.0",
    "1e3",
    "2.5e-300",
    "0.1",
    "3.0",
    '""',
    '"text"',
    '"\\u00e9\\n\\ud83d\\ude00"',
    '"12"',
    '"1.5"',
    '"true"',
    "true",
    "false",
    "null",
    "[1]",
    '{"a": 1}',
]


def bodies(names: list[str]) -> list[str]:
    """Argument objects: each parameter alone with each value, pairs, empties, junk."""
    out = ["{}", "[]", "null", '"x"', '{"unknown": [1, {"deep": null}]}']
    for name in names:
        out += [f'{{"{name}": {v}}}' for v in VALUES]
        out.append(f'{{"{name}": 1, "{name}": 2}}')  # a repeated key
    for a, b in itertools.combinations(names, 2):
        for va, vb in itertools.product(["1", '"s"', "2.5", "true", "null"], repeat=2):
            out.append(f'{{"{a}": {va}, "{b}": {vb}}}')
    return out


def pydantic_kwargs(params: signature.Parameters, raw: str) -> dict | None:
    try:
        return params.validate_json(raw)
    except pydantic.ValidationError:
        return None


@pytest.mark.parametrize("fn", [plain, strings_only, nothing])
def test_engine_reads_plain_arguments_exactly_as_pydantic_does(fn):
    params = signature.parameters(fn)
    spec = params.arg_spec
    assert spec is not None
    read_by_engine = 0
    for raw in bodies(list(params.names)):
        fast = spec.read(raw)
        expected = pydantic_kwargs(params, raw)
        if fast is None:
            continue  # left to pydantic: whatever it says stands
        read_by_engine += 1
        assert expected is not None, f"{fn.__name__}: engine accepted {raw} that pydantic refuses"
        assert fast == expected, raw
        assert [type(v) for v in fast.values()] == [type(expected[k]) for k in fast], raw
    assert read_by_engine > 0


def test_what_the_engine_leaves_to_pydantic():
    spec = signature.parameters(plain).arg_spec
    assert spec is not None
    # Values pydantic converts, and missing required ones: pydantic's to judge.
    for raw in [
        '{"n": "3", "x": 1}',
        '{"n": 3.0, "x": 1}',
        '{"n": 1, "x": "1.5"}',
        '{"x": 1}',
        '{"n": 1, "x": 1, "flag": 1}',
    ]:
        assert spec.read(raw) is None, raw
    # Defaults fill absent parameters; unknown keys are ignored, as pydantic does.
    assert spec.read('{"n": 1, "x": 2, "zzz": 0}') == {"n": 1, "x": 2.0, "s": None, "flag": False, "note": "hi"}


@pytest.mark.parametrize("fn", [constrained, model_arg, listed, mutable_default, factory_default, reserved_name])
def test_functions_with_more_than_plain_parameters_have_no_reader(fn):
    assert signature.parameters(fn).arg_spec is None


def test_plain_and_converted_arguments_through_a_server(server):
    url = server.url + "/mcp/http"

    def call(arguments):
        return rpc(
            url,
            "tools/call",
            {"name": "describe_arguments", "arguments": arguments},
            headers={"MCP-Protocol-Version": "2025-06-18"},
        )["result"]

    exact = call({"n": 2, "x": 1, "s": "é", "flag": True})
    assert exact["structuredContent"] == {"n": "int 2", "x": "float 1.0", "s": "str é", "flag": "bool True"}
    converted = call({"n": "2", "x": "1.5", "s": None, "flag": "yes"})
    assert converted["structuredContent"] == {"n": "int 2", "x": "float 1.5", "s": "NoneType None", "flag": "bool True"}
    refused = call({"n": 2.5, "x": 1})
    assert refused["isError"] is True and "n:" in refused["content"][0]["text"]
