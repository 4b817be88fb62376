"""The ``docker`` settings of the Fabric/Invoke layer, read from one config key.

Every dockerfab setting lives under ``docker`` in the Invoke/Fabric configuration
(``fabric.yaml``, ``FABRIC_DOCKER_<KEY>`` environment variables, ``ns.configure``), and
``DOCKERFAB_<KEY>`` environment variables override them. :class:`DockerSettings` is the
typed, validated snapshot the tasks work from, so nothing deeper reads the config or the
environment.
"""
from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Mapping
from typing import Any

from dockerfab.errors import MapError
from dockerfab.rollout.config import section_defaults, validate_section

DEFAULT_BASE_URL = "unix:///var/run/docker.sock"
#: hosts worked on at once unless ``parallel`` says otherwise
DEFAULT_HOSTS_IN_FLIGHT = 32
#: the most threads (and kept SSH channels) one host gets for reading its state
MAX_HOST_THREADS = 32
#: the fewest, however many hosts are in flight
MIN_HOST_THREADS = 4
#: about this many such threads in the whole run when ``host_threads`` is automatic
RUN_THREAD_BUDGET = 256


def threads_per_host(hosts_in_flight: int, host_threads: int = 0) -> int:
    """Threads (and pooled channels) each host gets when ``hosts_in_flight`` hosts are
    worked on at once: ``host_threads`` if set, else ``MAX_HOST_THREADS`` for one host and
    fewer as more run at once (``RUN_THREAD_BUDGET`` shared, at least ``MIN_HOST_THREADS``):
    100 hosts at the default bound of 32 in flight get 8 each, 256 in all, not 3200."""
    if host_threads > 0:
        return host_threads
    share = RUN_THREAD_BUDGET // max(1, hosts_in_flight)
    return max(MIN_HOST_THREADS, min(MAX_HOST_THREADS, share))


@dataclasses.dataclass(frozen=True)
class DockerSettings:
    """What the tasks need to know to reach hosts and their daemons."""

    #: Map files to load; relative paths are taken from the working directory.
    maps: tuple[str, ...] = ()
    #: A clients file (path) or a dict of client name -> settings; ``None`` for none.
    clients: str | Mapping[str, Any] | None = None
    #: Docker daemon URL on each host (``unix://``, ``tcp://``, or a bare socket path).
    base_url: str = DEFAULT_BASE_URL
    #: Docker API version (``auto`` asks the daemon once).
    version: str = "auto"
    #: Time-out in seconds of Docker API calls, ``run_cmd`` commands and script transfers
    #: (``None``: the SDK's default, 60 s). Must be positive.
    timeout: float | None = None
    #: How to reach the socket: ``auto``, ``streamlocal``, ``dial-stdio`` or ``tcpip`` (see dockerfab.ssh).
    mode: str = "auto"
    #: Run ``run_cmd`` commands (volume permissions, uploads) with sudo on the host.
    sudo: bool = False
    #: Hosts worked on at once (``-H`` and client-file hosts); ``--parallel`` overrides it;
    #: 0 means the default, 32 (there is no unbounded setting).
    parallel: int = DEFAULT_HOSTS_IN_FLIGHT
    #: Threads (and SSH channels kept open) per host for its Docker calls (its reads, its
    #: actions, the deploy guard's record reading: the session's pool); 0 = automatic:
    #: 32 for one host in flight, fewer with more (about 256 in the run, at least 4 each).
    host_threads: int = 0
    #: Stop starting further hosts after the first failure.
    fail_fast: bool = False
    #: Accept (and do not record) host keys missing from known_hosts. Off by default.
    accept_unknown_hosts: bool = False
    #: known_hosts files to check; empty: ssh_config's UserKnownHostsFile or ~/.ssh/known_hosts.
    known_hosts: tuple[str, ...] = ()
    #: SSH connect timeout in seconds when Fabric's ``timeouts.connect`` is not set.
    connect_timeout: float = 10.0
    #: ``text`` (live lines and tables) or ``json`` (one document at the end).
    output: str = "text"
    #: Text output on a terminal: a live board of the hosts, redrawn in place (False: a
    #: line per action, as in a log; ``--no-board``).
    board: bool = True
    #: Health gate: wait for every started container to be ready before going on.
    wait: bool = True
    #: Seconds a started container without health check must run without a restart.
    readiness: float = 5.0
    #: Seconds a started container with a health check has to become healthy.
    health_timeout: float = 60.0
    #: Directory on each host for deploy locks, releases and the audit log; empty: the
    #: daemon's ``dockerfab-state`` volume.
    state_dir: str = ""
    #: Seconds a changing run waits for another run's deploy lock (0: fail at once).
    lock_wait: float = 0.0
    #: Rolling deploys: ``batch``, ``watch``, ``max_failures``, ``on_failure``
    #: (validated in :mod:`dockerfab.rollout.config`).
    rollout: Mapping[str, Any] = dataclasses.field(
        default_factory=lambda: section_defaults("rollout"))
    #: Releases: ``keep`` (how many per map and host).
    releases: Mapping[str, Any] = dataclasses.field(
        default_factory=lambda: section_defaults("releases"))
    #: Local commands: ``pre_deploy``, ``post_deploy``.
    hooks: Mapping[str, Any] = dataclasses.field(
        default_factory=lambda: section_defaults("hooks"))

    @property
    def hosts_in_flight(self) -> int:
        """The bound on hosts worked on at once: ``parallel``, 0 meaning the default."""
        return self.parallel or DEFAULT_HOSTS_IN_FLIGHT

    @property
    def command_timeout(self) -> float:
        """The time-out of ``run_cmd`` commands and transfers: ``timeout``, else the SDK's
        default for API calls."""
        from docker.constants import DEFAULT_TIMEOUT_SECONDS

        return float(DEFAULT_TIMEOUT_SECONDS) if self.timeout is None else self.timeout

    @property
    def docker_url(self) -> str:
        """``base_url`` with a bare socket path turned into a ``unix://`` URL."""
        if self.base_url.startswith("/"):
            return "unix://" + self.base_url
        return self.base_url

    @classmethod
    def from_config(cls, config: Any, environ: Mapping[str, str] | None = None) -> DockerSettings:
        """Read the ``docker`` key of an Invoke config (or a plain dict), then ``DOCKERFAB_*``
        (an empty variable counts as unset, as ``DOCKERFAB_OUTPUT= fab ...`` means)."""
        raw: dict[str, Any] = {}
        section = _get(config, "docker")
        if section is not None:
            raw.update({str(k): v for k, v in dict(section).items()})
        environ = os.environ if environ is None else environ
        for field in dataclasses.fields(cls):
            value = environ.get("DOCKERFAB_" + field.name.upper())
            if value:
                raw[field.name] = value
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> DockerSettings:
        """Validate and convert a ``docker`` section; unknown keys are an error."""
        names = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, value in raw.items():
            field = names.get(key)
            if field is None:
                close = difflib.get_close_matches(str(key), list(names), n=1)
                hint = f"did you mean '{close[0]}'?" if close else \
                    f"known: {', '.join(sorted(names))}"
                raise MapError(f"unknown setting ({hint})", ("docker", key))
            if value is None and field.default is None:
                values[key] = None
                continue
            try:
                values[key] = _convert(key, value)
            except MapError:
                raise
            except (TypeError, ValueError) as exc:
                raise MapError(str(exc), ("docker", key)) from None
        return cls(**values)


