"""``manage.py mcp_tools``: what this project's MCP server offers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandParser

from django_mcp.server import mcp_app

if TYPE_CHECKING:
    from django_mcp._core import Kind

SECTIONS: list[tuple[Kind, str]] = [
    ("tool", "tools"),
    ("resource", "resources"),
    ("template", "resourceTemplates"),
    ("prompt", "prompts"),
]


class Command(BaseCommand):
    help = "Lists the MCP tools, resources and prompts this project registers, with their schemas."
    # A diagnostic: it should still list what is registered when checks fail.
    requires_system_checks: tuple[str, ...] = ()

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the list results as JSON")
        parser.add_argument(
            "--protocol-version", default="2025-11-25", help="shape the lists as this revision would see them"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        origins = {(f.kind, f.key): _origin(f.fn) for f in mcp_app.functions()}
        engine = mcp_app.engine
        lists = {key: json.loads(engine.list(kind, options["protocol_version"]))[key] for kind, key in SECTIONS}
        if options["json"]:
            self.stdout.write(json.dumps(lists, indent=2))
            return
        for kind, key in SECTIONS:
            items = lists[key]
            self.stdout.write(self.style.MIGRATE_HEADING(f"{key} ({len(items)})"))
            for item in items:
                label = item.get("name") if kind in ("tool", "prompt") else item.get("uri") or item.get("uriTemplate")
                description = (item.get("description") or "").splitlines()[0:1]
                self.stdout.write(f"  {label}" + (f" - {description[0]}" if description else ""))
                origin = origins.get(("resource" if kind == "template" else kind, label))
                if origin:
                    self.stdout.write(f"    from: {origin}")
                if kind == "tool":
                    self.stdout.write("    input: " + json.dumps(item.get("inputSchema", {}).get("properties", {})))
                elif kind == "prompt" and item.get("arguments"):
                    self.stdout.write(
                        "    arguments: "
                        + ", ".join(a["name"] + ("*" if a.get("required") else "") for a in item["arguments"])
                    )


def _origin(fn: Callable[..., Any]) -> str:
    """Where a registration came from: a model or view toolset, else the function."""
    declared = getattr(fn, "_django_mcp_origin", None)
    if declared:
        return str(declared)
    return f"function {getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"
