from django_mcp import mcp_app


@mcp_app.tool(name="twice")
def first_twice() -> str:
    return "a"
