"""Inheritance through ``extends`` (spec 3.7 "Inheritance")."""
from __future__ import annotations

import pytest

from dockerfab.errors import CircularDependency, MapIntegrityError
from dockerfab.map.container import ContainerMap
from dockerfab.map.deps import map_graph
from dockerfab.map.input import (
    ContainerLink,
    HostVolume,
    ItemType,
    MapConfigId,
    NetworkEndpoint,
    PortBinding,
    SharedVolume,
    UsedVolume,
)


def spec_example() -> ContainerMap:
    m = ContainerMap("m")
    m.volumes.volume1 = "/v1"
    m.volumes.volume2 = "/v2"
    m.volumes.volume3 = "/v3"
    m.containers.owner.attaches = ["volume1", "volume2", "volume3"]
    generic_config = m.containers.generic
    generic_config.uses = "volume1"
    generic_config.abstract = True
    ext_config1 = m.containers.app1
    ext_config1.extends = "generic"
    ext_config1.uses = "volume2"
    ext_config2 = m.containers.app2
    ext_config2.extends = "generic"
    ext_config2.uses = "volume3"
    return m


def test_spec_example_unions_uses():
    m = spec_example()
    m.check_integrity()
    assert m.get_extended("app1").uses == [SharedVolume("volume1"), SharedVolume("volume2")]
    assert m.get_extended("app2").uses == [SharedVolume("volume1"), SharedVolume("volume3")]


def test_abstract_and_extends_are_not_inherited():
    m = spec_example()
    app1 = m.get_extended("app1")
    assert app1.abstract is False and app1.extends == []
    assert m.get_extended("generic").abstract is True
    assert m.expand_names("__all__") == ["owner", "app1", "app2"]


def test_simple_values_overridden_in_order():
    m = ContainerMap("m", {
        "a": {"image": "a", "user": "ua", "stop_timeout": 5, "abstract": True},
        "b": {"image": "b", "persistent": True, "abstract": True},
        "c": {"extends": ["a", "b"], "user": "uc"},
    })
    c = m.get_extended("c")
    assert (c.image, c.user, c.stop_timeout, c.persistent) == ("b", "uc", 5, True)


def test_multi_value_lists_merge_by_first_value():
    m = ContainerMap("m", {
        "base": {
            "binds": {"/data": ("host/a", "rw"), "/conf": ("host/conf", "ro")},
            "exposes": [(80, 80), (443, 443)],
            "links": [("db", "database")],
            "networks": {"net": {"aliases": "x"}},
            "create_options": {"mem_limit": "1g", "environment": {"A": "1"}},
            "host_config": {"restart_policy": {"Name": "always"}},
            "clients": ["c1"],
            "shares": "/tmp",
            "attaches": {"sock": "/run/sock"},
        },
        "db": {}, "net_user": {},
        "app": {
            "extends": "base",
            "binds": {"/data": ("host/b", "ro")},
            "exposes": [(80, 8080)],
            "links": "db",
            "networks": {"net": {"ipv4": "10.0.0.9"}},
            "create_options": {"mem_limit": "2g"},
            "clients": ["c2", "c1"],
            "shares": "/var/tmp",
        },
        "networks": {"net": {}},
    }, check_integrity=False)
    app = m.get_extended("app")
    # the same container path: last host path and read-only flag win, position after base's
    assert app.binds == [HostVolume("/conf", "host/conf", True), HostVolume("/data", "host/b", True)]
    assert app.exposes == [PortBinding(443, 443), PortBinding(80, 8080)]
    # links are (container, alias) pairs: every distinct alias is kept (issue 12)
    assert app.links == [ContainerLink("db", "database"), ContainerLink("db")]
    assert app.networks == [NetworkEndpoint("net", ipv4_address="10.0.0.9")]
    assert app.create_options == {"mem_limit": "2g", "environment": {"A": "1"}}
    assert app.host_config == {"restart_policy": {"Name": "always"}}
    assert app.clients == ["c1", "c2"]
    assert app.shares == ["/tmp", "/var/tmp"]
    assert app.attaches == [UsedVolume("sock", "/run/sock")]


def test_recursive_extension_and_original_untouched():
    m = ContainerMap("m", {
        "a": {"uses": "x", "abstract": True},
        "b": {"extends": "a", "uses": "y", "abstract": True},
        "c": {"extends": "b", "uses": "z"},
        "x": {}, "y": {}, "z": {},
    })
    assert [u.name for u in m.get_extended("c").uses] == ["x", "y", "z"]
    assert [u.name for u in m.containers.c.uses] == ["z"]
    ext = m.get_extended_map()
    assert [u.name for u in ext.containers.c.uses] == ["x", "y", "z"]
    assert [u.name for u in m.containers.c.uses] == ["z"]


def test_extends_cycle_is_named():
    m = ContainerMap("m", {"a": {"extends": "c"}, "b": {"extends": "a"}, "c": {"extends": "b"}},
                     check_integrity=False)
    with pytest.raises(CircularDependency) as info:
        m.get_extended("a")
    assert info.value.cycle == ["a", "c", "b", "a"]
    assert "a -> c -> b -> a" in str(info.value)
    with pytest.raises(CircularDependency):
        m.check_integrity()


def test_extends_unknown_configuration():
    m = ContainerMap("m", {"a": {"extends": "nothing"}}, check_integrity=False)
    with pytest.raises(MapIntegrityError, match="'nothing'") as info:
        m.get_extended("a")
    assert info.value.path == ("a", "extends", 0)


def test_use_attached_parent_name_example():
    # spec 3.7 "Inheritance", note on use_attached_parent_name ("volume2" attached by owner,
    # which the example leaves implicit)
    m = ContainerMap("m")
    m.use_attached_parent_name = True
    m.volumes.volume1 = "/v1"
    m.volumes.volume2 = "/v2"
    m.containers.owner.attaches = "volume2"
    generic_config = m.containers.generic
    generic_config.attaches = "volume1"
    ext_config = m.containers.appl
    ext_config.extends = "generic"
    ext_config.uses = "volume2"
    ref_config = m.containers.test
    ref_config.uses = ["appl.volume1", "volume2"]
    m.check_integrity()
    assert m.get_extended("appl").attaches == [UsedVolume("volume1")]
    graph = map_graph(m)
    test = MapConfigId(ItemType.CONTAINER, "m", "test")
    deps = set(graph.direct_dependencies(test))
    assert MapConfigId(ItemType.VOLUME, "m", "appl", "volume1") in deps
    assert MapConfigId(ItemType.CONTAINER, "m", "appl") in deps
    assert MapConfigId(ItemType.VOLUME, "m", "owner", "volume2") in deps
    assert MapConfigId(ItemType.VOLUME, "m", "generic", "volume1") not in deps
    # generic and appl both attach volume1: fine with parent names, an error without
    m.use_attached_parent_name = False
    m.containers.test.uses = ["volume2"]
    with pytest.raises(MapIntegrityError, match="attached by generic, appl"):
        m.check_integrity()
