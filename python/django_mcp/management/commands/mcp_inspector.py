"""``manage.py mcp_inspector [URL]``: opens the MCP Inspector on this server."""

from __future__ import annotations

import shlex
import subprocess
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

DEFAULT_URL = "http://127.0.0.1:8000/mcp/http"
DEFAULT_COMMAND = "npx -y @modelcontextprotocol/inspector"


class Command(BaseCommand):
    help = (
        "Runs the MCP Inspector (npx @modelcontextprotocol/inspector) against this project's MCP endpoint. "
        "Arguments after -- go to the Inspector."
    )

    def run_from_argv(self, argv: list[str]) -> None:
        # Everything after "--" belongs to the Inspector, not to this command's parser.
        if "--" in argv:
            cut = argv.index("--")
            argv, self.inspector_args = argv[:cut], argv[cut + 1 :]
        return super().run_from_argv(argv)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", nargs="?", help=f"the MCP endpoint (default {DEFAULT_URL})")
        parser.add_argument("--url", dest="url_option", help="the MCP endpoint, as an option")
        parser.add_argument(
            "--transport", choices=["http", "sse"], help="default: sse for URLs ending in /sse, else http"
        )
        parser.add_argument(
            "--cli", action="store_true", help="run the Inspector's command-line mode instead of the web UI"
        )
        parser.add_argument(
            "--inspector-command",
            default=DEFAULT_COMMAND,
            help=f"how to start the Inspector (default: {DEFAULT_COMMAND!r})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        url = options["url_option"] or options["url"] or DEFAULT_URL
        transport = options["transport"] or ("sse" if url.rstrip("/").endswith("/sse") else "http")
        command = shlex.split(options["inspector_command"])
        if options["cli"]:
            command += ["--cli", url, "--transport", transport]
        else:
            command += ["--transport", transport, "--server-url", url]
        command += options.get("inspector_args") or getattr(self, "inspector_args", [])
        self.stderr.write(f"Starting the MCP Inspector for {url} ({transport})")
        try:
            code = subprocess.call(command)
        except FileNotFoundError as e:
            raise CommandError(f"Cannot start the Inspector ({command[0]!r} not found): install Node.js and npm") from e
        if code:
            raise CommandError(f"The MCP Inspector exited with status {code}", returncode=code)
