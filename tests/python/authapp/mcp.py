"""Tools with access rules, served only by the authentication tests' settings."""

from typing import Literal

from pydantic import BaseModel, Field
from testapp.mcp import _gate

from django_mcp import Context, mcp_app


@mcp_app.tool()
def whoami_auth(ctx: Context) -> dict:
    """Who the request runs as, and how it was authenticated"""
    info = ctx.auth
    assert ctx.request.user is ctx.user and ctx.request.path_params == ctx.path_params
    return {
        "username": ctx.user.get_username() if ctx.user.is_authenticated else None,
        "method": info.method if info else None,
        "scopes": sorted(info.scopes) if info and info.scopes is not None else None,
    }


@mcp_app.tool(scopes=["invoices:read"])
def invoice_total(number: int) -> str:
    """An invoice's total (needs the invoices:read scope)"""
    return f"{number * 10} EUR"


@mcp_app.tool(permissions=["auth.view_user"])
def user_count() -> int:
    """How many users there are (needs the auth.view_user permission)"""
    from django.contrib.auth.models import User

    return User.objects.count()


@mcp_app.tool(allow=lambda user, ctx: user.is_authenticated and ctx.path_params.get("user_uuid") == user.get_username())
def my_space(ctx: Context) -> str:
    """Only the user the path names may use it: path parameters are not identity"""
    return f"the space of {ctx.user.get_username()}"


@mcp_app.prompt(permissions=["auth.view_user"])
def staff_briefing() -> str:
    return "Brief the staff."


@mcp_app.tool()
def revoke_own_token(ctx: Context) -> str:
    """Revokes the API token the call came with (in this server's process)"""
    from django_mcp.tokens.models import APIToken

    APIToken.objects.get(prefix=ctx.auth.claims["token"]).revoke()
    return "revoked"


class Stop(BaseModel):
    city: str
    nights: int = Field(1, ge=1, description="Nights to stay")


class Trip(BaseModel):
    name: str
    travel_by: Literal["train", "bike", "car"] = "train"
    stops: list[Stop]
    return_home: bool = True


@mcp_app.tool(title="Plan a trip")
async def plan_trip(trip: Trip, ctx: Context) -> dict:
    """Books each stop of a trip in turn, reporting progress as it goes"""
    for number, stop in enumerate(trip.stops, 1):
        await ctx.report_progress(number, len(trip.stops), f"booked {stop.city}")
        await ctx.info(f"{stop.city}: {stop.nights} night(s) by {trip.travel_by}")
    # Held until release("trip:<name>"), so that the tests see the progress before the result.
    await _gate(f"trip:{trip.name}").wait()
    nights = sum(stop.nights for stop in trip.stops)
    return {"trip": trip.name, "nights": nights, "route": [stop.city for stop in trip.stops]}
