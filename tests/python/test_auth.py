"""Authentication and authorization against a real server: Django logins,
API tokens from `manage.py mcp_token`, django-oauth-toolkit issuing tokens at
its token endpoint, JWTs checked against a JWKS served on 127.0.0.1, and the
official Python SDK client sending bearer tokens."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import jwt
import pytest
from conftest import HEADERS, _test_project, django_manage, django_python
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "https://issuer.test"


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


SIGNING_KEY = _key()
OTHER_KEY = _key()


class _JWKS(BaseHTTPRequestHandler):
    def do_GET(self):
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(SIGNING_KEY.public_key()))
        body = json.dumps({"keys": [{**public, "kid": "test-key", "use": "sig", "alg": "RS256"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def jwks_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _JWKS)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json"
    server.shutdown()


class AuthServer:
    def __init__(self, server, env):
        self.server, self.env, self.url = server, env, server.url

    def manage(self, *args: str) -> str:
        return django_manage(self.env, *args)

    def python(self, code: str) -> str:
        return django_python(code, self.env)


def _auth_server(tmp_path_factory, name: str, jwks: str, **extra: str) -> AuthServer:
    env = {"DJANGO_SETTINGS_MODULE": "testproject.auth_settings", "MCP_TEST_JWKS_URL": jwks, **extra}
    server = _test_project(tmp_path_factory, name, env)
    full_env = {**os.environ, "TEST_DB": server_db(server), **env}
    return AuthServer(server, full_env)


def server_db(server) -> str:
    # _test_project keeps the database next to the server's log.
    return str(server.log_path.parent / "db.sqlite3")


@pytest.fixture(scope="module")
def auth(tmp_path_factory, jwks_url):
    s = _auth_server(tmp_path_factory, "auth", jwks_url)
    s.python(
        "from django.contrib.auth.models import User\n"
        "User.objects.create_user('ann', password='ann-pass')\n"
        "User.objects.create_user('bob', password='bob-pass')\n"
    )
    yield s
    s.server.stop()


def rpc(url, method, params=None, headers=None, cookies=None):
    message = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}
    return httpx.post(
        url,
        json=message,
        headers={**HEADERS, "MCP-Protocol-Version": "2025-11-25", **(headers or {})},
        cookies=cookies,
        timeout=30,
    )


def result_of(r):
    assert r.status_code == 200, (r.status_code, r.text)
    return [m for m in _messages(r) if "id" in m][-1]


def _messages(r):
    if r.headers["content-type"].startswith("application/json"):
        return [r.json()]
    return [json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: {")]


def whoami(url, headers=None, cookies=None):
    return result_of(rpc(url, "tools/call", {"name": "whoami_auth", "arguments": {}}, headers, cookies))["result"][
        "structuredContent"
    ]


def tool_names(url, headers=None):
    return {t["name"] for t in result_of(rpc(url, "tools/list", {}, headers))["result"]["tools"]}


#: MCP_AUTH_CACHE_SECONDS of the auth test settings: how long a change made in
#: another process may go unseen.
CACHE_SECONDS = 1.0


def refused_within(url, headers, seconds):
    """The first 401 answer to tools/list, which must come within ``seconds``
    (and a little slack for a loaded machine) of now."""
    start = time.monotonic()
    while True:
        r = rpc(url, "tools/list", {}, headers)
        if r.status_code == 401:
            return r
        assert r.status_code == 200, r.text
        assert time.monotonic() - start < seconds + 2, f"still accepted after {time.monotonic() - start:.1f}s"
        time.sleep(0.05)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# RFC 9728 and the 401 challenge.


def test_protected_resource_metadata(auth):
    doc = httpx.get(auth.url + "/.well-known/oauth-protected-resource/mcp/http").json()
    assert doc["resource"] == auth.url + "/mcp/http"
    assert doc["authorization_servers"] == [ISSUER]
    assert doc["scopes_supported"] == ["invoices:read", "tools"]
    assert doc["bearer_methods_supported"] == ["header"]
    # A mount without path parameters also answers at the bare well-known path
    # (with several such mounts, the outermost one).
    bare = httpx.get(auth.url + "/.well-known/oauth-protected-resource").json()["resource"]
    assert bare in {auth.url + "/mcp/http", auth.url + "/stateful/http"}
    # With parameters, the document names the exact endpoint.
    assert (
        httpx.get(auth.url + "/.well-known/oauth-protected-resource/slug/ann/http").json()["resource"]
        == auth.url + "/slug/ann/http"
    )


def test_a_forged_host_is_refused_before_urls_are_built_from_it(auth):
    """The metadata (cacheable, any origin) and the 401 challenge never name a
    Host the endpoint itself would refuse: they get the endpoint's 403."""
    evil = {"Host": "evil.example"}
    for path in ("/.well-known/oauth-protected-resource/mcp/http", "/.well-known/oauth-protected-resource"):
        r = httpx.get(auth.url + path, headers=evil)
        assert r.status_code == 403, r.text
        assert "max-age" not in r.headers.get("cache-control", "")
        assert "is not allowed" in r.json()["error"]["message"]
    r = rpc(auth.url + "/mcp/http", "tools/call", {"name": "invoice_total", "arguments": {"number": 3}}, evil)
    assert r.status_code == 403 and "www-authenticate" not in r.headers, (r.status_code, r.headers)
    r = rpc(auth.url + "/mcp/http", "tools/list", {}, {**evil, **bearer("not-a-token")})
    assert r.status_code == 403 and "www-authenticate" not in r.headers
    # The real host is served as before.
    assert httpx.get(auth.url + "/.well-known/oauth-protected-resource/mcp/http").status_code == 200


