"""SSH keepalive: notice a half-open connection and close it, as OpenSSH's
``ServerAliveInterval``/``ServerAliveCountMax`` do.

Every ``interval`` seconds a ``keepalive@openssh.com`` global request asking for a reply is
sent. The server answers every global request (OpenSSH with "failure" for this one); any
answer resets the count. When ``count_max`` requests in a row went unanswered, the
transport is closed, so every read and channel on it ends at once with "SSH connection
lost" instead of waiting forever for a peer that is gone.

paramiko's own ``set_keepalive`` only sends, never counts answers, so it cannot notice a
dead link; the answers are seen here by wrapping the transport's handlers for
``REQUEST_SUCCESS``/``REQUEST_FAILURE`` (instance attributes paramiko documents as meant
for "per-instance manipulation").
"""
from __future__ import annotations

import threading
import weakref
from typing import Any

from paramiko import Message, Transport
from paramiko.common import (
    MSG_REQUEST_FAILURE,
    MSG_REQUEST_SUCCESS,
    cMSG_GLOBAL_REQUEST,
)

DEFAULT_INTERVAL = 15.0
DEFAULT_COUNT_MAX = 3
KEEPALIVE_REQUEST = "keepalive@openssh.com"


class Keepalive:
    """The keepalive of one transport (see the module doc). ``dead`` is set when it gave up."""

    def __init__(self, transport: Transport, interval: float = DEFAULT_INTERVAL,
                 count_max: int = DEFAULT_COUNT_MAX) -> None:
        self.transport = transport
        self.interval = interval
        self.count_max = max(1, count_max)
        self.unanswered = 0
        self.dead = False
        self._stop = threading.Event()
        self._sender: threading.Thread | None = None
        self._hook_replies()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="dockerfab-keepalive")

    @property
    def reason(self) -> str:
        """Why the connection was closed, for messages."""
        silent = self.interval * self.count_max
        return f"no answer to SSH keepalive for {silent:g} s"

    def start(self) -> Keepalive:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _hook_replies(self) -> None:
        table: dict[int, Any] = self.transport._handler_table  # type: ignore[attr-defined]
        for kind in (MSG_REQUEST_SUCCESS, MSG_REQUEST_FAILURE):
            table[kind] = _counting(table[kind], self)

    def answered(self) -> None:
        self.unanswered = 0

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            transport = self.transport
            if not transport.is_active():
                return
            if self.unanswered >= self.count_max:
                self.dead = True
                transport.close()
                return
            self.unanswered += 1
            if self._sender is None or not self._sender.is_alive():
                # in its own thread: on a stalled link a send can block once the socket's
                # buffer is full, and the count above must go on regardless
                self._sender = threading.Thread(target=self._send, daemon=True,
                                                name="dockerfab-keepalive-send")
                self._sender.start()

    def _send(self) -> None:
        message = Message()
        message.add_byte(cMSG_GLOBAL_REQUEST)
        message.add_string(KEEPALIVE_REQUEST)
        message.add_boolean(True)  # want reply
        try:
            self.transport._send_user_message(message)  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - transport already broken: its reader notices
            return


def _counting(handler: Any, keepalive: Keepalive) -> Any:
    def handle(message: Message) -> Any:
        keepalive.answered()
        return handler(message)
    return handle


_running: weakref.WeakKeyDictionary[Transport, Keepalive] = weakref.WeakKeyDictionary()
_running_lock = threading.Lock()


def start_keepalive(transport: Transport, interval: float | None = DEFAULT_INTERVAL,
                    count_max: int | None = DEFAULT_COUNT_MAX) -> Keepalive | None:
    """Start the keepalive of ``transport`` (once; a second call returns the first one).
    ``interval`` 0 turns it off, as ``ServerAliveInterval 0`` does in OpenSSH."""
    interval = DEFAULT_INTERVAL if interval is None else interval
    count_max = DEFAULT_COUNT_MAX if count_max is None else count_max
    if interval <= 0:
        return None
    with _running_lock:
        existing = _running.get(transport)
        if existing is not None:
            return existing
        keepalive = _running[transport] = Keepalive(transport, interval, count_max)
    return keepalive.start()


def keepalive_of(transport: Transport) -> Keepalive | None:
    """The keepalive running on ``transport``, if any."""
    with _running_lock:
        return _running.get(transport)


def lost_reason(transport: Transport) -> str:
    """``SSH connection lost``, with the keepalive's reason when it closed the transport."""
    keepalive = keepalive_of(transport)
    if keepalive is not None and keepalive.dead:
        return f"SSH connection lost ({keepalive.reason})"
    return "SSH connection lost"
