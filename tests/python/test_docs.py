"""Every ```python block of docs/*.md runs, page by page, in a fresh process
with the test project's settings: the examples define tools and then check
them with django_mcp.test.MCPTestClient, so a page whose examples stop
working fails here. A block preceded by `<!-- docs: skip -->` is not run
(none should need it without a reason written next to it)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, TESTS

DOCS = ROOT / "docs"
BLOCK = re.compile(r"(<!-- docs: skip -->\s*)?```python\n(.*?)```", re.S)

PRELUDE = """
import django
django.setup()
"""


def pages() -> list[Path]:
    return sorted(p for p in DOCS.glob("*.md"))


def code_of(page: Path) -> str:
    blocks = [body for skip, body in BLOCK.findall(page.read_text()) if not skip]
    return PRELUDE + "\n\n".join(blocks)


def test_every_topic_has_a_page():
    names = {p.stem for p in pages()}
    assert {
        "getting-started",
        "tools-resources-prompts",
        "context",
        "transports",
        "settings",
        "deployment",
        "testing",
        "performance",
        "authentication",
        "models-and-drf",
        "operating",
    } <= names


@pytest.mark.parametrize("page", [p for p in pages() if "```python" in p.read_text()], ids=lambda p: p.name)
def test_examples_run(page, tmp_path):
    script = tmp_path / f"{page.stem}.py"
    script.write_text(code_of(page))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "testproject.settings",
        "TEST_DB": str(tmp_path / "db.sqlite3"),
        "PYTHONPATH": str(TESTS),
    }
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "-v0", "--run-syncdb"],
        cwd=TESTS,
        env=env,
        check=True,
        capture_output=True,
    )
    done = subprocess.run(
        [sys.executable, str(script)], cwd=TESTS, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{page.name}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"


def test_settings_page_lists_every_setting():
    from django_mcp.conf import DEFAULTS

    text = (DOCS / "settings.md").read_text()
    missing = [name for name in DEFAULTS if f"`{name}`" not in text]
    assert not missing, f"docs/settings.md lacks {missing}"
