"""Which redirect URIs a registered client may use: https, or plain http to
the loopback interface for native apps (RFC 8252 section 7.3). Anything else
would let a registration send authorization codes to an attacker's page."""

from __future__ import annotations

from urllib.parse import urlsplit

LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}


def redirect_uri_problem(uri: object) -> str | None:
    """Why ``uri`` is not acceptable as a redirect URI, or None."""
    if not isinstance(uri, str) or not uri:
        return "a redirect URI must be a non-empty string"
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return "not a valid URL"
    if parts.fragment or "#" in uri:
        return "a redirect URI must not have a fragment"
    if parts.username is not None or parts.password is not None:
        return "a redirect URI must not carry user information"
    if not parts.hostname or any(c.isspace() for c in uri):
        return "not a valid URL"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return None
    return "must use https, or http on a loopback address (127.0.0.1, [::1], localhost)"