def test_anonymous_calls_to_protected_tools_get_a_challenge(auth):
    r = rpc(auth.url + "/mcp/http", "tools/call", {"name": "invoice_total", "arguments": {"number": 3}})
    assert r.status_code == 401
    challenge = r.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert f'resource_metadata="{auth.url}/.well-known/oauth-protected-resource/mcp/http"' in challenge
    assert 'scope="invoices:read"' in challenge
    # Anonymous callers are served otherwise, and see only what they may use.
    assert whoami(auth.url + "/mcp/http") == {"username": None, "method": None, "scopes": None}
    names = tool_names(auth.url + "/mcp/http")
    assert "whoami_auth" in names and not names & {"invoice_total", "user_count", "my_space"}
    # An escaped method name is the same method: still filtered.
    escaped = b'{"jsonrpc":"2.0","id":1,"method":"tools\\u002f\\u006cist","params":{}}'
    r = httpx.post(auth.url + "/mcp/http", content=escaped, headers={**HEADERS, "MCP-Protocol-Version": "2025-11-25"})
    listed = {t["name"] for t in result_of(r)["result"]["tools"]}
    assert "whoami_auth" in listed and "invoice_total" not in listed


def test_authentication_required_everywhere(tmp_path_factory, jwks_url):
    s = _auth_server(tmp_path_factory, "required", jwks_url, MCP_TEST_AUTH_REQUIRED="1")
    try:
        r = rpc(s.url + "/mcp/http", "tools/list")
        assert r.status_code == 401
        assert (
            "resource_metadata=" in r.headers["www-authenticate"]
            and 'scope="invoices:read tools"' in r.headers["www-authenticate"]
        )
        assert "authentication required" in r.json()["error"]["message"]
    finally:
        s.server.stop()


# API tokens.


def test_api_tokens_from_the_management_command(auth):
    token = auth.manage("mcp_token", "create", "ann", "--name", "laptop", "--scopes", "invoices:read")
    assert token.startswith("mcp_")
    url = auth.url + "/mcp/http"
    assert whoami(url, bearer(token)) == {"username": "ann", "method": "token", "scopes": ["invoices:read"]}
    total = result_of(rpc(url, "tools/call", {"name": "invoice_total", "arguments": {"number": 4}}, bearer(token)))
    assert total["result"]["content"][0]["text"] == "40 EUR"
    assert "invoice_total" in tool_names(url, bearer(token))

    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    refused = rpc(url, "tools/list", {}, bearer(tampered))
    assert refused.status_code == 401 and 'error="invalid_token"' in refused.headers["www-authenticate"]

    prefix = token.split("_")[1]
    listed = auth.manage("mcp_token", "list")
    assert prefix in listed and "live" in listed and token not in listed
    auth.manage("mcp_token", "revoke", prefix)
    # Revoked in another process: refused once the server's remembered verification lapses.
    assert refused_within(url, bearer(token), CACHE_SECONDS).status_code == 401
    assert "revoked" in auth.manage("mcp_token", "list")
    # Tokens are stored hashed: the database never holds the text.
    stored = auth.python(
        "from django_mcp.tokens.models import APIToken\nprint([t.digest for t in APIToken.objects.all()])"
    )
    assert token not in stored and token.split("_", 2)[2] not in stored


