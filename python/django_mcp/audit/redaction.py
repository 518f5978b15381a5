"""What of a call's arguments the audit log keeps: everything but secrets.

An argument is a secret when a word of its name is one of
MCP_AUDIT_SECRET_NAMES (``password``, ``token``, ``key``, ...; words split at
``_``, ``-``, ``.``, digits and camelCase, so ``api_key``, ``apiKey`` and
``X-Api-Key`` are secrets and ``keyword`` or ``max_tokens`` are not), or when
it is listed for the function, in MCP_AUDIT_REDACT or by ``@redact``. Secrets
are replaced at any depth of the arguments, and long texts are shortened.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from ..conf import mcp_settings, on_reload

#: What a secret's value is stored as.
REDACTED = "[redacted]"

#: Texts longer than this are stored cut, with a note of their length: an
#: audit row says what was asked, it is not a copy of every document sent.
MAX_TEXT = 1000

#: Deeper structures are stored as a note: their shape rarely matters to an audit.
MAX_DEPTH = 20

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")

F = TypeVar("F", bound=Callable[..., Any])


def redact(*names: str) -> Callable[[F], F]:
    """Stores these arguments of one tool or prompt as ``"[redacted]"`` in the
    audit log, besides those named like secrets::

        @mcp_app.tool()
        @redact("card_number", "cvc")
        def charge(card_number: str, cvc: str, amount: int) -> str: ...
    """

    def decorator(fn: F) -> F:
        fn._django_mcp_redact = frozenset(names)  # type: ignore[attr-defined]
        return fn

    return decorator


def words(name: str) -> list[str]:
    """``"X-Api-Key"`` -> ``["x", "api", "key"]``; ``"clientSecret2"`` -> ``["client", "secret"]``."""
    return [w.lower() for w in _WORD.findall(name)]


def is_secret(name: str, secret_words: Collection[str]) -> bool:
    parts = words(name)
    return any(p in secret_words for p in parts) or "".join(parts) in secret_words


class _Secrets(dict[str, bool]):
    """Which argument names are secrets (``secrets[name]``): the answer for
    each name, remembered (the same few names come with every call) until the
    settings change."""

    def __init__(self, secret_words: Collection[str]) -> None:
        super().__init__()
        self.words = frozenset(w.lower() for w in secret_words)

    def __missing__(self, name: str) -> bool:
        if len(self) > 10_000:  # names chosen by callers: keep the memory bounded
            self.clear()
        found = self[name] = is_secret(name, self.words)
        return found


_default: _Secrets | None = None


def _forget_default() -> None:
    global _default
    _default = None


on_reload(_forget_default)


def redact_arguments(arguments: Any, names: Collection[str] = (), secret_words: Collection[str] | None = None) -> Any:
    """``arguments`` with secrets replaced: values under names in ``names``
    or named like MCP_AUDIT_SECRET_NAMES (or ``secret_words``), at any depth."""
    global _default
    if secret_words is not None:
        secrets = _Secrets(secret_words)
    else:
        if _default is None:
            _default = _Secrets(mcp_settings.MCP_AUDIT_SECRET_NAMES)
        secrets = _default
    return _redacted(arguments, frozenset(names), secrets, 0)


def _redacted(value: Any, names: frozenset[str], secrets: _Secrets, depth: int) -> Any:
    if depth > MAX_DEPTH:
        return f"[deeper than {MAX_DEPTH} levels]"
    if isinstance(value, dict):
        return {
            key: REDACTED if key in names or secrets[str(key)] else _redacted(item, names, secrets, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_redacted(item, names, secrets, depth + 1) for item in value]
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return f"{value[:MAX_TEXT]}… [{len(value)} characters]"
    return value
