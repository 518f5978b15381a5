"""The transport finds the task running a call (for notifications/cancelled and
the timeout sweep) without asking the loop, which costs a system call per
request before Python 3.12. It must still find the caller's own task when
other loops in other threads are in the middle of a task's step."""

import asyncio
import threading

from django_mcp.asgi import _current_task


def test_finds_the_callers_task_among_tasks_of_one_loop():
    async def probe():
        mine = asyncio.current_task()
        found = []
        for _ in range(3):
            found.append(_current_task() is mine)
            await asyncio.sleep(0)  # the other tasks step in between
        return found

    async def main():
        return await asyncio.gather(*(probe() for _ in range(5)))

    assert asyncio.run(main()) == [[True] * 3] * 5


def test_finds_the_callers_task_while_another_threads_loop_is_stepping():
    inside, release = threading.Event(), threading.Event()
    other_task = []

    async def busy():
        other_task.append(asyncio.current_task())
        inside.set()
        release.wait(10)  # blocks this loop in the middle of the task's step

    thread = threading.Thread(target=asyncio.run, args=(busy(),))
    thread.start()
    try:
        assert inside.wait(10)

        async def main():
            return asyncio.current_task(), _current_task()

        mine, found = asyncio.run(main())
    finally:
        release.set()
        thread.join(10)
    assert found is mine
    assert found is not other_task[0]


def test_outside_any_task_there_is_none():
    async def main():
        loop = asyncio.get_running_loop()
        seen = loop.create_future()
        loop.call_soon(lambda: seen.set_result(_current_task()))  # a callback, not a task's step
        return await seen

    assert asyncio.run(main()) is None