def test_missing_scope_is_403_insufficient_scope(auth):
    token = auth.manage("mcp_token", "create", "bob", "--scopes", "tools")
    url = auth.url + "/mcp/http"
    assert "invoice_total" not in tool_names(url, bearer(token))
    r = rpc(url, "tools/call", {"name": "invoice_total", "arguments": {"number": 1}}, bearer(token))
    assert r.status_code == 403
    assert (
        'error="insufficient_scope"' in r.headers["www-authenticate"]
        # Step-up: what the tool needs, and what the token already has (so re-authorizing keeps it).
        and 'scope="invoices:read tools"' in r.headers["www-authenticate"]
    )


def test_django_permissions_filter_lists_and_refuse_calls(auth):
    token = auth.manage("mcp_token", "create", "bob", "--scopes", "tools")
    url = auth.url + "/mcp/http"
    assert "user_count" not in tool_names(url, bearer(token))
    refused = result_of(rpc(url, "tools/call", {"name": "user_count", "arguments": {}}, bearer(token)))
    assert refused["error"]["code"] == -32602
    assert "Forbidden: tool user_count: user 'bob' lacks permission auth.view_user" in refused["error"]["message"]
    prompts = {p["name"] for p in result_of(rpc(url, "prompts/list", {}, bearer(token)))["result"]["prompts"]}
    assert "staff_briefing" not in prompts
    assert "MCP tool user_count refused for bob" in auth.server.log

    auth.python(
        "from django.contrib.auth.models import Permission, User\n"
        "User.objects.get(username='bob').user_permissions.add(Permission.objects.get(codename='view_user'))\n"
    )
    assert "user_count" in tool_names(url, bearer(token))
    counted = result_of(rpc(url, "tools/call", {"name": "user_count", "arguments": {}}, bearer(token)))
    assert counted["result"]["structuredContent"]["result"] >= 2


def test_path_parameters_are_not_identity(auth):
    token = auth.manage("mcp_token", "create", "ann")
    own = result_of(
        rpc(auth.url + "/slug/ann/http", "tools/call", {"name": "my_space", "arguments": {}}, bearer(token))
    )
    assert own["result"]["content"][0]["text"] == "the space of ann"
    other = result_of(
        rpc(auth.url + "/slug/bob/http", "tools/call", {"name": "my_space", "arguments": {}}, bearer(token))
    )
    assert "Forbidden" in other["error"]["message"]
    assert "my_space" not in tool_names(auth.url + "/slug/bob/http", bearer(token))


# Django's session cookie, with CSRF.


def test_session_login_with_csrf(auth):
    with httpx.Client(base_url=auth.url) as browser:
        csrf = browser.get("/login/").json()["csrftoken"]
        assert (
            browser.post(
                "/login/", data={"username": "ann", "password": "wrong"}, headers={"X-CSRFToken": csrf}
            ).status_code
            == 401
        )
        logged_in = browser.post(
            "/login/", data={"username": "ann", "password": "ann-pass"}, headers={"X-CSRFToken": csrf}
        )
        assert logged_in.status_code == 200 and "sessionid" in browser.cookies
        cookies = dict(browser.cookies)
    url = auth.url + "/mcp/http"
    # The cookie alone is what a cross-site page could send: refused.
    no_token = rpc(url, "tools/list", {}, cookies=cookies)
    assert no_token.status_code == 403 and "CSRF" in no_token.json()["error"]["message"]
    fresh_csrf = cookies["csrftoken"]
    assert whoami(url, {"X-CSRFToken": fresh_csrf}, cookies) == {"username": "ann", "method": "session", "scopes": None}
    # A session cookie that is not a session: anonymous.
    assert (
        whoami(url, {"X-CSRFToken": fresh_csrf}, {"sessionid": "nonsense", "csrftoken": fresh_csrf})["username"] is None
    )


# django-oauth-toolkit.


