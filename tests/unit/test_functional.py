"""Lazy values and the type registry (spec 3.10.3)."""
from __future__ import annotations

import copy
import pickle
import threading
from collections import OrderedDict, defaultdict
from typing import Any, NamedTuple

import pytest

from dockerfab.errors import MapError
from dockerfab.functional import (
    LazyOnceValue,
    LazyValue,
    TypeRegistry,
    expand_type_name,
    is_lazy,
    lazy,
    lazy_once,
    register_type,
    resolve_deep,
    resolve_value,
    type_registry,
    unregister_type,
)


class PathSource:
    """``get_path(arg1, keyword_arg1='kw1', keyword_arg2='kw2')`` from the spec, counting calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.root = "/srv"

    def get_path(self, arg1: str, keyword_arg1: str = "kw1", keyword_arg2: str = "kw2") -> str:
        self.calls.append((arg1, keyword_arg1, keyword_arg2))
        return f"{self.root}/{arg1}/{keyword_arg1}/{keyword_arg2}"


class ExtType(NamedTuple):
    """Stand-in for msgpack.ExtType (same shape: code and bytes)."""
    code: int
    data: bytes


MY_EXT_TYPE_CODE = 1


def my_info(data: bytes) -> str:
    return "/info/" + data.decode()


def my_ext_hook(ext_data: ExtType) -> str:
    if ext_data.code == MY_EXT_TYPE_CODE:
        return my_info(ext_data.data)
    raise ValueError("Unexpected ext type code.", ext_data.code)


@pytest.fixture(autouse=True)
def clean_registry():
    """The global registry must look the same after every test."""
    before = dict(type_registry.items())
    yield
    assert dict(type_registry.items()) == before


def test_lazy_calls_function_on_every_use_with_args_and_kwargs():
    src = PathSource()
    value = lazy(src.get_path, "arg1", keyword_arg1="x", keyword_arg2="y")
    assert src.calls == []  # nothing evaluated on creation
    assert resolve_value(value) == "/srv/arg1/x/y"
    src.root = "/data"
    assert resolve_value(value) == "/data/arg1/x/y"  # current value, not a cached one
    assert src.calls == [("arg1", "x", "y")] * 2


def test_lazy_once_calls_function_once_and_keeps_result():
    src = PathSource()
    value = lazy_once(src.get_path, "arg1", keyword_arg1="kw1", keyword_arg2="kw2")
    assert not value.evaluated and src.calls == []
    assert resolve_value(value) == "/srv/arg1/kw1/kw2"
    src.root = "/data"
    assert resolve_value(value) == "/srv/arg1/kw1/kw2"
    assert value.get() == "/srv/arg1/kw1/kw2"
    assert value.evaluated
    assert src.calls == [("arg1", "kw1", "kw2")]


def test_lazy_once_runs_once_under_concurrent_use():
    calls = []
    gate = threading.Event()

    def slow() -> int:
        calls.append(1)
        gate.wait(1)
        return 42

    value = lazy_once(slow)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(value.get())) for _ in range(8)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    assert results == [42] * 8 and calls == [1]


def test_lazy_once_retries_after_failure():
    attempts = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("not mounted yet")
        return "ok"

    value = lazy_once(flaky)
    with pytest.raises(MapError, match="flaky.*not mounted yet"):
        resolve_value(value)
    assert resolve_value(value) == "ok" and value.evaluated


def test_repr_and_equality_do_not_evaluate():
    src = PathSource()
    a = lazy(src.get_path, "a", keyword_arg1="k")
    assert "get_path('a', keyword_arg1='k')" in repr(a)
    assert a == lazy(src.get_path, "a", keyword_arg1="k")
    assert a != lazy(src.get_path, "b")
    assert a != lazy_once(src.get_path, "a", keyword_arg1="k")
    assert hash(a) == hash(lazy(src.get_path, "a", keyword_arg1="k"))
    assert src.calls == []


def test_copies_share_the_lazy_value_and_pickling_keeps_the_call():
    value = lazy_once(my_info, b"x")
    config = {"host": {"v": value}}
    assert copy.deepcopy(config)["host"]["v"] is value
    assert copy.copy(value) is value
    value.get()
    restored = pickle.loads(pickle.dumps(value))
    assert isinstance(restored, LazyOnceValue) and not restored.evaluated
    assert restored.get() == "/info/x"
    assert pickle.loads(pickle.dumps(lazy(my_info, b"y"))).get() == "/info/y"


def test_lazy_needs_a_callable():
    with pytest.raises(TypeError):
        lazy("not callable")  # type: ignore[arg-type]


def test_expand_type_name_is_module_qualified():
    assert expand_type_name(ExtType) == f"{__name__}.ExtType"
    assert expand_type_name(OrderedDict) == "collections.OrderedDict"
    assert expand_type_name(int) == "builtins.int"
    with pytest.raises(TypeError):
        expand_type_name(ExtType(1, b""))  # type: ignore[arg-type]


def test_register_type_resolves_ext_type_like_the_spec_example():
    register_type(ExtType, my_ext_hook)
    try:
        assert ExtType in type_registry
        assert resolve_value(ExtType(MY_EXT_TYPE_CODE, b"info")) == "/info/info"
        with pytest.raises(MapError, match="Unexpected ext type code") as info:
            resolve_value(ExtType(2, b"info"))
        assert isinstance(info.value, ValueError)  # still a ValueError for old callers
        assert isinstance(info.value.__cause__, ValueError)
    finally:
        assert unregister_type(ExtType) is my_ext_hook
    assert resolve_value(ExtType(MY_EXT_TYPE_CODE, b"info")) == ExtType(1, b"info")


def test_lookup_is_by_exact_type_not_subclass():
    class SubExt(ExtType):
        pass

    with type_registry.registered(ExtType, my_ext_hook):
        sub = SubExt(MY_EXT_TYPE_CODE, b"x")
        assert resolve_value(sub) is sub
        assert not is_lazy(sub)
        assert is_lazy(ExtType(1, b"x"))


def test_registered_context_restores_previous_hook():
    with type_registry.registered(ExtType, my_ext_hook):
        with type_registry.registered(ExtType, lambda v: "inner"):
            assert resolve_value(ExtType(1, b"")) == "inner"
        assert resolve_value(ExtType(1, b"")) == "/info/"
    assert ExtType not in type_registry


def test_types_argument_replaces_the_registry_for_one_call():
    with type_registry.registered(ExtType, lambda v: "global"):
        value = ExtType(1, b"x")
        assert resolve_value(value) == "global"
        assert resolve_value(value, types={expand_type_name(ExtType): my_ext_hook}) == "/info/x"
        assert resolve_value(value, types={}) is value
        own = TypeRegistry()
        own.register(ExtType, my_ext_hook)
        assert resolve_value(value, types=own) == "/info/x"
        merged = {**type_registry, expand_type_name(bytes): bytes.decode}
        assert resolve_value(value, types=merged) == "global"
        assert resolve_value(b"z", types=merged) == "z"


def test_other_values_are_returned_as_is():
    for value in ("x", 1, None, [lazy(str)], {"a": 1}):
        assert resolve_value(value) is value


def test_resolve_deep_with_types_keeps_container_types():
    class Pair(NamedTuple):
        left: Any
        right: Any

    src = PathSource()
    content = {
        "repository": lazy(lambda: "registry.example.com"),
        "host": OrderedDict(volume1=ExtType(MY_EXT_TYPE_CODE, b"v1"), volume2="/plain"),
        "list": [ExtType(1, b"a"), (lazy(src.get_path, "x"), "b"), Pair(ExtType(1, b"p"), 2)],
        "dd": defaultdict(list, k=lazy_once(lambda: [ExtType(1, b"in-lazy")])),
    }
    before = copy.deepcopy(content)
    result = resolve_deep(content, types={expand_type_name(ExtType): my_ext_hook})
    assert result == {
        "repository": "registry.example.com",
        "host": {"volume1": "/info/v1", "volume2": "/plain"},
        "list": ["/info/a", ("/srv/x/kw1/kw2", "b"), ("/info/p", 2)],
        "dd": {"k": ["/info/in-lazy"]},  # a lazy result is resolved further
    }
    assert type(result["host"]) is OrderedDict
    assert type(result["list"][1]) is tuple and type(result["list"][2]) is Pair
    assert type(result["dd"]) is defaultdict and result["dd"].default_factory is list
    assert content == before  # input untouched
    # without types= and with an empty registry, ExtType stays as it is
    assert resolve_deep(content)["host"]["volume1"] == ExtType(1, b"v1")


def test_resolve_deep_respects_max_depth():
    nested = [lazy(lambda: 1), [lazy(lambda: 2), [lazy(lambda: 3)]]]
    shallow = resolve_deep(nested, max_depth=1)
    assert shallow[0] == 1 and isinstance(shallow[1][0], LazyValue)
    assert resolve_deep(nested, max_depth=2)[1][0] == 2
    assert resolve_deep(nested) == [1, [2, [3]]]
    assert isinstance(resolve_deep(lazy(lambda: [lazy(lambda: 1)]), max_depth=0)[0], LazyValue)


def test_resolve_deep_error_names_the_key_path():
    def broken() -> str:
        raise KeyError("SITE_ROOT")

    data = {"app_server": {"binds": ["/a", lazy(broken)]}}
    with pytest.raises(MapError) as info:
        resolve_deep(data)
    assert info.value.path == ("app_server", "binds", 1)
    assert str(info.value).startswith("app_server.binds[1]: lazy value")
    assert "SITE_ROOT" in str(info.value)
