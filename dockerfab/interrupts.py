"""Stopping a run on SIGINT (Ctrl-C) or SIGTERM: cleanly the first time, at once the second.

The first signal sets the process-wide stop event (:func:`stop_event`) and returns: no new
host, step or action starts, the actions in flight finish, each host reports what was done
and what was not, the locks are released in their ``finally`` blocks, and the program
exits with status 130. A second signal ends the process at once (status 130) after the
callbacks registered with :func:`at_exit_now` had up to :data:`EXIT_NOW_BUDGET` seconds.

Who stops: the executor (:mod:`dockerfab.engine.execute`) checks the event before every
action, the run layer (:mod:`dockerfab.fabric.run`) before every host and before executing
a plan, the health gate stops waiting. Code of its own (e.g. a rollout between batches)
checks :func:`stop_requested` or registers :func:`on_stop`.

The handlers are installed by the ``dockerfab`` program and by the first task call in the
main thread (``fab`` with dockerfab's tasks); library users who want the same call
:func:`install`.
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

log = logging.getLogger(__name__)

#: the exit status of an interrupted run (128 + SIGINT, what shells report for Ctrl-C)
EXIT_INTERRUPTED = 130
#: seconds the at_exit_now callbacks get after a second signal
EXIT_NOW_BUDGET = 2.0

_STOP = threading.Event()
_lock = threading.RLock()  # re-entrant: the handler runs in the main thread
_on_stop: list[Callable[[], None]] = []
_exit_now: list[Callable[[], None]] = []
_reason: list[str] = []
_installed: list[bool] = [False]


def stop_event() -> threading.Event:
    """The process-wide event set by the first SIGINT/SIGTERM (or :func:`request_stop`)."""
    return _STOP


def stop_requested() -> bool:
    """True once a stop was requested (for code that checks between steps of its own)."""
    return _STOP.is_set()


def reason() -> str:
    """``SIGINT``, ``SIGTERM`` or what :func:`request_stop` was given; empty if none."""
    return _reason[0] if _reason else ""


def on_stop(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback()`` (in the signal's thread, so keep it short) on the first stop
    request; returns a function that unregisters it."""
    with _lock:
        _on_stop.append(callback)
    return lambda: _remove(_on_stop, callback)


def at_exit_now(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback()`` before the process ends at a second signal (best effort: all
    callbacks together get :data:`EXIT_NOW_BUDGET` seconds); returns an unregister function.
    Use it for what must not be left behind even then, e.g. a host's deploy lock."""
    with _lock:
        _exit_now.append(callback)
    return lambda: _remove(_exit_now, callback)


def _remove(callbacks: list[Callable[[], None]], callback: Callable[[], None]) -> None:
    with _lock:
        if callback in callbacks:
            callbacks.remove(callback)


def request_stop(why: str = "stop requested") -> bool:
    """Ask the run to stop as after a first Ctrl-C. True if this was the first request."""
    with _lock:
        if _STOP.is_set():
            return False
        _reason.append(why)
        _STOP.set()
        callbacks = list(_on_stop)
    for callback in callbacks:
        try:
            callback()
        except Exception:  # a stop must not fail
            log.warning("a stop callback failed", exc_info=True)
    return True


def reset() -> None:
    """Forget a stop request (for a new run in the same process, e.g. in tests)."""
    with _lock:
        _STOP.clear()
        _reason.clear()


def _exit_at_once() -> None:
    with _lock:
        callbacks = list(_exit_now)

    def run_all() -> None:
        for callback in callbacks:
            try:
                callback()
            except Exception:  # exiting anyway
                log.debug("an exit callback failed", exc_info=True)

    worker = threading.Thread(target=run_all, daemon=True)
    worker.start()
    worker.join(EXIT_NOW_BUDGET)
    try:
        sys.stdout.flush()
    finally:
        os._exit(EXIT_INTERRUPTED)


def _handle(signum: int, frame: FrameType | None) -> None:
    name = signal.Signals(signum).name
    if request_stop(name):
        sys.stderr.write(f"\ndockerfab: {name}: finishing the actions in flight, starting "
                         "nothing new (again to stop at once)\n")
        sys.stderr.flush()
        return
    sys.stderr.write(f"\ndockerfab: {name} again: stopping now\n")
    sys.stderr.flush()
    _exit_at_once()


def install() -> bool:
    """Handle SIGINT and SIGTERM as described above (once per process, main thread only).
    True if the handlers are in place."""
    if _installed[0]:
        return True
    if threading.current_thread() is not threading.main_thread():
        return False
    signal.signal(signal.SIGINT, _handle)
    signal.signal(signal.SIGTERM, _handle)
    _installed[0] = True
    return True


__all__ = [
    "EXIT_INTERRUPTED",
    "at_exit_now",
    "install",
    "on_stop",
    "reason",
    "request_stop",
    "reset",
    "stop_event",
    "stop_requested",
]
