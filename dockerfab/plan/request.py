"""Plan assembly: one action call (a *request*) from the maps as they are now to a Plan.

Pure; the engine only adds the one observation in the middle::

    view = MapView.of(maps)                        # merged maps, index, graph (now)
    request = build_request(view, "update", generators, "web", ...)   # select + desired
    snapshots = <observe request.clients>          # I/O, dockerfab.engine.observe
    plan = request.plan(snapshots)                 # the action generator per client

:func:`call_steps` decides which actions a call makes (``update`` with
``pull_before_update`` pulls first); the real run, the dry run and ``run_script`` all ask it.
:func:`script_replacement` plans the removal of an existing script container from the
snapshot (no extra Docker call).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dockerfab.errors import MapError, ScriptActionException
from dockerfab.map.deps import ContainerGraph, DependencyGraph, map_graph
from dockerfab.map.input import ExecPolicy, ItemType, MapConfigId
from dockerfab.map.integrity import MapIndex
from dockerfab.map.naming import container_name
from dockerfab.map.select import expand_selection
from dockerfab.plan import actions as A
from dockerfab.plan.actions import Action, ActionResult, Plan
from dockerfab.plan.desired import (
    ClientInfo,
    DesiredContainer,
    DesiredNetwork,
    DesiredStateBuilder,
    DesiredVolume,
)
from dockerfab.plan.generators import (
    AbstractActionGenerator,
    AbstractStateGenerator,
    GeneratorPair,
)
from dockerfab.plan.model import map_clients
from dockerfab.plan.options import ActionOptions
from dockerfab.plan.planner import PlanInput
from dockerfab.plan.snapshot import HostSnapshot


@dataclass
class MapView:
    """The maps of one request as they are at that moment: merged (``extends`` applied),
    their reference index, the dependency graph and its container view, and the clients of
    every container. Made afresh for each action, so edits to a map are always seen."""
    maps: dict[str, Any]
    indexes: dict[str, MapIndex]
    items: DependencyGraph[MapConfigId]
    graph: ContainerGraph
    clients_of: dict[str, list[str]]

    @classmethod
    def of(cls, maps: Mapping[str, Any]) -> MapView:
        merged = {name: m.get_extended_map() for name, m in maps.items()}
        indexes = {name: MapIndex(m) for name, m in merged.items()}
        items = map_graph(list(maps.values()), indexes=indexes)
        graph = ContainerGraph(items)
        clients_of = {}
        for name, cid in graph.nodes.items():
            cmap = merged[cid.map_name]
            clients_of[name] = map_clients(cmap, cmap.containers.get_existing(cid.config_name))
        return cls(merged, indexes, items, graph, clients_of)

    @property
    def default_map(self) -> str | None:
        return next(iter(self.maps)) if len(self.maps) == 1 else None

    def select(self, selection: Any, instances: Any = None, map_name: str | None = None
               ) -> list[MapConfigId]:
        """The container instances a user's selection names (see ``map.select``)."""
        return expand_selection(self.maps, selection, map_name, instances, self.default_map)

    def dependencies(self, cid: MapConfigId) -> list[MapConfigId]:
        """All container instances ``cid`` needs, dependencies first."""
        levels = self.items.dependencies([cid])
        return [i for level in levels for i in level
                if i.config_type == ItemType.CONTAINER and i != cid]

    def clients(self, cid: MapConfigId) -> list[str]:
        return self.clients_of[container_name(cid.map_name, cid.config_name, cid.instance_name)]


@dataclass
class ClientRequest:
    """One client's part of a request: what its plan starts from, except the snapshot."""
    client: ClientInfo
    desired: dict[str, DesiredContainer]
    levels: list[list[str]]
    volumes: dict[str, DesiredVolume] = field(default_factory=dict)
    networks: dict[str, DesiredNetwork] = field(default_factory=dict)
    selected: set[str] = field(default_factory=set)
    #: running processes (``top``) to observe, for exec-command checks
    processes: list[str] = field(default_factory=list)

    def input(self, snapshot: HostSnapshot) -> PlanInput:
        return PlanInput(client=self.client, snapshot=snapshot, desired=self.desired,
                         levels=self.levels, volumes=self.volumes, networks=self.networks,
                         selected=self.selected & set(self.desired))


@dataclass
class Request:
    """One action call, selected and with its desired state, ready to be planned against
    the snapshots of its clients."""
    action: str
    options: ActionOptions
    clients: dict[str, ClientRequest]
    generator: AbstractActionGenerator

    def inputs(self, snapshots: Mapping[str, HostSnapshot]) -> list[PlanInput]:
        return [part.input(snapshots[name]) for name, part in self.clients.items()]

    def plan(self, snapshots: Mapping[str, HostSnapshot]) -> Plan:
        """The plan over every client, ordered by step; it also names the containers
        examined (``plan.unchanged``: those it leaves alone)."""
        inputs = self.inputs(snapshots)
        plan = Plan(examined=(name for inp in inputs for name in inp.desired))
        for inp in inputs:
            plan.extend(self.generator.get_actions(inp))
        plan.sort(key=lambda a: a.step)
        return plan


