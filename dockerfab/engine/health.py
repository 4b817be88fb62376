"""The health gate: a started container counts as done only once it is ready.

Ready means *healthy* for a container with a health check, otherwise *running without a
restart* for the readiness delay; a container that exits with code 0 (a data-only or
one-shot container, CLARIFICATIONS 15) is done too ("exited 0"). A non-zero exit, a
restart, an unhealthy status or the time-out is a failure, reported with the health check's
last output or the container's last log lines (environment values masked).

One :class:`HealthGate` per Docker client (i.e. per host) reads one event stream
(``/events`` filtered to the containers it waits for: start, die, restart, health_status),
however many containers it waits for; it is subscribed *before* the first of them is
started, so no event is missed. When a container's readiness delay is over, one list call
(for every container due at that moment) confirms what the events said and tells which
containers have a health check from their image (``Status`` "(health: starting)"); at the
time-out one inspect per container still starting reads its last health check output.
Nothing polls.

For code outside the executor (rollouts: batches that wait, health-gated rollback):
:func:`wait_ready` waits for containers started elsewhere, :func:`watch_running` checks
that running containers stay up (and healthy) for some seconds. Both raise
:class:`~dockerfab.errors.HealthGateFailed`.
"""
from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import docker

from dockerfab.errors import HealthGateFailed, MapError

log = logging.getLogger(__name__)

#: seconds a container without health check must run without a restart
DEFAULT_READINESS = 5.0
#: seconds a container with a health check has to become healthy
DEFAULT_HEALTH_TIMEOUT = 60.0
#: log lines shown when a container exited or restarted
LOG_LINES = 8
#: environment variables whose values are no secret and too common to mask in output
PLAIN_ENV = frozenset({"PATH", "HOME", "HOSTNAME", "TERM", "LANG", "PWD", "SHELL", "USER"})

_EVENTS = ["start", "die", "restart", "health_status"]
_EXITED = re.compile(r"Exited \((-?\d+)\)")

# watch modes
READY = "ready"      # running for the readiness delay (or healthy, if a check shows up)
HEALTH = "health"    # until healthy, or the time-out
STAY = "stay"        # already running: must stay up (and not turn unhealthy) for a while


@dataclass(frozen=True)
class GateOptions:
    """How starts are gated: ``wait`` off means a start is done once Docker started it."""
    wait: bool = True
    readiness: float = DEFAULT_READINESS
    timeout: float = DEFAULT_HEALTH_TIMEOUT

    def __post_init__(self) -> None:
        if self.readiness < 0 or self.timeout < 0:
            raise ValueError("readiness and health time-out must not be negative")

    @classmethod
    def defaults(cls, wait: bool | None = None, readiness: float | None = None,
                 timeout: float | None = None,
                 environ: Mapping[str, str] | None = None) -> GateOptions:
        """The values given; for those left None ``DOCKERFAB_WAIT``,
        ``DOCKERFAB_READINESS``, ``DOCKERFAB_HEALTH_TIMEOUT`` (the variables that also set
        the ``docker.*`` settings of the tasks), else the defaults."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for key, given, var in (("wait", wait, "DOCKERFAB_WAIT"),
                                ("readiness", readiness, "DOCKERFAB_READINESS"),
                                ("timeout", timeout, "DOCKERFAB_HEALTH_TIMEOUT")):
            if given is not None:
                values[key] = given
            elif env.get(var, "").strip():
                raw = env[var].strip()
                try:
                    values[key] = (raw.lower() in ("1", "true", "yes", "on")) if key == "wait" \
                        else float(raw)
                except ValueError:
                    raise MapError(f"{var}: expected a number, got {raw!r}") from None
        try:
            return cls(**values)
        except ValueError as exc:
            raise MapError(str(exc)) from None


@dataclass
class Watch:
    """One container being waited for. ``outcome`` (done: ``healthy``, ``running 5s``,
    ``exited 0``) or ``failure`` (why not) is set once it is decided; ``output`` holds the
    health check's last output or the last log lines of a failed one (masked)."""
    name: str
    kind: str = "start"  # start, restart (events of the restart itself are skipped), or stay
    health: bool | None = None  # has a health check: yes, no (disabled), None: the image's
    restarts_on_zero: bool = False  # restart policy always/unless-stopped
    secrets: tuple[str, ...] = ()
    mode: str = READY
    started: float = 0.0  # monotonic time of the start call's answer
    container_id: str | None = None
    checked: bool = False  # looked at by a list call once (at the readiness delay)
    outcome: str | None = None
    failure: str | None = None
    output: str = ""
    _detail: str = ""  # where the failure's output comes from: logs or health

    @property
    def decided(self) -> bool:
        return self.outcome is not None or self.failure is not None

    def error(self, host: str | None = None) -> HealthGateFailed:
        message = self.failure or "not ready"
        if self.output:
            message += f"; {'last health check output' if self._detail == 'health' else 'last log lines'}: {self.output}"
        return HealthGateFailed(message, host=host, action="watch" if self.kind == "stay"
                                else self.kind, item=self.name, reason=self.failure or "",
                                output=self.output)

    def _fail(self, reason: str, detail: str = "logs") -> None:
        self.failure = reason
        self._detail = detail


