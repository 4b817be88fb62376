"""Counters for the benchmarks: Docker API requests and SSH connections of this process.

``install()`` wraps ``docker.APIClient.request`` (every SDK call goes through it: one call per
HTTP request, i.e. per API round trip), ``paramiko.Transport.start_client`` (one call per
SSH connection, whoever opens it: Fabric, paramiko's SSHClient in the Docker SDK, ...) and
``paramiko.Channel.__init__`` (one per channel a client opens: paramiko's own
``open_channel`` and dockerfab's streamlocal opener both construct one).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import docker
import paramiko
import requests


@dataclass
class Counts:
    """Running totals; take :meth:`snapshot` before and subtract after."""
    requests: int = 0
    connections: int = 0
    channels: int = 0
    peers: list[str] = field(default_factory=list)  # host:port of each SSH connection
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def snapshot(self) -> tuple[int, int, int]:
        with self.lock:
            return self.requests, self.connections, self.channels

    def since(self, before: tuple[int, int, int]) -> tuple[int, int, int]:
        """(requests, SSH connections, SSH channels) since ``before``."""
        now = self.snapshot()
        return now[0] - before[0], now[1] - before[1], now[2] - before[2]


COUNTS = Counts()
_installed = False


def install() -> Counts:
    """Install the wrappers once (idempotent); return the process-wide counters."""
    global _installed
    if _installed:
        return COUNTS
    _installed = True
    session_request = requests.Session.request

    def request(self: Any, *args: Any, **kwargs: Any) -> Any:
        with COUNTS.lock:
            COUNTS.requests += 1
        return session_request(self, *args, **kwargs)

    start_client = paramiko.Transport.start_client

    def counted_start_client(self: paramiko.Transport, *args: Any, **kwargs: Any) -> Any:
        try:
            host, port = self.getpeername()[:2]
            peer = f"{host}:{port}"
        except (OSError, TypeError, ValueError, AttributeError):
            peer = "?"
        with COUNTS.lock:
            COUNTS.connections += 1
            COUNTS.peers.append(peer)
        return start_client(self, *args, **kwargs)

    channel_init = paramiko.Channel.__init__

    def counted_channel_init(self: paramiko.Channel, *args: Any, **kwargs: Any) -> None:
        with COUNTS.lock:
            COUNTS.channels += 1
        channel_init(self, *args, **kwargs)

    paramiko.Channel.__init__ = counted_channel_init  # type: ignore[method-assign]
    docker.APIClient.request = request  # type: ignore[method-assign]
    paramiko.Transport.start_client = counted_start_client  # type: ignore[method-assign]
    return COUNTS
