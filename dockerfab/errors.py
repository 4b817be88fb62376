"""Every error dockerfab raises on purpose derives from :class:`DockerFabError`.

The tree::

    DockerFabError
    ├── UsageError                command-line flags that contradict each other or name an unknown value
    ├── MapError                  bad map, clients or settings input (file, line, key path)
    │   ├── MapIntegrityError     a reference to an alias, container or network that is not defined
    │   └── CircularDependency    containers that depend on each other in a cycle
    ├── BuildError                an image build that failed (DockerFile, DockerContext)
    ├── RemoteError               something the Docker daemon or a host refused (host, action)
    │   ├── ForeignObjectError    a map item's name is taken by something dockerfab did not create
    │   ├── VolumeChangeError     an attached volume changed; re-creating it would lose its data
    │   ├── ActionRunnerException a map action failed part-way; carries the partial results
    │   │   ├── ScriptActionException  run_script could not run its script
    │   │   └── Interrupted       SIGINT/SIGTERM stopped the run; what was and was not done
    │   ├── PartialResultsError   a DockerClientWrapper utility failed part-way
    │   ├── HealthGateFailed      a started container did not become ready (health gate)
    │   ├── HostLocked            another run holds the host's deploy lock (exit status 5)
    │   └── RolledBack            a rollout failed and the host was rolled back (exit status 4)
    └── ConnectionFailed          a host could not be reached (SSH, host key, Docker socket)
        └── HostKeyError          the host's key is unknown or changed

Callers that only want "did dockerfab refuse this" catch :class:`DockerFabError`; its
``str()`` is a complete one-line message meant for the user, no traceback needed.
``exit_code`` is the program's exit status when a host fails with the error (the table is
in docs/reliability.rst).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

KeyPath = Sequence["str | int"]


def format_key_path(path: KeyPath) -> str:
    """``('app_server', 'binds', 1)`` -> ``'app_server.binds[1]'``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


class DockerFabError(Exception):
    """Root of dockerfab's exceptions. ``str(error)`` is the whole message for the user."""

    #: Exit status of the program when a host fails with this error.
    exit_code = 1


class UsageError(DockerFabError, ValueError):
    """A task's flags contradict each other or name an unknown value (exit status 2)."""


