"""Task-supporting tools of the tasks tests."""

import os
import time

from django_mcp import Context, mcp_app


@mcp_app.tool(task="required")
def monthly_report(seconds: float, ctx: Context) -> str:
    """Builds a report slowly (a sync tool: it runs in a worker thread), for the user who asked"""
    time.sleep(seconds)
    user = ctx.user
    who = user.get_username() if getattr(user, "is_authenticated", False) else "anonymous"
    return f"report for {who} by process {os.getpid()}"


@mcp_app.tool(task="optional")
async def approve(amount: int, ctx: Context) -> str:
    """Asks for an approval first"""
    schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    answer = await ctx.elicit(f"Approve {amount}?", schema, key="approval")
    return f"approved {amount}: {answer.content.get('ok')}"
