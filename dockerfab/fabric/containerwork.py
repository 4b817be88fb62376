"""``logs`` and ``exec``: the output of the map's containers on every host of the call.

For the run (:func:`logs_task`, :func:`exec_task`): maps loaded and names checked once, no
host contacted before; then :meth:`Run.on_hosts <dockerfab.fabric.pipeline.Run.on_hosts>`,
so hosts work at once and a host that fails (unreachable, no such container) gets its line
while the others go on. Per host: the containers the names mean there
(:func:`host_containers`), one stream per container over the host's one SSH connection
(:mod:`dockerfab.engine.containerio`), each line handed to the reporter with its host and
container (:meth:`Reporter.line <dockerfab.output.Reporter.line>`).

Neither task takes the deploy lock nor leaves an audit record: ``logs`` reads only, and
``exec`` runs a command in a container without changing what dockerfab manages (its image,
configuration, name or the map's state), like ``docker compose exec`` and ``kamal app
exec``; waiting for a deploy's lock would keep an operator from looking into a container
exactly while a long deploy runs. Ctrl-C (SIGINT/SIGTERM) closes every open stream at once
(:func:`dockerfab.interrupts.on_stop`); an exec's command is not stopped by that (the
Docker API cannot end an exec), it goes on in its container.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from dockerfab import interrupts
from dockerfab.errors import ConnectionFailed, DockerFabError, UsageError
from dockerfab.fabric.flags import TaskFlags
from dockerfab.fabric.pipeline import Run
from dockerfab.fabric.run import HostSession, Work

if TYPE_CHECKING:  # imported when the work runs (the Docker SDK with it)
    from dockerfab.engine.containerio import ExecOptions, LogOptions, OutputStream


@dataclass(frozen=True)
class Target:
    """One container of the selection on this host: ``label`` prefixes its lines (the
    container name, ``@client`` added for a client configuration other than the host's
    own), ``client`` is the Docker client it lives on."""
    label: str
    name: str
    client: Any


def host_containers(session: HostSession, maps: Sequence[Any], names: Sequence[str],
                    instances: Sequence[str]) -> list[Target]:
    """The containers ``names`` (and ``instances``) mean on this host, every instance, in
    the order asked; [] when no map is deployed to the host."""
    from dockerfab.fabric.actions import mapping_client
    from dockerfab.map.naming import container_name
    from dockerfab.plan.model import DEFAULT_CLIENT

    engine = mapping_client(session, maps)
    try:
        if not engine.maps:
            return []
        view = engine.view()
        targets = []
        for cid in view.select(list(names), list(instances) or None):
            name = container_name(cid.map_name, cid.config_name, cid.instance_name)
            for client_name in view.clients(cid):
                label = name if client_name == DEFAULT_CLIENT else f"{name}@{client_name}"
                targets.append(Target(label, name, engine.docker_client(client_name)))
        return targets
    finally:
        engine.close()


class OpenStreams:
    """The streams open on one host; all closed at once on Ctrl-C (or :meth:`close_all`).
    A stream added after that is refused (closed at once)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: set[OutputStream] = set()
        self.stopped = False

    def add(self, stream: OutputStream) -> bool:
        with self._lock:
            if not self.stopped:
                self._streams.add(stream)
                return True
        stream.close()
        return False

    def discard(self, stream: OutputStream) -> None:
        with self._lock:
            self._streams.discard(stream)
        stream.close()

    def close_all(self) -> None:
        with self._lock:
            self.stopped = True
            streams, self._streams = list(self._streams), set()
        for stream in streams:
            stream.close()

    @classmethod
    @contextmanager
    def until_stop(cls) -> Iterator[OpenStreams]:
        """Streams closed by the first stop request (Ctrl-C, SIGTERM) and at the end."""
        streams = cls()
        unregister = interrupts.on_stop(streams.close_all)
        if interrupts.stop_requested():
            streams.close_all()
        try:
            yield streams
        finally:
            unregister()
            streams.close_all()


def _failed(session: HostSession, task: str, item: str, error: str,
            duration: float | None = None) -> None:
    """One failed container: its one line now, counted as failed in the host's report."""
    session.reporter.event(session.label, SimpleNamespace(
        kind=task, item=item, phase="failed", error=error, duration=duration))


