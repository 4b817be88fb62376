"""Which container instances an action touches and in which order (levels).

Input names (configurations, ``config.instance``, groups, ``__all__``, ``MapConfigId``,
``InputConfigId``) become MapConfigIds; the dependency closure is followed forward
(dependencies first) or in reverse (dependents first); graphlib yields the levels.

Why a second graph next to :mod:`dockerfab.map.deps`: that one is the model's graph of every
item kind (containers, attached volumes, networks, images as ``MapConfigId``), with the key
path of each edge for cycle messages; ``BasePolicy.get_dependencies``/``get_dependents`` and
the map's integrity checks use it. The planner needs something narrower: container *names*,
with edges exactly as :meth:`dockerfab.plan.desired.DesiredStateBuilder.dependencies`
resolves them for the desired state (e.g. ``network_mode`` naming a configuration means its
first instance), and levels of any per-client subset sorted by name, so plans and their
step order are the same on every run. The edge kinds (link, attached, ...) stay in the
builder, which is the only place that reads them; the graph only needs the edges.
"""
from __future__ import annotations

import graphlib
from collections.abc import Callable, Iterable
from typing import Any

from dockerfab.errors import CircularDependency, MapIntegrityError
from dockerfab.map import naming
from dockerfab.map.input import InputConfigId, ItemType, MapConfigId
from dockerfab.plan.model import containers, groups, instances, is_abstract

ALL = "__all__"


def expand_selection(maps: dict[str, Any], selection: Any, map_name: str | None,
                     instance_names: Any, default_map: str | None) -> list[MapConfigId]:
    """Turn what a user asked for into container MapConfigIds (order kept, no duplicates)."""
    if isinstance(instance_names, str):
        instance_names = (instance_names,)
    wanted_instances = tuple(instance_names or ())
    if selection is None or isinstance(selection, (str, MapConfigId, InputConfigId)):
        selection = [selection if selection is not None else ALL]
    result: dict[MapConfigId, None] = {}
    for entry in selection:
        for cid in _expand_one(maps, entry, map_name, wanted_instances, default_map):
            result[cid] = None
    return list(result)


def _expand_one(maps: dict[str, Any], entry: Any, map_name: str | None,
                wanted: tuple[str, ...], default_map: str | None) -> list[MapConfigId]:
    if isinstance(entry, MapConfigId):
        if entry.config_type != ItemType.CONTAINER:
            return []
        if entry.instance_name is None:
            return _expand_one(maps, entry.config_name, entry.map_name, wanted, default_map)
        return [entry]
    if isinstance(entry, InputConfigId):
        return _expand_one(maps, entry.config_name, entry.map_name or map_name,
                           tuple(entry.instance_names) or wanted, default_map)
    name = str(entry)
    head, _, rest = name.partition(".")
    if map_name is None and rest and head in maps:
        # 'map.config[.instance]' / 'map.group' / 'map.__all__' names their map themselves
        return _expand_one(maps, rest, head, wanted, default_map)
    if map_name == ALL or (map_name is None and name == ALL and default_map is None):
        map_names = list(maps)
    else:
        target = map_name or default_map
        if target is None:
            raise MapIntegrityError(f"no map given for {name!r} and no default map")
        if target not in maps:
            raise MapIntegrityError(f"map {target!r} is not known to this client")
        map_names = [target]
    result: list[MapConfigId] = []
    for mname in map_names:
        cmap = maps[mname]
        configs = containers(cmap)
        grp = groups(cmap)
        if name == ALL:
            config_names = [c for c, conf in configs.items() if not is_abstract(conf)]
        elif name in grp:
            config_names = list(grp[name])
        elif name in configs:
            config_names = [name]
        else:
            cname, _, inst = name.rpartition(".")
            if cname in configs and inst in instances(configs[cname]):
                result.append(MapConfigId(ItemType.CONTAINER, mname, cname, inst))
                continue
            raise MapIntegrityError(f"{name!r} is not a container configuration, instance or "
                                    f"group on map {mname!r}")
        for cname in config_names:
            if cname not in configs:
                raise MapIntegrityError(f"group refers to unknown configuration {cname!r} on "
                                        f"map {mname!r}")
            all_instances = instances(configs[cname])
            chosen: list[str | None] = all_instances
            if wanted:
                unknown = set(wanted) - set(all_instances)
                if unknown and name == cname:  # asked for directly: must exist
                    raise MapIntegrityError(f"{cname!r} has no instance(s) "
                                            f"{', '.join(sorted(unknown))} on map {mname!r}")
                if all_instances != [None]:  # in a group: the instances it has
                    chosen = [i for i in all_instances if i in wanted]
            for chosen_instance in chosen:
                result.append(MapConfigId(ItemType.CONTAINER, mname, cname, chosen_instance))
    return result


def container_of(cid: MapConfigId) -> str:
    return naming.container_name(cid.map_name, cid.config_name, cid.instance_name)


class DependencyGraph:
    """Container-level graph of all maps; ``deps(name)`` are the containers it needs."""

    def __init__(self, nodes: dict[str, MapConfigId],
                 deps: Callable[[MapConfigId], Iterable[str]]) -> None:
        self.nodes = nodes
        self.edges: dict[str, set[str]] = {n: set(deps(cid)) for n, cid in nodes.items()}
        self.reverse: dict[str, set[str]] = {n: set() for n in nodes}
        for node, needs in self.edges.items():
            for dep in needs:
                self.reverse.setdefault(dep, set()).add(node)
        try:
            tuple(graphlib.TopologicalSorter(self.edges).static_order())
        except graphlib.CycleError as exc:
            raise CircularDependency(exc.args[1]) from None

    def closure(self, start: Iterable[str], reverse: bool = False) -> set[str]:
        table = self.reverse if reverse else self.edges
        seen: set[str] = set()
        todo = list(start)
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            todo.extend(table.get(node, ()))
        return seen

    def levels(self, subset: Iterable[str], reverse: bool = False) -> list[list[str]]:
        """Levels of ``subset``: each only needs earlier levels (reversed: dependents first)."""
        subset = set(subset)
        sorter = graphlib.TopologicalSorter(
            {n: self.edges.get(n, set()) & subset for n in subset})
        sorter.prepare()
        levels: list[list[str]] = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready())
            levels.append(ready)
            sorter.done(*ready)
        return levels[::-1] if reverse else levels
