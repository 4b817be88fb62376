"""The host's thread pool (dockerfab.engine.pool): never more threads than its workers,
work in the pool that uses the pool again does not deadlock, and an item's error is the
caller's."""
from __future__ import annotations

import threading

import pytest

from dockerfab.engine.pool import THREAD_PREFIX, HostPool


def pool_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith(THREAD_PREFIX + "_")}


class Concurrency:
    """How many calls were in flight at once (each call waits until ``width`` are in or
    a short while has passed, so that overlap shows without depending on timing)."""

    def __init__(self, width: int) -> None:
        self.barrier = threading.Barrier(width, timeout=2)
        self.lock = threading.Lock()
        self.now = self.peak = 0

    def __call__(self, item: int) -> int:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            self.barrier.wait()
        except threading.BrokenBarrierError:
            pass
        with self.lock:
            self.now -= 1
        return item * 2


def test_items_run_width_at_once_in_the_caller_and_the_workers():
    pool = HostPool(7)
    try:
        work = Concurrency(8)
        assert pool.map_items(work, range(16), 8) == [i * 2 for i in range(16)]
        assert work.peak == 8
        assert len(pool_threads()) <= 7
    finally:
        pool.shutdown()
    assert not pool_threads()


def test_width_is_bounded_by_the_workers():
    pool = HostPool(2)
    try:
        started = []
        original = threading.Thread.start

        def counted(thread: threading.Thread) -> None:
            started.append(thread.name)
            original(thread)
        threading.Thread.start = counted  # type: ignore[method-assign]
        try:
            assert pool.map_items(lambda i: i, range(30), 8) == list(range(30))
        finally:
            threading.Thread.start = original  # type: ignore[method-assign]
        assert len([n for n in started if n.startswith(THREAD_PREFIX)]) <= 2
    finally:
        pool.shutdown()


def test_work_in_a_full_pool_that_maps_over_the_pool_does_not_deadlock():
    """The guard's records read runs in the pool and sends its inspects to the same pool:
    with one worker the read itself does every inspect."""
    pool = HostPool(1)
    try:
        outer = pool.submit(lambda: pool.map_items(lambda i: i + 1, range(10), 8))
        assert outer.result(timeout=10) == list(range(1, 11))
    finally:
        pool.shutdown()


def test_an_items_error_is_raised_and_later_items_are_not_started():
    pool = HostPool(1)
    done = []

    def fail_on_three(item: int) -> int:
        if item == 3:
            raise ValueError("three")
        done.append(item)
        return item
    try:
        with pytest.raises(ValueError, match="three"):
            pool.map_items(fail_on_three, range(100), 2)
        assert len(done) < 99
    finally:
        pool.shutdown()


def test_release_ends_the_threads_and_the_pool_starts_new_ones_when_needed():
    pool = HostPool(3)
    try:
        assert pool.map_items(Concurrency(3), range(6), 3) == [0, 2, 4, 6, 8, 10]
        assert pool_threads()
        pool.release()
        assert not pool_threads()
        assert pool.submit(lambda: 5).result(timeout=5) == 5
    finally:
        pool.shutdown()
    with pytest.raises(RuntimeError):
        pool.submit(lambda: 1)
