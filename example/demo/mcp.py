"""The example project's MCP tools, found by django-mcp's autodiscovery."""

import asyncio

from asgiref.sync import sync_to_async
from pydantic import BaseModel

from django_mcp import Context
from django_mcp import mcp_app as mcp

from .models import Counter


@mcp.tool()
def add(a: int, b: int) -> int:
    """Add two numbers"""
    return a + b


@mcp.tool()
def divide(a: float, b: float) -> float:
    """Divide a by b (fails for b = 0, to show error results)"""
    return a / b


@mcp.resource("greeting://{name}")
def get_greeting(name: str) -> str:
    """Get a personalized greeting"""
    return f"Hello, {name}!"


@mcp.resource("config://app", mime_type="application/json")
def app_config() -> dict:
    """The example's configuration"""
    return {"project": "example", "features": ["tools", "resources", "prompts"]}


@mcp.prompt()
def review_code(code: str, language: str = "python") -> str:
    """Ask for a code review"""
    return f"Please review this {language} code:\n\n{code}"


@mcp.tool()
async def get_user_info_from_path(ctx: Context) -> str:
    """Retrieves user info based on user_uuid from the URL path."""
    user_uuid = ctx.path_params.get("user_uuid")
    if not user_uuid:
        await ctx.error("User UUID not found in path parameters.")
        return "Error: User UUID missing."
    await ctx.info(f"Retrieved user_uuid: {user_uuid}")
    return f"Retrieved user_uuid: {user_uuid}"


@mcp.tool()
async def a_very_long_task(input_data: str, ctx: Context, steps: int = 10, delay: float = 3.0) -> str:
    """Reports progress and log messages while it works"""
    await ctx.info("Starting a long task...")
    for i in range(steps):
        await ctx.report_progress(i * 100 / steps, 100)
        await asyncio.sleep(delay)
        await ctx.info("... doing work...")
    await ctx.info("Long task finished.")
    return f"Success: {input_data}"


class CounterState(BaseModel):
    name: str
    value: int


@mcp.tool()
def create_counter(name: str) -> CounterState:
    """Create a counter (a sync tool using the sync ORM)"""
    counter, _ = Counter.objects.get_or_create(name=name)
    return CounterState(name=counter.name, value=counter.value)


@mcp.tool()
async def increment_counter_tool(counter_id: int) -> CounterState | None:
    """Increment a counter, demonstrating the async ORM and sync_to_async"""
    try:
        counter = await Counter.objects.aget(pk=counter_id)
    except Counter.DoesNotExist:
        return None
    await sync_to_async(counter.increment_sync)()
    return CounterState(name=counter.name, value=counter.value)


@mcp.tool()
def list_counters() -> list[CounterState]:
    """All counters (sync ORM)"""
    return [CounterState(name=c.name, value=c.value) for c in Counter.objects.order_by("name")]


def owns_the_path(user, ctx: Context) -> bool:
    """A path parameter is not identity: the user the path names must be the
    user the token belongs to."""
    return user.is_authenticated and ctx.path_params.get("user_uuid") == user.get_username()


@mcp.tool(allow=owns_the_path)
def my_profile(ctx: Context) -> dict:
    """The calling user's profile; only at that user's own path (/mcp/<username>/http)"""
    user = ctx.user
    return {"username": user.get_username(), "email": user.email, "staff": user.is_staff}
