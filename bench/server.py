"""Run one system under uvicorn (one worker unless asked) or granian on a free
loopback port."""

import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path

APPS = Path(__file__).resolve().parent / "apps"
HOST = "127.0.0.1"


#: What each server logs (at info) once per worker that has loaded the application.
STARTED = {"uvicorn": "Application startup complete.", "granian": "Started worker-"}


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
    """Context manager: start, wait until every worker accepts connections, stop."""

    def __init__(self, python, system, ready_timeout=60, pythonpath=None, workers=1, manager="uvicorn"):
        """`pythonpath`: a directory searched before the inherited PYTHONPATH
        (another django-mcp, for paired.py --baseline); `workers`: the worker
        processes, and `manager` the server that runs them, "uvicorn" or
        "granian" (bench/workers.py)."""
        if manager not in STARTED:
            raise ValueError(f"unknown server {manager!r}; choose from {sorted(STARTED)}")
        self.workers = workers
        self.manager = manager
        self.system = system
        self.python = python
        self.ready_timeout = ready_timeout
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}{system.path}"
        # Unbuffered: the workers' start lines must reach the log as they happen.
        self.env = {**server_env(system, pythonpath), "PYTHONUNBUFFERED": "1"}

    def command(self):
        # The options both servers take, spelled the same.
        common = ["--host", HOST, "--port", str(self.port), "--workers", str(self.workers)]
        common += ["--no-access-log", "--log-level", "info"]
        if self.manager == "granian":
            return [self.python, "-m", "granian", "--interface", "asgi", *common, self.system.app]
        return [self.python, "-m", "uvicorn", self.system.app, "--app-dir", str(APPS), *common]

    def __enter__(self):
        for module in (self.manager, self.system.needs):
            reason = importable(self.python, module, self.env)
            if reason:
                raise Skip(f"import {module}: {reason}")
        # A file, not a pipe: nobody reads stderr during the load, and a full
        # pipe would stall the server.
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(self.command(), cwd=APPS, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_ready(self):
        """Until every worker has loaded the application: the socket is bound
        by the master before its workers start, so a connection alone would
        let the load begin while they still import Django."""
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Skip(f"server exited with {self.proc.returncode}: {self.output_tail()}")
            if self._output().count(STARTED[self.manager]) >= self.workers:
                try:
                    socket.create_connection((HOST, self.port), timeout=1).close()
                    return
                except OSError:
                    pass
            time.sleep(0.1)
        raise Skip(f"not ready after {self.ready_timeout}s: {self.output_tail()}")

    def _output(self):
        """The log so far, read without moving the offset the server writes at."""
        fd = self.log.fileno()
        return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")

    def rss_kib(self):
        return rss_kib(self.proc.pid)

    def output_tail(self, lines=5):
        return " | ".join(self._output().strip().splitlines()[-lines:])

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