def _why(exc: BaseException) -> str:
    """One line for what went wrong with one container's stream."""
    import docker.errors
    import requests

    if isinstance(exc, docker.errors.NotFound):
        return "no such container"
    if isinstance(exc, docker.errors.APIError):
        return " ".join(str(exc.explanation or exc).split())
    if isinstance(exc, DockerFabError):
        return str(exc)
    if isinstance(exc, requests.exceptions.RequestException):
        cause = exc.__context__ or exc
        return f"connection to the Docker daemon failed: {' '.join(str(cause).split())}"
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def _stream_errors() -> tuple[type[BaseException], ...]:
    """What opening or reading one container's stream may raise (that container fails)."""
    import http.client

    import docker.errors
    import requests
    import urllib3.exceptions

    return (DockerFabError, OSError, docker.errors.DockerException,
            requests.exceptions.RequestException, urllib3.exceptions.HTTPError,
            http.client.HTTPException)


def _capacity(client: Any) -> int | None:
    """Streams ``client`` can keep open at once (None: no bound); see
    :meth:`dockerfab.ssh.adapter.SSHChannelAdapter.stream_capacity`."""
    adapter = getattr(client, "_custom_adapter", None)
    capacity = getattr(adapter, "stream_capacity", None)
    return capacity() if callable(capacity) else None


def _within_capacity(targets: Sequence[Target]) -> tuple[list[Target], list[Target]]:
    """The targets that can be streamed at once, and those beyond a client's bound (one
    channel of each bounded client is left for other requests)."""
    taken: dict[int, int] = {}
    fits, beyond = [], []
    for target in targets:
        bound = _capacity(target.client)
        used = taken.get(id(target.client), 0)
        if bound is not None and used >= bound - 1:
            beyond.append(target)
            continue
        taken[id(target.client)] = used + 1
        fits.append(target)
    return fits, beyond


def _too_many(session: HostSession, task: str, beyond: Sequence[Target]) -> None:
    room = (_capacity(beyond[0].client) or 1) - 1
    for target in beyond:
        _failed(session, task, target.label,
                f"not started: over docker system dial-stdio this host carries {room} "
                f"stream{'s' if room != 1 else ''} at once (sshd's MaxSessions, "
                "docker.host_threads); name fewer containers")


def _show(session: HostSession, target: Target, stream: OutputStream,
          streams: OpenStreams) -> None:
    if not streams.add(stream):
        return
    try:
        for kind, line in stream.lines():
            session.reporter.line(session.label, target.label, kind, line)
    finally:
        streams.discard(stream)


def _each(targets: Sequence[Target], one: Callable[[Target], None], together: bool) -> None:
    """``one(target)`` for every target: in threads of their own when ``together``."""
    if not together or len(targets) <= 1:
        for target in targets:
            one(target)
        return
    with ThreadPoolExecutor(max_workers=len(targets),
                            thread_name_prefix="dockerfab-stream") as pool:
        for future in [pool.submit(one, t) for t in targets]:
            future.result()


# --- logs ----------------------------------------------------------------------------------

def logs_work(maps: Sequence[Any], names: Sequence[str], instances: Sequence[str],
              options: LogOptions) -> Work:
    """The logs of the selected containers on one host: one after another, or with
    ``follow`` all at once until each container stops or the run is interrupted."""
    from dockerfab.engine.containerio import open_logs

    def work(session: HostSession) -> tuple[int | None, Any]:
        targets = host_containers(session, maps, names, instances)
        if not targets:
            session.reporter.message(session.label, "no map is deployed to this host")
            return None, None
        beyond: list[Target] = []
        if options.follow:
            targets, beyond = _within_capacity(targets)
            if beyond:
                _too_many(session, "logs", beyond)
        shown: list[str] = []
        errors = _stream_errors()

        def one(target: Target) -> None:
            try:
                stream = open_logs(target.client, target.name, options)
            except errors as exc:
                if isinstance(exc, ConnectionFailed):
                    raise
                _failed(session, "logs", target.label, _why(exc))
                return
            try:
                _show(session, target, stream, streams)
            except errors as exc:
                if isinstance(exc, ConnectionFailed):
                    raise
                _failed(session, "logs", target.label, _why(exc))
                return
            shown.append(target.label)

        with OpenStreams.until_stop() as streams:
            _each(targets, one, together=options.follow)
        return None, {"containers": shown}
    return work


