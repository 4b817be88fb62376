"""Running one task on several hosts: open, work, report, close; failures stay per host.

A :class:`RunState` lives on the Invoke config object for the whole program run (Fabric and
Invoke hand every task call the same config object), so per-host calls made one after
another by ``fab`` and concurrently by ``dockerfab`` report into one summary.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from fabric import Connection

from dockerfab.errors import DockerFabError
from dockerfab.fabric.client import DockerFabricClient, fabric_docker_client
from dockerfab.fabric.connection import (
    accepted_keys,
    close_connection,
    connect,
    open_connection,
)
from dockerfab.fabric.settings import DockerSettings
from dockerfab.output import Reporter

_log = logging.getLogger(__name__)
_STATE_ATTR = "_dockerfab_run"
_STATE_LOCK = threading.Lock()  # guards creating the state when calls start concurrently


@dataclass
class RunState:
    """Per program run: the reporter, and whether ``--fail-fast`` asked to stop."""
    reporter: Reporter
    stop: threading.Event = field(default_factory=threading.Event)
    prompt_lock: threading.Lock = field(default_factory=threading.Lock)  # one question at a time


def run_state(config: Any, settings: DockerSettings) -> RunState:
    """The run's state, created on the config object at the first task call."""
    with _STATE_LOCK:
        state = getattr(config, _STATE_ATTR, None)
        if state is None:
            state = RunState(Reporter.for_mode(settings.output))
            config._set(**{_STATE_ATTR: state})  # a real attribute, not config data
        return state


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

    @property
    def label(self) -> str:
        return self.target.label

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
                 reporter: Reporter) -> HostSession:
    """Connect to the target's host (once) and create its Docker client on that connection."""
    connection: Connection | None = None
    if target.connection is not None:
        connection = open_connection(target.connection, settings)
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
    try:
        for client in {id(c): c for c in (session._clients or {}).values()}.values():
            if client is not session.client:
                client.close()
        session.client.close()
    finally:
        if session.connection is not None:
            close_connection(session.connection)


def run_on_host(target: HostTarget, task: str, work: Work, config: Any,
                settings: DockerSettings, state: RunState) -> bool:
    """Do ``work`` on one host and record the outcome; never raises for host failures
    (a bug, i.e. an exception outside dockerfab's tree, still propagates)."""
    reporter = state.reporter
    report = reporter.host(target.label, task)
    if state.stop.is_set():
        reporter.finish(target.label, "skipped: an earlier host failed (--fail-fast)")
        return False
    try:
        session = open_session(target, config, settings, reporter)
        try:
            unchanged, result = work(session)
        finally:
            close_session(session)
    except DockerFabError as exc:
        reporter.finish(target.label, exc)
        if settings.fail_fast:
            state.stop.set()
        return False
    except Exception as exc:  # noqa: BLE001  transport dropped mid-run, Docker API errors
        reporter.finish(target.label, unexpected_error_line(exc))
        if settings.fail_fast:
            state.stop.set()
        return False
    reporter.finish(target.label, unchanged=unchanged, result=result)
    return report.ok


def unexpected_error_line(exc: BaseException) -> str:
    """One line for an exception outside dockerfab's tree; its traceback is logged at debug
    level, which ``--debug`` prints."""
    _log.debug("unexpected error", exc_info=exc)
    text = " ".join(str(exc).split()) or "no message"
    hint = "" if _log.isEnabledFor(logging.DEBUG) else " (--debug shows the traceback)"
    return f"{type(exc).__name__}: {text}{hint}"


def run_on_hosts(targets: Sequence[HostTarget], task: str, work: Work, config: Any,
                 settings: DockerSettings, state: RunState) -> bool:
    """Run ``work`` on every target, ``settings.parallel`` at a time (0: all at once)."""
    if len(targets) == 1:
        return run_on_host(targets[0], task, work, config, settings, state)
    workers = settings.parallel or len(targets)
    with ThreadPoolExecutor(max_workers=max(1, workers),
                            thread_name_prefix="dockerfab-host") as pool:
        futures = [pool.submit(run_on_host, t, task, work, config, settings, state)
                   for t in targets]
        results = [f.result() for f in futures]  # every host, no short circuit
        return all(results)