def env_secrets(environment: Mapping[str, str]) -> list[str]:
    """The values of an environment that output must not show (all but the plain ones)."""
    return [v for k, v in environment.items() if k not in PLAIN_ENV]


def mask_values(text: str, values: Iterable[str], min_length: int = 4) -> str:
    """``text`` with every occurrence of each value (of at least ``min_length``
    characters: shorter ones would mask ordinary words) replaced by ``***``."""
    for value in sorted({v for v in values if len(v) >= min_length}, key=len, reverse=True):
        text = text.replace(value, "***")
    return text


class HealthGate:
    """Waits for containers of one Docker client on one event stream.

    ``names``: every container this gate may wait for (the stream is filtered to them).
    Call :meth:`open` (or :meth:`open_async`) before starting any of them, :meth:`expect`
    right before each start call and :meth:`started` after it, then :meth:`wait`;
    :meth:`close` at the end. Thread-safe: starts run in worker threads.
    """

    def __init__(self, client: Any, names: Iterable[str], options: GateOptions = GateOptions(),
                 host: str | None = None) -> None:
        self.client = client
        self.names = sorted(set(names))
        self.options = options
        self.host = host
        self.streams_opened = 0  # for tests and benchmarks: stays 1 per gate
        self._cond = threading.Condition()
        self._watches: dict[str, list[Watch]] = {}
        self._stream: Any = None
        self._subscribed = threading.Event()
        self._open_error: BaseException | None = None
        self._broken: BaseException | str | None = None
        self._closed = False
        self._reader: threading.Thread | None = None

    # ----- the stream ----------------------------------------------------------------------
    def open_async(self) -> None:
        """Subscribe in the background (overlapping whatever comes before the first start)."""
        with self._cond:
            if self._reader is not None:
                return
            self._reader = threading.Thread(target=self._run, daemon=True,
                                            name=f"dockerfab-events-{self.host or ''}")
        self._reader.start()

    def open(self, timeout: float | None = 60.0) -> None:
        """Subscribe (if not done yet) and wait until the daemon has answered."""
        self.open_async()
        if not self._subscribed.wait(timeout):
            raise HealthGateFailed("the event stream did not open in time", host=self.host,
                                   action="wait")
        if self._open_error is not None:
            raise self._open_error

    def _run(self) -> None:
        try:
            stream = docker.APIClient.events(
                self.client, decode=True,
                filters={"type": "container", "container": self.names, "event": _EVENTS})
        except BaseException as exc:  # noqa: BLE001 - reported to the first start
            self._open_error = exc
            self._subscribed.set()
            return
        with self._cond:
            self._stream = stream
            self.streams_opened += 1
            closed = self._closed
        self._subscribed.set()
        if closed:
            stream.close()
            return
        try:
            for event in stream:
                if isinstance(event, dict):
                    with self._cond:
                        self._on_event(event)
                        self._cond.notify_all()
            reason: BaseException | str = "the event stream ended"
        except BaseException as exc:  # noqa: BLE001 - the deadlines' checks take over
            reason = exc
        with self._cond:
            if not self._closed:
                log.debug("%s: %s; readiness is checked without events", self.host, reason)
                self._broken = reason
            self._cond.notify_all()

    def close(self) -> None:
        """Unsubscribe: the stream is closed and its reader thread ends."""
        with self._cond:
            self._closed = True
            stream = self._stream
        if stream is not None:
            try:
                stream.close()
            except Exception:
                log.debug("closing the event stream failed", exc_info=True)

    # ----- events --------------------------------------------------------------------------
    def _on_event(self, event: dict[str, Any]) -> None:
        attrs = (event.get("Actor") or {}).get("Attributes") or {}
        action = str(event.get("Action") or event.get("status") or "")
        cid = str(event.get("id") or (event.get("Actor") or {}).get("ID") or "")
        for w in self._watches.get(str(attrs.get("name", "")), ()):
            if w.decided:
                continue
            if w.container_id is None:
                # events before the start (an old container of that name, the stop half of
                # a restart) are not this start's: bind on the start (restart) event
                if action == ("restart" if w.kind == "restart" else "start"):
                    w.container_id = cid
                continue
            if cid != w.container_id:
                continue
            if action == "die":
                code = _int(attrs.get("exitCode"))
                if code == 0 and w.mode != STAY and not w.restarts_on_zero:
                    w.outcome = "exited 0"
                elif code == 0 and w.mode != STAY:
                    w._fail("exited 0 and is restarted by its restart policy (restart loop)")
                else:
                    w._fail(f"exited with code {code}")
            elif action in ("start", "restart"):
                w._fail("restarted (restart loop)")
            elif action.startswith("health_status"):
                # Docker: "health_status: healthy"; Podman also names it in an attribute
                status = action.partition(":")[2].strip() or str(attrs.get("health_status", ""))
                if status == "unhealthy":
                    w._fail("unhealthy", "health")
                elif status == "healthy" and w.mode != STAY:
                    w.outcome = "healthy"

    # ----- waiting -------------------------------------------------------------------------
    def expect(self, name: str, kind: str = "start", health: bool | None = None,
               restarts_on_zero: bool = False, secrets: Iterable[str] = ()) -> Watch:
        """Register a container about to be started (call before the start call)."""
        if name not in self.names:
            raise ValueError(f"{name!r} is not one of this gate's containers")
        w = Watch(name, kind, health, restarts_on_zero, tuple(secrets),
                  HEALTH if health else READY)
        with self._cond:
            self._watches.setdefault(name, []).append(w)
        return w

    def started(self, watch: Watch) -> None:
        """The start call has answered: the readiness delay runs from now."""
        with self._cond:
            watch.started = time.monotonic()

    def forget(self, watch: Watch) -> None:
        """The start call failed: stop waiting for this container."""
        with self._cond:
            watches = self._watches.get(watch.name, [])
            if watch in watches:
                watches.remove(watch)

    def adopt(self, names: Iterable[str], stay: bool = False,
              secrets: Iterable[str] = ()) -> list[Watch]:
        """Watches for containers started before (their state is read with one list call
        after subscribing): ready as after a start, or with ``stay`` running (and not
        unhealthy) for the readiness delay from now."""
        self.open()
        watches = [Watch(n, "stay" if stay else "start", None, False, tuple(secrets),
                         STAY if stay else READY) for n in names]
        now = time.monotonic()
        with self._cond:
            for w in watches:
                w.started = now
                w.container_id = ""  # bound from the list below
                self._watches.setdefault(w.name, []).append(w)
        self._check(watches, adopt=True)
        return watches

    def wait(self, watches: Sequence[Watch], stop: threading.Event | None = None,
             first_failure: bool = False,
             decided: Callable[[Watch], None] | None = None) -> bool:
        """Block until every watch is decided (True), or ``stop`` is set (False: the
        undecided ones stay undecided), or with ``first_failure`` one has failed.
        ``decided(watch)`` is called (in this thread) as each is decided, a failed one
        with its output fetched."""
        reported: set[int] = set()
        while True:
            with self._cond:
                now = time.monotonic()
                fresh = [w for w in watches if w.decided and id(w) not in reported]
                pending = [w for w in watches if not w.decided]
                # the containers waiting for their readiness delay are checked together
                # once the last delay is over, those waiting for health at the last
                # time-out: one call each (the step ends with the last one anyway)
                due: list[Watch] = []
                wake = None
                for group in ([w for w in pending if w.mode != HEALTH],
                              [w for w in pending if w.mode == HEALTH]):
                    if not group:
                        continue
                    last = max(self._deadline(w) for w in group)
                    if now >= last:
                        due += group
                    else:
                        wake = last if wake is None else min(wake, last)
                if not fresh and not due and pending and not (
                        stop is not None and stop.is_set()):
                    wait = (wake or now) - now
                    self._cond.wait(min(wait, 0.2) if stop is not None else wait)
                    continue
            for w in fresh:
                reported.add(id(w))
                if w.failure and not w.output:
                    w.output = self._output(w)
                if decided is not None:
                    decided(w)
            if not pending or (stop is not None and stop.is_set()) or (
                    first_failure and any(w.failure for w in watches)):
                break
            if due:
                self._check(due)
        return all(w.decided for w in watches)

    def _deadline(self, w: Watch) -> float:
        """When a watch is looked at: after the readiness delay (also one with a health
        check, in case its events do not come: a lost stream, a daemon that words them
        differently), then, still starting, at the time-out."""
        if w.mode == HEALTH and w.checked:
            return w.started + self.options.timeout
        return w.started + min(self.options.readiness, self.options.timeout)

    def _check(self, due: Sequence[Watch], adopt: bool = False) -> None:
        """One list call for the due containers; an inspect for each one timed out."""
        listed = {}
        for entry in self.client.containers(all=True, filters={"name": [w.name for w in due]}):
            for n in entry.get("Names") or ():
                listed[n.lstrip("/")] = entry
        with self._cond:
            for w in due:
                if w.decided:
                    continue
                entry = listed.get(w.name)
                if entry is None:
                    w._fail("the container is gone", "none")
                    continue
                if adopt:
                    w.container_id = entry.get("Id")
                elif w.container_id and entry.get("Id") != w.container_id:
                    w._fail("the container was replaced while waiting for it", "none")
                    continue
                self._judge(w, entry, adopt)
                w.checked = True

    def _judge(self, w: Watch, entry: dict[str, Any], adopt: bool) -> None:
        """Decide (or move on) a due watch from its list entry."""
        state = entry.get("State")
        status = str(entry.get("Status") or "")
        if state == "restarting":
            w._fail("restarting (restart loop)")
        elif state in ("exited", "dead"):
            match = _EXITED.search(status)
            code = int(match.group(1)) if match else None
            if code == 0 and w.mode != STAY:
                w.outcome = "exited 0"
            else:
                w._fail(f"exited with code {code}" if code is not None else f"not running ({status})")
        elif state != "running":
            w._fail(f"not running ({state})", "none")
        elif "(unhealthy)" in status:
            w._fail("unhealthy", "health")
        elif w.mode == STAY:
            if not adopt:
                w.outcome = f"stayed up {self.options.readiness:g}s"
        elif "(healthy)" in status:
            w.outcome = "healthy"
        elif "health: starting" in status or (w.mode == HEALTH and not adopt):
            if time.monotonic() >= w.started + self.options.timeout:
                w._fail(f"not healthy after {self.options.timeout:g}s", "health")
            else:
                w.mode = HEALTH  # (the image's) health check: wait for it
        elif adopt:
            pass  # running: its readiness delay (or stay) starts now
        else:
            w.outcome = f"running {self.options.readiness:g}s"

    def _output(self, w: Watch) -> str:
        """The health check's last output or the last log lines, on one line, masked."""
        try:
            if w._detail == "health":
                health = (self.client.inspect_container(w.name).get("State") or {}).get(
                    "Health") or {}
                runs = health.get("Log") or []
                text = str(runs[-1].get("Output", "")) if runs else ""
            elif w._detail == "logs":
                raw = self.client.logs(w.name, tail=LOG_LINES)
                text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
            else:
                return ""
        except Exception:
            log.debug("no output of %s", w.name, exc_info=True)
            return ""
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
        return mask_values(" | ".join(lines), w.secrets)[-600:]


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _adopt_and_wait(client: Any, names: Iterable[str], options: GateOptions, host: str | None,
                    stay: bool, secrets: Iterable[str],
                    stop: threading.Event | None) -> list[Watch]:
    """Watches for containers started elsewhere, waited for; the first failure raised."""
    names = list(names)
    gate = HealthGate(client, names, options, host)
    try:
        watches = gate.adopt(names, stay=stay, secrets=secrets)
        gate.wait(watches, stop, first_failure=True)
    finally:
        gate.close()
    for w in watches:
        if w.failure:
            raise w.error(host)
    return watches


