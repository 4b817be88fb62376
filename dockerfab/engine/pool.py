"""The threads one host's Docker reads share: a bounded pool (``docker.host_threads``
workers, started as they are needed) that a host session hands to everything reading the
host's state at once: the engine's observation, the deploy guard's record reading while it
takes the lock, and the inspects of :func:`dockerfab.rollout.recreate.snapshot`.

Work in the pool may use the pool again (the guard reads its records in the pool, and the
records' inspects go to the same pool): :meth:`HostPool.map` lets the calling thread do its
share of the items, so a caller waits only for items already being done, never for a worker
that a full pool cannot start, and nothing deadlocks even with one worker.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: the name prefix of the pool's threads (``dockerfab-reads_0``, ...)
THREAD_PREFIX = "dockerfab-reads"


class HostPool(Executor):
    """At most ``workers`` threads for one host's reads. Threads start on demand;
    :meth:`release` ends them (a later submit starts new ones), :meth:`shutdown` for good."""

    def __init__(self, workers: int, prefix: str = THREAD_PREFIX) -> None:
        self.workers = max(1, workers)
        self._prefix = prefix
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        with self._lock:
            if self._closed:
                raise RuntimeError("the host's thread pool is shut down")
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix=self._prefix)
            return self._pool.submit(fn, *args, **kwargs)

    def map_items(self, fn: Callable[[T], R], items: Iterable[T], width: int) -> list[R]:
        """``[fn(item) for item in items]``, up to ``width`` at once: the calling thread and
        up to ``width - 1`` of the pool's workers take the items one after another. An
        error of one item stops the others from being started and is raised."""
        todo = list(items)
        width = min(width, len(todo), self.workers + 1)
        if width <= 1:
            return [fn(item) for item in todo]
        results: list[Any] = [None] * len(todo)
        taken = iter(range(len(todo)))
        lock = threading.Lock()
        failed = threading.Event()

        def drain() -> None:
            while not failed.is_set():
                with lock:
                    index = next(taken, None)
                if index is None:
                    return
                try:
                    results[index] = fn(todo[index])
                except BaseException:
                    failed.set()
                    raise

        helpers = [self.submit(drain) for _ in range(width - 1)]
        try:
            drain()
        finally:
            for helper in helpers:  # not started (the pool was busy): not needed any more
                helper.cancel()
            errors = [h.exception() for h in helpers if not h.cancelled()]
        for error in errors:
            if error is not None:
                raise error
        return results

    def release(self, wait: bool = True) -> None:
        """End the pool's threads once their work is done (idle hosts keep none)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=True)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=cancel_futures)
