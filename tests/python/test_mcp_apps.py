"""MCP Apps (the io.modelcontextprotocol/ui extension) through a real server
and the official Python SDK client: a tool's view is a ui:// resource with the
extension's MIME type and CSP, linked from the tool's _meta, advertised as an
extension in every revision; the view's own calls are ordinary tools/call
requests, under the same authentication and permissions."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import httpx
import pytest
from conftest import HEADERS, TESTS, _test_project, django_python
from mcp import Client

VIEW = "ui://weather/dashboard"
MIME_TYPE = "text/html;profile=mcp-app"
EXTENSION = "io.modelcontextprotocol/ui"


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    env = {
        "DJANGO_SETTINGS_MODULE": "testproject.auth_settings",
        "MCP_TEST_JWKS_URL": "http://127.0.0.1:9/jwks.json",  # no JWT is sent in these tests
        "MCP_TEST_SETTINGS": '{"MCP_DIRS": ["apps_ui"]}',
    }
    server = _test_project(tmp_path_factory, "apps", env)
    server.env = {**os.environ, "TEST_DB": str(server.log_path.parent / "db.sqlite3"), **env}
    django_python(
        "from django.contrib.auth.models import Permission, User\n"
        "User.objects.create_user('ann')\n"
        "User.objects.create_user('staff').user_permissions.add(Permission.objects.get(codename='view_user'))\n",
        server.env,
    )
    yield server
    server.stop()


def token_for(server, username: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "django", "mcp_token", "create", username],
        cwd=TESTS,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
def test_a_client_sees_the_view_of_a_tool_and_reads_it(apps, mode):
    async def go():
        async with Client(apps.url + "/mcp/http", mode=mode) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            resources = {str(r.uri): r for r in (await client.list_resources()).resources}
            page = await client.read_resource(VIEW)
            result = await client.call_tool("forecast", {"city": "Oslo"})
            return tools, resources, page, result

    tools, resources, page, result = run(go())
    meta = tools["forecast"].meta
    assert meta["ui"] == {"resourceUri": VIEW}
    assert meta["ui/resourceUri"] == VIEW  # the key hosts of the extension's drafts read
    # A tool only its view calls needs a permission this anonymous caller lacks: not listed.
    assert "refresh_dashboard" not in tools

    listed = resources[VIEW]
    assert listed.mime_type == MIME_TYPE and listed.title == "Weather dashboard"
    assert listed.meta["ui"]["csp"] == {
        "connectDomains": ["https://api.weather.example"],
        "resourceDomains": ["https://cdn.example"],
    }

    (contents,) = page.contents
    assert str(contents.uri) == VIEW and contents.mime_type == MIME_TYPE
    assert contents.text.startswith("<!DOCTYPE html>")
    assert "<li>Oslo</li><li>Lima</li>" in contents.text  # rendered from the Django template
    assert contents.meta["ui"] == {
        "csp": {"connectDomains": ["https://api.weather.example"], "resourceDomains": ["https://cdn.example"]},
        "permissions": {"geolocation": {}},
        "prefersBorder": True,
    }
    # The tool still answers in text for hosts without the extension.
    assert result.is_error is False and result.structured_content == {"city": "Oslo", "sky": "clear"}


def test_the_extension_is_advertised_in_each_revision(apps):
    async def capabilities(mode):
        async with Client(apps.url + "/mcp/http", mode=mode) as client:
            if client.server_capabilities is None:  # a pinned 2026-07-28 client skips discovery
                return None
            return client.server_capabilities.extensions

    # Handshake era: initialize's capabilities.extensions.
    assert run(capabilities("legacy")) == {EXTENSION: {}}
    # 2026-07-28: server/discover's capabilities.extensions.
    assert run(capabilities("auto")) == {EXTENSION: {}}


def test_the_views_own_calls_pass_the_same_gate(apps):
    url = apps.url + "/mcp/http"

    def call(token: str | None):
        headers = {**HEADERS, "MCP-Protocol-Version": "2025-11-25"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "refresh_dashboard"}}
        return httpx.post(url, json=message, headers=headers, timeout=30)

    anonymous = call(None)
    assert anonymous.status_code == 401 and "www-authenticate" in anonymous.headers
    refused = call(token_for(apps, "ann"))
    assert "lacks permission auth.view_user" in refused.text
    allowed = call(token_for(apps, "staff"))
    assert allowed.status_code == 200 and '"refreshed"' in allowed.text
    tools = httpx.post(
        url,
        json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        headers={
            **HEADERS,
            "MCP-Protocol-Version": "2025-11-25",
            "Authorization": f"Bearer {token_for(apps, 'staff')}",
        },
        timeout=30,
    )
    assert '"visibility":["app"]' in tools.text  # hosts keep it from the model, and let the view call it


def test_views_are_checked_when_registered():
    from django_mcp import MCPApp, RegistrationError, ToolUI

    def page() -> str:
        return "<p>"

    app = MCPApp()
    with pytest.raises(RegistrationError, match="fixed ui:// resource URI"):
        app.add_tool(page, ui="https://example.com/page")
    with pytest.raises(RegistrationError, match="visibility"):
        app.add_tool(page, ui=ToolUI("ui://x", visibility=["agent"]))
    with pytest.raises(RegistrationError, match="unknown CSP keys"):
        app.add_ui_resource("ui://x", page, csp={"script_domains": ["https://cdn"]})
    with pytest.raises(RegistrationError, match="unknown permissions"):
        app.add_ui_resource("ui://x", page, browser_permissions=["usb"])


def test_a_tool_naming_a_missing_view_fails_the_checks(tmp_path):
    extra = tmp_path / "views"
    extra.mkdir()
    (extra / "orphan.py").write_text(
        "from django_mcp import mcp_app\n\n\n"
        "@mcp_app.tool(ui='ui://nowhere/page')\n"
        "def orphan() -> str:\n"
        "    return 'no page'\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "testproject.settings",
        "MCP_TEST_SETTINGS": json.dumps({"MCP_DIRS": [str(extra), "apps_ui"]}),
    }
    done = subprocess.run(
        [sys.executable, "-m", "django", "check"], cwd=TESTS, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "django_mcp.E030" in done.stderr and "'ui://nowhere/page'" in done.stderr
    assert "The MCP tool 'forecast'" not in done.stderr  # its view is registered
