"""Running sync functions in worker threads, cheaply.

``loop.run_in_executor`` costs one cross-thread wake-up per call and one per
result. Here workers drain a shared queue (a C ``SimpleQueue``: no Python-level
locking) back to back while it has work, and results reach the event loop in
batches: one ``call_soon_threadsafe`` for all the results that finished while
the loop was busy. Under load that is the
difference between a few thousand and tens of thousands of sync calls a second.
A worker blocked in I/O (a database query) releases the GIL, and the others
carry on with the queue.

A thread cannot be stopped, so a call given up on (past its timeout, or
cancelled by its client) keeps its worker until the function returns. Such a
worker no longer counts: a spare is started to take its place, and the
abandoned thread ends when its call does. At most ``spares`` threads are
abandoned at once; past that, given-up calls keep their workers, so a tool
that blocks for good cannot make the process start threads without end.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("django_mcp")


class _Delivery:
    """Results waiting to be handed to one event loop."""

    __slots__ = ("lock", "loop", "results")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.results: list[tuple[asyncio.Future[Any], bool, Any]] = []
        self.lock = threading.Lock()

    def add(self, future: asyncio.Future[Any], ok: bool, value: Any) -> None:
        with self.lock:
            self.results.append((future, ok, value))
            first = len(self.results) == 1
        if first:
            with contextlib.suppress(RuntimeError):  # the loop has closed; nobody is waiting any more
                self.loop.call_soon_threadsafe(self.deliver)

    def deliver(self) -> None:
        with self.lock:
            batch, self.results = self.results, []
        for future, ok, value in batch:
            if future.done():
                continue  # cancelled, or given up on (timed out)
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)


class SyncRunner:
    """A pool of up to ``threads`` daemon threads, started as work arrives,
    plus up to ``spares`` standing in for workers whose call was given up.

    ``on_wake`` runs in a worker each time it takes work after waiting for
    some (not between calls it drains back to back).
    """

    def __init__(
        self,
        threads: int,
        name: str = "django_mcp_sync",
        on_wake: Callable[[], Any] | None = None,
        spares: int = 0,
    ) -> None:
        if threads < 1:
            raise ValueError("SyncRunner needs at least one thread")
        self._max = threads
        self._spares = spares
        #: Futures whose function a worker is running now.
        self._running: set[asyncio.Future[Any]] = set()
        #: Of those, the ones given up on whose worker a spare replaced.
        self._abandoned: set[asyncio.Future[Any]] = set()
        self._name = name
        self._on_wake = on_wake
        self._started = 0
        #: Workers waiting for work; changed under _lock, read without it (a hint).
        self._idle = 0
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._deliveries: dict[asyncio.AbstractEventLoop, _Delivery] = {}

    def run(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        """Runs ``fn(*args)`` in a worker, in a copy of the caller's context."""
        loop = asyncio.get_running_loop()
        delivery = self._deliveries.get(loop)
        if delivery is None:
            delivery = self._deliveries.setdefault(loop, _Delivery(loop))
        future = loop.create_future()
        self._queue.put((future, delivery, contextvars.copy_context(), fn, args))
        # Another thread when more work waits than idle workers can take.
        if self._started < self._max and self._queue.qsize() > self._idle:
            self._start_worker()
        return future

    @property
    def abandoned(self) -> int:
        """Workers still running a call that was given up on, replaced by spares."""
        return len(self._abandoned)

    def given_up(self, future: asyncio.Future[Any]) -> None:
        """Called by whoever stopped waiting for ``future`` (a timeout, a
        cancellation): if its function is running, a spare takes the worker's place."""
        with self._lock:
            if future not in self._running or len(self._abandoned) >= self._spares:
                return
            self._abandoned.add(future)
            self._max += 1
            if len(self._abandoned) == self._spares:
                logger.warning(
                    "django-mcp: %d sync calls given up on still hold their threads (MCP_SYNC_SPARE_THREADS); "
                    "further ones keep their workers until they return",
                    self._spares,
                )
        if self._queue.qsize() > self._idle:
            self._start_worker()

    def _start_worker(self) -> None:
        with self._lock:
            if self._started < self._max:
                self._started += 1
                threading.Thread(target=self._work, name=f"{self._name}_{self._started}", daemon=True).start()

    def _work(self) -> None:
        get, get_now, lock, on_wake = self._queue.get, self._queue.get_nowait, self._lock, self._on_wake
        while True:
            try:
                future, delivery, context, fn, args = get_now()
            except queue.Empty:
                with lock:
                    self._idle += 1
                future, delivery, context, fn, args = get()
                with lock:
                    self._idle -= 1
                if on_wake is not None:
                    try:
                        on_wake()
                    except Exception:
                        logger.warning("django-mcp sync worker: on_wake failed", exc_info=True)
            if future.done():
                continue
            running = self._running
            running.add(future)
            try:
                value, ok = context.run(fn, *args), True
            except BaseException as exc:
                value, ok = exc, False
            with lock:
                running.discard(future)
                if future in self._abandoned:
                    # A spare took this worker's place: it ends here.
                    self._abandoned.discard(future)
                    self._max -= 1
                    self._started -= 1
                    return
            delivery.add(future, ok, value)
