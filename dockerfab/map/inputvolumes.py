"""Converters of ``binds``, ``uses`` and ``attaches`` input to volume tuples.
"""
from __future__ import annotations

from typing import Any, cast

from dockerfab.errors import MapError
from dockerfab.map.inputtypes import (
    HostVolume,
    SharedVolume,
    UsedVolume,
)
from dockerfab.map.inputvalues import (
    LIST_TYPES,
    convert_items,
    from_fields,
    has_fields,
    is_flag,
    is_value,
    name_value,
    read_only,
)

# --- binds -------------------------------------------------------------------------------

def _bind_pair(key: Any, val: Any, path: tuple[str | int, ...]) -> SharedVolume | HostVolume:
    """``alias: flag`` -> SharedVolume; ``container_path: host_path | (host_path, flag) |
    {instance: host_path}`` -> HostVolume."""
    key = name_value(key, "volume alias or container path", path)
    if is_flag(val):
        if key.startswith("/"):
            raise MapError(f"container path {key!r} needs a host path, e.g. "
                           f"{{{key!r}: ['host/path', 'ro']}}", path)
        return SharedVolume(key, read_only(val, path))
    if isinstance(val, dict):
        if has_fields(val, HostVolume, ("host_path",)):
            return cast(HostVolume, from_fields(HostVolume, {"path": key, **val}, path))
        if has_fields(val, SharedVolume, ()):
            return cast(SharedVolume, from_fields(SharedVolume, {"name": key, **val}, path))
        return HostVolume(key, _instance_paths(val, path), False)
    if isinstance(val, LIST_TYPES):
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
        if has_fields(item, HostVolume, ("path", "host_path")):
            return _bind_item(from_fields(HostVolume, item, path), path)
        if has_fields(item, SharedVolume, ("name",)):
            return _bind_item(from_fields(SharedVolume, item, path), path)
        return [_bind_pair(k, v, path) for k, v in item.items()]
    if isinstance(item, LIST_TYPES):
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
    return convert_items(value, _bind_item, _bind_pair,
                  lambda v: has_fields(v, HostVolume, ("path", "host_path"))
                  or has_fields(v, SharedVolume, ("name",)))


# --- uses / attaches ---------------------------------------------------------------------

def _used_pair(key: Any, val: Any, path: tuple[str | int, ...]) -> SharedVolume | UsedVolume:
    """``name: flag`` -> SharedVolume; ``name: path | (path, flag)`` -> UsedVolume."""
    key = name_value(key, "container or volume name", path)
    if is_flag(val):
        return SharedVolume(key, read_only(val, path))
    if isinstance(val, dict):
        if has_fields(val, UsedVolume, ()):
            return _used_item(from_fields(UsedVolume, {"name": key, **val}, path), path)[0]
        raise MapError(f"expected a container path or access flag, got {val!r}", path)
    if isinstance(val, LIST_TYPES):
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
        if has_fields(item, UsedVolume, ("name",)):
            return _used_item(from_fields(UsedVolume, item, path), path)
        return [_used_pair(k, v, path) for k, v in item.items()]
    if isinstance(item, LIST_TYPES):
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
    return convert_items(value, _used_item, _used_pair,
                  lambda v: has_fields(v, UsedVolume, ("name",)))


def _attached_pair(key: Any, val: Any, path: tuple[str | int, ...]) -> UsedVolume:
    key = name_value(key, "volume alias", path)
    if val is None:
        return UsedVolume(key)
    if isinstance(val, dict) and has_fields(val, UsedVolume, ()):
        return _attached_item(from_fields(UsedVolume, {"name": key, **val}, path), path)[0]
    if isinstance(val, LIST_TYPES) and len(val) == 2:
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
        if has_fields(item, UsedVolume, ("name",)):
            return _attached_item(from_fields(UsedVolume, item, path), path)
        return [_attached_pair(k, v, path) for k, v in item.items()]
    if isinstance(item, LIST_TYPES):
        if 1 <= len(item) <= 3:
            return _attached_item(UsedVolume(*item), path)
        raise MapError(f"expected alias or (alias, path), got {item!r}", path)
    return [UsedVolume(name_value(item, "volume alias", path))]


def get_attached_volumes(value: Any) -> list[UsedVolume]:
    """``attaches`` input -> UsedVolume(alias, path or None for the path in ``volumes``)."""
    return convert_items(value, _attached_item, _attached_pair,
                  lambda v: has_fields(v, UsedVolume, ("name",)))
