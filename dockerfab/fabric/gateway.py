"""Jump hosts (bastions): one SSH connection to each, shared by every host behind it.

Fabric builds a new gateway ``Connection`` for each target (from ssh_config's ``ProxyJump``
or the ``gateway`` setting), opens it on the target's first use and never closes it, so
``-H a,b,c`` behind one bastion would log in to the bastion three times and leave three
connections open. :class:`GatewayPool` swaps each target's gateway for one shared,
reference-counted connection per jump host (user, address, port and its own jump host),
opens it once under a lock (targets open concurrently) and closes it when the last target
behind it is closed.

A ``ProxyCommand`` gateway (a string) is a program per target; it is left to Fabric.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from fabric import Connection

GatewayKey = tuple[str, str, str, int, "GatewayKey | str | None"]


def gateway_key(gateway: Connection) -> GatewayKey:
    """What makes two gateway connections the same: the name the user gave (its ssh_config
    block may name other known_hosts or keys), user, host, port and their own hop."""
    inner = gateway.gateway
    hop: GatewayKey | str | None
    if isinstance(inner, Connection):
        hop = gateway_key(inner)
    else:
        hop = inner or None
    return (str(gateway.original_host), str(gateway.user), str(gateway.host),
            int(gateway.port), hop)


@dataclass
class _Shared:
    connection: Connection
    users: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class GatewayPool:
    """Shared jump-host connections, counted by the targets that use them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shared: dict[GatewayKey, _Shared] = {}
        # id(target connection) -> (it, its shared gateway); not attributes on the
        # connection: Fabric stores unknown attributes in the config all connections share
        self._targets: dict[int, tuple[Connection, Connection]] = {}

    def attach(self, connection: Connection, prepare: Callable[[Connection], None]) -> None:
        """Give ``connection`` the shared connection of its gateway (once; a ProxyCommand
        or no gateway is left alone). :meth:`detach` undoes it."""
        gateway = connection.gateway
        if not isinstance(gateway, Connection):
            return
        with self._lock:
            if id(connection) in self._targets:
                return
        shared = self.share(gateway, prepare)
        connection.gateway = shared
        with self._lock:
            self._targets[id(connection)] = (connection, shared)

    def detach(self, connection: Connection) -> None:
        """``connection`` no longer uses its shared gateway (closed with the last user)."""
        with self._lock:
            entry = self._targets.pop(id(connection), None)
        if entry is not None:
            self.release(entry[1])

    def share(self, gateway: Connection, prepare: Callable[[Connection], None]) -> Connection:
        """The shared connection for ``gateway`` (``prepare`` runs on a new one, once); the
        caller must :meth:`release` it."""
        key = gateway_key(gateway)
        with self._lock:
            entry = self._shared.get(key)
            if entry is None:
                prepare(gateway)
                entry = self._shared[key] = _Shared(gateway)
            entry.users += 1
            return entry.connection

    def open(self, gateway: Connection) -> None:
        """Open a shared gateway (and the hops before it) unless it is open already; one
        thread at a time per gateway."""
        if isinstance(gateway.gateway, Connection):
            self.open(gateway.gateway)
        entry = self._entry(gateway)
        if entry is None:
            gateway.open()
            return
        with entry.lock:
            if not gateway.is_connected:
                gateway.open()

    def release(self, gateway: Connection) -> None:
        """One target less behind ``gateway``; the last one closes it (and its own hop)."""
        with self._lock:
            key = next((k for k, e in self._shared.items() if e.connection is gateway), None)
            if key is None:
                return
            entry = self._shared[key]
            entry.users -= 1
            if entry.users > 0:
                return
            del self._shared[key]
        gateway.close()
        if isinstance(gateway.gateway, Connection):
            self.release(gateway.gateway)

    def open_count(self) -> int:
        """How many jump-host connections are shared right now (for tests and benchmarks)."""
        with self._lock:
            return len(self._shared)

    def _entry(self, gateway: Connection) -> _Shared | None:
        with self._lock:
            return next((e for e in self._shared.values() if e.connection is gateway), None)


#: the process's pool: every connection dockerfab prepares shares its jump hosts here
GATEWAYS = GatewayPool()
