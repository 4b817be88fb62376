"""Channel openers: the three ways to get a byte stream to a Docker daemon over one SSH transport.

Each opener returns a connected paramiko ``Channel`` or raises ``paramiko.ChannelException``
(the server refused) / ``paramiko.SSHException`` (transport trouble); turning those into
user messages is :mod:`dockerfab.ssh.endpoint`'s job, which knows the host and the target.
"""
from __future__ import annotations

import logging
import re
import shlex
import threading
import time
import weakref
from typing import Any, cast

from paramiko import Channel, ChannelException, SSHException, Transport
from paramiko.common import cMSG_CHANNEL_OPEN
from paramiko.message import Message

from dockerfab.ssh import sessions

STREAMLOCAL_KIND = "direct-streamlocal@openssh.com"
DEFAULT_OPEN_TIMEOUT = 30.0


def open_streamlocal(transport: Transport, socket_path: str, *,
                     timeout: float | None = None) -> Channel:
    """Open a ``direct-streamlocal@openssh.com`` channel to a UNIX socket on the server.

    paramiko only builds CHANNEL_OPEN for its own kinds, so the message is put together here
    (layout per OpenSSH's PROTOCOL, section "Unix domain socket forwarding": socket path,
    reserved string, reserved uint32) and registered on the transport the way
    ``Transport.open_channel`` registers its channels.
    """
    if not transport.is_active():
        raise SSHException("SSH session not active")
    timeout = DEFAULT_OPEN_TIMEOUT if timeout is None else timeout
    internals: Any = transport  # paramiko's private channel bookkeeping, as open_channel uses it
    with transport.lock:
        window_size = internals._sanitize_window_size(None)
        max_packet_size = internals._sanitize_packet_size(None)
        chanid = internals._next_channel()
        message = Message()
        message.add_byte(cMSG_CHANNEL_OPEN)
        message.add_string(STREAMLOCAL_KIND)
        message.add_int(chanid)
        message.add_int(window_size)
        message.add_int(max_packet_size)
        message.add_string(socket_path)
        message.add_string("")  # reserved
        message.add_int(0)  # reserved
        channel: Any = Channel(chanid)
        internals._channels.put(chanid, channel)
        event = transport.channel_events[chanid] = threading.Event()
        transport.channels_seen[chanid] = True
        channel._set_transport(transport)
        channel._set_window(window_size, max_packet_size)
        _quiet_open_failure(transport, chanid)
    internals._send_user_message(message)
    try:
        return _wait_open(transport, chanid, event, timeout)
    finally:  # paramiko logs a refusal before it wakes us: the id is no longer needed
        _filters[transport].chanids.discard(chanid)


class _OpenFailureFilter(logging.Filter):
    """Drops paramiko's ERROR line for a refused channel of ours: the caller reports it (or
    falls back silently in automatic mode), so the user should not see it twice."""

    def __init__(self) -> None:
        super().__init__()
        self.chanids: set[int] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        match = re.match(r"Secsh channel (\d+) open FAILED", str(record.msg))
        return not (match and int(match.group(1)) in self.chanids)


_filters: weakref.WeakKeyDictionary[Transport, _OpenFailureFilter] = weakref.WeakKeyDictionary()


def _quiet_open_failure(transport: Transport, chanid: int) -> None:
    """Register ``chanid`` with the transport's log filter (installed once per transport)."""
    log_filter = _filters.get(transport)
    if log_filter is None:
        log_filter = _filters[transport] = _OpenFailureFilter()
        transport.logger.addFilter(log_filter)
    log_filter.chanids.add(chanid)


def _wait_open(transport: Transport, chanid: int, event: threading.Event,
               timeout: float) -> Channel:
    """Wait for the server's answer to our CHANNEL_OPEN (the same contract as paramiko's)."""
    deadline = time.monotonic() + timeout
    while not event.wait(0.1):
        if not transport.is_active():
            raise transport.get_exception() or SSHException("SSH session not active")
        if time.monotonic() > deadline:
            raise SSHException("Timeout opening channel.")
    channel = cast(Any, transport)._channels.get(chanid)
    if channel is not None:
        return channel
    error = transport.get_exception()
    raise error if error is not None else SSHException("Unable to open channel.")


def open_tcpip(transport: Transport, host: str, port: int, *,
               timeout: float | None = None) -> Channel:
    """Open a ``direct-tcpip`` channel: the server connects to ``host:port`` on our behalf."""
    return transport.open_channel("direct-tcpip", (host, port), ("127.0.0.1", 0),
                                  timeout=DEFAULT_OPEN_TIMEOUT if timeout is None else timeout)


def dial_stdio_command(docker_host: str | None = None, *, sudo: bool = False) -> str:
    """The remote command that relays its stdin/stdout to the daemon (``docker system dial-stdio``)."""
    words = ["docker"]
    if docker_host:
        words += ["-H", docker_host]
    words += ["system", "dial-stdio"]
    if sudo:
        words = ["sudo", "-n"] + words
    return " ".join(shlex.quote(word) for word in words)


def open_dial_stdio(transport: Transport, docker_host: str | None = None, *, sudo: bool = False,
                    timeout: float | None = None) -> Channel:
    """Run ``docker system dial-stdio`` in an exec channel; its stdin/stdout are the daemon socket.

    Needs the docker CLI on the server. A failing command shows up only as an early EOF on
    the channel, with its exit status and stderr (see ``endpoint.SSHEndpoint.check_eof``).
    """
    channel = sessions.open_session(transport,
                                    timeout=DEFAULT_OPEN_TIMEOUT if timeout is None else timeout)
    try:
        channel.exec_command(dial_stdio_command(docker_host, sudo=sudo))
    except BaseException:
        channel.close()
        raise
    return channel


__all__ = [
    "STREAMLOCAL_KIND",
    "ChannelException",
    "dial_stdio_command",
    "open_dial_stdio",
    "open_streamlocal",
    "open_tcpip",
]
