"""Dependency graph of map items (on :mod:`graphlib`).

:class:`DependencyGraph` is generic: ``item -> its direct dependencies``. Queries return
*levels*: lists of items where every item's dependencies are in earlier levels, so the items
of one level can be processed concurrently. ``dependencies(roots)`` holds the roots and all
they depend on; ``dependents(roots)`` the roots and all that depend on them, in the same
direction (dependencies first). To stop or remove, walk the levels in reverse.

:class:`ContainerGraph` is the planner's view of the same graph: container names only,
levels of any subset sorted by name. References are resolved once, by
:class:`dockerfab.map.integrity.MapIndex` (its docstring has the rules).

:func:`map_graph` builds the graph of one or more maps; its items are
``MapConfigId(ItemType, map, config, instance)``:

* CONTAINER ``(map, config, instance)``, one per instance (instance None for a single one);
* VOLUME ``(map, owner config, alias)`` for an attached volume;
* NETWORK ``(map, network)`` for a network of the map (not bridge/host/none);
* IMAGE ``(map, expanded image name)``: one item per distinct image, e.g.
  ``registry.example.com/app:latest``.
"""
from __future__ import annotations

import graphlib
import itertools
from collections.abc import Hashable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from dockerfab.errors import CircularDependency, MapIntegrityError
from dockerfab.map.input import InputConfigId, ItemType, MapConfigId
from dockerfab.map.integrity import MapIndex
from dockerfab.map.naming import BUILTIN_NETWORKS, container_name, image_name
from dockerfab.map.select import expand_selection

if TYPE_CHECKING:  # ContainerMap.check_integrity imports this module
    from dockerfab.map.container import ContainerMap

T = TypeVar("T", bound=Hashable)


def _map_list(maps: ContainerMap | Iterable[ContainerMap]) -> list[ContainerMap]:
    """A single map (told by its attributes, not its class) or several, as a list."""
    if hasattr(maps, "containers") and hasattr(maps, "get_extended_map"):
        return [cast("ContainerMap", maps)]
    return list(cast("Iterable[ContainerMap]", maps))


def describe_item(item: Any) -> str:
    """Readable form of a graph item for messages: ``container example_map.app.instance1``."""
    if isinstance(item, MapConfigId):
        if item.config_type is ItemType.CONTAINER:
            return "container " + container_name(item.map_name, item.config_name,
                                                 item.instance_name)
        if item.config_type is ItemType.VOLUME:
            return (f"attached volume {item.instance_name} of "
                    f"{container_name(item.map_name, item.config_name)}")
        if item.config_type is ItemType.NETWORK:
            return f"network {item.map_name}.{item.config_name}"
        return f"image {item.config_name}"
    return str(item)


