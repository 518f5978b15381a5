"""The tools bench/auth.py calls: a no-op, and one ORM query, async and sync."""

from django.contrib.auth.models import User

from django_mcp import mcp_app


@mcp_app.tool()
async def add(a: int, b: int) -> int:
    return a + b


@mcp_app.tool()
async def count_async(a: int, b: int) -> int:
    return await User.objects.acount() + a + b


@mcp_app.tool()
def count_sync(a: int, b: int) -> int:
    return User.objects.count() + a + b
