"""The output of running containers through the Docker API: log streams and exec.

``GET /containers/{id}/logs`` and ``POST /exec/{id}/start`` answer with Docker's
*multiplexed* stream (unless the container has a TTY): frames of an 8-byte header (stream
1 = stdout, 2 = stderr; three zero bytes; the payload's length, 4 bytes big-endian) and the
payload. :func:`read_frames` cuts it into ``(stream, bytes)``, :class:`LineSplitter` turns
each stream's bytes into lines (a line may span frames). Both are pure.

:class:`OutputStream` is one open stream (one request, hence one channel of the host's
connection, held while it runs); :meth:`OutputStream.close` from another thread ends a
read that is waiting (Ctrl-C while following). :func:`open_logs` and :func:`start_exec`
open them; :func:`exec_exit_code` reads an exec's exit status once its stream ended.
"""
from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

STDOUT, STDERR = "stdout", "stderr"
_STREAMS = {0: STDOUT, 1: STDOUT, 2: STDERR}  # 0 (stdin) is never sent; count it as stdout
_HEADER = 8


def read_frames(read: Callable[[int], bytes]) -> Iterator[tuple[str, bytes]]:
    """``(stream, payload)`` of each frame of a multiplexed stream; ``read(n)`` returns at
    most ``n`` bytes, ``b''`` at the end. A stream cut inside a frame ends with what came."""
    while True:
        header = _read_exactly(read, _HEADER)
        if len(header) < _HEADER:
            return
        size = int.from_bytes(header[4:8], "big")
        payload = _read_exactly(read, size)
        if payload:
            yield _STREAMS.get(header[0], STDOUT), payload
        if len(payload) < size:
            return


def read_raw(read: Callable[[int], bytes], size: int = 4096) -> Iterator[tuple[str, bytes]]:
    """A TTY container's stream (no frames): everything is stdout."""
    while chunk := read(size):
        yield STDOUT, chunk


def _read_exactly(read: Callable[[int], bytes], size: int) -> bytes:
    parts: list[bytes] = []
    missing = size
    while missing > 0:
        chunk = read(missing)
        if not chunk:
            break
        parts.append(chunk)
        missing -= len(chunk)
    return b"".join(parts)


class LineSplitter:
    """Bytes in, complete lines out (without their line end; invalid UTF-8 replaced)."""

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, data: bytes) -> list[str]:
        lines = (self._pending + data).split(b"\n")
        self._pending = lines.pop()
        return [_text(line) for line in lines]

    def flush(self) -> list[str]:
        """The last line, if the stream ended without a line end."""
        rest, self._pending = self._pending, b""
        return [_text(rest)] if rest else []


def _text(line: bytes) -> str:
    return line.rstrip(b"\r").decode("utf-8", "replace")


def stream_lines(frames: Iterator[tuple[str, bytes]]) -> Iterator[tuple[str, str]]:
    """``(stream, line)`` for each complete line of each stream, in arrival order; the
    unfinished last lines at the end."""
    splitters = {STDOUT: LineSplitter(), STDERR: LineSplitter()}
    for stream, data in frames:
        for line in splitters[stream].feed(data):
            yield stream, line
    for stream, splitter in splitters.items():
        for line in splitter.flush():
            yield stream, line


@dataclass(frozen=True)
class LogOptions:
    """What ``logs`` asks the daemon for: ``tail`` lines (None: all), since a UNIX time
    (None: from the start), follow new lines, Docker's timestamps on each line."""
    tail: int | None = 100
    since: float | None = None
    follow: bool = False
    timestamps: bool = False

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"stdout": 1, "stderr": 1, "follow": int(self.follow),
                                  "timestamps": int(self.timestamps),
                                  "tail": "all" if self.tail is None else self.tail}
        if self.since is not None:
            seconds = int(self.since)
            params["since"] = f"{seconds}.{min(round((self.since - seconds) * 1e9), 999_999_999):09d}"
        return params


