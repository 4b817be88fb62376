"""What a user asks for -> container instances (``MapConfigId``), in the order asked.

Input names are configurations, ``config.instance``, ``map.config[.instance]``, groups,
``__all__``, ``MapConfigId`` or ``InputConfigId``; groups and ``__all__`` expand to their
deployable configurations. Pure: works on (extended) :class:`ContainerMap` objects.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dockerfab.errors import MapIntegrityError
from dockerfab.map.input import InputConfigId, ItemType, MapConfigId

ALL = "__all__"


def expand_selection(maps: Mapping[str, Any], selection: Any, map_name: str | None,
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


def select_in(maps: Iterable[Any], selection: Any, instances: Any = None
              ) -> list[MapConfigId]:
    """:func:`expand_selection` over a list of (unmerged) maps, the way a
    MappingDockerClient of those maps reads it (one map is the default map)."""
    merged = {m.name: m.get_extended_map() for m in maps}
    default = next(iter(merged)) if len(merged) == 1 else None
    return expand_selection(merged, selection, None, instances, default)


def _instances(config: Any) -> list[str | None]:
    return list(config.instance_names())


def _expand_one(maps: Mapping[str, Any], entry: Any, map_name: str | None,
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
        configs = dict(cmap.containers.items())
        grp = {k: list(v or ()) for k, v in cmap.groups.items()}
        if name == ALL:
            config_names = [c for c, conf in configs.items() if not conf.abstract]
        elif name in grp:
            config_names = list(grp[name])
        elif name in configs:
            config_names = [name]
        else:
            cname, _, inst = name.rpartition(".")
            if cname in configs and inst in _instances(configs[cname]):
                result.append(MapConfigId(ItemType.CONTAINER, mname, cname, inst))
                continue
            raise MapIntegrityError(f"{name!r} is not a container configuration, instance or "
                                    f"group on map {mname!r}")
        for cname in config_names:
            if cname not in configs:
                raise MapIntegrityError(f"group refers to unknown configuration {cname!r} on "
                                        f"map {mname!r}")
            all_instances = _instances(configs[cname])
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
