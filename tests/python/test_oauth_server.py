"""This site as the authorization server (django_mcp.oauth), through a real
server: the official Python SDK's OAuth client, given only the MCP endpoint's
URL, discovers the server, registers (Dynamic Client Registration, or a Client
ID Metadata Document served here over https), logs in through the site's login
form and allows on the consent page (plain HTTP with cookies, no browser), gets
a token with PKCE, calls a protected tool, refreshes and is refused after
revocation. Then the attacks: open redirects, code replay, PKCE downgrade,
tokens for other resources, registration floods, metadata documents on
internal addresses or claiming another URL."""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import ipaddress
import json
import os
import re
import secrets
import ssl
import sys
import threading
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from conftest import HEADERS, TESTS, _test_project, free_port

PASSWORD = "ann-secret-pass"


# A certificate authority of the test's own, for the https server that
# publishes client metadata documents (the server process trusts it through
# SSL_CERT_FILE).


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "django-mcp test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_path, cert_path, key_path


class Documents:
    """An https server on 127.0.0.1 publishing client metadata documents."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.documents: dict[str, dict] = {}
        self.fetches: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.fetches.append(self.path)
                document = owner.documents.get(self.path)
                if document is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                if "redirect_to" in document:  # a redirect, which the fetch must not follow
                    self.send_response(302)
                    self.send_header("Location", document["redirect_to"])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps(document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "max-age=600")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str, host: str = "localhost") -> str:
        return f"https://{host}:{self.port}{path}"


class OAuthSite:
    def __init__(self, server, env, documents: Documents) -> None:
        self.server, self.env, self.url, self.documents = server, env, server.url, documents
        self.mcp = server.url + "/mcp/http"

    def python(self, code: str) -> str:
        import subprocess

        done = subprocess.run(
            [sys.executable, "-c", "import django\ndjango.setup()\n" + code],
            cwd=TESTS,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.strip()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("oauth-certs")
    ca, cert, key = _certificates(folder)
    documents = Documents(cert, key)
    env = {
        "DJANGO_SETTINGS_MODULE": "testproject.oauth_settings",
        "MCP_TEST_CIMD_HOSTS": "localhost",
        "SSL_CERT_FILE": str(ca),
    }
    server = _test_project(tmp_path_factory, "oauth", env)
    full_env = {**os.environ, "TEST_DB": str(server.log_path.parent / "db.sqlite3"), **env}
    s = OAuthSite(server, full_env, documents)
    s.python(f"from django.contrib.auth.models import User\nUser.objects.create_user('ann', password={PASSWORD!r})")
    yield s
    server.stop()
    documents.server.shutdown()


# The user's side: the site's login form and the consent page, over HTTP.

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def _hidden_fields(html: str) -> dict[str, str]:
    return {name: unescape(value) for name, value in _HIDDEN.findall(html)}


async def log_in_and_allow(
    authorize_url: str, *, allow: bool = True, seen: dict | None = None, tamper: dict | None = None
) -> str:
    """Follows the authorization URL as a user would: the login form, then the
    consent page. Returns where the site finally redirects (the client's redirect URI)."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(authorize_url))
    async with httpx.AsyncClient(timeout=30) as browser:
        r = await browser.get(authorize_url)
        assert r.status_code == 302 and r.headers["location"].startswith("/accounts/login/"), (r.status_code, r.text)
        login_url = origin + r.headers["location"]
        form = await browser.get(login_url)
        fields = _hidden_fields(form.text)
        r = await browser.post(
            login_url, data={**fields, "username": "ann", "password": PASSWORD}, headers={"Referer": login_url}
        )
        assert r.status_code == 302, r.text
        consent = await browser.get(origin + r.headers["location"])
        assert consent.status_code == 200, consent.text
        assert consent.headers["x-frame-options"] == "DENY"
        if seen is not None:
            seen["consent"] = consent.text
        fields = _hidden_fields(consent.text)
        if allow:
            fields["allow"] = "on"
        fields.update(tamper or {})  # what a user could change in the form's hidden fields
        r = await browser.post(authorize_url.split("?")[0], data=fields, headers={"Referer": authorize_url})
        assert r.status_code == 302, r.text
        return r.headers["location"]


class Memory:
    """The SDK's token storage, in memory."""

    def __init__(self) -> None:
        self.tokens = None
        self.client_info = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens) -> None:
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info) -> None:
        self.client_info = client_info


REDIRECT_URI = "http://127.0.0.1:53682/callback"


