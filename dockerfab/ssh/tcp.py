"""The TCP side of an SSH connection: small packets sent at once, received ones acknowledged
at once.

SSH traffic is small messages in both directions, the pattern that makes Linux delay its
ACKs (up to 40 ms) and makes a sender with Nagle's algorithm on hold a small packet until
the previous one is acknowledged. Both stalls were measured (docs/benchmarks.rst,
"Start-up"): the client's authentication request waited for the server's delayed ACK, and
the first channel to the Docker daemon waited 40 ms for the client's, because sshd keeps
Nagle on for connections without a terminal session and had just sent an unacknowledged
message of its own (its host keys). The client can do something about both ends: send
without Nagle (``TCP_NODELAY``), and acknowledge every read at once (``TCP_QUICKACK``,
which Linux forgets after a while, so it is set again after each read).
"""
from __future__ import annotations

import contextlib
import socket
from typing import Any

from paramiko import Transport

#: Linux only; elsewhere reads are acknowledged as the system decides
_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)


def _is_tcp(sock: object) -> bool:
    return isinstance(sock, socket.socket) and \
        sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM


def disable_nagle(transport: Transport) -> None:
    """Set TCP_NODELAY on the transport's socket (when it is a TCP socket).

    http.client writes a request's headers and body separately; with Nagle's algorithm the
    body then waits for the server's delayed ACK (~40 ms per POST), and so does the SSH
    handshake's authentication request (:func:`low_latency_transport` sets it before the
    handshake). OpenSSH sets the same option on interactive and forwarding connections.
    """
    sock = getattr(transport, "sock", None)
    if isinstance(sock, socket.socket) and _is_tcp(sock):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class QuickAckSocket(socket.socket):
    """A TCP socket that asks for an immediate ACK of what it has read, after every read."""

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        data = super().recv(bufsize, flags)
        if _QUICKACK is not None:
            with contextlib.suppress(OSError):
                self.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
        return data


def quick_ack(sock: Any) -> Any:
    """``sock`` as a :class:`QuickAckSocket` (the same connection, its timeout kept) when it
    is a TCP socket on a system with ``TCP_QUICKACK``; anything else as it is (a jump host's
    channel, a ProxyCommand)."""
    if _QUICKACK is None or not _is_tcp(sock) or isinstance(sock, QuickAckSocket):
        return sock
    timeout = sock.gettimeout()
    wrapped = QuickAckSocket(sock.family, sock.type, sock.proto, fileno=sock.detach())
    wrapped.settimeout(timeout)
    return wrapped


def low_latency_transport(sock: Any, **kwargs: Any) -> Transport:
    """paramiko's Transport for ``SSHClient.connect`` (its ``transport_factory``) on ``sock``
    with Nagle off and reads acknowledged at once, before the handshake's first byte."""
    transport = Transport(quick_ack(sock), **kwargs)
    disable_nagle(transport)
    return transport
