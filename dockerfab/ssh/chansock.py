"""A socket-like wrapper around a paramiko ``Channel`` for http.client, urllib3 and docker-py.

Why not the channel itself: ``Channel.makefile`` returns paramiko's pure-Python file, while
http.client and docker-py's hijacked-socket code expect ``socket.SocketIO`` under an
``io.BufferedReader`` (docker reads attach/exec streams from ``response.raw._fp.fp.raw``).
Like a real socket, the channel is closed only when the wrapper *and* every file made from
it are closed, so a response can outlive its connection object.

Hijacked connections (requests with an ``Upgrade`` header: attach, exec start) need care:
http.client parses the response head through a buffered reader, and docker-py then reads
the stream from the raw socket beneath it, so any stream bytes the reader had buffered
would be lost. For those requests the response head is handed out one byte at a time,
leaving nothing behind in the reader (the head is small and such requests are rare).
"""
from __future__ import annotations

import io
import re
import socket
from typing import TYPE_CHECKING, Any

from paramiko import Channel, SSHException

from dockerfab.ssh.eof import send_eof

if TYPE_CHECKING:
    from dockerfab.ssh.endpoint import SSHEndpoint

_PIECE = 256 * 1024  # bytes handed to the channel at a time (it sends a packet per call)
_UPGRADE = re.compile(rb"\r\nUpgrade:", re.IGNORECASE)


class ChannelSocket:
    """Socket API (send/recv/makefile/timeouts/shutdown) over an SSH channel."""

    def __init__(self, channel: Channel, endpoint: SSHEndpoint | None = None) -> None:
        self.channel = channel
        self.endpoint = endpoint
        self._io_refs = 0
        self._closed = False
        self._head_tail: bytes | None = None  # last bytes of a hijack response head being read

    # -- reading -------------------------------------------------------------------------
    def recv(self, size: int, flags: int = 0) -> bytes:
        exact = self._head_tail is not None
        try:
            data = self.channel.recv(1 if exact else size)
        except TimeoutError:
            raise
        except (SSHException, EOFError) as error:
            raise self._lost(error) from None
        if not data and self.endpoint is not None:
            problem = self.endpoint.check_eof(self.channel)
            if problem is not None:
                raise problem
        if exact and data:
            tail = (self._head_tail or b"") + data
            self._head_tail = None if tail.endswith(b"\r\n\r\n") else tail[-3:]
        return data

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        view = memoryview(buffer).cast("B")
        data = self.recv(nbytes or len(view))
        view[:len(data)] = data
        return len(data)

    # -- writing -------------------------------------------------------------------------
    def sendall(self, data: Any, flags: int = 0) -> None:
        data = data if isinstance(data, bytes) else bytes(data)
        if _UPGRADE.search(data, 0, 8192) and data[:1].isalpha():  # a request head asking to hijack
            self._head_tail = b""
        try:
            # paramiko's Channel.sendall re-slices the remaining data after every packet
            # (quadratic: a 32 MiB upload crawled at ~10 MB/s); slice fixed pieces instead
            for offset in range(0, len(data), _PIECE):
                piece = data[offset:offset + _PIECE]
                while piece:
                    sent = self.channel.send(piece)
                    if sent == 0:
                        raise OSError("channel closed by the other end")
                    piece = piece[sent:]
        except TimeoutError:
            raise
        except (OSError, SSHException, EOFError) as error:
            raise self._lost(error) from None

    def send(self, data: Any, flags: int = 0) -> int:
        self.sendall(data)
        return len(data)

    def _lost(self, error: BaseException) -> BaseException:
        """ConnectionFailed when the SSH connection is gone, else a plain socket error."""
        if self.endpoint is not None and not self.endpoint.transport.is_active():
            return self.endpoint.lost()
        return ConnectionResetError(f"SSH channel closed: {error}")

    # -- socket plumbing -------------------------------------------------------------------
    def settimeout(self, timeout: float | None) -> None:
        self.channel.settimeout(timeout)

    def gettimeout(self) -> float | None:
        return self.channel.gettimeout()

    def setblocking(self, flag: bool) -> None:
        self.channel.setblocking(flag)

    def fileno(self) -> int:
        """A pipe that paramiko makes readable when data arrives (for select/poll)."""
        return self.channel.fileno()

    def shutdown(self, how: int) -> None:
        if how in (socket.SHUT_WR, socket.SHUT_RDWR):
            send_eof(self.channel)
        if how in (socket.SHUT_RD, socket.SHUT_RDWR):
            self.channel.shutdown_read()

    def setsockopt(self, *args: Any) -> None:
        """Socket options mean nothing for a channel; accepted for callers that set them."""

    def makefile(self, mode: str = "rb", buffering: int | None = None, **_: Any) -> Any:
        """A buffered binary file like ``socket.makefile`` (``rb`` or ``wb``)."""
        raw = socket.SocketIO(self, mode.replace("b", "") or "r")  # type: ignore[arg-type]
        self._io_refs += 1
        size = buffering if buffering and buffering > 0 else io.DEFAULT_BUFFER_SIZE
        if "w" in mode:
            return io.BufferedWriter(raw, size)
        return io.BufferedReader(raw, size)

    def _decref_socketios(self) -> None:
        """Called by ``SocketIO.close``: the last file closed after ``close()`` closes the channel."""
        if self._io_refs > 0:
            self._io_refs -= 1
        if self._closed:
            self.close()

    def close(self) -> None:
        self._closed = True
        if self._io_refs <= 0:
            self.channel.close()

    @property
    def alive(self) -> bool:
        """Idle channel still usable for the next request: open, no EOF, no unexpected bytes."""
        channel = self.channel
        return not (channel.closed or channel.eof_received or channel.recv_ready()
                    or self._closed)

    def __repr__(self) -> str:
        return f"<ChannelSocket {self.channel!r}>"
