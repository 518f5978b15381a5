"""Rate limits on the request path (``django_mcp.throttling``): each call asks
the throttles before it runs (``Limiter.wrap``, one of the per-call concerns
of ``Services._invoke``). A refused call's answer is a JSON-RPC error
(``RATE_LIMITED``, ``data.retryAfter``); when it is the whole of a complete
response, the engine sends it with HTTP 429 and ``Retry-After``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.utils.module_loading import import_string
from pydantic_core import to_json

from .. import _core
from ..conf import mcp_settings
from ..context import Context
from ..throttling import (
    RATE_LIMITED,
    BaseThrottle,
    SimpleRateThrottle,
    ToolRateThrottle,
    counter,
    seconds_to_wait,
    warn_uncounted,
)
from .calls import Invoke

if TYPE_CHECKING:
    from ..server import Function, MCPApp

logger = logging.getLogger("django_mcp")


class Limiter:
    """The throttle classes of MCP_THROTTLE_CLASSES, asked before each call
    of a tool, resource or prompt."""

    def __init__(self, app: MCPApp, classes: list[type[BaseThrottle]]) -> None:
        self.app = app
        self.classes = classes
        #: Rate throttles whose counts are taken together; the others are asked one by one.
        self.counted = [
            c for c in classes if issubclass(c, SimpleRateThrottle) and c.allow_call is SimpleRateThrottle.allow_call
        ]
        self.asked = [c for c in classes if c not in self.counted]

    @classmethod
    def from_settings(cls, app: MCPApp) -> Limiter | None:
        """The classes of MCP_THROTTLE_CLASSES that can limit a call; None
        when none can (no rate in MCP_THROTTLE_RATES, no ``@throttle``, no
        class of your own)."""
        rates = mcp_settings.MCP_THROTTLE_RATES
        own_rates = any(":" in scope for scope in rates) or any(
            getattr(f.fn, "_django_mcp_rate", None) for f in app.functions()
        )
        classes = [c for c in map(import_string, mcp_settings.MCP_THROTTLE_CLASSES) if _may_limit(c, rates, own_rates)]
        return cls(app, classes) if classes else None

    async def refusing(self, ctx: Context, function: Function) -> list[BaseThrottle]:
        """The throttles that refuse this call. All are asked, so each counts
        it (as in DRF); the counts of the rate throttles are taken together,
        in one round trip to the cache."""
        refusing: list[BaseThrottle] = []
        for cls in self.asked:
            throttle = cls()
            if not await throttle.allow_call(ctx, function):
                refusing.append(throttle)
        counted: list[SimpleRateThrottle] = []
        windows: list[tuple[str, int]] = []
        for rate_cls in self.counted:
            rated = rate_cls()
            window = rated.window(ctx, function)
            if window is not None:
                counted.append(rated)
                windows.append(window)
        if windows:
            try:
                counts = await counter().hit(windows)
            except Exception as e:
                warn_uncounted(e)
                return refusing
            refusing += [t for t, count in zip(counted, counts, strict=True) if not t.allows(count)]
        return refusing

    def wrap(self, invoke: Invoke) -> Invoke:
        """``invoke`` behind the throttles."""
        function_for = self.app.function_for

        async def limited(planned: _core.Call, ctx: Context) -> bytes:
            function = function_for(planned)  # None for completions: not limited
            if function is not None:
                refusing = await self.refusing(ctx, function)
                if refusing:
                    return refuse(planned, ctx, function, refusing)
            return await invoke(planned, ctx)

        return limited


def _may_limit(throttle: type[BaseThrottle], rates: dict[str, str], own_rates: bool) -> bool:
    """Whether ``throttle`` can limit any call: a rate throttle of the
    built-in kind needs its rate (per function for ToolRateThrottle); others
    are always asked."""
    if not issubclass(throttle, SimpleRateThrottle) or throttle.rate is not None:
        return True
    if issubclass(throttle, ToolRateThrottle) and throttle.get_rate is ToolRateThrottle.get_rate:
        return own_rates
    if throttle.get_rate is SimpleRateThrottle.get_rate:
        return rates.get(throttle.scope) is not None
    return True


def refuse(planned: _core.Call, ctx: Context, function: Function, refusing: list[BaseThrottle]) -> bytes:
    """The JSON-RPC error of a call over a limit, logged."""
    waits = [w for w in (t.wait() for t in refusing) if w is not None]
    wait = seconds_to_wait(max(waits) if waits else None)
    limits = "; ".join(t.describe() for t in refusing)
    user = ctx.user
    who = user.get_username() if getattr(user, "is_authenticated", False) else _address(ctx)
    logger.warning(
        "MCP %s %s refused for %s: rate limit exceeded (%s), retry in %ss",
        function.kind,
        function.name,
        who,
        limits,
        wait,
    )
    message = planned.error(
        RATE_LIMITED,
        f"Rate limit exceeded ({limits}): try again in {wait} seconds",
        to_json({"retryAfter": wait}).decode(),
    )
    return message


def _address(ctx: Context) -> str:
    client = (ctx.scope or {}).get("client")
    return f"an anonymous caller at {client[0]}" if client else "an anonymous caller"
