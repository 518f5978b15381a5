"""The package's modules import one another without circles, each one can be
imported first in a fresh interpreter, and the import paths users are told
about keep working."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import django_mcp

PACKAGE = Path(django_mcp.__file__).resolve().parent
TESTS = Path(__file__).resolve().parent


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its __init__)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ["django_mcp", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that ``name`` imports anywhere in its text: at
    the top, inside functions and under ``if TYPE_CHECKING``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                targets.add(submodule if submodule in modules else source)
    return {target for target in targets if target in modules and target != name}


def _circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph``, as the modules along it, or None."""
    state: dict[str, str] = {}
    trail: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        trail.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                return [*trail[trail.index(target) :], target]
            if target not in state and (found := visit(target)) is not None:
                return found
        state[module] = "done"
        trail.pop()
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)) is not None:
            return found
    return None


def test_no_module_imports_one_that_imports_it_back():
    modules = _modules()
    # A package's __init__ is left out: importing a submodule runs it anyway,
    # so its re-exports are not edges of the design.
    graph = {
        name: {t for t in _imports(name, path, modules) if modules[t].name != "__init__.py"}
        for name, path in modules.items()
        if path.name != "__init__.py"
    }
    assert _circle(graph) is None, " -> ".join(_circle(graph) or [])


def test_the_circle_check_finds_a_circle():
    assert _circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _circle({"a": {"b"}, "b": set()}) is None


def test_each_module_can_be_imported_first():
    """Each module imported into an interpreter that holds none of the package yet."""
    names = [name for name in _modules() if ".migrations" not in name and not name.endswith((".models", ".admin"))]
    # The app registry is ready (the package's apps and those they build on);
    # models stay loaded, as Django registers each model class once (and admin
    # modules are imported by the admin itself).
    script = f"""
import importlib, json, sys
import django
from django.conf import settings
settings.configure(
    INSTALLED_APPS=[
        "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions", "django.contrib.admin",
        "django.contrib.messages", "oauth2_provider",
        "django_mcp", "django_mcp.tokens", "django_mcp.oauth", "django_mcp.explorer", "django_mcp.audit",
    ],
    DATABASES={{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}}},
)
django.setup()
failed = {{}}
for name in {json.dumps(names)}:
    for loaded in [m for m in sys.modules if m == "django_mcp" or m.startswith("django_mcp.")]:
        if not loaded.endswith(".models") and not loaded.endswith(".apps"):
            del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as e:
        failed[name] = repr(e)
print(json.dumps(failed))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=TESTS)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {}


def test_the_documented_import_paths_work():
    from django_mcp import (  # noqa: F401
        SUPPORTED_PROTOCOL_VERSIONS,
        Audio,
        ClientError,
        Context,
        ElicitationResult,
        EmbeddedResource,
        Image,
        MCPApp,
        MCPMount,
        RegistrationError,
        ResourceContents,
        ResourceLink,
        SamplingResult,
        get_context,
        mcp_app,
        mount_mcp_server,
    )
    from django_mcp.asgi import mount_mcp_server as mount  # noqa: F401
    from django_mcp.auth import SessionAuthentication, TokenAuthentication  # noqa: F401
    from django_mcp.conf import mcp_settings  # noqa: F401
    from django_mcp.context import Context as ContextClass  # noqa: F401
    from django_mcp.decorators import log_mcp_tool_calls  # noqa: F401
    from django_mcp.server import CompletionArgument, CompletionContext, CompletionRef  # noqa: F401
    from django_mcp.test import MCPError, MCPTestClient  # noqa: F401
    from django_mcp.urls import urlpatterns  # noqa: F401
