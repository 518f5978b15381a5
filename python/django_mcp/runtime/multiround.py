"""Multi-round-trip requests (2026-07-28): with no way to send the client a
request mid-call, a call that needs input ends with an ``input_required``
result; the client answers and retries the same request, and the call runs
again from the start with the answers it has so far.

The answers from earlier rounds travel in ``requestState``, signed with a key
derived from SECRET_KEY (django.core.signing), so the server keeps nothing
between rounds and a client can neither forge nor alter them. The state is
bound to the request it was issued for.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import TYPE_CHECKING, Any

from django.core import signing

from ..conf import mcp_settings

if TYPE_CHECKING:
    from .. import _core

_SALT = "django_mcp.request_state"

#: The client capability each kind of input request needs.
REQUIRED_CAPABILITY = {
    "elicitation/create": "elicitation",
    "sampling/createMessage": "sampling",
    "roots/list": "roots",
}


class InputRequired(BaseException):
    """Ends the current round: the call needs the client's answers to ``requests``
    (key -> ``{"method": ..., "params": ...}``).

    A BaseException, like CancelledError, so that a tool's ``except Exception``
    does not swallow it.
    """

    def __init__(self, requests: dict[str, dict[str, Any]]) -> None:
        super().__init__(", ".join(requests))
        self.requests = requests


class MissingCapability(Exception):
    """The request's client capabilities do not include what the call needs."""

    def __init__(self, method: str, capability: str) -> None:
        super().__init__(f"{method} needs the client capability {capability!r}, which this request did not declare")
        self.capability = capability

    @property
    def data(self) -> dict[str, Any]:
        """The error's ``data``: a ClientCapabilities object naming what is missing."""
        return {"requiredCapabilities": {self.capability: {}}}


class InvalidRequestState(Exception):
    pass


#: How many turns of the event loop an input request waits for others asked
#: alongside it (``asyncio.gather``) before the round ends. Each turn lets every
#: ready task run up to its next await, so sibling requests join the same round.
_GATHER_TURNS = 3


def _binding(kind: str, target: str, arguments: str) -> str:
    canonical = json.dumps(json.loads(arguments or "{}"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{kind}\0{target}\0{canonical}".encode()).hexdigest()


class InputRound:
    """The answers a call has in this round, and the requests it asks for next."""

    def __init__(
        self,
        *,
        kind: str,
        target: str,
        arguments: str,
        input_responses: str | None,
        request_state: str | None,
        client_capabilities: str | None,
    ) -> None:
        # Most calls never ask for input: the binding (a canonical hash of the
        # request) and the capabilities are worked out when first needed.
        self._request = (kind, target, arguments)
        self._bound: str | None = None
        self._raw_capabilities = client_capabilities
        self.answers: dict[str, Any] = {}
        if request_state:
            try:
                state = signing.loads(request_state, salt=_SALT, max_age=mcp_settings.MCP_REQUEST_STATE_MAX_AGE)
            except signing.SignatureExpired as e:
                raise InvalidRequestState("requestState has expired; call again without it") from e
            except signing.BadSignature as e:
                raise InvalidRequestState("requestState was not issued by this server or was altered") from e
            if state.get("b") != self._binding:
                raise InvalidRequestState("requestState belongs to another request")
            self.answers.update(state.get("a", {}))
        if input_responses:
            responses = json.loads(input_responses)
            if not isinstance(responses, dict):
                raise InvalidRequestState("inputResponses must be an object")
            # Every answer (ElicitResult, CreateMessageResult, ListRootsResult)
            # is an object: anything else is asked for again.
            self.answers.update((k, v) for k, v in responses.items() if isinstance(v, dict))
        self._asked = 0
        #: This round's unanswered requests, by key, in the order asked.
        self.pending: dict[str, dict[str, Any]] = {}

    @classmethod
    def of(cls, call: _core.Call) -> InputRound:
        """The round of a planned call (revision 2026-07-28)."""
        return cls(
            kind=call.kind,
            target=call.target,
            arguments=call.arguments,
            input_responses=call.input_responses,
            request_state=call.request_state,
            client_capabilities=call.client_capabilities,
        )

    @property
    def _binding(self) -> str:
        if self._bound is None:
            self._bound = _binding(*self._request)
        return self._bound

    async def ask(self, method: str, params: dict[str, Any], key: str | None = None) -> Any:
        """The answer to the input request ``key`` (``input-1``, ``input-2``, ...
        in the order asked when not named), or InputRequired ending the round.

        Requests asked concurrently (``asyncio.gather``) end the round together,
        so the client answers them all in one retry.
        """
        if key is None:
            self._asked += 1
            key = f"input-{self._asked}"
        if key in self.answers:
            return self.answers[key]
        needed = REQUIRED_CAPABILITY.get(method)
        if needed and needed not in (json.loads(self._raw_capabilities) if self._raw_capabilities else {}):
            raise MissingCapability(method, needed)
        self.pending[key] = {"method": method, "params": params}
        for _ in range(_GATHER_TURNS):
            asked = len(self.pending)
            await asyncio.sleep(0)
            if len(self.pending) == asked:
                break
        raise InputRequired(self.pending)

    def input_required_result(self, need: InputRequired) -> dict[str, Any]:
        state = signing.dumps({"b": self._binding, "a": self.answers}, salt=_SALT, compress=True)
        return {"inputRequests": dict(need.requests), "requestState": state}
