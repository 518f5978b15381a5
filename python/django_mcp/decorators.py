"""Decorators for MCP functions."""

from .runtime.invoke import log_mcp_tool_calls

__all__ = ["log_mcp_tool_calls"]
