"""Dependency graph of map items (on :mod:`graphlib`).

:class:`DependencyGraph` is generic: ``item -> its direct dependencies``. Queries return
*levels*: lists of items where every item's dependencies are in earlier levels, so the items
of one level can be processed concurrently. ``dependencies(roots)`` holds the roots and all
they depend on; ``dependents(roots)`` the roots and all that depend on them, in the same
direction (dependencies first). To stop or remove, walk the levels in reverse.

The planner keeps its own container-name graph (:mod:`dockerfab.plan.graph`; its docstring
says why).

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
from typing import Any, Generic, TypeVar

from dockerfab.errors import CircularDependency, MapError, MapIntegrityError
from dockerfab.map.container import ContainerMap
from dockerfab.map.input import InputConfigId, ItemType, MapConfigId
from dockerfab.map.integrity import AttachedRef, MapIndex, plain_network_mode
from dockerfab.map.naming import BUILTIN_NETWORKS, container_name, image_name

T = TypeVar("T", bound=Hashable)


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


def map_graph(maps: ContainerMap | Iterable[ContainerMap]) -> DependencyGraph[MapConfigId]:
    """The item graph of one or more maps (abstract configurations left out)."""
    graph: DependencyGraph[MapConfigId] = DependencyGraph()
    for container_map in ([maps] if isinstance(maps, ContainerMap) else maps):
        _add_map(graph, container_map)
    return graph


def _add_map(graph: DependencyGraph[MapConfigId], original: ContainerMap) -> None:
    m = original.get_extended_map()
    map_name = m.name or ""
    index = MapIndex(m)

    def instances(refs: list[Any]) -> list[MapConfigId]:
        return [MapConfigId(ItemType.CONTAINER, map_name, r.config, r.instance) for r in refs]

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
        refs: list[tuple[tuple[str | int, ...], list[MapConfigId]]] = []
        path: tuple[str | int, ...] = ()
        try:
            for i, used in enumerate(config.uses):
                path = ("uses", i)
                target = index.used(used.name)
                if isinstance(target, AttachedRef):
                    refs.append((path, [MapConfigId(ItemType.VOLUME, map_name, target.parent,
                                                    target.alias),
                                        *instances(index.container(target.parent))]))
                else:
                    refs.append((path, instances(target)))
            for i, link in enumerate(config.links):
                path = ("links", i)
                refs.append((path, instances(index.container(link.container))))
            for i, endpoint in enumerate(config.networks):
                path = ("networks", i)
                for link in endpoint.links or ():
                    refs.append((path, instances(index.container(link.container))))
            if not plain_network_mode(config.network_mode):
                path = ("network_mode",)
                refs.append((path, instances(index.container(config.network_mode))))
        except MapIntegrityError as exc:
            raise exc.at(*base, *path) from None
        for instance in index.instances[name]:
            item = MapConfigId(ItemType.CONTAINER, map_name, name, instance)
            graph.add(item, *own)
            for ref_path, deps in refs:
                graph.add(item, *deps, reason=base + ref_path)


def container_items(maps: Mapping[str, ContainerMap] | ContainerMap,
                    ids: Iterable[InputConfigId | MapConfigId | str],
                    default_map: str | None = None) -> list[MapConfigId]:
    """CONTAINER items for what a user asked for: InputConfigIds (configuration or group
    names; instances optional), MapConfigIds, or plain names in the default map. Groups and
    ``__all__`` expand to their configurations; abstract configurations are left out."""
    if isinstance(maps, ContainerMap):
        maps = {maps.name or "": maps}
    if default_map is None and len(maps) == 1:
        default_map = next(iter(maps))
    result: list[MapConfigId] = []
    for given in ids:
        if isinstance(given, MapConfigId):
            found = [given]
        else:
            if isinstance(given, str):
                given = InputConfigId(None, given)
            map_name = given.map_name or default_map
            if map_name is None or map_name not in maps:
                raise MapError(f"map {map_name!r} is not defined" if map_name else
                               "no map given and no default map")
            m = maps[map_name]
            found = []
            for config_name in m.expand_names(given.config_name):
                config = m.get_extended(config_name)
                names = config.instance_names()
                chosen = list(given.instance_names) or names
                for instance in chosen:
                    if instance not in names:
                        raise MapIntegrityError(f"configuration {config_name!r} has no "
                                                f"instance {instance!r}")
                    found.append(MapConfigId(ItemType.CONTAINER, map_name, config_name,
                                             instance))
        result += [f for f in found if f not in result]
    return result
