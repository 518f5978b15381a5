"""django-mcp: host Model Context Protocol servers in Django.

from django_mcp import mcp_app

@mcp_app.tool()
def add(a: int, b: int) -> int:
    return a + b
"""

from ._core import SUPPORTED_PROTOCOL_VERSIONS
from ._core import __version__ as __version__
from .asgi import MCPMount, mount_mcp_server
from .context import Context, ResourceContents, get_context
from .registry.content import Audio, EmbeddedResource, Image, ResourceLink
from .registry.signature import RegistrationError
from .registry.ui import ToolUI
from .runtime.elicitation import ElicitationResult, SamplingResult, requested_schema
from .runtime.errors import ProtocolError
from .runtime.outbound import ClientError
from .server import MCPApp, mcp_app, notify_list_changed, notify_resource_updated

__all__ = [
    "SUPPORTED_PROTOCOL_VERSIONS",
    "Audio",
    "ClientError",
    "Context",
    "ElicitationResult",
    "EmbeddedResource",
    "Image",
    "MCPApp",
    "MCPMount",
    "ProtocolError",
    "RegistrationError",
    "ResourceContents",
    "ResourceLink",
    "SamplingResult",
    "ToolUI",
    "get_context",
    "mcp_app",
    "mount_mcp_server",
    "notify_list_changed",
    "notify_resource_updated",
    "requested_schema",
]
