"""Lazy values: settings whose value is computed when it is used, not when the map is built.

``lazy(func, *args, **kwargs)`` calls ``func`` again on every use; ``lazy_once(...)`` calls it
on first use and keeps the result. Values of other types can be resolved late by registering
a hook for their *exact* type (spec 3.10.3, "Serialization issues")::

    register_type(ExtType, my_ext_hook)         # in the one registry, ``type_registry``
    resolve_value(ExtType(1, b'...'))           # -> my_ext_hook(that value)
    resolve_deep(data, types={expand_type_name(ExtType): my_ext_hook})   # just this call

Lookup is by the value's exact type: a hook registered for a base class is *not* used for
its subclasses (``type(value)``, not ``isinstance``). Lazy objects (``lazy``, ``lazy_once``
and subclasses of :class:`LazyValue`) are always resolved, with or without a registry.

Failures while resolving (the function or hook raised) surface as
:class:`dockerfab.errors.MapError`; :func:`resolve_deep` adds the key path where it happened.
"""
from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from dockerfab.errors import DockerFabError, MapError

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "LazyOnceValue",
    "LazyValue",
    "TypeRegistry",
    "expand_type_name",
    "is_lazy",
    "lazy",
    "lazy_once",
    "register_type",
    "resolve_deep",
    "resolve_value",
    "type_registry",
    "unregister_type",
]

#: How many levels of nested lists, tuples and dicts :func:`resolve_deep` descends by default.
DEFAULT_MAX_DEPTH = 10

Hook = Callable[[Any], Any]
TypeHooks = Mapping[str, Hook]


def _describe_call(func: Callable[..., Any], args: tuple[Any, ...],
                   kwargs: Mapping[str, Any]) -> str:
    """``get_path('a', kw=1)``: how a deferred call reads in messages and reprs."""
    name = getattr(func, "__qualname__", None) or repr(func)
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


class LazyValue:
    """A deferred call ``func(*args, **kwargs)``, evaluated again on every :meth:`get`.

    Lazy values behave as immutable handles: copying (also ``copy.deepcopy`` of a map that
    holds them) returns the same object, and two lazy values are equal when they wrap the
    same call. Nothing is evaluated by ``repr``, ``==`` or ``hash``.
    """

    __slots__ = ("_args", "_func", "_kwargs")

    def __init__(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        if not callable(func):
            raise TypeError(f"lazy value needs a callable, got {func!r}")
        self._func = func
        self._args = args
        self._kwargs = kwargs

    @property
    def func(self) -> Callable[..., Any]:
        return self._func

    @property
    def args(self) -> tuple[Any, ...]:
        return self._args

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self._kwargs)

    def get(self) -> Any:
        """Call the function now and return its result."""
        return self._func(*self._args, **self._kwargs)

    @property
    def value(self) -> Any:
        """Same as :meth:`get`."""
        return self.get()

    def describe(self) -> str:
        """The deferred call as text, e.g. ``get_path('a', keyword_arg1='kw1')``."""
        return _describe_call(self._func, self._args, self._kwargs)

    def __repr__(self) -> str:
        return f"lazy({self.describe()})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, LazyValue)
        return (self._func == other._func and self._args == other._args
                and self._kwargs == other._kwargs)

    def __hash__(self) -> int:
        return hash((type(self), self._func))

    def __copy__(self) -> LazyValue:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> LazyValue:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickles the call, not a cached result; lazy_once evaluates again after unpickling.
        return (_rebuild, (type(self), self._func, self._args, self._kwargs))


def _rebuild(cls: type[LazyValue], func: Callable[..., Any], args: tuple[Any, ...],
             kwargs: dict[str, Any]) -> LazyValue:
    return cls(func, *args, **kwargs)


_UNSET: Any = object()


