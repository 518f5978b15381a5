"""Tools, resources and prompts that the tests call through real clients."""

import asyncio
import threading
from typing import Annotated

from pydantic import BaseModel, Field

from django_mcp import Context, Image, mcp_app
from django_mcp.decorators import log_mcp_tool_calls

from .models import Note

#: Released by the `release` tool; lets tests observe a call while it runs.
_gates: dict[str, asyncio.Event] = {}


def _gate(name: str) -> asyncio.Event:
    return _gates.setdefault(name, asyncio.Event())


@mcp_app.tool(title="Add", annotations={"readOnlyHint": True})
def add(a: int, b: int) -> int:
    """Add two numbers"""
    return a + b


@mcp_app.tool()
async def add_async(a: int, b: int) -> int:
    return a + b


@mcp_app.tool()
def fail(message: str) -> str:
    """Always raises"""
    raise RuntimeError(message)


@mcp_app.tool()
def path_info(ctx: Context) -> dict:
    """The path parameters with their Python types"""
    return {name: [type(value).__name__, str(value)] for name, value in ctx.path_params.items()}


@mcp_app.tool()
async def request_info(ctx: Context) -> dict:
    return {
        "request_id": ctx.request_id,
        "user_agent": ctx.headers.get("user-agent", ""),
        "x_test": ctx.headers.get("x-test"),
    }


@mcp_app.tool()
async def wait_for_release(gate: str, ctx: Context) -> str:
    """Reports progress, then waits until `release(gate)` is called"""
    await ctx.report_progress(1, 2, "waiting")
    await ctx.info(f"waiting on {gate}")
    await _gate(gate).wait()
    await ctx.report_progress(2, 2, "released")
    return f"released {gate}"


@mcp_app.tool()
async def release(gate: str) -> str:
    _gate(gate).set()
    return "ok"


@mcp_app.tool()
async def is_waiting_cancelled(gate: str) -> bool:
    """Whether a wait_for_release(gate) call was cancelled"""
    return gate in cancelled_gates


cancelled_gates: set[str] = set()


@mcp_app.tool()
async def cancellable(gate: str) -> str:
    try:
        await _gate(gate).wait()
    except asyncio.CancelledError:
        cancelled_gates.add(gate)
        raise
    return "finished"


@mcp_app.tool()
def sync_orm(text: str) -> dict:
    """Creates and counts notes with the sync ORM, off the event loop"""
    Note.objects.create(text=text)
    return {"count": Note.objects.count(), "thread": threading.current_thread().name != "MainThread"}


@mcp_app.tool()
def connection_left_open() -> bool:
    """Whether this worker thread's database connection was still open when the call began"""
    from django.db import connection

    was_open = connection.connection is not None
    Note.objects.count()  # opens it, if it was not
    return was_open


@mcp_app.tool()
async def async_orm(text: str) -> int:
    await Note.objects.acreate(text=text)
    return await Note.objects.acount()


@mcp_app.tool()
def describe_arguments(n: int, x: float, s: str | None = None, flag: bool = False) -> dict[str, str]:
    """Each argument's type and value, as the tool received it."""
    return {name: f"{type(v).__name__} {v}" for name, v in {"n": n, "x": x, "s": s, "flag": flag}.items()}


@mcp_app.tool()
def scalar_str(text: str) -> str:
    return text


@mcp_app.tool()
def scalar_bool(flag: bool) -> bool:
    return flag


@mcp_app.tool()
def scalar_mismatch(n: int) -> float:
    """Annotated float, returns an int: the annotation's serialiser words the structured value."""
    return n


@mcp_app.tool()
def scalar_unannotated(kind: str):  # type: ignore[no-untyped-def]
    return {"big": 2**70, "float": 0.00001, "true": True, "negative": -4}[kind]


@mcp_app.tool()
def sleepy(seconds: float) -> str:
    import time

    time.sleep(seconds)
    return "awake"


class Point(BaseModel):
    x: int
    y: int = 0


