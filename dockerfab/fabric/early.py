"""SSH connections opened ahead of the work: once a task has checked everything it can check
without a host (settings, maps, names, flags), its ``-H`` hosts start their SSH handshakes
in the background, while the program imports and builds what the work on them needs (the
Docker SDK, the engine, the plan). Each host's session then takes its connection instead of
opening one (:func:`dockerfab.fabric.run.open_session`); what opening it raised is raised
there, so a host that cannot be reached fails as it always did.

A bad map, name or flag still ends the run before any host is contacted: the tasks start
the handshakes only after those checks (docs/benchmarks.rst, "Start-up").
"""
from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

# everything the background thread runs is imported before it starts: two threads
# importing at once can see each other's modules half-initialised
from dockerfab.fabric.connection import close_connection, open_connection

if TYPE_CHECKING:
    from fabric import Connection

    from dockerfab.fabric.settings import DockerSettings


class _Opening:
    """One connection being opened in its own thread."""

    def __init__(self, connection: Connection, settings: DockerSettings) -> None:
        self.connection = connection
        self.settings = settings
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._lock = threading.Lock()
        self._abandoned = False
        self.thread = threading.Thread(target=self._open, daemon=True,
                                       name=f"dockerfab-connect-{connection.original_host}")

    def _open(self) -> None:
        try:
            open_connection(self.connection, self.settings)
        except BaseException as exc:  # noqa: BLE001  handed to whoever takes the connection
            self.error = exc
        with self._lock:
            self.done.set()
            abandoned = self._abandoned
        if abandoned and self.error is None:
            close_connection(self.connection)

    def result(self) -> Connection:
        """The open connection, once the handshake is done; raises what opening raised."""
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.connection

    def abandon(self) -> None:
        """Nobody takes the connection: close it now, or when the handshake ends."""
        with self._lock:
            self._abandoned = True
            finished = self.done.is_set()
        if finished and self.error is None:
            close_connection(self.connection)


class EarlyConnections:
    """The connections of a run opened ahead, by Connection object (one per ``-H`` host)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._openings: dict[int, _Opening] = {}

    def start(self, connections: Iterable[Connection], settings: DockerSettings) -> None:
        """Start opening each of ``connections`` (not open yet) in the background."""
        for connection in connections:
            with self._lock:
                if id(connection) in self._openings or connection.is_connected:
                    continue
                opening = self._openings[id(connection)] = _Opening(connection, settings)
            opening.thread.start()

    def take(self, connection: Connection) -> Connection | None:
        """``connection`` opened, if it was started ahead (waits for its handshake, raises
        what opening it raised); None if it was not."""
        with self._lock:
            opening = self._openings.pop(id(connection), None)
        return opening.result() if opening is not None else None

    def discard(self, connections: Iterable[Connection] | None = None) -> None:
        """Close what was opened ahead for ``connections`` (all: None) and not taken: the
        hosts a task skipped (``--fail-fast``, Ctrl-C) or never got to."""
        with self._lock:
            keys = list(self._openings) if connections is None else \
                [id(c) for c in connections if id(c) in self._openings]
            openings = [self._openings.pop(k) for k in keys]
        for opening in openings:
            opening.abandon()

    def __len__(self) -> int:
        with self._lock:
            return len(self._openings)
