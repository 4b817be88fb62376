"""Several clients: map and configuration ``clients`` select where items go; interfaces of
each client; one plan per client, executed concurrently."""
from __future__ import annotations

from dockerfab.engine.client import MappingDockerClient
from dockerfab.map.config.client import ClientConfiguration
from dockerfab.map.container import ContainerMap
from tests.integration.test_engine_support import Cleanup, ensure_images

IMAGE = "dockerfab-test/base"


def test_two_hosts(bed, bed_api):
    h1, h2 = bed.hosts[0], bed.hosts[1]
    apis = {"h1": bed_api(h1), "h2": bed_api(h2)}
    for api in apis.values():
        ensure_images(api, (IMAGE + ":latest",))
    cleanups = {k: Cleanup(api) for k, api in apis.items()}
    name = cleanups["h1"].name("clients")
    cleanups["h2"].maps.append(name)
    # the fixture's clients on the hosts' sockets, given as ready clients
    clients = {k: ClientConfiguration(interfaces={"private": "127.0.0.1"}, client=api)
               for k, api in apis.items()}
    cmap = ContainerMap(name, {
        "clients": ["h1", "h2"],
        "app": {"image": IMAGE, "stop_timeout": 2, "exposes": [(80, 18080, "private")]},
        "web": {"image": IMAGE, "stop_timeout": 2, "clients": ["h1"], "links": "app"},
    })
    events = []
    mc = MappingDockerClient(cmap, clients=clients, listener=events.append)
    try:
        results = mc.startup("web")
        done = {(r.client, r.kind, r.item) for r in results}
        assert {(c, k) for c, k, i in done if i == f"{name}.app"} == {
            ("h1", "create"), ("h1", "start")}  # web's dependency, on web's client only
        results = mc.startup("__all__")
        assert {(r.client, r.kind, r.item) for r in results} == {
            ("h2", "create", f"{name}.app"), ("h2", "start", f"{name}.app")}
        for key, api in apis.items():
            info = api.inspect_container(f"{name}.app")
            assert info["HostConfig"]["PortBindings"] == {
                "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}]}
            assert info["Config"]["Hostname"] == f"{key}-{name}-app".replace("_", "-")
        assert [c["Names"] for c in apis["h2"].containers(all=True, filters={
            "name": f"{name}.web"})] == []
        assert mc.plan("update", "__all__") == []
        assert {e.client for e in events} == {"h1", "h2"}
        assert {e.phase for e in events} == {"start", "done"}
        results = mc.shutdown("app")
        assert {(r.client, r.item) for r in results if r.kind == "remove"} == {
            ("h1", f"{name}.web"), ("h1", f"{name}.app"), ("h2", f"{name}.app")}
    finally:
        for c in cleanups.values():
            c.run()