class MapError(DockerFabError, ValueError):
    """Invalid map, clients file or setting.

    ``path`` is the key path inside the input (``('app_server', 'binds', 1)``); ``file`` and
    ``line`` are filled in by the YAML loader where the input came from a file.
    """

    exit_code = 2

    def __init__(self, message: str, path: KeyPath = (), *, file: str | None = None,
                 line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path: tuple[str | int, ...] = tuple(path)
        self.file = file
        self.line = line

    def at(self, *prefix: str | int) -> MapError:
        """Prefix the key path (used while descending into nested input); returns self."""
        self.path = tuple(prefix) + self.path
        return self

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        key = format_key_path(self.path)
        return f"{where}{key + ': ' if key else ''}{self.message}"


class MapIntegrityError(MapError):
    """A map refers to something it does not define (alias, container, network, client)."""


class CircularDependency(MapError):
    """Items that depend on each other in a cycle; ``cycle`` lists them in order."""

    def __init__(self, cycle: Iterable[Any], path: KeyPath = ()) -> None:
        self.cycle = list(cycle)
        super().__init__("dependency cycle: " + " -> ".join(map(str, self.cycle)), path)


class BuildError(DockerFabError):
    """An image build failed; ``log`` holds the daemon's output lines."""

    def __init__(self, message: str, log: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.log = list(log)


class RemoteError(DockerFabError):
    """A host or its Docker daemon refused or failed an action.

    ``host`` names the client/host, ``action`` what was attempted, ``item`` the container,
    volume, network or image concerned (any may be None).
    """

    def __init__(self, message: str, *, host: str | None = None, action: str | None = None,
                 item: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.host = host
        self.action = action
        self.item = item

    def __str__(self) -> str:
        parts = [p for p in (self.host, self.action, self.item) if p]
        return (" ".join(parts) + ": " if parts else "") + self.message


class ForeignObjectError(RemoteError):
    """Containers, volumes or networks named like map items exist on a host without
    dockerfab's labels; nothing was changed. ``items`` lists ``(kind, name)``."""

    def __init__(self, message: str, items: Iterable[tuple[str, str]] = (), **kwargs: Any
                 ) -> None:
        super().__init__(message, **kwargs)
        self.items = list(items)


class VolumeChangeError(RemoteError):
    """An attached volume differs from the map and ``recreate_volumes`` was not given;
    nothing was changed. ``changes`` maps volume names to their reasons."""

    def __init__(self, message: str, changes: dict[str, list[str]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.changes = dict(changes or {})


class HostLocked(RemoteError):
    """Another run holds the deploy lock of the host; ``holder`` says who, since when, with
    which task (a :class:`dockerfab.rollout.holder.Holder`, or None if unreadable)."""

    exit_code = 5

    def __init__(self, message: str, holder: Any = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.holder = holder


class RolledBack(RemoteError):
    """A rollout failed and this host went back to the release it had before it."""

    exit_code = 4


class PartialResults(list):  # type: ignore[type-arg]
    """The results done before a failure: a list that can also be called, because spec
    3.11.8 documents them as ``results()`` (``error.results`` and ``error.results()`` are
    the same list)."""

    def __call__(self) -> PartialResults:
        return self


class PartialResultsError(RemoteError):
    """A multi-step utility failed part-way; ``results`` (also ``results()``) holds what
    had been done."""

    def __init__(self, message: str, results: Any = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.results = results

    @property
    def results(self) -> PartialResults:
        return self._results

    @results.setter
    def results(self, value: Any) -> None:
        if value is None or (isinstance(value, (list, tuple))
                             and not isinstance(value, PartialResults)):
            value = PartialResults(value or ())
        self._results = value


class ActionRunnerException(PartialResultsError):
    """A map action failed on a client. ``results`` lists the actions already done (on all
    clients); ``client_name`` and ``action_type`` say where and what failed; ``reraise()``
    raises the original exception with its traceback."""

    def __init__(self, message: str, results: Any = None, *, cause: BaseException | None = None,
                 **kwargs: Any) -> None:
        super().__init__(message, results, **kwargs)
        self.cause = cause

    @property
    def client_name(self) -> str | None:
        return self.host

    @property
    def action_type(self) -> str | None:
        return self.action

    def reraise(self) -> None:
        if self.cause is None:
            raise self
        raise self.cause.with_traceback(self.cause.__traceback__)


class ScriptActionException(ActionRunnerException):
    """run_script could not run (e.g. its container already exists)."""


class HealthGateFailed(RemoteError):
    """A started container did not become ready: it exited with a non-zero code, restarted,
    turned unhealthy or was not healthy in time (``reason``). ``output`` is the health
    check's last output or the container's last log lines, environment values masked. In
    a map action it is the ``cause`` of the ActionRunnerException."""

    def __init__(self, message: str, *, reason: str = "", output: str = "",
                 **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.reason = reason
        self.output = output


class Interrupted(ActionRunnerException):
    """The run was stopped (SIGINT, SIGTERM, :func:`dockerfab.interrupts.request_stop`)
    before it was done. ``results``: what was done; ``not_done``: the planned actions that
    were not started; ``missing``: what the hosts lack because of it, one line per
    container (``m.web: removed, not re-created``). A re-run converges."""

    def __init__(self, message: str, results: Any = None, *, not_done: Sequence[Any] = (),
                 missing: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(message, results, **kwargs)
        self.not_done = list(not_done)
        self.missing = list(missing)


class ConnectionFailed(DockerFabError):
    """A host could not be reached: SSH connection, authentication, or its Docker socket."""

    def __init__(self, message: str, *, host: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.host = host

    def __str__(self) -> str:
        return f"{self.host}: {self.message}" if self.host else self.message


class HostKeyError(ConnectionFailed):
    """The SSH host key is not in known_hosts, or differs from the one recorded there."""
