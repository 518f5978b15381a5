# Django needs a URLconf; the MCP endpoint is mounted beside it in asgi.py.
urlpatterns = []
