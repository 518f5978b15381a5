"""The logging settings, proven on what a real process writes to its log:
registration lines, call logging, levels, and that credentials never appear."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import TESTS

SCRIPT = """
import django
django.setup()
from django_mcp.test import MCPTestClient
client = MCPTestClient(
    path_params={"user_uuid": "u-1"},
    headers={"Authorization": "Bearer SECRET-TOKEN-123", "Cookie": "sessionid=SECRET-COOKIE-456"},
)
client.call_tool("add", {"a": 1, "b": 2})
client.call_tool("fail", {"message": "kaboom"})
client.call_tool("request_info")
client.call_tool("logged", {"x": 4})
print("PATH_PARAMS", client.call_tool("path_info").structured_content)
"""


def run(**settings) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "testproject.settings",
        "TEST_DB": "",
        "MCP_TEST_SETTINGS": json.dumps(settings),
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=TESTS, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout + done.stderr


def test_registration_is_logged_for_tools_resources_and_prompts():
    log = run()
    assert "Registered MCP tool 'add'" in log
    assert "Registered MCP resource 'greeting://{name}'" in log
    assert "Registered MCP prompt 'greet'" in log
    assert "Registered MCP tool 'wait_for_release':" not in log  # no descriptions by default


def test_descriptions_are_logged_when_asked():
    log = run(MCP_LOG_TOOL_DESCRIPTIONS=True)
    assert "Registered MCP tool 'wait_for_release': Reports progress, then waits until `release(gate)` is called" in log


def test_registration_logging_can_be_turned_off():
    assert "Registered MCP" not in run(MCP_LOG_TOOL_REGISTRATION=False)


def test_calls_are_logged_on_entry_exit_and_exception():
    log = run()
    assert "DEBUG django_mcp MCP tool add called with {'a': 1, 'b': 2}" in log
    assert "DEBUG django_mcp MCP tool add returned 3" in log
    assert "WARNING django_mcp MCP tool fail raised an exception" in log
    assert "Traceback (most recent call last)" in log and "RuntimeError: kaboom" in log


def test_call_logging_can_be_turned_off_but_the_decorator_still_logs():
    log = run(MCP_PATCH_SDK_TOOL_LOGGING=False)
    assert "MCP tool add called" not in log and "MCP tool fail raised an exception" not in log
    # A failure is still recorded server-side, once, at DEBUG.
    assert "DEBUG django_mcp MCP tool fail raised" in log
    assert "MCP tool logged called with {'x': 4}" in log  # @log_mcp_tool_calls


def test_log_level_filters_the_django_mcp_logger():
    log = run(MCP_LOG_LEVEL="WARNING")
    assert "Registered MCP" not in log and "called with" not in log
    assert "WARNING django_mcp MCP tool fail raised an exception" in log


@pytest.mark.parametrize("settings", [{}, {"MCP_LOG_TOOL_DESCRIPTIONS": True}, {"MCP_PATCH_SDK_TOOL_LOGGING": False}])
def test_credentials_and_headers_are_never_logged(settings):
    log = run(**settings)
    assert "SECRET-TOKEN-123" not in log and "SECRET-COOKIE-456" not in log
    assert "Authorization" not in log


@pytest.mark.parametrize("value", [True, False])
def test_path_params_reach_the_context_whatever_patch_sdk_get_context_says(value):
    # The setting existed to patch the upstream SDK; here the Context always has them.
    assert "PATH_PARAMS {'user_uuid': ['str', 'u-1']}" in run(MCP_PATCH_SDK_GET_CONTEXT=value)
