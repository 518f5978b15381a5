"""Deliberately wrong configuration, for the system-check tests."""

from testproject.settings import *  # noqa: F403

MCP_HTTP_JSON_RESPONSE = "yes"
MCP_PAGE_SIZE = -1
MCP_LOG_LEVEL = "LOUD"
# Two folders whose tools.py register the same tool name.
MCP_DIRS = ["extra_mcp", "extra_mcp_b"]
# A dotted path that names nothing.
MCP_EXPLORER_ACCESS = "testproject.nowhere.nobody"
