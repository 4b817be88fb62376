"""The 3.7.2 example on the local daemon: exactly the containers, named volumes, mounts,
ports, user and permissions the text describes."""
from __future__ import annotations

import copy
import socket

from dockerfab.map.container import ContainerMap
from tests.integration.test_engine_support import (  # noqa: F401 (fixtures)
    Cleanup,
    cleanup_fixture,
    container_names,
    engine_images_fixture,
    mapping_client,
    run_in,
)
from tests.unit.test_map_container import EXAMPLE_372


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def example_map(name: str, root: str, http: int, https: int) -> ContainerMap:
    """Spec 3.7.2 as written (tests/unit/test_map_container.EXAMPLE_372), except: host root
    in a temp dir, free host ports instead of 80/443 (the daemon is shared), and one map
    network, so the test does not depend on the shared daemon's default bridge."""
    data = copy.deepcopy(EXAMPLE_372)
    data["host_root"] = root
    data["networks"] = {"net": {}}
    data["web_server"]["exposes"] = {80: http, 443: https}
    for config in ("web_server", "app_server"):
        data[config]["networks"] = "net"
    return ContainerMap(name, data)


def mounts(api, name):
    return {m["Destination"]: m for m in api.inspect_container(name)["Mounts"]}


def test_example_create_then_start(docker_api, engine_images, cleanup: Cleanup, tmp_path):
    name = cleanup.name("example")
    http, https = free_port(), free_port()
    mc = mapping_client(example_map(name, str(tmp_path), http, https), docker_api)

    created = mc.create("web_server")
    assert {(r.kind, r.item) for r in created if r.kind == "create"} == {
        ("create", f"{name}.app_server.instance1"), ("create", f"{name}.app_server.instance2"),
        ("create", f"{name}.web_server")}
    # app servers come before the web server that uses their socket volume
    order = [r.item for r in created if r.kind == "create"]
    assert order.index(f"{name}.web_server") == 2
    assert container_names(docker_api, name) == {
        f"{name}.app_server.instance1", f"{name}.app_server.instance2", f"{name}.web_server"}
    volumes = {v["Name"] for v in docker_api.volumes()["Volumes"] or ()
               if v["Name"].startswith(name + ".")}
    assert volumes == {f"{name}.app_log", f"{name}.app_server_socket", f"{name}.web_log"}

    started = mc.start("web_server")
    assert sorted(r.item for r in started if r.kind == "start") == sorted(
        container_names(docker_api, name))
    for cname in container_names(docker_api, name):
        assert docker_api.inspect_container(cname)["State"]["Running"], cname

    root = str(tmp_path)
    for index in (1, 2):
        cname = f"{name}.app_server.instance{index}"
        info = docker_api.inspect_container(cname)
        assert info["Config"]["User"] == "2000"
        m = mounts(docker_api, cname)
        assert m["/var/lib/app/config"]["Source"] == f"{root}/config/app{index}"
        assert m["/var/lib/app/config"]["RW"] is False
        assert m["/var/lib/app/data"]["Source"] == f"{root}/data/app{index}"
        assert m["/var/lib/app/data"]["RW"] is True
        assert m["/var/lib/app/log"]["Name"] == f"{name}.app_log"
        assert m["/var/lib/app/socket"]["Name"] == f"{name}.app_server_socket"

    web = docker_api.inspect_container(f"{name}.web_server")
    m = mounts(docker_api, f"{name}.web_server")
    assert m["/etc/nginx"]["Source"] == f"{root}/config/nginx" and m["/etc/nginx"]["RW"] is False
    assert m["/var/log/nginx"]["Name"] == f"{name}.web_log"
    # only the socket volume of the app servers, none of their other volumes
    assert m["/var/lib/app/socket"]["Name"] == f"{name}.app_server_socket"
    assert "/var/lib/app/log" not in m and "/var/lib/app/data" not in m
    bindings = web["HostConfig"]["PortBindings"]
    assert bindings == {"80/tcp": [{"HostIp": "", "HostPort": str(http)}],
                        "443/tcp": [{"HostIp": "", "HostPort": str(https)}]}
    assert web["Config"]["Hostname"] == f"{name}-web-server".replace("_", "-")

    # chown 2000 and chmod u=rwX,g=rX,o= on the app server's attached volumes; web_log as is
    for volume, expected in (("app_server_socket", "2000 750"), ("app_log", "2000 750"),
                             ("web_log", "0 755")):
        out = run_in(docker_api, cleanup, "busybox:latest", ["stat", "-c", "%u %a", "/v"],
                     binds=[f"{name}.{volume}:/v:ro"], network_mode="none")
        assert out.strip() == expected, volume
    # the server answers on the published port (all addresses)
    with socket.create_connection(("127.0.0.1", http), timeout=5):
        pass


def test_example_startup_is_create_plus_start(docker_api, engine_images, cleanup, tmp_path):
    name = cleanup.name("exstartup")
    mc = mapping_client(example_map(name, str(tmp_path), free_port(), free_port()), docker_api)
    results = mc.startup("web_server")
    kinds = [r.kind for r in results]
    assert kinds.count("create") == 3 and kinds.count("start") == 3
    assert kinds.count("prepare_volume") == 2  # app_log and app_server_socket, not web_log
    assert mc.plan("startup", "web_server") == []
    # shutdown of app_server takes its dependent web_server down first
    done = mc.shutdown("app_server")
    removed = [r.item for r in done if r.kind == "remove"]
    assert removed[0] == f"{name}.web_server" and len(removed) == 3
    assert container_names(docker_api, name) == set()
    # attached volumes survive remove/shutdown unless remove_attached is set
    left = {v["Name"] for v in docker_api.volumes()["Volumes"] or ()
            if v["Name"].startswith(name + ".")}
    assert len(left) == 3
