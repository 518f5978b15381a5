"""django-mcp's management commands."""
