"""The normalised forms of container-configuration input (spec 3.7 "Input formats").

Every list-like property of a ContainerConfiguration is converted, on ``clean()``, into a
list of the named tuples below. The converters further down (``get_shared_volumes``,
``get_used_volumes``, ``get_attached_volumes``, ``get_container_links``, ``get_port_bindings``,
``get_network_endpoints``, ``get_exec_commands``, ``get_healthcheck``, ``get_list``, and
``get_user``/``get_permissions`` for single values) accept every input form the spec lists and
raise :class:`dockerfab.errors.MapError` with a key path relative to the property (``(1,)``
for item 1) for anything else. Lazy values are kept, never resolved here.

Field order is part of the public API (positional tuples are valid input).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from typing import Any, NamedTuple, cast

from dockerfab.errors import MapError
from dockerfab.functional import is_lazy


class ExecPolicy(str, Enum):
    """When an ``exec_commands`` entry runs: on every start, or only once after creation."""
    RESTART = "restart"
    INITIAL = "initial"


class CmdCheck(str, Enum):
    """How ``update`` checks that an exec command is running: whole command line, part, not."""
    FULL = "full"
    PARTIAL = "partial"
    NONE = "none"


class ItemType(str, Enum):
    """Kinds of item a map manages; used in MapConfigId and the dependency graph."""
    CONTAINER = "container"
    VOLUME = "volume"
    NETWORK = "network"
    IMAGE = "image"


class SharedVolume(NamedTuple):
    """A volume alias (binds: alias of ``volumes``/``host``; uses: container or attached alias)."""
    name: str
    readonly: bool = False


class HostVolume(NamedTuple):
    """A direct bind without alias: container ``path`` <- ``host_path`` (relative to host root)."""
    path: str
    host_path: Any  # str or lazy value; may be a dict instance-name -> path
    readonly: bool = False


class UsedVolume(NamedTuple):
    """An attached volume (``attaches``), or a ``uses`` item with an explicit container path."""
    name: str
    path: Any = None  # None: the path of the alias in ``volumes``
    readonly: bool = False


class ContainerLink(NamedTuple):
    """A legacy link to another container configuration; alias defaults to its name."""
    container: str
    alias: str | None = None


class PortBinding(NamedTuple):
    """``exposed_port`` published to ``host_port`` on the client interface alias ``interface``
    (all addresses if None); ``ipv6`` picks the interface's IPv6 address."""
    exposed_port: Any
    host_port: Any = None
    interface: str | None = None
    ipv6: bool = False


class NetworkEndpoint(NamedTuple):
    """A container's connection to a configured network, with optional endpoint settings."""
    network_name: str
    aliases: list[str] | None = None
    links: list[ContainerLink] | None = None
    ipv4_address: Any = None
    ipv6_address: Any = None
    link_local_ips: list[str] | None = None


class ExecCommand(NamedTuple):
    """A command run in the container after it starts; ``user`` None means the config's user."""
    cmd: Any  # str or list of str
    user: Any = None
    policy: ExecPolicy = ExecPolicy.RESTART


class HealthCheck(NamedTuple):
    """Docker health check; durations in seconds (int/float) or Docker strings like '30s'."""
    test: Any
    interval: Any = None
    timeout: Any = None
    retries: int | None = None
    start_period: Any = None


class MapConfigId(NamedTuple):
    """One item of one map: a container instance, an attached volume, a network or an image."""
    config_type: ItemType
    map_name: str
    config_name: str
    instance_name: str | None = None


class InputConfigId(NamedTuple):
    """What a user asked an action for: a configuration and optionally some instances."""
    map_name: str | None
    config_name: str
    instance_names: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------
# Converters: any input form of spec 3.7 "Input formats" -> list of the tuples above.
# Each raises MapError whose ``path`` is relative to the property (``(1,)`` for item 1);
# the configuration prefixes the property name and the map the configuration name.
# ---------------------------------------------------------------------------------------


_TRUE_WORDS = frozenset({"ro", "true", "yes", "on", "1", "y"})
_FALSE_WORDS = frozenset({"rw", "false", "no", "off", "0", "n", ""})
_SCALAR_TYPES = (str, bytes, int, float, bool)
_LIST_TYPES = (list, tuple)


