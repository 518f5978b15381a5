"""Finding MCP modules: ``mcp.py`` in every installed app, plus the folders in MCP_DIRS."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import autodiscover_modules

from .conf import mcp_settings


def mcp_dirs() -> list[Path]:
    """MCP_DIRS as absolute paths; relative entries are taken from BASE_DIR."""
    base = Path(getattr(settings, "BASE_DIR", Path.cwd()))
    return [(base / d).resolve() if not Path(d).is_absolute() else Path(d) for d in mcp_settings.MCP_DIRS]


def autodiscover() -> None:
    autodiscover_modules("mcp")
    for folder in mcp_dirs():
        if not folder.is_dir():
            raise ImproperlyConfigured(f"MCP_DIRS entry {str(folder)!r} is not a folder")
        for file in sorted(folder.glob("*.py")):
            if file.name.startswith("_"):
                continue
            # A name derived from the full path: two folders with a tools.py never collide.
            module_name = "django_mcp_dirs." + "_".join(file.with_suffix("").parts[1:]).replace("-", "_").replace(
                ".", "_"
            )
            if module_name in sys.modules:
                continue
            spec = importlib.util.spec_from_file_location(module_name, file)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
