"""Your models and Django REST framework views as MCP tools and resources, declared in a few lines.

``ModelToolset`` exposes a model's rows (list/search, retrieve, create, update,
delete, each opt-in), ``ViewToolset`` a DRF view's actions; ``register_toolset``
adds either to ``django_mcp.mcp_app`` (or the app given).
"""

from .base import ToolError, register_toolset
from .drf import ViewToolset
from .models import ModelToolset

__all__ = ["ModelToolset", "ToolError", "ViewToolset", "register_toolset"]
