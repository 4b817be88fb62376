"""Shared machinery of the configuration objects: properties declared once, with default,
converter and merge rule; attribute and dict-style access; deferred conversion (``clean()``,
spec 3.11.1); copying, merging and updating.

A property is *set* when it was assigned (also to its default) or differs from its default.
``as_dict()`` returns the set properties, and merges take only the set properties of the
other side, so an extension overrides exactly what it states.
"""
from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar, TypeVar

from dockerfab.errors import MapError

T = TypeVar("T", bound="ConfigurationObject")


class Merge(str, Enum):
    """How a property combines when merging (``extends``, ``merge_from_*``)."""
    REPLACE = "replace"      # simple values: the other side's value wins
    UNION = "union"          # single-value lists: union, order kept
    BY_FIRST = "by_first"    # lists of tuples: the other side's items replace items with the
    #                          same first value (alias, path, port, ...), the rest is kept
    DICT = "dict"            # dictionaries: keys merged, the other side wins per key


@dataclass(frozen=True)
class Prop:
    """Declaration of one property."""
    name: str
    default: Any = None
    convert: Callable[[Any], Any] | None = None
    merge: Merge = Merge.REPLACE
    inherit: bool = True     # taken over from configurations named in ``extends``
    doc: str = ""

    def make_default(self) -> Any:
        """A fresh default (lists and dicts are never shared between objects)."""
        return copy_value(self.default)


