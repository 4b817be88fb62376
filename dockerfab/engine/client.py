"""MappingDockerClient (spec 3.6.3, 3.8): applies container maps to Docker clients.

Every action call is four steps: **select** (:meth:`MappingDockerClient.request`: the
containers per client and their desired state, pure, :mod:`dockerfab.plan.request`),
**observe** (:meth:`~MappingDockerClient.observe`: one snapshot per client), **plan**
(``request.plan(snapshots)``, pure) and **execute** (:meth:`~MappingDockerClient.execute`).
``plan()`` stops after planning: it changes nothing and is what ``--dry-run`` shows.
"""
from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from concurrent.futures import Executor as FuturesExecutor
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import docker

from dockerfab.engine.events import Listener
from dockerfab.engine.execute import DEFAULT_CONCURRENCY, DEFAULT_HELPER_IMAGE, Executor
from dockerfab.engine.health import (
    GateOptions,
)
from dockerfab.engine.observe import OBSERVE_CONCURRENCY, observe
from dockerfab.engine.policy import BasePolicy
from dockerfab.engine.pool import HostPool
from dockerfab.engine.progress import ProgressCallback
from dockerfab.engine.script import run_script
from dockerfab.errors import (
    ActionRunnerException,
    DockerFabError,
    MapError,
    RemoteError,
)
from dockerfab.map.input import MapConfigId
from dockerfab.plan.actions import Action, ActionResult, Plan, Results
from dockerfab.plan.desired import ClientInfo
from dockerfab.plan.generators import DEFAULT_GENERATORS, GeneratorPair
from dockerfab.plan.model import DEFAULT_CLIENT
from dockerfab.plan.options import ActionOptions
from dockerfab.plan.planner import PlanInput
from dockerfab.plan.request import MapView, Request, build_request, call_steps
from dockerfab.plan.snapshot import HostSnapshot

DockerClientRunner = Executor  # the spec's name for the runner (3.10.2)


def _as_maps(container_maps: Any) -> dict[str, Any]:
    if container_maps is None:
        return {}
    if isinstance(container_maps, Mapping):
        return dict(container_maps)
    if isinstance(container_maps, (list, tuple)):
        return {m.name: m for m in container_maps}
    return {container_maps.name: container_maps}


