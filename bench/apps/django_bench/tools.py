"""The benchmark tool, registered twice: `add` (async) and `add_sync` (sync).

The sync/async systems differ only in which name the tools/call body names.
"""

import asyncio

from django_mcp import mcp_app


@mcp_app.tool()
def add_sync(a: int, b: int) -> int:
    return a + b


@mcp_app.tool()
async def add(a: int, b: int) -> int:
    return a + b


@mcp_app.tool()
async def add_wait(a: int, b: int) -> int:
    """`add` that waits once on the event loop, as a tool awaiting a query does."""
    await asyncio.sleep(0)
    return a + b
