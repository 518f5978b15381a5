"""An MCP Apps view and the tools that use it (MCP_DIRS = ["apps_ui"] in the MCP Apps tests)."""

from django_mcp import ToolUI, mcp_app


@mcp_app.ui_resource(
    "ui://weather/dashboard",
    template="weather/dashboard.html",
    title="Weather dashboard",
    csp={"connect_domains": ["https://api.weather.example"], "resource_domains": ["https://cdn.example"]},
    browser_permissions=["geolocation"],
    prefers_border=True,
)
def dashboard() -> dict:
    """The dashboard the weather tools render their results in."""
    return {"cities": ["Oslo", "Lima"]}


@mcp_app.tool(ui="ui://weather/dashboard")
def forecast(city: str) -> dict:
    """Tomorrow's weather in a city, shown on the dashboard."""
    return {"city": city, "sky": "clear"}


@mcp_app.tool(ui=ToolUI("ui://weather/dashboard", visibility=["app"]), permissions=["auth.view_user"])
def refresh_dashboard() -> str:
    """Called by the dashboard only; staff with auth.view_user."""
    return "refreshed"
