"""Reference resolution and the integrity check of a map.

:class:`MapIndex` is the one place that answers, for an *extended* map, what a name in
``uses``, ``links`` or ``network_mode`` refers to. The dependency graph
(:mod:`dockerfab.map.deps`) and the desired state (:mod:`dockerfab.plan.desired`) both take
their answers from it, so what passes the integrity check is exactly what the graph holds
and what the planner creates. :func:`check_map` reports the first reference to something
undefined as a MapIntegrityError with its key path.

The rules, written down once:

* ``config`` means every instance of the configuration, ``config.instance`` that one;
* a ``uses`` name is a whole container (``volumes_from``) or an attached volume
  (``alias`` or ``parent.alias``: the volume, and every instance of its owner);
* ``network_mode`` naming a configuration means its **first** instance: a container joins
  exactly one other container's network stack (``container:<first instance>``);
* abstract configurations are never referred to.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from dockerfab.errors import MapIntegrityError
from dockerfab.map.config.container import NAME_RE, ContainerConfiguration
from dockerfab.map.input import HostVolume, UsedVolume
from dockerfab.map.naming import BUILTIN_NETWORKS, DEFAULT_CLIENT_NAME, split_reference

if TYPE_CHECKING:
    from dockerfab.map.container import ContainerMap

#: network_mode values that do not refer to a configuration of the map.
PLAIN_NETWORK_MODES = frozenset({"bridge", "host", "none", "disabled", "default"})


def suggest(name: object, candidates: Iterable[str]) -> str:
    """``"; did you mean 'app_data'?"`` for the nearest candidate, or ``""``."""
    close = difflib.get_close_matches(str(name), list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class Instance(NamedTuple):
    config: str
    instance: str | None


class AttachedRef(NamedTuple):
    """A ``uses`` entry that names an attached volume: owner configuration and alias."""
    parent: str
    alias: str


class Reference(NamedTuple):
    """One reference of a configuration to other container instances.

    ``kind``: ``attached`` (uses an attached volume of theirs), ``volumes_from`` (uses the
    whole container), ``link`` (``links`` or a network endpoint's links), ``network_mode``.
    ``path``: where in the configuration it is declared (``('uses', 0)``). ``volume``: the
    attached volume for ``attached``."""
    kind: str
    path: tuple[str | int, ...]
    instances: list[Instance]
    volume: AttachedRef | None = None


def plain_network_mode(mode: object) -> bool:
    """True if ``network_mode`` names no configuration (bridge, host, container:<id>, ...)."""
    return (mode is None or not isinstance(mode, str) or mode in PLAIN_NETWORK_MODES
            or mode.startswith(("container:", "/")))


class MapIndex:
    """Lookup tables of an extended map (see ``ContainerMap.get_extended_map``)."""

    def __init__(self, extended: ContainerMap) -> None:
        self.map = extended
        self.configs: dict[str, ContainerConfiguration] = dict(extended.containers.items())
        self.deployable = {n for n, c in self.configs.items() if not c.abstract}
        self.instances = {n: c.instance_names() for n, c in self.configs.items()}
        self.owners: dict[str, list[str]] = {}
        for name in self.configs:
            if name in self.deployable:
                for volume in self.configs[name].attaches:
                    self.owners.setdefault(volume.name, []).append(name)

    def container(self, ref: str) -> list[Instance]:
        """Instances a ``config`` or ``config.instance`` reference means."""
        config, instance = split_reference(ref)
        if config not in self.configs:
            raise MapIntegrityError(f"{ref!r} is not a container configuration"
                                    f"{suggest(config, self.deployable)}")
        if config not in self.deployable:
            raise MapIntegrityError(f"{ref!r} refers to abstract configuration {config!r}")
        if instance is None:
            return [Instance(config, i) for i in self.instances[config]]
        if instance not in self.instances[config]:
            raise MapIntegrityError(f"{ref!r}: configuration {config!r} has no instance "
                                    f"{instance!r}")
        return [Instance(config, instance)]

    def used(self, ref: str) -> list[Instance] | AttachedRef:
        """What a ``uses`` name means: a whole container (its instances), or an attached
        volume (``alias``, or ``parent.alias``)."""
        config, rest = split_reference(ref)
        if rest is not None and config in self.configs and rest not in self.instances[config]:
            if config in self.owners.get(rest, ()):
                return AttachedRef(config, rest)
            raise MapIntegrityError(f"{ref!r}: configuration {config!r} has no instance or "
                                    f"attached volume {rest!r}")
        if config in self.configs:
            return self.container(ref)
        owners = self.owners.get(ref, [])
        if len(owners) == 1:
            return AttachedRef(owners[0], ref)
        if owners:
            raise MapIntegrityError(f"attached volume {ref!r} is ambiguous (attached by "
                                    f"{', '.join(owners)}); use '<container>.{ref}'")
        raise MapIntegrityError(f"{ref!r} is neither a container configuration nor an "
                                f"attached volume"
                                f"{suggest(ref, [*self.deployable, *self.owners])}")

    def attached(self, ref: AttachedRef) -> UsedVolume:
        """The ``attaches`` entry of the owner that ``ref`` names."""
        attaches: list[UsedVolume] = self.configs[ref.parent].attaches
        return next(a for a in attaches if a.name == ref.alias)

    def network_mode_instance(self, mode: object) -> Instance | None:
        """The container instance whose network stack ``network_mode`` shares (the first
        instance when a configuration is named), or None for a plain mode."""
        if plain_network_mode(mode):
            return None
        return self.container(str(mode))[0]

    def references(self, config: ContainerConfiguration) -> list[Reference]:
        """Every reference of ``config`` to other container instances, in the order
        ``depends_on`` (ordering only), ``uses``, ``links``, ``network_mode``, network
        endpoint links. A bad reference raises MapIntegrityError with its key path inside
        the configuration."""
        refs: list[Reference] = []
        path: tuple[str | int, ...] = ()
        try:
            for i, ref in enumerate(config.depends_on):
                path = ("depends_on", i)
                refs.append(Reference("depends_on", path, self.container(ref)))
            for i, used in enumerate(config.uses):
                path = ("uses", i)
                target = self.used(used.name)
                if isinstance(target, AttachedRef):
                    refs.append(Reference("attached", path, self.container(target.parent),
                                          target))
                else:
                    refs.append(Reference("volumes_from", path, target))
            for i, link in enumerate(config.links):
                path = ("links", i)
                refs.append(Reference("link", path, self.container(link.container)))
            path = ("network_mode",)
            shared = self.network_mode_instance(config.network_mode)
            if shared is not None:
                refs.append(Reference("network_mode", path, [shared]))
            for i, endpoint in enumerate(config.networks):
                path = ("networks", i)
                for link in endpoint.links or ():
                    refs.append(Reference("link", path, self.container(link.container)))
        except MapIntegrityError as exc:
            raise exc.at(*path) from None
        return refs


def check_map(container_map: ContainerMap, clients: Iterable[str] | None = None, *,
              complete: bool = True) -> None:
    """The integrity check of ``ContainerMap.check_integrity`` (map already cleaned);
    ``complete=False``: references only, not what creating a container needs."""
    m = container_map
    known_clients = None if clients is None else set(clients) | {DEFAULT_CLIENT_NAME}
    for name, config in m.containers:
        for i, base in enumerate(config.extends):
            if base not in m.containers:
                raise MapIntegrityError(f"extends {base!r}, which is not a container "
                                        f"configuration{suggest(base, m.containers.keys())}",
                                        m.config_path(name) + ("extends", i))
    index = MapIndex(m.get_extended_map())
    for name, config in m.containers:
        if complete:
            _check_creatable(m, name, config)
        _check_config(m, index, name, config, known_clients)
    if not m.use_attached_parent_name:
        _check_unique_attachments(m, index)
    for group, members in m.groups:
        for i, member in enumerate(members):
            if member not in m.containers:
                raise MapIntegrityError(f"group member {member!r} is not a container "
                                        f"configuration{suggest(member, m.containers.keys())}",
                                        ("groups", group, i))
    if known_clients is not None:
        for i, client in enumerate(m.clients):
            if client not in known_clients:
                raise MapIntegrityError(f"client {client!r} is not defined"
                                        f"{suggest(client, known_clients)}", ("clients", i))


def _check_creatable(m: ContainerMap, name: str, config: ContainerConfiguration) -> None:
    """What creating the containers of ``config`` needs beyond references: a host path for
    each bind alias, a path for each attached volume."""
    base = m.config_path(name)
    for i, bind in enumerate(config.binds):
        if isinstance(bind, HostVolume):
            continue
        if bind.name not in m.volumes:
            raise MapIntegrityError(f"volume alias {bind.name!r} is not defined in volumes"
                                    f"{suggest(bind.name, m.volumes.keys())}",
                                    base + ("binds", i))
        if bind.name not in m.host:
            raise MapIntegrityError(f"volume alias {bind.name!r} has no host path in host"
                                    f"{suggest(bind.name, m.host.keys())}",
                                    base + ("binds", i))
    for i, attached in enumerate(config.attaches):
        if attached.path is None and attached.name not in m.volumes:
            raise MapIntegrityError(f"attached volume {attached.name!r} has no path: define "
                                    f"it in volumes or give one here"
                                    f"{suggest(attached.name, m.volumes.keys())}",
                                    base + ("attaches", i))


def _check_config(m: ContainerMap, index: MapIndex, name: str, config: ContainerConfiguration,
                  known_clients: set[str] | None) -> None:
    base = m.config_path(name)
    for i, attached in enumerate(config.attaches):
        if not NAME_RE.fullmatch(attached.name):
            raise MapIntegrityError(f"invalid attached volume alias {attached.name!r}",
                                    base + ("attaches", i))
    for i, used in enumerate(config.uses):
        try:
            target = index.used(used.name)
        except MapIntegrityError as exc:
            raise exc.at(*base, "uses", i) from None
        if isinstance(used, UsedVolume) and not isinstance(target, AttachedRef):
            raise MapIntegrityError(f"a container path can only be given for an attached "
                                    f"volume, not for container {used.name!r}",
                                    base + ("uses", i))
    for i, link in enumerate(config.links):
        _container_ref(index, link.container, base + ("links", i))
    if not plain_network_mode(config.network_mode):
        _container_ref(index, config.network_mode, base + ("network_mode",))
    for i, endpoint in enumerate(config.networks):
        path = base + ("networks", i)
        if endpoint.network_name not in m.networks and \
                endpoint.network_name not in BUILTIN_NETWORKS:
            raise MapIntegrityError(f"network {endpoint.network_name!r} is not defined in "
                                    f"networks{suggest(endpoint.network_name, m.networks.keys())}",
                                    path)
        for link in endpoint.links or ():
            _container_ref(index, link.container, path)
    if known_clients is not None:
        for i, client in enumerate(config.clients):
            if client not in known_clients:
                raise MapIntegrityError(f"client {client!r} is not defined"
                                        f"{suggest(client, known_clients)}",
                                        base + ("clients", i))


def _container_ref(index: MapIndex, ref: str, path: tuple[str | int, ...]) -> None:
    try:
        index.container(ref)
    except MapIntegrityError as exc:
        raise exc.at(*path) from None


def _check_unique_attachments(m: ContainerMap, index: MapIndex) -> None:
    """Without ``use_attached_parent_name`` an attached volume is ``<map>.<alias>``: two
    deployable configurations attaching the same alias would share one volume name."""
    for alias, owners in index.owners.items():
        if len(owners) > 1:
            second = owners[1]
            own = [a.name for a in m.containers[second].attaches]
            path = m.config_path(second) + (
                ("attaches", own.index(alias)) if alias in own else ("extends",))
            raise MapIntegrityError(
                f"attached volume {alias!r} is attached by {', '.join(owners)}; its name "
                f"'{m.name}.{alias}' would be shared (set use_attached_parent_name)", path)
