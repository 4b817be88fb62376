"""What a user asks for -> container instances (pure)."""
from __future__ import annotations

import pytest

from dockerfab.errors import MapIntegrityError
from dockerfab.map.container import ContainerMap
from dockerfab.map.input import InputConfigId, ItemType, MapConfigId
from dockerfab.map.naming import container_name
from dockerfab.map.select import expand_selection


def maps() -> dict[str, ContainerMap]:
    one = ContainerMap("one", {
        "groups": {"backend": ["db", "app"]},
        "base": {"abstract": True, "image": "/base"},
        "db": {"extends": "base"},
        "app": {"extends": "base", "instances": ["a", "b"], "links": "db"},
        "web": {"extends": "base", "uses": "app"},
    })
    two = ContainerMap("two", {"solo": {"image": "/base"}})
    return {"one": one.get_extended_map(), "two": two.get_extended_map()}


def names(ids):
    return [container_name(i.map_name, i.config_name, i.instance_name) for i in ids]


def test_selection_forms():
    m = maps()
    assert names(expand_selection(m, "app", "one", None, None)) == ["one.app.a", "one.app.b"]
    assert names(expand_selection(m, "app", "one", "b", None)) == ["one.app.b"]
    assert names(expand_selection(m, "app.a", "one", None, None)) == ["one.app.a"]
    assert names(expand_selection(m, "backend", "one", None, None)) == [
        "one.db", "one.app.a", "one.app.b"]
    # groups take the instances they have; abstract configurations are never deployed
    assert names(expand_selection(m, "backend", "one", ["a"], None)) == ["one.db", "one.app.a"]
    assert names(expand_selection(m, "__all__", "one", None, None)) == [
        "one.db", "one.app.a", "one.app.b", "one.web"]
    assert names(expand_selection(m, "__all__", "__all__", None, None))[-1] == "two.solo"
    assert names(expand_selection(m, None, None, None, "two")) == ["two.solo"]
    assert names(expand_selection(m, "one.web", None, None, None)) == ["one.web"]
    # 'map.config[.instance]' also when there is a default map (what the tasks' help says)
    assert names(expand_selection(m, "one.app.b", None, None, "one")) == ["one.app.b"]
    assert names(expand_selection(m, "two.solo", None, None, "one")) == ["two.solo"]
    assert names(expand_selection(m, [InputConfigId("one", "app", ("a",)),
                                      MapConfigId(ItemType.CONTAINER, "two", "solo")],
                                  None, None, None)) == ["one.app.a", "two.solo"]
    with pytest.raises(MapIntegrityError, match="'nope'"):
        expand_selection(m, "nope", "one", None, None)
    with pytest.raises(MapIntegrityError, match="no instance"):
        expand_selection(m, "db", "one", "x", None)
    with pytest.raises(MapIntegrityError, match="no default map"):
        expand_selection(m, "db", None, None, None)