class DependencyGraph(Generic[T]):
    """Items and their direct dependencies; insertion order is kept within levels."""

    def __init__(self, edges: Mapping[T, Iterable[T]] | None = None) -> None:
        self._deps: dict[T, list[T]] = {}
        self._rdeps: dict[T, list[T]] = {}
        self._reasons: dict[tuple[T, T], tuple[str | int, ...]] = {}
        for item, deps in (edges or {}).items():
            self.add(item, *deps)

    def add(self, item: T, *dependencies: T, reason: tuple[str | int, ...] | None = None
            ) -> None:
        """Add ``item`` (if new) and edges to its ``dependencies`` (added as items too).
        ``reason``: the key path that declares the edges, reported with a cycle."""
        self._node(item)
        for dep in dependencies:
            if dep == item:
                continue
            self._node(dep)
            if reason is not None:
                self._reasons.setdefault((item, dep), reason)
            if dep not in self._deps[item]:
                self._deps[item].append(dep)
                self._rdeps[dep].append(item)

    def _node(self, item: T) -> None:
        if item not in self._deps:
            self._deps[item] = []
            self._rdeps[item] = []

    def __contains__(self, item: object) -> bool:
        return item in self._deps

    def __iter__(self) -> Any:
        return iter(self._deps)

    def __len__(self) -> int:
        return len(self._deps)

    def direct_dependencies(self, item: T) -> list[T]:
        return list(self._deps[item])

    def direct_dependents(self, item: T) -> list[T]:
        return list(self._rdeps[item])

    def closure(self, roots: Iterable[T], reverse: bool = False) -> list[T]:
        """``roots`` and everything they depend on (reverse: everything depending on them),
        in the order found."""
        return self._closure(roots, self._rdeps if reverse else self._deps)

    def levels_of(self, items: Iterable[T]) -> list[list[T]]:
        """Levels of exactly ``items`` (edges to other items are ignored)."""
        return self._levels(items)

    def _closure(self, roots: Iterable[T], edges: dict[T, list[T]]) -> list[T]:
        seen: dict[T, None] = {}
        stack = list(roots)[::-1]
        for root in stack:
            if root not in self._deps:
                raise KeyError(f"{describe_item(root)} is not in the dependency graph")
        while stack:
            item = stack.pop()
            if item in seen:
                continue
            seen[item] = None
            stack.extend(reversed(edges[item]))
        return list(seen)

    def _levels(self, items: Iterable[T]) -> list[list[T]]:
        members = set(items)
        order = {item: i for i, item in enumerate(self._deps)}
        sorter: graphlib.TopologicalSorter[T] = graphlib.TopologicalSorter()
        for item in sorted(members, key=order.__getitem__):
            sorter.add(item, *(d for d in self._deps[item] if d in members))
        try:
            sorter.prepare()
        except graphlib.CycleError as exc:
            raise self._cycle_error(exc.args[1]) from None
        levels: list[list[T]] = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready(), key=order.__getitem__)
            levels.append(ready)
            sorter.done(*ready)
        return levels

    def dependencies(self, roots: Iterable[T]) -> list[list[T]]:
        """Levels of ``roots`` and everything they depend on (dependencies first)."""
        return self._levels(self._closure(roots, self._deps))

    def dependents(self, roots: Iterable[T]) -> list[list[T]]:
        """Levels of ``roots`` and everything depending on them (dependencies first)."""
        return self._levels(self._closure(roots, self._rdeps))

    def levels(self) -> list[list[T]]:
        """Levels of the whole graph."""
        return self._levels(self._deps)

    def check(self) -> None:
        """Raise CircularDependency if the graph has a cycle."""
        self.levels()

    def _cycle_error(self, cycle: list[Any]) -> CircularDependency:
        """CircularDependency listing the cycle as "depends on" chain; its path is the key
        path of the first edge that has one."""
        cycle = list(reversed(cycle))  # graphlib lists it dependents-first
        path = next((self._reasons[edge] for edge in itertools.pairwise(cycle)
                     if edge in self._reasons), ())
        exc = CircularDependency(cycle, path)
        exc.message = "dependency cycle: " + " -> ".join(describe_item(i) for i in cycle)
        exc.args = (exc.message,)
        return exc


def map_graph(maps: ContainerMap | Iterable[ContainerMap], *,
              indexes: Mapping[str, MapIndex] | None = None) -> DependencyGraph[MapConfigId]:
    """The item graph of one or more maps (abstract configurations left out). With
    ``indexes`` (map name -> MapIndex of its extended map, e.g. a planner's) the maps are
    not merged again: the indexed extended maps are read."""
    graph: DependencyGraph[MapConfigId] = DependencyGraph()
    for container_map in _map_list(maps):
        index = (indexes or {}).get(container_map.name or "")
        _add_map(graph, container_map, index or MapIndex(container_map.get_extended_map()))
    return graph


