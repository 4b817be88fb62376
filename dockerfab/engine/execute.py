"""Execute a plan: step by step; within a step the items run concurrently (bounded thread
pool), each item's actions in plan order. A failure stops the plan after the running step
and raises ActionRunnerException with everything done so far."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import groupby
from typing import Any

import docker
import docker.auth
import docker.errors

from dockerfab import interrupts, shortcuts
from dockerfab.engine import compat
from dockerfab.engine.events import DONE, FAILED, START, ActionEvent, Listener
from dockerfab.engine.health import (
    GateOptions,
    HealthGate,
    StartGates,
    Watch,
    env_secrets,
)
from dockerfab.engine.pool import HostPool
from dockerfab.engine.progress import ProgressCallback, PullProgress
from dockerfab.errors import (
    ActionRunnerException,
    ConnectionFailed,
    DockerFabError,
    Interrupted,
    RemoteError,
)
from dockerfab.map.naming import split_image
from dockerfab.plan import actions as A
from dockerfab.plan.actions import Action, ActionResult
from dockerfab.plan.anonymous import KeptVolume
from dockerfab.plan.desired import DesiredContainer, DesiredNetwork, DesiredVolume
from dockerfab.plan.preparation import marker_labels

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 8
DEFAULT_HELPER_IMAGE = "busybox:latest"
HELPER_MOUNT = "/dockerfab-volume"
#: action kinds whose container passes the health gate before the action is done
GATED = frozenset({A.START, A.RESTART})


def error_text(exc: BaseException) -> str:
    """The useful part of an error: a Docker API error's explanation, the message of
    dockerfab's own (without the host/action/item prefix the caller adds again)."""
    if isinstance(exc, RemoteError):
        return exc.message
    explanation = getattr(exc, "explanation", None)
    if explanation:
        text = str(explanation.decode() if isinstance(explanation, bytes) else explanation)
    else:
        text = str(exc) or type(exc).__name__
    return compat.explain(text)


def pull_image(client: Any, image: str, auth_config: dict[str, Any] | None = None,
               progress: ProgressCallback | None = None) -> str:
    """Pull with the SDK's stream and fail on any error line (wrappers may return bools).
    ``progress`` is called with the summed layer bytes as they change, and once at the end."""
    repo, tag = split_image(image)
    counter = PullProgress()
    what = f"pull {image}"
    last = ""
    # an explicit stream=True gets the SDK's stream also from a DockerClientWrapper
    for line in client.pull(repo, tag=tag, stream=True, decode=True, auth_config=auth_config):
        if isinstance(line, dict):
            if line.get("error"):
                raise RemoteError(str(line["error"]), action="pull", item=image)
            last = line.get("status", last)
            if progress is not None and counter.add(line):
                progress(what, counter.done, counter.total, False)
    if progress is not None and counter.total:
        progress(what, counter.done, counter.total, True)
    return last


def _gate_facts(action: Action) -> dict[str, Any]:
    """What the map says about a container about to start: whether it has a health check
    (None: the image decides), whether its restart policy restarts it after exit 0, and
    its environment values (masked in the gate's output)."""
    d: DesiredContainer | None = action.args.get("desired")
    if d is None:
        return {}
    check = d.create_kwargs.get("healthcheck")
    test = (check.get("test") or check.get("Test")) if isinstance(check, dict) else None
    first = test.split()[0] if isinstance(test, str) and test.split() else \
        (next(iter(test)) if test else None)
    policy = d.host_config.get("restart_policy") or {}
    return {"health": None if first is None else str(first).upper() != "NONE",
            "restarts_on_zero": isinstance(policy, dict) and policy.get("Name") in (
                "always", "unless-stopped"),
            "secrets": env_secrets(d.environment)}


