"""A TCP forwarder on 127.0.0.1 that notes when each connection's first byte arrives.

    with FirstPacketProxy(("198.18.0.11", 22)) as proxy:
        ...  # point SSH at 127.0.0.1:proxy.port; proxy.arrivals fill as clients connect

For ``bench_startup`` (time from a process's start to its first SSH packet: the client's
version line, which an SSH client sends as soon as its TCP connection is up) and for the
start-up tests (how many connections a run opened). Bytes are passed on unchanged, both
ways, one thread per direction; the forwarder adds no delay of its own beyond a thread hop.
"""
from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from typing import Self


@dataclass
class Arrival:
    """One connection: when it was accepted and when its first byte came in
    (``time.monotonic()``; None: no byte yet)."""
    accepted: float
    first_byte: float | None = None


class FirstPacketProxy:
    """Forward ``127.0.0.1:port`` to ``target``, recording an :class:`Arrival` per
    connection in :attr:`arrivals`."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port: int = self.server.getsockname()[1]
        self.arrivals: list[Arrival] = []
        self.first_byte = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.server.close()

    def wait_first_byte(self, index: int, timeout: float = 10.0) -> float | None:
        """The first-byte time of connection ``index`` (waits up to ``timeout``)."""
        def arrived() -> bool:
            return len(self.arrivals) > index and self.arrivals[index].first_byte is not None

        with self.first_byte:
            if not self.first_byte.wait_for(arrived, timeout):
                return None
        return self.arrivals[index].first_byte

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.server.accept()
            except OSError:
                continue
            arrival = Arrival(time.monotonic())
            self.arrivals.append(arrival)
            threading.Thread(target=self._serve, args=(client, arrival), daemon=True).start()

    def _serve(self, client: socket.socket, arrival: Arrival) -> None:
        with contextlib.ExitStack() as stack:
            stack.callback(client.close)
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                return
            stack.callback(upstream.close)
            upstream.settimeout(None)
            upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
            back.start()
            first = _recv(client)
            if first:
                with self.first_byte:
                    arrival.first_byte = time.monotonic()
                    self.first_byte.notify_all()
                with contextlib.suppress(OSError):
                    upstream.sendall(first)
                _pump(client, upstream)
            else:  # the client left without a word
                with contextlib.suppress(OSError):
                    upstream.shutdown(socket.SHUT_RDWR)
            back.join()


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy until ``source`` ends, then half-close ``sink``."""
    while data := _recv(source):
        try:
            sink.sendall(data)
        except OSError:
            break
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)
