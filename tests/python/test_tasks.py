"""The tasks extension through real processes: uvicorn servers sharing task
state in a file-based cache, API tokens naming who asks, and django-tasks'
database backend with its worker (``manage.py db_worker``) running the tasks
while the web server is replaced. The extension's wire rules are checked by
the conformance suite (test_conformance_requirements.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest
from conftest import HEADERS, TESTS, django_manage, rpc_messages, start_server

VERSION = "2026-07-28"
EXTENSION = "io.modelcontextprotocol/tasks"
CAPABILITIES = {"elicitation": {}, "extensions": {EXTENSION: {}}}


def post(url: str, method: str, params: dict, token: str | None = None, name: str | None = None) -> dict:
    """One 2026-07-28 request declaring the tasks extension; its final message."""
    meta = {
        "io.modelcontextprotocol/protocolVersion": VERSION,
        "io.modelcontextprotocol/clientCapabilities": CAPABILITIES,
    }
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": {**params, "_meta": meta}}
    headers = {**HEADERS, "MCP-Protocol-Version": VERSION, "Mcp-Method": method}
    name = name or params.get("name") or params.get("taskId")
    if name:
        headers["Mcp-Name"] = name
    if token:
        headers["Authorization"] = f"Bearer {token}"
    r = httpx.post(url + "/mcp/http", json=body, headers=headers, timeout=30)
    return [m for m in rpc_messages(r) if "id" in m][-1]


def wait_for(url: str, task_id: str, token: str, statuses: set[str], seconds: float = 30) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        task = post(url, "tasks/get", {"taskId": task_id}, token)["result"]
        if task["status"] in statuses or time.monotonic() > deadline:
            return task
        time.sleep(0.2)


class Project:
    """The tasks test project's database, cache and tokens."""

    def __init__(self, tmp, worker: bool) -> None:
        self.tmp = tmp
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "testproject.tasks_settings",
            "TEST_DB": str(tmp / "db.sqlite3"),
            "TEST_TASKS_CACHE": str(tmp / "cache"),
            "MCP_TEST_TASKS_WORKER": "1" if worker else "0",
        }

    def manage(self, *args: str) -> str:
        return django_manage(self.env, *args)

    def setup(self) -> dict[str, str]:
        """Migrates, and makes two users with an API token each."""
        self.manage("migrate", "-v0", "--run-syncdb")
        self.manage(
            "shell",
            "-c",
            "from django.contrib.auth.models import User\nfor n in ('ann', 'bob'): User.objects.create_user(n)",
        )
        return {n: self.manage("mcp_token", "create", n, "--name", "tasks") for n in ("ann", "bob")}

    def server(self):
        return start_server("testproject.asgi:application", TESTS, self.tmp, self.env)


@pytest.fixture(scope="module")
def in_process(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("tasks"), worker=False)
    tokens = project.setup()
    server = project.server()
    yield server, tokens
    server.stop()


def test_a_task_runs_in_process_and_answers_its_creator(in_process):
    server, tokens = in_process
    created = post(server.url, "tools/call", {"name": "monthly_report", "arguments": {"seconds": 0.3}}, tokens["ann"])
    result = created["result"]
    assert result["resultType"] == "task" and result["status"] == "working"
    done = wait_for(server.url, result["taskId"], tokens["ann"], {"completed", "failed"})
    assert done["status"] == "completed", done
    assert done["result"]["content"][0]["text"].startswith("report for ann by process ")


def test_another_principal_gets_the_answer_for_an_unknown_task(in_process):
    server, tokens = in_process
    task_id = post(server.url, "tools/call", {"name": "approve", "arguments": {"amount": 12}}, tokens["ann"])["result"][
        "taskId"
    ]
    assert wait_for(server.url, task_id, tokens["ann"], {"input_required"})["inputRequests"]["approval"]
    unknown = post(server.url, "tasks/get", {"taskId": "no-such-task"}, tokens["bob"])["error"]
    assert unknown["code"] == -32602
    for who in ("bob", None):  # another user's token, and no credentials at all
        token = tokens[who] if who else None
        for method, params in [
            ("tasks/get", {}),
            ("tasks/update", {"inputResponses": {"approval": {"action": "accept", "content": {"ok": True}}}}),
            ("tasks/cancel", {}),
        ]:
            error = post(server.url, method, {"taskId": task_id, **params}, token)["error"]
            assert error == {**unknown, "message": unknown["message"].replace("no-such-task", task_id)}, (who, method)
    # Untouched by the others: ann answers and the task completes.
    answer = {"approval": {"action": "accept", "content": {"ok": True}}}
    assert post(server.url, "tasks/update", {"taskId": task_id, "inputResponses": answer}, tokens["ann"])["result"]
    done = wait_for(server.url, task_id, tokens["ann"], {"completed", "failed", "cancelled"})
    assert done["result"]["content"][0]["text"] == "approved 12: True"


def test_a_task_on_the_worker_outlives_the_web_server(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("tasks-worker"), worker=True)
    tokens = project.setup()
    log = (project.tmp / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "django", "db_worker", "--interval", "0.2", "--no-startup-delay", "--no-reload"],
        cwd=TESTS,
        env=project.env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    first = project.server()
    try:
        call = {"name": "monthly_report", "arguments": {"seconds": 4}}
        task_id = post(first.url, "tools/call", call, tokens["ann"])["result"]["taskId"]
        assert post(first.url, "tasks/get", {"taskId": task_id}, tokens["ann"])["result"]["status"] == "working"
        first_pid = first.process.pid
        first.stop()  # the web server goes away while the task runs
        second = project.server()
        try:
            done = wait_for(second.url, task_id, tokens["ann"], {"completed", "failed", "cancelled"})
            assert done["status"] == "completed", (done, (project.tmp / "worker.log").read_text()[-3000:])
            text = done["result"]["content"][0]["text"]
            assert text == f"report for ann by process {worker.pid}"
            assert worker.pid not in (first_pid, second.process.pid)
            assert post(second.url, "tasks/get", {"taskId": task_id}, tokens["bob"])["error"]["code"] == -32602
            # A question asked on the worker, answered through the web server, resumed on the worker.
            call = {"name": "approve", "arguments": {"amount": 7}}
            asking = post(second.url, "tools/call", call, tokens["ann"])["result"]["taskId"]
            waiting = wait_for(second.url, asking, tokens["ann"], {"input_required", "failed", "completed"})
            assert waiting["inputRequests"]["approval"]["method"] == "elicitation/create", waiting
            answer = {"approval": {"action": "accept", "content": {"ok": False}}}
            post(second.url, "tasks/update", {"taskId": asking, "inputResponses": answer}, tokens["ann"])
            resumed = wait_for(second.url, asking, tokens["ann"], {"completed", "failed", "cancelled"})
            assert resumed["result"]["content"][0]["text"] == "approved 7: False"
        finally:
            second.stop()
    finally:
        worker.terminate()
        worker.wait(10)


def test_the_system_checks_name_a_task_state_no_other_process_sees(tmp_path):
    project = Project(tmp_path, worker=True)
    assert "System check identified no issues" in project.manage("check")
    project.env["MCP_TEST_TASKS_LOCMEM"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "django", "check"], cwd=TESTS, env=project.env, capture_output=True, text=True
    )
    assert done.returncode != 0 and "django_mcp.E021" in done.stderr, done.stderr[-2000:]
