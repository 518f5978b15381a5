"""What a function registered with ``@mcp_app.tool()`` (and friends) becomes:
its JSON Schemas and argument validation from its signature, and the content
types its results are made of. ``django_mcp.server`` holds the registry."""