def _is_named_tuple(value: Any) -> bool:
    return isinstance(value, tuple) and hasattr(value, "_fields")


def is_value(value: Any) -> bool:
    """A single value usable as a path, name or command: a string, or a lazy/registered value
    (anything that is not a container, number, bool or None)."""
    if isinstance(value, str) or is_lazy(value):  # a registered type may be a tuple
        return True
    return value is not None and not isinstance(value, (list, tuple, dict, set, frozenset,
                                                        int, float, bool, bytes))


def _is_flag(value: Any) -> bool:
    """True if ``value`` reads as an access flag (bool, None, 'ro'/'rw'/'true'/...)."""
    if value is None or isinstance(value, bool):
        return True
    return isinstance(value, str) and value.strip().lower() in _TRUE_WORDS | _FALSE_WORDS


def read_only(value: Any, path: tuple[str | int, ...] = ()) -> bool:
    """Access flag -> readonly bool. True/'ro'/'true'/'yes' are read-only; None/False/'rw'/'false'
    /'no' read-write (spec 3.7, binds). Other strings are rejected rather than guessed."""
    return get_bool(value, path, "access flag {!r} (use 'ro', 'rw', true or false)")


def get_bool(value: Any, path: tuple[str | int, ...] = (),
             message: str = "invalid flag {!r} (use true or false)") -> bool:
    """Bool from bool/None/0/1 or the words true/false, yes/no, on/off, ro/rw."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    raise MapError(message.format(value), path)


def get_list(value: Any) -> list[Any]:
    """Any value -> list: None -> [], list/tuple/set -> its items, anything else -> [value]."""
    if value is None:
        return []
    if isinstance(value, list):
        return list(value)
    if isinstance(value, tuple) and not _is_named_tuple(value):
        return list(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return [value]


def get_str_list(value: Any, what: str = "name", *, allow_lazy: bool = False,
                 pattern: re.Pattern[str] | None = None) -> list[Any]:
    """List of strings (ints are turned into strings, as YAML reads ``1`` for ``'1'``)."""
    result: list[Any] = []
    for i, item in enumerate(get_list(value)):
        if isinstance(item, int) and not isinstance(item, bool):
            item = str(item)
        if isinstance(item, str):
            if not item or (pattern is not None and not pattern.fullmatch(item)):
                raise MapError(f"invalid {what} {item!r}", (i,))
        elif not (allow_lazy and is_value(item)):
            raise MapError(f"expected a {what} (string), got {item!r}", (i,))
        if item not in result:
            result.append(item)
    return result


def _from_fields(cls: type, value: Mapping[str, Any], path: tuple[str | int, ...]) -> Any:
    """Build named tuple ``cls`` from a dict of its field names (spec 3.11.1)."""
    fields: tuple[str, ...] = cls._fields  # type: ignore[attr-defined]
    unknown = [k for k in value if k not in fields]
    if unknown:
        raise MapError(f"unknown field {unknown[0]!r} for {cls.__name__} "
                       f"(fields: {', '.join(fields)})", path)
    try:
        return cls(**value)
    except TypeError as exc:
        raise MapError(f"incomplete {cls.__name__}: {exc}", path) from None


def _has_fields(value: Any, cls: type, required: Iterable[str]) -> bool:
    """True if dict ``value`` names fields of ``cls`` (all keys fields, required ones present)."""
    fields = cls._fields  # type: ignore[attr-defined]
    return (isinstance(value, dict) and bool(value) and all(isinstance(k, str) and k in fields
                                                            for k in value)
            and all(r in value for r in required))


def _items(value: Any, convert_item: Callable[[Any, tuple[str | int, ...]], list[Any]],
           convert_pair: Callable[[Any, Any, tuple[str | int, ...]], Any],
           named: Callable[[Any], bool] | None = None) -> list[Any]:
    """Shared walk: a dict at the top level is a set of ``key: value`` pairs; anything else is
    made a list and every item converted; a dict item is a named-field dict or pairs."""
    result: list[Any] = []
    if isinstance(value, dict) and not (named and named(value)):
        for i, (key, val) in enumerate(value.items()):
            result.append(convert_pair(key, val, (i,)))
        return result
    for i, item in enumerate(get_list(value)):
        result.extend(convert_item(item, (i,)))
    return result


def name_value(value: Any, what: str, path: tuple[str | int, ...]) -> str:
    """A non-empty name (a number given for one becomes its string)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise MapError(f"expected a {what} (string), got {value!r}", path)
    return value


