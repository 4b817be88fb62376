"""``ContainerMap``: the containers, volumes, host paths, networks and groups of one
deployment, addressed by name (spec 3.7).

Attribute and item access (``container_map.containers.app1.binds = ...``,
``container_map.volumes['v'] = '/path'``). Unknown attributes of the map itself mean:

* reading ``container_map.app1``: the container configuration ``app1`` (created if missing);
* assigning ``container_map.x = value``, decided by the value:
  a ``ContainerConfiguration`` -> containers; a ``VolumeConfiguration`` -> volumes;
  a ``NetworkConfiguration`` -> networks; a dict -> volumes if it has a volume-only key
  (``default_path``, ``driver``, ``driver_options``) and only volume keys, else containers;
  anything else (a path string, a lazy value) -> volumes (CLARIFICATIONS 4).
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from dockerfab.errors import CircularDependency, MapError, MapIntegrityError
from dockerfab.map import input as inp
from dockerfab.map.config.base import copy_value
from dockerfab.map.config.container import ContainerConfiguration
from dockerfab.map.config.host_volume import HostVolumeConfiguration
from dockerfab.map.config.network import NetworkConfiguration
from dockerfab.map.config.volume import VolumeConfiguration
from dockerfab.map.configdict import (
    ConfigurationDict,
    GroupDict,
    check_name,
    configuration_factory,
)

#: Simple map attributes and their defaults.
MAP_ATTRIBUTES: dict[str, Any] = {
    "repository": None,
    "default_domain": None,
    "set_hostname": True,
    "use_attached_parent_name": False,
    "default_tag": None,
}
_BOOL_ATTRIBUTES = ("set_hostname", "use_attached_parent_name")
#: Dictionary keys of map input that are not container names (spec 3.7.2).
MAP_KEYS = frozenset({"name", "containers", "volumes", "host", "host_root", "networks",
                      "groups", "clients", *MAP_ATTRIBUTES})
_VOLUME_ONLY_KEYS = frozenset({"default_path", "driver", "driver_options"})


class ContainerMap:
    """A named map of container configurations and what they share.

    ``ContainerMap(name, initial=None, check_integrity=True, **kwargs)``: ``initial`` (a dict
    as in spec 3.7.2, or another ContainerMap) and ``kwargs`` are merged in; then the
    integrity is checked unless ``check_integrity=False``.
    """

    def __init__(self, name: str | None, initial: Mapping[str, Any] | ContainerMap | None = None,
                 check_integrity: bool = True, **kwargs: Any) -> None:
        set_ = object.__setattr__
        set_(self, "name", name or None)
        for key, default in MAP_ATTRIBUTES.items():
            set_(self, key, default)
        set_(self, "containers", ConfigurationDict(
            ContainerConfiguration, "container configuration",
            configuration_factory(ContainerConfiguration)))
        set_(self, "volumes", ConfigurationDict(
            VolumeConfiguration, "volume alias", configuration_factory(VolumeConfiguration)))
        set_(self, "networks", ConfigurationDict(
            NetworkConfiguration, "network", configuration_factory(NetworkConfiguration)))
        set_(self, "host", HostVolumeConfiguration())
        set_(self, "groups", GroupDict(self._deployable_names))
        set_(self, "clients", [])
        set_(self, "_paths", {})  # configuration name -> key path where its input was given
        if isinstance(initial, ContainerMap):
            self.merge_from_obj(initial)
        elif initial is not None:
            self.merge_from_dict(initial)
        if kwargs:
            self.merge_from_dict(kwargs)
        if self.name is not None:
            check_name(self.name, "map", ("name",))
        if check_integrity:
            self.check_integrity()

    # Attributes (typed for readers; set in __init__).
    name: str | None
    repository: Any
    default_domain: Any
    set_hostname: bool
    use_attached_parent_name: bool
    default_tag: str | None
    containers: ConfigurationDict[ContainerConfiguration]
    volumes: ConfigurationDict[VolumeConfiguration]
    networks: ConfigurationDict[NetworkConfiguration]
    host: HostVolumeConfiguration
    groups: GroupDict
    clients: list[Any]

    # --- attribute and item access ------------------------------------------------------

    def __getattr__(self, key: str) -> ContainerConfiguration:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self.containers[key]
        except MapError as exc:
            raise AttributeError(str(exc)) from None

    def __setattr__(self, key: str, value: Any) -> None:
        if key.startswith("_") or key in MAP_KEYS:
            self._set_attribute(key, value)
        else:
            self._assign(key, value)

    def _set_attribute(self, key: str, value: Any) -> None:
        if key == "host_root":
            self.host.root = value
        elif key == "host" and not isinstance(value, HostVolumeConfiguration):
            object.__setattr__(self, key, HostVolumeConfiguration(value))
        elif key == "clients":
            object.__setattr__(self, key, inp.get_list(value))
        elif key in ("containers", "volumes", "networks", "groups"):
            collection = getattr(self, key)
            collection.clear()
            for name, item in (value.items() if hasattr(value, "items") else value):
                collection[name] = item
        else:
            object.__setattr__(self, key, value)

    def _assign(self, name: str, value: Any) -> None:
        """``map.x = value``: to containers, volumes or networks by the value's kind."""
        if isinstance(value, ContainerConfiguration):
            self.containers[name] = value
        elif isinstance(value, NetworkConfiguration):
            self.networks[name] = value
        elif isinstance(value, dict) and not (
                _VOLUME_ONLY_KEYS & set(value)
                and all(k in VolumeConfiguration.property_names() for k in value)):
            self.containers[name] = value
        else:
            self.volumes[name] = value

    def __getitem__(self, key: str) -> Any:
        if key in MAP_KEYS and key != "host_root":
            return getattr(self, key)
        if key == "host_root":
            return self.host.root
        return self.containers[key]

    def __setitem__(self, key: str, value: Any) -> None:
        setattr(self, key, value)

    def __contains__(self, name: object) -> bool:
        return name in self.containers

    def __iter__(self) -> Iterator[tuple[str, ContainerConfiguration]]:
        """(name, configuration) of the container configurations."""
        return iter(self.containers)

    def get_existing(self, name: str) -> ContainerConfiguration | None:
        """The container configuration ``name`` if defined (nothing is created)."""
        return self.containers.get_existing(name)

    def config_path(self, name: str) -> tuple[str | int, ...]:
        """Key path of a configuration in the input it came from: ``('app',)`` or
        ``('containers', 'app')``; used in error paths."""
        path: tuple[str | int, ...] = self._paths.get(name, (name,))
        return path

    def _deployable_names(self) -> list[str]:
        return [n for n, c in self.containers if not self._is_abstract(c)]

    @staticmethod
    def _is_abstract(config: ContainerConfiguration) -> bool:
        return inp.get_bool(config.abstract)

    # --- input ------------------------------------------------------------------------

    def merge_from_dict(self, values: Mapping[str, Any]) -> None:
        """Merge map input (spec 3.7.2): container names at the top level or under
        ``containers``; ``host_root`` or ``host: {root: ...}``; other map keys as attributes.
        Values are converted here; errors carry the key path of the input."""
        if not isinstance(values, Mapping):
            raise MapError(f"expected a dictionary for map {self.name!r}, got {values!r}")
        for key, value in values.items():
            if key == "name":
                if not self.name and value:
                    object.__setattr__(self, "name", check_name(value, "map", ("name",)))
            elif key in MAP_ATTRIBUTES:
                if key in _BOOL_ATTRIBUTES:
                    value = inp.get_bool(value, (key,))
                object.__setattr__(self, key, value)
            elif key == "host_root":
                self.host.root = value
            elif key == "containers":
                for name, config in _mapping(value, ("containers",)).items():
                    self._merge_config(name, config, ("containers", name))
            elif key == "volumes":
                for alias, volume in _mapping(value, ("volumes",)).items():
                    self._merge_item(self.volumes, VolumeConfiguration, alias, volume,
                                     ("volumes", alias))
            elif key == "networks":
                for net, network in _mapping(value, ("networks",)).items():
                    self._merge_item(self.networks, NetworkConfiguration, net, network,
                                     ("networks", net))
            elif key == "host":
                host = HostVolumeConfiguration()
                host.update(value if value is not None else {}, ("host",))
                try:
                    host.clean()
                except MapError as exc:
                    raise exc.at("host") from None
                self.host.merge_from_obj(host)
            elif key == "groups":
                for group, members in _mapping(value, ("groups",)).items():
                    check_name(group, "group", ("groups", group))
                    try:
                        new = inp.get_str_list(members, "configuration name")
                    except MapError as exc:
                        raise exc.at("groups", group) from None
                    current = self.groups.get_existing(group) or []
                    self.groups[group] = current + [m for m in new if m not in current]
            elif key == "clients":
                try:
                    new = inp.get_str_list(value, "client name")
                except MapError as exc:
                    raise exc.at("clients") from None
                self.clients.extend(c for c in new if c not in self.clients)
            else:
                self._merge_top_level_config(key, value)

    def _merge_top_level_config(self, key: Any, value: Any) -> None:
        """A top-level key that is not a map key is a container configuration. When that
        fails and the key looks like a misspelt map key (``netwroks``), the key is blamed
        with the suggestion, not some entry below it."""
        try:
            self._merge_config(key, value, (key,))
        except MapError as exc:
            close = difflib.get_close_matches(str(key), sorted(MAP_KEYS), n=1, cutoff=0.75)
            if not close:
                raise
            raise MapError(f"unknown map key (did you mean '{close[0]}'?); as a container "
                           f"configuration: {exc.message}", (key,)) from None

    def _merge_config(self, name: Any, value: Any, path: tuple[str | int, ...]) -> None:
        name = check_name(name, "container configuration", path)
        try:
            if isinstance(value, ContainerConfiguration):
                config = value.copy()
            else:
                config = ContainerConfiguration()
                config.update(value if value is not None else {})
            config.clean()
        except MapError as exc:
            raise exc.at(*path) from None
        existing = self.containers.get_existing(name)
        if existing is None:
            self.containers[name] = config
        else:
            existing.merge_from_obj(config)
        self._paths[name] = path

    @staticmethod
    def _merge_item(collection: ConfigurationDict[Any], cls: type[Any], name: Any, value: Any,
                    path: tuple[str | int, ...]) -> None:
        name = check_name(name, collection._what, path)
        try:
            item: Any = value.copy() if isinstance(value, cls) else (
                cls() if value is None else cls(value))
            item.clean()
        except MapError as exc:
            raise exc.at(*path) from None
        existing = collection.get_existing(name)
        if existing is None:
            collection[name] = item
        else:
            existing.merge_from_obj(item)

    def merge_from_obj(self, other: ContainerMap) -> None:
        """Merge another map: attributes it sets override, configurations merge by their
        properties' rules, groups and clients are unioned."""
        self.merge_from_dict(other.as_dict())

    def update_from_obj(self, other: ContainerMap) -> None:
        """Take over another map: its attributes, and its configurations replacing ours of
        the same name (not merged)."""
        other.clean()
        for key, default in MAP_ATTRIBUTES.items():
            value = getattr(other, key)
            if value != default:
                object.__setattr__(self, key, value)
        for name, config in other.containers:
            self.containers[name] = config.copy()
            if name in other._paths:
                self._paths[name] = other._paths[name]
        for alias, volume in other.volumes:
            self.volumes[alias] = volume.copy()
        for net, network in other.networks:
            self.networks[net] = network.copy()
        if other.host.root is not None:
            self.host.root = other.host.root
        self.host.update(copy_value(dict(other.host.items())))
        for group, members in other.groups:
            self.groups[group] = list(members)
        if other.clients:
            object.__setattr__(self, "clients", list(other.clients))

    def clean(self) -> None:
        """Convert every configuration's input (deferred conversion, spec 3.11.1)."""
        for name, config in self.containers:
            try:
                config.clean()
            except MapError as exc:
                raise exc.at(*self.config_path(name)) from None
        for alias, volume in self.volumes:
            try:
                volume.clean()
            except MapError as exc:
                raise exc.at("volumes", alias) from None
        for net, network in self.networks:
            try:
                network.clean()
            except MapError as exc:
                raise exc.at("networks", net) from None
        try:
            self.host.clean()
        except MapError as exc:
            raise exc.at("host") from None
        self.groups.clean()
        try:
            object.__setattr__(self, "clients", inp.get_str_list(self.clients, "client name"))
        except MapError as exc:
            raise exc.at("clients") from None

    def as_dict(self) -> dict[str, Any]:
        """The whole map as nested dicts; ``ContainerMap(m.name, m.as_dict())`` equals ``m``."""
        self.clean()
        result: dict[str, Any] = {}
        if self.name:
            result["name"] = self.name
        for key, default in MAP_ATTRIBUTES.items():
            value = getattr(self, key)
            if value != default:
                result[key] = value
        if self.containers:
            result["containers"] = {n: c.as_dict() for n, c in self.containers}
        if self.volumes:
            result["volumes"] = {a: v.as_dict() for a, v in self.volumes}
        host = self.host.as_dict()
        if host:
            result["host"] = host
        if self.networks:
            result["networks"] = {n: c.as_dict() for n, c in self.networks}
        if self.groups:
            result["groups"] = {g: list(m) for g, m in self.groups}
        if self.clients:
            result["clients"] = list(self.clients)
        return result

    def copy(self) -> ContainerMap:
        new = ContainerMap(self.name, self.as_dict(), check_integrity=False)
        new._paths.update(self._paths)
        return new

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ContainerMap):
            return NotImplemented
        return self.as_dict() == other.as_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ContainerMap({self.name!r}, containers={self.containers.keys()!r})"

    # --- inheritance ------------------------------------------------------------------

    def get_extended(self, config: str | ContainerConfiguration,
                     _chain: tuple[str, ...] = ()) -> ContainerConfiguration:
        """A new configuration with everything from ``extends`` merged in (recursively, in
        order; the configuration's own values last). ``extends`` of the result is empty;
        ``abstract`` is the configuration's own (not inherited)."""
        if isinstance(config, str):
            name: str | None = config
            own = self.containers.get_existing(config)
            if own is None:
                raise MapIntegrityError(f"container configuration {config!r} is not defined")
        else:
            own = config
            name = next((n for n, c in self.containers if c is config), None)
        try:
            own.clean()
        except MapError as exc:
            raise exc.at(*self.config_path(name)) if name else exc from None
        if not own.extends:
            return own.copy()
        chain = _chain + ((name,) if name else ())
        result = ContainerConfiguration()
        for i, base_name in enumerate(own.extends):
            path = self.config_path(name) + ("extends", i) if name else ("extends", i)
            if base_name in chain:
                cycle = list(chain[chain.index(base_name):]) + [base_name]
                raise CircularDependency(cycle, path)
            if base_name not in self.containers:
                raise MapIntegrityError(
                    f"extends {base_name!r}, which is not a container configuration", path)
            result.merge_from_obj(self.get_extended(base_name, chain), inherit_only=True)
        result.merge_from_obj(own)
        result._values["extends"] = []
        result._set.discard("extends")
        return result

    def get_extended_map(self) -> ContainerMap:
        """A copy of this map with every configuration replaced by its extended form."""
        extended = ContainerMap(self.name, check_integrity=False)
        extended.update_from_obj(self)
        for name, _ in self.containers:
            extended.containers[name] = self.get_extended(name)
        return extended

    # --- groups and instances -----------------------------------------------------------

    def expand_names(self, names: str | Iterable[str]) -> list[str]:
        """Configuration names for a list of configuration and group names (``__all__``
        included); abstract configurations are left out; order kept, no duplicates."""
        result: list[str] = []
        for name in inp.get_list(names):
            if name in self.groups:
                members = self.groups[name]
            elif name in self.containers:
                members = [name]
            else:
                raise MapIntegrityError(f"{name!r} is neither a container configuration nor "
                                        f"a group of map {self.name!r}")
            for member in members:
                config = self.containers.get_existing(member)
                if config is not None and self._is_abstract(config):
                    continue
                if member not in result:
                    result.append(member)
        return result

    def check_integrity(self, clients: Iterable[str] | None = None, *,
                        complete: bool = True) -> None:
        """Raise MapIntegrityError (with the key path) for the first reference to something
        the map does not define; CircularDependency for a cycle in ``extends`` or between
        containers (uses, links, network_mode). ``clients``:
        the known client names, if client references are to be checked. ``complete=False``
        leaves out what only creating needs (paths of attached volumes, host paths of bind
        aliases), so that a map can still be taken down."""
        from dockerfab.map.deps import map_graph
        from dockerfab.map.integrity import check_map

        self.clean()
        check_map(self, clients, complete=complete)
        map_graph(self).check()


def _mapping(value: Any, path: tuple[str | int, ...]) -> Mapping[Any, Any]:
    if value is None:
        return {}
    if isinstance(value, ConfigurationDict):
        return dict(value.items())
    if not isinstance(value, Mapping):
        raise MapError(f"expected a dictionary, got {value!r}", path)
    return value