@mcp_app.tool()
def move(point: Point, dx: Annotated[int, Field(description="how far to move along x")] = 1) -> Point:
    return Point(x=point.x + dx, y=point.y)


@mcp_app.tool()
def tiny_png() -> Image:
    """A 1x1 PNG"""
    import base64

    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )
    return Image(data=png, format="png")


@mcp_app.tool()
def raw_bytes() -> bytes:
    return b"\x00\x01binary"


@mcp_app.tool()
@log_mcp_tool_calls
def logged(x: int) -> int:
    return x * 2


@mcp_app.tool(name="renamed_tool", description="A tool registered under another name", structured_output=False)
def some_function(value: str) -> str:
    return value.upper()


@mcp_app.resource("test://static-text", mime_type="text/plain", title="Static text")
def static_text() -> str:
    return "This is the content of the static text resource."


@mcp_app.resource("test://static-binary", mime_type="image/png")
def static_binary() -> bytes:
    return b"\x89PNG\r\n\x1a\n"


@mcp_app.resource("greeting://{name}")
def greeting(name: str) -> str:
    return f"Hello, {name}!"


@mcp_app.resource("items://{item_id}/detail")
async def item(item_id: int, ctx: Context) -> dict:
    return {"id": item_id, "double": item_id * 2, "path": ctx.path_params}


@mcp_app.resource("broken://thing")
def broken() -> str:
    raise ValueError("the resource is broken")


@mcp_app.tool()
async def read_own_resource(uri: str, ctx: Context) -> str:
    contents = await ctx.read_resource(uri)
    return " | ".join(f"{c.mime_type}:{c.content!r}" for c in contents)


@mcp_app.prompt(title="Greeting prompt")
def greet(name: Annotated[str, Field(description="who to greet")], excited: bool = False) -> str:
    """Greets someone"""
    return f"Hello {name}{'!' if excited else '.'}"


@mcp_app.prompt()
def conversation(topic: str) -> list:
    return [
        {"role": "user", "content": f"Tell me about {topic}"},
        {"role": "assistant", "content": "Gladly."},
    ]


try:  # The upstream SDK's Context class is honoured when that package is installed.
    from mcp.server.mcpserver import Context as SDKContext
except ImportError:  # pragma: no cover - the tests install mcp
    SDKContext = None

if SDKContext is not None:

    @mcp_app.tool()
    async def sdk_context(ctx: SDKContext) -> str:  # type: ignore[valid-type]
        await ctx.info("hello from an SDK-annotated context")
        return f"got {type(ctx).__name__} with path {dict(ctx.path_params)}"


class Preferences(BaseModel):
    color: str
    count: int = 1


@mcp_app.tool()
async def ask_preferences(ctx: Context) -> str:
    """Elicits the user's preferences"""
    answer = await ctx.elicit("What do you like?", Preferences)
    if not answer.accepted:
        return f"user chose {answer.action}"
    return f"{answer.data.count} x {answer.data.color}"


@mcp_app.tool()
async def summarize(text: str, ctx: Context) -> str:
    """Asks the client's model to summarize"""
    result = await ctx.sample(f"Summarize: {text}", max_tokens=50)
    return f"{result.model} said {result.text}"


@mcp_app.completion()
async def complete(ref, argument, context):
    if argument.name == "delay":  # a handler slower than the request timeout (test_streaming)
        await asyncio.sleep(float(argument.value))
        return []
    if ref.type == "ref/prompt" and argument.name == "name":
        return [n for n in ["Ada", "Alan", "Grace"] if n.startswith(argument.value)]
    if ref.type == "ref/resource" and argument.name == "name":
        return {"values": [f"{argument.value}{i}" for i in range(150)], "total": 150}
    return None


for _i in range(130):
    mcp_app.prompt(name=f"bulk_prompt_{_i:03}")(lambda: "bulk")


