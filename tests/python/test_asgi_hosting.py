"""Hosting variations: no lifespan events, and inside channels' ProtocolTypeRouter."""

import pytest
from conftest import _test_project, rpc


@pytest.mark.parametrize(
    "app, extra",
    [
        ("testproject.asgi:application", ("--lifespan", "off")),
        ("testproject.channels_asgi:application", ()),
    ],
)
def test_serves_without_lifespan(tmp_path_factory, app, extra):
    pytest.importorskip("channels")
    server = _test_project(tmp_path_factory, "hosting", {}, app=app, extra=extra)
    try:
        url = server.url + "/slug/chan-1/http"
        msg = rpc(
            url, "tools/call", {"name": "path_info", "arguments": {}}, headers={"MCP-Protocol-Version": "2025-06-18"}
        )
        assert msg["result"]["structuredContent"] == {"user_uuid": ["str", "chan-1"]}
        assert rpc(url, "tools/call", {"name": "sync_orm", "arguments": {"text": "c"}})["result"]["isError"] is False
        assert "Task group is not initialized" not in server.log
    finally:
        server.stop()