def copy_value(value: Any) -> Any:
    """Copy lists and dicts (recursively); tuples, lazy values and scalars are kept as they are."""
    if isinstance(value, list):
        return [copy_value(v) for v in value]
    if isinstance(value, dict):
        return {k: copy_value(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(copy_value(v) for v in value))
    return value


def merge_values(rule: Merge, current: Any, new: Any) -> Any:
    """Combine two converted values of one property according to ``rule``."""
    if rule is Merge.UNION and isinstance(current, list) and isinstance(new, list):
        result = list(current)
        result.extend(v for v in new if v not in current)
        return result
    if rule is Merge.BY_FIRST and isinstance(current, list) and isinstance(new, list):
        keys = {item[0] for item in new}
        return [item for item in current if item[0] not in keys] + list(new)
    if rule is Merge.DICT and isinstance(current, dict) and isinstance(new, dict):
        return {**current, **new}
    return copy_value(new)


def unknown_key_error(key: Any, known: list[str], what: str,
                      path: tuple[str | int, ...] = ()) -> MapError:
    """MapError for an unknown key, naming the nearest known one."""
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return MapError(f"unknown {what} property {key!r}{hint}", path + (key,))


def _accessor(name: str, doc: str) -> property:
    def fget(self: ConfigurationObject) -> Any:
        return self._values[name]

    def fset(self: ConfigurationObject, value: Any) -> None:
        self.set(name, value)

    return property(fget, fset, doc=doc)


class ConfigurationObject:
    """Base of the configuration kinds. Subclasses list their properties in ``PROPERTIES``
    (and alternative names in ``ALIASES``); each becomes an attribute and a dict key."""

    PROPERTIES: ClassVar[tuple[Prop, ...]] = ()
    ALIASES: ClassVar[dict[str, str]] = {}
    KIND: ClassVar[str] = "configuration"
    _props: ClassVar[dict[str, Prop]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._props = {p.name: p for p in cls.PROPERTIES}
        for prop in cls.PROPERTIES:
            setattr(cls, prop.name, _accessor(prop.name, prop.doc))
        for alias, target in cls.ALIASES.items():
            setattr(cls, alias, _accessor(target, f"Same as ``{target}``."))

    def __init__(self, values: Any = None, **kwargs: Any) -> None:
        object.__setattr__(self, "_values", {p.name: p.make_default() for p in self.PROPERTIES})
        object.__setattr__(self, "_set", set())
        if values is not None:
            self.update(values)
        if kwargs:
            self.update(kwargs)

    # --- access ------------------------------------------------------------------------

    @classmethod
    def property_names(cls) -> list[str]:
        return list(cls._props)

    @classmethod
    def _key(cls, key: Any, path: tuple[str | int, ...] = ()) -> str:
        """The property a key means (aliases followed); MapError with a suggestion if none."""
        if isinstance(key, str):
            key = cls.ALIASES.get(key, key)
            if key in cls._props:
                return str(key)
        raise unknown_key_error(key, list(cls._props) + list(cls.ALIASES), cls.KIND, path)

    def set(self, key: str, value: Any) -> None:
        """Assign a property (stored as given; converted by ``clean()``)."""
        name = self._key(key)
        self._values[name] = value
        self._set.add(name)

    def update(self, values: Any, path: tuple[str | int, ...] = ()) -> None:
        """Assign every key of a dict (or every set property of another object)."""
        if isinstance(values, ConfigurationObject):
            values = values.set_values()
        if not isinstance(values, Mapping):
            raise MapError(f"expected a dictionary of {self.KIND} properties, got {values!r}",
                           path)
        for key, value in values.items():
            name = self._key(key, path)
            self._values[name] = copy_value(value)
            self._set.add(name)

    def __setattr__(self, key: str, value: Any) -> None:
        if key.startswith("_") or key in type(self).__dict__ or isinstance(
                getattr(type(self), key, None), property):
            object.__setattr__(self, key, value)
        else:
            self.set(key, value)

    def __getattr__(self, key: str) -> Any:
        # Only called for missing attributes.
        if key.startswith("_"):
            raise AttributeError(key)
        close = difflib.get_close_matches(key, list(self._props), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise AttributeError(f"{type(self).__name__} has no property {key!r}{hint}")

    def __getitem__(self, key: str) -> Any:
        return self._values[self._key(key)]

    def __setitem__(self, key: str, value: Any) -> None:
        self.set(key, value)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.ALIASES.get(key, key) in self._props

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except MapError:
            return default

    def is_set(self, key: str) -> bool:
        """True if the property was assigned or differs from its default."""
        name = self._key(key)
        return name in self._set or self._values[name] != self._props[name].default

    def set_values(self) -> dict[str, Any]:
        """The set properties as they are stored (not converted, not copied)."""
        return {k: v for k, v in self._values.items() if self.is_set(k)}

    # --- conversion --------------------------------------------------------------------

    def clean(self) -> None:
        """Convert every property into its normalised form (spec 3.7 "Input formats").
        Idempotent; raises MapError with the property name and index in its path."""
        for name, prop in self._props.items():
            if prop.convert is None:
                continue
            value = self._values[name]
            if value is None and prop.default is not None:
                value = prop.make_default()
            try:
                self._values[name] = prop.convert(value)
            except MapError as exc:
                raise exc.at(name) from None

    def as_dict(self) -> dict[str, Any]:
        """The set properties, converted, as a new dict (input for the same class)."""
        self.clean()
        return {k: copy_value(v) for k, v in self.set_values().items()}

    def copy(self: T) -> T:  # noqa: PYI019  (typing.Self needs Python 3.11)
        """A copy with its own lists and dicts (lazy values are shared)."""
        new = type(self).__new__(type(self))
        object.__setattr__(new, "_values", {k: copy_value(v) for k, v in self._values.items()})
        object.__setattr__(new, "_set", set(self._set))
        return new

    # --- merging -----------------------------------------------------------------------

    def merge_from_obj(self, other: ConfigurationObject, *, inherit_only: bool = False) -> None:
        """Merge the set properties of ``other`` into this object by each property's rule.
        ``inherit_only`` skips properties that are not inherited through ``extends``."""
        self.clean()
        other.clean()
        for name, value in other.set_values().items():
            prop = self._props[name]
            if inherit_only and not prop.inherit:
                continue
            current = self._values[name]
            self._values[name] = merge_values(prop.merge, current, value)
            self._set.add(name)

    def merge_from_dict(self, values: Mapping[str, Any]) -> None:
        """Like :meth:`merge_from_obj` with a dict of properties."""
        self.merge_from_obj(type(self)(values))

    def update_from_obj(self, other: ConfigurationObject) -> None:
        """Overwrite this object's properties with the set properties of ``other``."""
        other.clean()
        self.update({k: copy_value(v) for k, v in other.set_values().items()})
        self.clean()

    def update_from_dict(self, values: Mapping[str, Any]) -> None:
        """Overwrite the properties named in ``values``."""
        self.update(values)
        self.clean()

    # --- comparison and display --------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, ConfigurationObject)
        self.clean()
        other.clean()
        return bool(self._values == other._values)

    __hash__ = None  # type: ignore[assignment]

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        """(name, value) of every property."""
        return iter(self._values.items())

    def keys(self) -> list[str]:
        return list(self._values)

    def items(self) -> list[tuple[str, Any]]:
        return list(self._values.items())

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={v!r}" for k, v in self.set_values().items())
        return f"{type(self).__name__}({body})"
