"""Running sync functions in worker threads, cheaply.

``loop.run_in_executor`` costs one cross-thread wake-up per call and one per
result. Here workers drain a shared queue (a C ``SimpleQueue``: no Python-level
locking) back to back while it has work, and results reach the event loop in
batches: one ``call_soon_threadsafe`` for all the results that finished while
the loop was busy. Under load that is the
difference between a few thousand and tens of thousands of sync calls a second.
A worker blocked in I/O (a database query) releases the GIL, and the others
carry on with the queue.
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
    """A pool of up to ``threads`` daemon threads, started as work arrives.

    ``on_wake`` runs in a worker each time it takes work after waiting for
    some (not between calls it drains back to back).
    """

    def __init__(self, threads: int, name: str = "django_mcp_sync", on_wake: Callable[[], Any] | None = None) -> None:
        if threads < 1:
            raise ValueError("SyncRunner needs at least one thread")
        self._max = threads
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
            try:
                value, ok = context.run(fn, *args), True
            except BaseException as exc:
                value, ok = exc, False
            delivery.add(future, ok, value)