def _add_map(graph: DependencyGraph[MapConfigId], original: ContainerMap,
             index: MapIndex) -> None:
    m = index.map
    map_name = m.name or ""

    for name, config in m.containers:
        if name not in index.deployable:
            continue
        base = original.config_path(name)
        image = MapConfigId(ItemType.IMAGE, map_name,
                            image_name(config.image, name, m.repository, m.default_tag))
        own: list[MapConfigId] = [image]
        own += [MapConfigId(ItemType.VOLUME, map_name, name, a.name) for a in config.attaches]
        own += [MapConfigId(ItemType.NETWORK, map_name, e.network_name)
                for e in config.networks if e.network_name not in BUILTIN_NETWORKS]
        try:
            refs = index.references(config)
        except MapIntegrityError as exc:
            raise exc.at(*base) from None
        for instance in index.instances[name]:
            item = MapConfigId(ItemType.CONTAINER, map_name, name, instance)
            graph.add(item, *own)
            for ref in refs:
                deps = [MapConfigId(ItemType.CONTAINER, map_name, r.config, r.instance)
                        for r in ref.instances]
                if ref.volume is not None:
                    deps.insert(0, MapConfigId(ItemType.VOLUME, map_name, ref.volume.parent,
                                               ref.volume.alias))
                graph.add(item, *deps, reason=base + ref.path)


class ContainerGraph:
    """The planner's view of the map graph: container instances by container name, edges
    only between containers. Levels of any subset (e.g. one client's containers) list the
    names of a level sorted, so plans and their step order are the same on every run.
    Built from :func:`map_graph`, so it has exactly its edges; a cycle raises
    CircularDependency when the view is made."""

    def __init__(self, items: DependencyGraph[MapConfigId]) -> None:
        nodes = {container_name(i.map_name, i.config_name, i.instance_name): i
                 for i in items if i.config_type is ItemType.CONTAINER}
        #: container name -> its MapConfigId
        self.nodes: dict[str, MapConfigId] = dict(sorted(nodes.items()))
        names = {item: name for name, item in self.nodes.items()}
        self._graph: DependencyGraph[str] = DependencyGraph()
        for name in self.nodes:  # sorted insertion: levels list names sorted
            self._graph.add(name)
        for name, item in self.nodes.items():
            self._graph.add(name, *(names[d] for d in items.direct_dependencies(item)
                                    if d in names))
        self._graph.check()

    def dependencies_of(self, name: str) -> list[str]:
        """The containers ``name`` needs directly."""
        return self._graph.direct_dependencies(name)

    def closure(self, start: Iterable[str], reverse: bool = False) -> set[str]:
        """``start`` and everything it needs (reversed: everything that needs it)."""
        return set(self._graph.closure(start, reverse))

    def levels(self, subset: Iterable[str], reverse: bool = False) -> list[list[str]]:
        """Levels of ``subset`` only: each needs only earlier levels (reversed: dependents
        first)."""
        levels = self._graph.levels_of(subset)
        return levels[::-1] if reverse else levels


def container_graph(maps: ContainerMap | Iterable[ContainerMap]) -> ContainerGraph:
    """The container view (:class:`ContainerGraph`) of the maps' dependency graph."""
    return ContainerGraph(map_graph(maps))


def container_items(maps: Mapping[str, ContainerMap] | ContainerMap,
                    ids: Iterable[InputConfigId | MapConfigId | str],
                    default_map: str | None = None) -> list[MapConfigId]:
    """CONTAINER items for what a user asked for: InputConfigIds (configuration or group
    names; instances optional), MapConfigIds, or plain names in the default map. Groups and
    ``__all__`` expand to their configurations; abstract configurations are left out.
    (:func:`dockerfab.map.select.expand_selection` on the extended maps.)"""
    if not isinstance(maps, Mapping):
        maps = {m.name or "": m for m in _map_list(maps)}
    if default_map is None and len(maps) == 1:
        default_map = next(iter(maps))
    extended = {name: m.get_extended_map() for name, m in maps.items()}
    return [cid for cid in expand_selection(extended, list(ids), None, None, default_map)
            if not extended[cid.map_name].containers[cid.config_name].abstract]
