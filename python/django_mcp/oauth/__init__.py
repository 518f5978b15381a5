"""This site as the OAuth 2.1 authorization server that MCP clients expect.

Add ``"django_mcp.oauth"`` (and django-oauth-toolkit's ``"oauth2_provider"``)
to INSTALLED_APPS and ``path("", include("django_mcp.oauth.urls"))`` to the
root URLconf. A client given nothing but the MCP endpoint's URL then finds,
through the Protected Resource Metadata, this site's Authorization Server
Metadata (RFC 8414), registers itself (a Client ID Metadata Document, or
Dynamic Client Registration, RFC 7591), sends the user through the site's own
login and a consent page, and gets tokens bound to the endpoint (RFC 8707)
with PKCE S256.

Built on django-oauth-toolkit: its models, its token and revocation views and
its validator, extended where MCP clients need more.
"""