def logs_task(run: Run, context: Any, names: Sequence[str], instances: Sequence[str],
              options: LogOptions, flags: TaskFlags) -> None:
    """``logs`` on every host of the call (see the module's doc)."""
    run.begin("logs", flags, lines=True)
    maps = run.maps(complete=False)
    run.check_names(maps, names, instances)
    run.on_hosts(context, "logs", logs_work(maps, names, instances, options))


# --- exec ----------------------------------------------------------------------------------

@dataclass
class ExecOutcome:
    """How ``exec`` ended in one container: its exit status, or why there is none."""
    container: str
    exit_code: int | None = None
    error: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"container": self.container, "exit_code": self.exit_code,
                "error": self.error, "seconds": round(self.seconds, 3)}


def exec_summary(outcomes: Sequence[ExecOutcome]) -> str:
    """The host's summary line: how many containers ran the command, how many exited 0,
    and each one that did not."""
    ok = [o for o in outcomes if o.exit_code == 0]
    count = f"{len(outcomes)} container{'s' if len(outcomes) != 1 else ''}"
    others = [f"{o.container} {o.error or f'exit status {o.exit_code}'}"
              for o in outcomes if o.exit_code != 0]
    return f"exec: {count}, {len(ok)} exited 0" + ("; " + ", ".join(others) if others else "")


def exec_work(maps: Sequence[Any], name: str, instances: Sequence[str],
              command: Sequence[str], options: ExecOptions) -> Work:
    """``command`` in every selected container on one host (at once), each one's output
    as lines, its exit status as an event, a summary line for the host."""
    from dockerfab.engine.containerio import exec_exit_code, start_exec

    def work(session: HostSession) -> tuple[int | None, Any]:
        targets = host_containers(session, maps, [name], instances)
        if not targets:
            session.reporter.message(session.label, "no map is deployed to this host")
            return None, None
        targets, beyond = _within_capacity(targets)
        if beyond:
            _too_many(session, "exec", beyond)
        outcomes: dict[str, ExecOutcome] = {}
        errors = _stream_errors()

        def one(target: Target) -> None:
            outcome = outcomes[target.label] = ExecOutcome(target.label)
            began = time.monotonic()
            try:
                exec_id, stream = start_exec(target.client, target.name, command, options)
                _show(session, target, stream, streams)
                if streams.stopped:
                    outcome.error = ("interrupted: the command may still run in the "
                                     "container")
                else:
                    outcome.exit_code = exec_exit_code(target.client, exec_id)
                    if outcome.exit_code is None:
                        outcome.error = "no exit status: the command still runs"
            except errors as exc:
                if isinstance(exc, ConnectionFailed):
                    raise
                outcome.error = _why(exc)
            outcome.seconds = time.monotonic() - began
            if outcome.exit_code == 0:
                session.reporter.event(session.label, SimpleNamespace(
                    kind="exec", item=target.label, phase="done", note="exit status 0",
                    duration=outcome.seconds))
            else:
                _failed(session, "exec", target.label,
                        outcome.error or f"exit status {outcome.exit_code}", outcome.seconds)

        with OpenStreams.until_stop() as streams:
            _each(targets, one, together=True)
        done = [outcomes[t.label] for t in targets]
        session.reporter.message(session.label, exec_summary(
            done + [ExecOutcome(t.label, error="not started") for t in beyond]))
        return None, [o.as_dict() for o in done]
    return work


def exec_task(run: Run, context: Any, name: str, instances: Sequence[str],
              command: Sequence[str], options: ExecOptions, flags: TaskFlags) -> None:
    """``exec`` on every host of the call: ``name`` must mean one configuration (every
    instance, or those of ``instances``); checked, with the command, before any host."""
    from dockerfab.map.select import select_in

    run.begin("exec", flags, lines=True)
    if not command:
        raise UsageError("exec needs a command after '--': dockerfab -H HOST exec NAME -- "
                         "CMD ARGS...")
    maps = run.maps(complete=False)
    run.check_names(maps, [name], instances)
    configs = {(c.map_name, c.config_name) for c in select_in(maps, [name],
                                                              list(instances) or None)}
    if len(configs) != 1:
        raise UsageError(f"exec runs in the containers of one configuration; {name!r} "
                         f"names {len(configs)}")
    run.on_hosts(context, "exec", exec_work(maps, name, instances, command, options))


__all__ = [
    "ExecOutcome",
    "OpenStreams",
    "Target",
    "exec_summary",
    "exec_task",
    "exec_work",
    "host_containers",
    "logs_task",
    "logs_work",
]
