"""Dependency graph: generic levels, cycles, and the item graph of maps."""
from __future__ import annotations

import pytest

from dockerfab.errors import CircularDependency, MapIntegrityError
from dockerfab.map.container import ContainerMap
from dockerfab.map.deps import (
    DependencyGraph,
    container_graph,
    container_items,
    map_graph,
)
from dockerfab.map.input import InputConfigId, ItemType, MapConfigId
from tests.unit.test_map_container import example_372

C, V, N, I = ItemType.CONTAINER, ItemType.VOLUME, ItemType.NETWORK, ItemType.IMAGE


def position(levels, item):
    return next(i for i, level in enumerate(levels) if item in level)


def test_levels_put_dependencies_first_and_group_independent_items():
    graph = DependencyGraph({"web": ["app", "img"], "app": ["db", "img"], "db": [],
                             "worker": ["db"]})
    assert graph.dependencies(["web"]) == [["img", "db"], ["app"], ["web"]]
    assert graph.dependencies(["web", "worker"]) == [["img", "db"], ["app", "worker"],
                                                     ["web"]]
    assert graph.dependents(["db"]) == [["db"], ["app", "worker"], ["web"]]
    assert graph.dependents(["web"]) == [["web"]]


def test_cycle_is_reported_with_its_members():
    graph = DependencyGraph({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]})
    with pytest.raises(CircularDependency) as info:
        graph.dependencies(["d"])
    cycle = info.value.cycle
    assert cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}
    assert str(info.value).startswith("dependency cycle: ")
    assert " -> ".join(cycle) in str(info.value)


def test_unknown_root():
    with pytest.raises(KeyError):
        DependencyGraph({"a": []}).dependencies(["b"])


def test_example_372_order():
    m = example_372()
    graph = map_graph(m)
    web = MapConfigId(C, "example_map", "web_server")
    app1 = MapConfigId(C, "example_map", "app_server", "instance1")
    app2 = MapConfigId(C, "example_map", "app_server", "instance2")
    socket = MapConfigId(V, "example_map", "app_server", "app_server_socket")
    app_log = MapConfigId(V, "example_map", "app_server", "app_log")
    web_log = MapConfigId(V, "example_map", "web_server", "web_log")
    nginx = MapConfigId(I, "example_map", "registry.example.com/nginx:latest")
    app_image = MapConfigId(I, "example_map", "registry.example.com/app:latest")
    levels = graph.dependencies(container_items(m, ["web_server"]))
    items = [item for level in levels for item in level]
    assert set(items) == {web, app1, app2, socket, app_log, web_log, nginx, app_image}
    assert position(levels, app1) == position(levels, app2)     # instances run together
    assert position(levels, app1) < position(levels, web)
    for dep in (socket, app_log, app_image):
        assert position(levels, dep) < position(levels, app1)
    for dep in (socket, web_log, nginx):
        assert position(levels, dep) < position(levels, web)
    # for stopping/removing app_server, its dependents (walk reversed): web_server
    assert graph.dependents([app1]) == [[app1], [web]]


def test_links_network_mode_and_networks():
    m = ContainerMap("m", {
        "db": {"instances": ["a", "b"]},
        "app": {"links": "db", "networks": ["backend", "bridge"]},
        "sidecar": {"network_mode": "app"},
        "pinned": {"network_mode": "db.b"},
        "external": {"network_mode": "container:something"},
        "networks": {"backend": {}},
    })
    graph = map_graph(m)
    app = MapConfigId(C, "m", "app")
    assert set(graph.direct_dependencies(app)) == {
        MapConfigId(I, "m", "app:latest"), MapConfigId(N, "m", "backend"),
        MapConfigId(C, "m", "db", "a"), MapConfigId(C, "m", "db", "b")}
    assert MapConfigId(C, "m", "app") in graph.direct_dependencies(MapConfigId(C, "m", "sidecar"))
    assert graph.direct_dependencies(MapConfigId(C, "m", "pinned")) == [
        MapConfigId(I, "m", "pinned:latest"), MapConfigId(C, "m", "db", "b")]
    assert graph.direct_dependencies(MapConfigId(C, "m", "external")) == [
        MapConfigId(I, "m", "external:latest")]


def test_abstract_configurations_are_not_items():
    m = ContainerMap("m", {"base": {"abstract": True, "image": "x"}, "app": {"extends": "base"}})
    graph = map_graph(m)
    assert MapConfigId(C, "m", "base") not in graph
    assert MapConfigId(I, "m", "x:latest") in graph.direct_dependencies(MapConfigId(C, "m", "app"))


def test_reference_to_abstract_configuration_is_an_error():
    m = ContainerMap("m", {"base": {"abstract": True}, "app": {"links": "base"}},
                     check_integrity=False)
    with pytest.raises(MapIntegrityError, match="abstract") as info:
        map_graph(m)
    assert info.value.path == ("app", "links", 0)


