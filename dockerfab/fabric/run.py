"""One host of a run: the target, its open session (connection and Docker clients), and
opening and closing it. The run over all hosts is :mod:`dockerfab.fabric.pipeline`."""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fabric import Connection

from dockerfab.fabric.connection import (
    accepted_keys,
    close_connection,
    connect,
    open_connection,
)
from dockerfab.fabric.settings import MAX_HOST_THREADS, DockerSettings
from dockerfab.output import Reporter

if TYPE_CHECKING:
    from dockerfab.engine.pool import HostPool
    from dockerfab.fabric.client import DockerFabricClient
    from dockerfab.fabric.early import EarlyConnections

_log = logging.getLogger(__name__)


@dataclass
class HostTarget:
    """A host to work on. ``connection`` is Fabric's (``-H``), else one is opened to
    ``host``; ``host=None`` means the local daemon without SSH. ``clients`` are the
    client configurations (by name) that live on this host."""
    host: str | None
    connection: Connection | None = None
    clients: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.host or "localhost"


@dataclass
class HostSession:
    """An open host: its connection (None for local) and its Docker client."""
    target: HostTarget
    connection: Connection | None
    client: DockerFabricClient
    settings: DockerSettings
    reporter: Reporter
    _clients: dict[str, DockerFabricClient] | None = field(default=None, repr=False)
    _pool: HostPool | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return self.target.label

    @property
    def pool(self) -> HostPool:
        """The threads of this host's Docker reads (observation, the deploy guard's
        records, their inspects): ``settings.host_threads`` of them, the host's share of
        the run's budget (:func:`dockerfab.fabric.settings.threads_per_host`), started as
        needed and ended with the session."""
        if self._pool is None:
            from dockerfab.engine.pool import HostPool

            self._pool = HostPool(self.settings.host_threads or MAX_HOST_THREADS)
        return self._pool

    def release_threads(self) -> None:
        """End the pool's threads (a session kept open between batches holds none)."""
        if self._pool is not None:
            self._pool.release()

    def docker_clients(self) -> dict[str, DockerFabricClient]:
        """The Docker clients of the client configurations on this host, by name, all on
        the session's one connection (made on first use, closed with the session): what
        the engine is handed, next to :attr:`client` as the default client."""
        if self._clients is None:
            from dockerfab.fabric.clientconfig import session_clients

            self._clients = session_clients(self.connection, self.settings, self.client,
                                            self.target.clients, self.label)
        return self._clients


# What a task does on one host: returns (unchanged count or None, JSON-able result or None).
Work = Callable[[HostSession], "tuple[int | None, Any]"]


def open_session(target: HostTarget, config: Any, settings: DockerSettings,
                 reporter: Reporter, early: EarlyConnections | None = None) -> HostSession:
    """Connect to the target's host (once; or take the connection ``early`` opened ahead)
    and create its Docker client on that connection."""
    # the Docker SDK is imported here, not at start-up (docs/benchmarks.rst, "Start-up")
    from dockerfab.fabric.client import fabric_docker_client

    connection: Connection | None = None
    if target.connection is not None:
        opened = early.take(target.connection) if early is not None else None
        connection = opened or open_connection(target.connection, settings)
    elif target.host is not None:
        connection = connect(target.host, config, settings)
    for line in accepted_keys(connection) if connection is not None else ():
        reporter.message(target.label, line)
    if target.clients:  # the host's own Docker URL, version and timeout, if its client says
        settings = next(iter(target.clients.values())).docker_settings(settings)
    try:
        client = fabric_docker_client(connection, settings, host=target.label)
    except BaseException:
        if connection is not None:
            close_connection(connection)
        raise
    return HostSession(target, connection, client, settings, reporter)


def close_session(session: HostSession) -> None:
    """Close a host's Docker client, then the connection the run opened for it, then end
    the session's threads (a read still under way ends with its connection)."""
    try:
        for client in {id(c): c for c in (session._clients or {}).values()}.values():
            if client is not session.client:
                client.close()
        session.client.close()
    finally:
        try:
            if session.connection is not None:
                close_connection(session.connection)
        finally:
            if session._pool is not None:
                session._pool.shutdown(wait=True, cancel_futures=True)


def unexpected_error_line(exc: BaseException) -> str:
    """One line for an exception outside dockerfab's tree; its traceback is logged at debug
    level, which ``--debug`` prints."""
    _log.debug("unexpected error", exc_info=exc)
    text = " ".join(str(exc).split()) or "no message"
    hint = "" if _log.isEnabledFor(logging.DEBUG) else " (--debug shows the traceback)"
    return f"{type(exc).__name__}: {text}{hint}"
