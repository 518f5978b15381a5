"""The official conformance suite's frozen requirement sets (0.2.0-alpha of
@modelcontextprotocol/conformance, installed as `conformance-next` beside
0.1.16): every server scenario a spec revision requires, run at that
revision's wire against the fixture in tests/conformance, stateless and with
sessions. The summary goes to the test log."""

import re
import sys

import pytest
from conftest import ROOT, start_server
from test_interop import node

SUITE = "node_modules/conformance-next/dist/index.js"

#: Scenarios the suite runs but does not score (extensions, pending checks)
#: that pass all the same, and must keep passing.
UNSCORED_PASSING = {
    "2026-07-28": {
        "http-header-validation",
        "http-custom-header-server-validation",
        "json-schema-2020-12",
        # The tasks extension (io.modelcontextprotocol/tasks).
        "tasks-lifecycle",
        "tasks-capability-negotiation",
        "tasks-wire-fields",
        "tasks-request-state-removal",
        "tasks-mrtr-input",
        "tasks-request-headers",
        "tasks-dispatch-and-envelope",
        "tasks-status-notifications",
        "tasks-required-task-error",
        "tasks-mrtr-composition",
    },
    "2025-11-25": {"json-schema-2020-12", "server-sse-polling", "server-session-lifecycle"},
}

_RESULT = re.compile(r"^([✓✗]) (\S+): (\d+) passed, (\d+) failed", re.MULTILINE)
_UNSCORED = re.compile(r"^  ([✓✗]) (\S+) \(", re.MULTILINE)


def required_server_scenarios(revision: str) -> set[str]:
    """The server scenarios `conformance list --requirements` names for a revision."""
    done = node(SUITE, "list", "--requirements", revision)
    assert done.returncode == 0, done.stderr
    section = done.stdout.split("Server scenarios", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"^  - (\S+)$", section, re.MULTILINE))


@pytest.mark.parametrize("revision", ["2026-07-28", "2025-11-25"])
@pytest.mark.parametrize("transport", ["http_stateless", "http"])
def test_requirement_set(tmp_path_factory, capsys, revision, transport):
    required = required_server_scenarios(revision)
    tmp = tmp_path_factory.mktemp("conformance")
    env = {"DJANGO_SETTINGS_MODULE": "settings", "CONFORMANCE_TRANSPORT": transport}
    server = start_server("asgi:application", ROOT / "tests" / "conformance", tmp, env)
    try:
        done = node(SUITE, "server", "--url", server.url + "/mcp/http", "--requirements", revision, timeout=900)
    finally:
        server.stop()
    summary = done.stdout[done.stdout.find("=== SUMMARY ===") :] if "=== SUMMARY ===" in done.stdout else done.stdout
    with capsys.disabled():
        sys.stdout.write(f"\n[conformance {revision}, transport {transport}]\n{summary}\n")
    results = {name: mark == "✓" for mark, name, _passed, _failed in _RESULT.findall(summary)}
    unscored = {name: mark == "✓" for mark, name in _UNSCORED.findall(summary)}
    scored = {name: ok for name, ok in results.items() if name not in unscored}
    assert set(scored) == required, f"scored scenarios differ from the requirement set: {set(scored) ^ required}"
    failing = sorted(name for name, ok in scored.items() if not ok)
    assert not failing, f"failing required scenarios: {failing}\n{done.stdout[-6000:]}"
    regressed = sorted(name for name in UNSCORED_PASSING[revision] if name in unscored and not unscored[name])
    assert not regressed, f"unscored scenarios that passed before now fail: {regressed}"
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
