"""The explorer: a page in the browser to see and try a mount's tools,
resources, resource templates and prompts, as the logged-in user may.

    # urls.py
    path("mcp/", include("django_mcp.explorer.urls")),

serves the page at ``/mcp/``, beside the endpoint ``/mcp/http`` that the page
talks to. The page's script speaks MCP to that endpoint with the browser's
session cookie and CSRF token, so the server applies every access rule itself.
"""
