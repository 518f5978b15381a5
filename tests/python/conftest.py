"""Real servers for the tests: uvicorn processes on 127.0.0.1 serving the test
project or the example project, started once per test session."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
TESTS = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A uvicorn process. ``log`` is everything it printed so far."""

    url: str
    process: subprocess.Popen
    log_path: Path

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def start_server(
    app: str, cwd: Path, tmp: Path, env: dict[str, str] | None = None, extra_args: tuple[str, ...] = ()
) -> Server:
    port = free_port()
    log_path = tmp / f"server-{port}.log"
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        *extra_args,
    ]
    process = subprocess.Popen(cmd, cwd=cwd, env=full_env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server {app} exited early:\n{log_path.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return Server(url, process, log_path)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server {app} did not start:\n{log_path.read_text()}")


def django_python(code: str, env: dict[str, str]) -> str:
    """What ``code`` prints, run with Django set up in the test project's
    directory under ``env`` (its settings module and database)."""
    script = "import django\ndjango.setup()\n" + code
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=TESTS, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def django_manage(env: dict[str, str], *args: str) -> str:
    """What ``python -m django <args>`` prints, run in the test project's
    directory under ``env`` (its settings module and database)."""
    done = subprocess.run(
        [sys.executable, "-m", "django", *args], cwd=TESTS, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def _test_project(
    tmp_path_factory, name: str, env: dict[str, str], app: str = "testproject.asgi:application", extra=()
) -> Server:
    tmp = tmp_path_factory.mktemp(name)
    env = {"TEST_DB": str(tmp / "db.sqlite3"), "DJANGO_SETTINGS_MODULE": "testproject.settings", **env}
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "-v0", "--run-syncdb"],
        cwd=TESTS,
        env={**os.environ, **env},
        check=True,
    )
    return start_server(app, TESTS, tmp, env, extra)


@pytest.fixture(scope="session")
def sse_server(tmp_path_factory):
    """The test project answering with event streams (the default)."""
    server = _test_project(tmp_path_factory, "sse", {})
    yield server
    server.stop()


@pytest.fixture(scope="session")
def json_server(tmp_path_factory):
    """The test project with MCP_HTTP_JSON_RESPONSE = True."""
    server = _test_project(tmp_path_factory, "json", {"MCP_HTTP_JSON_RESPONSE": "1"})
    yield server
    server.stop()


@pytest.fixture(scope="session", params=["sse", "json"])
def server(request):
    """Each test using it runs against both response modes."""
    return request.getfixturevalue(f"{request.param}_server")


@pytest.fixture(scope="session")
def example_server(tmp_path_factory):
    """The example project from the README, as a user would run it."""
    tmp = tmp_path_factory.mktemp("example")
    env = {"EXAMPLE_DB": str(tmp / "db.sqlite3")}
    cwd = ROOT / "example"
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=cwd, env={**os.environ, **env}, check=True)
    server = start_server("example_project.asgi:application", cwd, tmp, env)
    server.db = env["EXAMPLE_DB"]
    yield server
    server.stop()


HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def parse_sse(text: str) -> list[dict]:
    """The JSON messages of an event stream, in order."""
    import json

    messages = []
    for block in text.split("\n\n"):
        data = [
            line[len("data: ") :] if line.startswith("data: ") else line[len("data:") :]
            for line in block.split("\n")
            if line.startswith("data:")
        ]
        if data and "".join(data).strip():
            messages.append(json.loads("\n".join(data)))
    return messages


def rpc_messages(response: httpx.Response) -> list[dict]:
    """The JSON-RPC messages of a response, whether JSON or an event stream."""
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        return parse_sse(response.text)
    body = response.json()
    return body if isinstance(body, list) else [body]


def rpc(url: str, method: str, params: dict | None = None, *, id: int | str = 1, headers: dict | None = None) -> dict:
    """One request; returns the final response message (notifications skipped)."""
    message = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        message["params"] = params
    r = httpx.post(url, json=message, headers={**HEADERS, **(headers or {})}, timeout=30)
    assert r.status_code == 200, r.text
    return [m for m in rpc_messages(r) if "id" in m][-1]


from postgres import postgres  # noqa: E402, F401 - the throwaway PostgreSQL cluster fixture