# --- binds -------------------------------------------------------------------------------

def _bind_pair(key: Any, val: Any, path: tuple[str | int, ...]) -> SharedVolume | HostVolume:
    """``alias: flag`` -> SharedVolume; ``container_path: host_path | (host_path, flag) |
    {instance: host_path}`` -> HostVolume."""
    key = name_value(key, "volume alias or container path", path)
    if _is_flag(val):
        if key.startswith("/"):
            raise MapError(f"container path {key!r} needs a host path, e.g. "
                           f"{{{key!r}: ['host/path', 'ro']}}", path)
        return SharedVolume(key, read_only(val, path))
    if isinstance(val, dict):
        if _has_fields(val, HostVolume, ("host_path",)):
            return cast(HostVolume, _from_fields(HostVolume, {"path": key, **val}, path))
        if _has_fields(val, SharedVolume, ()):
            return cast(SharedVolume, _from_fields(SharedVolume, {"name": key, **val}, path))
        return HostVolume(key, _instance_paths(val, path), False)
    if isinstance(val, _LIST_TYPES):
        if not 1 <= len(val) <= 2:
            raise MapError(f"expected (host_path, readonly), got {val!r}", path)
        host_path = host_path_value(val[0], path)
        return HostVolume(key, host_path, read_only(val[1], path) if len(val) > 1 else False)
    return HostVolume(key, host_path_value(val, path), False)


def host_path_value(value: Any, path: tuple[str | int, ...]) -> Any:
    """A host path, or a dict of them per instance (each checked)."""
    if isinstance(value, dict):
        return _instance_paths(value, path)
    if not is_value(value):
        raise MapError(f"expected a host path, got {value!r}", path)
    return check_host_path(value, path)


def check_host_path(value: Any, path: tuple[str | int, ...] = ()) -> Any:
    """A host path with ':' cannot be bound: Docker's bind syntax (``host:container:mode``)
    splits it there. Refused here instead of failing (or binding the wrong thing) on a
    host. Lazy values are checked once resolved (``HostVolumeConfiguration.expand_path``)."""
    if isinstance(value, str) and ":" in value:
        raise MapError(f"host path {value!r} contains ':', which Docker's bind syntax "
                       "(host:container:mode) cannot carry", path)
    return value


def _instance_paths(value: dict[Any, Any], path: tuple[str | int, ...]) -> dict[Any, Any]:
    """``{instance: host_path}``; keys as strings (YAML may read ``1:``), values paths."""
    result: dict[Any, Any] = {}
    for key, item in value.items():
        if key is not None:
            key = name_value(key, "instance name", path)
        if not is_value(item):
            raise MapError(f"expected a host path for instance {key!r}, got {item!r}", path)
        check_host_path(item, path)
        result[key] = item
    return result


def _bind_item(item: Any, path: tuple[str | int, ...]) -> list[SharedVolume | HostVolume]:
    if isinstance(item, HostVolume):
        return [HostVolume(name_value(item.path, "container path", path),
                           host_path_value(item.host_path, path), read_only(item.readonly, path))]
    if isinstance(item, SharedVolume):
        return [SharedVolume(name_value(item.name, "volume alias", path),
                             read_only(item.readonly, path))]
    if isinstance(item, dict):
        if _has_fields(item, HostVolume, ("path", "host_path")):
            return _bind_item(_from_fields(HostVolume, item, path), path)
        if _has_fields(item, SharedVolume, ("name",)):
            return _bind_item(_from_fields(SharedVolume, item, path), path)
        return [_bind_pair(k, v, path) for k, v in item.items()]
    if isinstance(item, _LIST_TYPES):
        if len(item) == 1:
            return [_bind_pair(item[0], None, path)]
        if len(item) == 2:
            return [_bind_pair(item[0], item[1], path)]
        if len(item) == 3:
            return [HostVolume(name_value(item[0], "container path", path),
                               host_path_value(item[1], path), read_only(item[2], path))]
        raise MapError(f"expected alias, (alias, readonly) or (path, host_path, readonly), "
                       f"got {item!r}", path)
    return [SharedVolume(name_value(item, "volume alias", path))]


