"""Hosting variations: no lifespan events, inside channels' ProtocolTypeRouter,
and how ASGI servers see the mount."""

import os

import pytest
from conftest import _test_project, django_python, rpc


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


def test_servers_see_an_asgi3_application(tmp_path):
    """The mount's ``__call__`` returns the coroutine that answers the request
    rather than being one: servers must still take it for an ASGI 3 app (one
    taken for ASGI 2 would be called with the scope alone and fail on every
    request), and each branch must give a coroutine, which
    ``asyncio.create_task`` needs."""
    env = {
        **os.environ,
        "TEST_DB": str(tmp_path / "db.sqlite3"),
        "DJANGO_SETTINGS_MODULE": "testproject.settings",
    }
    out = django_python(
        """
import asyncio, inspect
from asgiref.compatibility import guarantee_single_callable
from uvicorn.config import Config
from testproject.asgi import application as mount

config = Config(app=mount, lifespan="off")
config.load()
print(config.interface)
print(guarantee_single_callable(mount) is mount)
print(asyncio.iscoroutinefunction(mount.__call__))

sent = []
received = []

async def receive():
    received.append(1)
    if len(received) % 2:
        return {"type": "http.request", "body": b"", "more_body": False}
    await asyncio.sleep(0.2)
    return {"type": "http.disconnect"}

async def send(message):
    sent.append(message)

def scope(path, method="GET", headers=()):
    return {"type": "http", "method": method, "path": path, "root_path": "", "query_string": b"",
            "headers": list(headers), "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5000),
            "scheme": "http", "http_version": "1.1", "asgi": {"version": "3.0"}}

async def main():
    for s in (scope("/slug/x/health"), scope("/slug/x/http", headers=[(b"accept", b"text/html")]),
              scope("/slug/x/http", "POST"), scope("/no-such-page/")):
        received.clear()
        answer = mount(s, receive, send)
        print(inspect.iscoroutine(answer))
        await asyncio.create_task(answer)
    print([m["status"] for m in sent if m["type"] == "http.response.start"])
    print(sent[-1]["body"].decode())

asyncio.run(main())
""",
        env,
    )
    lines = out.splitlines()
    assert lines[:3] == ["asgi3", "True", "True"], out
    assert lines[3:7] == ["True"] * 4, out
    # The health check, the browser's page, the POST's refusal (no
    # Content-Type), and Django's view for a path outside every mount.
    assert lines[7:] == ["[200, 200, 415, 200]", "django saw /no-such-page/"], out