class LazyOnceValue(LazyValue):
    """A deferred call evaluated on first :meth:`get`; later uses return the stored result.

    Thread-safe: when several threads (the engine runs hosts and containers concurrently)
    ask at once, the function still runs only once. If it raises, nothing is stored and the
    next use tries again.
    """

    __slots__ = ("_lock", "_result")

    def __init__(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(func, *args, **kwargs)
        self._result = _UNSET
        self._lock = threading.Lock()

    @property
    def evaluated(self) -> bool:
        """True once the function has returned a result."""
        return self._result is not _UNSET

    def get(self) -> Any:
        result = self._result
        if result is _UNSET:
            with self._lock:
                result = self._result
                if result is _UNSET:
                    result = self._result = super().get()
        return result

    def __repr__(self) -> str:
        state = f" = {self._result!r}" if self.evaluated else ""
        return f"lazy_once({self.describe()}){state}"


def lazy(func: Callable[..., Any], *args: Any, **kwargs: Any) -> LazyValue:
    """Defer ``func(*args, **kwargs)``; it is called again every time the value is used."""
    return LazyValue(func, *args, **kwargs)


def lazy_once(func: Callable[..., Any], *args: Any, **kwargs: Any) -> LazyOnceValue:
    """Defer ``func(*args, **kwargs)``; it is called on first use and the result is kept."""
    return LazyOnceValue(func, *args, **kwargs)


def expand_type_name(type_: type) -> str:
    """Module-qualified name of a type, the key of the type registry:
    ``expand_type_name(collections.OrderedDict) == 'collections.OrderedDict'``."""
    if not isinstance(type_, type):
        raise TypeError(f"expand_type_name() needs a type, got {type_!r}; "
                        f"use expand_type_name(type(value)) for a value")
    return f"{type_.__module__}.{type_.__qualname__}"


class TypeRegistry(Mapping[str, Hook]):
    """Hooks that resolve values of registered types: ``{expand_type_name(T): hook}``.

    The module keeps one instance, :data:`type_registry`, used whenever a resolve function
    is called without ``types=``. It is a mapping (name -> hook), so it can itself be passed
    as ``types=``. For tests and short-lived use, :meth:`registered` adds a hook only for the
    duration of a ``with`` block.
    """

    def __init__(self, hooks: Mapping[str, Hook] | None = None) -> None:
        self._hooks: dict[str, Hook] = dict(hooks or {})

    def register(self, type_: type, func: Hook) -> None:
        """Resolve values of exactly ``type_`` with ``func(value)``; replaces an earlier hook."""
        if not callable(func):
            raise TypeError(f"hook for {expand_type_name(type_)} must be callable, got {func!r}")
        self._hooks[expand_type_name(type_)] = func

    def unregister(self, type_: type) -> Hook | None:
        """Remove the hook of ``type_``; returns it, or None if there was none."""
        return self._hooks.pop(expand_type_name(type_), None)

    @contextmanager
    def registered(self, type_: type, func: Hook) -> Iterator[TypeRegistry]:
        """Register ``func`` for ``type_`` inside a ``with`` block; the previous state
        (hook or none) is restored afterwards."""
        name = expand_type_name(type_)
        previous = self._hooks.get(name)
        self.register(type_, func)
        try:
            yield self
        finally:
            if previous is None:
                self._hooks.pop(name, None)
            else:
                self._hooks[name] = previous

    def clear(self) -> None:
        """Remove every hook."""
        self._hooks.clear()

    def copy(self) -> TypeRegistry:
        return TypeRegistry(self._hooks)

    def hook_for(self, type_: type) -> Hook | None:
        """The hook registered for exactly ``type_`` (base classes are not consulted)."""
        return self._hooks.get(expand_type_name(type_))

    # Mapping protocol (name -> hook), so a registry can be passed as ``types=``.
    def __getitem__(self, name: str) -> Hook:
        return self._hooks[name]

    def __contains__(self, item: object) -> bool:
        if isinstance(item, type):
            item = expand_type_name(item)
        return item in self._hooks

    def __iter__(self) -> Iterator[str]:
        return iter(self._hooks)

    def __len__(self) -> int:
        return len(self._hooks)

    def __repr__(self) -> str:
        return f"TypeRegistry({sorted(self._hooks)!r})"


#: The registry used when no ``types=`` is passed.
type_registry = TypeRegistry()


def register_type(type_: type, func: Hook) -> None:
    """Register ``func`` in :data:`type_registry` to resolve values of exactly ``type_``."""
    type_registry.register(type_, func)


def unregister_type(type_: type) -> Hook | None:
    """Remove the hook for ``type_`` from :data:`type_registry`; returns it (or None)."""
    return type_registry.unregister(type_)


def _hooks(types: TypeHooks | None) -> TypeHooks:
    return type_registry if types is None else types


def is_lazy(value: Any, types: TypeHooks | None = None) -> bool:
    """True if :func:`resolve_value` would change ``value``: a lazy object, or a value of a
    type that has a hook (in ``types``, or the registry if ``types`` is None)."""
    if isinstance(value, LazyValue):
        return True
    hooks = _hooks(types)
    return bool(hooks) and expand_type_name(type(value)) in hooks


def resolve_value(value: Any, types: TypeHooks | None = None) -> Any:
    """The current value of ``value``: the result of a lazy object, the hook's result for a
    value of a registered type, anything else unchanged.

    ``types`` (``{expand_type_name(T): hook}``) replaces :data:`type_registry` for this call;
    pass ``{**type_registry, ...}`` to extend rather than replace it. One step only: a hook
    or lazy function that returns another lazy value returns it unresolved.
    """
    if isinstance(value, LazyValue):
        try:
            return value.get()
        except DockerFabError:
            raise
        except Exception as exc:
            raise MapError(f"lazy value {value.describe()} failed: "
                           f"{type(exc).__name__}: {exc}") from exc
    hooks = _hooks(types)
    if not hooks:
        return value
    hook = hooks.get(expand_type_name(type(value)))
    if hook is None:
        return value
    try:
        return hook(value)
    except DockerFabError:
        raise
    except Exception as exc:
        raise MapError(f"resolving a {expand_type_name(type(value))} value failed: "
                       f"{type(exc).__name__}: {exc}") from exc


def resolve_deep(obj: Any, types: TypeHooks | None = None,
                 max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Resolve ``obj`` and, recursively, the items of lists, tuples and dicts in it.

    Containers come back as new objects of the same type (list/dict subclasses are copied
    with :func:`copy.copy`, named tuples rebuilt); the input is not modified. Dict keys are
    not resolved. Containers nested deeper than ``max_depth`` levels are returned as they
    are. A failure raises :class:`MapError` whose ``path`` says where, e.g. ``('a', 2)``.
    """
    hooks = _hooks(types)
    return _resolve(obj, hooks, max_depth)


def _resolve(obj: Any, hooks: TypeHooks, depth: int) -> Any:
    value = resolve_value(obj, hooks)
    if depth <= 0:
        return value
    if isinstance(value, dict):
        new_dict = copy.copy(value)
        for key, item in value.items():
            new_dict[key] = _resolve_item(item, key, hooks, depth - 1)
        return new_dict
    if isinstance(value, list):
        new_list = copy.copy(value)
        new_list[:] = [_resolve_item(item, i, hooks, depth - 1) for i, item in enumerate(value)]
        return new_list
    if isinstance(value, tuple):
        items = [_resolve_item(item, i, hooks, depth - 1) for i, item in enumerate(value)]
        if hasattr(value, "_make"):  # named tuple
            return value._make(items)
        return tuple(items) if type(value) is tuple else type(value)(items)
    return value


def _resolve_item(item: Any, key: Any, hooks: TypeHooks, depth: int) -> Any:
    try:
        return _resolve(item, hooks, depth)
    except MapError as exc:
        raise exc.at(key)