class OutputStream:
    """One open output stream of a container (a log stream or an exec's output): iterate
    :meth:`lines`; :meth:`close` (any thread, any time, more than once) ends it."""

    def __init__(self, read: Callable[[int], bytes], tty: bool,
                 close: Sequence[Callable[[], None]]) -> None:
        self._read = read
        self._tty = tty
        self._close = list(close)
        self._lock = threading.Lock()
        self.closed = False

    def lines(self) -> Iterator[tuple[str, str]]:
        frames = read_raw(self._read) if self._tty else read_frames(self._read)
        try:
            yield from stream_lines(frames)
        except Exception:
            if not self.closed:  # a read cut short by close() is the end, not an error
                raise

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
        for close in self._close:
            with contextlib.suppress(Exception):
                close()


def _shutdown(sock: Any) -> Callable[[], None]:
    """Wakes a read waiting on ``sock`` and closes it: an SSH channel is closed outright
    (a read-side shutdown would not wake its reader), a real socket shut down."""
    def close() -> None:
        inner = getattr(sock, "_sock", sock)
        channel = getattr(inner, "channel", None)
        if channel is not None:
            channel.close()
        else:
            with contextlib.suppress(OSError):
                inner.shutdown(socket.SHUT_RDWR)
        inner.close()
    return close


def container_tty(client: Any, container: str) -> bool:
    """Whether ``container`` has a TTY (its output is then one raw stream). Raises the
    SDK's NotFound for a container that does not exist."""
    return bool((client.inspect_container(container).get("Config") or {}).get("Tty"))


#: Content-Type of a logs answer (API 1.42 and later): framed, or a TTY's raw bytes
_FRAMED, _RAW = "application/vnd.docker.multiplexed-stream", "application/vnd.docker.raw-stream"


def open_logs(client: Any, container: str, options: LogOptions,
              tty: bool | None = None) -> OutputStream:
    """The log stream of ``container``: one request, read as it comes (no read time-out:
    a followed container may be silent for long). Whether it is framed the answer's
    Content-Type says (API 1.42+); an older daemon's is asked with one inspect."""
    response = client._get(client._url("/containers/{0}/logs", container),
                           params=options.params(), stream=True)
    client._raise_for_status(response)
    sock = client._get_raw_response_socket(response)
    client._disable_socket_timeout(sock)
    kind = str(response.headers.get("Content-Type") or "").split(";")[0].strip()
    if tty is None and kind in (_FRAMED, _RAW):
        tty = kind == _RAW
    if tty is None:
        try:
            tty = container_tty(client, container)
        except BaseException:
            response.close()
            raise
    # a TTY's bytes come unframed: read what is there (read would wait for a full buffer)
    read = response.raw.read1 if tty else response.raw.read
    return OutputStream(read, tty, [_shutdown(sock), response.close])


@dataclass(frozen=True)
class ExecOptions:
    """How ``exec`` runs its command: user, working directory, extra environment."""
    user: str | None = None
    workdir: str | None = None
    environment: tuple[str, ...] = ()


def start_exec(client: Any, container: str, command: Sequence[str],
               options: ExecOptions) -> tuple[str, OutputStream]:
    """Create and start ``command`` (a list: no shell) in the running ``container``; its
    exec id and output stream. No TTY, no stdin."""
    created = client.exec_create(container, list(command), stdout=True, stderr=True,
                                 stdin=False, tty=False, user=options.user or "",
                                 workdir=options.workdir,
                                 environment=list(options.environment) or None)
    exec_id = str(created["Id"])
    sock = client.exec_start(exec_id, socket=True)
    client._disable_socket_timeout(sock)
    read = sock.read if hasattr(sock, "read") else sock.recv
    return exec_id, OutputStream(read, False, [_shutdown(sock), sock.close])


def exec_exit_code(client: Any, exec_id: str, wait: float = 5.0) -> int | None:
    """The exit status of an exec whose output ended (the daemon records it a moment after
    the stream closes); None if it still runs after ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while True:
        info = client.exec_inspect(exec_id)
        if not info.get("Running") and info.get("ExitCode") is not None:
            return int(info["ExitCode"])
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


__all__ = [
    "STDERR",
    "STDOUT",
    "ExecOptions",
    "LineSplitter",
    "LogOptions",
    "OutputStream",
    "container_tty",
    "exec_exit_code",
    "open_logs",
    "read_frames",
    "read_raw",
    "start_exec",
    "stream_lines",
]
