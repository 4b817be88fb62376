"""Converters of ``links``, ``exposes`` and ``networks`` input.
"""
from __future__ import annotations

import re
from typing import Any

from dockerfab.errors import MapError
from dockerfab.map.inputtypes import (
    ContainerLink,
    NetworkEndpoint,
    PortBinding,
)
from dockerfab.map.inputvalues import (
    LIST_TYPES,
    convert_items,
    from_fields,
    get_bool,
    get_str_list,
    has_fields,
    is_value,
    name_value,
)

# --- links -------------------------------------------------------------------------------

def _link_pair(key: Any, val: Any, path: tuple[str | int, ...]) -> ContainerLink:
    key = name_value(key, "container name", path)
    return ContainerLink(key, None if val is None else name_value(val, "link alias", path))


def _link_item(item: Any, path: tuple[str | int, ...]) -> list[ContainerLink]:
    if isinstance(item, dict):
        if has_fields(item, ContainerLink, ("container",)):
            item = from_fields(ContainerLink, item, path)
        else:
            return [_link_pair(k, v, path) for k, v in item.items()]
    if isinstance(item, LIST_TYPES):
        if not 1 <= len(item) <= 2:
            raise MapError(f"expected container or (container, alias), got {item!r}", path)
        return [_link_pair(item[0], item[1] if len(item) > 1 else None, path)]
    return [_link_pair(item, None, path)]


def get_container_links(value: Any) -> list[ContainerLink]:
    """``links`` input -> ContainerLink(container, alias); alias None means the config name."""
    return convert_items(value, _link_item, _link_pair,
                  lambda v: has_fields(v, ContainerLink, ("container",)))


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
        if not has_fields(val, PortBinding, ()):
            raise MapError(f"expected host port or (host_port, interface, ipv6), got {val!r}",
                           path)
        binding = PortBinding(key, **{k: v for k, v in val.items() if k != "exposed_port"})
        return _binding(path, *binding)
    if isinstance(val, LIST_TYPES):
        if not 1 <= len(val) <= 3:
            raise MapError(f"expected (host_port, interface, ipv6), got {val!r}", path)
        return _binding(path, key, *val)
    return _binding(path, key, val)


def _port_item(item: Any, path: tuple[str | int, ...]) -> list[PortBinding]:
    if isinstance(item, PortBinding):
        return [_binding(path, *item)]
    if isinstance(item, dict):
        if has_fields(item, PortBinding, ("exposed_port",)):
            item = PortBinding(**item)
            return [_binding(path, *item)]
        return [_port_pair(k, v, path) for k, v in item.items()]
    if isinstance(item, LIST_TYPES):
        if len(item) == 2 and isinstance(item[1], LIST_TYPES):
            return [_port_pair(item[0], item[1], path)]
        if not 1 <= len(item) <= 4:
            raise MapError(f"expected (exposed_port, host_port, interface, ipv6), got {item!r}",
                           path)
        return [_binding(path, *item)]
    return [_binding(path, item)]


def get_port_bindings(value: Any) -> list[PortBinding]:
    """``exposes`` input -> PortBinding(exposed_port, host_port, interface, ipv6)."""
    return convert_items(value, _port_item, _port_pair,
                  lambda v: has_fields(v, PortBinding, ("exposed_port",)))


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
    if isinstance(val, LIST_TYPES):
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
    if isinstance(item, LIST_TYPES):
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
    return convert_items(value, _network_item, _network_pair,
                  lambda v: "network_name" in v)
