"""Which redirect URIs a registered client may use (RFC 8252 for native apps):

- https, for web clients;
- plain http to the loopback interface, for desktop clients listening on a
  local port (section 7.3; any port is accepted at authorization time for
  127.0.0.1 and [::1], since the port is picked when the client starts);
- a private-use scheme of the client's own, for apps the operating system
  opens by scheme (section 7.1: ``cursor://``, ``vscode://``,
  ``com.example.app:/callback``).

Anything else would let a registration send authorization codes where an
attacker reads them: http to another host, or a scheme the browser handles
itself (``javascript:``, ``data:``...) rather than handing it to an app.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from oauth2_provider.settings import oauth2_settings

LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}

#: Schemes that are not an app's: the browser runs or shows them itself
#: (script, inline or local content, its own pages), sends them over the
#: network, or hands them to another handler that may forward the URL
#: (Android's ``intent:`` has a fallback web address; mail, phone, messages).
REFUSED_SCHEMES = frozenset(
    {
        "javascript",
        "vbscript",
        "data",
        "blob",
        "file",
        "filesystem",
        "about",
        "view-source",
        "chrome",
        "ftp",
        "ws",
        "wss",
        "intent",
        "mailto",
        "tel",
        "sms",
    }
)

#: RFC 3986 section 3.1.
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*\Z")


def redirect_uri_problem(uri: object) -> str | None:
    """Why ``uri`` is not acceptable as a redirect URI, or None."""
    if not isinstance(uri, str) or not uri:
        return "a redirect URI must be a non-empty string"
    # Checked before parsing: urlsplit drops leading spaces and control characters.
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in uri):
        return "not a valid URL"
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return "not a valid URL"
    if "#" in uri:
        return "a redirect URI must not have a fragment"
    if parts.username is not None or parts.password is not None:
        return "a redirect URI must not carry user information"
    scheme = parts.scheme
    if scheme in ("https", "http"):
        if not parts.hostname:
            return "not a valid URL"
        if scheme == "https" or parts.hostname in LOOPBACK_HOSTS:
            return None
        return "http is only for the loopback interface (127.0.0.1, [::1], localhost); use https"
    if not _SCHEME.match(scheme) or not (parts.netloc or parts.path):
        return "not a valid URL"
    if scheme in REFUSED_SCHEMES:
        return f"the {scheme}: scheme does not open an app; use https, loopback http or the app's own scheme"
    return None


def allowed_schemes(application: Any) -> list[str]:
    """The schemes a redirect to ``application`` may use: the toolkit's
    (``OAUTH2_PROVIDER["ALLOWED_REDIRECT_URI_SCHEMES"]``) and those of the
    application's own redirect URIs that this module accepts."""
    schemes = list(oauth2_settings.ALLOWED_REDIRECT_URI_SCHEMES)
    for uri in application.redirect_uris.split() if application is not None else ():
        if redirect_uri_problem(uri) is None and urlsplit(uri).scheme not in schemes:
            schemes.append(urlsplit(uri).scheme)
    return schemes


def full_clean(application: Any, **kwargs: Any) -> None:
    """``application.full_clean(**kwargs)`` for redirect URIs the caller has
    checked with :func:`redirect_uri_problem`: the toolkit's own check of them
    knows only the schemes of ``ALLOWED_REDIRECT_URI_SCHEMES``."""
    try:
        application.full_clean(**kwargs)
    except ValidationError as e:
        others = {field: errors for field, errors in e.message_dict.items() if field != "redirect_uris"}
        if others:
            raise ValidationError(others) from None
