"""Read-only access to the map model for the planner.

The planner reads only merged configurations (``ContainerMap.get_extended_map()``) and only
the attributes documented in docs/architecture.rst; everything goes through these few
helpers so the planner does not depend on how the model stores things.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from dockerfab.functional import resolve_value

DEFAULT_CLIENT = "__default__"


def mget(obj: Any, key: str, default: Any = None) -> Any:
    """``obj[key]`` for mappings, ``obj.key`` otherwise; ``default`` when absent or None."""
    if obj is None:
        return default
    value: Any = None
    if isinstance(obj, dict):
        value = obj.get(key)
    else:
        getter = getattr(obj, "get", None)
        if callable(getter) and not hasattr(type(obj), key):
            try:
                value = getter(key)
            except (KeyError, TypeError, ValueError):
                value = None
        if value is None:
            value = getattr(obj, key, None)
    return default if value is None else value


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return [value]


def containers(container_map: Any) -> dict[str, Any]:
    """Defined container configurations of a (merged) map, by name."""
    items = getattr(container_map, "containers", None)
    if items is None:
        return {}
    if hasattr(items, "items"):
        return dict(items.items())
    return dict(items)


def is_abstract(config: Any) -> bool:
    return bool(mget(config, "abstract", False))


def instances(config: Any) -> list[str | None]:
    names = as_list(mget(config, "instances"))
    return list(names) if names else [None]


def groups(container_map: Any) -> dict[str, list[str]]:
    raw = getattr(container_map, "groups", None) or {}
    items = raw.items() if hasattr(raw, "items") else []
    return {k: as_list(v) for k, v in items}


def volume_config(container_map: Any, alias: str) -> Any:
    return mget(getattr(container_map, "volumes", None), alias)


def volume_path(container_map: Any, alias: str) -> str | None:
    """Container-side path of a volume alias (string, lazy, or ``default_path``)."""
    conf = volume_config(container_map, alias)
    if conf is None:
        return None
    if isinstance(conf, str) or not hasattr(conf, "__dict__") and not isinstance(conf, dict):
        return cast("str | None", resolve_value(conf))
    return cast("str | None", resolve_value(mget(conf, "default_path")))


def host_root(container_map: Any) -> str | None:
    host = getattr(container_map, "host", None)
    root = mget(host, "root")
    return resolve_value(root) if root is not None else None


def host_path(container_map: Any, alias: str, instance: str | None) -> str | None:
    """Host-side path of a ``host`` alias for one instance, with ``root`` prefixed."""
    raw = mget(getattr(container_map, "host", None), alias)
    raw = resolve_value(raw)
    if isinstance(raw, dict):
        raw = raw.get(instance) if instance in raw else raw.get(None, raw.get("default"))
    return join_root(host_root(container_map), resolve_value(raw))


def join_root(root: str | None, path: Any) -> str | None:
    if path is None:
        return None
    text = str(path)
    if root and not text.startswith("/"):
        return root.rstrip("/") + "/" + text
    return text


def map_clients(container_map: Any, config: Any) -> list[str]:
    """Clients of a configuration: its own, else the map's, else the default client."""
    names = as_list(mget(config, "clients")) or as_list(getattr(container_map, "clients", None))
    return [str(n) for n in names] or [DEFAULT_CLIENT]


def names_in(values: Iterable[Any]) -> list[str]:
    return [str(v) for v in values]