def get_shared_volumes(value: Any) -> list[SharedVolume | HostVolume]:
    """``binds`` input -> SharedVolume (alias of ``volumes``/``host``) and HostVolume
    (direct ``container_path: host_path``) tuples."""
    return _items(value, _bind_item, _bind_pair,
                  lambda v: _has_fields(v, HostVolume, ("path", "host_path"))
                  or _has_fields(v, SharedVolume, ("name",)))


# --- uses / attaches ---------------------------------------------------------------------

def _used_pair(key: Any, val: Any, path: tuple[str | int, ...]) -> SharedVolume | UsedVolume:
    """``name: flag`` -> SharedVolume; ``name: path | (path, flag)`` -> UsedVolume."""
    key = name_value(key, "container or volume name", path)
    if _is_flag(val):
        return SharedVolume(key, read_only(val, path))
    if isinstance(val, dict):
        if _has_fields(val, UsedVolume, ()):
            return _used_item(_from_fields(UsedVolume, {"name": key, **val}, path), path)[0]
        raise MapError(f"expected a container path or access flag, got {val!r}", path)
    if isinstance(val, _LIST_TYPES):
        if len(val) == 1:
            return _used_pair(key, val[0], path)
        if len(val) == 2:
            if not is_value(val[0]):
                raise MapError(f"expected (container_path, readonly), got {val!r}", path)
            return UsedVolume(key, val[0], read_only(val[1], path))
        raise MapError(f"expected (container_path, readonly), got {val!r}", path)
    if not is_value(val):
        raise MapError(f"expected a container path or access flag, got {val!r}", path)
    return UsedVolume(key, val, False)


def _used_item(item: Any, path: tuple[str | int, ...]) -> list[SharedVolume | UsedVolume]:
    if isinstance(item, UsedVolume):
        if item.path is None:
            return [SharedVolume(name_value(item.name, "volume name", path),
                                 read_only(item.readonly, path))]
        if not is_value(item.path):
            raise MapError(f"expected a container path, got {item.path!r}", path)
        return [UsedVolume(name_value(item.name, "volume name", path), item.path,
                           read_only(item.readonly, path))]
    if isinstance(item, SharedVolume):
        return [SharedVolume(name_value(item.name, "container or volume name", path),
                             read_only(item.readonly, path))]
    if isinstance(item, dict):
        if _has_fields(item, UsedVolume, ("name",)):
            return _used_item(_from_fields(UsedVolume, item, path), path)
        return [_used_pair(k, v, path) for k, v in item.items()]
    if isinstance(item, _LIST_TYPES):
        if len(item) == 1:
            return [_used_pair(item[0], None, path)]
        if len(item) == 2:
            return [_used_pair(item[0], item[1], path)]
        if len(item) == 3:
            return [_used_pair(item[0], (item[1], item[2]), path)]
        raise MapError(f"expected name, (name, readonly) or (name, path, readonly), "
                       f"got {item!r}", path)
    return [SharedVolume(name_value(item, "container or volume name", path))]


def get_used_volumes(value: Any) -> list[SharedVolume | UsedVolume]:
    """``uses`` input -> SharedVolume(name, readonly), or UsedVolume(name, path, readonly)
    where a container path is given (attached volumes only)."""
    return _items(value, _used_item, _used_pair,
                  lambda v: _has_fields(v, UsedVolume, ("name",)))


