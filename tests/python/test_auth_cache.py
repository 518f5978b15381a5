"""Verified bearer tokens remembered in each process (MCP_AUTH_CACHE_SECONDS):
two uvicorn processes share one database; a revocation or a deactivation made
in one process is seen there at once, and in the other within the bound."""

from __future__ import annotations

import time

import pytest
from conftest import TESTS, start_server
from test_auth import _auth_server, _jwt, bearer, jwks_url, refused_within, result_of, rpc, whoami  # noqa: F401

BOUND = 2.0


@pytest.fixture(scope="module")
def two(tmp_path_factory, jwks_url):  # noqa: F811
    first = _auth_server(tmp_path_factory, "auth-cache", jwks_url, MCP_TEST_AUTH_CACHE_SECONDS=str(BOUND))
    first.python(
        "from django.contrib.auth.models import User\n"
        "User.objects.create_user('cat', password='cat-pass')\n"
        "User.objects.create_user('dan', password='dan-pass')\n"
    )
    second = start_server("testproject.asgi:application", TESTS, tmp_path_factory.mktemp("auth-cache-2"), first.env)
    yield first, second.url + "/mcp/http"
    second.stop()
    first.server.stop()


def token_for(server, username: str) -> str:
    return server.manage("mcp_token", "create", username, "--scopes", "tools")


def test_revoked_in_one_process_refused_there_at_once_and_in_the_other_within_the_bound(two):
    first, other = two
    here = first.url + "/mcp/http"
    token = token_for(first, "cat")
    assert whoami(here, bearer(token))["username"] == "cat"
    assert whoami(other, bearer(token))["username"] == "cat"  # now remembered by both processes

    revoked = result_of(rpc(here, "tools/call", {"name": "revoke_own_token", "arguments": {}}, bearer(token)))
    assert revoked["result"]["content"][0]["text"] == "revoked"
    assert rpc(here, "tools/list", {}, bearer(token)).status_code == 401  # same process: at once
    refused_within(other, bearer(token), BOUND)  # the other process: within the bound


def test_deactivated_user_refused_within_the_bound_everywhere(two):
    first, other = two
    token = token_for(first, "dan")
    for url in (first.url + "/mcp/http", other):
        assert whoami(url, bearer(token))["username"] == "dan"
    # A queryset update sends no signal: only the bound limits how long it goes unseen.
    first.python(
        "from django.contrib.auth.models import User\nUser.objects.filter(username='dan').update(is_active=False)"
    )
    started = time.monotonic()
    for url in (first.url + "/mcp/http", other):
        refused = refused_within(url, bearer(token), BOUND - (time.monotonic() - started))
        assert 'error="invalid_token"' in refused.headers["www-authenticate"]


def test_refusals_are_not_remembered(two):
    first, other = two
    token = token_for(first, "cat")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for _ in range(3):
        assert rpc(other, "tools/list", {}, bearer(tampered)).status_code == 401
    assert whoami(other, bearer(token))["username"] == "cat"


def test_a_deactivated_users_jwt_is_refused(two):
    first, _ = two
    first.python("from django.contrib.auth.models import User\nUser.objects.create_user('eve', password='eve-pass')")
    url = first.url + "/mcp/http"
    token = _jwt(first, sub="eve")
    assert whoami(url, bearer(token))["username"] == "eve"
    first.python(
        "from django.contrib.auth.models import User\nUser.objects.filter(username='eve').update(is_active=False)"
    )
    refused = refused_within(url, bearer(_jwt(first, sub="eve", jti="another")), BOUND)
    assert "inactive" in refused.headers["www-authenticate"]
