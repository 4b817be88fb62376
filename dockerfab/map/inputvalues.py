"""Converters of single input values shared by every kind: flags, lists, names, and named
tuples from dicts of their fields.

Converters turn any input form of spec 3.7 "Input formats" into the tuples of
:mod:`dockerfab.map.inputtypes`. Each raises MapError whose ``path`` is relative to the
property (``(1,)`` for item 1); the configuration prefixes the property name and the map
the configuration name.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from dockerfab.errors import MapError
from dockerfab.functional import is_lazy

_TRUE_WORDS = frozenset({"ro", "true", "yes", "on", "1", "y"})
_FALSE_WORDS = frozenset({"rw", "false", "no", "off", "0", "n", ""})
SCALAR_TYPES = (str, bytes, int, float, bool)
LIST_TYPES = (list, tuple)


def is_named_tuple(value: Any) -> bool:
    """True for a named tuple (given as it is, not in an input form)."""
    return isinstance(value, tuple) and hasattr(value, "_fields")


def is_value(value: Any) -> bool:
    """A single value usable as a path, name or command: a string, or a lazy/registered value
    (anything that is not a container, number, bool or None)."""
    if isinstance(value, str) or is_lazy(value):  # a registered type may be a tuple
        return True
    return value is not None and not isinstance(value, (list, tuple, dict, set, frozenset,
                                                        int, float, bool, bytes))


def is_flag(value: Any) -> bool:
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
    if isinstance(value, tuple) and not is_named_tuple(value):
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


def from_fields(cls: type, value: Mapping[str, Any], path: tuple[str | int, ...]) -> Any:
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


def has_fields(value: Any, cls: type, required: Iterable[str]) -> bool:
    """True if dict ``value`` names fields of ``cls`` (all keys fields, required ones present)."""
    fields = cls._fields  # type: ignore[attr-defined]
    return (isinstance(value, dict) and bool(value) and all(isinstance(k, str) and k in fields
                                                            for k in value)
            and all(r in value for r in required))


def convert_items(value: Any, convert_item: Callable[[Any, tuple[str | int, ...]], list[Any]],
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