def _oauth_app(auth) -> tuple[str, str]:
    out = auth.python(
        "from oauth2_provider.models import Application\n"
        "from django.contrib.auth.models import User\n"
        "app = Application(name='cli', client_type='confidential', authorization_grant_type='password', user=User.objects.get(username='ann'), client_secret='s3cret-s3cret')\n"
        "app.save()\n"
        "print(app.client_id)\n"
    )
    return out.splitlines()[-1], "s3cret-s3cret"


def test_oauth_toolkit_tokens(auth):
    client_id, secret = _oauth_app(auth)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    issued = httpx.post(
        auth.url + "/o/token/",
        data={"grant_type": "password", "username": "ann", "password": "ann-pass", "scope": "invoices:read"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert issued.status_code == 200, issued.text
    access = issued.json()["access_token"]
    url = auth.url + "/mcp/http"
    assert whoami(url, bearer(access)) == {"username": "ann", "method": "oauth2", "scopes": ["invoices:read"]}

    async def with_sdk():
        import httpx2
        from mcp import Client
        from mcp.client.streamable_http import streamable_http_client

        async with (
            httpx2.AsyncClient(headers=bearer(access)) as http,
            Client(streamable_http_client(url, http_client=http), mode="legacy") as client,
        ):
            return await client.call_tool("invoice_total", {"number": 9})

    result = asyncio.run(asyncio.wait_for(with_sdk(), 60))
    assert result.content[0].text == "90 EUR"

    auth.python(
        "from oauth2_provider.models import AccessToken\n"
        "from django.utils import timezone\n"
        "from datetime import timedelta\n"
        "AccessToken.objects.update(expires=timezone.now() - timedelta(minutes=1))\n"
    )
    expired = refused_within(url, bearer(access), CACHE_SECONDS)
    assert expired.status_code == 401 and "expired" in expired.headers["www-authenticate"]

    # RFC 8707: a token requested for this endpoint works; one for another server does not.
    def token_for(resource: str) -> str:
        r = httpx.post(
            auth.url + "/o/token/",
            data={
                "grant_type": "password",
                "username": "ann",
                "password": "ann-pass",
                "scope": "invoices:read",
                "resource": resource,
            },
            headers={"Authorization": f"Basic {basic}"},
        )
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    assert whoami(url, bearer(token_for(url)))["username"] == "ann"
    elsewhere = rpc(url, "tools/list", {}, bearer(token_for("https://other-server.example/mcp")))
    assert elsewhere.status_code == 401 and "another resource" in elsewhere.json()["error"]["message"]


# JWTs against a JWKS.


def _jwt(auth, key=SIGNING_KEY, **claims) -> str:
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "sub": "ann",
        "aud": auth.url + "/mcp/http",
        "iat": now,
        "exp": now + 300,
        "scope": "invoices:read",
        **claims,
    }
    return jwt.encode(
        {k: v for k, v in payload.items() if v is not None}, key, algorithm="RS256", headers={"kid": "test-key"}
    )


def test_jwt_access_tokens(auth):
    url = auth.url + "/mcp/http"
    assert whoami(url, bearer(_jwt(auth))) == {"username": "ann", "method": "jwt", "scopes": ["invoices:read"]}
    # A subject with no Django user is authenticated, with no permissions.
    assert whoami(url, bearer(_jwt(auth, sub="service-7")))["username"] == "service-7"

    def refused(token: str, why: str) -> None:
        r = rpc(url, "tools/list", {}, bearer(token))
        assert r.status_code == 401, (why, r.text)
        assert 'error="invalid_token"' in r.headers["www-authenticate"]
        assert why in r.json()["error"]["message"], r.json()

    refused(_jwt(auth, exp=int(time.time()) - 60), "expired")
    refused(_jwt(auth, aud="https://other-server.example/mcp"), "another resource")
    refused(_jwt(auth, iss="https://evil.example"), "issuer")
    refused(_jwt(auth, key=OTHER_KEY), "not valid")
    header, payload, signature = _jwt(auth).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, "sub": "bob"}).encode()).rstrip(b"=").decode()
    refused(f"{header}.{forged}.{signature}", "not valid")
    refused("not-a-token-at-all", "not accepted")

    async def with_sdk():
        import httpx2
        from mcp import Client
        from mcp.client.streamable_http import streamable_http_client

        async with (
            httpx2.AsyncClient(headers=bearer(_jwt(auth))) as http,
            Client(streamable_http_client(url, http_client=http), mode="auto") as client,
        ):
            return await client.call_tool("whoami_auth", {})

    assert asyncio.run(asyncio.wait_for(with_sdk(), 60)).structured_content["username"] == "ann"
    assert "Bearer ey" not in auth.server.log  # tokens never reach the log


