"""API tokens for MCP clients, stored hashed: add ``"django_mcp.tokens"`` to
INSTALLED_APPS and ``"django_mcp.auth.TokenAuthentication"`` to
MCP_AUTHENTICATION_CLASSES, then ``manage.py mcp_token create <username>``."""
