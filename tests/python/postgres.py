"""A throwaway PostgreSQL cluster for the tests: Debian's postgresql server
binaries, ``initdb`` into a temporary directory, ``pg_ctl`` on a free port on
127.0.0.1, stopped and removed at the end. Use the ``postgres`` fixture
(re-exported by conftest.py); ``settings`` gives Django's DATABASES entry.

Run as root, the cluster belongs to the ``postgres`` system user (PostgreSQL
refuses to run as root); otherwise to the current user.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

#: Who owns the cluster when the tests run as root.
SYSTEM_USER = "postgres"


def server_binaries() -> Path | None:
    """The newest installed server's bin directory (/usr/lib/postgresql/<N>/bin), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class Postgres:
    host: str
    port: int
    user: str
    data: Path
    bin: Path
    as_user: list[str]

    def settings(self, name: str) -> dict[str, object]:
        """Django's DATABASES entry (without ENGINE) for database ``name``."""
        return {"NAME": name, "USER": self.user, "HOST": self.host, "PORT": self.port}

    def create_database(self, prefix: str = "test") -> str:
        """A new empty database; its name."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self._run("createdb", "-h", self.host, "-p", str(self.port), "-U", self.user, name)
        return name

    def _run(self, program: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*self.as_user, str(self.bin / program), *args], check=True, capture_output=True, text=True, timeout=60
        )

    def stop(self) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )


def start_postgres(tmp: Path) -> Postgres:
    from conftest import free_port

    binaries = server_binaries()
    if binaries is None:
        raise RuntimeError("PostgreSQL's server is not installed (Debian: apt-get install postgresql)")
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", SYSTEM_USER, "--"]
        shutil.chown(tmp, SYSTEM_USER)
    data, port, user = tmp / "data", free_port(), "django"
    pg = Postgres("127.0.0.1", port, user, data, binaries, as_user)
    pg._run("initdb", "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8", "--no-sync")
    log = tmp / "postgres.log"
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {tmp} -c fsync=off -c full_page_writes=off"
    pg._run("pg_ctl", "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready = subprocess.run([str(binaries / "pg_isready"), "-h", pg.host, "-p", str(port)], capture_output=True)
        if ready.returncode == 0:
            return pg
        time.sleep(0.2)
    pg.stop()
    raise RuntimeError(f"PostgreSQL did not start:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def postgres():
    """A running PostgreSQL cluster for this test session."""
    tmp = Path(tempfile.mkdtemp(prefix="django-mcp-pg-"))
    os.chmod(tmp, 0o755)
    pg = start_postgres(tmp)
    yield pg
    pg.stop()
    shutil.rmtree(tmp, ignore_errors=True)