# Sessions belong to who opened them, on the transport they were opened on.

INIT = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}


def _session_post(url, session_id, message, headers=None):
    h = {**HEADERS, "Mcp-Session-Id": session_id, **(headers or {})}
    return httpx.post(url, json=message, headers=h, timeout=15)


def test_a_session_id_in_other_hands_is_an_unknown_session(auth):
    ann = bearer(auth.manage("mcp_token", "create", "ann"))
    bob = bearer(auth.manage("mcp_token", "create", "bob"))
    url = auth.url + "/stateful/http"
    opened = httpx.post(
        url, json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": INIT}, headers={**HEADERS, **ann}
    )
    session_id = opened.headers["mcp-session-id"]
    assert (
        _session_post(url, session_id, {"jsonrpc": "2.0", "method": "notifications/initialized"}, ann).status_code
        == 202
    )
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami_auth", "arguments": {}}}
    answered = _session_post(url, session_id, call, ann)
    assert answered.status_code == 200 and "ann" in answered.text
    first_event = next(line[4:] for line in answered.text.splitlines() if line.startswith("id: "))

    for other in (bob, {}):  # another user, and no user at all
        assert _session_post(url, session_id, call, other).status_code == 404
        replay = {"Accept": "text/event-stream", "Mcp-Session-Id": session_id, "Last-Event-ID": first_event}
        assert httpx.get(url, headers={**replay, **other}, timeout=10).status_code == 404
        assert httpx.delete(url, headers={"Mcp-Session-Id": session_id, **other}).status_code == 404
    # Ann's session is untouched.
    assert _session_post(url, session_id, call, ann).status_code == 200
    log = auth.server.log
    assert "refused: the request comes from another caller or transport" in log and session_id not in log


def test_an_sse_session_is_bound_to_its_owner_and_its_transport(auth):
    ann = bearer(auth.manage("mcp_token", "create", "ann"))
    bob = bearer(auth.manage("mcp_token", "create", "bob"))
    with (
        httpx.Client(timeout=15) as client,
        client.stream("GET", auth.url + "/stateful/sse", headers={"Accept": "text/event-stream", **ann}) as stream,
    ):
        lines = stream.iter_lines()
        assert next(lines) == "event: endpoint"
        endpoint = next(lines)[len("data: ") :]
        session_id = endpoint.split("session_id=")[1]
        ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        # Another user cannot post into the stream, nor read it through the other transport.
        assert httpx.post(auth.url + endpoint, json=ping, headers=bob).status_code == 404
        assert httpx.post(auth.url + endpoint, json=ping).status_code == 404
        through_http = {"Accept": "text/event-stream", "Mcp-Session-Id": session_id, "Last-Event-ID": "0.0"}
        assert httpx.get(auth.url + "/stateful/http", headers={**through_http, **ann}, timeout=10).status_code == 404
        init = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": INIT}
        assert httpx.post(auth.url + endpoint, json=init, headers=ann).status_code == 202


def test_a_user_cancels_only_their_own_calls_on_the_stateless_transport(auth):
    ann = bearer(auth.manage("mcp_token", "create", "ann"))
    bob = bearer(auth.manage("mcp_token", "create", "bob"))
    url = auth.url + "/mcp/http"
    gate = f"auth-cancel-{time.monotonic_ns()}"
    answer = {}

    def call():
        answer["r"] = rpc(url, "tools/call", {"name": "cancellable", "arguments": {"gate": gate}}, ann)

    caller = threading.Thread(target=call)
    caller.start()
    time.sleep(0.5)

    def cancel(who):
        message = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}
        h = {**HEADERS, "MCP-Protocol-Version": "2025-11-25", **who}
        assert httpx.post(url, json=message, headers=h).status_code == 202

    def was_cancelled():
        result = result_of(rpc(url, "tools/call", {"name": "is_waiting_cancelled", "arguments": {"gate": gate}}))
        return result["result"]["content"][0]["text"] == "true"

    cancel(bob)
    time.sleep(0.3)
    assert not was_cancelled()
    cancel(ann)  # from another connection, as the same user
    caller.join(10)
    assert was_cancelled() and not caller.is_alive()