def _attached_pair(key: Any, val: Any, path: tuple[str | int, ...]) -> UsedVolume:
    key = name_value(key, "volume alias", path)
    if val is None:
        return UsedVolume(key)
    if isinstance(val, dict) and _has_fields(val, UsedVolume, ()):
        return _attached_item(_from_fields(UsedVolume, {"name": key, **val}, path), path)[0]
    if isinstance(val, _LIST_TYPES) and len(val) == 2:
        return _attached_item(UsedVolume(key, val[0], val[1]), path)[0]
    if not is_value(val):
        raise MapError(f"expected the volume's container path, got {val!r}", path)
    return UsedVolume(key, val)


def _attached_item(item: Any, path: tuple[str | int, ...]) -> list[UsedVolume]:
    if isinstance(item, (UsedVolume, SharedVolume)):
        vol_path = getattr(item, "path", None)
        if vol_path is not None and not is_value(vol_path):
            raise MapError(f"expected a container path, got {vol_path!r}", path)
        return [UsedVolume(name_value(item.name, "volume alias", path), vol_path,
                           read_only(item.readonly, path))]
    if isinstance(item, dict):
        if _has_fields(item, UsedVolume, ("name",)):
            return _attached_item(_from_fields(UsedVolume, item, path), path)
        return [_attached_pair(k, v, path) for k, v in item.items()]
    if isinstance(item, _LIST_TYPES):
        if 1 <= len(item) <= 3:
            return _attached_item(UsedVolume(*item), path)
        raise MapError(f"expected alias or (alias, path), got {item!r}", path)
    return [UsedVolume(name_value(item, "volume alias", path))]


def get_attached_volumes(value: Any) -> list[UsedVolume]:
    """``attaches`` input -> UsedVolume(alias, path or None for the path in ``volumes``)."""
    return _items(value, _attached_item, _attached_pair,
                  lambda v: _has_fields(v, UsedVolume, ("name",)))


# --- links -------------------------------------------------------------------------------

def _link_pair(key: Any, val: Any, path: tuple[str | int, ...]) -> ContainerLink:
    key = name_value(key, "container name", path)
    return ContainerLink(key, None if val is None else name_value(val, "link alias", path))


def _link_item(item: Any, path: tuple[str | int, ...]) -> list[ContainerLink]:
    if isinstance(item, dict):
        if _has_fields(item, ContainerLink, ("container",)):
            item = _from_fields(ContainerLink, item, path)
        else:
            return [_link_pair(k, v, path) for k, v in item.items()]
    if isinstance(item, _LIST_TYPES):
        if not 1 <= len(item) <= 2:
            raise MapError(f"expected container or (container, alias), got {item!r}", path)
        return [_link_pair(item[0], item[1] if len(item) > 1 else None, path)]
    return [_link_pair(item, None, path)]


def get_container_links(value: Any) -> list[ContainerLink]:
    """``links`` input -> ContainerLink(container, alias); alias None means the config name."""
    return _items(value, _link_item, _link_pair,
                  lambda v: _has_fields(v, ContainerLink, ("container",)))


# --- exposes -----------------------------------------------------------------------------

_PORT_RE = re.compile(r"\d{1,5}(-\d{1,5})?(/(tcp|udp|sctp))?")


