"""``HostVolumeConfiguration``: host-side paths of volume aliases (spec 3.7, "Host").

A path is a string (or lazy value) or a dict ``{instance: path}``; relative paths are taken
relative to ``root``. Lazy values are resolved only by :meth:`get_path`/:meth:`expand_path`,
at the point of use (spec 3.10.3).
"""
from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from typing import Any

from dockerfab.errors import MapError
from dockerfab.functional import resolve_value
from dockerfab.map import input as inp
from dockerfab.map.config.base import copy_value


class HostVolumeConfiguration:
    """Alias -> host path; attribute and dict access (``host.volume1 = '/var/log/app'``)."""

    def __init__(self, values: Mapping[str, Any] | None = None, root: Any = None,
                 **kwargs: Any) -> None:
        object.__setattr__(self, "_paths", {})
        object.__setattr__(self, "root", root)
        if values is not None:
            self.update(values)
        if kwargs:
            self.update(kwargs)

    # --- access ------------------------------------------------------------------------

    def __setattr__(self, key: str, value: Any) -> None:
        if key.startswith("_") or key == "root":
            object.__setattr__(self, key, value)
        else:
            self[key] = value

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self._paths[key]
        except KeyError:
            raise AttributeError(f"no host path for volume alias {key!r}") from None

    def __getitem__(self, key: str) -> Any:
        return self.root if key == "root" else self._paths[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if key == "root":
            object.__setattr__(self, "root", value)
        else:
            self._paths[inp.name_value(key, "volume alias", ())] = value

    def __delitem__(self, key: str) -> None:
        del self._paths[key]

    def __contains__(self, key: object) -> bool:
        return key in self._paths

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        """(alias, path) pairs, like the other collections of a map (spec 3.11.15)."""
        return iter(list(self._paths.items()))

    def __len__(self) -> int:
        return len(self._paths)

    def keys(self) -> list[str]:
        return list(self._paths)

    def items(self) -> list[tuple[str, Any]]:
        return list(self._paths.items())

    def get(self, key: str, default: Any = None) -> Any:
        return self._paths.get(key, default)

    def update(self, values: Mapping[str, Any] | HostVolumeConfiguration,
               path: tuple[str | int, ...] = ()) -> None:
        """Set aliases from a dict (a ``root`` key sets the root) or another object."""
        if isinstance(values, HostVolumeConfiguration):
            if values.root is not None:
                object.__setattr__(self, "root", values.root)
            values = dict(values._paths)
        if not isinstance(values, Mapping):
            raise MapError(f"expected a dictionary of host paths, got {values!r}", path)
        for key, value in values.items():
            try:
                self[key] = copy_value(value)
            except MapError as exc:
                raise exc.at(*path) from None

    # --- conversion --------------------------------------------------------------------

    def clean(self) -> None:
        """Validate every path (string, lazy value or ``{instance: path}``)."""
        if self.root is not None and not inp.is_value(self.root):
            raise MapError(f"expected a path for the host root, got {self.root!r}", ("root",))
        for alias, value in list(self._paths.items()):
            try:
                self._paths[alias] = inp.host_path_value(value, ())
            except MapError as exc:
                raise exc.at(alias) from None

    def as_dict(self) -> dict[str, Any]:
        self.clean()
        result: dict[str, Any] = {} if self.root is None else {"root": self.root}
        result.update(copy_value(self._paths))
        return result

    def copy(self) -> HostVolumeConfiguration:
        return HostVolumeConfiguration(copy_value(self._paths), root=self.root)

    def merge_from_obj(self, other: HostVolumeConfiguration) -> None:
        """Take over the other's aliases (per alias; instance dicts merged) and root if set."""
        other.clean()
        if other.root is not None:
            object.__setattr__(self, "root", other.root)
        for alias, value in other._paths.items():
            current = self._paths.get(alias)
            if isinstance(current, dict) and isinstance(value, dict):
                self._paths[alias] = {**current, **value}
            else:
                self._paths[alias] = copy_value(value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HostVolumeConfiguration):
            return NotImplemented
        return bool(self.root == other.root and self._paths == other._paths)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"HostVolumeConfiguration({self._paths!r}, root={self.root!r})"

    # --- paths at the point of use ------------------------------------------------------

    def expand_path(self, value: Any, instance: str | None = None) -> str:
        """Host path for a path value (string, lazy, or ``{instance: path}``): the instance's
        entry picked, lazy values resolved, relative paths joined to ``root``."""
        if isinstance(value, dict):
            if instance in value:
                value = value[instance]
            elif None in value:
                value = value[None]
            else:
                raise MapError(f"no host path for instance {instance!r} "
                               f"(defined for: {', '.join(map(str, value))})")
        path = resolve_value(value)
        if not isinstance(path, str) or not path:
            raise MapError(f"host path resolved to {path!r}, expected a path")
        if not path.startswith("/"):
            root = resolve_value(self.root)
            if root:
                path = posixpath.join(str(root), path)
        return str(inp.check_host_path(path))

    def get_path(self, alias: str, instance: str | None = None) -> str | None:
        """Host path of ``alias`` for ``instance`` (root applied, lazy resolved); None if the
        alias has no host path."""
        if alias not in self._paths:
            return None
        try:
            return self.expand_path(self._paths[alias], instance)
        except MapError as exc:
            raise exc.at("host", alias) from None
