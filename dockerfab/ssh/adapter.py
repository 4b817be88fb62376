"""The requests/urllib3 adapter that carries the Docker SDK's HTTP over SSH channels.

Built like docker-py's own transports (``docker/transport/unixconn.py``): an
``HTTPConnection`` whose ``connect()`` opens a channel instead of a socket, a connection pool
of those, and a ``BaseHTTPAdapter`` mounted on the client's ``http+docker://`` prefix. Each
pooled connection is one channel, kept alive between requests (the daemon speaks HTTP/1.1
keep-alive), so a request costs no SSH round trip once the pool is warm; requests running
at the same time each get their own channel.
"""
from __future__ import annotations

import queue
from typing import Any

import requests.adapters
import urllib3
import urllib3.connection
import urllib3.connectionpool
from docker.transport.basehttpadapter import BaseHTTPAdapter

from dockerfab.ssh.chansock import ChannelSocket
from dockerfab.ssh.endpoint import DIAL_STDIO_MAX_CHANNELS, SSHEndpoint
from dockerfab.ssh.sessions import register_idle_holder

RecentlyUsedContainer = urllib3._collections.RecentlyUsedContainer
_POOL_KEY = "http+docker://localhost"

#: channels kept open for reuse: as many as the engine inspects with at once
#: (dockerfab.engine.observe.OBSERVE_CONCURRENCY), so that a warm no-op update opens no
#: channel, each of which costs a network round trip (docs/benchmarks.rst)
DEFAULT_POOL_SIZE = 32


class ChannelHTTPConnection(urllib3.connection.HTTPConnection):
    """An HTTP connection whose socket is an SSH channel from ``endpoint``."""

    def __init__(self, endpoint: SSHEndpoint, timeout: Any = None) -> None:
        super().__init__("localhost", timeout=timeout)
        self.endpoint = endpoint

    def connect(self) -> None:
        timeout = self.timeout if isinstance(self.timeout, (int, float)) else None
        self.sock = ChannelSocket(self.endpoint.open_channel(timeout), self.endpoint)  # type: ignore[assignment]

    @property
    def is_connected(self) -> bool:
        """Checked by the pool before reuse; answered from channel state (no select, no pipe)."""
        sock = self.sock
        return isinstance(sock, ChannelSocket) and sock.alive


class ChannelConnectionPool(urllib3.connectionpool.HTTPConnectionPool):
    """A pool of channel connections to one endpoint."""

    def __init__(self, endpoint: SSHEndpoint, timeout: float | None, maxsize: int,
                 block: bool = False) -> None:
        super().__init__("localhost", timeout=timeout, maxsize=maxsize, block=block)
        self.endpoint = endpoint

    def _new_conn(self) -> ChannelHTTPConnection:
        self.num_connections += 1
        return ChannelHTTPConnection(self.endpoint, timeout=self.timeout.connect_timeout)


class SSHChannelAdapter(BaseHTTPAdapter):
    """Sends each request of a Docker SDK client over a channel of ``endpoint``.

    ``max_pool_size`` channels are kept open for reuse; more may run at once (and are closed
    after use), except in dial-stdio mode, where each channel is an SSH session counted by
    sshd's ``MaxSessions``: there at most ``min(max_pool_size, 8)`` exist and further
    requests wait for a free one.
    """

    __attrs__ = requests.adapters.HTTPAdapter.__attrs__ + ["pools", "endpoint", "timeout",
                                                           "max_pool_size"]

    def __init__(self, endpoint: SSHEndpoint, timeout: float | None = 60,
                 max_pool_size: int = DEFAULT_POOL_SIZE) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.max_pool_size = max_pool_size
        self.pools: Any = RecentlyUsedContainer(1, dispose_func=lambda pool: pool.close())
        super().__init__()

    def get_connection(self, url: str, proxies: Any = None) -> ChannelConnectionPool:
        """The one pool of this adapter, whatever the URL.

        docker-py's own adapters key pools by the full request URL, so each new path (say,
        inspecting another container) would start a fresh pool, i.e. a fresh channel and an
        SSH round trip; every URL here leads to the same daemon, so one pool serves all.
        """
        with self.pools.lock:
            pool = self.pools.get(_POOL_KEY)
            if pool is not None:
                return pool
        mode = self.endpoint.resolve()  # outside the lock: may take an SSH round trip
        if mode == "dial-stdio":
            pool = ChannelConnectionPool(self.endpoint, self.timeout,
                                         min(self.max_pool_size, DIAL_STDIO_MAX_CHANNELS),
                                         block=True)
            register_idle_holder(self.endpoint.transport, self.release_idle)
        else:
            pool = ChannelConnectionPool(self.endpoint, self.timeout, self.max_pool_size)
        with self.pools.lock:
            existing = self.pools.get(_POOL_KEY)
            if existing is not None:
                pool.close()
                return existing
            self.pools[_POOL_KEY] = pool
        return pool

    def release_idle(self) -> int:
        """Close the channels waiting idle in the pool (their slots stay, empty): when the
        server's sessions run short, a command or a new request needs them more."""
        with self.pools.lock:
            pool = self.pools.get(_POOL_KEY)
        queue_ = getattr(pool, "pool", None) if pool is not None else None
        if queue_ is None:
            return 0
        taken = []
        while True:
            try:
                taken.append(queue_.get(block=False))
            except queue.Empty:
                break
        closed = 0
        for conn in taken:
            if conn is not None and conn.sock is not None:
                conn.close()
                closed += 1
            queue_.put(None)
        return closed

    def stream_capacity(self) -> int | None:
        """How many requests can stay open at once (long streams such as ``logs
        --follow`` hold theirs): in dial-stdio mode the pool's bound, each channel being an
        SSH session counted by sshd's ``MaxSessions``; None (no bound) otherwise."""
        if self.endpoint.resolve() == "dial-stdio":
            return min(self.max_pool_size, DIAL_STDIO_MAX_CHANNELS)
        return None

    def request_url(self, request: Any, proxies: Any) -> str:
        """Path only: there is no host to resolve and no proxy applies to a channel."""
        return request.path_url
