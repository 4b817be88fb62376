"""Name -> configuration collections of a map (``containers``, ``volumes``, ``networks``,
``groups``) with attribute and item access (spec 3.7, "Structure").

Iterating a collection yields ``(name, configuration)`` pairs, like ``items()`` (spec 3.11.15);
use ``keys()`` for the names. Reading a missing name creates an empty entry (spec 3.7: "created
upon their first access"); :meth:`ConfigurationDict.get_existing` does not.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from dockerfab.errors import MapError
from dockerfab.map import input as inp
from dockerfab.map.config.base import ConfigurationObject
from dockerfab.map.config.container import NAME_RE

C = TypeVar("C")


def check_name(name: Any, what: str, path: tuple[str | int, ...] = ()) -> str:
    """A configuration/alias/network/group name: letters, digits, ``_`` and ``-`` (no dots,
    which join map, configuration and instance names)."""
    if isinstance(name, int) and not isinstance(name, bool):
        name = str(name)
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise MapError(f"invalid {what} name {name!r} (letters, digits, '_' and '-'; "
                       f"starting with a letter or digit)", path)
    return name


class ConfigurationDict(Generic[C]):
    """Configurations by name. ``factory(value)`` turns input (dict, string, None) into a
    configuration object; objects of ``cls`` are stored as they are (not copied)."""

    _cls: type
    _what: str
    _factory: Callable[[Any], C]
    _autocreate: bool
    _items: dict[str, C]

    def __init__(self, cls: type, what: str, factory: Callable[[Any], C] | None = None,
                 autocreate: bool = True) -> None:
        object.__setattr__(self, "_cls", cls)
        object.__setattr__(self, "_what", what)
        object.__setattr__(self, "_factory", factory or cls)
        object.__setattr__(self, "_autocreate", autocreate)
        object.__setattr__(self, "_items", {})

    def _convert(self, value: Any) -> C:
        if isinstance(value, self._cls):
            return value  # type: ignore[return-value]
        return self._factory(value)

    def __getitem__(self, name: str) -> C:
        try:
            return self._items[name]
        except KeyError:
            if not self._autocreate:
                raise
        name = check_name(name, self._what)
        item = self._items[name] = self._factory(None)
        return item

    def __setitem__(self, name: str, value: Any) -> None:
        name = check_name(name, self._what)
        self._items[name] = self._convert(value)

    def __delitem__(self, name: str) -> None:
        del self._items[name]

    def __getattr__(self, name: str) -> C:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except (KeyError, MapError) as exc:
            raise AttributeError(str(exc)) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        del self[name]

    def get_existing(self, name: str) -> C | None:
        """The configuration if it is defined, else None (nothing is created)."""
        return self._items.get(name)

    def get(self, name: str, default: Any = None) -> Any:
        return self._items.get(name, default)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[tuple[str, C]]:
        return iter(list(self._items.items()))

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def keys(self) -> list[str]:
        return list(self._items)

    def values(self) -> list[C]:
        return list(self._items.values())

    def items(self) -> list[tuple[str, C]]:
        return list(self._items.items())

    def clear(self) -> None:
        self._items.clear()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ConfigurationDict):
            return NotImplemented
        return self._items == other._items

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{{{', '.join(f'{k!r}: {v!r}' for k, v in self._items.items())}}}"


class GroupDict(ConfigurationDict[list[Any]]):
    """Group name -> configuration names. ``__all__`` is built in: every deployable
    configuration of the map (``all_names`` supplies them)."""

    ALL = "__all__"

    def __init__(self, all_names: Callable[[], list[str]]) -> None:
        super().__init__(list, "group", self._as_list, autocreate=False)
        object.__setattr__(self, "_all_names", all_names)

    _all_names: Callable[[], list[str]]

    @staticmethod
    def _as_list(value: Any) -> list[Any]:
        return inp.get_list(value)

    def _convert(self, value: Any) -> list[Any]:
        return inp.get_list(value)

    def __getitem__(self, name: str) -> list[Any]:
        if name == self.ALL and name not in self._items:
            return self._all_names()
        return super().__getitem__(name)

    def __contains__(self, name: object) -> bool:
        return name == self.ALL or name in self._items

    def clean(self) -> None:
        for name, members in self._items.items():
            try:
                self._items[name] = inp.get_str_list(members, "configuration name")
            except MapError as exc:
                raise exc.at("groups", name) from None


def _make(cls: type[ConfigurationObject], value: Any) -> Any:
    return cls() if value is None else cls(value)


def configuration_factory(cls: type[ConfigurationObject]) -> Callable[[Any], Any]:
    """Factory for ConfigurationDict: None -> empty object, dict/str -> ``cls(value)``
    (a partial, so maps can be pickled)."""
    return functools.partial(_make, cls)
