"""Session channels on one SSH transport, kept within the server's session budget.

sshd counts every session channel (``exec`` for ``run_cmd`` and for ``docker system
dial-stdio``, sftp) against ``MaxSessions`` (default 10) per connection and refuses the
next one. Every session dockerfab opens on a transport goes through :func:`open_session`:
it waits while :data:`SESSION_BUDGET` sessions of ours are open on that transport, and when
the server refuses one anyway (a lower ``MaxSessions``) it backs off and tries again as
long as one of ours is open (it will end and free its slot). Either way, holders of idle
sessions (the dial-stdio connection pools) are first asked to close them. A refusal while none of ours
is open is the server's final answer and raised.

:func:`run_command` runs one command in such a session with binary stdin/stdout, a time-out,
and "SSH connection lost" when the transport dies underneath.
"""
from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from paramiko import Channel, ChannelException, SSHException, Transport

from dockerfab.ssh.eof import send_eof

#: sessions of ours open at once on one transport: sshd's default MaxSessions
SESSION_BUDGET = 10
#: refusals tolerated while none of our sessions is open (another client of the same
#: connection may hold some) before the refusal is final
_IDLE_REFUSALS = 5
_FIRST_BACKOFF = 0.02
_MAX_BACKOFF = 0.5


class _Budget:
    """The sessions of ours that are open on one transport (closed ones drop out), and who
    can close idle ones when the budget is tight (connection pools keeping channels)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.channels: weakref.WeakSet[Channel] = weakref.WeakSet()
        self.reclaimers: list[weakref.WeakMethod[Callable[[], int]]] = []

    def live(self) -> int:
        return sum(1 for channel in list(self.channels) if not channel.closed)

    def reclaim(self) -> int:
        """Ask every registered holder to close its idle sessions; how many it closed."""
        closed = 0
        with self.lock:
            holders = [ref() for ref in self.reclaimers]
            self.reclaimers = [ref for ref in self.reclaimers if ref() is not None]
        for release in holders:
            if release is not None:
                closed += release()
        return closed


_budgets: weakref.WeakKeyDictionary[Transport, _Budget] = weakref.WeakKeyDictionary()
_budgets_lock = threading.Lock()


def _budget(transport: Transport) -> _Budget:
    with _budgets_lock:
        budget = _budgets.get(transport)
        if budget is None:
            budget = _budgets[transport] = _Budget()
        return budget


def open_sessions(transport: Transport) -> int:
    """How many sessions opened through :func:`open_session` are open on ``transport``."""
    return _budget(transport).live()


def register_idle_holder(transport: Transport, release_idle: Callable[[], int]) -> None:
    """``release_idle`` (a bound method; held weakly) closes the idle sessions its owner
    keeps on ``transport`` and returns how many; called when sessions run short."""
    budget = _budget(transport)
    with budget.lock:
        budget.reclaimers.append(weakref.WeakMethod(release_idle))  # type: ignore[arg-type]


def open_session(transport: Transport, timeout: float | None = None) -> Channel:
    """A new session channel on ``transport``, within the session budget (see module doc).

    ``timeout`` bounds each single open request (paramiko's channel-open timeout). Raises
    the server's refusal (``SSHException``/``ChannelException``) when no session of ours
    could free a slot, ``SSHException`` when the transport is gone.
    """
    budget = _budget(transport)
    _quiet(transport)
    backoff = _FIRST_BACKOFF
    idle_refusals = 0
    while True:
        if not transport.is_active():
            raise SSHException("SSH session not active")
        with budget.lock:
            live = budget.live()
            reserve = live < SESSION_BUDGET
            if reserve:  # count it before the round trip, so concurrent openers wait
                placeholder = _Placeholder()
                budget.channels.add(placeholder)  # type: ignore[arg-type]
        if not reserve:
            if budget.reclaim() and budget.live() < live:
                continue
            time.sleep(backoff)
            backoff = min(backoff * 2, _MAX_BACKOFF)
            continue
        try:
            channel = transport.open_session(timeout=timeout)
        except SSHException as error:
            placeholder.closed = True
            if not _refused(transport, error):
                raise
            if budget.reclaim() and budget.live() < live:  # the server allows fewer: give
                continue  # back idle ones, try again
            if live == 0:
                idle_refusals += 1
                if idle_refusals > _IDLE_REFUSALS:
                    raise
            time.sleep(backoff)
            backoff = min(backoff * 2, _MAX_BACKOFF)
            continue
        except BaseException:
            placeholder.closed = True
            raise
        with budget.lock:
            budget.channels.add(channel)
            placeholder.closed = True
        return channel


def _refused(transport: Transport, error: SSHException) -> bool:
    """Whether ``error`` from opening a session is the server saying no. paramiko keeps one
    saved exception per transport, so when several opens fail at once some of them get
    only "Unable to open channel." instead of their ChannelException."""
    if isinstance(error, ChannelException):
        return True
    return transport.is_active() and str(error) == "Unable to open channel."


class _Quiet(logging.Filter):
    """Drops paramiko's ERROR line for a refused channel: dockerfab retries, or reports the
    refusal itself in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "open FAILED" not in str(record.msg)


def _quiet(transport: Transport) -> None:
    if not any(isinstance(f, _Quiet) for f in transport.logger.filters):
        transport.logger.addFilter(_Quiet())


class _Placeholder:
    """Stands for a session being opened, so it counts against the budget meanwhile."""

    closed = False


@dataclass
class CommandResult:
    """What a command run by :func:`run_command` left: exit status (None when the
    transport died first), stdout and stderr bytes, and whether it timed out."""

    status: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool = False
    lost: bool = False


def run_command(transport: Transport, command: str, *, stdin: bytes | None = None,
                timeout: float | None = None) -> CommandResult:
    """Run ``command`` in a new session (stdin closed after ``stdin``); wait at most
    ``timeout`` seconds (None: no limit) for it to end. stdout and stderr are read as they
    come (stderr in a thread), so a big stderr cannot stall a big stdout."""
    channel = open_session(transport, timeout=timeout)
    try:
        channel.settimeout(timeout)
        channel.exec_command(command)
        if stdin:
            channel.sendall(stdin)
        send_eof(channel)
        channel.settimeout(_POLL)
        deadline = None if timeout is None else time.monotonic() + timeout
        errors: list[bytes] = []
        reader = threading.Thread(target=_read_all, args=(channel, channel.recv_stderr, errors),
                                  daemon=True, name="dockerfab-stderr")
        reader.start()
        out: list[bytes] = []
        ended = _read_all(channel, channel.recv, out, deadline)
        if not ended:
            return CommandResult(None, b"".join(out), b"".join(errors),
                                 timed_out=transport.is_active(),
                                 lost=not transport.is_active())
        status = channel.recv_exit_status() if channel.status_event.wait(
            _POLL * 5 if transport.is_active() else 0) else None
        if status == -1:  # paramiko's "closed without an exit status"
            status = None
        reader.join(_POLL * 5)
        if status is None:  # the transport may be winding down right now: give it a moment
            _wait_inactive(transport, _POLL * 5)
        return CommandResult(status, b"".join(out), b"".join(errors),
                             lost=status is None and not transport.is_active())
    except (SSHException, OSError, EOFError):
        if not transport.is_active():
            return CommandResult(None, b"", b"", lost=True)
        raise
    finally:
        channel.close()


_POLL = 0.2


def _wait_inactive(transport: Transport, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while transport.is_active() and time.monotonic() < deadline:
        time.sleep(0.02)


def _read_all(channel: Channel, recv: Callable[[int], bytes], into: list[bytes],
              deadline: float | None = None) -> bool:
    """Read with ``recv`` until end of stream (True), or until the transport is gone or
    ``deadline`` passed (False)."""
    transport = channel.get_transport()
    while True:
        try:
            chunk = recv(65536)
        except TimeoutError:
            if transport is None or not transport.is_active():
                return False
            if deadline is not None and time.monotonic() > deadline:
                return False
            continue
        except (SSHException, OSError, EOFError):
            return False
        if not chunk:
            return transport is not None and (transport.is_active()
                                              or channel.exit_status_ready())
        into.append(chunk)
