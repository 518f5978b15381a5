"""Tools of the audit log and rate limit tests, served only by their settings."""

from django_mcp import mcp_app
from django_mcp.audit import redact
from django_mcp.throttling import throttle


@mcp_app.tool()
@redact("note")
def sign_in(username: str, password: str, note: str, options: dict | None = None) -> str:
    """Pretends to sign in: its arguments hold secrets the audit log must not keep"""
    return f"signed in {username}"


@mcp_app.tool()
def limited(n: int) -> int:
    """Limited by MCP_THROTTLE_RATES["tool:limited"]"""
    return n


@mcp_app.tool()
@throttle("2/hour")
def decorated_limit() -> str:
    """Limited by its decorator"""
    return "done"


@mcp_app.tool()
def save_settings(values: dict) -> int:
    """Secrets nested in an object are redacted too"""
    return len(values)