@mcp_app.tool()
async def two_questions(ctx: Context) -> str:
    """Elicits twice, then samples: three rounds for a 2026-07-28 client"""
    first = await ctx.elicit("First?", Preferences)
    second = await ctx.elicit("Second?", {"type": "object", "properties": {"ok": {"type": "boolean"}}})
    sampled = await ctx.sample("Say hi", max_tokens=5)
    return f"{first.data.color}/{second.content.get('ok')}/{sampled.text}"


@mcp_app.tool()
async def trip_details(ctx: Context) -> str:
    """Asks three things at once: one round for a 2026-07-28 client"""
    traveller, destination, roots = await asyncio.gather(
        ctx.elicit("Who travels?", {"type": "object", "properties": {"name": {"type": "string"}}}, key="traveller"),
        ctx.sample("Suggest a city", max_tokens=10, key="destination"),
        ctx.list_roots(key="roots"),
    )
    return f"{traveller.content.get('name')} to {destination.text} ({len(roots)} roots)"


@mcp_app.tool()
def regional(
    region: Annotated[str, Field(json_schema_extra={"x-mcp-header": "Region"})],
    replicas: Annotated[int | None, Field(json_schema_extra={"x-mcp-header": "Replicas"})] = None,
) -> str:
    """Arguments mirrored in Mcp-Param-Region and Mcp-Param-Replicas headers"""
    return f"{region} x{replicas}"


@mcp_app.tool()
def captioned_image() -> list:
    """Text and an image in one list"""
    return ["A red dot:", Image(data=b"\x89PNG fake", format="png")]


@mcp_app.tool()
async def log_levels(ctx: Context) -> str:
    for level in ("debug", "info", "warning", "error"):
        await ctx.log(level, f"at {level}")
    return "logged"


@mcp_app.tool()
async def add_tool_at_runtime(name: str) -> str:
    """Registers a tool while the server runs, so list_changed goes out"""
    mcp_app.tool(name=name)(lambda: "dynamic")
    return "added"


@mcp_app.tool()
async def touch_resource(uri: str) -> str:
    mcp_app.notify_resource_updated(uri)
    return "touched"


class Opaque:
    """Not something pydantic can serialise."""


@mcp_app.tool()
def unserialisable() -> dict:
    return {"thing": Opaque()}


@mcp_app.tool()
def sync_context_and_error(fail: bool = False) -> dict:
    """get_context() works inside sync tools, which run in worker threads"""
    from django_mcp import get_context

    if fail:
        raise ValueError("sync failure")
    ctx = get_context()
    return {"path": {k: str(v) for k, v in ctx.path_params.items()}, "thread": threading.current_thread().name}


@mcp_app.tool()
async def detach_then_finish(gate: str, ctx: Context) -> str:
    """Reports progress, closes its response stream, then waits for `release(gate)`"""
    await ctx.report_progress(1, 3, "before the stream closes")
    await ctx.close_sse_stream()
    await ctx.report_progress(2, 3, "after the stream closed")
    await _gate(gate).wait()
    return f"finished {gate}"


@mcp_app.tool()
async def slow_steps(steps: int, ctx: Context, delay: float = 0.2) -> str:
    """Reports `steps` progress notifications `delay` seconds apart, then waits a long time"""
    for step in range(1, steps + 1):
        await ctx.report_progress(step, steps, f"step {step}")
        await asyncio.sleep(delay)
    await asyncio.sleep(600)
    return "done"


@mcp_app.tool()
def whoami(ctx: Context) -> dict:
    """The Django user the request runs as"""
    return {"username": ctx.user.get_username(), "authenticated": ctx.user.is_authenticated}


@mcp_app.tool()
def count_notes() -> int:
    """Notes in the database, with the sync ORM"""
    return Note.objects.count()


@mcp_app.tool()
async def switch_interval() -> float:
    """The interpreter's GIL switch interval, in seconds"""
    import sys

    return sys.getswitchinterval()


@mcp_app.tool()
async def gc_frozen() -> int:
    """How many objects gc.freeze() has moved out of the collector's passes"""
    import gc

    return gc.get_freeze_count()