class MappingDockerClient:
    """Applies one or more ContainerMaps to one or more Docker clients.

    ``container_maps``: a ContainerMap, or a list, tuple or dict of them. ``docker_client``:
    the default client (a ``docker.APIClient`` or a ClientConfiguration), known as
    ``__default__``. ``clients``: further ClientConfigurations (or API clients) by name.
    ``docker_clients``: live API clients by client name, used instead of asking the
    configurations for one (a host session hands its clients in this way).
    ``listener`` receives an ActionEvent per action phase; ``concurrency`` bounds how many
    items of one dependency level run at once. ``pool``: the threads observation uses
    (a host session's :class:`~dockerfab.engine.pool.HostPool`, shared with its other
    reads; not shut down by :meth:`close`); without it the client makes its own of
    ``observe_concurrency`` threads. ``wait``, ``readiness`` and
    ``health_timeout`` set the health gate (every start waits until the container is
    healthy, or running ``readiness`` seconds without a restart, or exited 0;
    ``wait=False`` returns once Docker started it); left None they come from
    ``DOCKERFAB_WAIT``/``DOCKERFAB_READINESS``/``DOCKERFAB_HEALTH_TIMEOUT``, else 5 s and
    60 s. An action's keyword arguments of the same names override them for that call.
    """

    def __init__(self, container_maps: Any = None, docker_client: Any = None,
                 clients: Mapping[str, Any] | None = None, *,
                 docker_clients: Mapping[str, Any] | None = None,
                 listener: Listener | None = None,
                 concurrency: int = DEFAULT_CONCURRENCY,
                 observe_concurrency: int = OBSERVE_CONCURRENCY,
                 pool: FuturesExecutor | None = None,
                 helper_image: str = DEFAULT_HELPER_IMAGE, wait: bool | None = None,
                 readiness: float | None = None,
                 health_timeout: float | None = None) -> None:
        self._maps = _as_maps(container_maps)
        self._clients: dict[str, Any] = dict(clients or {})
        self._docker_clients: dict[str, Any] = dict(docker_clients or {})
        if docker_client is not None:
            self._clients[DEFAULT_CLIENT] = docker_client
        self.listener = listener
        self.concurrency = concurrency
        #: Docker calls in flight at once while observing (the observation threads)
        self.observe_concurrency = max(1, observe_concurrency)
        self.helper_image = helper_image
        self.gate = GateOptions.defaults(wait, readiness, health_timeout)
        self._policy_class: type[BasePolicy] = BasePolicy
        self._policy: BasePolicy | None = None
        self.generators: dict[str, GeneratorPair] = dict(DEFAULT_GENERATORS)
        self.runner_class: type[Executor] = DockerClientRunner
        #: ``callback(what, done, total, final)`` for pull progress, passed to the runner
        self.progress: ProgressCallback | None = None
        self._pool: FuturesExecutor | None = pool
        self._own_pool = pool is None

    # ----- properties ----------------------------------------------------------------------
    @property
    def maps(self) -> dict[str, Any]:
        return self._maps

    @maps.setter
    def maps(self, value: Any) -> None:
        self._maps = _as_maps(value)
        self.refresh_names()

    @property
    def clients(self) -> dict[str, Any]:
        return self._clients

    @clients.setter
    def clients(self, value: Mapping[str, Any]) -> None:
        default = self._clients.get(DEFAULT_CLIENT)
        self._clients = dict(value)
        if default is not None and DEFAULT_CLIENT not in self._clients:
            self._clients[DEFAULT_CLIENT] = default
        self.refresh_names()

    @property
    def default_map(self) -> str | None:
        return next(iter(self._maps)) if len(self._maps) == 1 else None

    @property
    def default_client(self) -> Any:
        return self._clients.get(DEFAULT_CLIENT)

    @property
    def policy_class(self) -> type[BasePolicy]:
        return self._policy_class

    @policy_class.setter
    def policy_class(self, value: type[BasePolicy]) -> None:
        self._policy_class = value
        self.refresh_names()

    def get_policy(self) -> BasePolicy:
        """The policy (names of spec 3.10.1, custom ``<name>_action`` methods) over the maps
        merged when it was made; rebuilt after refresh_names(). Actions never plan from it:
        they merge the maps afresh (:meth:`view`), so an edited map needs no refresh."""
        if self._policy is None:
            merged = {name: m.get_extended_map() for name, m in self._maps.items()}
            self._policy = self._policy_class(merged, self._clients)
        return self._policy

    def refresh_names(self) -> None:
        """Forget the cached policy (and the merged maps it holds). Every action observes its
        hosts and merges its maps afresh anyway."""
        self._policy = None

    # ----- clients -----------------------------------------------------------------------
    def docker_client(self, client_name: str) -> Any:
        """The Docker API client for a client name: the one handed in (``docker_clients``),
        else the API client given as the entry, else the configuration's ``get_client()``."""
        if client_name in self._docker_clients:
            return self._docker_clients[client_name]
        try:
            entry = self._clients[client_name]
        except KeyError:
            raise MapError(f"client {client_name!r} is not configured") from None
        if isinstance(entry, docker.APIClient):
            return entry
        return entry.get_client()

    def client_info(self, client_name: str) -> ClientInfo:
        entry = self._clients.get(client_name)
        if entry is None or isinstance(entry, docker.APIClient):
            return ClientInfo(client_name)
        return ClientInfo.from_config(client_name, entry)

    # ----- planning: select -> observe -> plan (dockerfab.plan.request) ----------------------
    def view(self) -> MapView:
        """The maps as they are now: merged, indexed and graphed afresh for every action, so
        a map edited since the last action is planned as it is now."""
        return MapView.of(self._maps)

    def request(self, action: str, container: Any = None, instances: Any = None,
                map_name: str | None = None, options: ActionOptions | None = None,
                view: MapView | None = None) -> Request:
        """Select the containers of ``action`` per client and build their desired state
        (pure: no Docker call). ``options`` default to those of the spec (3.8.4)."""
        return build_request(view or self.view(), action, self.generators, container,
                             instances, map_name, options, self.client_info)

    def observe(self, request: Request) -> dict[str, HostSnapshot]:
        """One snapshot per client of ``request`` (list calls, one inspect per container on
        the path, ``top`` where exec commands are checked); clients observed concurrently."""
        def one(client_name: str) -> HostSnapshot:
            part = request.clients[client_name]
            try:
                return observe(self.docker_client(client_name), client_name, part.desired,
                               part.processes, self.observe_concurrency,
                               self._observe_pool())
            except DockerFabError:
                raise
            except Exception as exc:
                raise RemoteError(f"could not read the host's state: {exc}", host=client_name,
                                  action="observe") from exc

        names = list(request.clients)
        if len(names) <= 1:
            return {n: one(n) for n in names}
        with ThreadPoolExecutor(max_workers=len(names)) as pool:
            return dict(zip(names, pool.map(one, names)))

    def plan(self, action: str, container: Any = None, instances: Any = None,
             map_name: str | None = None, **kwargs: Any) -> Plan:
        """The ordered plan of ``action`` for ``container`` (names, groups, ``__all__``, ids),
        WITHOUT changing anything: only list and inspect calls are made. The plan also
        names the containers examined (``plan.unchanged``: those it leaves alone)."""
        request = self.request(action, container, instances, map_name,
                               ActionOptions.from_kwargs(kwargs))
        return request.plan(self.observe(request))

    def plan_inputs(self, action: str, container: Any = None, instances: Any = None,
                    map_name: str | None = None, **kwargs: Any) -> list[PlanInput]:
        """What planning ``action`` starts from, one :class:`PlanInput` per client: desired
        state, one observed snapshot, levels and selection. Read-only like :meth:`plan`
        (whose action generator turns these into actions); used by ``status``."""
        request = self.request(action, container, instances, map_name,
                               ActionOptions.from_kwargs(kwargs))
        return request.inputs(self.observe(request))

    def _observe_pool(self) -> FuturesExecutor:
        """Worker threads for observation, kept between actions (thread start-up is a
        noticeable part of a no-op update): the pool handed in, else one of its own."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.observe_concurrency,
                                            thread_name_prefix="dockerfab-observe")
        return self._pool

    def close(self) -> None:
        """Stop the observation threads (they are also ended at interpreter exit); a pool
        handed in stays its owner's."""
        if self._pool is not None and self._own_pool:
            self._pool.shutdown(wait=False)
            self._pool = None

    # ----- running -----------------------------------------------------------------------
    def runner(self, clients: Iterable[str], gate: GateOptions | None = None) -> Executor:
        auth: dict[str, dict[str, Any]] = {}  # per client: a host's logins go to it alone
        for name in clients:
            entry = self._clients.get(name)
            if entry is not None and not isinstance(entry, docker.APIClient):
                auth[name] = dict(getattr(entry, "auth_configs", None) or {})
        extra: dict[str, Any] = {"progress": self.progress} if self.progress else {}
        runner = self.runner_class({n: self.docker_client(n) for n in clients},
                                   listener=self.listener, concurrency=self.concurrency,
                                   helper_image=self.helper_image,
                                   gate=gate or self.gate, auth_configs=auth, **extra)
        if isinstance(runner, Executor) and isinstance(self._pool, HostPool):
            runner.pool = self._pool  # the actions share the host's threads with its reads
        return runner

    def execute(self, plan: list[Action], results: list[ActionResult] | None = None,
                gate: GateOptions | None = None) -> list[ActionResult]:
        """Run a plan made by :meth:`plan`; the results (appended to ``results`` if given,
        else a new :class:`Results`) also name the containers the plan examined. ``gate``:
        the health gate for this run (default: the client's)."""
        if results is None:
            results = Results(examined=getattr(plan, "examined", ()))
        elif isinstance(results, Results):
            results.examined |= getattr(plan, "examined", set())
        return self.runner({a.client for a in plan}, gate).run(plan, results)

    def _gate(self, options: ActionOptions) -> GateOptions:
        """The client's gate with an action's ``wait``/``readiness``/``health_timeout``."""
        g = self.gate
        return GateOptions(g.wait if options.wait is None else bool(options.wait),
                           g.readiness if options.readiness is None else float(options.readiness),
                           g.timeout if options.health_timeout is None
                           else float(options.health_timeout))

    def run_action(self, action: str, container: Any = None, instances: Any = None,
                   map_name: str | None = None, **kwargs: Any) -> Results:
        """Plan and execute; returns what was done (ActionResult per action) and, in
        ``unchanged``, the containers examined and left alone."""
        options = ActionOptions.from_kwargs(kwargs)
        if options.pull_insecure_registry:
            warnings.warn("pull_insecure_registry has no effect: insecure registries are "
                          "configured in the Docker daemon (insecure-registries)",
                          stacklevel=3)
        results = Results()
        gate = self._gate(options)
        for step in call_steps(action, options):  # each planned after the one before ran
            request = self.request(step, container, instances, map_name, options)
            self.execute(request.plan(self.observe(request)), results, gate)
        return results

    def create(self, container: Any = None, instances: Any = None, map_name: str | None = None,
               **kwargs: Any) -> Results:
        """Create missing containers (and their attached volumes, networks) along the
        dependency path."""
        return self.run_action("create", container, instances, map_name, **kwargs)

    def start(self, container: Any = None, instances: Any = None, map_name: str | None = None,
              **kwargs: Any) -> Results:
        """Start existing, non-running containers along the dependency path."""
        return self.run_action("start", container, instances, map_name, **kwargs)

    def restart(self, container: Any = None, instances: Any = None,
                map_name: str | None = None, **kwargs: Any) -> Results:
        """Restart only the selected containers."""
        return self.run_action("restart", container, instances, map_name, **kwargs)

    def stop(self, container: Any = None, instances: Any = None, map_name: str | None = None,
             **kwargs: Any) -> Results:
        """Stop the containers and everything that depends on them (dependents first)."""
        return self.run_action("stop", container, instances, map_name, **kwargs)

    def remove(self, container: Any = None, instances: Any = None, map_name: str | None = None,
               **kwargs: Any) -> Results:
        """Remove the containers and their dependents (attached volumes only with
        ``remove_attached=True``)."""
        return self.run_action("remove", container, instances, map_name, **kwargs)

    def startup(self, container: Any = None, instances: Any = None,
                map_name: str | None = None, **kwargs: Any) -> Results:
        """Create what is missing, re-create unrecoverable containers, start the rest."""
        return self.run_action("startup", container, instances, map_name, **kwargs)

    def shutdown(self, container: Any = None, instances: Any = None,
                 map_name: str | None = None, **kwargs: Any) -> Results:
        """Stop and remove (dependents first)."""
        return self.run_action("shutdown", container, instances, map_name, **kwargs)

    def update(self, container: Any = None, instances: Any = None, map_name: str | None = None,
               **kwargs: Any) -> Results:
        """Bring containers in line with the map (spec 3.8.2), changing only what differs."""
        return self.run_action("update", container, instances, map_name, **kwargs)

    def signal(self, container: Any = None, instances: Any = None, map_name: str | None = None,
               signal: str | int = "SIGKILL", **kwargs: Any) -> Results:
        """Send a signal to the selected running containers."""
        return self.run_action("signal", container, instances, map_name, signal=signal,
                               **kwargs)

    kill = signal

    def pull_images(self, container: Any = None, instances: Any = None,
                    map_name: str | None = None, **kwargs: Any) -> Results:
        """Pull the images of the containers and their dependencies."""
        return self.run_action("pull_images", container, instances, map_name, **kwargs)

    def call(self, action_name: str, container: Any = None, instances: Any = None,
             map_name: str | None = None, **kwargs: Any) -> Any:
        """A built-in action by name, or a custom one: ``<action_name>_action(map_name,
        config_name, instances, **kwargs)`` on the policy, once per selected configuration."""
        if action_name in self.generators:
            return self.run_action(action_name, container, instances, map_name, **kwargs)
        policy = self.get_policy()
        method = getattr(policy, f"{action_name}_action", None)
        if method is None:
            raise MapError(f"unknown action {action_name!r} (no {action_name}_action on "
                           f"{type(policy).__name__})")
        ids = self.view().select(container, instances, map_name)
        grouped: dict[tuple[str, str], list[str | None]] = {}
        for cid in ids:
            grouped.setdefault((cid.map_name, cid.config_name), []).append(cid.instance_name)
        results = []
        for (mname, cname), insts in grouped.items():
            try:
                results.append(method(mname, cname, insts, **kwargs))
            except DockerFabError:
                raise
            except Exception as exc:
                raise ActionRunnerException(str(exc), results, cause=exc, action=action_name,
                                            item=f"{mname}.{cname}") from exc
        return results

    def run_script(self, container: Any, map_name: str | None = None,
                   instance: str | None = None, **kwargs: Any) -> dict[str, dict[str, Any]]:
        """Run a script or command in a fresh container of ``container`` (spec 3.8.3)."""
        return run_script(self, container, map_name, instance, **kwargs)


__all__ = ["DockerClientRunner", "MapConfigId", "MappingDockerClient"]
