"""Small parsers of Compose values (pure): mappings given as lists, durations, restart
policies, port specifications, and the order services start in."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dockerfab.errors import MapError


def start_order(services: Mapping[str, Any]) -> list[str]:
    """Services in an order Compose could start them (dependencies first; file order
    otherwise): depends_on, links, volumes_from and network_mode service:."""
    deps: dict[str, set[str]] = {}
    for name, spec in services.items():
        spec = spec or {}
        wanted = set(spec.get("depends_on") or ())
        wanted |= {str(link).partition(":")[0] for link in spec.get("links") or ()}
        wanted |= {str(v).partition(":")[0] for v in spec.get("volumes_from") or ()}
        mode = str(spec.get("network_mode") or "")
        if mode.startswith("service:"):
            wanted.add(mode[8:])
        deps[name] = {d for d in wanted if d in services and d != name}
    order: list[str] = []
    while len(order) < len(deps):
        ready = [n for n in deps if n not in order and deps[n] <= set(order)]
        if not ready:  # a cycle: the map's own check reports it
            ready = [n for n in deps if n not in order][:1]
        order.append(ready[0])
    return order


IPAM_KEYS = {"subnet": "Subnet", "ip_range": "IPRange", "gateway": "Gateway",
              "aux_addresses": "AuxiliaryAddresses"}


def key_values(value: Any, where: str, what: str) -> dict[str, Any]:
    """A Compose mapping given as a dict or as a list of ``KEY=value`` / ``KEY``."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        result: dict[str, Any] = {}
        for item in value:
            key, sep, val = str(item).partition("=")
            result[key] = val if sep else None
        return result
    raise MapError(f"{where}: {what} must be a mapping or a list, not {value!r}")


def env_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def seconds(value: Any, where: str) -> float | int:
    from dockerfab.map.input import parse_duration

    try:
        seconds = parse_duration(value)
    except MapError as exc:
        raise MapError(f"{where}: {exc.message}") from None
    assert seconds is not None
    return int(seconds) if float(seconds).is_integer() else seconds


def restart_policy(value: Any, where: str, warn: Callable[[str], None]
                    ) -> dict[str, Any] | None:
    if value is None or str(value) in ("no", "False", "false"):
        return None
    name, _, count = str(value).partition(":")
    if name not in ("always", "unless-stopped", "on-failure"):
        warn(f"{where}: restart {value!r} is not a restart policy; left out")
        return None
    policy: dict[str, Any] = {"Name": name}
    if name == "on-failure" and count:
        policy["MaximumRetryCount"] = int(count)
    return policy


def port_spec(text: str) -> Any:
    """``'80'`` -> 80, ``'53/udp'`` stays a string."""
    return int(text) if text.isdigit() else text


def port_entries(item: Any, where: str) -> list[tuple[Any, int | None, str | None]]:
    """(target, published, host_ip) for each port of a ``ports`` item."""
    if isinstance(item, Mapping):
        proto = str(item.get("protocol", "tcp"))
        target = str(item["target"]) + ("" if proto == "tcp" else f"/{proto}")
        published = item.get("published")
        return [(port_spec(target), None if published in (None, "") else int(published),
                 item.get("host_ip"))]
    text = str(item)
    text, _, proto = text.partition("/")
    host_ip = None
    if text.startswith("["):  # [::1]:8080:80
        end = text.index("]")
        host_ip, text = text[1:end], text[end + 2:]
    parts = text.rsplit(":", 2) if text.count(":") >= 2 else text.split(":")
    if len(parts) == 3:
        host_ip, published_text, target_text = parts
    elif len(parts) == 2:
        published_text, target_text = parts
    else:
        published_text, target_text = "", parts[0]
    targets = port_range(target_text, where)
    published = port_range(published_text, where) if published_text else [None] * len(targets)
    if len(published) != len(targets):
        raise MapError(f"{where}: port range {item!r}: host and container ranges differ in "
                       f"length")
    suffix = "" if proto in ("", "tcp") else f"/{proto}"
    return [(port_spec(f"{t}{suffix}"), p, host_ip) for t, p in zip(targets, published)]


def port_range(text: str, where: str) -> list[Any]:
    first, sep, last = text.partition("-")
    try:
        if sep:
            return list(range(int(first), int(last) + 1))
        return [int(text)]
    except ValueError:
        raise MapError(f"{where}: invalid port {text!r}") from None