def _by_item(actions: list[Action]) -> dict[tuple[str, str], list[Action]]:
    """Actions per (client, container), in plan order, containers in the order of their
    first action (dependencies before dependents in forward plans)."""
    out: dict[tuple[str, str], list[Action]] = {}
    for action in actions:
        if action.kind in (A.CREATE, A.START, A.STOP, A.REMOVE, A.RESTART, A.EXEC,
                           A.CONNECT, A.DISCONNECT, A.UPDATE_LIMITS):
            out.setdefault((action.client, action.item), []).append(action)
    return out


def _desired(plan: list[Action], key: tuple[str, str]) -> DesiredContainer | None:
    for action in plan:
        if (action.client, action.item) == key and action.args.get("desired") is not None:
            d: DesiredContainer = action.args["desired"]
            return d
    return None


def _deps(plan: list[Action], key: tuple[str, str]) -> list[tuple[str, str]]:
    d = _desired(plan, key)
    return [(key[0], dep) for dep in (d.depends_on if d is not None else {})]


def _waits_for(key: tuple[str, str], plan: list[Action], left: list[Action],
               unavailable: set[tuple[str, str]]) -> list[str]:
    """What a removed (or created) container needs before it can be created (started)
    now: images, networks, volumes not made yet, dependencies not there or not running."""
    d = _desired(plan, key)
    if d is None:
        return ["its configuration"]
    needs = {d.image, *d.networks, *d.attached, *d.volumes_used}
    waits = [f"{a.kind} {a.item}" for a in left if a.client == key[0] and a.item != key[1]
             and a.kind in (A.PULL_IMAGE, A.CREATE_NETWORK, A.CREATE_VOLUME, A.PREPARE_VOLUME)
             and a.item in needs]
    waits += [dep for _, dep in _deps(plan, key) if (key[0], dep) in unavailable]
    return waits


class AbstractRunner:
    """A runner (spec 3.10.2) performs planned actions on clients. ``MappingDockerClient``
    creates ``runner_class(clients, listener=..., concurrency=..., helper_image=...,
    gate=..., auth_configs=...)`` per action (``auth_configs``: client name -> that
    client's registry logins, so no host's daemon is sent another host's logins; plus
    ``progress=...`` when its ``progress`` callback is set) and calls :meth:`run`."""

    def run(self, plan: list[Action], results: list[ActionResult] | None = None
            ) -> list[ActionResult]:
        """Perform ``plan``; return the results (appended to ``results`` if given)."""
        raise NotImplementedError


#: a start waiting for its health gate: the action, its result so far, when it began,
#: its watch, the gate, and whether this run created the container
_Gated = tuple[Action, ActionResult, float, Watch, HealthGate, bool]


