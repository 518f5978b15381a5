"""The same server inside channels' ProtocolTypeRouter, which sends no lifespan events."""

from channels.routing import ProtocolTypeRouter

from testproject.asgi import application as http_application

application = ProtocolTypeRouter({"http": http_application})
