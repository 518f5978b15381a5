"""How MCP requests reach the app over HTTP: the request pipeline and its
stages (``pipeline.py``), the three transports (``stateless.py``,
``stateful.py`` for ``http`` and ``sse``), event streams, session stores and
the calls in flight. ``django_mcp.asgi`` mounts them."""