class Executor(AbstractRunner):
    """Runs plans against named clients (``docker.APIClient`` or subclasses); the spec's
    ``DockerClientRunner``. Every start and restart passes the health gate
    (:mod:`dockerfab.engine.health`) unless ``gate.wait`` is off."""

    def __init__(self, clients: dict[str, Any], *, listener: Listener | None = None,
                 concurrency: int = DEFAULT_CONCURRENCY,
                 helper_image: str = DEFAULT_HELPER_IMAGE, gate: GateOptions | None = None,
                 auth_configs: dict[str, Any] | None = None,
                 progress: ProgressCallback | None = None,
                 stop: threading.Event | None = None) -> None:
        self.clients = clients
        #: set: no further action starts; the run ends with Interrupted (default: the
        #: process-wide event of dockerfab.interrupts, set by SIGINT/SIGTERM)
        self.stop = stop if stop is not None else interrupts.stop_event()
        self.progress = progress  # byte progress of image pulls
        self.listener = listener
        self.concurrency = max(1, concurrency)
        self.helper_image = helper_image
        self.gate = gate if gate is not None else GateOptions()
        self.auth_configs = auth_configs or {}
        self._volume_info: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._created: set[tuple[str, str]] = set()  # containers created in this run
        #: containers created in this run that mount a predecessor's anonymous volumes
        self._keeping: set[tuple[str, str]] = set()
        self._created_volumes: set[tuple[str, str]] = set()  # volumes created in this run
        self._gates: dict[str, HealthGate] = {}  # client name -> its host's gate
        #: the host's thread pool to run a step's items in (with the calling thread), set
        #: by a MappingDockerClient that has one; None: threads of the step's own
        self.pool: HostPool | None = None

    # ----- public ------------------------------------------------------------------------
    def run(self, plan: list[Action], results: list[ActionResult] | None = None
            ) -> list[ActionResult]:
        """Execute ``plan``; returns the results (appended to ``results`` if given)."""
        results = results if results is not None else []
        ordered = sorted(enumerate(plan), key=lambda p: (p[1].step, p[0]))
        gates = self._open_gates(plan) if not self.stop.is_set() else StartGates(self.gate)
        done_before = len(results)
        try:
            for _, step_items in groupby(ordered, key=lambda p: p[1].step):
                if self.stop.is_set():
                    break
                sequences: dict[tuple[str, str], list[Action]] = {}
                for _, action in step_items:
                    sequences.setdefault((action.client, action.item), []).append(action)
                self._run_step(list(sequences.values()), results)
            if self.stop.is_set():
                done = {id(r.action) for r in results[done_before:]}
                left = [a for _, a in ordered if id(a) not in done]
                if left:
                    self._interrupted([a for _, a in ordered], left, results)
        finally:
            gates.close()
            self._gates = {}
        return results

    def _open_gates(self, plan: list[Action]) -> StartGates:
        """One gate per host that this plan starts containers on, subscribed now in the
        background (while images are pulled and containers created)."""
        gates = StartGates(self.gate)
        if not self.gate.wait:
            return gates
        names: dict[int, set[str]] = {}
        for action in plan:
            if action.kind in GATED:
                names.setdefault(id(self.clients[action.client]), set()).add(action.item)
        for action in plan:
            if action.kind in GATED:
                client = self.clients[action.client]
                self._gates[action.client] = gates.for_client(client, names[id(client)],
                                                              action.client)
        return gates

    # ----- steps -------------------------------------------------------------------------
    def _run_step(self, sequences: list[list[Action]], results: list[ActionResult]) -> None:
        failures: list[tuple[Action, BaseException]] = []
        gated: list[_Gated] = []

        def run_sequence(sequence: list[Action]) -> None:
            for action in sequence:
                if self.stop.is_set():  # interrupted: no new action starts
                    return
                created = (action.client, action.item) in self._created
                gate = self._gates.get(action.client) if action.kind in GATED else None
                watch = None
                began = time.monotonic()
                try:
                    if gate is not None:
                        gate.open()
                        watch = gate.expect(action.item, action.kind, **_gate_facts(action))
                    result = self._run_action(action, created, gated=watch is not None)
                except BaseException as exc:  # noqa: BLE001 - reported with partial results
                    if gate is not None and watch is not None:
                        gate.forget(watch)
                    with self._lock:
                        failures.append((action, exc))
                    return
                with self._lock:
                    if action.kind == A.CREATE:
                        self._created.add((action.client, action.item))
                    if gate is not None and watch is not None:
                        gate.started(watch)
                        gated.append((action, result, began, watch, gate, created))
                    else:
                        results.append(result)

        if len(sequences) == 1 or self.concurrency == 1:
            for sequence in sequences:
                run_sequence(sequence)
                if failures:
                    break
        elif self.pool is not None:  # the host's threads (run_sequence raises nothing)
            self.pool.map_items(run_sequence, sequences, min(self.concurrency, len(sequences)))
        else:
            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(sequences)),
                                    thread_name_prefix="dockerfab-actions") as pool:
                for future in [pool.submit(run_sequence, s) for s in sequences]:
                    future.result()
        if gated:
            self._pass_gates(gated, results, failures)
        if failures:
            action, exc = failures[0]
            more = f" (and {len(failures) - 1} more failure(s))" if len(failures) > 1 else ""
            raise ActionRunnerException(error_text(exc) + more, results, cause=exc,
                                        host=action.client, action=action.kind,
                                        item=action.item)

    def _pass_gates(self, gated: list[_Gated], results: list[ActionResult],
                    failures: list[tuple[Action, BaseException]]) -> None:
        """Wait for this step's starts (all hosts' gates at once: the deadlines run
        together), then report each as done or failed."""
        entries = {id(watch): (action, result, began, created)
                   for action, result, began, watch, _, created in gated}

        def decided(watch: Watch) -> None:
            action, result, began, created = entries[id(watch)]
            duration = time.monotonic() - began
            if watch.outcome is not None:
                self._emit(action, DONE, duration, note=watch.outcome)
                results.append(ActionResult(action, result.result, duration))
                return
            error = watch.error(action.client)
            if created and (action.client, action.item) not in self._keeping:
                # removed, so that the next run creates it afresh and gates it again (one
                # holding its predecessor's anonymous volumes stays, with them)
                try:
                    self.clients[action.client].remove_container(action.item, v=True,
                                                                 force=True)
                    error.message += "; removed again"
                except Exception:  # noqa: BLE001 - the gate's failure is the one to report
                    log.warning("could not remove %s after it failed its start", action.item)
            self._emit(action, FAILED, duration, error_text(error))
            failures.append((action, error))

        by_gate: dict[int, tuple[HealthGate, list[Watch]]] = {}
        for _, _, _, watch, gate, _ in gated:
            by_gate.setdefault(id(gate), (gate, []))[1].append(watch)
        if len(by_gate) == 1:
            [(gate, watches)] = by_gate.values()
            gate.wait(watches, self.stop, decided=decided)
        else:
            lock = threading.Lock()

            def locked(watch: Watch) -> None:
                with lock:
                    decided(watch)

            with ThreadPoolExecutor(max_workers=len(by_gate)) as pool:  # hosts wait together
                for future in [pool.submit(g.wait, ws, self.stop, False, locked)
                               for g, ws in by_gate.values()]:
                    future.result()
        for action, result, began, watch, _, _ in gated:
            if not watch.decided:  # interrupted while waiting: started, not confirmed
                note = "readiness not confirmed (interrupted)"
                duration = time.monotonic() - began
                self._emit(action, DONE, duration, note=note)
                results.append(ActionResult(action, result.result, duration))

    # ----- interrupts --------------------------------------------------------------------
    def _interrupted(self, plan: list[Action], left: list[Action],
                     results: list[ActionResult]) -> None:
        """The run was stopped with ``left`` not started. A container that a stop or
        removal left broken is made whole again if that can be done at once (a stopped
        one is started again; a removed or created one gets its remaining actions if what
        it needs is there), else it is named as missing. Raises Interrupted."""
        done = {id(r.action) for r in results}
        unavailable: set[tuple[str, str]] = set()  # containers not there or not running
        repaired: list[Action] = []
        missing: list[str] = []
        for key, item_left in _by_item(left).items():
            if not any(a.kind in (A.CREATE, A.START) for a in item_left):
                continue  # stopping or removing it was the point; nothing to restore
            item_done = [a for a in plan if (a.client, a.item) == key and id(a) in done]
            kinds = {a.kind for a in item_done}
            removed, created = A.REMOVE in kinds, A.CREATE in kinds
            if A.STOP in kinds and not removed and not created:
                repair = [Action(A.START, key[1], key[0], ["started again (interrupted)"],
                          item_left[0].step, item_left[0].config_id)]
                what = "stopped"
            elif removed or created:
                repair = [a for a in item_left if a.kind != A.REMOVE]
                what = "removed, not re-created" if removed and not created else \
                    "created, not started"
            else:  # not touched: as before the run; running only if the plan stops it
                if not any(a.kind == A.STOP for a in item_left):
                    unavailable.add(key)
                continue
            waits = _waits_for(key, plan, left, unavailable) if what != "stopped" else \
                [f"{k[1]}" for k in _deps(plan, key) if k in unavailable]
            if waits:
                unavailable.add(key)
                missing.append(f"{key[1]}: {what} (needs {', '.join(waits)})")
                continue
            try:
                for action in repair:
                    results.append(self._run_action(action, created))
                    repaired.append(action)
            except BaseException as exc:  # noqa: BLE001 - reported as missing
                unavailable.add(key)
                missing.append(f"{key[1]}: {what}; making it whole failed: {error_text(exc)}")
        not_done = [a for a in left if a not in repaired and id(a) not in done]
        total = len(plan)
        count = total - len(not_done)
        why = interrupts.reason() or "stop requested"
        text = f"interrupted ({why}): {count} of {total} actions done"
        if not_done:
            names = [f"{a.kind} {a.item}" for a in not_done]
            text += f"; not started: {', '.join(names[:6])}" + (
                f" (+{len(names) - 6} more)" if len(names) > 6 else "")
        if missing:
            text += "; missing: " + "; ".join(missing)
        if repaired:
            whole = sorted({a.item for a in repaired})
            text += "; made whole again: " + ", ".join(whole)
        first = not_done[0] if not_done else left[0]
        raise Interrupted(text, results, not_done=not_done, missing=missing,
                          host=first.client)

    # ----- one action --------------------------------------------------------------------
    def _emit(self, action: Action, phase: str, duration: float = 0.0,
              error: str | None = None, note: str | None = None) -> None:
        if self.listener is not None:
            try:
                self.listener(ActionEvent(action.client, action.kind, action.item, phase,
                                          duration, tuple(action.reasons), error, note))
            except Exception:
                log.exception("event listener failed")

    def _run_action(self, action: Action, created: bool, gated: bool = False) -> ActionResult:
        """Run one action; a ``gated`` start is reported done once it passed its gate."""
        client = self.clients[action.client]
        handler: Callable[[Any, Action], Any] = getattr(self, f"_do_{action.kind}")
        self._emit(action, START)
        began = time.monotonic()
        try:
            value = handler(client, action)
        except BaseException as exc:
            duration = time.monotonic() - began
            self._emit(action, FAILED, duration, error_text(exc))
            if action.kind == A.START and created and \
                    (action.client, action.item) not in self._keeping:
                # a container created in this run that cannot start is removed again, so the
                # next run creates it afresh from the (fixed) configuration (unless it holds
                # the anonymous volumes of the container it replaced: it stays, stopped, and
                # the next update re-creates it with them)
                try:
                    client.remove_container(action.item, v=True, force=True)
                except ConnectionFailed:  # connection gone: the start error says so already
                    log.debug("could not remove %s after failed start", action.item)
                except Exception:  # noqa: BLE001 - the start error is the one to report
                    log.warning("could not remove %s after failed start", action.item)
            raise
        duration = time.monotonic() - began
        if not gated:
            self._emit(action, DONE, duration)
        return ActionResult(action, value, duration)

    # ----- handlers ----------------------------------------------------------------------
    def _do_pull_image(self, client: Any, action: Action) -> Any:
        image = action.args["image"]
        return pull_image(client, image, self._auth_for(image, action.client), self.progress)

    def _auth_for(self, image: str, client_name: str) -> dict[str, Any] | None:
        """The entry of the client's own ``auth_configs`` for the image's registry, matched
        the way the Docker SDK matches logins (a ``host:port`` registry, URLs as keys,
        Docker Hub's aliases)."""
        logins = self.auth_configs.get(client_name)
        if not logins:
            return None
        registry, _ = docker.auth.resolve_repository_name(split_image(image)[0])
        found = docker.auth.AuthConfig({"auths": dict(logins)}).resolve_authconfig(registry)
        return dict(found) if found else None

    def _do_create_network(self, client: Any, action: Action) -> Any:
        net: DesiredNetwork = action.args["network"]
        return client.create_network(net.name, driver=net.driver, options=net.options or None,
                                     internal=net.internal, labels=net.labels,
                                     **net.create_options)

    def _do_remove_network(self, client: Any, action: Action) -> Any:
        return client.remove_network(action.item)

    def _do_create_volume(self, client: Any, action: Action) -> Any:
        vol: DesiredVolume = action.args["volume"]
        marker = action.args.get("marker")
        if marker:  # first: if the run ends before the preparation, the marker says so
            client.create_volume(marker, labels=marker_labels(vol))
        info = client.create_volume(vol.name, driver=vol.driver,
                                    driver_opts=vol.driver_opts or None, labels=vol.labels,
                                    **vol.create_options)
        with self._lock:
            self._volume_info[(action.client, vol.name)] = info or {}
            self._created_volumes.add((action.client, vol.name))
        return info

    def _do_prepare_volume(self, client: Any, action: Action) -> Any:
        vol: DesiredVolume = action.args["volume"]
        run_cmd = getattr(client, "run_cmd", None)
        mountpoint = self._volume_info.get((action.client, vol.name), {}).get("Mountpoint") \
            or action.args.get("mountpoint")
        try:
            if action.args.get("prepare_local", True) and callable(run_cmd) and mountpoint:
                value = run_cmd(self._prepare_command(vol, mountpoint, sudo=False))
            else:
                value = self._run_helper(client, action.client, vol)
        except BaseException:
            if (action.client, vol.name) in self._created_volumes:
                self._undo_volume(client, action.client, vol.name, action.args.get("marker"))
            raise
        marker = action.args.get("marker")
        if marker:  # prepared: the marker goes
            self._remove_volume_quietly(client, marker)
        return value

    def _undo_volume(self, client: Any, client_name: str, volume: str,
                     marker: str | None) -> None:
        """After a failed preparation of a volume *this run created*, remove it (and its
        marker) and the containers this run created on it, so the next run (with the cause
        fixed) creates and prepares it again. A volume that existed before is left as it
        is, its marker still saying that it is not prepared."""
        try:
            for entry in client.containers(all=True, filters={"volume": volume}):
                names = [n.lstrip("/") for n in entry.get("Names") or ()]
                if any((client_name, n) in self._created for n in names):
                    client.remove_container(entry["Id"], v=True, force=True)
            client.remove_volume(volume)
            if marker:
                self._remove_volume_quietly(client, marker)
        except Exception:  # noqa: BLE001 - the preparation error is the one to report
            log.warning("could not remove %s after its preparation failed", volume)

    @staticmethod
    def _remove_volume_quietly(client: Any, volume: str) -> None:
        """Remove a volume that may be gone already (or, for an anonymous volume, still in
        use by a container that shares it: it stays, as with Docker's ``remove -v``)."""
        try:
            client.remove_volume(volume)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if exc.status_code != 409:
                raise
            log.info("volume %s still in use; kept", volume)

    @staticmethod
    def _prepare_command(vol: DesiredVolume, path: str, sudo: bool = False) -> str:
        commands = []
        if vol.user is not None:
            commands.append(shortcuts.chown(vol.user, path, recursive=False, end_options=True))
        if vol.permissions:
            commands.append(shortcuts.chmod(vol.permissions, path, recursive=False,
                                            end_options=True))
        return shortcuts.join(*commands)

    def _run_helper(self, client: Any, client_name: str, vol: DesiredVolume) -> Any:
        """chown/chmod in a short-lived container that mounts the volume."""
        command = self._prepare_command(vol, HELPER_MOUNT)
        host_config = client.create_host_config(binds=[f"{vol.name}:{HELPER_MOUNT}:rw"],
                                                 network_mode="none")
        kwargs = {"image": self.helper_image, "command": ["sh", "-c", command],
                  "host_config": host_config, "labels": {"dockerfab.helper": vol.name},
                  "user": "0"}
        try:
            container = client.create_container(**kwargs)
        except docker.errors.ImageNotFound:
            pull_image(client, self.helper_image)
            container = client.create_container(**kwargs)
        try:
            client.start(container["Id"])
            status = client.wait(container["Id"], timeout=60)
            code = status.get("StatusCode", 0)
            if code:
                output = client.logs(container["Id"]).decode(errors="replace").strip()
                raise RemoteError(f"preparing volume failed (exit {code}): {output}",
                                  host=client_name, action="prepare_volume", item=vol.name)
        finally:
            client.remove_container(container["Id"], force=True)
        return code

    def _do_create(self, client: Any, action: Action) -> Any:
        d: DesiredContainer = action.args["desired"]
        kwargs = dict(d.create_kwargs)
        host_config = dict(d.host_config)
        kept: list[KeptVolume] = action.args.get("keep_volumes") or []
        if kept:  # the anonymous volumes of the container this one replaces
            host_config["mounts"] = list(host_config.get("mounts") or ()) + [
                docker.types.Mount(k.destination, k.name, type="volume", read_only=k.readonly)
                for k in kept]
            with self._lock:
                self._keeping.add((action.client, action.item))
        kwargs["host_config"] = client.create_host_config(**host_config)
        later: list[tuple[str, dict[str, Any]]] = []
        if d.networks:
            mode = d.host_config.get("network_mode")
            first = mode if mode in d.networks else next(iter(d.networks))
            kwargs["networking_config"] = client.create_networking_config(
                {first: client.create_endpoint_config(**d.networks[first])})
            later = [(n, e) for n, e in d.networks.items() if n != first]
        result = client.create_container(**kwargs)
        for net, endpoint in later:
            client.connect_container_to_network(result["Id"], net, **endpoint)
        return result

    def _do_start(self, client: Any, action: Action) -> Any:
        client.start(action.item)
        d: DesiredContainer | None = action.args.get("desired")
        if d is not None and d.start_delay:
            time.sleep(float(d.start_delay))
        return None

    def _do_exec(self, client: Any, action: Action) -> Any:
        created = client.exec_create(action.item, action.args["cmd"],
                                     user=str(action.args.get("user") or ""))
        client.exec_start(created["Id"], detach=True)
        return created["Id"]

    def _do_stop(self, client: Any, action: Action) -> Any:
        timeout = action.args.get("timeout")
        return client.stop(action.item, timeout=timeout) if timeout is not None \
            else client.stop(action.item)

    def _do_remove(self, client: Any, action: Action) -> Any:
        """Remove with its anonymous volumes, unless ``keep`` (its successor mounts them);
        ``drop``: anonymous volumes to remove explicitly (mounted by name, or not kept)."""
        result = client.remove_container(action.item, v=not action.args.get("keep"))
        for volume in action.args.get("drop") or ():
            self._remove_volume_quietly(client, volume)
        return result

    def _do_restart(self, client: Any, action: Action) -> Any:
        timeout = action.args.get("timeout")
        return client.restart(action.item, timeout=timeout if timeout is not None else 10)

    def _do_kill(self, client: Any, action: Action) -> Any:
        return client.kill(action.item, signal=action.args.get("signal"))

    def _do_update_limits(self, client: Any, action: Action) -> Any:
        try:
            return client.update_container(action.item, **action.args["limits"])
        except docker.errors.NotFound as exc:
            # the container exists (just observed): it is the endpoint that is missing
            if "no such container" in error_text(exc).lower():
                raise
            raise RemoteError(compat.no_update_api(action.item)) from exc

    def _do_connect_network(self, client: Any, action: Action) -> Any:
        return client.connect_container_to_network(action.item, action.args["network"],
                                                   **action.args.get("endpoint", {}))

    def _do_disconnect_network(self, client: Any, action: Action) -> Any:
        if action.args.get("force"):
            return client.disconnect_container_from_network(action.item,
                                                            action.args["network"], force=True)
        return client.disconnect_container_from_network(action.item, action.args["network"])

    def _do_remove_volume(self, client: Any, action: Action) -> Any:
        result = client.remove_volume(action.item)
        marker = action.args.get("marker")
        if marker:
            self._remove_volume_quietly(client, marker)
        return result

    def _do_custom(self, client: Any, action: Action) -> Any:
        return action.args["func"](client, action)


__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_HELPER_IMAGE",
    "AbstractRunner",
    "DockerFabError",
    "Executor",
    "error_text",
    "pull_image",
]