def defaults() -> dict[str, Any]:
    """The ``docker`` section for ``Collection.configure``: every key, so that Invoke also
    loads ``FABRIC_DOCKER_<KEY>`` environment variables for them; except ``clients``, which
    may be a path or an inline mapping, and Invoke cannot merge a mapping from a config file
    onto a default that is not one (``DOCKERFAB_CLIENTS`` still works)."""
    out: dict[str, Any] = {}
    for field in dataclasses.fields(DockerSettings):
        if field.name == "clients":
            continue
        if field.name in _SECTIONS:  # a mapping, so a config file's mapping merges into it
            out[field.name] = section_defaults(field.name)
            continue
        value = field.default
        out[field.name] = list(value) if isinstance(value, tuple) else value
    return out


def _get(config: Any, key: str) -> Any:
    if isinstance(config, Mapping):
        return config.get(key)
    try:
        return config[key]
    except (KeyError, AttributeError, TypeError):
        return None


_BOOLS = {"accept_unknown_hosts", "sudo", "fail_fast", "wait", "board"}
_LISTS = {"maps", "known_hosts"}
_NUMBERS = {"timeout": float, "connect_timeout": float, "parallel": int,
            "host_threads": int,
            "readiness": float, "health_timeout": float, "lock_wait": float}
_POSITIVE = {"timeout", "connect_timeout"}
_SECTIONS = ("rollout", "releases", "hooks")
_CHOICES = {"mode": ("auto", "streamlocal", "dial-stdio", "tcpip"), "output": ("text", "json")}


def _plain(value: Any) -> Any:
    """Invoke config proxies (nested mappings) as plain dicts."""
    if callable(getattr(value, "items", None)):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _convert(key: str, value: Any) -> Any:
    if key in _BOOLS:
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(f"expected a yes/no value, got {value!r}")
        return bool(value)
    if key in _LISTS:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, (list, tuple)):
            return tuple(str(v) for v in value)
        raise TypeError(f"expected a list of paths, got {type(value).__name__}")
    if key in _NUMBERS:
        if isinstance(value, bool):
            raise TypeError(f"expected a number, got {value!r}")
        number = _NUMBERS[key](value)
        if key in _POSITIVE and number <= 0:
            raise ValueError(f"must be a positive number of seconds, got {value!r} "
                             "(there is no 'no time-out' setting)")
        if number < 0:
            raise ValueError(f"must not be negative, got {value!r}")
        return number
    if key in _SECTIONS:
        return validate_section(key, value)
    if key == "clients":
        if isinstance(value, (str, Mapping)):
            return value
        if callable(getattr(value, "items", None)):  # Invoke's DataProxy of a config mapping
            return _plain(value)
        raise TypeError("expected a clients file path or a mapping of clients")
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    if key in _CHOICES and value not in _CHOICES[key]:
        raise ValueError(f"expected one of {', '.join(_CHOICES[key])}, got {value!r}")
    return value