def _provider(site: OAuthSite, storage: Memory, seen: dict, client_metadata_url: str | None = None):
    from mcp.client.auth import OAuthClientProvider
    from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

    async def redirect_handler(url: str) -> None:
        seen["authorize_url"] = url
        seen["redirected_to"] = await log_in_and_allow(url, seen=seen)

    async def callback_handler() -> AuthorizationCodeResult:
        query = parse_qs(urlsplit(seen["redirected_to"]).query)
        assert "code" in query, seen["redirected_to"]
        return AuthorizationCodeResult(code=query["code"][0], state=query.get("state", [None])[0])

    metadata = OAuthClientMetadata(
        client_name="Test Agent",
        redirect_uris=[REDIRECT_URI],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",
    )
    return OAuthClientProvider(
        server_url=site.mcp,
        client_metadata=metadata,
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
        client_metadata_url=client_metadata_url,
    )


async def _call_invoice_total(site: OAuthSite, provider, number: int) -> str:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    async with (
        httpx2.AsyncClient(auth=provider, timeout=30) as http,
        Client(streamable_http_client(site.mcp, http_client=http), mode="legacy") as client,
    ):
        result = await client.call_tool("invoice_total", {"number": number})
    return result.content[0].text


def _run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 120))


def _bearer_call(site: OAuthSite, token: str, url: str | None = None) -> httpx.Response:
    message = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "invoice_total", "arguments": {"number": 1}},
    }
    return httpx.post(
        url or site.mcp,
        json=message,
        headers={**HEADERS, "MCP-Protocol-Version": "2025-11-25", "Authorization": f"Bearer {token}"},
        timeout=30,
    )


# Discovery.