def wait_ready(client: Any, names: Iterable[str], options: GateOptions = GateOptions(), *,
               host: str | None = None, secrets: Iterable[str] = (),
               stop: threading.Event | None = None) -> list[Watch]:
    """Wait until containers started elsewhere are ready (healthy, or running for the
    readiness delay from now, or exited 0). Raises HealthGateFailed for the first that is
    not; returns the watches (``outcome`` of each; undecided ones if ``stop`` was set)."""
    return _adopt_and_wait(client, names, options, host, False, secrets, stop)


def watch_running(client: Any, names: Iterable[str], seconds: float, *,
                  host: str | None = None, stop: threading.Event | None = None) -> list[Watch]:
    """Check that running containers stay up, without a restart and not unhealthy, for
    ``seconds`` (a rollout's ``--watch``). Raises HealthGateFailed for the first that
    does not."""
    return _adopt_and_wait(client, names, GateOptions(readiness=seconds), host, True, (),
                           stop)


@dataclass
class StartGates:
    """The gates of one executor run: one per Docker client object (so clients sharing a
    host connection share one stream), each for the containers the plan starts there."""
    options: GateOptions
    gates: dict[int, HealthGate] = field(default_factory=dict)

    def for_client(self, client: Any, names: Iterable[str], host: str | None) -> HealthGate:
        key = id(client)
        gate = self.gates.get(key)
        if gate is None:
            gate = self.gates[key] = HealthGate(client, names, self.options, host)
            gate.open_async()
        return gate

    def close(self) -> None:
        for gate in self.gates.values():
            gate.close()


__all__ = [
    "DEFAULT_HEALTH_TIMEOUT",
    "DEFAULT_READINESS",
    "GateOptions",
    "HealthGate",
    "StartGates",
    "Watch",
    "env_secrets",
    "mask_values",
    "wait_ready",
    "watch_running",
]
