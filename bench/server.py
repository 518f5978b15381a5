"""Run one system under uvicorn (one worker) on a free loopback port."""

import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path

APPS = Path(__file__).resolve().parent / "apps"
HOST = "127.0.0.1"


class Skip(Exception):
    """The system cannot run here (not installed, fails to start)."""


def importable(python, module, env=None):
    """Return None if `module` imports under `python`, else the error line."""
    proc = subprocess.run([python, "-c", f"import {module}"], cwd=APPS, env=env, capture_output=True, text=True)
    if proc.returncode == 0:
        return None
    lines = proc.stderr.strip().splitlines()
    return lines[-1] if lines else f"import {module} failed"


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def rss_kib(pid):
    """Resident set size from /proc, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def server_env(system, pythonpath=None):
    """The environment a server of `system` runs with: the apps first on
    PYTHONPATH, then `pythonpath` if given, then the inherited PYTHONPATH."""
    path = os.pathsep.join(filter(None, [str(APPS), pythonpath and str(pythonpath), os.environ.get("PYTHONPATH")]))
    return {**os.environ, **system.env, "PYTHONPATH": path}


class Server:
    """Context manager: start, wait until it accepts connections, stop."""

    def __init__(self, python, system, ready_timeout=60, pythonpath=None, workers=1):
        """`pythonpath`: a directory searched before the inherited PYTHONPATH
        (another django-mcp, for paired.py --baseline); `workers`: uvicorn's
        worker processes (bench/workers.py)."""
        self.workers = workers
        self.system = system
        self.python = python
        self.ready_timeout = ready_timeout
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}{system.path}"
        self.env = server_env(system, pythonpath)

    def __enter__(self):
        reason = importable(self.python, self.system.needs, self.env)
        if reason:
            raise Skip(f"import {self.system.needs}: {reason}")
        # A file, not a pipe: nobody reads stderr during the load, and a full
        # pipe would stall the server.
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            [
                self.python,
                "-m",
                "uvicorn",
                self.system.app,
                "--app-dir",
                str(APPS),
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            cwd=APPS,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Skip(f"server exited with {self.proc.returncode}: {self.output_tail()}")
            try:
                socket.create_connection((HOST, self.port), timeout=1).close()
                return  # uvicorn binds only after lifespan startup completes
            except OSError:
                time.sleep(0.1)
        raise Skip(f"not accepting connections after {self.ready_timeout}s: {self.output_tail()}")

    def rss_kib(self):
        return rss_kib(self.proc.pid)

    def output_tail(self, lines=5):
        self.log.seek(0)
        return " | ".join(self.log.read().strip().splitlines()[-lines:])

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