def _port(value: Any, path: tuple[str | int, ...]) -> Any:
    """Exposed container port: int 1..65535 or '80', '80/udp', '8000-8010/tcp'. Not lazy."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise MapError(f"invalid exposed port {value!r}", path)
    text = str(value).strip()
    if not _PORT_RE.fullmatch(text) or not all(
            1 <= int(p) <= 65535 for p in re.split(r"[-/]", text) if p.isdigit()):
        raise MapError(f"invalid exposed port {value!r}", path)
    return value


def _host_port(value: Any, path: tuple[str | int, ...]) -> Any:
    """Host port: None, int, numeric string or a lazy value (resolved by the engine)."""
    if value is None or is_value(value) and not isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise MapError(f"invalid host port {value!r}", path)
    text = str(value).strip()
    if not re.fullmatch(r"\d{1,5}(-\d{1,5})?", text) or not all(
            0 <= int(p) <= 65535 for p in text.split("-")):
        raise MapError(f"invalid host port {value!r}", path)
    return value


def _binding(path: tuple[str | int, ...], exposed: Any, host: Any = None,
             interface: Any = None, ipv6: Any = False) -> PortBinding:
    if interface is not None:
        interface = name_value(interface, "interface alias", path)
    return PortBinding(_port(exposed, path), _host_port(host, path), interface,
                       get_bool(ipv6, path, "invalid ipv6 flag {!r} (true or false)"))


def _port_pair(key: Any, val: Any, path: tuple[str | int, ...]) -> PortBinding:
    """``exposed: host_port | (host_port, interface[, ipv6]) | {named fields}``."""
    if isinstance(val, dict):
        if not _has_fields(val, PortBinding, ()):
            raise MapError(f"expected host port or (host_port, interface, ipv6), got {val!r}",
                           path)
        binding = PortBinding(key, **{k: v for k, v in val.items() if k != "exposed_port"})
        return _binding(path, *binding)
    if isinstance(val, _LIST_TYPES):
        if not 1 <= len(val) <= 3:
            raise MapError(f"expected (host_port, interface, ipv6), got {val!r}", path)
        return _binding(path, key, *val)
    return _binding(path, key, val)


def _port_item(item: Any, path: tuple[str | int, ...]) -> list[PortBinding]:
    if isinstance(item, PortBinding):
        return [_binding(path, *item)]
    if isinstance(item, dict):
        if _has_fields(item, PortBinding, ("exposed_port",)):
            item = PortBinding(**item)
            return [_binding(path, *item)]
        return [_port_pair(k, v, path) for k, v in item.items()]
    if isinstance(item, _LIST_TYPES):
        if len(item) == 2 and isinstance(item[1], _LIST_TYPES):
            return [_port_pair(item[0], item[1], path)]
        if not 1 <= len(item) <= 4:
            raise MapError(f"expected (exposed_port, host_port, interface, ipv6), got {item!r}",
                           path)
        return [_binding(path, *item)]
    return [_binding(path, item)]


def get_port_bindings(value: Any) -> list[PortBinding]:
    """``exposes`` input -> PortBinding(exposed_port, host_port, interface, ipv6)."""
    return _items(value, _port_item, _port_pair,
                  lambda v: _has_fields(v, PortBinding, ("exposed_port",)))


# --- networks ----------------------------------------------------------------------------

_ENDPOINT_KEYS = {"ipv4": "ipv4_address", "ipv6": "ipv6_address",
                  "link_local": "link_local_ips", "alias": "aliases", "link": "links",
                  "name": "network_name", "network": "network_name"}


def _endpoint(name: Any, path: tuple[str | int, ...], *args: Any, **kwargs: Any
              ) -> NetworkEndpoint:
    name = name_value(name, "network name", path)
    if len(args) > 5:
        raise MapError(f"too many endpoint settings for network {name!r}", path)
    fields = dict(zip(NetworkEndpoint._fields[1:], args))
    for key, val in kwargs.items():
        field = _ENDPOINT_KEYS.get(key, key)
        if field not in NetworkEndpoint._fields[1:]:
            raise MapError(f"unknown endpoint setting {key!r} for network {name!r} "
                           f"(settings: aliases, links, ipv4, ipv6, link_local_ips)", path)
        fields[field] = val
    aliases = fields.get("aliases")
    links = fields.get("links")
    ips = fields.get("link_local_ips")
    for key in ("ipv4_address", "ipv6_address"):
        if fields.get(key) is not None and not is_value(fields[key]):
            raise MapError(f"invalid {key} {fields[key]!r} for network {name!r}", path)
    try:
        return NetworkEndpoint(
            name,
            None if aliases is None else get_str_list(aliases, "network alias", allow_lazy=True),
            None if links is None else get_container_links(links),
            fields.get("ipv4_address"), fields.get("ipv6_address"),
            None if ips is None else get_str_list(ips, "link-local IP", allow_lazy=True))
    except MapError as exc:
        raise exc.at(*path) from None


def _network_pair(key: Any, val: Any, path: tuple[str | int, ...]) -> NetworkEndpoint:
    """``network: None | {settings} | (aliases, links, ipv4, ...) | alias``."""
    if val is None:
        return _endpoint(key, path)
    if isinstance(val, dict):
        return _endpoint(key, path, **val)
    if isinstance(val, _LIST_TYPES):
        return _endpoint(key, path, *val)
    return _endpoint(key, path, val)


def _network_item(item: Any, path: tuple[str | int, ...]) -> list[NetworkEndpoint]:
    if isinstance(item, NetworkEndpoint):
        return [_endpoint(item.network_name, path, *item[1:])]
    if isinstance(item, dict):
        if "network_name" in item or "name" in item and not isinstance(item["name"], dict):
            kwargs = dict(item)
            name = kwargs.pop("network_name", None) or kwargs.pop("name", None)
            return [_endpoint(name, path, **kwargs)]
        return [_network_pair(k, v, path) for k, v in item.items()]
    if isinstance(item, _LIST_TYPES):
        if not item:
            raise MapError("empty network endpoint", path)
        if len(item) == 2 and (item[1] is None or isinstance(item[1], dict)):
            return [_network_pair(item[0], item[1], path)]  # (network, {endpoint options})
        return [_endpoint(item[0], path, *item[1:])]
    return [_endpoint(item, path)]


def get_network_endpoints(value: Any) -> list[NetworkEndpoint]:
    """``networks`` input -> NetworkEndpoint tuples; ``{'net': {'ipv4': ...}}`` shorthand keys
    ``ipv4``/``ipv6``/``link_local`` accepted; single values become lists. A
    ``(network, {endpoint options})`` pair (Docker-Map's form) is one endpoint, also alone."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], dict):
        value = [value]
    return _items(value, _network_item, _network_pair,
                  lambda v: "network_name" in v)


# --- exec_commands -----------------------------------------------------------------------

def exec_policy(value: Any, path: tuple[str | int, ...] = ()) -> ExecPolicy:
    """ExecPolicy, or its value/name as a string ('restart', 'INITIAL')."""
    if value is None:
        return ExecPolicy.RESTART
    if isinstance(value, ExecPolicy):
        return value
    if isinstance(value, str):
        for policy in ExecPolicy:
            if value.strip().lower() in (policy.value, policy.name.lower()):
                return policy
    raise MapError(f"invalid exec policy {value!r} (use 'restart' or 'initial'); a command "
                   f"given as a list must be nested: [['/bin/sh', '-c', '...'], 'user']", path)


def _command(value: Any, path: tuple[str | int, ...]) -> Any:
    if isinstance(value, _LIST_TYPES):
        if not value:
            raise MapError("empty command", path)
        return [str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
                for v in value]
    if not is_value(value) or value == "":
        raise MapError(f"expected a command line or list, got {value!r}", path)
    return value


def _exec_item(item: Any, path: tuple[str | int, ...]) -> list[ExecCommand]:
    if isinstance(item, dict):
        if not _has_fields(item, ExecCommand, ("cmd",)):
            raise MapError(f"expected cmd, user and policy, got {item!r}", path)
        item = _from_fields(ExecCommand, item, path)
    if isinstance(item, _LIST_TYPES):
        if not 1 <= len(item) <= 3:
            raise MapError(f"expected command, (command, user) or (command, user, policy), "
                           f"got {item!r}", path)
        cmd, user, policy = (tuple(item) + (None, None))[:3]
        policy = exec_policy(policy, path)  # first: a flat command list fails here
        return [ExecCommand(_command(cmd, path), get_user(user, path), policy)]
    return [ExecCommand(_command(item, path))]


def get_exec_commands(value: Any) -> list[ExecCommand]:
    """``exec_commands`` input -> ExecCommand(cmd, user, policy).

    A list is a list of commands. Only if that reading fails, a list whose first item is a
    command list is read as one ``(cmd, user[, policy])`` entry: this is how the YAML block
    notation of spec 3.9.1 (``- [/bin/bash, -c, script.sh]`` then ``- root``) arrives.
    """
    try:
        return _items(value, _exec_item, lambda k, v, p: _exec_item((k, v), p)[0],
                      lambda v: _has_fields(v, ExecCommand, ("cmd",)))
    except MapError:
        if (isinstance(value, _LIST_TYPES) and 2 <= len(value) <= 3
                and isinstance(value[0], _LIST_TYPES) and value[0]
                and all(isinstance(v, str) for v in value[0])):
            try:
                return _exec_item(tuple(value), ())
            except MapError:
                pass
        raise


# --- healthcheck -------------------------------------------------------------------------

_DURATION_RE = re.compile(r"(?:(\d+(?:\.\d+)?)(h|ms|m|s|us|ns))+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


def parse_duration(value: Any, path: tuple[str | int, ...] = ()) -> float | None:
    """Seconds from a number or a Docker duration string ('30s', '1m30s', '500ms')."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    if isinstance(value, str) and _DURATION_RE.fullmatch(value.strip()):
        return sum(float(n) * _UNITS[u] for n, u in _DURATION_PART.findall(value))
    raise MapError(f"invalid duration {value!r} (seconds, or a string like '30s' or '1m30s')",
                   path)


def get_healthcheck(value: Any) -> HealthCheck | None:
    """``healthcheck`` input -> HealthCheck or None. A dict uses the field names; a string or
    a list of strings is the test (``['CMD', ...]``); other sequences are positional."""
    if value is None:
        return None
    if isinstance(value, dict):
        value = _from_fields(HealthCheck, value, ())
    elif isinstance(value, str) or (isinstance(value, list) and all(
            isinstance(v, str) for v in value)):
        value = HealthCheck(value)
    elif isinstance(value, tuple) and not isinstance(value, HealthCheck):
        if not 1 <= len(value) <= 5:
            raise MapError(f"expected (test, interval, timeout, retries, start_period), "
                           f"got {value!r}")
        value = HealthCheck(*value)
    if not isinstance(value, HealthCheck):
        raise MapError(f"invalid healthcheck {value!r}")
    test = value.test
    if isinstance(test, _LIST_TYPES):
        if not test or not all(isinstance(t, str) for t in test):
            raise MapError(f"invalid healthcheck test {test!r}", ("test",))
        test = list(test)
    elif not is_value(test):
        raise MapError(f"invalid healthcheck test {test!r}", ("test",))
    for name in ("interval", "timeout", "start_period"):
        parse_duration(getattr(value, name), (name,))
    retries = value.retries
    if retries is not None and (isinstance(retries, bool) or not isinstance(retries, int)
                                or retries < 0):
        raise MapError(f"invalid retries {retries!r} (a whole number)", ("retries",))
    return value._replace(test=test)


# --- user and permissions ----------------------------------------------------------------

_USER_PART = r"[A-Za-z0-9_][A-Za-z0-9_.-]*\$?"
_USER_RE = re.compile(rf"{_USER_PART}(:{_USER_PART})?")


def get_user(value: Any, path: tuple[str | int, ...] = ()) -> Any:
    """User for ``user``/chown: uid (int >= 0), 'name', 'uid:gid', 'name:group', or lazy;
    None means unset. Returned as given (validated)."""
    if value is None or (is_value(value) and not isinstance(value, str)):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise MapError(f"invalid user id {value!r}", path)
        return value
    if isinstance(value, str) and _USER_RE.fullmatch(value):
        return value
    raise MapError(f"invalid user {value!r} (a name or id, optionally ':group')", path)


_SYMBOLIC_RE = re.compile(r"[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+")
_OCTAL_RE = re.compile(r"0?[0-7]{3,4}|0o[0-7]{1,4}")


def get_permissions(value: Any, path: tuple[str | int, ...] = ()) -> Any:
    """chmod mode: symbolic ('u=rwX,g=rX,o=') or octal ('0750', '750'); an int is the mode
    value itself (0o750, YAML ``0750``) and is returned as an octal string. Lazy kept."""
    if value is None or (is_value(value) and not isinstance(value, str)):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= 0o7777:
            raise MapError(f"invalid permission mode {value!r}", path)
        return format(value, "04o")
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        if _OCTAL_RE.fullmatch(text):
            return text.replace("0o", "0")
        if all(_SYMBOLIC_RE.fullmatch(part) for part in text.split(",")):
            return text
    raise MapError(f"invalid permissions {value!r} (chmod symbolic like 'u=rwX,g=rX,o=' "
                   f"or octal like '0750')", path)