def test_container_items_expand_groups_and_instances():
    m = example_372()
    m.groups.all_web = ["web_server"]
    assert container_items(m, ["all_web"]) == [MapConfigId(C, "example_map", "web_server")]
    assert container_items(m, [InputConfigId(None, "app_server", ("instance2",))]) == [
        MapConfigId(C, "example_map", "app_server", "instance2")]
    assert len(container_items(m, ["__all__"])) == 3
    with pytest.raises(MapIntegrityError):
        container_items(m, [InputConfigId("example_map", "app_server", ("nope",))])


def test_several_maps_share_one_graph():
    a = ContainerMap("a", {"x": {"image": "busybox"}})
    b = ContainerMap("b", {"x": {"image": "busybox"}})
    graph = map_graph([a, b])
    assert MapConfigId(C, "a", "x") in graph and MapConfigId(C, "b", "x") in graph
    levels = graph.dependencies([MapConfigId(C, "a", "x"), MapConfigId(C, "b", "x")])
    assert levels == [[MapConfigId(I, "a", "busybox:latest"), MapConfigId(I, "b", "busybox:latest")],
                      [MapConfigId(C, "a", "x"), MapConfigId(C, "b", "x")]]


def test_container_cycle_names_the_cycle_and_a_key_path():
    m = ContainerMap("m", {"a": {"uses": "b"}, "b": {"links": ["c"]}, "c": {"uses": ["a"]}},
                     check_integrity=False)
    with pytest.raises(CircularDependency) as info:
        m.check_integrity()
    text = str(info.value)
    assert "container m.a -> container m.b -> container m.c -> container m.a" in text \
        or "container m.b -> container m.c -> container m.a -> container m.b" in text \
        or "container m.c -> container m.a -> container m.b -> container m.c" in text
    assert info.value.path in (("a", "uses", 0), ("b", "links", 0), ("c", "uses", 0))


def test_selectively_sharing_volumes_example():
    # spec 3.7 "Selectively sharing volumes"
    m = ContainerMap("m")
    m.volumes.volume1 = "/var/data1"
    m.volumes.volume2 = "/var/more_data"
    m.host.volume1 = "/var/app1/data1"
    m.containers.app1.binds = "volume1"
    m.containers.app1.attaches = "volume2"
    m.containers.app2.uses = "app1"         # all of app1's volumes
    m.containers.app3.uses = "volume2"      # only the attached volume
    m.check_integrity()
    graph = map_graph(m)
    app1 = MapConfigId(C, "m", "app1")
    volume2 = MapConfigId(V, "m", "app1", "volume2")
    assert set(graph.direct_dependencies(MapConfigId(C, "m", "app2"))) == {
        MapConfigId(I, "m", "app2:latest"), app1}
    assert set(graph.direct_dependencies(MapConfigId(C, "m", "app3"))) == {
        MapConfigId(I, "m", "app3:latest"), volume2, app1}
    assert volume2 in graph.direct_dependencies(app1)


def test_container_view_levels_and_closures():
    one = ContainerMap("one", {
        "base": {"abstract": True, "image": "/base"},
        "db": {"extends": "base"},
        "app": {"extends": "base", "instances": ["a", "b"], "links": "db"},
        "web": {"extends": "base", "uses": "app"},
    })
    graph = container_graph(one)
    nodes = set(graph.nodes)
    assert nodes == {"one.db", "one.app.a", "one.app.b", "one.web"}
    assert graph.levels(nodes) == [["one.db"], ["one.app.a", "one.app.b"], ["one.web"]]
    assert graph.levels(nodes, reverse=True)[0] == ["one.web"]
    assert graph.closure(["one.web"]) == nodes
    assert graph.closure(["one.db"], reverse=True) == nodes
    assert graph.closure(["one.app.a"], reverse=True) == {"one.app.a", "one.web"}
    # a subset's levels only order it by the edges inside it (one client's containers)
    assert graph.levels({"one.db", "one.web"}) == [["one.db", "one.web"]]
    assert graph.levels({"one.app.b", "one.web"}) == [["one.app.b"], ["one.web"]]


def test_container_view_reports_a_cycle():
    m = ContainerMap("c", {"a": {"image": "/x", "links": "b"},
                           "b": {"image": "/x", "uses": "a"}}, check_integrity=False)
    with pytest.raises(CircularDependency):
        container_graph(m)


def test_network_mode_shares_the_first_instance_everywhere():
    from dockerfab.plan.desired import ClientInfo, DesiredStateBuilder

    m = ContainerMap("m", {"app": {"instances": ["a", "b"]}, "side": {"network_mode": "app"}})
    graph = container_graph(m)
    assert graph.dependencies_of("m.side") == ["m.app.a"]
    side = DesiredStateBuilder(m.get_extended_map(), ClientInfo("x")).container("side", None)
    assert side.host_config["network_mode"] == "container:m.app.a"
    assert side.depends_on == {"m.app.a": "network_mode"}