def test_metadata_documents(site):
    protected = httpx.get(site.url + "/.well-known/oauth-protected-resource/mcp/http").json()
    assert protected["resource"] == site.mcp
    assert [s.rstrip("/") for s in protected["authorization_servers"]] == [site.url]
    server = httpx.get(site.url + "/.well-known/oauth-authorization-server")
    assert server.status_code == 200
    doc = server.json()
    assert doc["issuer"] == site.url
    assert doc["authorization_endpoint"] == site.url + "/oauth/authorize/"
    assert doc["token_endpoint"] == site.url + "/oauth/token/"
    assert doc["registration_endpoint"] == site.url + "/oauth/register/"
    assert doc["revocation_endpoint"] == site.url + "/oauth/revoke/"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["response_types_supported"] == ["code"]
    assert doc["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert "none" in doc["token_endpoint_auth_methods_supported"]
    assert doc["scopes_supported"] == ["invoices:read", "tools"]
    assert doc["client_id_metadata_document_supported"] is True

    # Clients that try OpenID Connect discovery first find the same document there.
    openid = httpx.get(site.url + "/.well-known/openid-configuration")
    assert openid.status_code == 200 and openid.headers["content-type"] == "application/json"
    assert openid.json() == doc


# The whole flow with the official SDK.


def test_sdk_client_registers_logs_in_calls_refreshes_and_is_revoked(site):
    storage, seen = Memory(), {}
    provider = _provider(site, storage, seen)
    assert _run(_call_invoice_total(site, provider, 4)) == "40 EUR"

    # It registered by DCR, and was sent to authorize with PKCE S256 and the resource.
    assert storage.client_info is not None and not storage.client_info.client_id.startswith("https://")
    query = parse_qs(urlsplit(seen["authorize_url"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["resource"] == [site.mcp]
    assert "Test Agent" in seen["consent"] and "Read your invoices" in seen["consent"]
    assert site.mcp in seen["consent"] and "127.0.0.1" in seen["consent"]
    first = storage.tokens
    assert first.refresh_token

    # The token is bound to the endpoint: the other MCP endpoint of this site refuses it.
    other = _bearer_call(site, first.access_token, site.url + "/slug/ann/http")
    assert other.status_code == 401 and "another resource" in other.headers["www-authenticate"]

    # Refresh: the SDK's token has run out; a new pair is issued and the old refresh token is spent.
    provider.context.token_expiry_time = 1.0
    assert _run(_call_invoice_total(site, provider, 5)) == "50 EUR"
    second = storage.tokens
    assert second.access_token != first.access_token and second.refresh_token != first.refresh_token
    replayed = httpx.post(
        site.url + "/oauth/token/",
        data={
            "grant_type": "refresh_token",
            "refresh_token": first.refresh_token,
            "client_id": storage.client_info.client_id,
        },
    )
    assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_grant"

    # Revocation (RFC 7009), then the token is refused.
    revoked = httpx.post(
        site.url + "/oauth/revoke/", data={"token": second.access_token, "client_id": storage.client_info.client_id}
    )
    assert revoked.status_code == 200, revoked.text
    refused = _bearer_call(site, second.access_token)
    assert refused.status_code == 401 and 'error="invalid_token"' in refused.headers["www-authenticate"]


def test_sdk_client_with_a_client_metadata_document(site):
    url = site.documents.url("/agents/test-agent.json")
    site.documents.documents["/agents/test-agent.json"] = {
        "client_id": url,
        "client_name": "Metadata Agent",
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    }
    storage, seen = Memory(), {}
    provider = _provider(site, storage, seen, client_metadata_url=url)
    assert _run(_call_invoice_total(site, provider, 6)) == "60 EUR"
    assert storage.client_info.client_id == url
    assert "Metadata Agent" in seen["consent"] and "localhost" in seen["consent"]
    assert site.documents.fetches.count("/agents/test-agent.json") == 1
    # Cached (max-age=600): the next authorization does not fetch it again.
    storage.tokens = None
    assert _run(_call_invoice_total(site, _provider(site, storage, {}, client_metadata_url=url), 7)) == "70 EUR"
    assert site.documents.fetches.count("/agents/test-agent.json") == 1


# Attacks and mistakes, each answered as the RFCs say.


def _register(site: OAuthSite, **metadata) -> httpx.Response:
    body = {"client_name": "x", "redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none", **metadata}
    return httpx.post(site.url + "/oauth/register/", json=body)


def get_as_ann(site: OAuthSite, url: str) -> httpx.Response:
    """GET ``url`` logged in as ann (redirects not followed)."""

    async def get() -> httpx.Response:
        async with httpx.AsyncClient(timeout=30) as browser:
            form = await browser.get(site.url + "/accounts/login/")
            r = await browser.post(
                site.url + "/accounts/login/",
                data={**_hidden_fields(form.text), "username": "ann", "password": PASSWORD},
            )
            assert r.status_code == 302, r.text
            return await browser.get(url)

    return _run(get())


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _authorize_url(site: OAuthSite, client_id: str | None = None, **params) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "state": "st-1",
        "scope": "invoices:read",
        "resource": site.mcp,
        **params,
    }
    return site.url + "/oauth/authorize/?" + urlencode({k: v for k, v in query.items() if v is not None})


def _code_for(site: OAuthSite, client_id: str, challenge: str, redirect_uri: str = REDIRECT_URI) -> str:
    url = _authorize_url(
        site, client_id, redirect_uri=redirect_uri, code_challenge=challenge, code_challenge_method="S256"
    )
    location = _run(log_in_and_allow(url))
    assert location.startswith(redirect_uri + "?"), location
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["st-1"]
    return query["code"][0]


def _exchange(site: OAuthSite, client_id: str, code: str, verifier: str | None, **extra) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "client_id": client_id}
    if verifier is not None:
        data["code_verifier"] = verifier
    return httpx.post(site.url + "/oauth/token/", data={**data, **extra})


def test_registration_validates_redirect_uris_and_grants(site):
    assert _register(site).status_code == 201
    loopback = _register(site, redirect_uris=["http://localhost:8976/cb", "https://app.example/cb"])
    assert loopback.status_code == 201 and loopback.json()["token_endpoint_auth_method"] == "none"
    for bad in (["http://evil.example/cb"], ["javascript:alert(1)"], ["https://app.example/cb#frag"], [], "x"):
        r = _register(site, redirect_uris=bad)
        assert r.status_code == 400 and r.json()["error"] == "invalid_redirect_uri", (bad, r.text)
    r = _register(site, grant_types=["client_credentials"])
    assert r.status_code == 400 and r.json()["error"] == "invalid_client_metadata"
    r = httpx.post(site.url + "/oauth/register/", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_client_metadata"
    # A client asking for a secret is registered as a public client all the same.
    secretive = _register(site, token_endpoint_auth_method="client_secret_basic")
    assert secretive.status_code == 201 and "client_secret" not in secretive.json()


NATIVE_REDIRECT_URIS = [
    "cursor://anysphere.cursor-retrieval/oauth/user-callback",
    "vscode://vscode.github-authentication/did-authenticate",
    "com.example.agent:/oauth/callback",
]


def test_native_apps_redirect_to_their_own_scheme(site):
    """RFC 8252: an app's private-use scheme, registered by DCR or in a metadata document."""
    assert _register(site, redirect_uris=NATIVE_REDIRECT_URIS).status_code == 201
    for bad in (
        "javascript:alert(document.cookie)",
        "JavaScript://%0aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "intent://steal#Intent;scheme=https;S.browser_fallback_url=https://evil.example;end",
        "intent://steal",
        " javascript:alert(1)",
        "\x01javascript:alert(1)",
        "http://evil.example/cb",
        "ws://evil.example/cb",
        "cursor:",
        "1cursor://x/cb",
    ):
        r = _register(site, redirect_uris=[*NATIVE_REDIRECT_URIS, bad])
        assert r.status_code == 400 and r.json()["error"] == "invalid_redirect_uri", (bad, r.text)

    url = site.documents.url("/agents/native.json")
    site.documents.documents["/agents/native.json"] = {
        "client_id": url,
        "client_name": "Native Agent",
        "redirect_uris": NATIVE_REDIRECT_URIS[1:2],
        "token_endpoint_auth_method": "none",
    }
    registered = _register(site, redirect_uris=NATIVE_REDIRECT_URIS).json()["client_id"]
    for client_id, redirect_uri in [(registered, uri) for uri in NATIVE_REDIRECT_URIS] + [
        (url, NATIVE_REDIRECT_URIS[1])
    ]:
        verifier, challenge = _pkce()
        code = _code_for(site, client_id, challenge, redirect_uri)
        token = _exchange(site, client_id, code, verifier, redirect_uri=redirect_uri)
        assert token.status_code == 200, (redirect_uri, token.text)
        assert _bearer_call(site, token.json()["access_token"]).status_code == 200

    # Another scheme, or another target under the same scheme, than the client registered: no redirect at all.
    _, challenge = _pkce()
    for redirect_uri in (
        "javascript:alert(1)",
        "evil://anysphere.cursor-retrieval/oauth/user-callback",
        "cursor://evil.example/oauth/user-callback",
        "vscode://vscode.github-authentication/other",
    ):
        r = get_as_ann(
            site,
            _authorize_url(
                site, registered, redirect_uri=redirect_uri, code_challenge=challenge, code_challenge_method="S256"
            ),
        )
        assert r.status_code == 400 and "location" not in r.headers, (redirect_uri, r.status_code, r.headers)
    assert "Traceback" not in site.server.log


def test_loopback_redirects_may_use_any_port(site):
    """RFC 8252 section 7.3: a desktop client listens on whichever port is free when it starts."""
    client_id = _register(site, redirect_uris=["http://127.0.0.1/callback", "http://[::1]:8080/callback"]).json()[
        "client_id"
    ]
    for redirect_uri in ("http://127.0.0.1:40123/callback", "http://127.0.0.1/callback", "http://[::1]:1234/callback"):
        verifier, challenge = _pkce()
        code = _code_for(site, client_id, challenge, redirect_uri)
        token = _exchange(site, client_id, code, verifier, redirect_uri=redirect_uri)
        assert token.status_code == 200, (redirect_uri, token.text)
    # The port is free, the rest is not.
    _, challenge = _pkce()
    for redirect_uri in (
        "http://127.0.0.1:40123/other",
        "http://localhost:40123/callback",
        "https://127.0.0.1/callback",
    ):
        url = _authorize_url(
            site, client_id, redirect_uri=redirect_uri, code_challenge=challenge, code_challenge_method="S256"
        )
        r = get_as_ann(site, url)
        assert r.status_code == 400 and "location" not in r.headers, (redirect_uri, r.status_code, r.headers)


def test_open_redirect_is_refused(site):
    client_id = _register(site).json()["client_id"]
    _, challenge = _pkce()
    url = _authorize_url(
        site,
        client_id,
        redirect_uri="https://evil.example/steal",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    # Before login the user is sent to log in; after, the page says what is wrong: never a redirect there.
    assert httpx.get(url).headers["location"].startswith("/accounts/login/")
    r = get_as_ann(site, url)
    assert r.status_code == 400 and "location" not in r.headers, (r.status_code, r.headers)
    assert "evil.example" not in r.text or "Traceback" not in r.text


def test_pkce_is_required_with_s256(site):
    client_id = _register(site).json()["client_id"]
    verifier, challenge = _pkce()
    for params in ({}, {"code_challenge": verifier, "code_challenge_method": "plain"}, {"code_challenge": verifier}):
        r = get_as_ann(site, _authorize_url(site, client_id, **params))
        assert r.status_code == 302, r.text
        query = parse_qs(urlsplit(r.headers["location"]).query)
        assert r.headers["location"].startswith(REDIRECT_URI) and query["error"] == ["invalid_request"], params
        assert query["state"] == ["st-1"]

    # The consent form's hidden fields are checked again when it is posted.
    url = _authorize_url(site, client_id, code_challenge=challenge, code_challenge_method="S256")
    for tamper, error in (
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"resource": "https://other.example/mcp/http"}, "invalid_target"),
    ):
        location = _run(log_in_and_allow(url, tamper=tamper))
        assert location.startswith(REDIRECT_URI) and parse_qs(urlsplit(location).query)["error"] == [error], location

    # With S256, the token request must carry the right verifier.
    code = _code_for(site, client_id, challenge)
    missing = _exchange(site, client_id, code, None)
    assert missing.status_code == 400 and missing.json()["error"] in ("invalid_request", "invalid_grant")
    code = _code_for(site, client_id, challenge)
    wrong = _exchange(site, client_id, code, _pkce()[0])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"


def test_code_replay_is_refused_and_revokes_what_the_code_got(site):
    client_id = _register(site).json()["client_id"]
    verifier, challenge = _pkce()
    code = _code_for(site, client_id, challenge)
    first = _exchange(site, client_id, code, verifier)
    assert first.status_code == 200, first.text
    assert _bearer_call(site, first.json()["access_token"]).status_code == 200
    again = _exchange(site, client_id, code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    # The code has leaked: what its first use got is revoked (RFC 6749 section 4.1.2).
    refused = _bearer_call(site, first.json()["access_token"])
    assert refused.status_code == 401 and 'error="invalid_token"' in refused.headers["www-authenticate"]
    refresh = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": first.json()["refresh_token"]}
    r = httpx.post(site.url + "/oauth/token/", data=refresh)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"

    # Also the tokens refreshed from them since; other authorizations of the same client keep theirs.
    code = _code_for(site, client_id, challenge)
    first = _exchange(site, client_id, code, verifier).json()
    kept = _exchange(site, client_id, _code_for(site, client_id, challenge), verifier).json()
    refresh["refresh_token"] = first["refresh_token"]
    second = httpx.post(site.url + "/oauth/token/", data=refresh).json()
    assert _bearer_call(site, second["access_token"]).status_code == 200
    assert _exchange(site, client_id, code, verifier).json()["error"] == "invalid_grant"
    assert _bearer_call(site, second["access_token"]).status_code == 401
    refresh["refresh_token"] = second["refresh_token"]
    assert httpx.post(site.url + "/oauth/token/", data=refresh).json()["error"] == "invalid_grant"
    assert _bearer_call(site, kept["access_token"]).status_code == 200
    # A code never issued, or issued to another client, revokes nothing and is refused the same way.
    assert _exchange(site, client_id, "never-issued", verifier).json()["error"] == "invalid_grant"
    assert _bearer_call(site, kept["access_token"]).status_code == 200


def test_a_spent_refresh_token_presented_again_revokes_its_descendants(site):
    client_id = _register(site).json()["client_id"]
    verifier, challenge = _pkce()
    first = _exchange(site, client_id, _code_for(site, client_id, challenge), verifier).json()
    refresh = {"grant_type": "refresh_token", "client_id": client_id}
    second = httpx.post(site.url + "/oauth/token/", data={**refresh, "refresh_token": first["refresh_token"]}).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert _bearer_call(site, first["access_token"]).status_code == 401  # rotated out
    assert _bearer_call(site, second["access_token"]).status_code == 200
    replayed = httpx.post(site.url + "/oauth/token/", data={**refresh, "refresh_token": first["refresh_token"]})
    assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_grant"
    assert _bearer_call(site, second["access_token"]).status_code == 401
    again = httpx.post(site.url + "/oauth/token/", data={**refresh, "refresh_token": second["refresh_token"]})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_tokens_for_other_resources_are_refused(site):
    client_id = _register(site).json()["client_id"]
    verifier, challenge = _pkce()
    for resource in ("https://other.example/mcp/http", site.url + "/not-mcp", site.url + "/mcp/http?x=1"):
        url = _authorize_url(site, client_id, resource=resource, code_challenge=challenge, code_challenge_method="S256")
        r = get_as_ann(site, url)
        assert r.status_code == 302 and "error=invalid_target" in r.headers["location"], (resource, r.headers)
        assert r.headers["location"].startswith(REDIRECT_URI)

    # A token asked for (at the token endpoint) for another resource than the grant's.
    code = _code_for(site, client_id, challenge)
    r = _exchange(site, client_id, code, verifier, resource="https://other.example/mcp/http")
    assert r.status_code == 400 and r.json()["error"] == "invalid_target"

    # A token for one endpoint of this site is refused at another.
    code = _code_for(site, client_id, challenge)
    token = _exchange(site, client_id, code, verifier).json()["access_token"]
    assert _bearer_call(site, token).status_code == 200
    r = _bearer_call(site, token, site.url + "/slug/ann/http")
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["www-authenticate"]


def test_a_registration_flood_is_throttled(tmp_path_factory):
    env = {"DJANGO_SETTINGS_MODULE": "testproject.oauth_settings", "MCP_TEST_REGISTRATIONS_PER_HOUR": "3"}
    server = _test_project(tmp_path_factory, "oauth-flood", env)
    try:
        answers = [
            httpx.post(server.url + "/oauth/register/", json={"redirect_uris": [REDIRECT_URI]}) for _ in range(6)
        ]
        assert [r.status_code for r in answers] == [201, 201, 201, 429, 429, 429]
        assert answers[-1].json()["error"] and int(answers[-1].headers["retry-after"]) > 0
    finally:
        server.stop()


def test_registration_and_metadata_documents_turned_off(tmp_path_factory):
    settings = {"MCP_OAUTH_REGISTRATION_ENABLED": False, "MCP_OAUTH_CLIENT_METADATA_DOCUMENTS": False}
    env = {"DJANGO_SETTINGS_MODULE": "testproject.oauth_settings", "MCP_TEST_OAUTH_SETTINGS": json.dumps(settings)}
    server = _test_project(tmp_path_factory, "oauth-closed", env)
    try:
        doc = httpx.get(server.url + "/.well-known/oauth-authorization-server").json()
        assert "registration_endpoint" not in doc and doc["client_id_metadata_document_supported"] is False
        r = httpx.post(server.url + "/oauth/register/", json={"redirect_uris": [REDIRECT_URI]})
        assert r.status_code == 403 and r.json()["error"] == "access_denied"
    finally:
        server.stop()


def test_system_checks(tmp_path_factory):
    import subprocess

    settings = {"MCP_AUTHENTICATION_CLASSES": [], "MCP_AUTH_SCOPES_SUPPORTED": ["invoices:read", "undescribed"]}
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "testproject.oauth_settings",
        "TEST_DB": str(tmp_path_factory.mktemp("oauth-checks") / "db.sqlite3"),
        "MCP_TEST_OAUTH_SETTINGS": json.dumps(settings),
    }
    done = subprocess.run(
        [sys.executable, "-m", "django", "check"], cwd=TESTS, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "django_mcp.E102" in done.stderr and "undescribed" in done.stderr
    assert "django_mcp.W101" in done.stderr


def test_bad_requests_get_oauth_errors_never_a_500(site):
    client_id = _register(site).json()["client_id"]
    token = site.url + "/oauth/token/"
    cases = [
        httpx.post(token, data={}),
        httpx.post(token, data={"grant_type": "authorization_code", "code": "nope", "client_id": client_id}),
        httpx.post(
            token, data={"grant_type": "password", "username": "ann", "password": PASSWORD, "client_id": client_id}
        ),
        httpx.post(token, data={"grant_type": "refresh_token", "refresh_token": "nope", "client_id": "unknown"}),
        httpx.post(
            token, data={"grant_type": "authorization_code", "code": "x", "client_id": "https://127.0.0.1/x.json"}
        ),
        httpx.post(token, content=b"\x00\xff", headers={"Content-Type": "application/x-www-form-urlencoded"}),
        httpx.post(site.url + "/oauth/revoke/", data={"token": "nope"}),
        httpx.post(site.url + "/oauth/register/", json={"redirect_uris": ["https://a.example/cb"], "client_name": 7}),
        httpx.post(site.url + "/oauth/register/", json={"redirect_uris": ["https://a.example/cb"], "grant_types": "x"}),
        httpx.post(site.url + "/oauth/register/", json={"redirect_uris": [7]}),
        httpx.post(
            site.url + "/oauth/register/", json={"redirect_uris": ["https://a.example/cb"], "client_name": "n" * 5000}
        ),
        httpx.get(site.url + "/oauth/register/"),
    ]
    for r in cases:
        assert r.status_code < 500, (r.request.url, r.status_code, r.text[:500])
        if r.request.url.path != "/oauth/register/" or r.status_code >= 400:
            assert r.status_code == 405 or "error" in r.json(), r.text
    for params in (
        {"client_id": "unknown"},
        {"client_id": client_id, "response_type": "token"},
        {"client_id": client_id, "scope": "everything"},
        {"client_id": client_id, "resource": "not a url"},
        {"client_id": "https://169.254.169.254/x.json"},
        {"client_id": client_id, "redirect_uri": "javascript:alert(1)"},
    ):
        _, challenge = _pkce()
        r = get_as_ann(site, _authorize_url(site, code_challenge=challenge, code_challenge_method="S256", **params))
        assert r.status_code < 500, (params, r.status_code, r.text[:500])
        location = r.headers.get("location", "")
        assert not location or location.startswith(REDIRECT_URI), (params, location)
    assert "Traceback" not in site.server.log


def test_metadata_documents_on_internal_addresses_or_with_another_client_id_are_refused(site):
    def authorize_as(client_id: str) -> httpx.Response:
        _, challenge = _pkce()
        return get_as_ann(site, _authorize_url(site, client_id, code_challenge=challenge, code_challenge_method="S256"))

    good = {"redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none"}
    # 127.0.0.1 is not an allowed host (only "localhost" is), nor is the cloud metadata address.
    site.documents.documents["/loopback.json"] = {
        **good,
        "client_id": site.documents.url("/loopback.json", "127.0.0.1"),
    }
    for client_id in (
        site.documents.url("/loopback.json", "127.0.0.1"),
        "https://169.254.169.254/latest/meta-data.json",
        "https://[::1]:8443/client.json",
    ):
        r = authorize_as(client_id)
        assert r.status_code in (400, 401) and "location" not in r.headers, (client_id, r.status_code)
    assert "/loopback.json" not in site.documents.fetches

    # A document naming another client_id than its URL.
    site.documents.documents["/liar.json"] = {**good, "client_id": "https://claude.ai/oauth/client.json"}
    r = authorize_as(site.documents.url("/liar.json"))
    assert r.status_code in (400, 401) and "location" not in r.headers
    assert "/liar.json" in site.documents.fetches
    # A document with a redirect URI this server does not accept.
    site.documents.documents["/bad-redirect.json"] = {
        **good,
        "client_id": site.documents.url("/bad-redirect.json"),
        "redirect_uris": ["http://evil.example/cb"],
    }
    r = authorize_as(site.documents.url("/bad-redirect.json"))
    assert r.status_code in (400, 401) and "location" not in r.headers
    # Too large a document, and a redirect (to a good document): both refused.
    site.documents.documents["/huge.json"] = {**good, "client_id": site.documents.url("/huge.json"), "pad": "x" * 20000}
    site.documents.documents["/moved.json"] = {"redirect_to": site.documents.url("/target.json")}
    site.documents.documents["/target.json"] = {**good, "client_id": site.documents.url("/moved.json")}
    for path in ("/huge.json", "/moved.json"):
        r = authorize_as(site.documents.url(path))
        assert r.status_code in (400, 401) and "location" not in r.headers, path
        assert path in site.documents.fetches
    assert "/target.json" not in site.documents.fetches
    assert "Traceback" not in site.server.log


# A person opening the endpoint in a browser.

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_a_browser_opening_the_endpoint_gets_a_page(site):
    r = httpx.get(site.mcp, headers=BROWSER)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert site.mcp in r.text and "MCP" in r.text and "sign in" in r.text
    # MCP clients are not shown the page: with their headers, or asking for an event stream.
    for headers in ({**BROWSER, "MCP-Protocol-Version": "2025-11-25"}, {"Accept": "text/event-stream"}):
        assert not httpx.get(site.mcp, headers=headers).headers.get("content-type", "").startswith("text/html")


def test_the_page_without_a_template_engine(sse_server):
    r = httpx.get(sse_server.url + "/mcp/http", headers=BROWSER)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert sse_server.url + "/mcp/http" in r.text and "Model Context Protocol" in r.text
    # The same from Django's views (include("django_mcp.urls")).
    r = httpx.get(sse_server.url + "/viaurls/ann/http", headers=BROWSER)
    assert r.status_code == 200 and sse_server.url + "/viaurls/ann/http" in r.text


def test_deny_and_the_connected_clients_page(site):
    client_id = _register(site, client_name="Connected Agent").json()["client_id"]
    verifier, challenge = _pkce()
    url = _authorize_url(site, client_id, code_challenge=challenge, code_challenge_method="S256")
    denied = parse_qs(urlsplit(_run(log_in_and_allow(url, allow=False))).query)
    assert denied["error"] == ["access_denied"] and denied["state"] == ["st-1"] and "code" not in denied
    token = _exchange(site, client_id, _code_for(site, client_id, challenge), verifier).json()["access_token"]
    assert _bearer_call(site, token).status_code == 200

    async def disconnect() -> tuple[str, str]:
        async with httpx.AsyncClient(base_url=site.url, timeout=30) as browser:
            form = await browser.get("/accounts/login/")
            await browser.post(
                "/accounts/login/", data={**_hidden_fields(form.text), "username": "ann", "password": PASSWORD}
            )
            page = (await browser.get("/oauth/clients/")).text
            action = re.search(
                r'<form method="post" action="([^"]+)"[^>]*>\s*<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"',
                page[page.index("Connected Agent") :],
            )
            r = await browser.post(action[1], data={"csrfmiddlewaretoken": action[2]}, headers={"Referer": site.url})
            assert r.status_code == 302, r.text
            return page, (await browser.get("/oauth/clients/")).text

    before, after = _run(disconnect())
    assert "Connected Agent" in before and "Connected Agent" not in after
    assert _bearer_call(site, token).status_code == 401


def test_the_example_project_is_its_own_authorization_server(example_server):
    protected = httpx.get(example_server.url + "/.well-known/oauth-protected-resource/mcp/http").json()
    assert [s.rstrip("/") for s in protected["authorization_servers"]] == [example_server.url]
    doc = httpx.get(example_server.url + "/.well-known/oauth-authorization-server").json()
    assert (
        doc["scopes_supported"] == ["mcp"] and doc["registration_endpoint"] == example_server.url + "/oauth/register/"
    )
    login = httpx.get(example_server.url + "/accounts/login/")
    assert login.status_code == 200 and "csrfmiddlewaretoken" in login.text


def test_typescript_sdk_client(site):
    """The same flow with the TypeScript SDK's OAuth support (Node tools: scripts/test.sh installs them)."""
    import subprocess

    interop = TESTS.parent / "interop"
    node = interop / "node_modules" / ".bin" / "node"
    if not node.exists():
        pytest.fail("Node tools are missing: run `cd tests/interop && npm ci` (scripts/test.sh does)")
    process = subprocess.Popen(
        [str(node), str(TESTS / "oauth_client.mjs"), str(interop), site.mcp],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "HOME": str(interop / ".home")},
    )
    watchdog = threading.Timer(120, process.kill)
    watchdog.start()
    try:
        first = process.stdout.readline()
        assert first, process.stderr.read()
        authorize = json.loads(first)["authorize"]
        query = parse_qs(urlsplit(authorize).query)
        assert query["code_challenge_method"] == ["S256"] and query["resource"] == [site.mcp]
        seen: dict = {}
        process.stdin.write(_run(log_in_and_allow(authorize, seen=seen)) + "\n")
        process.stdin.flush()
        done = json.loads(process.stdout.readline() or "null") or process.stderr.read()
        assert isinstance(done, dict), done
    finally:
        watchdog.cancel()
        process.kill()
        process.wait()
    assert "TypeScript Agent" in seen["consent"]
    assert done["text"] == "80 EUR" and done["tokens"]["refresh_token"]
    assert _bearer_call(site, done["tokens"]["access_token"]).status_code == 200


# The official conformance suite's authorization server checks.

INTEROP = TESTS.parent / "interop"
SUITE = INTEROP / "node_modules" / "conformance-next" / "dist" / "index.js"


@pytest.mark.parametrize("registration", ["dynamic registration", "metadata document"])
def test_conformance_suite_authorization(site, registration, tmp_path):
    """``conformance authorization``: the metadata (with Client ID Metadata
    Document support) found by discovery, then the authorization code grant,
    whose browser step is the login form and the consent page over HTTP."""
    import subprocess

    node = INTEROP / "node_modules" / ".bin" / "node"
    if not node.exists():
        pytest.fail("Node tools are missing: run `cd tests/interop && npm ci` (scripts/test.sh does)")
    port = free_port()
    redirect_uri = f"http://127.0.0.1:{port}/callback"
    if registration == "dynamic registration":
        client_id = _register(site, client_name="Conformance", redirect_uris=[redirect_uri]).json()["client_id"]
    else:
        path = f"/conformance-{port}.json"
        client_id = site.documents.url(path)
        site.documents.documents[path] = {
            "client_id": client_id,
            "client_name": "Conformance",
            "redirect_uris": [redirect_uri],
            "token_endpoint_auth_method": "none",
        }
    command = [str(node), str(SUITE), "authorization", "--url", site.url, "--client-id", client_id]
    command += ["--resource", site.mcp, "--port", str(port), "--output-dir", str(tmp_path)]
    process = subprocess.Popen(
        command,
        cwd=INTEROP,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "HOME": str(INTEROP / ".home")},
    )
    watchdog = threading.Timer(180, process.kill)
    watchdog.start()
    try:
        printed = []
        # The suite prints the authorization URL for a person to open, and waits for the callback.
        for line in process.stdout:
            printed.append(line)
            if line.startswith(site.url + "/oauth/authorize/?"):
                location = _run(log_in_and_allow(line.strip()))
                assert location.startswith(redirect_uri + "?"), location
                assert httpx.get(location, timeout=30).status_code == 200  # the suite's callback server
                break
        printed.append(process.stdout.read())
        process.wait()
    finally:
        watchdog.cancel()
        process.kill()
    output = "".join(printed)
    checks = {
        check["id"]: check for result in tmp_path.glob("**/checks.json") for check in json.loads(result.read_text())
    }
    assert set(checks) == {
        "authorization-server-metadata",
        "authorization-server-metadata-cimd",
        "authorization-code-grant",
    }, output
    assert {c["id"]: c["status"] for c in checks.values()} == dict.fromkeys(checks, "SUCCESS"), output
    assert process.returncode == 0 and "Total: 3 passed, 0 failed" in output, output
    query = parse_qs(urlsplit(checks["authorization-code-grant"]["details"]["authorizationRequest"]).query)
    assert query["resource"] == [site.mcp] and query["code_challenge_method"] == ["S256"]
    assert "Traceback" not in site.server.log