def generator_pair(generators: Mapping[str, GeneratorPair], action: str) -> GeneratorPair:
    try:
        return generators[action]
    except KeyError:
        raise MapError(f"unknown action {action!r}") from None


def build_request(view: MapView, action: str, generators: Mapping[str, GeneratorPair],
                  container: Any = None, instances: Any = None, map_name: str | None = None,
                  options: ActionOptions | None = None,
                  client_info: Callable[[str], ClientInfo] = ClientInfo) -> Request:
    """Select the containers of ``action`` for each client (the dependency path in the
    state generator's direction, only containers of that client) and build their desired
    state. The action's keyword arguments (``options.extra``) reach the selected containers
    only. ``client_info(name)`` tells what planning needs to know about a client."""
    options = options if options is not None else ActionOptions()
    state_cls, action_cls = generator_pair(generators, action)
    state = state_cls(options)
    selected = {container_name(c.map_name, c.config_name, c.instance_name)
                for c in view.select(container, instances, map_name)}
    client_names = list(dict.fromkeys(c for n in selected for c in view.clients_of[n]))
    builders: dict[tuple[str, str, bool], DesiredStateBuilder] = {}
    parts: dict[str, ClientRequest] = {}
    for client_name in client_names:
        info = client_info(client_name)
        names = _path(view.graph, state, {n for n in selected
                                          if client_name in view.clients_of[n]})
        names = {n for n in names if client_name in view.clients_of[n]}
        desired: dict[str, DesiredContainer] = {}
        for name in names:
            cid = view.graph.nodes[name]
            extra = name in selected and bool(options.extra)
            key = (cid.map_name, client_name, extra)
            if key not in builders:
                builders[key] = DesiredStateBuilder(view.maps[cid.map_name], info,
                                                    options.extra if extra else None,
                                                    view.indexes[cid.map_name],
                                                    complete=state.complete)
            desired[name] = builders[key].container(cid.config_name, cid.instance_name)
        part = ClientRequest(info, desired, view.graph.levels(names), selected=selected)
        if state.observe_processes:
            part.processes = [n for n, d in desired.items()
                              if any(c.policy == ExecPolicy.RESTART for c in d.exec_commands)]
        parts[client_name] = part
    for (_, client_name, _), builder in builders.items():
        parts[client_name].volumes.update(builder.volumes)
        parts[client_name].networks.update(builder.networks)
    return Request(action, options, parts, action_cls(options))


def _path(graph: ContainerGraph, state: AbstractStateGenerator, start: set[str]) -> set[str]:
    if state.direction == "forward":
        return graph.closure(start)
    if state.direction == "reverse":
        return graph.closure(start, reverse=True)
    return start


def call_steps(action: str, options: ActionOptions) -> list[str]:
    """The actions one call of ``action`` plans and runs, in order: ``update`` with
    ``pull_before_update`` pulls the images first (and is planned after the pull)."""
    if action == "update" and options.pull_before_update:
        return ["pull_images", "update"]
    return [action]


def script_replacement(request: Request, snapshots: Mapping[str, HostSnapshot], name: str,
                       remove_existing_before: bool, step: int,
                       results: list[ActionResult] | None = None
                       ) -> tuple[list[Action], dict[str, HostSnapshot]]:
    """A container named like the script's container on a client of ``request`` is stopped
    (if running) and removed with ``remove_existing_before``, else refused with
    ScriptActionException carrying ``results``. Returns those actions and the snapshots as
    they will be after them (for planning the script container's creation)."""
    why = ["remove_existing_before"]
    actions: list[Action] = []
    after = dict(snapshots)
    for client_name, part in request.clients.items():
        snapshot = snapshots[client_name]
        state = snapshot.container(name)
        if state is None:
            continue
        if not remove_existing_before:
            raise ScriptActionException(
                f"container {name} exists; pass remove_existing_before=True to replace it",
                results, host=client_name, action="script", item=name)
        cid = part.desired[name].config_id if name in part.desired else None
        if state.status == "running":
            actions.append(Action(A.STOP, name, client_name, why, step, cid))
        actions.append(Action(A.REMOVE, name, client_name, why, step, cid))
        after[client_name] = snapshot.without_container(name)
    return actions, after


def script_container(view: MapView, container: Any, map_name: str | None,
                     instance: str | None) -> MapConfigId:
    """The one container instance a script runs in; ScriptActionException if the selection
    gives none or several."""
    ids = view.select(container, [instance] if instance else None, map_name)
    if len(ids) != 1:
        raise ScriptActionException(f"run_script needs exactly one container instance, "
                                    f"{container!r} gives {len(ids)}", action="script")
    return ids[0]

